"""Test paths from the state graph: state cover, transition cover, simple paths between states.

Every path starts in an initial state of the model (a test resets the system under test, then
sends the path's events) and is a `TestPath`: a `Trace` (event with payload and the snapshot the
chart expects after each step) plus the goal it was made for, printable as a test description.

- `shortest_paths`: one shortest path to every reachable state, read off the walker's
  breadth-first tree (``parent``/``via``), so nothing is serialized per state.
- `state_cover`: the paths to the leaves of that tree only; together they visit every state.
- `transition_cover`: paths that take every edge of the graph (``of="edges"``: every event in
  every reachable state where it changes something) or fire every chart transition the walk can
  fire (``of="transitions"``). Greedy chaining: from where the path stands, go by a shortest route
  to the nearest state with something left to cover, take it, repeat; when nothing is reachable
  any more (or the path hits ``max_length``), start a new path from an initial state. Not a
  minimal cover (that is the directed Chinese postman problem), but every step is linear in the
  graph, and the paths are few and long.
- `simple_paths`: paths without repeated states from the initial states (or given sources) to
  states meeting a target, up to a length bound: a depth-first search pruned by the distance to
  the target (computed once, backwards), so a branch that cannot reach the target within the
  bound is never entered. The number of simple paths itself can grow exponentially with the bound
  in a graph with many diamonds (the cluster model's interleavings); use ``limit`` there.

>>> from statecharts import Machine
>>> from statecharts.check.model import Model, events
>>> m = Machine({"id": "door", "initial": "closed", "states": {
...     "closed": {"on": {"OPEN": "open", "LOCK": "locked"}},
...     "open": {"on": {"CLOSE": "closed"}}, "locked": {"on": {"UNLOCK": "closed"}}}})
>>> model = Model(m, alphabet=events("OPEN") + events("CLOSE") + events("LOCK") + events("UNLOCK"))
>>> [p.events for p in state_cover(model)]
[(Event('OPEN'),), (Event('LOCK'),)]
>>> [[e.name for e in p.events] for p in transition_cover(model)]
[['OPEN', 'CLOSE', 'LOCK', 'UNLOCK']]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from statecharts.chart import Transition
from statecharts.check.graph import Bounds, StateGraph, explore
from statecharts.check.model import Model
from statecharts.check.successor import successor
from statecharts.check.trace import Trace, changed_context, event_text, leaves, states_text, value_text
from statecharts.check.walker import trace_of
from statecharts.errors import StatechartError
from statecharts.event import Event
from statecharts.state import Snapshot

Step = tuple[int | None, int]  # (event index into graph.events, or None for the start; state index)
Target = int | str | Callable[[Snapshot], bool]


class PathsError(StatechartError):
    """Paths cannot be made from this graph (e.g. it was explored with symmetry reduction).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> pair = Machine({"id": "pair", "initial": "x", "states": {"x": {"on": {"SWAP": "y"}}, "y": {}}})
    >>> reduced = explore(Model(pair, alphabet=events("SWAP"), canonicalize=lambda s: s.value), symmetry=True)
    >>> state_cover(reduced)
    Traceback (most recent call last):
    statecharts.check.paths.PathsError: model 'pair': the state graph was explored with symmetry reduction; ...
    """


@dataclass(frozen=True)
class TestPath:
    """A test: reset to ``trace[0].snapshot``, then send each step's event and expect its snapshot.

    >>> from statecharts import Machine
    >>> from statecharts.check.trace import TraceStep
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> s0 = m.initial_state()
    >>> p = TestPath(Trace((TraceStep(None, s0), TraceStep(Event("GO"), m.transition(s0, "GO")))), "reach b")
    >>> p
    TestPath(GO)
    >>> print(p.format())
    reach b
      given the initial state: a
      1. GO -> b
    """

    __test__: ClassVar[bool] = False  # not a pytest test class

    trace: Trace
    goal: str = ""

    @property
    def events(self) -> tuple[Event, ...]:
        """The events to send, in order.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import events
        >>> vend = Machine({"id": "vend", "initial": "idle", "states": {
        ...     "idle": {"on": {"COIN": "paid"}}, "paid": {"on": {"PICK": "idle"}}}})
        >>> shortest_paths(Model(vend, alphabet=events("COIN") + events("PICK")))[1].events
        (Event('COIN'),)
        """
        return tuple(step.event for step in self.trace.steps[1:] if step.event is not None)

    @property
    def initial(self) -> Snapshot:
        """The snapshot the system under test starts from.

        >>> from statecharts import Machine, assign
        >>> from statecharts.check.model import events
        >>> dial = Machine({"id": "dial", "context": {"level": 1}, "initial": "set", "states": {"set": {"on": {"TURN": {
        ...     "guard": lambda c, e: c["level"] < 3, "actions": assign(level=lambda c, e: c["level"] + 1)}}}}})
        >>> paths = shortest_paths(Model(dial, alphabet=events("TURN"), initial_contexts=[{"level": 1}, {"level": 7}]))
        >>> [(len(p), p.initial.context["level"]) for p in paths]
        [(0, 1), (0, 7), (1, 1), (2, 1)]
        """
        return self.trace.steps[0].snapshot

    @property
    def final(self) -> Snapshot:
        """The snapshot expected at the end.

        >>> from statecharts import Machine, payload
        >>> from statecharts.check.model import events
        >>> coin = Machine({"id": "coin", "initial": "air", "states": {
        ...     "air": {"on": {"LAND": [{"guard": payload(side="h"), "target": "heads"}, {"target": "tails"}]}},
        ...     "heads": {}, "tails": {}}})
        >>> [p.final.value for p in state_cover(Model(coin, alphabet=events("LAND", side=["h", "t"])))]
        ['heads', 'tails']
        """
        return self.trace.steps[-1].snapshot

    def __len__(self) -> int:
        return len(self.trace) - 1

    def __repr__(self) -> str:
        return f"TestPath({', '.join(event_text(e) for e in self.events) or 'initial state'})"

    def prefix(self, n: int) -> TestPath:
        """The first ``n`` steps of this path.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import events
        >>> lift = Machine({"id": "lift", "initial": "g", "states": {
        ...     "g": {"on": {"UP": "f1"}}, "f1": {"on": {"UP": "f2", "DOWN": "g"}}, "f2": {"on": {"DOWN": "f1"}}}})
        >>> top = state_cover(Model(lift, alphabet=events("UP") + events("DOWN")))[0]
        >>> top, top.prefix(1), top.prefix(1).final.value, len(top.prefix(0))
        (TestPath(UP, UP), TestPath(UP), 'f1', 0)
        """
        return TestPath(Trace(self.trace.steps[: n + 1]), self.goal)

    def format(self, context: bool = True) -> str:
        """A readable test description: the start, then per step the event and what it changes
        (active states as ``region.path=state``, and with ``context=True`` the changed keys).

        >>> from statecharts import Machine, assign
        >>> from statecharts.check.model import events
        >>> meter = Machine({"id": "meter", "context": {"kwh": 0}, "initial": "on", "states": {
        ...     "on": {"on": {"USE": {"actions": assign(kwh=lambda c, e: c["kwh"] + e.data["k"])}, "CUT": "off"}},
        ...     "off": {"type": "final"}}})
        >>> g = explore(Model(meter, alphabet=events("USE", k=[2]) + events("CUT")), Bounds(max_depth=2))
        >>> bill = to_path(g, g.path_to(4), "bill")
        >>> print(bill.format())
        bill
          given the initial state: on
              context: kwh=0
          1. USE(k=2) -> (same states); kwh=2
          2. CUT -> off [done]
        >>> print(bill.format(context=False).splitlines()[2])
          1. USE(k=2) -> (same states)
        """
        lines = [self.goal] if self.goal else []
        start = self.initial
        given = states_text(leaves(start))
        lines.append(f"  given the initial state: {given}")
        if context and start.context:
            lines.append("      context: " + ", ".join(f"{k}={value_text(v)}" for k, v in start.context.items()))
        before = start
        for i, step in enumerate(self.trace.steps[1:], 1):
            assert step.event is not None
            line = f"  {i}. {event_text(step.event)} -> {describe_change(before, step.snapshot, context)}"
            lines.append(line)
            before = step.snapshot
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain data: the goal and the steps (`TraceStep.to_json`).

        >>> from statecharts import Machine
        >>> from statecharts.check.model import events
        >>> bell = Machine({"id": "bell", "initial": "quiet", "states": {"quiet": {"on": {"RING": "ringing"}},
        ...                                                              "ringing": {}}})
        >>> data = shortest_paths(Model(bell, alphabet=events("RING")))[-1].to_json()
        >>> data["goal"], [(step["event"], step["configuration"]) for step in data["steps"]]
        ('reach ringing', [(None, ['bell.quiet']), ('RING', ['bell.ringing'])])
        """
        return {"goal": self.goal, "steps": self.trace.to_json()}


