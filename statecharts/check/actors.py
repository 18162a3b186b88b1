"""The walker over an actor system: a chart that invokes or spawns machines, checked as the system
it runs as.

A system state holds every actor's snapshot (the root and its child machines, by id), which actor
is whose parent, and the messages in flight: one FIFO channel per (sender, receiver) pair. A step
is either an event of the model's alphabet processed by the root, or the oldest message of one
channel processed by its receiver; breadth-first search over these steps interleaves the actors in
every order that keeps each pair's messages in order (the order the runtime delivers them in), so
a violated invariant comes with a shortest trace.

What a macrostep leaves behind is carried out as `statecharts.runtime` would: ``invoke`` and
``spawn_child`` of a Machine add a child actor (its initial snapshot, ``input`` resolved),
``StopInvoke``/``stop_child`` remove it with its descendants and channels, sends go to the
channel of their target (``#_parent``, a child id, or the actor itself; an unknown id answers
``error.communication``), and a child reaching a final state sends ``xstate.done.actor.<id>`` with its
output to its parent. A delayed send is a message that may arrive at any later point. Invoked
services that are not machines (functions, coroutines, callbacks) are not modelled: `ConfigError`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from statecharts.actions import Assign, Send, SpawnChild, StartInvoke, StopChild, StopInvoke
from statecharts.chart import StateNode, Transition
from statecharts.check.graph import (
    COLLECT_EVERY,
    FIRST_COLLECTION,
    Bounds,
    Paths,
    YoungCollections,
    collector_paused,
    unhandled_error_function,
)
from statecharts.check.kernel import CompiledStep, StepCompiler
from statecharts.check.trace import event_text
from statecharts.errors import ConfigError
from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict
from statecharts.machine import Machine
from statecharts.state import Snapshot

Channel = tuple[str, str]
SystemInvariant = Callable[["SystemState"], bool]


@dataclass(frozen=True, slots=True)
class SystemState:
    """Every actor's snapshot (by id), who is whose parent, and the messages in flight per
    (sender, receiver) pair; a value (equal states hash alike), as the walker's visited set needs.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
    >>> s = SystemState.initial(m)
    >>> s.actor("m").value, s.in_flight
    ('a', 0)
    """

    actors: tuple[tuple[str, Snapshot], ...]
    parents: tuple[tuple[str, str], ...]
    channels: tuple[tuple[Channel, tuple[Event, ...]], ...]
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        h = self._hash
        if h is None:  # computed once: the walk's visited set hashes each state it meets
            h = hash((self.actors, self.parents, self.channels))
            object.__setattr__(self, "_hash", h)
        return h

    @classmethod
    def initial(
        cls, machine: Machine, root_id: str | None = None, context: Mapping[str, Any] | None = None
    ) -> SystemState:
        """The root's initial snapshot (``context`` overrides keys of its context) with the
        children its initial configuration starts."""
        world = _World(None)
        root = root_id or machine.id
        world.add(root, machine, machine.initial_state(context), None)
        return world.freeze()

    def actor(self, actor_id: str) -> Snapshot | None:
        """The snapshot of the actor with this id, or ``None`` when it is not running."""
        for aid, snapshot in self.actors:
            if aid == actor_id:
                return snapshot
        return None

    def observed(self, reads: dict[str, bool]) -> SystemState:
        """This state, noting in ``reads`` each actor a predicate asks for (`actor`) and whether
        it was running in some state asked: how a checker knows a property read an actor that
        never ran (and so checked nothing about it).

        >>> from statecharts import Machine
        >>> s = SystemState.initial(Machine({"id": "m", "initial": "a", "states": {"a": {}}}))
        >>> reads: dict[str, bool] = {}
        >>> s.observed(reads).actor("m") is not None, s.observed(reads).actor("typo"), reads
        (True, None, {'m': True, 'typo': False})
        """
        return _Observed(self.actors, self.parents, self.channels, reads)

    @property
    def in_flight(self) -> int:
        """How many messages are sent and not yet processed."""
        return sum(len(events) for _, events in self.channels)

    def describe(self) -> str:
        """One line: each actor's state value, then the messages in flight.

        >>> from statecharts import Machine
        >>> SystemState.initial(Machine({"id": "m", "initial": "a", "states": {"a": {}}})).describe()
        'm=a'
        """
        parts = [f"{aid}={s.value}" for aid, s in self.actors]
        parts += [f"{s}->{r}: {', '.join(e.name for e in events)}" for (s, r), events in self.channels]
        return "; ".join(parts)


@dataclass(frozen=True, eq=False)
class _Observed(SystemState):
    """A `SystemState` noting which actors a predicate asked for (`SystemState.observed`)."""

    reads: dict[str, bool] = field(default_factory=dict)

    def actor(self, actor_id: str) -> Snapshot | None:
        found = super().actor(actor_id)
        self.reads[actor_id] = self.reads.get(actor_id, False) or found is not None
        return found


@dataclass(frozen=True)
class SystemStep:
    """One step of an actor-system trace: ``receiver`` processed ``event`` sent by ``sender``
    (``None``: the environment, an event of the alphabet), leading to ``state``; ``raised`` says
    what raised in the step when a guard or action did and the receiver does not take
    ``error.execution`` (the event is then lost without a trace in the state)."""

    sender: str | None
    receiver: str
    event: Event | None
    state: SystemState
    raised: str | None = None

    def format(self) -> str:
        """``sender -> receiver: EVENT => every actor's state``."""
        if self.event is None:
            return f"initial: {self.state.describe()}"
        return f"{self.sender or 'env'} -> {self.receiver}: {self.event.name} => {self.state.describe()}"


