"""Random charts for the differential test against xstate v5 (``semantics="xstate"``).

`generate_chart(seed)` builds one chart as xstate JSON (named actions and guards with params,
``#id`` targets) plus 20 events to send; the same JSON runs on xstate (benchmarks/xstate/
record_charts.mjs, with the same implementations in JavaScript) and here (`machine_for`).
Charts have nested and parallel states, cross-region and root-level transitions, targetless
handlers on parallel states, ``always`` in several regions (guarded by a ``fuel`` counter so that
every macrostep ends), history states with and without defaults (also directly in a parallel
state), final states with ``onDone``, wildcard and dotted descriptors, guards and assigns with
params, entry/exit/transition actions appending to ``context.log``, ``reenter``, raised events,
``initial`` actions, transitions targeting two regions at once, and actions and guards that throw.
``generate_chart(seed, timed=True)`` adds time: ``after`` transitions (milliseconds, a named delay, a
delay function of the context), delayed ``raise`` and ``sendTo`` with params, ``cancel``, and
``{"advance": ms}`` steps among the events; xstate runs them on its SimulatedClock, this library on a
`VirtualClock` (`replay_timed`).
Run this file to re-record ``data/xstate_runs.json.gz`` and ``data/xstate_timed_runs.json.gz``
(needs node and xstate); ``python -m tests.interop.xstate_charts compare [N]`` prints how often each
mode agrees with xstate recorded now (the 2,000 charts, and N timed ones, 500 by default).
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from statecharts import Machine, assign, raise_
from statecharts.actions import cancel, send_to
from statecharts.interpreter import VirtualClock

DESCRIPTORS = ("A", "B", "C", "A.x", "A.*", "B.*", "*", "R1", "R2")
EVENTS = ("A", "B", "C", "A.x", "A.y", "B.x", "B.x.y", "R1", "FUEL")
EVENTS_PER_RUN = 20
RAISES_OK = ("A", "B", "C", "A.x")  # raise only from these descriptors: raised events never loop
TIMED_EVENTS = ("R1", "R2")  # what delayed raises and sends send: their handlers set no timers
TICKS = 6  # `after` transitions spend a tick (context.ticks, reset by FUEL): timers never multiply unbounded
ACTION_DELAYS = (30, 100, 150, 200)  # ms; never 0 (a 0 ms timer waits for the clock in xstate, not here)
AFTER_DELAYS = ("50", "100", "200", "slow", "byN")  # "slow" is 200 ms, "byN" 50 + 10 * (n % 5) ms
ADVANCES = (10, 50, 100, 150, 250, 500)  # the ms of an {"advance": ms} step


class _Builder:
    def __init__(self, rng: random.Random, timed: bool = False) -> None:
        self.rng = rng
        self.timed = timed  # add delayed events: `after`, delayed raise/sendTo, cancel
        self.states: list[tuple[str, dict[str, Any]]] = []  # (id, config) of every non-root state
        self.histories: list[str] = []
        self.parallels: list[tuple[str, dict[str, Any]]] = []  # (id, states) of every parallel state
        self.tags = 0

    def tag(self, prefix: str) -> dict[str, Any]:
        self.tags += 1
        return {"type": "push", "params": {"tag": f"{prefix}{self.tags}"}}

    def node(self, path: str, depth: int, kind: str) -> dict[str, Any]:
        rng = self.rng
        config: dict[str, Any] = {}
        if kind in ("compound", "parallel"):
            count = rng.randint(2, 3) if kind == "parallel" else rng.randint(1, 3)
            states: dict[str, Any] = {}
            for i in range(count):
                key = f"{'r' if kind == 'parallel' else 's'}{i}"
                child_kind = "atomic"
                if depth < 3:
                    roll = rng.random()
                    child_kind = (
                        "compound"
                        if roll < 0.3 or kind == "parallel" and roll < 0.7
                        else "parallel"
                        if roll < 0.4
                        else "atomic"
                    )
                child = self.node(f"{path}.{key}", depth + 1, child_kind)
                states[key] = child
                self.states.append((f"{path}.{key}", child))
            if kind == "compound" and rng.random() < 0.35:
                states["f"] = {"type": "final"}
                if rng.random() < 0.5:
                    states["f"]["entry"] = [self.tag("F")]
                self.states.append((f"{path}.f", states["f"]))
            if rng.random() < 0.3:
                history: dict[str, Any] = {"type": "history", "history": rng.choice(("shallow", "deep"))}
                if kind == "compound" and rng.random() < 0.5:
                    history["target"] = rng.choice([k for k in states if k != "f"])
                states["h"] = history
                self.histories.append(f"{path}.h")
            config["states"] = states
            if kind == "parallel":
                config["type"] = "parallel"
                self.parallels.append((path, states))
            else:
                config["initial"] = rng.choice([k for k in states if k not in ("f", "h")])
                if rng.random() < 0.2:  # initial actions run on default entry only
                    config["initial"] = {"target": config["initial"], "actions": [self.tag("i")]}
        if rng.random() < 0.5:
            config["entry"] = [self.tag("e")]
        if rng.random() < 0.5:
            config["exit"] = [self.tag("x")]
        return config

    def transition(self, descriptor: str | None, targets: list[str]) -> dict[str, Any]:
        rng = self.rng
        t: dict[str, Any] = {}
        if self.parallels and rng.random() < 0.08:  # one target in each of two regions
            path, states = rng.choice(self.parallels)
            regions = rng.sample([k for k in states if k != "h"], 2)
            t["target"] = [
                "#" + rng.choice([i for i in targets if i == f"{path}.{r}" or i.startswith(f"{path}.{r}.")])
                for r in regions
            ]
        elif rng.random() < 0.75:
            t["target"] = "#" + rng.choice(targets)
        if rng.random() < 0.2:
            t["reenter"] = True
        roll = rng.random()
        if descriptor in (None, "*"):  # always, onDone and "*" (done events): spend fuel so that macrosteps end
            t["guard"] = {"type": "fuel", "params": {"mod": rng.choice((1, 2)), "r": 0}}
        elif roll < 0.35:
            t["guard"] = {"type": "nIs", "params": {"mod": rng.choice((2, 3)), "r": rng.randint(0, 1)}}
        elif roll < 0.39:
            t["guard"] = {"type": "boomGuard", "params": {"at": rng.randint(1, 6)}}
        elif roll < 0.5:
            t["guard"] = {"type": "kIs", "params": {"r": rng.randint(0, 1)}}
        actions: list[Any] = [{"type": "burn"}] if descriptor in (None, "*") else []
        for _ in range(rng.randint(0, 2)):
            roll = rng.random()
            if roll < 0.45:
                actions.append(self.tag("t"))
            elif roll < 0.65:
                actions.append({"type": "inc", "params": {"by": rng.choice((1, 2))}})
            elif roll < 0.75:
                actions.append({"type": "addK"})
            elif roll < 0.9 and descriptor in RAISES_OK:
                actions.append({"type": "raiseIt", "params": {"event": rng.choice(("R1", "R2"))}})
            elif roll >= 0.95:
                actions.append({"type": "boom", "params": {"at": rng.randint(1, 6)}})
        if descriptor == "after":
            t["guard"] = {"type": "tick"}
            actions.insert(0, {"type": "tock"})
        if self.timed and descriptor not in TIMED_EVENTS and rng.random() < 0.35:  # after the untimed draws
            actions.append(self.timed_action(descriptor))
        if actions:
            t["actions"] = actions
        return t

    def timed_action(self, descriptor: str | None) -> dict[str, Any]:
        """A delayed raise or sendTo (to this machine), or a cancel of one, with params."""
        rng = self.rng
        event = rng.choice(TIMED_EVENTS)
        roll = rng.random()
        if roll < 0.3:
            return {"type": "raiseLater", "params": {"event": event, "delay": rng.choice(ACTION_DELAYS)}}
        if roll < 0.45:
            return {"type": "raiseSlow", "params": {"event": event}}
        if roll < 0.7:
            return {"type": "sendLater", "params": {"to": "#_self", "event": event, "delay": rng.choice(ACTION_DELAYS)}}
        if roll < 0.8 and descriptor in RAISES_OK:  # sent at once: only where raising cannot loop
            return {"type": "sendNow", "params": {"to": "#_self", "event": rng.choice(("R1", "R2"))}}
        return {"type": "cancelIt", "params": {"id": rng.choice(("late", "late2"))}}

    def after(self, targets: list[str]) -> dict[str, Any]:
        """An ``after`` map: one or two delays (milliseconds or a delay name), keys in the order
        JavaScript lists them (integer keys ascending, then names in insertion order)."""
        keys = self.rng.sample(AFTER_DELAYS, self.rng.randint(1, 2))
        keys.sort(key=lambda k: (0, int(k)) if k.isdigit() else (1, 0))
        return {k: self.transition("after", targets) for k in keys}


def generate_chart(seed: int, timed: bool = False) -> dict[str, Any]:
    """One random chart and its events: ``{"seed", "config", "events"}`` (deterministic per seed).
    ``timed`` charts also have ``after`` transitions, delayed raises and sends, cancels, and
    ``{"advance": ms}`` steps among their events (the clock moves that far).

    >>> generate_chart(7) == generate_chart(7), len(generate_chart(7)["events"])
    (True, 20)
    """
    rng = random.Random(seed)
    builder = _Builder(rng, timed)
    root_kind = "parallel" if rng.random() < 0.25 else "compound"
    root = builder.node("m", 0, root_kind)
    root_final = root_kind == "compound" and "f" in root["states"]
    if root_final and rng.random() < 0.6:  # a top-level final state ends most runs early: keep it rarer
        del root["states"]["f"]
        builder.states = [(i, c) for i, c in builder.states if i != "m.f"]
    targets = [i for i, _ in builder.states] + builder.histories
    if rng.random() < 0.1:
        targets.append("m")
    for _, config in [("m", root), *builder.states]:
        if config.get("type") in ("final", "history"):
            continue
        on: dict[str, Any] = {}
        for descriptor in rng.sample(DESCRIPTORS, rng.randint(0, 3)):
            if rng.random() < 0.25:
                on[descriptor] = [builder.transition(descriptor, targets) for _ in range(2)]
            else:
                on[descriptor] = builder.transition(descriptor, targets)
        if on:
            config["on"] = on
        if rng.random() < 0.2:
            config["always"] = builder.transition(None, targets)
        if "states" in config and rng.random() < 0.3:
            config["onDone"] = builder.transition(None, targets)
        if timed and rng.random() < 0.35:
            config["after"] = builder.after(targets)
    on = root.setdefault("on", {})
    on["FUEL"] = {"actions": [{"type": "refuel"}, {"type": "rewind"}] if timed else [{"type": "refuel"}]}
    context: dict[str, Any] = {"n": 0, "fuel": 4, "log": []} | ({"ticks": TICKS} if timed else {})
    config = {"id": "m", "context": context, **root}
    events: list[Any] = [rng.choice(EVENTS) for _ in range(EVENTS_PER_RUN)]
    events = [{"type": e, "k": rng.randint(0, 3)} if rng.random() < 0.3 else e for e in events]  # payloads
    if timed:
        events = [{"advance": rng.choice(ADVANCES)} if rng.random() < 0.4 else e for e in events]
    return {"seed": seed, "config": config, "events": events}


def charts() -> st.SearchStrategy[dict[str, Any]]:
    """The random charts as a hypothesis strategy (a chart per seed)."""
    return st.integers(min_value=0, max_value=2**32 - 1).map(generate_chart)


def _k(event: Any) -> int:
    """The event's ``k`` (0 without one: raised and done events), as ``event.k ?? 0`` reads it."""
    data = event.data
    return int(data.get("k", 0)) if hasattr(data, "get") else 0