def describe_change(before: Snapshot, after: Snapshot, context: bool = True) -> str:
    """What changed from ``before`` to ``after``: active states, then context keys.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> describe_change(m.initial_state(), m.transition(m.initial_state(), "GO"))
    'b'
    """
    old, new = leaves(before), leaves(after)
    text = states_text({k: v for k, v in new.items() if old.get(k) != v}) or "(same states)"
    if context:
        changed = [f"{k}={value_text(v)}" for k, v in changed_context(before, after).items()]
        if changed:
            text += "; " + ", ".join(changed)
    if after.status != before.status:
        text += f" [{after.status}]"
    return text


# -- making the graph ----------------------------------------------------------------------------
def state_graph(source: Model | StateGraph, bounds: Bounds | None = None) -> StateGraph:
    """The graph to read paths from: ``source`` itself, or a fresh walk of the model (without
    symmetry: paths must be concrete).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> len(state_graph(Model(m, alphabet=events("GO"))).states)
    2
    """
    if isinstance(source, StateGraph):
        if source.symmetric:
            raise PathsError(
                f"model {source.model.name or source.model.machine.id!r}: the state graph was "
                "explored with symmetry reduction; test paths need the concrete graph "
                "(explore without symmetry)"
            )
        return source
    return explore(source, bounds, coverage=False)