@dataclass(frozen=True)
class SystemReport:
    """The outcome: ``ok`` (every invariant held in every reachable state, and the search was not
    cut short), the violated invariant's name with a shortest ``trace``, the number of distinct
    states and whether ``max_states`` stopped the search (``complete`` False: nothing is claimed
    about the states not reached). ``unchecked`` names the invariants that read an actor running
    in no state reached (``ok`` is then False: nothing was checked about that actor)."""

    ok: bool
    violated: str | None
    trace: tuple[SystemStep, ...]
    states: int
    complete: bool
    unchecked: tuple[str, ...] = ()

    def format(self) -> str:
        """A readable report: the verdict, the state count and the trace, one step per line."""
        if self.violated is not None:
            head = f"invariant {self.violated!r} violated after {len(self.trace) - 1} steps ({self.states} states):"
            return "\n".join([head, *(f"{i}. {step.format()}" for i, step in enumerate(self.trace))])
        if self.unchecked:
            return f"not checked: {'; '.join(self.unchecked)} (in {self.states} states)"
        verdict = "all invariants hold" if self.complete else "no violation found, but the search was cut short at"
        return f"{verdict} {self.states} states"


def check_actors(
    machine: Machine,
    *,
    alphabet: Iterable[str | Event | Mapping[str, Any]] = (),
    invariants: Mapping[str, SystemInvariant] | None = None,
    max_states: int = 100_000,
    root_id: str | None = None,
    deadlock: bool = False,
    end: SystemInvariant | None = None,
) -> SystemReport:
    """Breadth-first search of the actor system ``machine`` runs as (see the module docstring),
    stopping at the first violation; invariants are predicates over a `SystemState`
    (``state.actor("w1")`` is a child's snapshot). ``alphabet`` takes what
    `statecharts.check.events` makes. With ``deadlock=True`` a state where nothing can change (no
    message in flight, no event of the alphabet moves the root) while the root is active and
    ``end(state)`` does not hold is the violation ``"deadlock"``. (`statecharts.check.check` of a
    `Model` of such a chart walks the same graph and decides temporal properties too.)

    >>> from statecharts import Machine, assign
    >>> from statecharts.actions import send_parent
    >>> child = Machine({"id": "c", "initial": "a", "states": {"a": {"entry": send_parent("HI")}}})
    >>> parent = Machine({"id": "p", "context": {"his": 0}, "initial": "on", "states": {"on": {
    ...     "invoke": [{"src": "c", "id": "c1"}, {"src": "c", "id": "c2"}],
    ...     "on": {"HI": {"actions": assign(his=lambda ctx, e: ctx["his"] + 1)}}}}}, services={"c": child})
    >>> report = check_actors(parent, invariants={"at most one hello": lambda s: s.actor("p").context["his"] < 2})
    >>> report.violated, len(report.trace) - 1
    ('at most one hello', 2)
    """
    checks = dict(invariants or {})
    root = root_id or machine.id
    found: list[tuple[str, int]] = []
    reads: dict[str, dict[str, bool]] = {name: {} for name in checks}

    def on_state(i: int, state: SystemState) -> bool:
        found.extend((name, i) for name, holds in checks.items() if not holds(state.observed(reads[name])))
        return bool(found)

    graph = explore_system(
        machine,
        [SystemState.initial(machine, root)],
        [to_event(e) for e in alphabet],
        Bounds(max_states=max_states),
        root_id=root,
        on_state=on_state,
    )
    if found:
        name, i = found[0]
        return SystemReport(False, name, graph.trace(i), len(graph.states), True)
    if deadlock:
        for i in graph.deadlocks(end):
            return SystemReport(False, "deadlock", graph.trace(i), len(graph.states), True)
    unchecked = tuple(
        f"invariant {name!r} reads actor {aid!r}, running in no state reached"
        for name, seen in reads.items()
        for aid, ran in seen.items()
        if not ran
    )
    return SystemReport(graph.complete and not unchecked, None, (), len(graph.states), graph.complete, unchecked)


