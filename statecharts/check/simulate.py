"""Simulation: random behaviours of a model, checking invariants, action properties and deadlock
on each step (TLC's ``-simulate -depth D``), for state spaces too large to enumerate.

Each behaviour starts from a random initial state and, at each step, takes a random event of the
alphabet that the model allows and that changes the state, until it reaches ``depth`` steps, a
state that is not active, a state outside the model's constraint, or a deadlock. The same
``seed`` gives the same behaviours. A property that no behaviour broke is reported as holding *on
the behaviours tried* (the report is never ``complete``); temporal properties are not checked.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from statecharts.check.graph import evaluate, step_predicate
from statecharts.check.model import Model, refuse_actor_system
from statecharts.check.trace import Trace, TraceStep
from statecharts.check.walker import Report, Result
from statecharts.errors import ConfigError, StatechartError
from statecharts.state import Snapshot


def simulate(
    model: Model, *, depth: int = 100, traces: int = 1000, seed: int | None = None, max_seconds: float | None = None
) -> Report:
    """Run ``traces`` random behaviours of at most ``depth`` steps (a random seed when none is
    given; the report's ``stopped_by`` names it, to reproduce the run).

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import events
    >>> jar = Machine({"id": "jar", "context": {"n": 0}, "initial": "open", "states": {"open": {"on": {
    ...     "ADD": {"guard": lambda c, e: c["n"] < 9, "actions": assign(n=lambda c, e: c["n"] + 1)},
    ...     "TAKE": {"guard": lambda c, e: c["n"] > 0, "actions": assign(n=lambda c, e: c["n"] - 1)}}}}})
    >>> report = simulate(Model(jar, alphabet=events("ADD") + events("TAKE"),
    ...                         invariants={"below 5": lambda s: s.context["n"] < 5}), depth=30, traces=20, seed=1)
    >>> report.complete, report.result("below 5").holds, len(report.result("below 5").trace) >= 6
    (False, False, True)
    >>> report.stopped_by
    'simulation: 20 behaviours of at most 30 steps, seed 1'
    """
    refuse_actor_system(model.machine, "simulate (--simulate)")
    if depth < 1 or traces < 1:
        raise ConfigError(
            f"simulate needs depth and traces of at least 1, not depth={depth}, traces={traces}", key="simulate"
        )
    seed = random.randrange(2**32) if seed is None else seed
    rng = random.Random(seed)
    machine, alphabet = model.machine, tuple(model.events())
    initial = model.initial_states()
    invariants = list(model.invariants.items())
    actions = [(name, step_predicate("action property", name, p)) for name, p in model.action_properties.items()]
    allowed = (
        None
        if model.action_constraint is None
        else step_predicate("action constraint", "action_constraint", model.action_constraint)
    )
    broken: dict[str, Trace] = {}
    deadlock: Trace | None = None
    seen: set[Snapshot] = set()
    steps_taken = deepest = runs = 0
    start = time.perf_counter()
    deadline = None if max_seconds is None else start + max_seconds

    def record(name: str, behaviour: list[TraceStep]) -> None:
        if name not in broken or len(broken[name]) > len(behaviour):  # keep the shortest
            broken[name] = Trace(tuple(behaviour))

    for runs in range(1, traces + 1):  # noqa: B007 - runs is reported
        state = rng.choice(initial)
        behaviour = [TraceStep(None, state)]
        check_state(state, invariants, behaviour, record)
        seen.add(state)
        for _ in range(depth):
            constraint = model.constraint
            if state.status != "active" or (
                constraint is not None and not evaluate("constraint", "constraint", constraint, state)
            ):
                break
            order = list(range(len(alphabet)))
            rng.shuffle(order)
            after = None
            for e in order:
                event = alphabet[e]
                try:
                    candidate = machine.transition(state, event)
                except StatechartError as exc:
                    raise StatechartError(
                        f"{exc} (simulating {event!r} in state {state.value!r}, seed {seed})"
                    ) from exc
                if candidate != state and (allowed is None or allowed(state, event, candidate)):
                    after = (event, candidate)
                    break
            if after is None:
                terminal = model.terminal is not None and evaluate("terminal", "terminal", model.terminal, state)
                stuttering = any(
                    machine.can(state, ev) and (allowed is None or allowed(state, ev, state)) for ev in alphabet
                )  # a step that fires yet changes nothing is no deadlock
                if not terminal and not stuttering and deadlock is None:
                    deadlock = Trace(tuple(behaviour))
                break
            event, nxt = after
            for name, holds in actions:
                if not holds(state, event, nxt):
                    record(name, [*behaviour, TraceStep(event, nxt)])
            state = nxt
            behaviour.append(TraceStep(event, state))
            steps_taken += 1
            seen.add(state)
            check_state(state, invariants, behaviour, record)
        deepest = max(deepest, len(behaviour) - 1)
        if deadline is not None and time.perf_counter() > deadline:
            break
    unchecked = f"; temporal properties not checked ({', '.join(model.properties)})" if model.properties else ""
    report = Report(
        model.name or machine.id,
        len(seen),
        steps_taken,
        deepest,
        False,
        time.perf_counter() - start,
        stopped_by=f"simulation: {runs} behaviours of at most {depth} steps, seed {seed}{unchecked}",
    )
    note = f"not broken in {runs} random behaviours, not exhaustive"
    for name, _ in invariants:
        report.results.append(
            Result(name, "invariant", name not in broken, broken.get(name), "" if name in broken else note)
        )
    for name, _ in actions:
        report.results.append(
            Result(name, "action", name not in broken, broken.get(name), "" if name in broken else note)
        )
    report.results.append(Result("deadlock", "deadlock", deadlock is None, deadlock, "" if deadlock else note))
    return report


def check_state(
    state: Snapshot,
    invariants: list[tuple[str, Callable[[Snapshot], bool]]],
    behaviour: list[TraceStep],
    record: Callable[[str, list[TraceStep]], None],
) -> None:
    """Record, for each invariant ``state`` breaks, the behaviour so far."""
    for name, predicate in invariants:
        if not evaluate("invariant", name, predicate, state):
            record(name, list(behaviour))