def to_path(graph: StateGraph, steps: list[Step], goal: str = "") -> TestPath:
    """A `TestPath` from ``[(None, initial), (event index, state), ...]`` on ``graph``.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> kettle = Machine({"id": "kettle", "initial": "cold", "states": {
    ...     "cold": {"on": {"BOIL": "hot"}}, "hot": {"on": {"POUR": "cold"}}}})
    >>> g = explore(Model(kettle, alphabet=events("BOIL") + events("POUR")))
    >>> path = to_path(g, [(None, 0), (0, 1), (1, 0)], "boil and pour")
    >>> path, path.goal, path.final.value
    (TestPath(BOIL, POUR), 'boil and pour', 'cold')
    """
    return TestPath(trace_of(graph, steps), goal)


def _goal_reach(graph: StateGraph, i: int) -> str:
    return "reach " + states_text(leaves(graph.states[i]))


# -- state cover ---------------------------------------------------------------------------------
def shortest_paths(source: Model | StateGraph, bounds: Bounds | None = None) -> list[TestPath]:
    """One shortest path to every reachable state, in breadth-first order (one per state).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> shortest_paths(Model(m, alphabet=events("GO")))
    [TestPath(initial state), TestPath(GO)]
    """
    graph = state_graph(source, bounds)
    return [to_path(graph, graph.path_to(i), _goal_reach(graph, i)) for i in range(len(graph.states))]


def state_cover(source: Model | StateGraph, bounds: Bounds | None = None) -> list[TestPath]:
    """Shortest paths to the leaves of the breadth-first tree: every reachable state is on one of
    them (a state that is no one's tree parent is a leaf; the others lie on their children's paths).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> state_cover(Model(m, alphabet=events("GO")))
    [TestPath(GO)]
    """
    graph = state_graph(source, bounds)
    inner = {p for p in graph.parent if p >= 0}
    out = []
    for i in range(len(graph.states)):
        if i not in inner:
            steps = graph.path_to(i)
            out.append(
                to_path(
                    graph,
                    steps,
                    f"visit {len(steps)} states, ending at: " + _goal_reach(graph, i).removeprefix("reach "),
                )
            )
    return out


