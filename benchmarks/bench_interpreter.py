"""Events per second: ours against the Python (and node) statechart libraries, side by side.

Three machines, the same event sequence for every library:

- ``cycle``: three states a -> b -> c -> a on ``NEXT``;
- ``media``: the seed's media player (three parallel regions), driven through
  PLAY MUTE FULLSCREEN PAUSE UNMUTE EXIT_FULLSCREEN PLAY STOP, over and over;
- ``counter``: two states a <-> b on ``NEXT`` carrying context: every event passes a guard
  (``count < MAX``) and runs an assign (``count + 1``), as most real charts do.

Ours runs three ways: the pure ``machine.transition`` loop, the interpreter's ``send`` and
``await actor.send`` on the asyncio actor (``machine.interpret_async``). The peers
(python-statemachine, transitions, sismic, xstate-statemachine; xstate v5 through node when it is
installed, as ``actor.send`` and its pure ``transition``) are NOT project dependencies:
``pip install python-statemachine transitions sismic xstate-statemachine`` and ``npm install`` in
``benchmarks/xstate``. A missing peer is reported and skipped.

The libraries are interleaved: each of ``--rounds`` rounds runs every library once, in turn, so
load from other work on the machine falls on all of them alike. Rates are the median over the
rounds with their spread (the interquartile range, as a share of the median); ratios against
xstate are the median of the per-round ratios. Each run checks that the library ended in the
expected configuration (and, on the counter, with the expected count), so every row did the same
work. ``--baseline REV`` adds rows for ours at git revision REV (run in a worker process on a
``git archive`` of it), interleaved the same way.

    python3 benchmarks/bench_interpreter.py [--events 20000] [--rounds 7] [--no-node]
        [--baseline REV] [--profile cycle|media|counter --mode pure|send|async]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ROOT = Path(sys.argv[sys.argv.index("--root") + 1] if "--root" in sys.argv else Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # machines/ and tests/ for the peers

from machines import media_player  # noqa: E402
from statecharts import Machine, assign  # noqa: E402

KINDS = ("cycle", "media", "counter")
MAX = 10**12
MEDIA_CYCLE = ["PLAY", "MUTE", "FULLSCREEN", "PAUSE", "UNMUTE", "EXIT_FULLSCREEN", "PLAY", "STOP"]
CYCLE_CONFIG = {
    "id": "cycle",
    "initial": "a",
    "states": {"a": {"on": {"NEXT": "b"}}, "b": {"on": {"NEXT": "c"}}, "c": {"on": {"NEXT": "a"}}},
}
COUNTER_STEP = {"guard": "notMax", "actions": "increment"}
COUNTER_CONFIG = {
    "id": "counter",
    "initial": "a",
    "context": {"count": 0},
    "states": {
        "a": {"on": {"NEXT": {"target": "b", **COUNTER_STEP}}},
        "b": {"on": {"NEXT": {"target": "a", **COUNTER_STEP}}},
    },
}


def not_max(context: Any, event: Any) -> bool:
    return bool(context["count"] < MAX)


def make_machine(kind: str) -> Machine:
    if kind == "cycle":
        return Machine(CYCLE_CONFIG)
    if kind == "media":
        return Machine(media_player.config)
    return Machine(
        COUNTER_CONFIG, guards={"notMax": not_max}, actions={"increment": assign(count=lambda c, e: c["count"] + 1)}
    )


def events_for(kind: str, n: int) -> list[str]:
    return (MEDIA_CYCLE * (n // len(MEDIA_CYCLE) + 1))[:n] if kind == "media" else ["NEXT"] * n


Result = tuple[float, list[str]]  # seconds of the run, the final leaves (and "count=N" on the counter)
Runner = Callable[[list[str]], Result]


def _final(leaves: list[str], count: Any = None) -> list[str]:
    return sorted(x.replace("full_screen", "fullscreen") for x in leaves) + (
        [] if count is None else [f"count={count}"]
    )


def leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return sorted(x for v in value.values() for x in leaves(v))


# ---------------------------------------------------------------------------------------------
# Ours


def _ours_final(snapshot: Any) -> list[str]:
    return _final(leaves(snapshot.value), snapshot.context.get("count"))


def ours_pure(kind: str) -> Runner:
    machine = make_machine(kind)

    def run(events: list[str]) -> Result:
        start = time.perf_counter()
        s = machine.initial_state()
        transition = machine.transition
        for e in events:
            s = transition(s, e)
        return time.perf_counter() - start, _ours_final(s)

    return run


def ours_send(kind: str) -> Runner:
    machine = make_machine(kind)

    def run(events: list[str]) -> Result:
        start = time.perf_counter()
        actor = machine.interpret().start()
        send = actor.send
        for e in events:
            send(e)
        actor.stop()
        return time.perf_counter() - start, _ours_final(actor.state)

    return run


def ours_async(kind: str) -> Runner:
    machine = make_machine(kind)
    if not hasattr(machine, "interpret_async"):
        raise ImportError("this revision has no asyncio actor (machine.interpret_async)")

    async def drive(events: list[str]) -> Result:
        start = time.perf_counter()
        async with machine.interpret_async() as actor:
            send = actor.send
            for e in events:
                await send(e)
            final = _ours_final(actor.state)
        return time.perf_counter() - start, final

    def run(events: list[str]) -> Result:
        return asyncio.run(drive(events))

    return run


OURS: dict[str, Callable[[str], Runner]] = {
    "ours: transition (pure)": ours_pure,
    "ours: interpreter send": ours_send,
    "ours: await actor.send": ours_async,
}


def timed(body: Callable[[list[str]], list[str]]) -> Runner:
    def run(events: list[str]) -> Result:
        start = time.perf_counter()
        final = body(events)
        return time.perf_counter() - start, final

    return run


# ---------------------------------------------------------------------------------------------
# python-statemachine


def psm(kind: str) -> Runner:
    from statemachine import State, StateChart

    if kind == "cycle":

        class Cycle(StateChart):
            a = State(initial=True)
            b = State()
            c = State()
            NEXT = a.to(b) | b.to(c) | c.to(a)

        cls: type = Cycle
    elif kind == "counter":

        class Counter(StateChart):
            a = State(initial=True)
            b = State()
            NEXT = a.to(b, cond="not_max", on="increment") | b.to(a, cond="not_max", on="increment")

            def __init__(self) -> None:
                self.count = 0
                super().__init__()

            def not_max(self) -> bool:
                return self.count < MAX

            def increment(self) -> None:
                self.count += 1

        cls = Counter
    else:
        from tests.interop.psm_charts import MediaPlayer  # the same chart the interop tests use

        cls = MediaPlayer

    def body(events: list[str]) -> list[str]:
        sm = cls()
        send = sm.send
        for e in events:
            send(e)
        return _final([s.id for s in sm.configuration if not s.states], getattr(sm, "count", None))

    return timed(body)


# ---------------------------------------------------------------------------------------------
# transitions


class _CounterModel:
    def __init__(self) -> None:
        self.count = 0

    def not_max(self) -> bool:
        return self.count < MAX

    def increment(self) -> None:
        self.count += 1


def pytransitions(kind: str) -> Runner:
    if kind in ("cycle", "counter"):
        from transitions import Machine as TMachine

        def make() -> Any:
            if kind == "cycle":
                return TMachine(
                    states=["a", "b", "c"],
                    initial="a",
                    auto_transitions=False,
                    transitions=[["NEXT", "a", "b"], ["NEXT", "b", "c"], ["NEXT", "c", "a"]],
                )
            step = {"trigger": "NEXT", "conditions": "not_max", "after": "increment"}
            return TMachine(
                model=_CounterModel(),
                states=["a", "b"],
                initial="a",
                auto_transitions=False,
                transitions=[{"source": "a", "dest": "b", **step}, {"source": "b", "dest": "a", **step}],
            )
    else:
        from transitions.extensions import HierarchicalMachine

        states = [
            {
                "name": "player",
                "parallel": [
                    {
                        "name": "playback",
                        "initial": "stopped",
                        "children": ["stopped", "playing", "paused"],
                        "transitions": [
                            ["PLAY", "stopped", "playing"],
                            ["PLAY", "paused", "playing"],
                            ["PAUSE", "playing", "paused"],
                            ["STOP", "playing", "stopped"],
                            ["STOP", "paused", "stopped"],
                        ],
                    },
                    {
                        "name": "volume",
                        "initial": "normal",
                        "children": ["normal", "muted"],
                        "transitions": [["MUTE", "normal", "muted"], ["UNMUTE", "muted", "normal"]],
                    },
                    {
                        "name": "fullscreen",
                        "initial": "windowed",
                        "children": ["windowed", "full_screen"],
                        "transitions": [
                            ["FULLSCREEN", "windowed", "full_screen"],
                            ["EXIT_FULLSCREEN", "full_screen", "windowed"],
                        ],
                    },
                ],
            }
        ]

        def make() -> Any:
            return HierarchicalMachine(
                states=states, initial="player", auto_transitions=False, ignore_invalid_triggers=True
            )

    def body(events: list[str]) -> list[str]:
        m = make()
        model = m if kind == "cycle" else m.model if kind == "counter" else m
        trigger = model.trigger
        for e in events:
            trigger(e)
        state = model.state  # "a", or ["player_playback_playing", ...] (parent_region_leaf)
        found = [x.split("_", 2)[-1] for x in (state if isinstance(state, list) else [state])]
        return _final(found, getattr(model, "count", None))

    return timed(body)


# ---------------------------------------------------------------------------------------------
# sismic


SISMIC_CYCLE = """
statechart:
  name: cycle
  root state:
    name: root
    initial: a
    states:
      - name: a
        transitions: [{target: b, event: NEXT}]
      - name: b
        transitions: [{target: c, event: NEXT}]
      - name: c
        transitions: [{target: a, event: NEXT}]
