"""Breadth-first exploration of a model's reachable snapshots: the state graph.

States are numbered in discovery order; ``parent``/``via`` pointers give a shortest path back to an
initial state. Successors are macrosteps (`statecharts.check.successor.successor`); an event that
changes nothing is a stutter and adds no edge.
"""

from __future__ import annotations

import gc
import time
from array import array
from collections import deque
from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from statecharts.chart import StateNode, Transition
from statecharts.check.compact import EdgeTable, KeyIndex, StoredStates
from statecharts.check.kernel import (
    CONTEXT_ID,
    CompiledStep,
    ConfigurationSteps,
    ContextStates,
    EventSteps,
    Selection,
    SharedContexts,
    StateKeys,
    StepCompiler,
    selected,
)
from statecharts.check.model import Model, refuse_actor_system
from statecharts.check.successor import successor, take
from statecharts.check.symmetry import canonical_key_function
from statecharts.errors import ConfigError, PredicateError, StatechartError
from statecharts.event import Event
from statecharts.frozen import FrozenDict
from statecharts.index import matching
from statecharts.state import Snapshot

Progress = Callable[["StateGraph"], None]


@dataclass
class Bounds:
    """Where a walk stops early: states stored, depth expanded, seconds spent (``None``: no bound).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> stairs = Machine({"id": "stairs", "initial": "s0", "states": {
    ...     "s0": {"on": {"UP": "s1"}}, "s1": {"on": {"UP": "s2"}}, "s2": {"on": {"UP": "s3"}}, "s3": {}}})
    >>> g = explore(Model(stairs, alphabet=events("UP")), Bounds(max_depth=1))
    >>> len(g.states), g.complete, g.stopped_by
    (2, False, 'depth bound 1')
    """

    max_states: int | None = None
    max_depth: int | None = None
    max_seconds: float | None = None
    stop: Callable[[], str | None] | None = None  # polled ~10 times a second: a reason to stop (Ctrl-C, memory)


class Paths:
    """Shortest paths over an explored graph's parent links and edges: shared by `StateGraph` and
    the actor system's graph (`statecharts.check.actors.SystemGraph`)."""

    parent: list[int]
    via: list[int]
    edges: list[list[tuple[int, int]]]

    def path_to(self, i: int) -> list[tuple[int | None, int]]:
        """The shortest path from an initial state: ``[(None, init), (event, state), ...]``.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> sign = Machine({"id": "sign", "initial": "red", "states": {
        ...     "red": {"on": {"NEXT": "green"}}, "green": {"on": {"NEXT": "amber", "STOP": "red"}}, "amber": {}}})
        >>> g = explore(Model(sign, alphabet=events("STOP") + events("NEXT")))
        >>> [(e, g.states[i].value) for e, i in g.path_to(2)]
        [(None, 'red'), (1, 'green'), (1, 'amber')]
        """
        path: list[tuple[int | None, int]] = []
        while self.parent[i] >= 0:
            path.append((self.via[i], i))
            i = self.parent[i]
        path.append((None, i))
        path.reverse()
        return path

    def shortest_route(
        self, sources: Iterable[int], goal: Callable[[int], bool], within: Container[int] | None = None
    ) -> list[tuple[int | None, int]] | None:
        """A shortest path from one of ``sources`` to a state meeting ``goal``, breadth first (ties go
        to the earlier source, then to the earlier edge), stepping only into states ``within`` when
        given: ``[(None, source), (event index, state), ...]``, or ``None`` when no goal is reachable.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> m = Machine({"id": "t", "initial": "a", "states": {
        ...     "a": {"on": {"GO": "b", "SKIP": "c"}}, "b": {"on": {"GO": "c"}}, "c": {}}})
        >>> g = explore(Model(m, alphabet=events("GO") + events("SKIP")))
        >>> g.shortest_route(g.initial, lambda i: g.states[i].matches("c"))
        [(None, 0), (1, 2)]
        >>> g.shortest_route(g.initial, lambda i: g.states[i].matches("c"), within={0, 1}) is None
        True
        """
        parent: dict[int, tuple[int, int] | None] = {}
        queue: deque[int] = deque()
        for s in sources:
            if s not in parent:
                parent[s] = None
                queue.append(s)
        while queue:
            i = queue.popleft()
            if goal(i):
                route: list[tuple[int | None, int]] = []
                while (link := parent[i]) is not None:
                    route.append((link[1], i))
                    i = link[0]
                route.append((None, i))
                route.reverse()
                return route
            for e, j in self.edges[i]:
                if j not in parent and (within is None or j in within):
                    parent[j] = (i, e)
                    queue.append(j)
        return None