@dataclass(frozen=True)
class Delivery:
    """What one edge of a `SystemGraph` is: ``receiver`` processed ``event`` sent by ``sender``
    (``None``: the environment, an event of the model's alphabet sent to the root). It reads as its
    event's ``name`` and ``data``, so `statecharts.check.Fairness` selects deliveries by event name
    (``Fairness("weak", "DONE")``: every DONE, on every channel, each channel's its own action) or
    by a predicate over the delivery.

    >>> d = Delivery("w1", "shop", Event("DONE", job=2))
    >>> d.name, d.data["job"], d.text()
    ('DONE', 2, 'w1 -> shop: DONE(job=2)')
    """

    sender: str | None
    receiver: str
    event: Event

    @property
    def name(self) -> str:
        """The event's name."""
        return self.event.name

    @property
    def data(self) -> Any:
        """The event's data."""
        return self.event.data

    def text(self) -> str:
        """``sender -> receiver: EVENT(payload)`` (``env`` for the environment)."""
        return f"{self.sender or 'env'} -> {self.receiver}: {event_text(self.event)}"


@dataclass
class SystemGraph(Paths):
    """The explored actor system: ``states[i]`` is a `SystemState`, ``edges[i]`` lists
    ``(delivery index, target state)`` of its successors (a step that changes nothing, an event
    the root ignores, is a stutter and adds no edge), ``events[k]`` is the `Delivery` edge label
    ``k`` stands for. ``parent``/``via`` give a shortest path back to an initial state; states
    outside the model's constraint, or past a bound, are stored but not ``expanded``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> g = explore_system(m, [SystemState.initial(m)], [Event("GO")])
    >>> [s.describe() for s in g.states], g.edges, g.events
    (['m=a', 'm=b'], [[(0, 1)], []], [Delivery(sender=None, receiver='m', event=Event('GO'))])
    """

    root: str
    states: list[SystemState] = field(default_factory=list)
    events: list[Delivery] = field(default_factory=list)
    index: dict[SystemState, int] = field(default_factory=dict)
    parent: list[int] = field(default_factory=list)
    via: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    edges: list[list[tuple[int, int]]] = field(default_factory=list)
    expanded: list[bool] = field(default_factory=list)
    initial: list[int] = field(default_factory=list)
    complete: bool = True
    stopped_by: str | None = None
    seconds: float = 0.0
    raised: int = 0  # steps in which a guard or action raised and the actor does not take error.execution
    first_raised: tuple[int, int, int, str] | None = None  # (state, delivery, state after, what raised)

    @property
    def transitions(self) -> int:
        """Edges: steps between different states."""
        return sum(map(len, self.edges))

    def trace(self, i: int) -> tuple[SystemStep, ...]:
        """A shortest trace to state ``i`` as `SystemStep` s."""
        return tuple(
            SystemStep(None, self.root, None, self.states[j])
            if e is None
            else SystemStep(self.events[e].sender, self.events[e].receiver, self.events[e].event, self.states[j])
            for e, j in self.path_to(i)
        )

    def deadlocks(self, end: SystemInvariant | None = None) -> Iterator[int]:
        """The expanded states, in breadth-first order, where nothing can change (no message in
        flight, no event of the alphabet moves the root) while the root is active and ``end``
        (the model's ``terminal``) does not hold."""
        for i, state in enumerate(self.states):
            if self.expanded[i] and not self.edges[i]:
                root = state.actor(self.root)
                if root is not None and root.status == "active" and not (end is not None and end(state)):
                    yield i