def _boom(context: Any, event: Any, params: Any) -> dict[str, Any]:
    if context["n"] == params["at"]:
        raise RuntimeError("boom")
    return {}


def _boom_guard(context: Any, event: Any, params: Any) -> bool:
    if context["n"] == params["at"]:
        raise RuntimeError("boom guard")
    return True


ACTIONS: dict[str, Any] = {
    "push": assign(log=lambda c, e, p: (*c["log"], p["tag"])),
    "inc": assign(n=lambda c, e, p: c["n"] + p["by"]),
    "burn": assign(fuel=lambda c, e: c["fuel"] - 1),
    "addK": assign(n=lambda c, e: c["n"] + _k(e)),
    "refuel": assign(fuel=4),
    "tock": assign(ticks=lambda c, e: c["ticks"] - 1),
    "rewind": assign(ticks=TICKS),
    "raiseIt": raise_(lambda c, e, p: {"type": p["event"]}),
    "boom": assign(_boom),
    "raiseLater": raise_(lambda c, e, p: {"type": p["event"]}, delay=lambda c, e, p: p["delay"], id="late"),
    "raiseSlow": raise_(lambda c, e, p: {"type": p["event"]}, delay="slow"),
    "sendLater": send_to(
        lambda c, e, p: p["to"], lambda c, e, p: {"type": p["event"]}, delay=lambda c, e, p: p["delay"], id="late2"
    ),
    "sendNow": send_to(lambda c, e, p: p["to"], lambda c, e, p: {"type": p["event"]}),
    "cancelIt": cancel(lambda c, e, p: p["id"]),
}
DELAYS: dict[str, Any] = {"slow": 200, "byN": lambda c, e: 50 + 10 * (c["n"] % 5)}
GUARDS: dict[str, Any] = {
    "nIs": lambda c, e, p: c["n"] % p["mod"] == p["r"],
    "fuel": lambda c, e, p: c["fuel"] > 0 and c["n"] % p["mod"] == p["r"],
    "boomGuard": _boom_guard,
    "kIs": lambda c, e, p: _k(e) % 2 == p["r"],
    "tick": lambda c, e: c["ticks"] > 0,
}


