"""`check`: walk a model and decide its invariants, deadlocks and temporal properties."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from statecharts.chart import Transition
from statecharts.check.graph import (
    Bounds,
    Progress,
    StateGraph,
    collector_paused,
    evaluate,
    explore,
    predicate_error,
    step_predicate,
)
from statecharts.check.liveness import Lasso, LivenessChecker
from statecharts.check.model import Model, StepPredicate, bare_model, child_machines
from statecharts.check.properties import LeadsTo
from statecharts.check.symmetry import canonical_key_function, orbit_size_function
from statecharts.check.trace import Trace, TraceStep
from statecharts.errors import ConfigError
from statecharts.event import Event
from statecharts.machine import Machine
from statecharts.state import Snapshot


@dataclass(frozen=True)
class Result:
    """The verdict on one property: ``kind`` is ``invariant``, ``deadlock`` or ``temporal``.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> pump = Machine({"id": "pump", "initial": "idle", "states": {
    ...     "idle": {"on": {"RUN": "busy"}}, "busy": {"on": {"HALT": "idle"}}}})
    >>> known = {"known": lambda s: s.matches("idle") or s.matches("busy")}
    >>> check(Model(pump, alphabet=events("RUN") + events("HALT"), invariants=known)).results
    [Result(name='known', kind='invariant', holds=True, trace=None, note=''),
     Result(name='deadlock', kind='deadlock', holds=True, trace=None, note='')]
    """

    name: str
    kind: str
    holds: bool
    trace: Trace | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain data: name, kind, verdict, the trace's steps (or ``None``), and the note when there is one.

        >>> Result("up", "temporal", True, note="on the expanded part only").to_json()
        {'name': 'up', 'kind': 'temporal', 'holds': True, 'trace': None, 'note': 'on the expanded part only'}
        """
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "holds": self.holds,
            "trace": None if self.trace is None else self.trace.to_json(),
        }
        if self.trace is not None and self.trace.cycle_start is not None:
            out["cycle_start"] = self.trace.cycle_start
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class ActionCoverage:
    """One chart transition in TLC's coverage table: the steps that took it (``taken``) and the
    distinct states first found by those steps (``found``).

    >>> ActionCoverage("pump.idle --RUN--> pump.busy", 3, 1).to_json()
    {'transition': 'pump.idle --RUN--> pump.busy', 'taken': 3, 'found': 1}
    """

    transition: str
    taken: int
    found: int

    def to_json(self) -> dict[str, Any]:
        """Plain data: the transition's description and both counts."""
        return {"transition": self.transition, "taken": self.taken, "found": self.found}