def explore_system(
    machine: Machine,
    initial: Sequence[SystemState],
    alphabet: Sequence[Event],
    bounds: Bounds | None = None,
    *,
    root_id: str | None = None,
    constraint: SystemInvariant | None = None,
    on_state: Callable[[int, SystemState], bool] | None = None,
    compiled: bool = True,
) -> SystemGraph:
    """Breadth-first walk of the actor system from the ``initial`` states: in every state, every
    event of ``alphabet`` sent to the root and the oldest message of every channel delivered.
    ``on_state(i, state)`` is called on each new state (in breadth-first order, so the first state
    that breaks an invariant has a shortest trace); when it answers True the walk stops there.
    States outside ``constraint`` are stored but not expanded (TLC's CONSTRAINT).

    Each actor's step is taken from its compiled steps (`ActorSteps`) where its configuration and
    the event allow, else as the full macrostep; ``compiled=False`` takes every step in full (the
    same graph, as the tests compare).

    >>> from statecharts import Machine
    >>> from statecharts.actions import send_parent
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {"entry": send_parent("HI")}}})
    >>> mum = Machine({"id": "mum", "initial": "on", "states": {"on": {"invoke": {"src": kid, "id": "k"},
    ...                                                              "on": {"HI": "heard"}}, "heard": {}}})
    >>> g = explore_system(mum, [SystemState.initial(mum)], [])
    >>> [s.describe() for s in g.states], [d.text() for d in g.events]
    (['k=a; mum=on; k->mum: HI', 'mum=heard'], ['k -> mum: HI'])
    """
    bounds = bounds or Bounds()
    root = root_id or machine.id
    graph = SystemGraph(root)
    labels: dict[tuple[str | None, str, Event], int] = {}  # (sender, receiver, event): its Delivery's index
    start = time.perf_counter()
    deadline = None if bounds.max_seconds is None else start + bounds.max_seconds
    next_poll = start
    stopped = False
    steps = ActorSteps() if compiled else None
    snapshots: dict[Snapshot, Snapshot] = {}  # one object per actor snapshot, shared by the states holding it

    def add(state: SystemState, parent: int, via: int, depth: int) -> int:
        nonlocal stopped
        found = graph.index.get(state)
        if found is not None:
            return found
        i = len(graph.states)
        graph.index[state] = i
        graph.states.append(state)
        graph.parent.append(parent)
        graph.via.append(via)
        graph.depth.append(depth)
        graph.edges.append([])
        graph.expanded.append(False)
        if on_state is not None and on_state(i, state):
            stopped = True
        return i

    for state in initial:
        i = add(state, -1, -1, 0)
        if i not in graph.initial:
            graph.initial.append(i)
    head = 0
    next_collect = FIRST_COLLECTION
    collect = YoungCollections()
    with collector_paused():  # as the single-chart walk: a full collection would traverse every stored state
        while head < len(graph.states) and not stopped:
            i = head
            head += 1
            if head >= next_collect:
                collect()
                next_collect = head + COLLECT_EVERY
            state = graph.states[i]
            if bounds.max_depth is not None and graph.depth[i] >= bounds.max_depth:
                graph.complete, graph.stopped_by = False, f"depth bound {bounds.max_depth}"
                continue
            if constraint is not None and not constraint(state):
                continue
            if bounds.max_states is not None and len(graph.states) >= bounds.max_states:
                graph.complete, graph.stopped_by = False, f"state bound {bounds.max_states}"
                break
            now = time.perf_counter()
            if deadline is not None and now > deadline:
                graph.complete, graph.stopped_by = False, f"time bound {bounds.max_seconds} s"
                break
            if bounds.stop is not None and now >= next_poll:
                next_poll, reason = now + 0.1, bounds.stop()
                if reason is not None:
                    graph.complete, graph.stopped_by = False, reason
                    break
            graph.expanded[i] = True
            for step in successors(root, state, alphabet, steps, snapshots):
                same = step.state is state or step.state == state
                if step.event is None or (same and step.raised is None):
                    continue  # a stutter: the root ignores the event
                label = (step.sender, step.receiver, step.event)
                e = labels.get(label)
                if e is None:
                    e = labels[label] = len(graph.events)
                    graph.events.append(Delivery(*label))
                j = i if same else add(step.state, i, e, graph.depth[i] + 1)
                if step.raised is not None:
                    graph.raised += 1
                    if graph.first_raised is None:
                        graph.first_raised = (i, e, j, step.raised)
                if j != i:
                    graph.edges[i].append((e, j))
                if stopped:
                    break
    if stopped:
        graph.complete, graph.stopped_by = False, "stopped at the first violation"
    graph.seconds = time.perf_counter() - start
    return graph


