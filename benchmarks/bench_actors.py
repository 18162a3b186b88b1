"""The asyncio actor against the threaded interpreter, in one run: events per second through
``await actor.send(event)`` and ``actor.send(event)`` on the cycle, the media player and the
counter (the machines and event sequences of bench_interpreter.py), and parent/child round trips
per second.

Round trips: the parent sends PING to its child, the child answers PONG, N times, with the same
``send_to`` / ``send_parent`` chart on both runtimes (the child an invoked machine).

Interleaved: each of ``--repeat`` rounds runs every (runtime, workload) pair once, alternating
which runtime goes first, so load from other work falls on both alike. A rate is the median over
the rounds; the ratio is the median of the per-round asyncio / threaded ratios. Each run must end
in the same configuration (and count) on both runtimes, else a warning is printed.

    python3 benchmarks/bench_actors.py [--events 20000] [--rounds 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_interpreter import KINDS, events_for, make_machine  # noqa: E402

from statecharts import Machine  # noqa: E402
from tests.actor_charts import pinger  # noqa: E402  (the chart the round-trip tests play)

ASYNC, THREADED = "asyncio: await actor.send", "threaded: actor.send"


def threaded_send(machine: Machine, events: list[str]) -> tuple[float, Any]:
    actor = machine.interpret().start()
    send = actor.send
    start = time.perf_counter()
    for e in events:
        send(e)
    took = time.perf_counter() - start
    actor.stop()
    return took, (actor.state.value, actor.state.context.get("count"))


def async_send(machine: Machine, events: list[str]) -> tuple[float, Any]:
    async def run() -> tuple[float, Any]:
        async with machine.interpret_async() as actor:
            send = actor.send
            start = time.perf_counter()
            for e in events:
                await send(e)
            return time.perf_counter() - start, (actor.state.value, actor.state.context.get("count"))

    return asyncio.run(run())


def async_round_trips(rounds: int) -> tuple[float, int]:
    parent = pinger(rounds)

    async def run() -> tuple[float, int]:
        async with parent.interpret_async() as actor:
            start = time.perf_counter()
            await actor.send("START")
            final = await actor.wait_for(lambda s: s.done, timeout=600)
            return time.perf_counter() - start, final.context["pongs"]

    return asyncio.run(run())


def threaded_round_trips(rounds: int) -> tuple[float, int]:
    actor = pinger(rounds).interpret().start()
    start = time.perf_counter()
    final = actor.send("START")  # the child answers at once: every round trip is done when send returns
    took = time.perf_counter() - start
    actor.stop()
    return took, final.context["pongs"]


def threaded_run(kind: str, events: list[str]) -> tuple[float, Any]:
    return threaded_send(make_machine(kind), events)  # a fresh machine: its step caches start cold


def async_run(kind: str, events: list[str]) -> tuple[float, Any]:
    return async_send(make_machine(kind), events)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=10000, help="parent/child round trips per run")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds; medians count")
    args = parser.parse_args(argv)
    runtimes = {ASYNC: async_run, THREADED: threaded_run}
    trips = {ASYNC: async_round_trips, THREADED: threaded_round_trips}
    columns = [*KINDS, "trips"]
    rates: dict[str, dict[str, list[float]]] = {label: {c: [] for c in columns} for label in runtimes}
    finals: dict[str, dict[str, set[str]]] = {label: {c: set() for c in columns} for label in runtimes}
    for r in range(args.repeat):
        order = list(runtimes) if r % 2 == 0 else list(reversed(runtimes))
        for kind in KINDS:
            events = events_for(kind, args.events)
            for label in order:
                took, final = runtimes[label](kind, events)
                rates[label][kind].append(len(events) / took)
                finals[label][kind].add(repr(final))
        for label in order:
            took, pongs = trips[label](args.rounds)
            rates[label]["trips"].append(args.rounds / took)
            finals[label]["trips"].add(repr(pongs))
    for c in columns:
        seen = finals[ASYNC][c] | finals[THREADED][c]
        if len(seen) != 1 or (c == "trips" and seen != {repr(args.rounds)}):
            print(f"warning: {c} ended differently: {sorted(seen)}", file=sys.stderr)
    print(
        f"events={args.events} rounds={args.rounds}; median of {args.repeat} interleaved rounds; "
        f"ratio = median of the per-round asyncio / threaded ratios"
    )
    print("| runtime | cycle: events/s | media: events/s | counter: events/s | parent/child round trips/s |")
    print("|---|---:|---:|---:|---:|")
    for label in runtimes:
        print(f"| {label} | " + " | ".join(f"{statistics.median(rates[label][c]):,.0f}" for c in columns) + " |")
    ratios = [
        statistics.median(a / t for a, t in zip(rates[ASYNC][c], rates[THREADED][c], strict=True)) for c in columns
    ]
    print("| asyncio / threaded | " + " | ".join(f"{x:.2f}x" for x in ratios) + " |")


if __name__ == "__main__":
    main()
