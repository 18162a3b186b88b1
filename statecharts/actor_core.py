"""The actor core both runtimes run on: the threaded `statecharts.interpreter.Interpreter` and the
asyncio `statecharts.runtime.AsyncActor` take each macrostep, run each effect's action, keep the
timers of delayed sends, compute an invoked service's input and outcome event, tell their
listeners, register their actors (`ActorRegistry`), route a send to an actor (`route`), resolve a
``spawn_child`` (`spawn_of`, `respawn_source`) and keep emit handlers (`EmitHandlers`) through
this module. What is left to each runtime is only where it waits: a lock, a
clock's threads and a service pool, or the running event loop.

It imports neither runtime (and nothing of ``statecharts.runtime``), so the threaded interpreter
can use it without loading asyncio actors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import logging
from collections.abc import Callable, Container, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from statecharts import algorithm
from statecharts.errors import SnapshotError, StatechartError
from statecharts.event import Event
from statecharts.state import Effect, PendingSend, Snapshot

if TYPE_CHECKING:
    from statecharts.actions import SpawnChild
    from statecharts.chart import InvokeDef, StateNode, Transition
    from statecharts.frozen import FrozenDict
    from statecharts.machine import Machine

logger = logging.getLogger("statecharts")
MAX_NESTED_DRAINS = 32  # actors processing a message at once, inside one another's delivery
Executor = Callable[[Effect], None]
StaticStep = Callable[[Snapshot, Event], "Snapshot | None"]
MicrostepObserver = Callable[["list[Transition]", "list[StateNode]", "list[StateNode]"], None]


def static_step_of(machine: Machine) -> StaticStep | None:
    """The step a runtime tries first for each event of ``machine``: `statecharts.algorithm.static_step`,
    the cached macrostep of a (configuration, event name) that runs no effect and leaves the pending
    sends as they are, so the snapshot it returns is adopted as it is (no timer, no service, no
    action to run); its ``None`` means: take the full macrostep (`macrostep` with ``static=False``).
    ``None`` for a machine whose steps are never static (``semantics="xstate"``, SCXML documents,
    which prepare each external event), so the runtime does not look.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"entry": "hi"}}},
    ...             actions={"hi": print})
    >>> step = static_step_of(m)
    >>> step(m.initial_state(), Event("GO")) is None  # b runs an entry action: the full macrostep
    True
    >>> static_step_of(Machine({"id": "x", "initial": "a", "states": {"a": {}}}, semantics="xstate")) is None
    True
    """
    if machine.xstate or machine.prepares_external:
        return None
    return algorithm.static_step


def macrostep(snapshot: Snapshot, event: Event, execute: Executor | None, static: bool = True) -> Snapshot:
    """The macrostep of ``event``, each effect handed to ``execute`` inline and in order (so a
    failing action becomes ``error.execution``): `statecharts.algorithm.macrostep`; ``static=False``
    when the runtime has tried `static_step_of` already and it gave ``None``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> macrostep(m.initial_state(), Event("GO"), None).value
    'b'
    """
    return algorithm.macrostep(snapshot, event, execute, static)


def enter_initial(
    machine: Machine, context: FrozenDict, execute: Executor | None, observe: MicrostepObserver | None = None
) -> Snapshot:
    """Enter the initial configuration, effects handed to ``execute``; ``observe(transitions,
    exited, entered)`` hears the initial entry and each eventless microstep after it (inspection).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
    >>> seen = []
    >>> from statecharts.frozen import FrozenDict
    >>> enter_initial(m, FrozenDict(), None, lambda t, x, n: seen.append([s.id for s in n])).value, seen
    ('a', [['m', 'm.a']])
    """
    if observe is None:
        return algorithm.enter_initial(machine, context, execute)
    step = algorithm.Step(machine, None, context, execute)
    init = machine.root_entry
    step.fired = _Microsteps(step, observe)
    step.fired.extend([init])
    algorithm.enter_states(step, [init], step.event)
    algorithm.run_to_completion(step)
    return step.snapshot()


def observed_macrostep(
    snapshot: Snapshot, event: Event, execute: Executor | None, observe: MicrostepObserver
) -> Snapshot:
    """`macrostep` (the full one, never the cached static step) with ``observe(transitions, exited,
    entered)`` called before each microstep is taken: what an inspected actor runs.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> seen = []
    >>> _ = observed_macrostep(m.initial_state(), Event("GO"), None,
    ...                        lambda t, x, n: seen.append(([s.id for s in x], [s.id for s in n])))
    >>> seen
    [(['m.a'], ['m.b'])]
    """
    step = algorithm.Step(snapshot.machine, snapshot, snapshot.context, execute)
    if step.status != "active":
        return step.snapshot()
    step.fired = _Microsteps(step, observe)
    step.event = event
    enabled = algorithm.select_transitions(step, event)
    if enabled:
        algorithm.microstep(step, enabled, event)
    algorithm.run_to_completion(step)
    return step.snapshot()


class _Microsteps(list["Transition"]):
    """The step's ``fired`` list: each microstep's transitions arrive here before they are taken,
    while the configuration is still the one they leave, so exit and entry sets can be computed."""

    def __init__(self, step: algorithm.Step, observe: MicrostepObserver) -> None:
        super().__init__()
        self.step = step
        self.observe = observe

    def extend(self, transitions: Any) -> None:
        transitions = list(transitions)
        step = self.step
        exited = sorted(algorithm.compute_exit_set(step, transitions), key=lambda n: -n.order)
        entered = sorted(algorithm.compute_entry_set(step, transitions)[0], key=lambda n: n.order)
        self.observe(transitions, exited, entered)
        super().extend(transitions)


class RuntimeScope:
    """A runtime's `statecharts.actions.ActorScope`: the runtime's own methods, bound once per actor,
    which each effect's action calls in `statecharts.actions.Action.perform`.

    >>> from statecharts import Machine, emit, log
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": [log("hi"), emit("UP")]}}})
    >>> done = []
    >>> scope = RuntimeScope(run=lambda e: done.append(("run", e.action.name)), start_invocation=print,
    ...                      stop_invocation=print, spawn_child=print, stop_child=print,
    ...                      emit=lambda event: done.append(("emit", event.name)))
    >>> for effect in m.initial_state().effects:
    ...     effect.action.perform(effect, scope)
    >>> done
    [('run', 'log'), ('emit', 'UP')]
    """

    __slots__ = ("run", "start_invocation", "stop_invocation", "spawn_child", "stop_child", "emit")

    def __init__(
        self,
        *,
        run: Callable[[Effect], None],
        start_invocation: Callable[[str], None],
        stop_invocation: Callable[[str], None],
        spawn_child: Callable[[SpawnChild, Effect], None],
        stop_child: Callable[[str], None],
        emit: Callable[[Event], None],
    ) -> None:
        self.run = run
        self.start_invocation = start_invocation
        self.stop_invocation = stop_invocation
        self.spawn_child = spawn_child
        self.stop_child = stop_child
        self.emit = emit


def execute_effect(effect: Effect) -> Any:
    """Execute an effect's action against the world (`statecharts.actions.Action.execute`: a call,
    a log line) and return what it returned (an awaitable for an ``async def`` action: the asyncio
    actor awaits it, the threaded interpreter blocks on it). ``NotImplemented`` for the effects the
    runtime does itself (services, children, emitted events, sends).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": "hello"}}},
    ...             actions={"hello": lambda c, e: f"hello on {e.name}"})
    >>> [execute_effect(effect) for effect in m.initial_state().effects]
    ['hello on xstate.init']
    """
    return effect.action.execute(effect.context, effect.event)


def await_blocking(awaitable: Any, name: str) -> Any:
    """Await an action's awaitable on the calling thread, in an event loop of its own (the
    threaded interpreter: an ``async def`` action's body runs before the macrostep goes on). A
    thread that already runs an event loop cannot block on it: that is a `StatechartError` (so
    ``error.execution``) naming `statecharts.Machine.interpret_async`, which awaits it there.

    >>> import asyncio
    >>> async def double(n):
    ...     await asyncio.sleep(0)
    ...     return 2 * n
    >>> await_blocking(double(21), "double")
    42
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awaited(awaitable))
    if inspect.iscoroutine(awaitable):
        awaitable.close()
    raise StatechartError(
        f"action {name!r} returned an awaitable on a thread that runs an event loop: the "
        "threaded interpreter cannot block there; run the machine with interpret_async()"
    )


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def notify(listeners: Iterable[Callable[[Snapshot], Any]], snapshot: Snapshot, owner: str) -> None:
    """Call each listener with ``snapshot``; one that raises is logged (naming ``owner``) and the
    others are still told.

    >>> seen = []
    >>> notify([lambda s: 1 / 0, seen.append], "snapshot", "actor 'm'")
    >>> seen
    ['snapshot']
    """
    for listener in list(listeners):
        try:
            listener(snapshot)
        except Exception:  # noqa: BLE001 - one listener's bug must not starve the others or the actor
            logger.exception("%s: listener %r raised; the others were still told", owner, listener)


