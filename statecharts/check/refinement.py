"""Refinement: every behaviour of a concrete model is a behaviour of an abstract one.

TLA+'s ``Spec_c => Spec_a`` under a refinement mapping, checked step by step over the concrete
model's reachable graph: each concrete initial state maps to an abstract initial state, and each
concrete step maps to an abstract step (a successor under some event of the abstract model's
alphabet) or to a stutter (the mapped state does not change). The mapping is a function from a
concrete snapshot to an abstract snapshot; `abstract_state` builds one from active states and
context. A failure comes with the shortest concrete trace to the offending step and the abstract
state that has no matching step.

>>> from statecharts import Machine, assign
>>> from statecharts.check import Model, events
>>> counter = Machine({"id": "c", "context": {"n": 0}, "initial": "on", "states": {"on": {"on": {
...     "TICK": {"guard": lambda c, e: c["n"] < 3, "actions": assign(n=lambda c, e: c["n"] + 1)}}}}})
>>> parity = Machine({"id": "p", "initial": "even", "states": {
...     "even": {"on": {"FLIP": "odd"}}, "odd": {"on": {"FLIP": "even"}}}})
>>> to_parity = lambda s: abstract_state(parity, ["odd" if s.context["n"] % 2 else "even"])
>>> refines(Model(counter, alphabet=events("TICK")), Model(parity, alphabet=events("FLIP")), to_parity).holds
True
>>> stuck = Machine({"id": "p", "initial": "even", "states": {"even": {"on": {"FLIP": "odd"}}, "odd": {}}})
>>> r = refines(Model(counter, alphabet=events("TICK")), Model(stuck, alphabet=events("FLIP")),
...             lambda s: abstract_state(stuck, ["odd" if s.context["n"] % 2 else "even"]))
>>> r.holds, [step.snapshot.context["n"] for step in r.trace], r.abstract_from.value, r.abstract_to.value
(False, [0, 1, 2], 'odd', 'even')
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from statecharts.chart import StateNode
from statecharts.check.graph import Bounds, StateGraph, explore
from statecharts.check.model import Model
from statecharts.check.trace import Trace, TraceStep
from statecharts.errors import ConfigError, SnapshotError
from statecharts.frozen import FrozenDict
from statecharts.machine import Machine
from statecharts.state import Snapshot, check_configuration

RefinementMapping = Callable[[Snapshot], Snapshot]


def abstract_state(machine: Machine, states: Iterable[str], context: Mapping[str, Any] | None = None) -> Snapshot:
    """A snapshot of ``machine`` whose active leaves are ``states`` (ids or references as
    `Machine.get_state` reads them; ancestors are added) and whose context is the machine's initial
    context updated with ``context``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "type": "parallel", "context": {"v": 0}, "states": {
    ...     "x": {"initial": "a", "states": {"a": {}, "b": {}}}, "y": {"initial": "c", "states": {"c": {}}}}})
    >>> s = abstract_state(m, ["x.b", "y.c"], {"v": 2})
    >>> s.value, s.context["v"]
    ({'x': 'b', 'y': 'c'}, 2)
    >>> abstract_state(m, ["x.b"])
    Traceback (most recent call last):
    statecharts.errors.SnapshotError: snapshot configuration: 'm' is parallel but region m.y is not active
    """
    nodes = set()
    for ref in states:
        node: StateNode | None = machine.get_state(ref)
        while node is not None:
            nodes.add(node)
            node = node.parent
    frozen = frozenset(nodes)
    check_configuration(machine, frozen)
    unknown = sorted(set(context or {}) - set(machine.initial_context()))
    if unknown:
        raise SnapshotError(f"abstract state: context key {unknown[0]!r} is not in machine {machine.id!r}'s context")
    return Snapshot(machine, frozen, FrozenDict({**machine.initial_context(), **(context or {})}))


@dataclass
class Refinement:
    """The verdict of `refines`, with its figures.

    ``holds`` is ``True`` only when the whole concrete graph was explored and every initial state
    and step matched. On failure ``trace`` is the shortest concrete trace ending in the step (or
    initial state) that has no abstract match, ``abstract_from`` the abstract state before it
    (``None`` for an initial state) and ``abstract_to`` the abstract state it maps to.
    """

    concrete: str
    abstract: str
    holds: bool
    complete: bool
    states: int
    steps: int
    stutters: int
    seconds: float
    trace: Trace | None = None
    abstract_from: Snapshot | None = None
    abstract_to: Snapshot | None = None
    reason: str = ""

    def format(self) -> str:
        """A readable report: the verdict, the figures and, on failure, the counterexample."""
        verdict = "refines" if self.holds else ("does NOT refine" if self.trace else "not checked completely:")
        lines = [
            f"{self.concrete} {verdict} {self.abstract}" + ("" if self.holds or self.trace else f" {self.reason}"),
            f"  {self.states} concrete states, {self.steps} steps ({self.stutters} stutters), {self.seconds:.2f}s",
        ]
        if self.trace is not None:
            lines += [f"  {self.reason}", self.trace.format(context=True)]
            if self.abstract_from is not None:
                lines.append(f"  abstract state before: {self.abstract_from.value} {dict(self.abstract_from.context)}")
            if self.abstract_to is not None:
                lines.append(f"  maps to (no abstract step): {self.abstract_to.value} {dict(self.abstract_to.context)}")
        return "\n".join(lines)


def refines(concrete: Model, abstract: Model, mapping: RefinementMapping, bounds: Bounds | None = None) -> Refinement:
    """Check that ``concrete`` refines ``abstract`` under ``mapping`` (concrete snapshot -> abstract
    snapshot): initial states map to abstract initial states, and each step maps to an abstract
    step or a stutter. The concrete graph is explored without symmetry reduction (the mapping sees
    real states, not representatives)."""
    start = time.perf_counter()
    graph = explore(dataclasses.replace(concrete, symmetry=(), canonicalize=None), bounds)
    abstract_initial = set(abstract.initial_states())
    abstract_events = abstract.events()
    successors: dict[Snapshot, set[Snapshot]] = {}
    mapped: dict[int, Snapshot] = {}

    def image(i: int) -> Snapshot:
        if i not in mapped:
            a = mapping(graph.states[i])
            if not isinstance(a, Snapshot) or a.machine is not abstract.machine:
                raise ConfigError(
                    f"the refinement mapping must return a snapshot of {abstract.machine.id!r} "
                    f"(use abstract_state(...)), not {a!r}",
                    key="mapping",
                )
            mapped[i] = a
        return mapped[i]

    def next_states(a: Snapshot) -> set[Snapshot]:
        if a not in successors:
            successors[a] = {abstract.machine.transition(a, e) for e in abstract_events}
        return successors[a]

    def result(holds: bool, steps: int, stutters: int, **failure: Any) -> Refinement:
        return Refinement(
            concrete.name or concrete.machine.id,
            abstract.name or abstract.machine.id,
            holds and graph.complete,
            graph.complete,
            len(graph.states),
            steps,
            stutters,
            time.perf_counter() - start,
            **failure,
        )

    for i in graph.initial:
        if image(i) not in abstract_initial:
            return result(
                False,
                0,
                0,
                trace=_trace(graph, i),
                abstract_to=image(i),
                reason="the initial state maps to no initial state of the abstract model",
            )
    steps = stutters = 0
    for i, out in enumerate(graph.edges):
        for e, j in out:
            steps += 1
            before, after = image(i), image(j)
            if after == before:
                stutters += 1
            elif after not in next_states(before):
                return result(
                    False,
                    steps,
                    stutters,
                    trace=_trace(graph, j, via=(i, e)),
                    abstract_from=before,
                    abstract_to=after,
                    reason=f"step {graph.events[e]!r} is neither an abstract step nor a stutter",
                )
    reason = "" if graph.complete else f"the concrete walk stopped early ({graph.stopped_by})"
    return result(True, steps, stutters, reason=reason)


def _trace(graph: StateGraph, last: int, via: tuple[int, int] | None = None) -> Trace:
    """The shortest trace to ``last``; with ``via`` (state, event) its last step is that edge."""
    path = graph.path_to(via[0]) + [(via[1], last)] if via is not None else graph.path_to(last)
    return Trace(tuple(TraceStep(None if e is None else graph.events[e], graph.states[i]) for e, i in path))