def successors(
    root: str,
    state: SystemState,
    events: Sequence[Event],
    steps: ActorSteps | None = None,
    snapshots: dict[Snapshot, Snapshot] | None = None,
) -> list[SystemStep]:
    """Every step from ``state``: each event of ``events`` processed by the root, then the oldest
    message of each channel processed by its receiver (a message to an actor no longer running
    is dropped). ``steps`` takes the actors' steps from their compiled steps where it can;
    ``snapshots`` keeps one object per distinct actor snapshot (the states then share them)."""
    found: list[SystemStep] = []
    if state.actor(root) is not None:
        for event in events:
            world = _World(state, steps, snapshots)
            world.process(root, event)
            found.append(SystemStep(None, root, event, world.freeze(), world.raised))
    for (sender, receiver), queued in state.channels:
        world = _World(state, steps, snapshots)
        world.take(sender, receiver)
        if receiver in world.snapshots:
            world.process(receiver, queued[0])
        found.append(SystemStep(sender, receiver, queued[0], world.freeze(), world.raised))
    return found


Sent = tuple[str | None, Event]  # a send's target as the chart wrote it (None: the actor itself), and its event


class SendingStep(CompiledStep):
    """A `CompiledStep` whose content may also send events at once (``send``, ``send_to``,
    ``send_parent`` without a delay): what an actor of the system does in most steps. `sending`
    runs the content in document order, so a send sees the assigns before it."""

    __slots__ = ("actions",)

    def __init__(self, transitions: list[Transition], nodes: frozenset[StateNode], actions: tuple[Any, ...]) -> None:
        super().__init__(transitions, nodes, _no_assigns)
        self.actions = actions

    def sending(self, context: FrozenDict, event: Event) -> tuple[FrozenDict, tuple[Sent, ...]] | None:
        """The context after the step and the events it sends, or ``None`` when an action raises
        (the full macrostep then turns that into ``error.execution``)."""
        sent: list[Sent] = []
        try:
            for action in self.actions:
                if type(action) is Assign:
                    context = action.apply_to(context, event)
                else:
                    sent.append((action.resolve_to(context, event), action.resolve_event(context, event)))
        except Exception:  # noqa: BLE001 - the chart's own code: the full macrostep reports it
            return None
        return context, tuple(sent)