"""

SISMIC_COUNTER = f"""
statechart:
  name: counter
  preamble: count = 0
  root state:
    name: root
    initial: a
    states:
      - name: a
        transitions: [{{target: b, event: NEXT, guard: count < {MAX}, action: count = count + 1}}]
      - name: b
        transitions: [{{target: a, event: NEXT, guard: count < {MAX}, action: count = count + 1}}]
"""

SISMIC_MEDIA = """
statechart:
  name: media
  root state:
    name: player
    parallel states:
      - name: playback
        initial: stopped
        states:
          - name: stopped
            transitions: [{target: playing, event: PLAY}]
          - name: playing
            transitions: [{target: paused, event: PAUSE}, {target: stopped, event: STOP}]
          - name: paused
            transitions: [{target: playing, event: PLAY}, {target: stopped, event: STOP}]
      - name: volume
        initial: normal
        states:
          - name: normal
            transitions: [{target: muted, event: MUTE}]
          - name: muted
            transitions: [{target: normal, event: UNMUTE}]
      - name: fullscreen
        initial: windowed
        states:
          - name: windowed
            transitions: [{target: full_screen, event: FULLSCREEN}]
          - name: full_screen
            transitions: [{target: windowed, event: EXIT_FULLSCREEN}]
"""


def sismic(kind: str) -> Runner:
    from sismic.interpreter import Interpreter
    from sismic.io import import_from_yaml

    chart = import_from_yaml({"cycle": SISMIC_CYCLE, "media": SISMIC_MEDIA, "counter": SISMIC_COUNTER}[kind])

    def body(events: list[str]) -> list[str]:
        it = Interpreter(chart)
        it.execute_once()
        for e in events:
            it.queue(e)
            it.execute_once()
        return _final(
            [s for s in it.configuration if not chart.children_for(s)],
            it.context.get("count") if kind == "counter" else None,
        )

    return timed(body)


# ---------------------------------------------------------------------------------------------
# xstate-statemachine (PyPI)


def _xs_machine(kind: str) -> Any:
    logging.getLogger("xstate_statemachine").setLevel(logging.ERROR)
    import xstate_statemachine as xs

    def increment(interpreter: Any, context: Any, event: Any, action: Any) -> None:
        context["count"] += 1

    config = {"cycle": CYCLE_CONFIG, "counter": COUNTER_CONFIG}.get(kind) or Machine(media_player.config).to_json()
    logic: Any = xs.MachineLogic(actions={"increment": increment}, guards={"notMax": not_max})
    return xs, xs.create_machine(json.loads(json.dumps(config)), logic=logic)


def xstate_statemachine_pure(kind: str) -> Runner:
    if kind == "counter":  # its pure_transition does not run actions: the count would stay 0
        raise ImportError("xstate-statemachine's pure_transition runs no actions (no counter row)")
    xs, machine = _xs_machine(kind)

    def body(events: list[str]) -> list[str]:
        snapshot, _ = xs.initial_transition(machine)
        transition = xs.pure_transition
        for e in events:
            snapshot, _ = transition(machine, snapshot, e)
        return _final([i.rsplit(".", 1)[-1] for i in snapshot.state_ids])

    return timed(body)


def xstate_statemachine(kind: str) -> Runner:
    xs, machine = _xs_machine(kind)

    def body(events: list[str]) -> list[str]:
        it = xs.SyncInterpreter(machine).start()
        send = it.send
        for e in events:
            send(e)
        ids, count = it.current_state_ids, it.context.get("count")
        it.stop()
        return _final([i.rsplit(".", 1)[-1] for i in ids], count)

    return timed(body)


PEERS: dict[str, Callable[[str], Runner]] = {
    "python-statemachine": psm,
    "transitions": pytransitions,
    "sismic": sismic,
    "xstate-statemachine: interpreter send": xstate_statemachine,
    "xstate-statemachine: pure_transition": xstate_statemachine_pure,
}


# ---------------------------------------------------------------------------------------------
# Workers: xstate on node, and ours at a baseline revision, driven one run at a time over pipes


class Worker:
    """A process that answers one JSON line per run: ``{"seconds": ..., "final": [...]}`` (or
    ``{"missing": true}``)."""

    def __init__(self, command: list[str], setup: dict[str, Any]) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ask(setup)

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        stdin.write(json.dumps(message) + "\n")
        stdin.flush()
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"worker {self.process.args!r} ended")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=30)


def node_worker(events: dict[str, list[str]]) -> Worker | None:
    bench = Path(__file__).resolve().parent / "xstate" / "bench.mjs"
    if shutil.which("node") is None or not (bench.parent / "node_modules" / "xstate").is_dir():
        print(
            "skipping xstate (node): node or benchmarks/xstate/node_modules missing "
            "(cd benchmarks/xstate && npm install)",
            file=sys.stderr,
        )
        return None
    machines = {k: {"config": make_machine(k).to_json(placeholders=True), "events": events[k]} for k in KINDS}
    return Worker(["node", str(bench)], {"machines": machines})


def node_runner(worker: Worker, kind: str, mode: str) -> Runner:
    def run(events: list[str]) -> Result:
        answer = worker.ask({"kind": kind, "mode": mode})
        if answer.get("missing"):
            raise ImportError("this xstate has no pure transition()")
        return answer["seconds"], _final(leaves(answer["value"]), answer["count"])

    return run


def baseline_worker(revision: str, events: dict[str, list[str]], into: Path) -> Worker:
    here = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(here), "archive", revision, "statecharts"], capture_output=True, check=True
    ).stdout
    (into / "archive.tar").write_bytes(archive)
    with tarfile.open(into / "archive.tar") as tar:
        tar.extractall(into, filter="data")
    return Worker([sys.executable, str(Path(__file__).resolve()), "--worker", "--root", str(into)], {"events": events})


def serve() -> int:
    """The baseline worker's loop: ours (from ``--root``) on requests ``{"kind", "name"}``."""
    events = json.loads(sys.stdin.readline())["events"]
    print(json.dumps({"ready": True}), flush=True)
    runners: dict[tuple[str, str], Runner] = {}
    for line in sys.stdin:
        request = json.loads(line)
        key = (request["kind"], request["name"])
        try:
            if key not in runners:
                runners[key] = OURS[request["name"]](request["kind"])
            seconds, final = runners[key](events[request["kind"]])
            print(json.dumps({"seconds": seconds, "final": final}), flush=True)
        except ImportError:
            print(json.dumps({"missing": True}), flush=True)
    return 0