@dataclass
class StateGraph(Paths):
    """The explored graph. ``edges[i]`` lists ``(event index, target state)`` of state ``i``'s
    non-stutter successors, in alphabet order.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> g = explore(Model(m, alphabet=events("GO")))
    >>> len(g.states), g.edges, g.complete
    (2, [[(0, 1)], []], True)
    """

    model: Model
    events: tuple[Event, ...]
    states: list[Snapshot] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    via: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    edges: list[list[tuple[int, int]]] = field(default_factory=list)
    expanded: list[bool] = field(default_factory=list)
    initial: list[int] = field(default_factory=list)
    index: dict[Hashable, int] = field(default_factory=dict)
    transitions: int = 0
    complete: bool = True
    stopped_by: str | None = None
    seconds: float = 0.0
    fired: set[Transition] = field(default_factory=set)
    # TLC's coverage: per chart transition, the steps that took it and the new states those found
    taken: dict[Transition, int] = field(default_factory=dict)
    found: dict[Transition, int] = field(default_factory=dict)
    self_loops: set[int] = field(default_factory=set)  # states where some event fires yet changes nothing
    # the active states expanded without a step (no edge, no self-loop), in the order walked
    dead_ends: list[int] = field(default_factory=list)
    # the configurations of the states stored, when the walk collected them (`active_nodes`)
    configurations: set[frozenset[StateNode]] | None = None
    symmetric: bool = False
    raised: int = 0  # steps in which a guard or action raised and no transition took error.execution
    first_raised: tuple[int, int | None, Snapshot, str] | None = None  # (state, event or None, after, what)
    key_of: Callable[[Snapshot], Hashable] = field(default=StateKeys(()).of, repr=False)

    def find(self, snapshot: Snapshot) -> int | None:
        """The number of the explored state equal to ``snapshot`` (or, with symmetry, of its
        orbit's representative); ``None`` when it was not reached.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> latch = Machine({"id": "latch", "context": {"owner": "me"}, "initial": "low", "states": {
        ...     "low": {"on": {"SET": "high"}}, "high": {"on": {"SET": "low"}}}})
        >>> g = explore(Model(latch, alphabet=events("SET")))
        >>> g.find(latch.transition(latch.initial_state(), "SET")), g.find(latch.initial_state({"owner": "you"}))
        (1, None)
        """
        return self.index.get(self.key_of(snapshot))

    @property
    def max_depth(self) -> int:
        """The depth of the deepest state stored (0 for none).

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> hop = Machine({"id": "hop", "initial": "x", "states": {
        ...     "x": {"on": {"HOP": "y"}}, "y": {"on": {"HOP": "z"}}, "z": {}}})
        >>> explore(Model(hop, alphabet=events("HOP"))).max_depth
        2
        """
        return max(self.depth, default=0)

    def active_nodes(self) -> set[StateNode]:
        """Every state node active in some explored snapshot.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> box = Machine({"id": "box", "initial": "shut", "states": {
        ...     "shut": {"on": {"OPEN": "open"}}, "open": {"initial": "empty", "states": {"empty": {}, "full": {}}}}})
        >>> sorted(n.id for n in explore(Model(box, alphabet=events("OPEN"))).active_nodes())
        ['box', 'box.open', 'box.open.empty', 'box.shut']
        """
        seen: set[frozenset[StateNode]] = set()
        if self.configurations is not None:
            seen = self.configurations
        elif isinstance(self.states, StoredStates):
            seen = self.states.configurations()
        else:
            for s in self.states:
                seen.add(s.configuration_nodes)
        return set().union(*seen) if seen else set()


def explore(
    model: Model,
    bounds: Bounds | None = None,
    *,
    symmetry: bool = False,
    coverage: bool = True,
    on_state: Callable[[int, Snapshot], None] | None = None,
    progress: Progress | None = None,
    initial: Sequence[Snapshot] | None = None,
    compact: bool = False,
) -> StateGraph:
    """Walk every event of the alphabet in every reachable state, breadth first.

    ``on_state(i, snapshot)`` is called for each new state (invariants are checked there, so the
    first violation found has a shortest trace). States outside ``model.constraint`` are stored but
    not expanded (TLC's CONSTRAINT). ``symmetry=True`` stores one representative per orbit of the
    model's symmetry groups. Steps ``model.action_constraint`` refuses are not taken.
    ``initial`` starts the walk from those snapshots instead of the model's initial states.
    ``compact=True`` stores the graph in `statecharts.check.compact`'s form (a flat key a state,
    arrays for the rest; snapshots rebuilt on access): the same states, edges and shortest paths
    in a fraction of the memory (not with symmetry, whose representatives are kept as they are).

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import Model, events
    >>> m = Machine({"id": "c", "context": {"n": 0}, "initial": "on", "states": {"on": {"on": {
    ...     "INC": {"guard": lambda c, e: c["n"] < 3, "actions": assign(n=lambda c, e: c["n"] + 1)}}}}})
    >>> g = explore(Model(m, alphabet=events("INC")))
    >>> [s.context["n"] for s in g.states], g.transitions
    ([0, 1, 2, 3], 3)
    """
    refuse_actor_system(model.machine, "explore()")
    with collector_paused():
        return _explore(model, bounds, symmetry, coverage, on_state, progress, initial, compact)