# -- transition cover ----------------------------------------------------------------------------
def fired_transitions(graph: StateGraph) -> list[list[frozenset[Transition]]]:
    """Per state and per out-edge (same order as ``graph.edges``), the chart transitions it fires
    (eventless ones in the same macrostep included).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> relay = Machine({"id": "relay", "initial": "a", "states": {
    ...     "a": {"on": {"GO": "b"}}, "b": {"always": "c"}, "c": {"on": {"GO": "a"}}}})
    >>> g = explore(Model(relay, alphabet=events("GO")))
    >>> [[sorted(t.describe() for t in fired) for fired in row] for row in fired_transitions(g)]
    [[['relay.a --GO--> relay.b', 'relay.b --always--> relay.c']], [['relay.c --GO--> relay.a']]]
    """
    out: list[list[frozenset[Transition]]] = []
    for i, edges in enumerate(graph.edges):
        row = []
        for e, _ in edges:
            fired: list[Transition] = []
            successor(graph.states[i], graph.events[e], fired)
            row.append(frozenset(fired))
        out.append(row)
    return out


def transition_cover(
    source: Model | StateGraph, bounds: Bounds | None = None, *, of: str = "edges", max_length: int | None = None
) -> list[TestPath]:
    """Paths that take every edge of the state graph (``of="edges"``) or fire every chart
    transition the walk fires (``of="transitions"``), by greedy chaining of shortest routes (see
    the module docs); ``max_length`` starts a new path when one would grow longer.

    >>> from machines.cluster_update import model
    >>> paths = transition_cover(model(workers=1, requests=1), of="transitions")
    >>> len(paths), sum(len(p) for p in paths)
    (3, 14)
    """
    if of not in ("edges", "transitions"):
        raise ValueError(f"of must be 'edges' or 'transitions', not {of!r}")
    graph = state_graph(source, bounds)
    n = len(graph.states)
    if of == "edges":
        left: list[set[int]] = [set(range(len(graph.edges[i]))) for i in range(n)]

        def useful(i: int) -> list[int]:
            return sorted(left[i])

        def take(i: int, k: int) -> int:
            left[i].discard(k)
            return 1
    else:
        fires = fired_transitions(graph)
        todo: set[Transition] = set().union(*(f for row in fires for f in row)) if n else set()

        def useful(i: int) -> list[int]:
            return [k for k, f in enumerate(fires[i]) if not f.isdisjoint(todo)]

        def take(i: int, k: int) -> int:
            new = len(fires[i][k] & todo)
            todo.difference_update(fires[i][k])
            return new

    def wanted(i: int) -> bool:
        return bool(useful(i))

    paths: list[TestPath] = []
    while True:
        steps = graph.shortest_route(graph.initial, wanted)
        if steps is None:
            break
        covered = 0
        while True:
            here = steps[-1][1]
            options = useful(here)
            if not options or (max_length is not None and len(steps) > max_length and covered):
                break
            # prefer an edge whose target still has work, so the path keeps going without detours
            k = next((k for k in options if wanted_after(graph, here, k, useful)), options[0])
            covered += take(here, k)
            e, j = graph.edges[here][k]
            steps.append((e, j))
            if wanted(j):
                continue
            more = graph.shortest_route([j], wanted)
            if more is None or (max_length is not None and len(steps) + len(more) - 1 > max_length):
                break
            steps.extend(more[1:])
        what = "edge" if of == "edges" else "chart transition"
        paths.append(to_path(graph, steps, f"cover {covered} more {what}{'s' if covered != 1 else ''}"))
    return paths


def wanted_after(graph: StateGraph, i: int, k: int, useful: Callable[[int], list[int]]) -> bool:
    """Edge ``k`` of state ``i`` leads to a state that still has something to cover (other than
    this very edge, when it is a self-loop on the graph).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> steps = Machine({"id": "steps", "initial": "s1", "states": {
    ...     "s1": {"on": {"NEXT": "s2"}}, "s2": {"on": {"NEXT": "s3"}}, "s3": {}}})
    >>> g = explore(Model(steps, alphabet=events("NEXT")))
    >>> left = {0: [0], 1: [0], 2: []}  # per state, the edges still to cover
    >>> wanted_after(g, 0, 0, left.__getitem__), wanted_after(g, 1, 0, left.__getitem__)
    (True, False)
    """
    j = graph.edges[i][k][1]
    return any(m != k or j != i for m in useful(j))