def service_input(invoke: InvokeDef, snapshot: Snapshot, context_by_default: bool) -> tuple[Any, Event]:
    """What an invoked service starts with: its ``input`` (a function of context and event, or a
    value) and the event that entered its state (``xstate.init`` for the initial one). With
    ``context_by_default`` a service without ``input`` gets the context (function services);
    machines and callback services get ``None``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 1}, "initial": "a",
    ...              "states": {"a": {"invoke": {"src": "s", "id": "i"}}}}, services={"s": lambda i, e: i})
    >>> given, event = service_input(m.chart.invokes["i"], m.initial_state(), True)
    >>> dict(given), event.name
    ({'n': 1}, 'xstate.init')
    """
    event = snapshot.event or Event("xstate.init")
    given = invoke.input(snapshot.context, event) if callable(invoke.input) else invoke.input
    if given is None and context_by_default:
        given = snapshot.context
    return given, event


def wanted(invoke: InvokeDef, snapshot: Snapshot, running: Container[str]) -> bool:
    """Whether an invocation a macrostep asked to start (a ``StartInvoke`` effect) is still wanted
    when the runtime gets to start it: its state is in ``snapshot`` and none of that id is running.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "s", "id": "i"}}}},
    ...             services={"s": lambda i, e: 1})
    >>> wanted(m.chart.invokes["i"], m.initial_state(), ()), wanted(m.chart.invokes["i"], m.initial_state(), ("i",))
    (True, False)
    """
    return invoke.state in snapshot.configuration_nodes and invoke.id not in running