COLLECT_EVERY = 1 << 17  # states stored between two young collections while the collector is paused
FIRST_COLLECTION = 1 << 12  # early and cheap: it tells whether the model's code makes cyclic garbage


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with Python's cyclic garbage collector off (restored after).

    The walk allocates a few objects per stored state and keeps them all: with the collector on,
    each full collection traverses every stored state again, so the rate falls as the graph grows
    (1.4-1.6x slower at 65,970 states, worse at 10^6). `collect_young` is called by the walk now and
    then (`YoungCollections`): it collects the objects made since the last call and freezes the
    survivors (`gc.freeze`), so cyclic garbage made by the model's own code is still freed and no
    stored state is traversed twice.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        if not frozen:  # leave a caller's own frozen objects frozen
            gc.unfreeze()
        if enabled:
            gc.enable()


def collect_young() -> int:
    """Collect the objects made since the last call (generations 0 and 1) and freeze what is left;
    the number of unreachable objects found.

    >>> collect_young() >= 0; import gc; gc.get_freeze_count() > 0
    True
    True
    >>> gc.unfreeze()
    """
    found = gc.collect(1)
    gc.freeze()
    return found


class YoungCollections:
    """`collect_young` for a walk, called once `FIRST_COLLECTION` states are stored, then every
    `COLLECT_EVERY`: a collection traverses every object made since the last one (0.13-0.25 CPU s
    per 131,072 states of UpdateCluster 3x5, 0.55 s for the first 131,072: 2.1 s, 7% of the
    walk), and most models make no cyclic garbage. So once a collection finds none, the next
    `QUIET_ROUNDS` - 1 calls only freeze (no traversal), and a collection that finds some makes
    every call collect again until one finds none (`tests/check/test_collector.py`). Garbage
    made in a quiet round is frozen with the walk's objects and freed after the walk.
    """

    def __init__(self) -> None:
        self.round = 0
        self.dirty = True  # the last collection found cyclic garbage (or none ran yet)

    def __call__(self) -> bool:
        """Collect or only freeze; whether it collected."""
        collect = self.dirty or self.round % QUIET_ROUNDS == 0
        if collect:
            self.dirty = collect_young() > 0
            if self.dirty:
                self.round = 0
        else:
            gc.freeze()
        self.round += 1
        return collect


QUIET_ROUNDS = 8  # after a collection that found no cyclic garbage: one collection in this many calls


