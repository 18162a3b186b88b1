"""Hypothesis strategies over a model's event sequences, and a rule-based state machine per model.

Needs ``hypothesis`` (the ``[test]`` extra). Sequences are drawn step by step on the real
snapshot: each step picks one of the events that change something there (`next_steps`), with the
payloads of the model's alphabet, so every drawn sequence is a valid walk of the chart. Shrinking
makes walks shorter and moves choices toward the alphabet's first events.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from statecharts.check.model import Model
from statecharts.check.paths import TestPath
from statecharts.check.trace import Trace, TraceStep
from statecharts.errors import StatechartError
from statecharts.event import Event
from statecharts.state import Snapshot
from statecharts.testing.model_based import Adapter, check_step, next_steps

AdapterSource = Adapter | Callable[[], Adapter] | None


class InvariantViolation(StatechartError, AssertionError):
    """A model invariant is false after a random walk: names it and shows the walk.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {}}})
    >>> path = TestPath(Trace((TraceStep(None, m.initial_state()),)))
    >>> str(InvariantViolation("Safe", path)).splitlines()[0]
    'invariant Safe is violated after 0 steps'
    """

    def __init__(self, name: str, path: TestPath) -> None:
        self.name, self.path = name, path
        super().__init__(f"invariant {name} is violated after {len(path)} steps\n" + path.format())


def stepper(model: Model, cache_size: int = 65536) -> Callable[[Snapshot], list[tuple[Event, Snapshot]]]:
    """`next_steps` for ``model``, memoized per snapshot (random walks revisit states a lot).

    >>> from machines.cluster_update import model
    >>> m = model(workers=1, requests=1)
    >>> len(stepper(m)(m.initial_states()[0]))
    1
    """

    @lru_cache(maxsize=cache_size)
    def steps(snapshot: Snapshot) -> list[tuple[Event, Snapshot]]:
        return next_steps(model, snapshot)

    return steps


def event_sequences(model: Model, *, min_length: int = 0, max_length: int = 20) -> st.SearchStrategy[TestPath]:
    """Valid walks of the chart as `TestPath` values (events with payloads and expected snapshots),
    from one of the model's initial states, ``min_length`` to ``max_length`` events long (shorter
    when the walk reaches a state where no event changes anything).

    >>> from hypothesis import given, settings
    >>> from machines.cluster_update import model
    >>> m = model(workers=1, requests=1)
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(event_sequences(m, max_length=8))
    ... def test_walks_are_valid(path):
    ...     assert all(b.snapshot == m.machine.transition(a.snapshot, b.event)
    ...                for a, b in zip(path.trace, path.trace.steps[1:]))
    >>> test_walks_are_valid()
    """
    initials = model.initial_states()
    steps_of = stepper(model)

    @st.composite
    def walks(draw: Any) -> TestPath:
        snapshot = draw(st.sampled_from(initials))
        n = draw(st.integers(min_length, max_length))
        steps = [TraceStep(None, snapshot)]
        for _ in range(n):
            options = steps_of(snapshot)
            if not options:
                break
            event, snapshot = options[draw(st.integers(0, len(options) - 1))]
            steps.append(TraceStep(event, snapshot))
        return TestPath(Trace(tuple(steps)), "random walk")

    return walks()


def events_in(model: Model, snapshot: Snapshot) -> st.SearchStrategy[Event]:
    """One event that changes something in ``snapshot`` (fails the draw when there is none).

    >>> from machines.cluster_update import model
    >>> m = model(workers=1, requests=1)
    >>> events_in(m, m.initial_states()[0])
    just(Event('SUBMIT', {'r': 1}))
    """
    return st.sampled_from([e for e, _ in next_steps(model, snapshot)])


def chart_state_machine(
    model: Model, adapter: AdapterSource = None, *, invariants: bool = True
) -> type[RuleBasedStateMachine]:
    """A `RuleBasedStateMachine` class that walks ``model``: it starts in one of the initial
    states (resetting the adapter's system), then sends events that change something, and after
    every step checks the model's invariants (``invariants=True``) and, with an adapter (an
    instance, or a factory called once per run), that the system agrees with the chart.
    Failures raise `InvariantViolation` or `Disagreement`, showing the (shrunk) walk.

    >>> from hypothesis import settings
    >>> from hypothesis.stateful import run_state_machine_as_test
    >>> from machines.cluster_update import model
    >>> Walk = chart_state_machine(model(workers=1, requests=1))
    >>> run_state_machine_as_test(Walk, settings=settings(max_examples=5, derandomize=True, database=None))
    """
    initials = model.initial_states()
    steps_of = stepper(model)
    checks = list(model.invariants.items()) if invariants else []
    make = adapter if adapter is None or not isinstance(adapter, Adapter) else (lambda: adapter)
    name = model.name or model.machine.id

    class ChartWalk(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.steps: list[TraceStep] = []
            self.adapter: Adapter | None = make() if make is not None else None

        @property
        def path(self) -> TestPath:
            return TestPath(Trace(tuple(self.steps)), f"random walk of {name}")

        @initialize(initial=st.sampled_from(initials))
        def reset(self, initial: Snapshot) -> None:
            self.steps = [TraceStep(None, initial)]
            if self.adapter is not None:
                self._act(lambda a: a.reset(initial))

        def can_step(self) -> bool:
            return bool(self.steps) and bool(steps_of(self.steps[-1].snapshot))

        def stuck(self) -> bool:
            return bool(self.steps) and not steps_of(self.steps[-1].snapshot)

        @precondition(stuck)
        @rule(initial=st.sampled_from(initials))
        def restart(self, initial: Snapshot) -> None:
            """At a state where no event changes anything: start a new walk (the path restarts)."""
            self.reset(initial)

        @precondition(can_step)
        @rule(data=st.data())
        def send(self, data: st.DataObject) -> None:
            options = steps_of(self.steps[-1].snapshot)
            event, after = data.draw(st.sampled_from(options).map(_Choice), label="event").value
            self.steps.append(TraceStep(event, after))
            if self.adapter is not None:
                self._act(lambda a: a.send(event))

        def _act(self, action: Callable[[Adapter], None]) -> None:
            assert self.adapter is not None
            check_step(self.adapter, lambda: self.path, len(self.steps) - 1, self.steps[-1].snapshot, action)

        @invariant()
        def model_invariants(self) -> None:
            if not self.steps:
                return
            snapshot = self.steps[-1].snapshot
            for invariant_name, predicate in checks:
                if not predicate(snapshot):
                    raise InvariantViolation(invariant_name, self.path)

    ChartWalk.__name__ = ChartWalk.__qualname__ = f"ChartWalk_{model.machine.id}"
    return ChartWalk


class _Choice:
    """An (event, snapshot) choice that prints as its event in hypothesis' falsifying examples."""

    def __init__(self, value: tuple[Event, Snapshot]) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value[0])


def check_randomly(
    model: Model,
    adapter: AdapterSource = None,
    *,
    max_examples: int = 100,
    max_steps: int = 30,
    derandomize: bool = True,
    invariants: bool = True,
) -> None:
    """Run `chart_state_machine` under hypothesis: ``max_examples`` walks of up to ``max_steps``
    events (``derandomize=True``: the same walks on every run, no example database). Raises the
    shrunk `InvariantViolation` / `Disagreement` when one is found.

    >>> from machines.cluster_update import model
    >>> check_randomly(model(workers=1, requests=1), max_examples=5)
    """
    machine_class = chart_state_machine(model, adapter, invariants=invariants)
    options: dict[str, Any] = {
        "max_examples": max_examples,
        "stateful_step_count": max_steps,
        "derandomize": derandomize,
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow],
        # no explain phase: it re-runs the failure many times over, slowly
        "phases": [p for p in Phase if p is not Phase.explain],
    }
    if derandomize:
        options["database"] = None
    run_state_machine_as_test(machine_class, settings=settings(**options))
