"""Temporal properties under fairness, decided on the explored state graph.

Every state may stutter for ever (TLA+): each state has an implicit self-loop that takes no action.
A behaviour that violates a property ends in a cycle; the cycles that count are the *fair* ones:

- weak fairness ``WF(a)``: a cycle is unfair when ``a`` is enabled in every state of it and never
  taken on it;
- strong fairness ``SF(a)``: a cycle is unfair when ``a`` is enabled in some state of it and never
  taken on it.

An action is enabled in a state when one of its events leads to a different state. As in TLC and
other explicit-state checkers, the search works on strongly connected components: a component
(with all its states and edges) is a fair cycle when every WF action is taken in it or disabled
somewhere in it, and every SF action is taken in it or disabled everywhere in it; an SF action that
is enabled but never taken removes the states where it is enabled, and the rest is split into
components again (the Emerson-Lei refinement). The counterexample is a lasso: a shortest prefix to
the component and a cycle through it that visits what the property and the fairness need.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from statecharts.check.model import Fairness
from statecharts.check.properties import (
    Always,
    AlwaysEventually,
    Eventually,
    EventuallyAlways,
    LeadsTo,
    TemporalProperty,
)

Action = tuple[int, Hashable]  # (fairness constraint index, action key)
Goal = Callable[[int, "int | None"], bool]  # (state reached, event taken or None) -> met


class ExploredGraph(Protocol):
    """What the liveness checker reads of an explored graph: a chart's `StateGraph` or an actor
    system's `statecharts.check.actors.SystemGraph`. ``events[e]`` is what edge label ``e`` stands
    for (an `Event`, or an actor system's delivery), the one thing fairness constraints look at."""

    @property
    def events(self) -> Sequence[Any]: ...
    @property
    def states(self) -> Sequence[Any]: ...
    @property
    def edges(self) -> list[list[tuple[int, int]]]: ...
    @property
    def expanded(self) -> list[bool]: ...
    @property
    def depth(self) -> list[int]: ...
    @property
    def initial(self) -> list[int]: ...

    def path_to(self, i: int) -> list[tuple[int | None, int]]: ...

    def shortest_route(
        self, sources: Iterable[int], goal: Callable[[int], bool], within: Container[int] | None = None
    ) -> list[tuple[int | None, int]] | None: ...


@dataclass
class Lasso:
    """A counterexample: ``path`` is ``[(event index or None, state), ...]`` from an initial state.
    The cycle starts at ``path[cycle_start]``; its last step leads back to that same state (so
    ``path[-1]`` repeats ``path[cycle_start]``), or, with ``stutter=True``, the last state of the
    path stutters for ever (``cycle_start`` is then its index).

    >>> from statecharts import Machine
    >>> from statecharts.check import Model, eventually, explore, events
    >>> rally = Machine({"id": "rally", "initial": "ping", "states": {
    ...     "ping": {"on": {"HIT": "pong"}}, "pong": {"on": {"HIT": "ping", "MISS": "out"}}, "out": {}}})
    >>> g = explore(Model(rally, alphabet=events("HIT") + events("MISS")))
    >>> lasso = LivenessChecker(g, [Fairness("weak", "HIT")]).violation(
    ...     eventually(lambda s: s.matches("out")), lambda p, i: p(g.states[i]))
    >>> lasso
    Lasso(path=[(None, 0), (0, 1), (0, 0)], cycle_start=0, stutter=False)
    >>> [g.states[i].value for _, i in lasso.path]
    ['ping', 'pong', 'ping']
    """

    path: list[tuple[int | None, int]]
    cycle_start: int
    stutter: bool


class FairnessTable:
    """Which fair actions each event instance belongs to, and which are enabled in each state.

    >>> from statecharts.event import Event
    >>> t = FairnessTable((Event("A", w=1), Event("A", w=2)), [Fairness("weak", "A", by=("w",))])
    >>> t.of_event[0], t.of_event[1]
    (((0, ('A', (1,))),), ((0, ('A', (2,))),))
    """

    def __init__(self, events: Sequence[object], fairness: Sequence[Fairness]) -> None:
        self.fairness = tuple(fairness)
        self.of_event: list[tuple[Action, ...]] = [
            tuple((k, f.action(e)) for k, f in enumerate(self.fairness) if f.applies_to(e))  # type: ignore[arg-type]
            for e in events
        ]

    def enabled_in_all(self, graph: ExploredGraph) -> list[set[Action]]:
        """`enabled` for every state; states with the same events share one set (do not modify).

        >>> from statecharts import Machine
        >>> from statecharts.check import explore, Model, events
        >>> tv = Machine({"id": "tv", "initial": "off", "states": {
        ...     "off": {"on": {"POWER": "on"}}, "on": {"on": {"POWER": "off", "SMASH": "junk"}}, "junk": {}}})
        >>> g = explore(Model(tv, alphabet=events("POWER") + events("SMASH")))
        >>> table = FairnessTable(g.events, [Fairness("weak", "POWER", by=()), Fairness("strong", "SMASH", by=())])
        >>> [sorted(a[1][0] for a in actions) for actions in table.enabled_in_all(g)]
        [['POWER'], ['POWER', 'SMASH'], []]
        """
        shared: dict[tuple[int, ...], set[Action]] = {}
        out = []
        for edges in graph.edges:
            key = tuple([e for e, _ in edges])
            found = shared.get(key)
            if found is None:
                found = shared[key] = {a for e in key for a in self.of_event[e]}
            out.append(found)
        return out

    def strong(self, action: Action) -> bool:
        """The action is under strong fairness (``SF``), not weak.

        >>> from statecharts.event import Event
        >>> table = FairnessTable([Event("A"), Event("B")], [Fairness("weak", "A"), Fairness("strong", "B")])
        >>> [table.strong(action) for actions in table.of_event for action in actions]
        [False, True]
        """
        return self.fairness[action[0]].kind == "strong"


def strongly_connected(nodes: Iterable[int], succ: Callable[[int], Sequence[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative: the SCCs of the subgraph on ``nodes`` (state numbers).

    >>> sorted(map(sorted, strongly_connected([0, 1, 2], lambda n: {0: [1], 1: [0], 2: [2]}[n])))
    [[0, 1], [2]]
    """
    allowed = set(nodes)
    size = max(allowed, default=-1) + 1
    index = [-1] * size  # -1: not visited yet
    low = [0] * size
    on_stack = [False] * size
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in allowed:
        if index[root] >= 0:
            continue
        work = [(root, iter(succ(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in allowed:
                    continue
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(succ(w))))
                    advanced = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(w)
                    if w == v:
                        break
                out.append(component)
    return out


class LivenessChecker:
    """Decides temporal properties on one explored graph under one set of fairness constraints.

    ``BREAK`` is enabled only now and then (in ``on``), so weak fairness lets the lamp blink for
    ever while strong fairness makes it break:

    >>> from statecharts import Machine
    >>> from statecharts.check import Model, eventually, explore, events
    >>> lamp = Machine({"id": "lamp", "initial": "off", "states": {
    ...     "off": {"on": {"FLIP": "on"}}, "on": {"on": {"FLIP": "off", "BREAK": "dead"}}, "dead": {}}})
    >>> g = explore(Model(lamp, alphabet=events("FLIP") + events("BREAK")))
    >>> breaks = eventually(lambda s: s.matches("dead"))
    >>> def holds(predicate, i): return predicate(g.states[i])
    >>> for kind in ("weak", "strong"):
    ...     checker = LivenessChecker(g, [Fairness("weak", "FLIP"), Fairness(kind, "BREAK")])
    ...     print(kind, checker.violation(breaks, holds) is None)
    weak False
    strong True
    """

    def __init__(self, graph: ExploredGraph, fairness: Sequence[Fairness]) -> None:
        self.graph = graph
        self.table = FairnessTable(graph.events, fairness)
        self._enabled: list[set[Action]] | None = None
        self.successors = [[t for _, t in edges] for edges in graph.edges]

    def enabled(self, state: int) -> set[Action]:
        """The fair actions enabled in state number ``state`` (one of its events changes it).

        >>> from statecharts import Machine
        >>> from statecharts.check import Model, explore, events
        >>> oven = Machine({"id": "oven", "initial": "cold", "states": {
        ...     "cold": {"on": {"HEAT": "hot"}}, "hot": {"on": {"COOL": "cold"}}}})
        >>> g = explore(Model(oven, alphabet=events("HEAT") + events("COOL")))
        >>> checker = LivenessChecker(g, [Fairness("weak", "COOL")])
        >>> checker.enabled(0), checker.enabled(1)
        (set(), {(0, Event('COOL'))})
        """
        if self._enabled is None:
            self._enabled = self.table.enabled_in_all(self.graph)
        return self._enabled[state]

    # -- fair components -------------------------------------------------------------------------
    def fair_components(self, nodes: set[int]) -> list[tuple[list[int], set[Action]]]:
        """Maximal fair strongly connected sets within ``nodes`` (each with the actions it must
        take), every state counting its stutter self-loop.

        Under weak fairness of ``TICK``, only the final state is a fair place to stay:

        >>> from statecharts import Machine
        >>> from statecharts.check import Model, explore, events
        >>> clock = Machine({"id": "clock", "initial": "t0", "states": {
        ...     "t0": {"on": {"TICK": "t1"}}, "t1": {"on": {"TICK": "t0", "DROP": "gone"}}, "gone": {}}})
        >>> g = explore(Model(clock, alphabet=events("TICK") + events("DROP")))
        >>> LivenessChecker(g, [Fairness("weak", "TICK", by=())]).fair_components({0, 1, 2})
        [([2], set()), ([1, 0], {(0, ('TICK', ()))})]
        >>> LivenessChecker(g, [Fairness("weak", "TICK", by=())]).fair_components({0, 1})
        [([1, 0], {(0, ('TICK', ()))})]
        """
        graph = self.graph
        result: list[tuple[list[int], set[Action]]] = []
        todo = [nodes]
        while todo:
            part = todo.pop()
            for comp in strongly_connected(part, self.successors.__getitem__):
                if len(comp) == 1:  # no edge to itself (self-loops are stutters): only the stutter
                    if not self.enabled(comp[0]):  # fair only when no fair action is enabled there
                        result.append((comp, set()))
                    continue
                members = set(comp)
                taken: set[Action] = set()
                for v in comp:
                    for e, t in graph.edges[v]:
                        if t in members:
                            taken.update(self.table.of_event[e])
                enabled_all: set[Action] | None = None
                enabled_some: set[Action] = set()
                for v in comp:
                    en = self.enabled(v)
                    enabled_some |= en
                    enabled_all = set(en) if enabled_all is None else enabled_all & en
                weak_broken = {a for a in (enabled_all or set()) if a not in taken and not self.table.strong(a)}
                if weak_broken:
                    continue  # continuously enabled, never taken: every cycle here is unfair
                strong_broken = {a for a in enabled_some if a not in taken and self.table.strong(a)}
                if strong_broken:
                    keep = {v for v in comp if not (self.enabled(v) & strong_broken)}
                    if keep:
                        todo.append(keep)
                    continue
                result.append((comp, taken))
        return result

    # -- properties ------------------------------------------------------------------------------
    def violation(self, prop: TemporalProperty, holds: Callable[[Callable[..., bool], int], bool]) -> Lasso | None:
        """A lasso violating ``prop`` or ``None``; ``holds(predicate, state)`` evaluates (and caches)
        a state predicate.

        >>> from statecharts import Machine
        >>> from statecharts.check import Model, always_eventually, explore, events
        >>> pump = Machine({"id": "pump", "initial": "idle", "states": {
        ...     "idle": {"on": {"PUMP": "busy"}}, "busy": {"on": {"REST": "idle", "JAM": "jammed"}}, "jammed": {}}})
        >>> g = explore(Model(pump, alphabet=events("PUMP") + events("REST") + events("JAM")))
        >>> checker = LivenessChecker(g, [Fairness("weak", "PUMP"), Fairness("weak", "REST")])
        >>> lasso = checker.violation(always_eventually(lambda s: s.matches("busy")), lambda p, i: p(g.states[i]))
        >>> [g.states[i].value for _, i in lasso.path], lasso.stutter
        (['idle', 'busy', 'jammed'], True)
        """
        graph = self.graph
        # a state that was never expanded (bounds, constraint) has unknown successors: no cycle
        # may pass through it, or it would look like a fair place to stutter for ever
        everything = {i for i in range(len(graph.states)) if graph.expanded[i]}
        if isinstance(prop, Always):
            bad = [i for i in range(len(graph.states)) if not holds(prop.predicate, i)]
            if not bad:
                return None
            first = min(bad, key=lambda i: (graph.depth[i], i))
            return Lasso(graph.path_to(first), graph.depth[first], stutter=True)
        if isinstance(prop, EventuallyAlways):  # <>[]P fails on a fair cycle through a ~P state
            return self._fair_cycle_through(everything, lambda i: not holds(prop.predicate, i), None)
        if isinstance(prop, AlwaysEventually):  # []<>P fails on a fair cycle inside ~P
            region = {i for i in everything if not holds(prop.predicate, i)}
            return self._fair_cycle_through(region, None, None)
        if isinstance(prop, Eventually):  # <>P fails on a fair cycle inside ~P reached through ~P
            region = {i for i in everything if not holds(prop.predicate, i)}
            starts = [i for i in graph.initial if i in region]
            return self._fair_cycle_through(region, None, starts)
        if isinstance(prop, LeadsTo):  # P ~> Q fails: a P & ~Q state, then ~Q for ever (fairly)
            region = {i for i in everything if not holds(prop.consequence, i)}
            starts = [i for i in region if holds(prop.premise, i)]
            if not starts:
                return None
            return self._fair_cycle_through(region, None, starts)
        raise TypeError(f"unknown temporal property {prop!r}")

    def _fair_cycle_through(
        self, region: set[int], must: Callable[[int], bool] | None, starts: list[int] | None
    ) -> Lasso | None:
        """A fair cycle inside ``region`` (through a ``must`` state when given), reached from an
        initial state (through ``region`` only, from ``starts``, when given)."""
        reachable = region
        if starts is not None:
            reachable = self._reach(starts, region)
        best: Lasso | None = None
        for comp, taken in self.fair_components(reachable):
            targets = [v for v in comp if must is None or must(v)]
            if not targets:
                continue
            lasso = self._lasso(comp, taken, targets, region, starts)
            if best is None or len(lasso.path) < len(best.path):
                best = lasso
        return best

    def _reach(self, starts: list[int], region: set[int]) -> set[int]:
        seen = set(starts)
        queue = deque(starts)
        while queue:
            v = queue.popleft()
            for _, t in self.graph.edges[v]:
                if t in region and t not in seen:
                    seen.add(t)
                    queue.append(t)
        return seen

    def _lasso(
        self, comp: list[int], taken: set[Action], targets: list[int], region: set[int], starts: list[int] | None
    ) -> Lasso:
        graph = self.graph
        members = set(comp)
        if starts is None:
            entry = min(comp, key=lambda i: (graph.depth[i], i))
            prefix = graph.path_to(entry)
        else:
            prefix, entry = self._shortest_into(starts, region, members)
        # The cycle visits a target, takes every fair action the component takes, and visits, for
        # each fair action enabled somewhere but never taken, a state where it is disabled.
        goals: list[Goal] = [self._visits(set(targets))]
        goals.extend(self._takes(action) for action in sorted(taken, key=repr))
        goals.extend(
            self._disabled(action) for action in sorted({a for v in comp for a in self.enabled(v)} - taken, key=repr)
        )
        return self.close_cycle(prefix, entry, members, goals)

    @staticmethod
    def _visits(states: set[int]) -> Goal:
        def goal(v: int, e: int | None) -> bool:
            return v in states

        return goal

    def _takes(self, action: Action) -> Goal:
        def goal(v: int, e: int | None) -> bool:
            return e is not None and action in self.table.of_event[e]

        return goal

    def _disabled(self, action: Action) -> Goal:
        def goal(v: int, e: int | None) -> bool:
            return action not in self.enabled(v)

        return goal

    def _shortest_into(
        self, starts: list[int], region: set[int], members: set[int]
    ) -> tuple[list[tuple[int | None, int]], int]:
        """A shortest path from an initial state to a start, then through ``region`` into ``members``."""
        graph = self.graph
        route = graph.shortest_route(
            sorted(starts, key=lambda i: (graph.depth[i], i)), members.__contains__, within=region
        )
        if route is None:  # pragma: no cover
            raise AssertionError("component not reachable from its starts")
        return graph.path_to(route[0][1]) + route[1:], route[-1][1]

    def close_cycle(
        self, prefix: list[tuple[int | None, int]], entry: int, members: set[int], goals: list[Goal]
    ) -> Lasso:
        """Close a cycle from ``entry`` inside ``members`` meeting every goal (a test on the state
        reached and the event taken); when ``entry`` alone meets them all, stutter there.

        >>> from statecharts import Machine
        >>> from statecharts.check import Model, explore, events
        >>> seesaw = Machine({"id": "seesaw", "initial": "left", "states": {
        ...     "left": {"on": {"TIP": "right"}}, "right": {"on": {"TIP": "left"}}}})
        >>> g = explore(Model(seesaw, alphabet=events("TIP")))
        >>> checker = LivenessChecker(g, [])
        >>> checker.close_cycle(g.path_to(0), 0, {0, 1}, [lambda v, e: v == 1])
        Lasso(path=[(None, 0), (0, 1), (0, 0)], cycle_start=0, stutter=False)
        >>> checker.close_cycle(g.path_to(0), 0, {0, 1}, [lambda v, e: v == 0]).stutter
        True
        """
        pending = [g for g in goals if not g(entry, None)]
        if not pending:
            return Lasso(prefix, len(prefix) - 1, stutter=True)
        cycle: list[tuple[int | None, int]] = []
        here = entry
        while pending:
            hop = self._bfs_inside(here, members, _any_of(pending))
            cycle.extend(hop)
            for e, v in hop:
                pending = [g for g in pending if not g(v, e)]
            here = cycle[-1][1]
        if here != entry:
            cycle.extend(self._bfs_inside(here, members, lambda v, e: v == entry))
        return Lasso(prefix + cycle, len(prefix) - 1, stutter=False)

    def _bfs_inside(self, start: int, members: set[int], goal: Goal) -> list[tuple[int | None, int]]:
        """A shortest path of at least one edge from ``start`` inside ``members`` to a goal."""
        edges = self.graph.edges
        parent: dict[int, tuple[int, int]] = {}
        queue: deque[int] = deque([start])
        visited = {start}
        while queue:
            v = queue.popleft()
            for e, t in edges[v]:
                if t not in members:
                    continue
                if goal(t, e):
                    path: list[tuple[int | None, int]] = [(e, t)]
                    while v != start:
                        p, pe = parent[v]
                        path.append((pe, v))
                        v = p
                    path.reverse()
                    return path
                if t not in visited:
                    visited.add(t)
                    parent[t] = (v, e)
                    queue.append(t)
        raise AssertionError("goal not reachable inside its component")  # pragma: no cover


def _any_of(goals: list[Goal]) -> Goal:
    def goal(v: int, e: int | None) -> bool:
        return any(g(v, e) for g in goals)

    return goal