def _explore(
    model: Model,
    bounds: Bounds | None,
    symmetry: bool,
    coverage: bool,
    on_state: Callable[[int, Snapshot], None] | None,
    progress: Progress | None,
    initial: Sequence[Snapshot] | None,
    compact: bool = False,
) -> StateGraph:
    bounds = bounds or Bounds()
    alphabet = tuple(model.events())
    graph = StateGraph(model, alphabet, symmetric=symmetry and bool(model.symmetry or model.canonicalize))
    initial_states = list(model.initial_states() if initial is None else initial)
    if not initial_states:  # nothing to walk: every property would "hold" about nothing
        raise ConfigError(
            f"model {model.name or model.machine.id!r} has no initial state (its initial_contexts "
            f"are empty, or no state was given to start from): nothing to check",
            key="initial_contexts",
        )
    for snapshot in initial_states:
        if snapshot.machine is not model.machine:
            raise ConfigError(
                f"a state to start from belongs to machine {snapshot.machine.id!r} "
                f"({id(snapshot.machine):#x}), not to the model's {model.machine.id!r} "
                f"({id(model.machine):#x}): restore it with model.machine.restore(...)",
                key="initial",
            )
    unhandled = unhandled_error_function(model.machine)
    keys = StateKeys(tuple(initial_states[0].context) if initial_states else ())
    key_of = graph.key_of = canonical_key_function(model) if graph.symmetric else keys.of
    shared: SharedContexts | None = None
    if not graph.symmetric and not compact:  # the full walk: one int a state's key, contexts shared
        shared = SharedContexts(keys)
        key_of = graph.key_of = shared.of
        graph.index = shared  # type: ignore[assignment]
    stored: StoredStates | None = None
    if compact and not graph.symmetric:
        stored = StoredStates(keys, model.machine)
        graph.states = stored  # type: ignore[assignment]
        graph.parent, graph.via, graph.depth = array("i"), array("i"), array("i")  # type: ignore[assignment]
        graph.expanded = bytearray()  # type: ignore[assignment]
        graph.edges = EdgeTable()  # type: ignore[assignment]
        graph.index = KeyIndex(stored.stored)  # type: ignore[assignment]
        key_of = graph.key_of = stored.key_of
    compiler = StepCompiler(model.machine, alphabet, shared)
    index = graph.index
    constraint = model.constraint
    fired: list[Transition] | None = [] if coverage else None
    taken, new_by = graph.taken, graph.found
    allowed = (
        None
        if model.action_constraint is None
        else step_predicate("action constraint", "action_constraint", model.action_constraint)
    )
    start = time.perf_counter()
    deadline = None if bounds.max_seconds is None else start + bounds.max_seconds
    next_progress = start + 1.0
    stop, next_poll = bounds.stop, start

    states, parents, vias, depths, edges, expanded = (
        graph.states,
        graph.parent,
        graph.via,
        graph.depth,
        graph.edges,
        graph.expanded,
    )

    # with `SharedContexts`, per state: the states of its context (`ContextStates`) and its rest's
    # one int object: what its key says, read without building an int
    state_contexts: list[ContextStates] = []
    state_rests: list[int] = []

    # a compiled step's snapshot (one `Expander.expand` keyed) is active and took an alphabet event
    compiled_may_raise = any(event.name == "error.execution" for event in alphabet)

    def add(snapshot: Snapshot, parent: int, via: int, depth: int, key: Hashable = None) -> int:
        if (
            unhandled is not None
            and (key is None or compiled_may_raise)
            and (snapshot.status == "error" or snapshot.event is not None and snapshot.event.name == "error.execution")
        ):
            failure = unhandled(snapshot)  # reported by the walk's verdict, never silently a stutter
            if failure is not None:
                graph.raised += 1
                if graph.first_raised is None:
                    graph.first_raised = (parent, via if parent >= 0 else None, snapshot, failure)
        if key is None:
            try:
                key = key_of(snapshot)
                found = index.get(key)
            except TypeError:
                raise UnhashableStateError(snapshot, parent, via, graph) from None
            if found is not None:
                return found
            if shared is not None and key == -1:  # a new context
                key = shared.new_key(snapshot)
        elif stored is not None:  # a key `Expander.expand` just looked up and did not find: a new state
            key = (key[0], *key[1])  # type: ignore[index]
        if shared is not None:  # the full walk: stored as `Expander.expand` stores a compiled step's new state
            return add_new(snapshot, parent, via, depth, shared.states[key & CONTEXT_ID], keys.ids[key >> 32])  # type: ignore[operator]
        i = len(states)
        if stored is None:
            index[key] = i
            states.append(snapshot)
        else:
            index[stored.append(key)] = i  # type: ignore[arg-type]
        parents.append(parent)
        vias.append(via)
        depths.append(depth)
        edges.append([])
        expanded.append(False)
        if on_state is not None:
            on_state(i, snapshot)
        return i

    def add_new(snapshot: Snapshot, parent: int, via: int, depth: int, target: ContextStates, rest: int) -> int:
        # the full walk's new state whose context is stored (its states ``target``, its rest
        # ``rest``): `add` ends here, and `Expander.expand` calls it directly for a compiled
        # step's new state (no key to build or look up, nothing raised to report)
        i = len(states)
        target[rest] = i
        states.append(snapshot)
        state_contexts.append(target)
        state_rests.append(rest)
        parents.append(parent)
        vias.append(via)
        depths.append(depth)
        edges.append([])
        expanded.append(False)
        if on_state is not None:
            on_state(i, snapshot)
        return i

    for snapshot in initial_states:
        i = add(snapshot, -1, -1, 0)
        if i not in graph.initial:
            graph.initial.append(i)

    self_loops = graph.self_loops
    expander = Expander(compiler, keys, graph.symmetric, fired, new_by, allowed, shared)
    if shared is not None and stored is None and not compiled_may_raise:
        expander.add_new = add_new
    size = states.__len__
    lookup: Lookup = index.get
    if stored is not None:
        get = index.get

        def flat_lookup(key: Hashable) -> int | None:
            return get((key[0], *key[1]))  # type: ignore[index]

        lookup = flat_lookup
    dead_ends = graph.dead_ends
    head = 0
    next_collect = FIRST_COLLECTION
    collect = YoungCollections()
    max_depth, max_states = bounds.max_depth, bounds.max_states
    polled = deadline is not None or progress is not None or stop is not None
    bounded = max_depth is not None or constraint is not None or max_states is not None or polled
    while head < len(states):
        i = head
        head += 1
        if head >= next_collect:
            collect()
            next_collect = head + COLLECT_EVERY
        s = states[i]
        if bounded:  # one test a state when nothing bounds or watches the walk
            if max_depth is not None and depths[i] >= max_depth:
                graph.complete, graph.stopped_by = False, f"depth bound {max_depth}"
                continue
            if constraint is not None and not evaluate("constraint", "constraint", constraint, s):
                continue
            if max_states is not None and len(states) >= max_states:
                graph.complete, graph.stopped_by = False, f"state bound {max_states}"
                break
            if polled:
                now = time.perf_counter()
                if deadline is not None and now > deadline:
                    graph.complete, graph.stopped_by = False, f"time bound {bounds.max_seconds} s"
                    break
                if stop is not None and now >= next_poll:
                    next_poll, reason = now + 0.1, stop()
                    if reason is not None:
                        graph.complete, graph.stopped_by = False, reason
                        break
                if progress is not None and now >= next_progress:
                    graph.seconds = now - start
                    progress(graph)
                    next_progress = now + 0.5
        expanded[i] = True
        if s.status != "active":
            continue
        out = edges[i] if stored is None else []
        try:
            if shared is None:
                expander.expand(i, s, depths[i] + 1, lookup, add, size, out, self_loops)
            else:
                expander.expand(
                    i, s, depths[i] + 1, lookup, add, size, out, self_loops, state_contexts[i], state_rests[i]
                )
        except ExpandError as exc:
            raise WalkError(graph, i, exc.event, exc.cause) from exc.cause
        if stored is not None:
            edges.fill(i, out)  # type: ignore[attr-defined]
        if not out and i not in self_loops:
            dead_ends.append(i)
        if fired:
            for t in fired:
                taken[t] = taken.get(t, 0) + 1
            fired.clear()
    if fired is not None:
        for step in compiler.compiled_steps():  # the compiled steps count their own coverage
            if step.taken:
                for t in step.transitions:
                    taken[t] = taken.get(t, 0) + step.taken
                    if step.found:
                        new_by[t] = new_by.get(t, 0) + step.found
    graph.fired = set(taken)
    if shared is not None:  # the configurations of the rests stored: a set of ints, not of the states
        graph.configurations = keys.configurations(set(state_rests))
    # every non-stutter step is one edge
    graph.transitions = graph.edges.total if isinstance(graph.edges, EdgeTable) else sum(map(len, graph.edges))
    graph.seconds = time.perf_counter() - start
    return graph


