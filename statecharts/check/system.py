"""`check` of a chart that invokes or spawns machines: its `Model` decided on the actor system.

The state graph is `statecharts.check.actors.explore_system`'s: a state is every actor's snapshot
with the messages in flight, a step is an event of the model's alphabet sent to the root or the
oldest message of one sender/receiver channel delivered. On that graph the model's properties are
decided as `statecharts.check.walker.check` decides them on one chart, with the same `Report`:

- ``invariants`` and ``terminal``/``constraint`` are predicates over a `SystemState`
  (``s.actor("w1")`` is the snapshot of actor ``w1``, ``None`` while it is not running);
- ``deadlock``: an expanded state with no step out of it (no message in flight, no event of the
  alphabet moves the root) while the root is active and ``terminal`` does not hold;
- ``properties`` (temporal) under ``fairness``, by `statecharts.check.liveness` on the same graph;
  fairness selects deliveries (`statecharts.check.actors.Delivery`): ``Fairness("weak", "DONE")``
  or `deliveries` (every message between actors, as the runtime's mailboxes guarantee).

The alphabet is only what the model lists (an empty one: the environment sends nothing, the actors
run on their own); the events the root takes from its children are not the environment's to send.
A bare machine (``check(machine)``, or a module with only a ``machine`` on the command line) is
walked over the root chart's event names but those (`statecharts.check.model.bare_model`).

A property that reads an actor (``s.actor(id)``) which is running in none of the states it was
evaluated on was not checked about that actor: it does not hold, its note says which actor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from statecharts.check.actors import Delivery, SystemGraph, SystemState, explore_system
from statecharts.check.graph import Bounds, collector_paused
from statecharts.check.liveness import Lasso, LivenessChecker
from statecharts.check.model import Fairness, Model
from statecharts.check.properties import LeadsTo
from statecharts.check.trace import STUTTER, Trace, TraceStep, event_text, leaves, states_text, value_text
from statecharts.check.walker import NO_STATE, Report, Result
from statecharts.errors import ConfigError, PredicateError
from statecharts.event import Event
from statecharts.state import Snapshot


def delivered(delivery: Delivery) -> bool:
    """The step is a message between actors (not an event of the environment)."""
    return delivery.sender is not None


def deliveries(kind: str = "weak") -> Fairness:
    """Fairness on every message between actors: each (sender, receiver, message) its own action.
    Weak, the default, is what the runtime's mailboxes give: a message waiting at the head of its
    channel is processed eventually.

    >>> deliveries().label, deliveries("strong").kind
    ('WF(delivered)', 'strong')
    """
    return Fairness(kind, delivered)


@dataclass(frozen=True, kw_only=True)
class ActorStep(TraceStep):
    """A step of an actor-system trace: ``receiver`` took ``event`` from ``sender`` (``None``: the
    environment), and ``system`` is every actor's state after it; ``snapshot`` is the root's (so a
    tool that reads one chart's traces sees the root).
    """

    sender: str | None = None
    receiver: str | None = None
    system: SystemState

    def to_json(self) -> dict[str, Any]:
        """`TraceStep.to_json` of the root, with ``sender``, ``receiver``, every actor's state and
        the messages in flight."""
        out = super().to_json()
        out["sender"], out["receiver"] = self.sender, self.receiver
        out["actors"] = {
            aid: {
                "status": s.status,
                **{k: v for k, v in TraceStep(None, s).to_json().items() if k in ("value", "configuration", "context")},
            }
            for aid, s in self.system.actors
        }
        out["in_flight"] = [
            {"from": s, "to": r, "events": [event_text(e) for e in queued]} for (s, r), queued in self.system.channels
        ]
        return out


class ActorTrace(Trace):
    """A trace of an actor system: each line says which actor took which event from whom, then
    every actor's state, the context keys that changed (per actor) and the messages in flight.

    >>> from statecharts import Machine
    >>> from statecharts.actions import send_parent
    >>> from statecharts.check import Model, check
    >>> kid = Machine({"id": "kid", "context": {"n": 1}, "initial": "a", "states": {"a": {"entry": send_parent("HI")}}})
    >>> mum = Machine({"id": "mum", "initial": "on", "states": {"on": {"invoke": {"src": kid, "id": "k"},
    ...                                                              "on": {"HI": "heard"}}, "heard": {}}})
    >>> report = check(Model(mum, invariants={"deaf": lambda s: s.actor("mum").matches("on")}))
    >>> print(report.result("deaf").trace.format(context=True))
    0. initial: k=a, mum=on
         k: n=1
         in flight: k->mum HI
    1. k -> mum: HI => mum=heard
         in flight: nothing
    """

    steps: tuple[ActorStep, ...]

    def format(self, context: bool = False) -> str:
        lines = []
        for i, step in enumerate(self.steps):
            states = ", ".join(_actor_text(aid, s) for aid, s in step.system.actors)
            if step.stutter:
                head = f"{STUTTER} {states}"
            elif step.event is None:
                head = f"initial: {states}"
            else:
                head = f"{step.sender or 'env'} -> {step.receiver}: {event_text(step.event)} => {states}"
            mark = "  <- cycle starts here" if self.cycle_start == i and not step.stutter else ""
            lines.append(f"{i}. {head}{mark}")
            if context and not step.stutter:
                before = self.steps[i - 1].system if i else None
                lines.extend(f"     {line}" for line in _changes(before, step.system))
        if self.cycle_start is not None and self.steps and not self.steps[-1].stutter:
            lines.append(f"   (back to step {self.cycle_start}, for ever)")
        return "\n".join(lines)


def _actor_text(actor_id: str, snapshot: Snapshot) -> str:
    flat = {f"{actor_id}.{k}" if k else actor_id: v for k, v in leaves(snapshot).items()}
    return states_text(flat) + ("" if snapshot.status == "active" else f" ({snapshot.status})")


def _changes(before: SystemState | None, after: SystemState) -> list[str]:
    """The context keys each actor's step changed (all of a new actor's), and what is in flight
    when that changed."""
    lines = []
    old = dict(before.actors) if before is not None else {}
    for aid, s in after.actors:
        was = old.get(aid)
        changed = {k: v for k, v in s.context.items() if was is None or k not in was.context or was.context[k] != v}
        if changed:
            lines.append(f"{aid}: " + ", ".join(f"{k}={value_text(v)}" for k, v in changed.items()))
    if before is None or before.channels != after.channels:
        flight = "; ".join(f"{s}->{r} " + ", ".join(event_text(e) for e in queued) for (s, r), queued in after.channels)
        lines.append(f"in flight: {flight or 'nothing'}")
    return lines


class _Predicates:
    """Evaluates the model's predicates on system states, caching per (predicate, state), and
    remembers per property name the actors it read and whether any was ever running."""

    def __init__(self, graph: SystemGraph, stop: Callable[[], str | None] | None) -> None:
        self.graph = graph
        self.cache: dict[tuple[str, int, int], bool] = {}  # (property, predicate, state)
        self.reads: dict[str, dict[str, bool]] = {}
        self.stop = stop
        self.evaluations = 0

    def on(self, kind: str, name: str, predicate: Callable[[Any], Any], state: SystemState) -> bool:
        reads = self.reads.setdefault(name, {})
        view = state.observed(reads)
        try:
            return bool(predicate(view))
        except Exception as exc:  # noqa: BLE001 - the model's own code: report where it failed
            raise PredicateError(
                f"{kind} {name!r} raised {type(exc).__name__}: {exc} in the actor system state {state.describe()!r}"
            ) from exc

    def at(self, name: str, predicate: Callable[[Any], Any], i: int) -> bool:
        key = (name, id(predicate), i)  # per property: each notes the actors it reads
        found = self.cache.get(key)
        if found is None:
            self.evaluations += 1
            if self.stop is not None and self.evaluations % 4096 == 0 and (reason := self.stop()) is not None:
                raise _Stopped(reason)
            found = self.cache[key] = self.on("property", name, predicate, self.graph.states[i])
        return found

    def named(self, name: str) -> Callable[[Callable[..., Any], int], bool]:
        """`at` for the predicates of property ``name``, as `LivenessChecker.violation` calls it."""

        def holds(predicate: Callable[..., Any], i: int) -> bool:
            return self.at(name, predicate, i)

        return holds

    def never_running(self, name: str) -> list[str]:
        """The actors property ``name`` read that were running in none of the states it saw."""
        return sorted(aid for aid, seen in self.reads.get(name, {}).items() if not seen)


class _Stopped(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_system(
    model: Model,
    *,
    max_states: int | None = None,
    max_depth: int | None = None,
    max_seconds: float | None = None,
    fairness: bool = True,
    temporal: bool = True,
    deadlock: bool = True,
    stop: Callable[[], str | None] | None = None,
    phase: Callable[[str], None] | None = None,
    compiled: bool = True,
) -> Report:
    """Walk the actor system ``model.machine`` runs as and decide the model's properties (see the
    module docstring); `statecharts.check.check` calls this for a chart that starts child machines.
    ``compiled=False`` takes every actor step as the full macrostep (`explore_system`'s option:
    the same report, slower; the tests compare the two).

    >>> from statecharts import Machine, assign
    >>> from statecharts.actions import send_parent
    >>> from statecharts.check import Model, eventually
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {"entry": send_parent("HI")}}})
    >>> mum = Machine({"id": "mum", "context": {"his": 0}, "initial": "on", "states": {"on": {
    ...     "invoke": [{"src": kid, "id": "k1"}, {"src": kid, "id": "k2"}],
    ...     "on": {"HI": {"actions": assign(his=lambda c, e: c["his"] + 1)}}}}})
    >>> both = eventually(lambda s: s.actor("mum").context["his"] == 2)
    >>> done = lambda s: s.actor("mum").context["his"] == 2
    >>> model = Model(mum, properties={"both heard": both}, terminal=done, fairness=[deliveries()])
    >>> print(check_system(model).format())
    model mum
      4 distinct states, 4 transitions, depth 2, ...
      actors: mum, k1, k2 (running at some point); messages in order per sender/receiver pair; ...
      deadlock  deadlock: holds
      temporal  both heard: holds
    >>> check_system(Model(mum, properties={"both heard": both}, terminal=done)).result("both heard").holds
    False
    """
    _refuse_unsupported(model)
    with collector_paused():  # as the single-chart check: the walk and the liveness passes
        root = model.machine.id
        started = time.perf_counter()
        if phase is not None:
            phase("explore")
        initial = list(
            dict.fromkeys(SystemState.initial(model.machine, root, context) for context in model.initial_contexts)
        )
        if not initial:
            raise ConfigError(
                f"model {model.name or root!r} has no initial state (its initial_contexts are empty): nothing to check",
                key="initial_contexts",
            )
        invariants = list(model.invariants.items())
        first: dict[str, int] = {}
        predicates = _Predicates(SystemGraph(root), stop)

        def on_state(i: int, state: SystemState) -> bool:
            for name, predicate in invariants:
                if name not in first and not predicates.on("invariant", name, predicate, state):
                    first[name] = i
            return False

        constraint = model.constraint
        graph = explore_system(
            model.machine,
            initial,
            model.alphabet,
            Bounds(max_states, max_depth, max_seconds, stop),
            root_id=root,
            on_state=on_state if invariants else None,
            constraint=None
            if constraint is None
            else (lambda s: predicates.on("constraint", "constraint", constraint, s)),
            compiled=compiled,
        )
        predicates.graph = graph
        report = Report(
            model.name or root,
            len(graph.states),
            graph.transitions,
            max(graph.depth, default=0),
            graph.complete,
            graph.seconds,
            stopped_by=graph.stopped_by,
            fairness=fairness,
        )
        explored = time.perf_counter()
        report.phases["explore"] = explored - started
        for name, _ in invariants:
            i = first.get(name)
            report.results.append(
                _unread(
                    predicates,
                    name,
                    Result(name, "invariant", i is None, None if i is None else _trace(graph, graph.path_to(i))),
                )
            )
        if graph.first_raised is not None:
            report.results.append(_raised(graph, *graph.first_raised))
        if deadlock:
            report.results.append(_unread(predicates, "terminal", _deadlock(model, graph, predicates), "its terminal"))
        if temporal and model.properties:
            _temporal(model, graph, report, predicates, fairness, stop, phase)
        running = list(dict.fromkeys([root, *(aid for state in graph.states for aid, _ in state.actors)]))
        sends = ", ".join(sorted({event.name for event in model.alphabet})) or "nothing"
        report.actors = {
            "actors": running,
            "root": root,
            "environment": sorted({event.name for event in model.alphabet}),
            "note": f"{', '.join(running)} (running at some point); messages in order per sender/receiver pair; "
            f"the environment sends {root}: {sends}",
        }
        report.phases["properties"] = time.perf_counter() - explored
        report.seconds = sum(report.phases.values())
        return report


def _refuse_unsupported(model: Model) -> None:
    """What a `Model` can say that the actor-system walk does not decide: an error, never a silent
    "holds"."""
    where = model.name or model.machine.id
    for key in ("symmetry", "canonicalize", "action_constraint", "action_properties"):
        if getattr(model, key):
            raise ConfigError(
                f"model {where!r} is an actor system (its chart starts child machines): {key} is not "
                "supported there (its predicates would read one chart, not the system)",
                key=key,
            )
    for i, f in enumerate(model.fairness):
        if isinstance(f.events, Event):
            raise ConfigError(
                f"model {where!r}: fairness[{i}] selects the Event {f.events!r}; on an actor system "
                "fairness selects deliveries: by event name, by a predicate over the Delivery, or "
                "deliveries()",
                key="fairness",
            )


def _unread(predicates: _Predicates, name: str, result: Result, who: str = "it") -> Result:
    """``result``, unless property ``name`` (``who`` says whose predicate) read an actor that
    never ran: then it was not checked about that actor, and does not hold."""
    missing = predicates.never_running(name)
    if not missing:
        return result
    said = (
        f"not checked: {who} reads actor{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}, "
        "running in none of the states it was evaluated on"
    )
    return Result(result.name, result.kind, False, result.trace, "; ".join(filter(None, [said, result.note])))


def _raised(graph: SystemGraph, i: int, e: int, j: int, what: str) -> Result:
    """The steps in which a guard or action raised and the actor does not take ``error.execution``
    (the event is lost with nothing in the state to show it): a violation, with the first one's
    trace (state ``i``, delivery ``e``, to state ``j``)."""
    steps = (*_trace(graph, graph.path_to(i)).steps, _step(graph, e, j))
    plural = "step" if graph.raised == 1 else "steps"
    note = f"{graph.raised:,} {plural} raised; the first: {what}"
    return Result("no step raises", "error", False, ActorTrace(steps), note)


def _deadlock(model: Model, graph: SystemGraph, predicates: _Predicates) -> Result:
    terminal = model.terminal
    end = None if terminal is None else (lambda s: predicates.on("terminal", "terminal", terminal, s))
    for i in graph.deadlocks(end):
        return Result("deadlock", "deadlock", False, _trace(graph, graph.path_to(i)))
    if not any(graph.expanded):
        return Result("deadlock", "deadlock", True, note=NO_STATE)
    return Result("deadlock", "deadlock", True)


def _temporal(
    model: Model,
    graph: SystemGraph,
    report: Report,
    predicates: _Predicates,
    fairness: bool,
    stop: Callable[[], str | None] | None,
    phase: Callable[[str], None] | None,
) -> None:
    checker = LivenessChecker(graph, model.fairness if fairness else ())
    note = "" if all(graph.expanded) else "on the expanded part only (bounds or constraint)"
    if not any(graph.expanded):
        note = NO_STATE
    names = list(model.properties)
    for k, (name, prop) in enumerate(model.properties.items()):
        reason = None if stop is None else stop()
        if reason is None:
            if phase is not None:
                phase(f"temporal {k + 1}/{len(names)}: {name}")
            try:
                lasso = checker.violation(prop, predicates.named(name))
            except _Stopped as stopped:
                reason = stopped.reason
        if reason is not None:
            report.complete = False
            left = ", ".join(names[k:])
            report.stopped_by = f"{report.stopped_by or reason}; temporal properties not checked: {left}"
            return
        vacuous = (
            lasso is None
            and isinstance(prop, LeadsTo)
            and not any(predicates.at(name, prop.premise, i) for i in range(len(graph.states)))
        )
        said = "; ".join(filter(None, [note, "vacuous: its premise holds in no state reached" if vacuous else ""]))
        result = Result(name, "temporal", lasso is None, None if lasso is None else _lasso_trace(graph, lasso), said)
        report.results.append(_unread(predicates, name, result))


def _trace(graph: SystemGraph, path: Sequence[tuple[int | None, int]]) -> ActorTrace:
    return ActorTrace(tuple(_step(graph, e, i) for e, i in path))


def _step(graph: SystemGraph, e: int | None, i: int, stutter: bool = False) -> ActorStep:
    state = graph.states[i]
    root = state.actor(graph.root)
    assert root is not None  # the root runs in every state (it is never stopped)
    if e is None:
        return ActorStep(None, root, stutter, system=state)
    delivery = graph.events[e]
    return ActorStep(delivery.event, root, sender=delivery.sender, receiver=delivery.receiver, system=state)


def _lasso_trace(graph: SystemGraph, lasso: Lasso) -> ActorTrace:
    steps = [_step(graph, e, i) for e, i in lasso.path]
    if lasso.stutter:
        steps.append(_step(graph, None, lasso.path[-1][1], stutter=True))
    return ActorTrace(tuple(steps), lasso.cycle_start)