def _no_assigns(context: FrozenDict, event: Event) -> FrozenDict:
    return context


def _sends_at_once(action: Any) -> bool:
    """A ``send`` to another actor or the sender itself, without a delay (no timer, no raise)."""
    return type(action) is Send and action.delay is None and action.to != "#_internal"


class SendingCompiler(StepCompiler):
    """`statecharts.check.kernel.StepCompiler` for one event of one actor's machine, whose
    compiled steps also send (`SendingStep`): the same configurations, guards and moves."""

    def _compile_step(self, snapshot: Snapshot, enabled: list[Transition], e: int) -> CompiledStep | None:
        move = self.move(snapshot, enabled)
        if move is None:
            return None
        transitions, nodes, actions = move
        if not all(type(a) is Assign or _sends_at_once(a) for a in actions):
            return None  # an effect (a child started or stopped, a timer, a raise): the full macrostep
        return SendingStep(transitions, nodes, tuple(actions))


class ActorSteps:
    """The system walk's fast path: an actor's step from the compiled steps of
    `statecharts.check.kernel` (one `SendingCompiler` per machine and event, cached), as the
    single-chart walk takes its steps. `take` answers ``None`` when the step is not compiled (an
    effect, a final state, history, eventless transitions, a guard or action that raises,
    ``semantics="xstate"``, SCXML): the walk then takes the full macrostep. A compiled step is a
    function of the snapshot and the event (the walker's premise: guards and actions are pure), so
    its outcome is kept per (snapshot, event): an actor's snapshot recurs in many system states.

    >>> from statecharts import Machine
    >>> from statecharts.actions import send_parent
    >>> kid = Machine({"id": "kid", "initial": "idle", "states": {
    ...     "idle": {"on": {"PING": {"target": "idle", "actions": send_parent("PONG")}, "QUIT": "gone"}},
    ...     "gone": {"type": "final"}}})
    >>> s0 = kid.initial_state()
    >>> after, sent = ActorSteps().take(s0, Event("PING"))
    >>> after == s0, sent
    (True, (('#_parent', Event('PONG')),))
    >>> ActorSteps().take(s0, Event("NOPE")) == (s0, ()), ActorSteps().take(s0, Event("QUIT"))
    (True, None)
    """

    LIMIT = 65536  # compilers kept (machine x event): past it, events of new payloads take the full macrostep
    KEPT = 1 << 20  # outcomes kept per (snapshot, event); past it the memo starts again

    def __init__(self) -> None:
        self.compilers: dict[tuple[int, Event], SendingCompiler | None] = {}
        self.taken: dict[tuple[Snapshot, Event], tuple[Snapshot, tuple[Sent, ...]] | None] = {}

    def take(self, snapshot: Snapshot, event: Event) -> tuple[Snapshot, tuple[Sent, ...]] | None:
        """The active ``snapshot`` after ``event`` (the same object when nothing is enabled) with
        what it sends, or ``None`` when the step is not compiled."""
        key = (snapshot, event)
        taken = self.taken
        found = taken.get(key, _UNSEEN)
        if found is _UNSEEN:
            if len(taken) >= self.KEPT:
                taken.clear()
            found = taken[key] = self._take(snapshot, event)
        return found  # type: ignore[no-any-return]

    def _take(self, snapshot: Snapshot, event: Event) -> tuple[Snapshot, tuple[Sent, ...]] | None:
        machine = snapshot.machine
        key = (id(machine), event)
        compiler = self.compilers.get(key, _UNSEEN)
        if compiler is _UNSEEN:
            compiler = None
            if len(self.compilers) < self.LIMIT and not (machine.xstate or machine.prepares_external):
                compiler = SendingCompiler(machine, (event,))
            self.compilers[key] = compiler
        if compiler is None:
            return None
        configuration = compiler.configuration(snapshot.configuration_nodes)
        if not configuration.events:  # settled, and nothing listens: a stutter
            return snapshot, ()
        steps = configuration.events[0]
        context = snapshot.context
        selection = steps.select(context)
        if not selection:
            return (snapshot, ()) if selection is not None and configuration.settled else None
        compiled = compiler.step(steps, snapshot, selection)
        ran = compiled.sending(context, event) if isinstance(compiled, SendingStep) else None
        if ran is None:
            return None
        after, sent = ran
        return Snapshot(
            machine, compiled.configuration_nodes, after, snapshot.history, (), "active", snapshot.output
        ), sent