def outcome_event(invoke_id: str, ok: bool, value: Any) -> Event:
    """The event a finished service or child sends its invoker: ``xstate.done.actor.<id>`` with
    the result, or ``xstate.error.actor.<id>`` with ``{"error": exception}`` (xstate v5's names).

    >>> outcome_event("load", True, 3), outcome_event("load", False, "boom").name
    (Event('xstate.done.actor.load', 3), 'xstate.error.actor.load')
    """
    if ok:
        return Event(f"xstate.done.actor.{invoke_id}", value)
    return Event(f"xstate.error.actor.{invoke_id}", {"error": value})


def without(snapshot: Snapshot, gone: set[int]) -> Snapshot:
    """``snapshot`` less the pending sends whose ``id()`` is in ``gone`` (sent, or fired).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {5: "a"}}}})
    >>> s = m.initial_state()
    >>> len(s.pending), len(without(s, {id(s.pending[0])}).pending)
    (1, 0)
    """
    return Snapshot(
        snapshot.machine,
        snapshot.configuration_nodes,
        snapshot.context,
        snapshot.history,
        tuple(p for p in snapshot.pending if id(p) not in gone),
        snapshot.status,
        snapshot.output,
        snapshot.effects,
        snapshot.event,
        snapshot.sequence,
    )


def settled(snapshot: Snapshot) -> Snapshot:
    """The snapshot as a runtime holds it once its sends without delay are delivered (they leave
    ``pending``).

    >>> from statecharts import Machine, send
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": [send("X"), send("Y", delay=9)]}}})
    >>> [p.event.name for p in settled(m.initial_state()).pending]
    ['Y']
    """
    due = {id(p) for p in snapshot.pending if p.delay <= 0}
    return without(snapshot, due) if due else snapshot


def without_at(snapshot: Snapshot, indices: Iterable[int]) -> Snapshot:
    """``snapshot`` less the pending sends at ``indices`` (a stored log's ``delivered``; an index
    past the end names nothing).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {5: "a", 9: "a"}}}})
    >>> [p.delay for p in without_at(m.initial_state(), [0, 7]).pending]
    [9.0]
    """
    at = set(indices)
    return without(snapshot, {id(p) for i, p in enumerate(snapshot.pending) if i in at})


