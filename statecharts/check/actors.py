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

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from statecharts.actions import SpawnChild, StartInvoke, StopChild, StopInvoke
from statecharts.errors import ConfigError
from statecharts.event import Event, to_event
from statecharts.machine import Machine
from statecharts.state import Snapshot

Channel = tuple[str, str]
SystemInvariant = Callable[["SystemState"], bool]


@dataclass(frozen=True)
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

    @classmethod
    def initial(cls, machine: Machine, root_id: str | None = None) -> SystemState:
        """The root's initial snapshot with the children its initial configuration starts."""
        world = _World(dict(), dict(), dict(), dict())
        root = root_id or machine.id
        world.add(root, machine, machine.initial_state(), None)
        return world.freeze()

    def actor(self, actor_id: str) -> Snapshot | None:
        """The snapshot of the actor with this id, or ``None`` when it is not running."""
        for aid, snapshot in self.actors:
            if aid == actor_id:
                return snapshot
        return None

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


@dataclass(frozen=True)
class SystemStep:
    """One step of an actor-system trace: ``receiver`` processed ``event`` sent by ``sender``
    (``None``: the environment, an event of the alphabet), leading to ``state``."""

    sender: str | None
    receiver: str
    event: Event | None
    state: SystemState

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
    about the states not reached)."""

    ok: bool
    violated: str | None
    trace: tuple[SystemStep, ...]
    states: int
    complete: bool

    def format(self) -> str:
        """A readable report: the verdict, the state count and the trace, one step per line."""
        if self.violated is not None:
            head = f"invariant {self.violated!r} violated after {len(self.trace) - 1} steps ({self.states} states):"
            return "\n".join([head, *(f"{i}. {step.format()}" for i, step in enumerate(self.trace))])
        verdict = "all invariants hold" if self.complete else "no violation found, but the search was cut short at"
        return f"{verdict} {self.states} states"


def child_machines(machine: Machine) -> list[str]:
    """Where the chart starts child machines (invokes of a Machine, ``spawn_child`` actions), as
    state ids with what they start; empty for a chart that is one actor.

    >>> from statecharts import Machine
    >>> from statecharts.actions import spawn_child
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {}}})
    >>> child_machines(Machine({"id": "m", "initial": "a", "states": {"a": {
    ...     "invoke": {"src": kid, "id": "k"}, "entry": spawn_child("kid")}}}, services={"kid": kid}))
    ["m.a: spawn_child('kid')", "m.a: invoke 'k'"]
    """
    found: list[str] = []
    for node in machine.states:
        actions = [*node.entry, *node.exit, *(a for t in node.transitions for a in t.actions)]
        found += [f"{node.id}: spawn_child({a.src!r})" for a in actions if isinstance(a, SpawnChild)]
        found += [f"{node.id}: invoke {i.id!r}" for i in node.invoke if not callable(i.src)]
    return found


def check_actors(machine: Machine, *, alphabet: Iterable[str | Event | Mapping[str, Any]] = (),
                 invariants: Mapping[str, SystemInvariant] | None = None, max_states: int = 100_000,
                 root_id: str | None = None, deadlock: bool = False,
                 end: SystemInvariant | None = None) -> SystemReport:
    """Breadth-first search of the actor system ``machine`` runs as (see the module docstring);
    invariants are predicates over a `SystemState` (``state.actor("w1")`` is a child's snapshot).
    ``alphabet`` takes what `statecharts.check.events` makes. With ``deadlock=True`` a state where
    nothing can change (no message in flight, no event of the alphabet moves the root) while the
    root is active and ``end(state)`` does not hold is the violation ``"deadlock"``.

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
    events = [to_event(e) for e in alphabet]
    checks = dict(invariants or {})
    root = root_id or machine.id
    start = SystemState.initial(machine, root)
    previous: dict[SystemState, tuple[SystemState, SystemStep] | None] = {start: None}
    first = SystemStep(None, root, None, start)

    for name, holds in checks.items():
        if not holds(start):
            return SystemReport(False, name, (first,), 1, True)
    frontier = deque([start])
    while frontier:
        state = frontier.popleft()
        steps = _successors(root, state, events)
        if deadlock and all(step.state == state for step in steps):
            snapshot = state.actor(root)
            if snapshot is not None and snapshot.status == "active" and not (end is not None and end(state)):
                return SystemReport(False, "deadlock", _path(previous, state, first), len(previous), True)
        for step in steps:
            nxt = step.state
            if nxt in previous:
                continue
            previous[nxt] = (state, step)
            for name, holds in checks.items():
                if not holds(nxt):
                    return SystemReport(False, name, _path(previous, nxt, first), len(previous), True)
            if len(previous) >= max_states:
                return SystemReport(False, None, (), len(previous), False)
            frontier.append(nxt)
    return SystemReport(True, None, (), len(previous), True)


def _path(previous: Mapping[SystemState, tuple[SystemState, SystemStep] | None], state: SystemState,
          first: SystemStep) -> tuple[SystemStep, ...]:
    steps: list[SystemStep] = []
    link = previous[state]
    while link is not None:
        before, step = link
        steps.append(step)
        link = previous[before]
    return (first, *reversed(steps))


def _successors(root: str, state: SystemState, events: list[Event]) -> list[SystemStep]:
    found: list[SystemStep] = []
    if state.actor(root) is not None:
        for event in events:
            world = _World.thaw(state)
            world.process(root, event)
            found.append(SystemStep(None, root, event, world.freeze()))
    for (sender, receiver), queued in state.channels:
        world = _World.thaw(state)
        world.take(sender, receiver)
        if receiver in world.snapshots:
            world.process(receiver, queued[0])
        found.append(SystemStep(sender, receiver, queued[0], world.freeze()))
    return found


def _machine_of(snapshot: Snapshot) -> Machine:
    """The machine a snapshot of the system belongs to (the facade, which runs its transitions)."""
    machine = snapshot.machine
    if not isinstance(machine, Machine):
        raise TypeError(f"a snapshot of {machine.id!r} belongs to a {type(machine).__name__}, not a Machine")
    return machine


class _World:
    """A mutable copy of a `SystemState` for computing one successor."""

    def __init__(self, snapshots: dict[str, Snapshot], parents: dict[str, str],
                 channels: dict[Channel, tuple[Event, ...]], machines: dict[str, Machine]) -> None:
        self.snapshots = snapshots
        self.parents = parents
        self.channels = channels
        self.machines = machines

    @classmethod
    def thaw(cls, state: SystemState) -> _World:
        snapshots = dict(state.actors)
        machines = {aid: _machine_of(s) for aid, s in snapshots.items()}
        return cls(snapshots, dict(state.parents), dict(state.channels), machines)

    def freeze(self) -> SystemState:
        return SystemState(tuple(sorted(self.snapshots.items())), tuple(sorted(self.parents.items())),
                           tuple(sorted((k, v) for k, v in self.channels.items() if v)))

    def take(self, sender: str, receiver: str) -> None:
        queued = self.channels[(sender, receiver)]
        self.channels[(sender, receiver)] = queued[1:]

    def post(self, sender: str, receiver: str, event: Event) -> None:
        self.channels[(sender, receiver)] = (*self.channels.get((sender, receiver), ()), event)

    def add(self, actor_id: str, machine: Machine, snapshot: Snapshot, parent: str | None) -> None:
        self.machines[actor_id] = machine
        if parent is not None:
            self.parents[actor_id] = parent
        self.adopt(actor_id, snapshot)

    def process(self, actor_id: str, event: Event) -> None:
        snapshot = self.snapshots[actor_id]
        if snapshot.status != "active":
            return
        self.adopt(actor_id, self.machines[actor_id].transition(snapshot, event))

    def adopt(self, actor_id: str, snapshot: Snapshot) -> None:
        machine = self.machines[actor_id]
        self.snapshots[actor_id] = Snapshot(machine, snapshot.nodes, snapshot.context, snapshot.history, (),
                                            snapshot.status, snapshot.output)
        for effect in snapshot.effects:
            action = effect.action
            if isinstance(action, StartInvoke):
                invoke = machine.chart.invokes[action.invoke_id]
                if invoke.state in snapshot.nodes and invoke.id not in self.snapshots:
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
            to = p.to
            if to is None or to in ("#_self", actor_id):
                self.post(actor_id, actor_id, p.event)
            elif to == "#_parent" and actor_id in self.parents:
                self.post(actor_id, self.parents[actor_id], p.event)
            elif to.removeprefix("#") in self.snapshots:
                self.post(actor_id, to.removeprefix("#"), p.event)
            else:
                self.post(actor_id, actor_id, Event("error.communication", {"target": to, "event": p.event.name}))
        if snapshot.status == "done" and actor_id in self.parents:
            self.post(actor_id, self.parents[actor_id], Event(f"xstate.done.actor.{actor_id}", snapshot.output))
            self.stop(actor_id, self.parents[actor_id])

    def start_child(self, parent: str, child_id: str, src: Any, name: str, given: Any) -> None:
        if not isinstance(src, Machine):
            raise ConfigError(f"actor {parent!r}: the walker models child machines only; {name!r} is a "
                              f"{type(src).__name__}", key="src")
        if child_id in self.snapshots:
            raise ConfigError(f"actor {parent!r} starts a second child with id {child_id!r}", key="id")
        self.add(child_id, src, src.initial_state(input=given), parent)

    def stop(self, actor_id: str, parent: str) -> None:
        if self.parents.get(actor_id) != parent:
            return
        for child in [c for c, p in self.parents.items() if p == actor_id]:
            self.stop(child, actor_id)
        del self.snapshots[actor_id]
        del self.parents[actor_id]
        del self.machines[actor_id]
        for key in [k for k in self.channels if k[1] == actor_id]:  # what it sent stays in flight
            del self.channels[key]