_UNSEEN: Any = object()


@functools.lru_cache(maxsize=64)
def _unhandled_errors(machine: Machine) -> Callable[[Snapshot], str | None] | None:
    """`statecharts.check.graph.unhandled_error_function`, once per machine."""
    return unhandled_error_function(machine)


def _machine_of(snapshot: Snapshot) -> Machine:
    """The machine a snapshot of the system belongs to (the facade, which runs its transitions)."""
    machine = snapshot.machine
    if not isinstance(machine, Machine):
        raise TypeError(f"a snapshot of {machine.id!r} belongs to a {type(machine).__name__}, not a Machine")
    return machine


class _World:
    """A mutable copy of a `SystemState` (or an empty system) for computing one successor.
    `freeze` shares with the state it came from every actor and channel entry the step left
    alone (and gives that state back when the step changed nothing)."""

    __slots__ = ("state", "snapshots", "parents", "channels", "steps", "interned", "changed", "reshaped", "raised")

    def __init__(
        self,
        state: SystemState | None,
        steps: ActorSteps | None = None,
        snapshots: dict[Snapshot, Snapshot] | None = None,
    ) -> None:
        self.state = state
        self.snapshots: dict[str, Snapshot] = {} if state is None else dict(state.actors)
        self.parents: dict[str, str] = {} if state is None else dict(state.parents)
        self.channels: dict[Channel, tuple[Event, ...]] = {} if state is None else dict(state.channels)
        self.steps = steps
        self.interned = snapshots
        self.changed = False  # anything differs from ``state``
        self.reshaped = state is None  # an actor or a channel came or went: `freeze` sorts
        self.raised: str | None = None  # what raised in the step, unhandled (see SystemStep)

    def freeze(self) -> SystemState:
        state = self.state
        if state is not None and not self.changed:
            return state
        snapshots, channels = self.snapshots, self.channels
        if state is None or self.reshaped:
            return SystemState(
                tuple(sorted(snapshots.items())),
                tuple(sorted(self.parents.items())),
                tuple(sorted([(k, v) for k, v in channels.items() if v])),
            )
        # the same actors and channels, in the same (sorted) order: a new entry only where it changed
        return SystemState(
            tuple([pair if pair[1] is (s := snapshots[pair[0]]) else (pair[0], s) for pair in state.actors]),
            state.parents,
            tuple([pair if pair[1] is q else (pair[0], q) for pair in state.channels if (q := channels[pair[0]])]),
        )

    def take(self, sender: str, receiver: str) -> None:
        queued = self.channels[(sender, receiver)]
        self.channels[(sender, receiver)] = queued[1:]
        self.changed = True

    def post(self, sender: str, receiver: str, event: Event) -> None:
        key = (sender, receiver)
        queued = self.channels.get(key)
        if queued is None:
            self.reshaped = True
            queued = ()
        self.channels[key] = (*queued, event)
        self.changed = True

    def add(self, actor_id: str, machine: Machine, snapshot: Snapshot, parent: str | None) -> None:
        if parent is not None:
            self.parents[actor_id] = parent
        self.reshaped = self.changed = True
        self.adopt(actor_id, machine, snapshot)

    def process(self, actor_id: str, event: Event) -> None:
        snapshot = self.snapshots[actor_id]
        if snapshot.status != "active":
            return
        taken = None if self.steps is None else self.steps.take(snapshot, event)
        if taken is not None:
            after, sent = taken
            if after is not snapshot:
                self.keep(actor_id, after)
            for to, message in sent:
                self.send(actor_id, to, message)
            return
        machine = _machine_of(snapshot)
        after = machine.transition(snapshot, event)
        unhandled = _unhandled_errors(machine)
        what = None if unhandled is None else unhandled(after)
        if what is not None:
            self.raised = f"actor {actor_id!r}: {what}"
        self.adopt(actor_id, machine, after)

    def keep(self, actor_id: str, snapshot: Snapshot) -> None:
        """Make ``snapshot`` (pending sends and effects left out) the actor's, unless it is equal
        to the one it has."""
        if snapshot == self.snapshots.get(actor_id):
            return
        if self.interned is not None:
            snapshot = self.interned.setdefault(snapshot, snapshot)
        self.snapshots[actor_id] = snapshot
        self.changed = True

    def adopt(self, actor_id: str, machine: Machine, snapshot: Snapshot) -> None:
        self.keep(
            actor_id,
            Snapshot(
                machine,
                snapshot.configuration_nodes,
                snapshot.context,
                snapshot.history,
                (),
                snapshot.status,
                snapshot.output,
            ),
        )
        for effect in snapshot.effects:
            action = effect.action
            if isinstance(action, StartInvoke):
                invoke = machine.chart.invokes[action.invoke_id]
                if invoke.state in snapshot.configuration_nodes and invoke.id not in self.snapshots:
                    given = invoke.input(effect.context, effect.event) if callable(invoke.input) else invoke.input
                    self.start_child(actor_id, invoke.id, invoke.src, invoke.src_name, given)
            elif isinstance(action, SpawnChild):
                src = machine.chart.services.get(action.src) if isinstance(action.src, str) else action.src
                child_id = action.resolve_id(effect.context, effect.event, f"{actor_id}.{action.src}")
                given = action.input(effect.context, effect.event) if callable(action.input) else action.input
                self.start_child(actor_id, child_id, src, str(action.src), given)
            elif isinstance(action, StopInvoke):
                self.stop(action.invoke_id, actor_id)
            elif isinstance(action, StopChild):
                self.stop(action.resolve(effect.context, effect.event), actor_id)
        for p in snapshot.pending:
            self.send(actor_id, p.to, p.event)
        if snapshot.status == "done" and actor_id in self.parents:
            self.post(actor_id, self.parents[actor_id], Event(f"xstate.done.actor.{actor_id}", snapshot.output))
            self.stop(actor_id, self.parents[actor_id])

    def send(self, actor_id: str, to: str | None, event: Event) -> None:
        """Deliver a send of ``actor_id`` to its channel: to the actor itself, its parent or the
        actor of that id; to an id no actor has, ``error.communication`` back to the sender."""
        if to is None or to in ("#_self", actor_id):
            self.post(actor_id, actor_id, event)
        elif to == "#_parent" and actor_id in self.parents:
            self.post(actor_id, self.parents[actor_id], event)
        elif to.removeprefix("#") in self.snapshots:
            self.post(actor_id, to.removeprefix("#"), event)
        else:
            self.post(actor_id, actor_id, Event("error.communication", {"target": to, "event": event.name}))

    def start_child(self, parent: str, child_id: str, src: Any, name: str, given: Any) -> None:
        if not isinstance(src, Machine):
            raise ConfigError(
                f"actor {parent!r}: the walker models child machines only; {name!r} is a {type(src).__name__}",
                key="src",
            )
        if child_id in self.snapshots:
            raise ConfigError(f"actor {parent!r} starts a second child with id {child_id!r}", key="id")
        self.add(child_id, src, src.initial_state(input=given), parent)

    def stop(self, actor_id: str, parent: str) -> None:
        if self.parents.get(actor_id) != parent:
            return
        self.reshaped = self.changed = True
        for child in [c for c, p in self.parents.items() if p == actor_id]:
            self.stop(child, actor_id)
        del self.snapshots[actor_id]
        del self.parents[actor_id]
        for key in [k for k in self.channels if k[1] == actor_id]:  # what it sent stays in flight
            del self.channels[key]