Lookup = Callable[[Hashable], "int | None"]
Add = Callable[[Snapshot, int, int, int, Hashable], int]
# ``add_new(snapshot, parent, event index, depth, states of its context, rest) -> state number``
AddNew = Callable[[Snapshot, int, int, int, ContextStates, int], int]


class ExpandError(Exception):
    """The chart failed on event number ``event`` (the walk wraps it in a `WalkError`)."""

    def __init__(self, event: int, cause: StatechartError) -> None:
        super().__init__(str(cause))
        self.event, self.cause = event, cause


class Expander:
    """A state's successors, over the compiled steps of `statecharts.check.kernel`: one job shared
    by the full walk (`explore`) and the fingerprint walk (`statecharts.check.fingerprints`).

    `expand` tries every event of the alphabet some active state can take. A compiled step that
    leads to a known state costs a key and a ``lookup``, no snapshot; otherwise the new snapshot
    goes to ``add(snapshot, parent, event index, depth, key) -> state number``, with the key that
    ``lookup`` just did not find (a new state), or ``None`` when there is none. Edges to
    other states are appended to ``out`` as ``(event index, state)``; a step that fires yet leads
    back to the same state puts the state in ``self_loops``. Steps the model's action constraint
    refuses are not taken. With ``fired`` (coverage), the transitions each full macrostep took are
    appended to it, and ``found`` counts per transition the new states they found; a compiled step
    counts its own (`CompiledStep.taken` and ``found``).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> g = explore(Model(m, alphabet=events("GO")))
    >>> g.edges
    [[(0, 1)], []]
    """

    def __init__(
        self,
        compiler: StepCompiler,
        keys: StateKeys,
        symmetric: bool,
        fired: list[Transition] | None,
        found: dict[Transition, int],
        allowed: Callable[[Snapshot, Event, Snapshot], bool] | None,
        shared: SharedContexts | None = None,
    ) -> None:
        self.compiler, self.keys, self.symmetric = compiler, keys, symmetric
        self.shared = shared  # the full walk's keys (`SharedContexts`); else `StateKeys.of`'s
        self.by_rest: list[ConfigurationSteps | None] = []  # with `shared`: by rest, its configuration's steps
        self.fired, self.found, self.allowed = fired, found, allowed
        self.xstate = bool(getattr(compiler.machine, "xstate", False))  # semantics="xstate" takes no compiled steps
        self.general = self.xstate or symmetric or allowed is not None  # every step through `_step`
        # with `shared`: how the full walk stores a compiled step's new state whose context is
        # known (`AddNew`); ``None``: through ``add`` like any other
        self.add_new: AddNew | None = None
        # each selection of two or more transitions the walk remembered, once (`EventSteps.choices`
        # holds the same tuple for every context that chose it: fewer tuples, and their memory stays hot)
        self.selections: dict[Selection, Selection] = {}

    def expand(
        self,
        i: int,
        s: Snapshot,
        depth: int,
        lookup: Lookup,
        add: Add,
        size: Callable[[], int],
        out: list[tuple[int, int]],
        self_loops: set[int],
        here_states: ContextStates | None = None,
        stored_rest: int = -1,
    ) -> None:
        """Add state ``i``'s successors (see the class); a chart failure is an `ExpandError`.
        ``here_states`` and ``stored_rest``: what the state's `SharedContexts` key says (the
        states of its context, its rest's int) when the caller stores states under such keys
        (the full walk); else ``None`` and -1.

        The common step, a compiled one (no symmetry, no action constraint, not xstate mode), is
        taken here in one straight line; every other step goes through `_step`. With
        `SharedContexts`, what a configuration's guards choose and where a compiled step's
        assigns lead are remembered per context (`EventSteps.choices`, `CompiledStep.successors`):
        guards and assigns are functions of the context and the event, so another state with the
        same context, in any configuration with the same chains, gets them without a call."""
        compiler, keys = self.compiler, self.keys
        nodes_now = s.configuration_nodes
        shared = self.shared
        if shared is not None and here_states is not None:
            rest = stored_rest  # the rest's one int object, as the index holds it
            here = here_states.id
            by_rest = self.by_rest  # a configuration's compiled steps by rest: a list read, no frozenset lookup
            configuration = by_rest[rest] if rest < len(by_rest) else None  # type: ignore[assignment]
            if configuration is None:
                configuration = compiler.configuration(nodes_now)
                if rest >= len(by_rest):
                    by_rest.extend([None] * (rest + 1 - len(by_rest)))
                by_rest[rest] = configuration
        else:
            if shared is not None:  # its memories are indexed by the state's context: never guess one
                raise TypeError("Expander.expand with SharedContexts needs the state's here_states and stored_rest")
            rest, here = -1, -1
            configuration = compiler.configuration(nodes_now)
        context = s.context
        if self.general:
            for steps in configuration.events:
                selection = None if self.xstate else steps.select(context)  # xstate mode: the full macrostep
                self._step(i, s, depth, add, size, out, self_loops, steps, selection, configuration.settled)
            return
        settled = configuration.settled
        counting = self.fired is not None
        ids = None if shared is None else shared.ids
        by_context = None if shared is None else shared.states
        values, width = keys.values, keys.size
        if rest < 0:
            rest = keys.rest(s)
        add_new, selections = self.add_new, self.selections
        for steps in configuration.events:
            choices = steps.choices
            selection = None if choices is None else choices[here]
            if selection is None:
                try:
                    selection = steps.pick(context)
                except Exception:  # noqa: BLE001 - the chart's own guard: the full macrostep reports it
                    selection = None
                else:
                    if choices is not None:
                        if type(selection) is tuple:  # one tuple per selection: dict keys hash it cheaply
                            selection = selections.setdefault(selection, selection)
                        choices[here] = selection
            if not selection:
                if settled and selection is not None:
                    continue  # no transition enabled: nothing changes
                self._step(i, s, depth, add, size, out, self_loops, steps, selection, settled)
                continue
            try:
                compiled = steps.steps[selection]
            except KeyError:
                try:
                    compiled = compiler.step(steps, s, selection)
                except StatechartError as exc:
                    raise ExpandError(steps.index, exc) from exc
            if compiled is None:
                self._step(i, s, depth, add, size, out, self_loops, steps, selection, settled)
                continue
            nodes = compiled.configuration_nodes
            if nodes is nodes_now:
                moved = rest
            elif compiled.rest_from == rest:
                moved = compiled.rest_to
            else:
                moved = compiled.rest_to = keys.rest(s, nodes)
                compiled.rest_from = rest
            event = steps.event
            successors = compiled.successors
            target = None if successors is None else successors[here]  # the states of the context it leads to
            key: Hashable = None
            if target is None:
                try:
                    data = compiled.assigns(context, event)
                except Exception:  # noqa: BLE001 - the chart's own assign: the full macrostep reports it
                    self._step(i, s, depth, add, size, out, self_loops, steps, selection, settled, compiled)
                    continue
                try:
                    if len(data) == width:
                        try:
                            context_key = values(data)
                        except KeyError:  # the schema's size, other keys
                            context_key = keys.context(data)
                    else:
                        context_key = keys.context(data)
                    if shared is None:
                        key = (moved, context_key)
                        j = lookup(key)
                    else:
                        after = ids.get(context_key)  # type: ignore[union-attr]
                        if after is None:
                            if type(data) is not FrozenDict:
                                data = FrozenDict.of_frozen(data)  # type: ignore[arg-type]
                            after = shared.share(context_key, data)  # type: ignore[arg-type]
                        target = by_context[after]  # type: ignore[index]
                        if successors is not None:
                            successors[here] = target
                        j = target.get(moved)
                except TypeError:  # an unhashable value: `add` names it
                    key, j = None, None
            else:
                j = target.get(moved)
            if counting:
                compiled.taken += 1
            if j is None:
                if target is not None and add_new is not None:  # a new state of a stored context
                    # `Snapshot.with_context(data, event, nodes)`, without the call
                    data = shared.contexts[target.id]  # type: ignore[union-attr]
                    reached = Snapshot(s.machine, nodes, data, s.history, s.pending, s.status, s.output, (), event, ())
                    j = add_new(reached, i, steps.index, depth, target, moved)
                    if counting:
                        compiled.found += 1
                    out.append((steps.index, j))
                    continue
                if target is not None:
                    key = moved << 32 | target.id
                    data = shared.contexts[target.id]  # type: ignore[union-attr]
                elif type(data) is not FrozenDict:
                    data = FrozenDict.of_frozen(data)  # type: ignore[arg-type]
                known = size()
                # `Snapshot.with_context(data, event, nodes)`, without the call
                reached = Snapshot(s.machine, nodes, data, s.history, s.pending, s.status, s.output, (), event, ())
                j = add(reached, i, steps.index, depth, key)
                if counting and j == known:
                    compiled.found += 1
                if j == i:
                    self_loops.add(i)
                else:
                    out.append((steps.index, j))
            elif target is not None:  # a known state: this one when its key is this state's (not reading j)
                if target is here_states and moved == rest:
                    self_loops.add(i)  # transitions fired but the snapshot is the same: a stutter, yet no deadlock
                else:
                    out.append((steps.index, j))
            elif j == i:
                self_loops.add(i)
            else:
                out.append((steps.index, j))

    def _step(
        self,
        i: int,
        s: Snapshot,
        depth: int,
        add: Add,
        size: Callable[[], int],
        out: list[tuple[int, int]],
        self_loops: set[int],
        steps: EventSteps,
        selection: Selection | None,
        settled: bool,
        failed: CompiledStep | None = None,
    ) -> None:
        """One event's step in general: the full macrostep, a compiled step under symmetry or an
        action constraint (``selection`` is ``None`` when a guard raised; ``failed``: the
        compiled step whose assigns raised, so the full macrostep reports it)."""
        compiler, fired, new_by, allowed = self.compiler, self.fired, self.found, self.allowed
        mark = len(fired) if fired is not None else 0
        event = steps.event
        e = steps.index
        counted: CompiledStep | None = None
        try:
            if selection is None:
                after = successor(s, event, fired, steps.chains, settled)
                if after is None:
                    return
            elif not selection and settled:
                return
            else:
                compiled = None
                if selection and failed is None:
                    try:
                        compiled = steps.steps[selection]
                    except KeyError:
                        compiled = compiler.step(steps, s, selection)
                data = None
                if compiled is not None:
                    try:
                        data = compiled.assigns(s.context, event)
                    except Exception:  # noqa: BLE001 - the chart's own assign: the full macrostep reports it
                        data = None
                if data is None:
                    after = take(s, event, selected(selection), fired)
                else:
                    assert compiled is not None
                    counted = compiled if fired is not None else None  # coverage: counted on the step
                    if type(data) is not FrozenDict:
                        data = FrozenDict.of_frozen(data)  # type: ignore[arg-type]
                    after = s.with_context(data, event, compiled.configuration_nodes)
        except StatechartError as exc:
            raise ExpandError(e, exc) from exc
        if allowed is not None and not allowed(s, event, after):
            if fired is not None:
                del fired[mark:]
            return
        known = size()
        j = add(after, i, e, depth, None)  # `add` keys the snapshot (symmetry: its orbit's representative)
        if counted is not None:
            counted.taken += 1
            if j == known:
                counted.found += 1
        elif fired is not None and j == known:  # a new state: credit the transitions that found it
            for t in fired[mark:]:
                new_by[t] = new_by.get(t, 0) + 1
        if j == i:  # transitions fired but the snapshot is the same: a stutter, yet no deadlock
            self_loops.add(i)
            return
        out.append((e, j))


