"""Events per second: ours against the Python (and node) statechart libraries, side by side.

Two machines, the same event sequence for every library:

- ``cycle``: three states a -> b -> c -> a on ``NEXT``;
- ``media``: the seed's media player (three parallel regions), driven through
  PLAY MUTE FULLSCREEN PAUSE UNMUTE EXIT_FULLSCREEN PLAY STOP, over and over.

Ours runs twice: the pure ``machine.transition`` loop and the interpreter's ``send``. The peers
(python-statemachine, transitions, sismic, xstate-statemachine; xstate through node when it is
installed) are NOT project dependencies: ``pip install python-statemachine transitions sismic
xstate-statemachine`` and ``npm install`` in ``benchmarks/xstate``. A missing peer is reported and
skipped. Each run checks that the library ended in the expected configuration, so every row
did the same work.

    python3 benchmarks/bench_interpreter.py [--events 20000] [--repeat 5] [--no-node] [--profile]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machines import media_player  # noqa: E402
from statecharts import Machine  # noqa: E402

MEDIA_CYCLE = ["PLAY", "MUTE", "FULLSCREEN", "PAUSE", "UNMUTE", "EXIT_FULLSCREEN", "PLAY", "STOP"]
CYCLE_CONFIG = {
    "id": "cycle", "initial": "a",
    "states": {"a": {"on": {"NEXT": "b"}}, "b": {"on": {"NEXT": "c"}}, "c": {"on": {"NEXT": "a"}}},
}

Send = Callable[[str], Any]
Runner = Callable[[list[str]], Any]  # runs the sequence, returns the final state in its own terms


# ---------------------------------------------------------------------------------------------
# Ours


def ours_pure(config: dict[str, Any]) -> Runner:
    machine = Machine(config)

    def run(events: list[str]) -> Any:
        s = machine.initial_state()
        transition = machine.transition
        for e in events:
            s = transition(s, e)
        return s.value

    return run


def ours_send(config: dict[str, Any]) -> Runner:
    machine = Machine(config)

    def run(events: list[str]) -> Any:
        actor = machine.interpret().start()
        send = actor.send
        for e in events:
            send(e)
        actor.stop()
        return actor.state.value

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
    else:
        from tests.interop.psm_charts import MediaPlayer  # the same chart the interop tests use

        cls = MediaPlayer

    def run(events: list[str]) -> Any:
        sm = cls()
        send = sm.send
        for e in events:
            send(e)
        return sorted(s.id for s in sm.configuration if not s.states)

    return run


# ---------------------------------------------------------------------------------------------
# transitions


def pytransitions(kind: str) -> Runner:
    if kind == "cycle":
        from transitions import Machine as TMachine

        def make() -> Any:
            m = TMachine(states=["a", "b", "c"], initial="a", auto_transitions=False,
                         transitions=[["NEXT", "a", "b"], ["NEXT", "b", "c"], ["NEXT", "c", "a"]])
            return m
    else:
        from transitions.extensions import HierarchicalMachine

        states = [{"name": "player", "parallel": [
            {"name": "playback", "initial": "stopped", "children": ["stopped", "playing", "paused"],
             "transitions": [["PLAY", "stopped", "playing"], ["PLAY", "paused", "playing"],
                             ["PAUSE", "playing", "paused"], ["STOP", "playing", "stopped"],
                             ["STOP", "paused", "stopped"]]},
            {"name": "volume", "initial": "normal", "children": ["normal", "muted"],
             "transitions": [["MUTE", "normal", "muted"], ["UNMUTE", "muted", "normal"]]},
            {"name": "fullscreen", "initial": "windowed", "children": ["windowed", "full_screen"],
             "transitions": [["FULLSCREEN", "windowed", "full_screen"],
                             ["EXIT_FULLSCREEN", "full_screen", "windowed"]]},
        ]}]

        def make() -> Any:
            return HierarchicalMachine(states=states, initial="player", auto_transitions=False,
                                       ignore_invalid_triggers=True)

    def run(events: list[str]) -> Any:
        m = make()
        trigger = m.trigger if hasattr(m, "trigger") else m.model.trigger
        for e in events:
            trigger(e)
        state = m.state  # "a", or ["player_playback_playing", ...] (parent_region_leaf)
        return sorted(x.split("_", 2)[-1] for x in (state if isinstance(state, list) else [state]))

    return run


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

    chart = import_from_yaml(SISMIC_CYCLE if kind == "cycle" else SISMIC_MEDIA)

    def run(events: list[str]) -> Any:
        it = Interpreter(chart)
        it.execute_once()
        for e in events:
            it.queue(e)
            it.execute_once()
        return sorted(s for s in it.configuration if not chart.children_for(s))

    return run


# ---------------------------------------------------------------------------------------------
# xstate-statemachine (PyPI)


def _xs_machine(kind: str) -> Any:
    logging.getLogger("xstate_statemachine").setLevel(logging.ERROR)
    import xstate_statemachine as xs

    config = CYCLE_CONFIG if kind == "cycle" else Machine(media_player.config).to_json()
    return xs, xs.create_machine(json.loads(json.dumps(config)))


def xstate_statemachine_pure(kind: str) -> Runner:
    xs, machine = _xs_machine(kind)

    def run(events: list[str]) -> Any:
        snapshot, _ = xs.initial_transition(machine)
        transition = xs.pure_transition
        for e in events:
            snapshot, _ = transition(machine, snapshot, e)
        return sorted(i.rsplit(".", 1)[-1] for i in snapshot.state_ids)

    return run


def xstate_statemachine(kind: str) -> Runner:
    xs, machine = _xs_machine(kind)

    def run(events: list[str]) -> Any:
        it = xs.SyncInterpreter(machine).start()
        send = it.send
        for e in events:
            send(e)
        ids = it.current_state_ids
        it.stop()
        return sorted(i.rsplit(".", 1)[-1] for i in ids)

    return run


# ---------------------------------------------------------------------------------------------
# Timing


def best_rate(run: Runner, events: list[str], repeat: int) -> tuple[float, Any]:
    result = run(events[: max(1, len(events) // 10)])  # warm-up: imports, caches
    fastest = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run(events)
        fastest = min(fastest, time.perf_counter() - start)
    return len(events) / fastest, result


def leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return sorted(x for v in value.values() for x in leaves(v))


def node_rates(config: dict[str, Any], events: list[str], repeat: int) -> dict[str, Any] | None:
    bench = ROOT / "benchmarks" / "xstate" / "bench.mjs"
    if shutil.which("node") is None or not (bench.parent / "node_modules" / "xstate").is_dir():
        return None
    done = subprocess.run(["node", str(bench)], input=json.dumps({"config": config, "events": events,
                                                                   "repeat": repeat}),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"xstate (node) failed: {done.stderr[-400:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout)  # type: ignore[no-any-return]


PEERS: dict[str, Callable[[str], Runner]] = {
    "python-statemachine": psm,
    "transitions": pytransitions,
    "sismic": sismic,
    "xstate-statemachine: interpreter send": xstate_statemachine,
    "xstate-statemachine: pure_transition": xstate_statemachine_pure,
}


def measure(kind: str, events: list[str], repeat: int, use_node: bool) -> dict[str, float]:
    config = CYCLE_CONFIG if kind == "cycle" else media_player.config
    rates: dict[str, float] = {}
    expected: list[str] | None = None
    for name, make in (("ours: transition (pure)", ours_pure), ("ours: interpreter send", ours_send)):
        rate, value = best_rate(make(config), events, repeat)
        rates[name] = rate
        expected = leaves(value)
    for name, peer in PEERS.items():
        try:
            run = peer(kind)
        except ImportError as exc:
            print(f"skipping {name}: {exc} (pip install {name.split(':')[0]})", file=sys.stderr)
            continue
        rate, final = best_rate(run, events, repeat)
        if sorted(x.replace("full_screen", "fullscreen") for x in final) != expected:
            print(f"warning: {name} ended in {final}, expected {expected}", file=sys.stderr)
        rates[name] = rate
    if use_node:
        found = node_rates(Machine(config).to_json(), events, repeat)
        if found is not None:
            rates["xstate (node): actor.send"] = found["actor"]
            if found.get("pure"):
                rates["xstate (node): transition (pure)"] = found["pure"]
        else:
            print("skipping xstate (node): node or benchmarks/xstate/node_modules missing "
                  "(cd benchmarks/xstate && npm install)", file=sys.stderr)
    return rates


def table(results: dict[str, dict[str, float]]) -> str:
    names = list(dict.fromkeys(n for rates in results.values() for n in rates))
    head = "| library | " + " | ".join(f"{k}: events/s | pure / it | send / it" for k in results) + " |"
    rule = "|---|" + "---:|---:|---:|" * len(results)
    lines = [head, rule]
    for name in names:
        cells = []
        for rates in results.values():
            rate = rates.get(name)
            if rate is None:
                cells += ["-", "-", "-"]
                continue
            pure = rates["ours: transition (pure)"] / rate
            send = rates["ours: interpreter send"] / rate
            cells += [f"{rate:,.0f}", f"{pure:.2f}x", f"{send:.2f}x"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000, help="events per run (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per library; the fastest counts")
    parser.add_argument("--no-node", action="store_true", help="leave out xstate through node")
    parser.add_argument("--profile", choices=["cycle", "media"], help="profile ours (cProfile) and stop")
    args = parser.parse_args(argv)
    media = (MEDIA_CYCLE * (args.events // len(MEDIA_CYCLE) + 1))[: args.events]
    cycle = ["NEXT"] * args.events
    if args.profile:
        import cProfile
        import pstats

        config = CYCLE_CONFIG if args.profile == "cycle" else media_player.config
        run = ours_pure(config)
        events = cycle if args.profile == "cycle" else media
        cProfile.runctx("run(events)", globals(), {"run": run, "events": events}, "/tmp/bench.prof")
        pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(15)
        return 0
    results = {
        "cycle": measure("cycle", cycle, args.repeat, not args.no_node),
        "media": measure("media", media, args.repeat, not args.no_node),
    }
    print(f"{args.events} events per run, best of {args.repeat}; Python {sys.version.split()[0]}")
    print("'pure / it' and 'send / it': how many times faster ours is than that row "
          "(ours as pure transitions, and through the interpreter)\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