class Timers:
    """The timers of one actor's delayed sends, kept in step with each snapshot it adopts: a send
    that left ``pending`` has its timer cancelled, a new delayed one gets a timer, and the sends
    due now are handed back to be delivered. ``schedule(delay_ms, callback)`` and
    ``cancel(handle)`` are the runtime's (a clock's, or the event loop's); ``now()`` (ms, or
    ``None`` without a clock that tells time) records each timer's due time (`due`), so a
    persisted actor resumes a timer with only the time that remained.

    >>> from statecharts import Machine, VirtualClock
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {100: "b"}}, "b": {}}})
    >>> clock, fired = VirtualClock(), []
    >>> timers = Timers(clock.schedule, clock.cancel, lambda: clock.now)
    >>> snapshot, due = timers.adopt(m.initial_state(), (), fired.append)
    >>> due, list(timers.due.values())
    ([], [100.0])
    >>> clock.advance(100); [p.delay for p in fired]
    [100.0]
    """

    __slots__ = ("schedule", "cancel", "now", "handles", "due", "moved")

    def __init__(
        self,
        schedule: Callable[[float, Callable[[], None]], Any],
        cancel: Callable[[Any], None],
        now: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.schedule = schedule
        self.cancel = cancel
        self.now = now
        self.handles: dict[int, tuple[PendingSend, Any]] = {}  # id(pending send) -> (send, timer handle)
        self.due: dict[int, float] = {}  # id(pending send) -> its due time on the clock
        # xstate mode: id(scheduled send) -> (it, its no-longer-cancellable copy that took over its timer)
        self.moved: dict[int, tuple[PendingSend, PendingSend]] = {}

    def __len__(self) -> int:
        return len(self.handles)

    def adopt(
        self,
        snapshot: Snapshot,
        previous: tuple[PendingSend, ...],
        fire: Callable[[PendingSend], None],
        resume: Mapping[int, float] | None = None,
    ) -> tuple[Snapshot, list[PendingSend]]:
        """Reconcile the timers with ``snapshot.pending`` (``previous`` is the pending sends of the
        snapshot before; ``()`` on start, when every delayed send gets a timer): returns the
        snapshot less the sends due now, and those sends: the undelayed ones, then (``resume``:
        due times of a restored actor's timers) those already overdue, in due order. ``fire(send)``
        is called when a timer falls due."""
        pending = snapshot.pending
        handles = self.handles
        if not handles:
            if not pending:
                return snapshot, []
            if all(p.delay <= 0 for p in pending):  # only sends due now: all of them leave
                return Snapshot(
                    snapshot.machine,
                    snapshot.configuration_nodes,
                    snapshot.context,
                    snapshot.history,
                    (),
                    snapshot.status,
                    snapshot.output,
                    snapshot.effects,
                    snapshot.event,
                    snapshot.sequence,
                ), list(pending)
        now_ids = {id(p) for p in pending}
        if snapshot.machine.xstate:
            adopt_orphans(handles, self.moved, pending, now_ids, self.due)
        for key in [k for k in handles if k not in now_ids]:
            self.cancel(handles.pop(key)[1])
            self.due.pop(key, None)
            if self.moved:
                self.moved = {k: v for k, v in self.moved.items() if id(v[1]) != key}
        before = {id(p) for p in previous}
        immediate: list[PendingSend] = []
        overdue: list[tuple[float, int, PendingSend]] = []
        clock_ms = self.now()
        for p in pending:
            key = id(p)
            if key in handles:
                continue
            if p.delay <= 0:
                immediate.append(p)
            elif key not in before:
                delay = p.delay
                due = resume.get(key) if resume else None
                if due is not None and clock_ms is not None:  # restored: only the time that remained
                    delay = due - clock_ms
                    if delay <= 0:
                        overdue.append((due, len(overdue), p))
                        continue
                if clock_ms is not None:
                    self.due[key] = clock_ms + delay
                handles[key] = (p, self.schedule(delay, functools.partial(fire, p)))
        ready = immediate + [p for _, _, p in sorted(overdue, key=lambda item: item[:2])]
        if ready:
            snapshot = without(snapshot, {id(p) for p in ready})
        return snapshot, ready

    def dues(self, snapshot: Snapshot) -> dict[int, float]:
        """The due time of each timer of ``snapshot``'s pending sends, by index (what a record keeps)."""
        due = self.due
        return {i: due[id(p)] for i, p in enumerate(snapshot.pending) if id(p) in due}

    def fired(self, send: PendingSend) -> PendingSend | None:
        """Forget the timer of ``send`` as it fires, and give the send it fires: ``send`` itself,
        or (xstate mode) the no-longer-cancellable copy that took its timer over; ``None`` when the
        timer was cancelled meanwhile."""
        send = follow_moved(self.moved, send)
        self.due.pop(id(send), None)
        return send if self.handles.pop(id(send), None) is not None else None

    def orphan_on_fire(self, state: Snapshot, send: PendingSend) -> Snapshot:
        """xstate's scheduler: a firing timer takes its id's entry with it, so the latest timer of
        that id can no longer be cancelled (`statecharts.algorithm.orphaned`); other modes: ``state``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}}, semantics="xstate")
        >>> first, second = PendingSend("t", 100, Event("A")), PendingSend("t", 200, Event("B"))
        >>> s = Snapshot(m, m.initial_state().configuration_nodes, m.initial_state().context, pending=(second,))
        >>> [p.cancellable for p in Timers(lambda d, f: None, lambda h: None).orphan_on_fire(s, first).pending]
        [False]
        """
        if (
            not state.machine.xstate
            or send.id is None
            or not any(q.id == send.id and q.cancellable for q in state.pending)
        ):
            return state
        pending = tuple(algorithm.orphaned(state.pending, send.id))
        adopt_orphans(self.handles, self.moved, pending, {id(q) for q in pending}, self.due)
        return Snapshot(
            state.machine,
            state.configuration_nodes,
            state.context,
            state.history,
            pending,
            state.status,
            state.output,
            state.effects,
            state.event,
            state.sequence,
        )

    def cancel_all(self) -> None:
        """Cancel every timer (the actor stopped or its machine finished)."""
        for _, handle in self.handles.values():
            self.cancel(handle)
        self.handles.clear()
        self.due.clear()
        self.moved.clear()


def adopt_orphans(
    timers: dict[int, tuple[PendingSend, Any]],
    moved: dict[int, tuple[PendingSend, PendingSend]],
    pending: tuple[PendingSend, ...],
    now: set[int],
    due: dict[int, float] | None = None,
) -> None:
    """xstate mode: a send that is no longer cancellable (`statecharts.algorithm.orphaned`) is a new
    object; it takes over the timer of the send it replaces (same due time, same place in line), and
    ``moved`` lets that timer's callback, bound to the old object, find the new one
    (`follow_moved`). ``timers`` maps id(send) to (send, timer handle); ``due`` id(send) to its time."""
    gone = [entry for key, entry in timers.items() if key not in now and entry[0].cancellable]
    if not gone:
        return
    for p in pending:
        if p.cancellable or id(p) in timers:
            continue
        for i, (old, _handle) in enumerate(gone):
            if dataclasses.replace(old, cancellable=False) == p:
                del gone[i]
                timers[id(p)] = (p, timers.pop(id(old))[1])
                if due is not None and id(old) in due:
                    due[id(p)] = due.pop(id(old))
                moved[id(old)] = (old, p)
                break


def follow_moved(moved: dict[int, tuple[PendingSend, PendingSend]], p: PendingSend) -> PendingSend:
    """The send whose timer ``p``'s callback fires: ``p``, or the copy that took its timer over."""
    found = moved.pop(id(p), None)
    return found[1] if found is not None and found[0] is p else p


class ActorRegistry:
    """The ids of an actor system's running actors (xstate's ``system``): each actor registers
    under its id when it starts (the first to take an id keeps it) and leaves when it stops.
    The asyncio `statecharts.runtime.ActorSystem` and the threaded `statecharts.interpreter.ThreadedSystem`
    are registries.

    >>> class A:
    ...     def __init__(self, id): self.id = id
    >>> registry, first, second = ActorRegistry(), A("w"), A("w")
    >>> registry.register(first); registry.register(second)
    >>> registry.get("w") is first, registry.get("x")
    (True, None)
    >>> registry.unregister(second); registry.actors == (first,)
    True
    """

    def __init__(self) -> None:
        self._actors: dict[str, Any] = {}

    def get(self, system_id: str) -> Any:
        """The running actor registered under ``system_id``, or ``None``."""
        return self._actors.get(system_id)

    @property
    def actors(self) -> tuple[Any, ...]:
        """Every registered actor, in the order they started."""
        return tuple(self._actors.values())

    def register(self, actor: Any) -> None:
        """Register ``actor`` under its ``id`` unless another actor holds that id."""
        self._actors.setdefault(actor.id, actor)

    def unregister(self, actor: Any) -> None:
        """Forget ``actor`` (if it is the one registered under its id)."""
        key = actor.id
        if self._actors.get(key) is actor:
            del self._actors[key]


SELF = "#_self"


def route(to: str | None, own_id: str, parent: Any, children: Mapping[str, Any], system: ActorRegistry) -> Any:
    """The actor a send ``to`` goes to: `SELF` (no target, ``#_self`` or the actor's own id), the
    parent (``#_parent``), a child by id, else any actor of the system (``#id`` or ``id``);
    ``None`` when there is none (the runtime answers ``error.communication``).

    >>> registry = ActorRegistry()
    >>> route(None, "m", None, {}, registry), route("#_parent", "m", "the parent", {}, registry)
    ('#_self', 'the parent')
    >>> route("kid", "m", None, {"kid": "the child"}, registry), route("#nobody", "m", None, {}, registry)
    ('the child', None)
    """
    if to is None or to == SELF or to == own_id:
        return SELF
    if to == "#_parent":
        return parent
    found = children.get(to)
    return found if found is not None else system.get(to.removeprefix("#"))


@dataclasses.dataclass(frozen=True)
class Spawn:
    """A child a ``spawn_child`` effect asks for: the name it is recorded under (``src`` for a
    restore), the source (a Machine, other actor logic), its id and its input."""

    name: str
    src: Any
    id: str
    input: Any


def spawn_of(action: SpawnChild, effect: Effect, parent_id: str, service: Callable[[str], Any], count: int) -> Spawn:
    """Resolve a ``spawn_child`` effect of actor ``parent_id`` (with ``count`` children now):
    ``service(name)`` looks a named source up; the id defaults to ``<parent>.<name>.<count>``.

    >>> from statecharts.actions import spawn_child
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": spawn_child("w", input=lambda c, e: 7)}}})
    >>> spawn_of(m.initial_state().effects[0].action, m.initial_state().effects[0], "m", lambda n: "W", 0)
    Spawn(name='w', src='W', id='m.w.0', input=7)
    """
    src = service(action.src) if isinstance(action.src, str) else action.src
    name = action.src if isinstance(action.src, str) else str(getattr(src, "id", "child"))
    child_id = action.resolve_id(effect.context, effect.event, f"{parent_id}.{name}.{count}")
    child_input = action.input(effect.context, effect.event) if callable(action.input) else action.input
    return Spawn(name, src, child_id, child_input)


def respawn_source(actor_id: str, child_id: str, data: Any, lookup: Callable[[str], Any]) -> tuple[str, Any]:
    """The ``src`` name of a spawned child in a restored record (``data``, the child's record with
    ``"src"``) and what ``lookup(name)`` makes of it (the runtime's child logic; ``None`` or a
    `KeyError` when the name is not a machine among the services: a `SnapshotError` naming it).

    >>> respawn_source("m", "w1", {"src": "worker"}, {"worker": "W"}.__getitem__)
    ('worker', 'W')
    >>> respawn_source("m", "w1", {"src": "gone"}, {}.__getitem__)
    Traceback (most recent call last):
        ...
    statecharts.errors.SnapshotError: actor 'm': cannot restore spawned child 'w1': its src 'gone' ...
    """
    src = data.get("src") if isinstance(data, Mapping) else None
    try:
        found = lookup(src) if isinstance(src, str) else None
    except KeyError:
        found = None
    if found is None:
        raise SnapshotError(
            f"actor {actor_id!r}: cannot restore spawned child {child_id!r}: its src {src!r} "
            "is not a machine in services="
        )
    return str(src), found


class EmitHandlers:
    """The handlers of the events a chart emits (``emit(...)``), by type, ``"*"`` for every one
    (xstate's ``actor.on``).

    >>> handlers, seen = EmitHandlers(), []
    >>> stop = handlers.on("*", seen.append)
    >>> _ = handlers.on("SAVED", lambda e: seen.append(e.name.lower()))
    >>> handlers.of("SAVED")[0](Event("SAVED")); stop(); len(handlers.of("SAVED"))
    1
    >>> seen
    ['saved']
    """

    def __init__(self) -> None:
        self.by_type: dict[str, list[Callable[[Event], Any]]] = {}

    def on(self, event_type: str, handler: Callable[[Event], Any]) -> Callable[[], None]:
        """Add ``handler`` for ``event_type``; returns the function that removes it."""
        handlers = self.by_type.setdefault(event_type, [])
        handlers.append(handler)
        return functools.partial(_discard, handlers, handler)

    def of(self, event_type: str) -> tuple[Callable[[Event], Any], ...]:
        """The handlers an emitted event of ``event_type`` goes to: its own, then the ``"*"`` ones."""
        return (*self.by_type.get(event_type, ()), *self.by_type.get("*", ()))


def _discard(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)