def unhandled_error_function(machine: Any) -> Callable[[Snapshot], str | None] | None:
    """``fn(snapshot)``: what raised in the step that made ``snapshot`` (``None`` when nothing did);
    no function (``None``) when the chart takes ``error.execution`` itself. With
    ``semantics="xstate"`` nothing takes it: a step that raised is one that left the actor's status
    ``"error"`` (xstate's actor error).
    The walk counts such steps (`StateGraph.raised`) and keeps the first; `check` reports them.

    >>> from statecharts import Machine
    >>> def ratio(context, event):
    ...     return 1 / 0
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "guard": ratio}}}}})
    >>> print(unhandled_error_function(m)(m.transition(m.initial_state(), "GO")))
    guard ratio of <Transition m.a --GO--> m.a> raised ZeroDivisionError: division by zero (no transition takes
    error.execution)
    """
    if getattr(machine, "xstate", False):

        def failed(snapshot: Snapshot) -> str | None:
            if snapshot.status != "error":
                return None
            return f"{snapshot.output} (semantics='xstate': the actor's status is 'error')"

        return failed
    if any(matching(node.transitions, "error.execution") for node in machine.states):
        return None

    def unhandled(snapshot: Snapshot) -> str | None:
        what = execution_error(snapshot.event)
        return None if what is None else f"{what} (no transition takes error.execution)"

    return unhandled