def baseline_runner(worker: Worker, kind: str, name: str) -> Runner:
    def run(events: list[str]) -> Result:
        answer = worker.ask({"kind": kind, "name": name})
        if answer.get("missing"):
            raise ImportError("the baseline has no such row")
        return answer["seconds"], answer["final"]

    return run


# ---------------------------------------------------------------------------------------------
# Timing: interleaved rounds, medians and spread


NODE_ACTOR, NODE_PURE = "xstate (node): actor.send", "xstate (node): transition (pure)"


def collect(kind: str, node: Worker | None, baseline: Worker | None, revision: str) -> dict[str, Runner]:
    runners: dict[str, Runner] = {}
    makers: dict[str, Callable[[str], Runner]] = {**OURS, **PEERS}
    for name, make in makers.items():
        try:
            runners[name] = make(kind)
        except ImportError as exc:
            print(f"skipping {name} on {kind}: {exc}", file=sys.stderr)
    if node is not None:
        runners[NODE_ACTOR] = node_runner(node, kind, "actor")
        runners[NODE_PURE] = node_runner(node, kind, "pure")
    if baseline is not None:
        for name in OURS:
            runners[f"{name} @ {revision}"] = baseline_runner(baseline, kind, name)
    return runners


def measure(kind: str, events: list[str], rounds: int, runners: dict[str, Runner]) -> dict[str, list[float]]:
    """Seconds per run of every library, ``rounds`` rounds, each round running every library once."""
    expected = None
    warm = events[: max(1, len(events) // 10)]
    for name, run in list(runners.items()):  # warm-up (imports, caches, the JIT); drop what fails
        try:
            run(warm)
        except ImportError as exc:
            print(f"skipping {name} on {kind}: {exc}", file=sys.stderr)
            del runners[name]
    times: dict[str, list[float]] = {name: [] for name in runners}
    for r in range(rounds):
        order = list(runners) if r % 2 == 0 else list(reversed(runners))
        for name in order:
            seconds, final = runners[name](events)
            if expected is None:
                expected = final
            elif final != expected:
                print(f"warning: {name} on {kind} ended in {final}, expected {expected}", file=sys.stderr)
            times[name].append(seconds)
    return times


def spread(values: list[float]) -> float:
    """The interquartile range as a share of the median."""
    if len(values) < 4:
        return (max(values) - min(values)) / statistics.median(values)
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / statistics.median(values)


def paired_ratio(times: dict[str, list[float]], ours: str, peer: str) -> float | None:
    """The median over rounds of (ours' rate / the peer's rate) in the same round."""
    if ours not in times or peer not in times:
        return None
    return statistics.median(p / o for o, p in zip(times[ours], times[peer], strict=True))


def table(results: dict[str, dict[str, list[float]]], events: int, revision: str | None) -> str:
    """Median rate (spread), the paired ratios over xstate on node, and (with a baseline) over
    the same row of ours at the baseline revision."""
    names = list(dict.fromkeys(n for times in results.values() for n in times))
    columns = ["events/s (spread)", "/ node send", "/ node pure"] + (["/ baseline"] if revision else [])
    head = (
        "| library | " + " | ".join(f"{k}: {c}" if i == 0 else c for k in results for i, c in enumerate(columns)) + " |"
    )
    lines = [head, "|---|" + "---:|" * len(columns) * len(results)]
    for name in names:
        cells = []
        for times in results.values():
            if name not in times:
                cells += ["-"] * len(columns)
                continue
            rate = events / statistics.median(times[name])
            cells.append(f"{rate:,.0f} (±{spread(times[name]) / 2:.0%})")
            peers = [NODE_ACTOR, NODE_PURE] + ([f"{name} @ {revision}"] if revision else [])
            for peer in peers:
                ratio = paired_ratio(times, name, peer)
                cells.append("-" if ratio is None else f"{ratio:.2f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def profile(kind: str, mode: str, events: list[str]) -> None:
    import cProfile
    import pstats

    run = {"pure": ours_pure, "send": ours_send, "async": ours_async}[mode](kind)
    run(events[:1000])
    cProfile.runctx("run(events)", globals(), {"run": run, "events": events}, "/tmp/bench.prof")
    pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000, help="events per run (default 20000)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7); medians count")
    parser.add_argument("--no-node", action="store_true", help="leave out xstate through node")
    parser.add_argument("--machines", default=",".join(KINDS), help="which machines (default: all three)")
    parser.add_argument("--baseline", metavar="REV", help="add ours at git revision REV, interleaved")
    parser.add_argument("--profile", choices=KINDS, help="profile ours (cProfile) on this machine and stop")
    parser.add_argument("--mode", choices=["pure", "send", "async"], default="pure", help="what --profile runs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return serve()
    events = {k: events_for(k, args.events) for k in KINDS}
    if args.profile:
        profile(args.profile, args.mode, events[args.profile])
        return 0
    node = None if args.no_node else node_worker(events)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = baseline_worker(args.baseline, events, Path(tmp)) if args.baseline else None
        try:
            results = {
                k: measure(k, events[k], args.rounds, collect(k, node, baseline, args.baseline or ""))
                for k in args.machines.split(",")
            }
        finally:
            for worker in (node, baseline):
                if worker is not None:
                    worker.close()
    print(
        f"{args.events} events per run, median of {args.rounds} interleaved rounds (± half the "
        f"interquartile range); Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    print(
        "'/ node send', '/ node pure', '/ baseline': that row's rate over xstate on node's (actor.send, "
        "pure transition) and over the same row at the baseline revision; medians of the per-round ratios\n"
    )
    print(table(results, args.events, args.baseline))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