# -- simple paths --------------------------------------------------------------------------------
def matcher(graph: StateGraph, target: Target) -> Callable[[int], bool]:
    """A predicate over state indices: an index, a state path for `Snapshot.matches`
    (``"#cluster.failed"``), or a predicate over snapshots.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> tank = Machine({"id": "tank", "initial": "empty", "states": {
    ...     "empty": {"on": {"FILL": "full"}}, "full": {"on": {"DRAIN": "empty"}}}})
    >>> g = explore(Model(tank, alphabet=events("FILL") + events("DRAIN")))
    >>> [[i for i in range(2) if matcher(g, target)(i)] for target in (1, "full", lambda s: s.matches("empty"))]
    [[1], [1], [0]]
    >>> matcher(g, "fool")
    Traceback (most recent call last):
    KeyError: "machine 'tank' has no state '#tank.fool' (did you mean 'tank.full'?)"
    """
    if isinstance(target, int):
        return lambda i: i == target
    if isinstance(target, str):
        graph.model.machine.get_state(
            target if target.startswith("#") else f"#{graph.model.machine.id}.{target}"
        )  # names a real state
        return lambda i: graph.states[i].matches(target)
    return lambda i: bool(target(graph.states[i]))


def simple_paths(
    source: Model | StateGraph,
    target: Target,
    *,
    start: Target | None = None,
    max_length: int = 10,
    limit: int | None = None,
    bounds: Bounds | None = None,
) -> Iterator[TestPath]:
    """Paths without repeated states from ``start`` (default: the initial states) to a state
    meeting ``target``, at most ``max_length`` events long, stopping at the first target state.
    A path that starts elsewhere than an initial state is prefixed with a shortest path to its
    start, so it can run as a test. Depth first, pruned by the backwards distance to the target
    (exponential only in how many paths there are: bound them with ``limit``).

    >>> from machines.cluster_update import model
    >>> paths = list(simple_paths(model(workers=1, requests=1), "#cluster.failed", max_length=6))
    >>> len(paths), paths[0]
    (1, TestPath(SUBMIT(r=1), PUSH(r=1), SPAWN(w=1), APPLY_START(w=1), APPLY_FINISH(w=1, ok=False)))
    """
    graph = state_graph(source, bounds)
    is_target = matcher(graph, target)
    starts = graph.initial if start is None else [i for i in range(len(graph.states)) if matcher(graph, start)(i)]
    distance = _distance_to(graph, is_target)
    name = (
        target
        if isinstance(target, str)
        else f"state {target}"
        if isinstance(target, int)
        else getattr(target, "__name__", "the target")
    )
    found = 0
    for s in starts:
        if distance.get(s, max_length + 1) > max_length:
            continue
        head = graph.path_to(s)  # ends at (event into s, s): the segment's start is dropped below
        for segment in _dfs(graph, s, is_target, distance, max_length):
            yield to_path(graph, head + segment[1:], f"simple path to {name}")
            found += 1
            if limit is not None and found >= limit:
                return


def _distance_to(graph: StateGraph, is_target: Callable[[int], bool]) -> dict[int, int]:
    """Backwards breadth-first distances to the nearest target state."""
    incoming: list[list[int]] = [[] for _ in graph.states]
    for i, edges in enumerate(graph.edges):
        for _, j in edges:
            incoming[j].append(i)
    distance = {i: 0 for i in range(len(graph.states)) if is_target(i)}
    queue = deque(distance)
    while queue:
        j = queue.popleft()
        for i in incoming[j]:
            if i not in distance:
                distance[i] = distance[j] + 1
                queue.append(i)
    return distance


def _dfs(
    graph: StateGraph, start: int, is_target: Callable[[int], bool], distance: dict[int, int], max_length: int
) -> Iterator[list[Step]]:
    steps: list[Step] = [(None, start)]
    on_path = {start}
    if is_target(start):
        yield list(steps)
        return
    # an explicit stack of edge iterators: deep bounds do not hit the recursion limit
    stack = [iter(graph.edges[start])]
    while stack:
        here_depth = len(steps) - 1
        for e, j in stack[-1]:
            if j in on_path or here_depth + 1 + distance.get(j, max_length + 1) > max_length:
                continue
            if is_target(j):
                yield [*steps, (e, j)]
                continue
            steps.append((e, j))
            on_path.add(j)
            stack.append(iter(graph.edges[j]))
            break
        else:
            stack.pop()
            _, i = steps.pop()
            on_path.discard(i)
