"""Model-based testing: run the chart's test paths against the real system through an adapter.

An `Adapter` says how to reset the system under test to an initial snapshot, how to send it an
event, how to read its observable state, and how to see a chart snapshot in the same terms
(``expected``); `run_paths` replays every path and compares after each step. The first
disagreement stops the run and is reported with the path that led to it, made as short as the
graph allows (breadth-first replays of shorter paths).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from statecharts.check.graph import StateGraph
from statecharts.check.model import Model
from statecharts.check.paths import TestPath, state_cover, state_graph, to_path, transition_cover
from statecharts.check.successor import successor
from statecharts.check.trace import event_text
from statecharts.errors import StatechartError
from statecharts.event import Event
from statecharts.state import Snapshot


class Adapter:
    """How to drive the system under test (subclass it; the first three are required).

    - ``reset(initial)``: start a fresh system in the state of the chart's initial snapshot
      (read what you need from it, e.g. ``initial.context``);
    - ``send(event)``: deliver one event (name and payload) to the system;
    - ``observe()``: the system's observable state;
    - ``expected(snapshot)``: the chart snapshot in the terms ``observe`` uses (default:
      ``snapshot.value``);
    - ``agrees(observed, expected)``: the comparison (default: ``==``).

    >>> class Light(Adapter):
    ...     def reset(self, initial): self.on = False
    ...     def send(self, event): self.on = not self.on
    ...     def observe(self): return "on" if self.on else "off"
    >>> a = Light(); a.reset(None); a.send(Event("FLIP")); a.observe()
    'on'
    """

    def reset(self, initial: Snapshot) -> None:
        """Start a fresh system in the state of the chart's ``initial`` snapshot (required).

        >>> Adapter().reset(None)
        Traceback (most recent call last):
            ...
        NotImplementedError: Adapter.reset
        """
        raise NotImplementedError(f"{type(self).__name__}.reset")

    def send(self, event: Event) -> None:
        """Deliver one event, name and payload, to the system (required).

        >>> Adapter().send(Event("FLIP"))
        Traceback (most recent call last):
            ...
        NotImplementedError: Adapter.send
        """
        raise NotImplementedError(f"{type(self).__name__}.send")

    def observe(self) -> Any:
        """The system's observable state, compared with `expected` after each step (required).

        >>> Adapter().observe()
        Traceback (most recent call last):
            ...
        NotImplementedError: Adapter.observe
        """
        raise NotImplementedError(f"{type(self).__name__}.observe")

    def expected(self, snapshot: Snapshot) -> Any:
        """A chart snapshot in the terms `observe` uses; by default its state value.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "t", "type": "parallel", "states": {"light": {"initial": "off", "states": {"off": {}}}}})
        >>> Adapter().expected(m.initial_state())
        {'light': 'off'}
        """
        return snapshot.value

    def agrees(self, observed: Any, expected: Any) -> bool:
        """Whether the observed state matches the expected one; by default ``==``.

        >>> Adapter().agrees("on", "on"), Adapter().agrees("on", "off")
        (True, False)
        """
        return bool(observed == expected)


class Disagreement(StatechartError, AssertionError):
    """The system under test and the chart disagree after the last step of ``path`` (or the
    system raised ``error`` on it). ``step`` is that step's index (0: right after reset).

    >>> from statecharts import Machine
    >>> from statecharts.check.trace import Trace, TraceStep
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {}}})
    >>> d = Disagreement(TestPath(Trace((TraceStep(None, m.initial_state()),))), 0, "a", "b")
    >>> print(str(d).splitlines()[0])
    the system under test disagrees with the chart right after reset
    """

    def __init__(
        self,
        path: TestPath,
        step: int,
        expected: Any,
        observed: Any,
        error: BaseException | None = None,
        note: str = "",
    ) -> None:
        self.path, self.step, self.expected, self.observed, self.error = path, step, expected, observed, error
        if step == 0:
            where = "right after reset"
        else:
            event = path.trace.steps[step].event
            where = f"after step {step} ({event_text(event) if event else '?'})"
        lines = [f"the system under test {'raised ' + repr(error) if error else 'disagrees with the chart'} {where}"]
        if error is None:
            lines += [f"  chart expects: {expected!r}", f"  system has:    {observed!r}"]
        if note:
            lines.append(f"  ({note})")
        lines.append("path:")
        lines.extend("  " + line for line in path.format().splitlines())
        super().__init__("\n".join(lines))


def replay(path: TestPath, adapter: Adapter) -> None:
    """Reset the system, send the path's events, compare after each step; raise `Disagreement`.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}},
    ...                                                   "on": {"on": {"FLIP": "off"}}}})
    >>> class Light(Adapter):
    ...     def reset(self, initial): self.on = False
    ...     def send(self, event): self.on = not self.on
    ...     def observe(self): return "on" if self.on else "off"
    >>> from statecharts.check.trace import Trace, TraceStep
    >>> s0 = m.initial_state()
    >>> replay(TestPath(Trace((TraceStep(None, s0), TraceStep(Event("FLIP"), m.transition(s0, "FLIP"))))),
    ...        Light())
    """
    for k, step in enumerate(path.trace.steps):
        act: Callable[[Adapter], None]
        if k == 0:
            act = operator.methodcaller("reset", step.snapshot)
        else:
            assert step.event is not None
            act = operator.methodcaller("send", step.event)
        check_step(adapter, functools.partial(path.prefix, k), k, step.snapshot, act)


def check_step(
    adapter: Adapter, path: Callable[[], TestPath], k: int, snapshot: Snapshot, act: Callable[[Adapter], None]
) -> None:
    """Do step ``k`` on the system (``act``), observe it and compare with the chart's ``snapshot``;
    a failure or a difference is a `Disagreement` carrying ``path()`` (the path up to step ``k``).

    >>> from statecharts import Machine
    >>> from statecharts.check.trace import Trace, TraceStep
    >>> s0 = Machine({"id": "t", "initial": "off", "states": {"off": {}}}).initial_state()
    >>> path = TestPath(Trace((TraceStep(None, s0),)))
    >>> class Off(Adapter):  # a light that is always off; it has no send
    ...     reset, observe = (lambda self, initial: None), (lambda self: "off")
    >>> check_step(Off(), lambda: path, 0, s0, lambda a: a.reset(s0))  # agrees: no error
    >>> check_step(Off(), lambda: path, 0, s0, lambda a: a.send(Event("FLIP")))
    Traceback (most recent call last):
        ...
    statecharts.testing.model_based.Disagreement: the system under test raised NotImplementedError('Off.send') ...
    ...
    """
    try:
        act(adapter)
        observed = adapter.observe()
    except Exception as exc:  # the system under test failed: that is the finding
        raise Disagreement(path(), k, None, None, exc) from exc
    expected = adapter.expected(snapshot)
    if not adapter.agrees(observed, expected):
        raise Disagreement(path(), k, expected, observed)


@dataclass
class Conformance:
    """What `run_paths` did: paths and steps run, and the first disagreement (``None``: all agree).

    >>> result = Conformance("light", paths=2, steps=5, planned=2)
    >>> result.ok, result.format()
    (True, 'model light: 2 of 2 paths run (5 steps): the system agrees with the chart')
    """

    model: str
    paths: int = 0
    steps: int = 0
    failure: Disagreement | None = None
    planned: int = 0
    cover: str = ""

    @property
    def ok(self) -> bool:
        """No disagreement was found.

        >>> Conformance("light").ok
        True
        """
        return self.failure is None

    def format(self) -> str:
        """One line of figures, then the disagreement if there is one.

        >>> Conformance("light", paths=2, steps=5, planned=3, cover="edges cover").format()
        'model light: 2 of 3 paths run (5 steps, edges cover): the system agrees with the chart'
        """
        head = (
            f"model {self.model}: {self.paths} of {self.planned} paths run ({self.steps} steps"
            f"{', ' + self.cover if self.cover else ''}): "
            + ("the system agrees with the chart" if self.ok else "DISAGREEMENT")
        )
        return head if self.failure is None else f"{head}\n{self.failure}"

    def raise_on_failure(self) -> Conformance:
        """Raise the `Disagreement` if there is one; else return self.

        >>> from statecharts import Machine
        >>> from statecharts.check.trace import Trace, TraceStep
        >>> s0 = Machine({"id": "t", "initial": "off", "states": {"off": {}}}).initial_state()
        >>> failure = Disagreement(TestPath(Trace((TraceStep(None, s0),))), 0, "off", "on")
        >>> Conformance("light").raise_on_failure().ok
        True
        >>> Conformance("light", failure=failure).raise_on_failure()
        Traceback (most recent call last):
            ...
        statecharts.testing.model_based.Disagreement: the system under test disagrees with the chart right after reset
        ...
        """
        if self.failure is not None:
            raise self.failure
        return self


def run_paths(
    model: Model | StateGraph,
    adapter: Adapter,
    paths: Sequence[TestPath] | None = None,
    *,
    cover: str = "edges",
    minimize: bool = True,
) -> Conformance:
    """Run every path (default: the cover ``cover`` = ``edges``, ``transitions`` or ``states`` of
    the model's state graph) against the system under test; stop at the first disagreement.
    With ``minimize``, the disagreement is reported on a shortest failing path (see `shorter`).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}},
    ...                                                   "on": {"on": {"FLIP": "off"}}}})
    >>> class Light(Adapter):
    ...     def reset(self, initial): self.on = False
    ...     def send(self, event): self.on = not self.on
    ...     def observe(self): return "on" if self.on else "off"
    >>> run_paths(Model(m, alphabet=events("FLIP")), Light()).format()
    'model t: 1 of 1 paths run (2 steps, edges cover): the system agrees with the chart'
    """
    graph = state_graph(model)
    label = ""
    if paths is None:
        makers: dict[str, Callable[[], list[TestPath]]] = {
            "edges": lambda: transition_cover(graph, of="edges"),
            "transitions": lambda: transition_cover(graph, of="transitions"),
            "states": lambda: state_cover(graph),
        }
        if cover not in makers:
            raise ValueError(f"cover must be one of {', '.join(makers)}, not {cover!r}")
        paths = makers[cover]()
        label = f"{cover} cover"
    result = Conformance(graph.model.name or graph.model.machine.id, planned=len(paths), cover=label)
    for path in paths:
        result.paths += 1
        try:
            replay(path, adapter)
        except Disagreement as failure:
            result.steps += failure.step
            result.failure = shorter(graph, failure, adapter) if minimize else failure
            break
        result.steps += len(path)
    return result


def shorter(graph: StateGraph, failure: Disagreement, adapter: Adapter, budget: int = 5000) -> Disagreement:
    """A shortest failing path: replay, in breadth-first order, a shortest path to each state plus
    one of its edges, for every path shorter than the failing one (at most ``budget`` replays);
    the first that fails has the fewest steps. ``failure`` itself when none is shorter.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"X": "b", "Y": "c"}},
    ...                                                   "b": {"on": {"Y": "c"}}, "c": {}}})
    >>> class Buggy(Adapter):  # every event leads to b, so Y misses c
    ...     def reset(self, initial):
    ...         self.state = "a"
    ...     def send(self, event):
    ...         self.state = "b"
    ...     def observe(self):
    ...         return self.state
    >>> graph = state_graph(Model(m, alphabet=events("X") + events("Y")))
    >>> failure = run_paths(graph, Buggy(), minimize=False).failure
    >>> failure.step, shorter(graph, failure, Buggy()).step
    (2, 1)
    """
    k = failure.step
    tried = 0
    for i in range(len(graph.states)):  # discovery order: depth never decreases
        if graph.depth[i] + 1 >= k:
            break
        route = graph.path_to(i)
        for e, j in graph.edges[i]:
            tried += 1
            if tried > budget:
                return failure
            try:
                replay(to_path(graph, [*route, (e, j)], failure.path.goal), adapter)
            except Disagreement as found:
                return Disagreement(
                    found.path,
                    found.step,
                    found.expected,
                    found.observed,
                    found.error,
                    note=f"the shortest failing path; the {k}-step path that found it was shortened",
                )
    return failure


def next_steps(model: Model, snapshot: Snapshot) -> list[tuple[Event, Snapshot]]:
    """The events of the model's alphabet that change something in ``snapshot``, each with the
    snapshot it leads to (what a random walk may choose from).

    >>> from machines.cluster_update import model
    >>> m = model(workers=1, requests=1)
    >>> [e for e, _ in next_steps(m, m.initial_states()[0])]
    [Event('SUBMIT', {'r': 1})]
    """
    out = []
    for event in model.events():
        after = successor(snapshot, event)
        if after is not None and after != snapshot:
            out.append((event, after))
    return out