@dataclass(frozen=True)
class Coverage:
    """Chart states never active and transitions never taken in the walk, and per transition how
    often it was taken and how many new states it found (``actions``, in chart order).

    >>> from statecharts import Machine
    >>> hall = Machine({"id": "hall", "initial": "in", "states": {
    ...     "in": {"on": {"EXIT": "out"}}, "out": {}, "attic": {"on": {"DOWN": "in"}}}})
    >>> cover = check(hall).coverage
    >>> cover.states_never_active, cover.transitions_never_taken
    (('hall.attic',), ('hall.attic --DOWN--> hall.in',))
    >>> [(a.transition, a.taken, a.found) for a in cover.actions]
    [('hall.in --EXIT--> hall.out', 1, 1), ('hall.attic --DOWN--> hall.in', 0, 0)]
    """

    states_never_active: tuple[str, ...]
    transitions_never_taken: tuple[str, ...]
    actions: tuple[ActionCoverage, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data: both tuples as lists, and the coverage table under ``actions``.

        >>> Coverage(("t.c",), ()).to_json()
        {'states_never_active': ['t.c'], 'transitions_never_taken': [], 'actions': []}
        """
        return {
            "states_never_active": list(self.states_never_active),
            "transitions_never_taken": list(self.transitions_never_taken),
            "actions": [a.to_json() for a in self.actions],
        }

    def table(self) -> str:
        """TLC's coverage table: taken and new states per transition, widest first column aligned.

        >>> rows = (ActionCoverage("t.a --GO--> t.b", 12, 3), ActionCoverage("t.b --UP--> t.a", 0, 0))
        >>> print(Coverage((), (), rows).table())
          transition       taken  new states
          t.a --GO--> t.b     12           3
          t.b --UP--> t.a      0           0
        """
        width = max((len(a.transition) for a in self.actions), default=10)
        lines = [f"  {'transition':<{width}} {'taken':>9} {'new states':>11}"]
        lines += [f"  {a.transition:<{width}} {a.taken:>9,} {a.found:>11,}" for a in self.actions]
        if any(ALIKE_SUFFIX.search(a.transition) for a in self.actions):
            lines.append(f"  {ALIKE}")
        return "\n".join(lines)


ALIKE_SUFFIX = re.compile(r" \[\d+ of \d+\]$")  # what `transition_labels` adds to transitions alike
ALIKE = "[k of n]: the k-th of n transitions with the same source, trigger and targets, in document order"


@dataclass
class Report:
    """What a walk found, with its statistics.

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import Model, events
    >>> jar = Machine({"id": "jar", "context": {"n": 0}, "initial": "open", "states": {
    ...     "open": {"on": {"ADD": {"guard": lambda c, e: c["n"] < 2, "actions": assign(n=lambda c, e: c["n"] + 1)},
    ...                     "SEAL": "sealed"}},
    ...     "sealed": {"type": "final"}}})
    >>> report = check(Model(jar, alphabet=events("ADD") + events("SEAL"),
    ...                      invariants={"at most 1": lambda s: s.context["n"] <= 1}))
    >>> report.distinct_states, report.depth, report.complete, report.ok
    (6, 3, True, False)
    >>> [step.snapshot.context["n"] for step in report.result("at most 1").trace]
    [0, 1, 2]
    """

    model: str
    distinct_states: int
    transitions: int
    depth: int
    complete: bool
    seconds: float
    results: list[Result] = field(default_factory=list)
    coverage: Coverage | None = None
    stopped_by: str | None = None
    fairness: bool = True
    symmetry: dict[str, Any] | None = None
    graph: StateGraph | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (build, explore, properties)
    fingerprints: dict[str, Any] | None = None  # the fingerprint walk's memory and collision figures
    actors: dict[str, Any] | None = None  # an actor system's walk: the actors that ran (statecharts.check.system)

    @property
    def states_per_second(self) -> float:
        """The walk's speed: states over the seconds of the ``explore`` phase (of them all when the
        phases are not known; infinite when it took no measurable time).

        >>> Report("m", 100, 150, 4, True, 2.0).states_per_second, Report("m", 1, 0, 0, True, 0.0).states_per_second
        (50.0, inf)
        """
        seconds = self.phases.get("explore", self.seconds)
        return self.distinct_states / seconds if seconds > 0 else float("inf")

    @property
    def ok(self) -> bool:
        """Every property holds.

        >>> Report("m", 3, 2, 1, True, 0.1, results=[Result("a", "invariant", True),
        ...                                           Result("b", "deadlock", False)]).ok
        False
        """
        return all(r.holds for r in self.results)

    def result(self, name: str) -> Result:
        """The result named ``name`` (a `KeyError` lists the names there are).

        >>> report = Report("m", 1, 0, 0, True, 0.1, results=[Result("safe", "invariant", True)])
        >>> report.result("safe").holds
        True
        >>> report.result("sane")
        Traceback (most recent call last):
        KeyError: "no result 'sane'; results: safe"
        """
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no result {name!r}; results: {', '.join(r.name for r in self.results)}")

    def result_json(self, result: Result) -> dict[str, Any]:
        """A result as plain data with its ``verdict``: "holds", "violated", or "not proved" (the
        walk stopped early and found no violation: ``holds`` is then ``None``, never ``True``)."""
        out = result.to_json()
        if not result.holds:
            out["verdict"] = "violated"
        elif self.complete:
            out["verdict"] = "holds"
        else:
            out["holds"], out["verdict"] = None, "not proved"
        return out

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``: statistics, every `Result.to_json`, coverage and symmetry.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> ring = Machine({"id": "ring", "initial": "r0", "states": {
        ...     "r0": {"on": {"NEXT": "r1"}}, "r1": {"on": {"NEXT": "r2"}}, "r2": {"on": {"NEXT": "r0"}}}})
        >>> data = check(Model(ring, alphabet=events("NEXT")), max_states=2).to_json()
        >>> data["distinct_states"], data["complete"], data["stopped_by"], [r["name"] for r in data["results"]]
        (2, False, 'state bound 2', ['deadlock'])
        >>> data["results"][0]["holds"], data["results"][0]["verdict"]  # a stopped walk proves nothing
        (None, 'not proved')
        """
        out: dict[str, Any] = {
            "model": self.model,
            "distinct_states": self.distinct_states,
            "transitions": self.transitions,
            "depth": self.depth,
            "complete": self.complete,
            "seconds": round(self.seconds, 3),
            "states_per_second": round(self.states_per_second, 1),
            "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()},
            "stopped_by": self.stopped_by,
            "fairness": self.fairness,
            "results": [self.result_json(r) for r in self.results],
        }
        if self.symmetry is not None:
            out["symmetry"] = self.symmetry
        if self.fingerprints is not None:
            out["fingerprints"] = self.fingerprints
        if self.actors is not None:
            out["actors"] = self.actors
        if self.coverage is not None:
            out["coverage"] = self.coverage.to_json()
        return out

    def format(self, actions: bool = False) -> str:
        """A short human report (with ``actions``: TLC's coverage table, `Coverage.table`).

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> tap = Machine({"id": "tap", "initial": "shut", "states": {"shut": {"on": {"TURN": "running"}},
        ...                                                           "running": {}, "broken": {}}})
        >>> print(check(Model(tap, alphabet=events("TURN"), terminal=lambda s: s.matches("running"))).format())
        model tap
          2 distinct states, 1 transitions, depth 1, ... states/s)
          deadlock  deadlock: holds
          states never active: tap.broken
        """
        phases = (
            ", ".join(f"{name} {seconds:.2f}" for name, seconds in self.phases.items()) if len(self.phases) > 1 else ""
        )
        lines = [
            f"model {self.model}",
            f"  {self.distinct_states:,} distinct states, {self.transitions:,} transitions, depth "
            f"{self.depth}, {self.seconds:.2f} s ({f'{phases}; ' if phases else ''}"
            f"{self.states_per_second:,.0f} states/s)"
            + ("" if self.complete else f"; INCOMPLETE: {stop_phrase(self.stopped_by)}"),
        ]
        if self.symmetry is not None:
            lines.append(f"  symmetry: {self.symmetry['note']}")
        if self.fingerprints is not None:
            lines.append(
                f"  fingerprints: {self.fingerprints['fingerprint_bytes_per_state']} bytes a state in the "
                f"fingerprint set (states and parent links on disk; the compiled chart and the level being "
                f"expanded come on top), "
                f"{self.fingerprints['states_generated']:,} states generated, probability of a "
                f"fingerprint collision {self.fingerprints['collision_probability']:.2g} (TLC's optimistic "
                f"estimate)"
            )
            if self.fingerprints.get("workers", 1) > 1 and "partition" in self.fingerprints:
                lines.append(
                    f"  workers: {self.fingerprints['workers']} partitions, states given out by "
                    f"{'state fingerprint' if self.fingerprints['partition'] == 'state' else 'configuration'}; "
                    f"per level the largest partition held "
                    f"{self.fingerprints['level_imbalance']:.1%} more states than the mean"
                    + (
                        f" ({self.fingerprints['states_shared']:,} states expanded by a worker that "
                        f"does not own them, work sharing)"
                        if self.fingerprints.get("states_shared")
                        else ""
                    )
                    + f"; {self.fingerprints['bytes_sent_per_state']} bytes a state sent between them"
                )
        if self.actors is not None:
            lines.append(f"  actors: {self.actors['note']}")
        if not self.fairness:
            lines.append("  fairness: off (--no-fairness)")
        for r in self.results:
            verdict = (
                "holds"
                if r.holds
                else "NOT CHECKED"
                if r.trace is None and r.note.startswith(NOT_CHECKED)
                else "VIOLATED"
            )
            note = r.note
            if r.holds and not self.complete:  # not proved: only the states explored were checked
                note = "" if note.startswith("on the expanded part only") else note
                verdict = (
                    f"no violation in the {self.distinct_states:,} states explored "
                    f"(INCOMPLETE: not proved{'; ' + note if note else ''})"
                )
                note = ""  # one remark, not two in a row
            lines.append(f"  {r.kind:9} {r.name}: {verdict}" + (f" ({note})" if note else ""))
            if r.trace is not None:
                lines.extend("      " + line for line in r.trace.format(context=True).splitlines())
        if self.coverage is not None:
            if self.coverage.states_never_active:
                lines.append("  states never active: " + ", ".join(self.coverage.states_never_active))
            if self.coverage.transitions_never_taken:
                lines.append("  transitions never taken: " + ", ".join(self.coverage.transitions_never_taken))
            if actions:
                lines.append("  coverage:")
                lines.append(self.coverage.table())
        return "\n".join(lines)