def execution_error(event: Event | None) -> str | None:
    """What raised, when ``event`` is SCXML's ``error.execution`` (which action or guard, and the
    exception); ``None`` for any other event.

    >>> execution_error(Event("error.execution", {"error": ValueError("bad"), "source": "action save"}))
    'action save raised ValueError: bad'
    >>> execution_error(Event("GO")) is None
    True
    """
    if event is None or event.name != "error.execution" or not isinstance(event.data, Mapping):
        return None
    error = event.data.get("error")
    what = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else repr(error)
    return f"{event.data.get('source', 'a step')} raised {what}"


class WalkError(StatechartError):
    """The chart itself failed on some event (e.g. an eventless loop): names the state and event.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> spin = Machine({"id": "spin", "initial": "a", "states": {
    ...     "a": {"on": {"KICK": "b"}}, "b": {"always": "c"}, "c": {"always": "b"}}})
    >>> try:
    ...     explore(Model(spin, alphabet=events("KICK")))
    ... except WalkError as exc:
    ...     print(exc.state, exc.event, exc)
    0 0 machine 'spin' did not settle after 1000 microsteps ... (while walking event Event('KICK') in state 'a',
    context {})
    """

    def __init__(self, graph: StateGraph, state: int, event: int, cause: StatechartError) -> None:
        self.graph, self.state, self.event = graph, state, event
        snapshot = graph.states[state]
        super().__init__(
            f"{cause} (while walking event {graph.events[event]!r} in state "
            f"{snapshot.value!r}, context {dict(snapshot.context)!r})"
        )