def machine_for(chart: dict[str, Any], semantics: str = "xstate") -> Machine:
    """The chart as a `Machine` with the implementations the recorder gives xstate."""
    return Machine(chart["config"], actions=ACTIONS, guards=GUARDS, delays=DELAYS, semantics=semantics)


def plain(value: Any) -> Any:
    """JSON-shaped data (tuples as lists) for comparing with xstate's recording."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: plain(v) for k, v in value.items()}
    return value


def replay(chart: dict[str, Any], semantics: str = "xstate") -> list[dict[str, Any]]:
    """Value, context and status after start and after each event, as the recorder writes them."""
    machine = machine_for(chart, semantics)
    snapshot = machine.initial_state()
    seen = [observed(snapshot)]
    for name in chart["events"]:
        if snapshot.status == "active":
            snapshot = machine.transition(snapshot, name)
        seen.append(observed(snapshot))
    return seen


def replay_timed(chart: dict[str, Any], semantics: str = "xstate") -> list[dict[str, Any]]:
    """`replay` through an actor on a `VirtualClock`: an ``{"advance": ms}`` step moves the clock,
    firing the delayed events that fall due, in due order."""
    clock = VirtualClock()
    actor = machine_for(chart, semantics).interpret(clock=clock).start()
    seen = [observed(actor.state)]
    for step in chart["events"]:
        if isinstance(step, dict) and "advance" in step:
            clock.advance(step["advance"])
        elif actor.state.status == "active":
            actor.send(step)
        seen.append(observed(actor.state))
    return seen


def observed(snapshot: Any) -> dict[str, Any]:
    """Value, context and status as JSON data (what the recorder writes per snapshot)."""
    return {"value": plain(snapshot.value), "context": plain(snapshot.context), "status": snapshot.status}


RECORDER = Path(__file__).resolve().parents[2] / "benchmarks" / "xstate" / "record_charts.mjs"
RECORDING = Path(__file__).resolve().parent / "data" / "xstate_runs.json.gz"
CHARTS = 2000
TIMED_RECORDING = Path(__file__).resolve().parent / "data" / "xstate_timed_runs.json.gz"
TIMED_CHARTS = 500  # timed charts replay through an actor on a VirtualClock: slower, so fewer


def xstate_version() -> str | None:
    """The version of xstate installed beside the recorder, or None (no node, or not installed)."""
    package = RECORDER.parent / "node_modules" / "xstate" / "package.json"
    if shutil.which("node") is None or not package.exists():
        return None
    return str(json.loads(package.read_text())["version"])


def record(charts: list[dict[str, Any]], timeout: float = 120) -> list[list[dict[str, Any]]]:
    """Run the charts on xstate in one node process: the observations per chart."""
    done = subprocess.run(
        ["node", str(RECORDER)],
        input=json.dumps(charts),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        cwd=RECORDER.parent,
    )
    runs: list[list[dict[str, Any]]] = json.loads(done.stdout)
    return runs


def load_recording(path: Path = RECORDING) -> dict[str, Any]:
    """The committed recording: ``{"xstate": version, "charts": n, "runs": [...]}``."""
    with gzip.open(path, "rt") as f:
        data: dict[str, Any] = json.load(f)
    return data


def main() -> None:
    """Re-record the committed recording (needs node and ``npm install`` in benchmarks/xstate)."""
    version = xstate_version()
    if version is None:
        raise SystemExit("node and xstate are needed: run .ci/install.d/xstate.sh")
    for path, count, timed in ((RECORDING, CHARTS, False), (TIMED_RECORDING, TIMED_CHARTS, True)):
        runs = record([generate_chart(seed, timed) for seed in range(count)])
        with gzip.open(path, "wt") as f:
            json.dump({"xstate": version, "charts": count, "runs": runs}, f, separators=(",", ":"))


def compare(timed_count: int = TIMED_CHARTS) -> None:
    """Print how often each mode agrees with xstate recorded now, per run and per observation,
    on the 2,000 charts and on ``timed_count`` timed ones (needs node and xstate)."""
    if xstate_version() is None:
        raise SystemExit("node and xstate are needed: run .ci/install.d/xstate.sh")
    print("xstate", xstate_version())
    for timed, count in ((False, CHARTS), (True, timed_count)):
        charts = [generate_chart(seed, timed) for seed in range(count)]
        theirs = record(charts, timeout=900)
        for semantics in ("xstate", "scxml"):
            ours = [(replay_timed if timed else replay)(chart, semantics) for chart in charts]
            runs = sum(a == b for a, b in zip(ours, theirs, strict=True))
            seen = sum(x == y for a, b in zip(ours, theirs, strict=True) for x, y in zip(a, b, strict=True))
            total = sum(len(b) for b in theirs)
            print(
                f"{'timed' if timed else 'untimed'} charts={count} semantics={semantics}: runs agreeing "
                f"{runs}/{count} ({100 * runs / count:.1f}%), observations agreeing {seen}/{total} "
                f"({100 * seen / total:.1f}%)"
            )


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["compare"]:  # python -m tests.interop.xstate_charts compare [timed charts]
        compare(*(int(a) for a in sys.argv[2:3]))
    else:
        main()