def stop_phrase(reason: str | None) -> str:
    """How the report says what stopped the walk: a bound's name after "stopped by", a reason
    that says it itself (Ctrl-C, a simulation, the first violation) as it is.

    >>> stop_phrase("depth bound 10000"), stop_phrase("interrupted (Ctrl-C)")
    ('stopped by depth bound 10000', 'interrupted (Ctrl-C)')
    """
    reason = reason or "a bound"
    return reason if reason.startswith(SELF_DESCRIBED) else f"stopped by {reason}"


SELF_DESCRIBED = ("interrupted", "stopped", "simulation")  # stop reasons that read on their own
NO_STATE = "evaluated on no state: no state was expanded (bounds or constraint)"
NOT_CHECKED = "not checked"  # how the note of a result that could not be decided starts (it does not hold)
POLL_EVERY = 4096  # state predicate evaluations between two calls of check's stop() in the temporal phase


class _Stopped(Exception):
    """check's ``stop()`` gave a reason in the middle of a temporal property."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check(
    model: Model | Machine,
    *,
    max_states: int | None = None,
    max_depth: int | None = None,
    max_seconds: float | None = None,
    fairness: bool = True,
    symmetry: bool = False,
    temporal: bool = True,
    deadlock: bool = True,
    progress: Progress | None = None,
    stop: Callable[[], str | None] | None = None,
    phase: Callable[[str], None] | None = None,
    initial: Sequence[Snapshot] | None = None,
    compact: bool = False,
) -> Report:
    """Walk ``model`` exhaustively (or to a bound) and decide its properties.

    ``stop()`` is polled during the walk and before each temporal property: a reason (a str) ends
    the walk there (`Report.stopped_by`); the temporal properties not checked yet are left out and
    named in ``stopped_by``. ``phase(name)`` is told each phase as it starts (``explore``,
    ``temporal 1/4: Name``); `Report.phases` has the seconds of ``explore`` (with the invariants) and
    ``properties`` (deadlock, temporal properties, coverage), and `Report.seconds` their sum.

    A chart that invokes or spawns machines is checked as the actor system it runs as
    (`statecharts.check.system.check_system`: predicates read a `SystemState`; no ``symmetry``,
    no ``initial``; ``progress`` is not called).

    ``initial`` starts the walk from those snapshots (e.g. restored from a store) instead of the
    model's initial states. Action properties (``model.action_properties``) are decided on every
    step between different states; their results have ``kind`` ``action``. ``compact=True`` keeps
    the state graph in its compact form (`statecharts.check.compact`: a few hundred bytes a state;
    the same counts, verdicts and traces).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> r = check(Model(m, alphabet=events("GO"), invariants={"never b": lambda s: not s.matches("b")}))
    >>> r.distinct_states, r.result("never b").holds, len(r.result("never b").trace)
    (2, False, 2)
    >>> r.result("deadlock").holds
    False
    """
    if isinstance(model, Machine):  # a bare machine: every event name, no properties but deadlock
        model = bare_model(model)
    children = child_machines(model.machine)
    if children:  # the walk below sees one machine: a chart that starts others is checked as its actor system
        if symmetry or initial is not None:
            raise ConfigError(
                f"machine {model.machine.id!r} starts child machines ({'; '.join(children)}): its actor "
                f"system is checked from its initial state, without symmetry",
                key="symmetry",
            )
        from statecharts.check.system import check_system  # it builds on this module's Report

        return check_system(
            model,
            max_states=max_states,
            max_depth=max_depth,
            max_seconds=max_seconds,
            fairness=fairness,
            temporal=temporal,
            deadlock=deadlock,
            stop=stop,
            phase=phase,
        )
    with collector_paused():  # the liveness passes too: a full collection would traverse the whole graph
        return _check(
            model,
            max_states,
            max_depth,
            max_seconds,
            fairness,
            symmetry,
            temporal,
            deadlock,
            progress,
            stop,
            phase,
            initial,
            compact,
        )


def _check(
    model: Model,
    max_states: int | None,
    max_depth: int | None,
    max_seconds: float | None,
    fairness: bool,
    symmetry: bool,
    temporal: bool,
    deadlock: bool,
    progress: Progress | None,
    stop: Callable[[], str | None] | None,
    phase: Callable[[str], None] | None,
    initial: Sequence[Snapshot] | None,
    compact: bool = False,
) -> Report:
    first_violation: dict[str, int] = {}
    invariants = list(model.invariants.items())
    unbroken = list(invariants)  # those no state has broken yet, in the model's order

    def on_state(i: int, snapshot: Any) -> None:
        name = ""
        try:
            for name, predicate in unbroken:
                if not predicate(snapshot):
                    first_violation[name] = i
        except Exception as exc:  # noqa: BLE001 - the model's own code: report where it failed
            raise predicate_error("invariant", name, snapshot, exc) from exc
        if first_violation and len(first_violation) + len(unbroken) > len(invariants):
            unbroken[:] = [(name, predicate) for name, predicate in unbroken if name not in first_violation]

    started = time.perf_counter()
    if phase is not None:
        phase("explore")
    graph = explore(
        model,
        Bounds(max_states, max_depth, max_seconds, stop),
        symmetry=symmetry,
        on_state=on_state,
        progress=progress,
        initial=initial,
        compact=compact,
    )
    report = Report(
        model.name or model.machine.id,
        len(graph.states),
        graph.transitions,
        graph.max_depth,
        graph.complete,
        graph.seconds,
        stopped_by=graph.stopped_by,
        fairness=fairness,
        graph=graph,
    )
    explored = time.perf_counter()
    report.phases["explore"] = explored - started
    for name, _ in invariants:
        i = first_violation.get(name)
        report.results.append(
            Result(name, "invariant", i is None, None if i is None else trace_of(graph, graph.path_to(i)))
        )
    if graph.first_raised is not None:
        report.results.append(_raised(graph, *graph.first_raised))
    for name, predicate in model.action_properties.items():
        report.results.append(_action_property(graph, name, predicate))
    if deadlock:
        report.results.append(_deadlock(model, graph))
    if temporal and model.properties:
        checker = LivenessChecker(graph, model.fairness if fairness else ())
        cache: dict[tuple[int, int], bool] = {}
        names = {
            id(p): name
            for name, prop in model.properties.items()
            for p in (
                getattr(prop, "predicate", None),
                getattr(prop, "premise", None),
                getattr(prop, "consequence", None),
            )
            if p is not None
        }

        evaluations = 0

        def holds(predicate: Callable[..., bool], i: int) -> bool:
            nonlocal evaluations
            key = (id(predicate), i)
            found = cache.get(key)
            if found is None:
                evaluations += 1
                if stop is not None and evaluations % POLL_EVERY == 0 and (reason := stop()) is not None:
                    raise _Stopped(reason)  # Ctrl-C or a bound within one long property
                found = cache[key] = evaluate("property", names.get(id(predicate), "?"), predicate, graph.states[i])
            return found

        cut = not all(graph.expanded)
        note = "" if not cut else "on the expanded part only (bounds or constraint)"
        if not any(graph.expanded):
            note = NO_STATE
        if graph.symmetric:
            note = "; ".join(filter(None, [note, "with symmetry: a violation can be hidden"]))
        for k, (name, prop) in enumerate(model.properties.items()):
            reason = None if stop is None else stop()
            if reason is None:
                if phase is not None:
                    phase(f"temporal {k + 1}/{len(model.properties)}: {name}")
                try:
                    lasso = checker.violation(prop, holds)
                except _Stopped as stopped:
                    reason = stopped.reason
            if reason is not None:
                left = ", ".join(list(model.properties)[k:])
                report.complete = False
                report.stopped_by = f"{report.stopped_by or reason}; temporal properties not checked: {left}"
                break
            trace = None if lasso is None else _lasso_trace(graph, lasso)
            if trace is not None and graph.symmetric:
                trace = _concrete_lasso(model, trace)
            vacuous = (
                lasso is None
                and isinstance(prop, LeadsTo)
                and not any(holds(prop.premise, i) for i in range(len(graph.states)))
            )
            said = "; ".join(filter(None, [note, "vacuous: its premise holds in no state reached" if vacuous else ""]))
            report.results.append(Result(name, "temporal", lasso is None, trace, said))
    report.coverage = coverage(graph)
    if graph.symmetric:
        report.symmetry = _symmetry_summary(model, graph)
    report.phases["properties"] = time.perf_counter() - explored  # deadlock, temporal, coverage
    report.seconds = sum(report.phases.values())
    return report


def _symmetry_summary(model: Model, graph: StateGraph) -> dict[str, Any]:
    """Representatives stored, the states they stand for, and what that saved."""
    size = orbit_size_function(model)
    stored = len(graph.states)
    summary: dict[str, Any] = {"representatives": stored}
    if size is None:
        summary["note"] = f"{stored} representative states stored (model's own canonicalize)"
    else:
        full = sum(size(s) for s in graph.states)
        summary.update(represented=full, saved=full - stored)
        summary["note"] = (
            f"{stored} representatives stand for {full} states ({full - stored} saved, "
            f"{full / stored:.1f}x); sound for invariants, may hide temporal violations"
        )
    return summary


def _raised(graph: StateGraph, i: int, e: int | None, after: Snapshot, what: str) -> Result:
    """The steps in which a guard or action raised and nothing took ``error.execution``: a violation
    with the first one's trace (state ``i``, then event ``e`` to ``after``; ``what`` raised), such a
    step would otherwise pass for a stutter."""
    if i < 0 or e is None:  # entering the initial state raised
        steps: tuple[TraceStep, ...] = (TraceStep(None, after),)
    else:
        steps = (*trace_of(graph, graph.path_to(i)).steps, TraceStep(graph.events[e], after))
    plural = "step" if graph.raised == 1 else "steps"
    return Result(
        "no step raises", "error", False, Trace(tuple(steps)), f"{graph.raised:,} {plural} raised; the first: {what}"
    )


def _action_property(graph: StateGraph, name: str, predicate: StepPredicate) -> Result:
    """``[][P]_vars`` on every edge of the graph; states in breadth-first order, so the first step
    that breaks P ends a shortest trace."""
    holds = step_predicate("action property", name, predicate)
    states, events = graph.states, graph.events
    for i, out in enumerate(graph.edges):
        for e, j in out:
            if not holds(states[i], events[e], states[j]):
                steps = trace_of(graph, graph.path_to(i)).steps + (TraceStep(events[e], states[j]),)
                return Result(name, "action", False, Trace(steps))
    return Result(name, "action", True)


def _deadlock(model: Model, graph: StateGraph) -> Result:
    terminal = model.terminal
    for i in graph.dead_ends:  # the active states expanded without a step, in the order walked
        if terminal is None or not evaluate("terminal", "terminal", terminal, graph.states[i]):
            return Result("deadlock", "deadlock", False, trace_of(graph, graph.path_to(i)))
    if not any(graph.expanded):
        return Result("deadlock", "deadlock", True, note=NO_STATE)
    return Result("deadlock", "deadlock", True)


def trace_of(graph: StateGraph, path: list[tuple[int | None, int]]) -> Trace:
    """A `Trace` from a path of ``(event index, state index)`` pairs.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> g = explore(Model(m, alphabet=events("GO")))
    >>> print(trace_of(g, g.path_to(1)).format())
    0. initial: a
    1. GO -> b
    """
    return Trace(tuple(TraceStep(None if e is None else graph.events[e], graph.states[i]) for e, i in path))


def _lasso_trace(graph: StateGraph, lasso: Lasso) -> Trace:
    """A `Trace` with ``cycle_start`` from a lasso (a stutter adds one last stutter step)."""
    steps = list(trace_of(graph, lasso.path).steps)
    if lasso.stutter:
        steps.append(TraceStep(None, steps[-1].snapshot, stutter=True))
    return Trace(tuple(steps), lasso.cycle_start)


def _concrete_lasso(model: Model, trace: Trace, max_rounds: int = 720) -> Trace:
    """A lasso found on representatives, replayed on real states.

    Under symmetry an edge leads to its target's representative, not to the state the event
    produces. Replaying picks, at each step, an event of the alphabet that really leads to a
    state of the same orbit (the recorded one first), and goes round the cycle until the real
    state comes back to where the cycle started (a permutation has a finite order).
    """
    key = canonical_key_function(model)
    machine, alphabet = model.machine, tuple(model.events())
    steps = [trace.steps[0]]

    def follow(target: Snapshot, preferred: Event | None) -> TraceStep:
        current, wanted = steps[-1].snapshot, key(target)
        for event in ([preferred] if preferred is not None else []) + list(alphabet):
            nxt = machine.transition(current, event)
            if nxt != current and key(nxt) == wanted:
                return TraceStep(event, nxt)
        raise AssertionError(f"no event leads from {current!r} into the orbit of {target!r}")

    start = trace.cycle_start if trace.cycle_start is not None else len(trace.steps)
    for step in trace.steps[1 : start + 1]:
        steps.append(follow(step.snapshot, step.event))
    cycle = trace.steps[start + 1 :]
    if not cycle or cycle[-1].stutter:
        steps.extend(TraceStep(None, steps[-1].snapshot, stutter=True) for _ in cycle)
        return Trace(tuple(steps), trace.cycle_start)
    anchor = steps[start].snapshot
    for _ in range(max_rounds):
        for step in cycle:
            steps.append(follow(step.snapshot, step.event))
        if steps[-1].snapshot == anchor:
            return Trace(tuple(steps), trace.cycle_start)
    return trace  # pragma: no cover - the permutation's order exceeds max_rounds


def coverage(graph: StateGraph) -> Coverage:
    """The chart's states never active and transitions never taken during the walk.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}, "c": {}}})
    >>> coverage(explore(Model(m, alphabet=events("GO")))).states_never_active
    ('t.c',)
    """
    machine = graph.model.machine
    active = graph.active_nodes()
    never = tuple(n.id for n in machine.states if n not in active and n.parent is not None)
    label = transition_labels([t for n in machine.states for t in n.transitions])
    untaken = tuple(label[t] for n in machine.states for t in n.transitions if t not in graph.fired)
    actions = tuple(
        ActionCoverage(label[t], graph.taken.get(t, 0), graph.found.get(t, 0))
        for n in machine.states
        for t in n.transitions
    )
    return Coverage(never, untaken, actions)


def transition_labels(transitions: Sequence[Transition]) -> dict[Transition, str]:
    """A distinct label for each transition: `Transition.describe`, and where several describe
    alike (same source, trigger and targets; guards tell them apart), ``[k of n]``: the k-th of
    them in document order.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "context": {"n": 0}, "states": {"a": {"on": {
    ...     "GO": [{"target": "b", "guard": lambda c, e: c["n"] > 0}, {"target": "b"}], "UP": "b"}}, "b": {}}})
    >>> list(transition_labels(m.get_state("m.a").transitions).values())
    ['m.a --GO--> m.b [1 of 2]', 'm.a --GO--> m.b [2 of 2]', 'm.a --UP--> m.b']
    """
    alike: dict[str, list[Transition]] = {}
    for t in transitions:
        alike.setdefault(t.describe(), []).append(t)
    labels = {}
    for text, group in alike.items():
        for k, t in enumerate(group, 1):
            labels[t] = text if len(group) == 1 else f"{text} [{k} of {len(group)}]"
    return labels
