"""The asyncio actor against the threaded interpreter, in one run: events per second through
``await actor.send(event)`` and ``actor.send(event)`` on the cycle and the media player (the
machines and event sequence of bench_interpreter.py), and parent/child round trips per second.

Round trips: the parent sends PING to its child, the child answers PONG, N times, with the same
``send_to`` / ``send_parent`` charts on both. The asyncio runtime runs the child as an invoked
machine; the threaded interpreter cannot invoke a machine, so there two interpreters are wired
through the documented ``deliver`` hook (the child's ``parent=`` takes ``send_parent``). Rounds
alternate between the two so both see the same machine load; the best of ``--repeat`` counts.

    python3 benchmarks/bench_actors.py [--events 20000] [--rounds 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machines import media_player  # noqa: E402
from statecharts import Interpreter, Machine, PendingSend, assign  # noqa: E402
from statecharts.actions import send_parent, send_to  # noqa: E402

MEDIA_CYCLE = ["PLAY", "MUTE", "FULLSCREEN", "PAUSE", "UNMUTE", "EXIT_FULLSCREEN", "PLAY", "STOP"]
CYCLE_CONFIG = {
    "id": "cycle", "initial": "a",
    "states": {"a": {"on": {"NEXT": "b"}}, "b": {"on": {"NEXT": "c"}}, "c": {"on": {"NEXT": "a"}}},
}


def threaded_send(machine: Machine, events: list[str]) -> tuple[float, Any]:
    actor = machine.interpret().start()
    send = actor.send
    start = time.perf_counter()
    for e in events:
        send(e)
    took = time.perf_counter() - start
    actor.stop()
    return took, actor.state.value


def async_send(machine: Machine, events: list[str]) -> tuple[float, Any]:
    async def run() -> tuple[float, Any]:
        async with machine.interpret_async() as actor:
            send = actor.send
            start = time.perf_counter()
            for e in events:
                await send(e)
            return time.perf_counter() - start, actor.state.value

    return asyncio.run(run())


def ponger() -> Machine:
    return Machine({"id": "ponger", "context": {"pongs": 0}, "initial": "ready", "states": {"ready": {"on": {
        "PING": {"actions": [assign(pongs=lambda c, e: c["pongs"] + 1), send_parent("PONG")]}}}}})


def async_round_trips(rounds: int) -> tuple[float, int]:
    parent = Machine({"id": "pinger", "context": {"pongs": 0}, "initial": "playing", "states": {
        "playing": {
            "invoke": {"src": "ponger", "id": "ponger"},
            "on": {"START": {"actions": send_to("ponger", "PING")}, "PONG": [
                {"guard": lambda c, e: c["pongs"] + 1 >= rounds, "target": "finished",
                 "actions": assign(pongs=lambda c, e: c["pongs"] + 1)},
                {"actions": [assign(pongs=lambda c, e: c["pongs"] + 1), send_to("ponger", "PING")]}]}},
        "finished": {"type": "final"}}}, services={"ponger": ponger()})

    async def run() -> tuple[float, int]:
        async with parent.interpret_async() as actor:
            start = time.perf_counter()
            await actor.send("START")
            final = await actor.wait_for(lambda s: s.done, timeout=600)
            return time.perf_counter() - start, final.context["pongs"]

    return asyncio.run(run())


class _Routed(Interpreter):
    """A threaded interpreter that delivers sends addressed to a peer's id to that peer (the
    interpreter's documented ``deliver`` hook): the same charts as the asyncio round trips."""

    peers: dict[str, Interpreter]

    def deliver(self, send: PendingSend) -> None:
        peer = self.peers.get(send.to or "")
        if peer is not None:
            peer.send(send.event)
        else:
            super().deliver(send)


def threaded_round_trips(rounds: int) -> tuple[float, int]:
    parent_chart = Machine({"id": "pinger", "context": {"pongs": 0}, "initial": "playing", "states": {
        "playing": {"on": {"START": {"actions": send_to("ponger", "PING")}, "PONG": [
            {"guard": lambda c, e: c["pongs"] + 1 >= rounds, "target": "finished",
             "actions": assign(pongs=lambda c, e: c["pongs"] + 1)},
            {"actions": [assign(pongs=lambda c, e: c["pongs"] + 1), send_to("ponger", "PING")]}]}},
        "finished": {"type": "final"}}})
    parent = _Routed(parent_chart)
    child = _Routed(ponger(), parent=parent)
    parent.peers, child.peers = {"ponger": child}, {}
    child.start()
    parent.start()
    start = time.perf_counter()
    final = parent.send("START")
    took = time.perf_counter() - start
    child.stop()
    return took, final.context["pongs"]


def best(runs: list[tuple[float, Any]], count: int, expect: Any, label: str) -> float:
    for _, result in runs:
        if result != expect:
            print(f"warning: {label} ended in {result!r}, expected {expect!r}", file=sys.stderr)
    return count / min(t for t, _ in runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    cycle, media = Machine(CYCLE_CONFIG), media_player.machine
    cycle_events = ["NEXT"] * args.events
    media_events = (MEDIA_CYCLE * (args.events // len(MEDIA_CYCLE) + 1))[:args.events]
    expected = {"cycle": threaded_send(cycle, cycle_events)[1], "media": threaded_send(media, media_events)[1]}
    rows: dict[str, dict[str, float]] = {"asyncio: await actor.send": {}, "threaded: actor.send": {}}
    runners: dict[str, Callable[[Machine, list[str]], tuple[float, Any]]] = {
        "asyncio: await actor.send": async_send, "threaded: actor.send": threaded_send}
    for name, machine, events in (("cycle", cycle, cycle_events), ("media", media, media_events)):
        runs: dict[str, list[tuple[float, Any]]] = {label: [] for label in runners}
        for _ in range(args.repeat):
            for label, runner in runners.items():
                runs[label].append(runner(machine, events))
        for label in runners:
            rows[label][name] = best(runs[label], len(events), expected[name], f"{label} on {name}")
    trips: dict[str, list[tuple[float, Any]]] = {"asyncio: await actor.send": [], "threaded: actor.send": []}
    for _ in range(args.repeat):
        trips["asyncio: await actor.send"].append(async_round_trips(args.rounds))
        trips["threaded: actor.send"].append(threaded_round_trips(args.rounds))
    for label in rows:
        rows[label]["trips"] = best(trips[label], args.rounds, args.rounds, f"{label} round trips")
    print(f"events={args.events} rounds={args.rounds} repeat={args.repeat} (best run; ratio = asyncio / threaded)")
    print("| runtime | cycle: events/s | media: events/s | parent/child round trips/s |")
    print("|---|---:|---:|---:|")
    for label, row in rows.items():
        print(f"| {label} | {row['cycle']:,.0f} | {row['media']:,.0f} | {row['trips']:,.0f} |")
    a, t = rows["asyncio: await actor.send"], rows["threaded: actor.send"]
    print(f"| ratio | {a['cycle'] / t['cycle']:.2f}x | {a['media'] / t['media']:.2f}x | "
          f"{a['trips'] / t['trips']:.2f}x |")


if __name__ == "__main__":
    main()