def evaluate(kind: str, name: str, predicate: Callable[[Snapshot], Any], snapshot: Snapshot) -> bool:
    """A model predicate's verdict; one that raises is a `PredicateError` naming it and the state.

    >>> from statecharts import Machine
    >>> s = Machine({"id": "m", "initial": "a", "states": {"a": {}}}).initial_state()
    >>> evaluate("invariant", "boom", lambda s: 1 / 0, s)
    Traceback (most recent call last):
    statecharts.errors.PredicateError: invariant 'boom' raised ZeroDivisionError: ... in state 'a' (context {})
    """
    try:
        return bool(predicate(snapshot))
    except Exception as exc:  # noqa: BLE001 - the model's own code: report where it failed
        raise predicate_error(kind, name, snapshot, exc) from exc


def predicate_error(kind: str, name: str, snapshot: Snapshot, exc: Exception) -> PredicateError:
    """The error for a model predicate that raised ``exc`` in ``snapshot``: names it and the state."""
    return PredicateError(
        f"{kind} {name!r} raised {type(exc).__name__}: {exc} in state {snapshot.value!r} "
        f"(context {dict(snapshot.context)!r})"
    )


def step_predicate(
    kind: str, name: str, predicate: Callable[[Snapshot, Event, Snapshot], Any]
) -> Callable[[Snapshot, Event, Snapshot], bool]:
    """A model's step predicate ``fn(state, event, next_state)`` as a call whose failure is a
    `PredicateError` naming it, the state and the event.

    >>> from statecharts import Machine
    >>> s = Machine({"id": "m", "initial": "a", "states": {"a": {}}}).initial_state()
    >>> step_predicate("action property", "calm", lambda a, e, b: e.name != "PANIC")(s, Event("PANIC"), s)
    False
    >>> step_predicate("action property", "boom", lambda a, e, b: 1 / 0)(s, Event("GO"), s)
    Traceback (most recent call last):
    statecharts.errors.PredicateError: action property 'boom' raised ZeroDivisionError: ... on Event('GO')...
    """

    def call(state: Snapshot, event: Event, after: Snapshot) -> bool:
        try:
            return bool(predicate(state, event, after))
        except Exception as exc:  # noqa: BLE001 - the model's own code: report where it failed
            raise PredicateError(
                f"{kind} {name!r} raised {type(exc).__name__}: {exc} on {event!r} in state "
                f"{state.value!r} (context {dict(state.context)!r})"
            ) from exc

    return call


class UnhashableStateError(StatechartError):
    """A context value the walker cannot store (a bytearray, an object without a hash): names the key
    and the step (lists, dicts and sets are frozen in snapshots, so they hash).

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import Model, events
    >>> bag = Machine({"id": "bag", "context": {"items": ()}, "initial": "open", "states": {
    ...     "open": {"on": {"ADD": {"actions": assign(items=lambda c, e: bytearray(b"1"))}}}}})
    >>> explore(Model(bag, alphabet=events("ADD")))
    Traceback (most recent call last):
    statecharts.check.graph.UnhashableStateError: context key 'items' (bytearray) is not hashable in the state after
    Event('ADD') from 'open': the walker stores states in a set; use tuples, frozensets or frozen dataclasses
    """

    def __init__(self, snapshot: Snapshot, parent: int, via: int, graph: StateGraph) -> None:
        bad = []
        for key, value in snapshot.context.items():
            try:
                hash(value)
            except TypeError:
                bad.append(f"{key!r} ({type(value).__name__})")
        where = (
            "the initial state"
            if parent < 0
            else f"the state after {graph.events[via]!r} from {graph.states[parent].value!r}"
        )
        super().__init__(
            f"context key {', '.join(bad) or '?'} is not hashable in {where}: the walker "
            f"stores states in a set; use tuples, frozensets or frozen dataclasses"
        )
