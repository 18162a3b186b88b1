"""The threaded runtime (actor): queues, clock, delayed events, invoked services, listeners, locking.

The pure core computes each macrostep; the interpreter runs the effects it asks for, in order
and inline (so a failing action becomes SCXML's ``error.execution``), schedules delayed sends on a
clock, starts and cancels invoked services, and serialises ``send`` from many threads. The
macrostep (with the machine's cached static step first), the actions, the timer bookkeeping,
service inputs and outcomes and listener calls are the actor core's (`statecharts.actor_core`),
shared with the asyncio actor (`statecharts.runtime.AsyncActor`).
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import inspect
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from statecharts.actions import SpawnChild
from statecharts.actor_core import (
    MAX_NESTED_DRAINS,
    SELF,
    ActorRegistry,
    EmitHandlers,
    RuntimeScope,
    Timers,
    await_blocking,
    enter_initial,
    execute_effect,
    macrostep,
    notify,
    observed_macrostep,
    outcome_event,
    respawn_source,
    route,
    service_input,
    spawn_of,
    static_step_of,
    wanted,
    without,
)
from statecharts.chart import StateNode, Transition
from statecharts.errors import ConfigError, SnapshotError, StatechartError
from statecharts.event import Event, to_event
from statecharts.inspection import Inspection, Inspector
from statecharts.record import RECORD_VERSION, ActorRecord
from statecharts.services import CallbackService, ServiceRef
from statecharts.state import Effect, PendingSend, Snapshot, decode

if TYPE_CHECKING:
    from statecharts.machine import Machine

logger = logging.getLogger("statecharts")
Listener = Callable[[Snapshot], Any]
EventHandler = Callable[[Event], Any]


class Clock(Protocol):
    """Where delayed sends wait: ``schedule`` a callback after ``delay`` ms, ``cancel`` it. A clock
    that also reads ``now`` (ms, as `RealClock` and `VirtualClock` do) lets `Interpreter.record`
    keep each timer's due time, so a restored timer waits only for what remained.

    >>> class Manual:  # any object with these two methods will do
    ...     def __init__(self): self.waiting = []
    ...     def schedule(self, delay, callback): self.waiting.append((delay, callback)); return len(self.waiting)
    ...     def cancel(self, handle): pass
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {500: "b"}}, "b": {}}})
    >>> clock = Manual()
    >>> actor = m.interpret(clock=clock).start()
    >>> [delay for delay, _ in clock.waiting]
    [500.0]
    >>> clock.waiting[0][1]()  # the timer fires
    >>> actor.state.value
    'b'
    """

    def schedule(self, delay: float, callback: Callable[[], None]) -> Any:
        """Call ``callback`` once, ``delay`` ms from now; return a handle for `cancel`.

        >>> clock, fired = VirtualClock(), []
        >>> handle = clock.schedule(10, lambda: fired.append("tick"))
        >>> clock.advance(10); fired
        ['tick']
        """
        ...

    def cancel(self, handle: Any) -> None:
        """Forget the timer ``handle`` names, if it has not fired yet.

        >>> clock, fired = VirtualClock(), []
        >>> clock.cancel(clock.schedule(10, lambda: fired.append("tick")))
        >>> clock.advance(10); fired
        []
        """
        ...


class RealClock:
    """Wall-clock timers on threads.

    >>> import threading
    >>> fired = threading.Event()
    >>> RealClock().schedule(1, fired.set) is not None and fired.wait(2)
    True
    """

    @property
    def now(self) -> float:
        """The wall clock in milliseconds since the epoch: persisted timers' due times are read on it,
        so the time a process was down counts.

        >>> import time
        >>> abs(RealClock().now - time.time() * 1000) < 1000
        True
        """
        return time.time() * 1000.0

    def schedule(self, delay: float, callback: Callable[[], None]) -> threading.Timer:
        """Start a daemon `threading.Timer` that calls ``callback`` after ``delay`` ms.

        >>> import threading
        >>> fired = threading.Event()
        >>> timer = RealClock().schedule(5, fired.set)
        >>> fired.wait(2), timer.daemon
        (True, True)
        """
        timer = threading.Timer(max(delay, 0) / 1000.0, callback)
        timer.daemon = True
        timer.start()
        return timer

    def cancel(self, handle: threading.Timer) -> None:
        """Stop a timer that has not fired yet.

        >>> import threading
        >>> fired = threading.Event()
        >>> clock = RealClock()
        >>> timer = clock.schedule(60_000, fired.set)
        >>> clock.cancel(timer)
        >>> timer.join(2); timer.is_alive(), fired.is_set()
        (False, False)
        """
        handle.cancel()


class VirtualClock:
    """A clock that moves only when told to: ``advance(ms)`` fires what falls due, in order.

    >>> clock, fired = VirtualClock(), []
    >>> _ = clock.schedule(100, lambda: fired.append(clock.now))
    >>> clock.advance(99); fired
    []
    >>> clock.advance(1); fired
    [100.0]
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.settlers: list[Callable[[], Awaitable[None]]] = []  # asyncio actor systems on this clock
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._seq = itertools.count()

    def schedule(self, delay: float, callback: Callable[[], None]) -> int:
        """Queue ``callback`` to fire ``delay`` ms from `now`; returns its handle.

        >>> clock = VirtualClock()
        >>> clock.schedule(50, print), clock.schedule(20, print), clock.pending
        (0, 1, 2)
        """
        handle = next(self._seq)
        heapq.heappush(self._timers, (self.now + max(delay, 0), handle, callback))
        return handle

    def cancel(self, handle: int) -> None:
        """Drop a queued timer: it will not fire.

        >>> clock, fired = VirtualClock(), []
        >>> clock.cancel(clock.schedule(10, lambda: fired.append("tick")))
        >>> clock.advance(10); fired, clock.pending
        ([], 0)
        """
        self._cancelled.add(handle)

    def advance(self, ms: float) -> Awaitable[None] | None:
        """Move time forward by ``ms``, firing every timer that falls due on the way.

        With asyncio actors on this clock (`statecharts.runtime`) it returns a coroutine instead:
        ``await clock.advance(ms)`` fires each due timer in turn and lets the actors settle
        (their macrosteps and awaited actions) before the next one.

        >>> clock, fired = VirtualClock(), []
        >>> for delay in (30, 10, 20):
        ...     _ = clock.schedule(delay, lambda d=delay: fired.append(d))
        >>> clock.advance(25); fired, clock.now
        ([10, 20], 25.0)
        """
        if self.settlers:
            return self._advance_settling(ms)
        end = self.now + ms
        for callback in self._due(end):
            callback()
        self.now = end
        return None

    async def _advance_settling(self, ms: float) -> None:
        end = self.now + ms
        await self._settle()
        for callback in self._due(end):
            callback()
            await self._settle()
        self.now = end

    def _due(self, end: float) -> Iterator[Callable[[], None]]:
        """The timers due by ``end`` in due order (cancelled ones skipped), ``now`` set to each one's
        due time as it is handed out; a timer scheduled by a callback is seen if it falls due by ``end``."""
        while self._timers and self._timers[0][0] <= end:
            due, handle, callback = heapq.heappop(self._timers)
            if handle in self._cancelled:
                self._cancelled.discard(handle)
                continue
            self.now = due
            yield callback

    async def _settle(self) -> None:
        for settle in list(self.settlers):
            await settle()

    @property
    def pending(self) -> int:
        """How many timers wait (cancelled ones excluded).

        >>> clock = VirtualClock()
        >>> first, _ = clock.schedule(10, print), clock.schedule(20, print)
        >>> clock.cancel(first); clock.pending
        1
        """
        return sum(1 for _, h, _ in self._timers if h not in self._cancelled)


def clock_now(clock: Clock) -> float | None:
    """The clock's ``now`` in milliseconds, or ``None`` for a clock without one (its timers'
    due times are then unknown, and a restored timer waits its full delay again).

    >>> clock_now(VirtualClock()), clock_now(object())
    (0.0, None)
    """
    now = getattr(clock, "now", None)
    if callable(now):
        now = now()
    return float(now) if isinstance(now, (int, float)) else None


class _Invocation:
    __slots__ = ("id", "future", "cancelled", "child", "service")

    def __init__(self, invoke_id: str, child: Interpreter | None = None) -> None:
        self.id = invoke_id
        self.future: Future[Any] | None = None
        self.cancelled = False
        self.child = child  # an invoked machine: its interpreter
        self.service: ServiceRef | None = None  # a callback or async-generator service


class ThreadedSystem(ActorRegistry, Inspection):
    """The threaded actors started together, an interpreter and its child machines (xstate's
    ``system``): ``get(id)`` finds any running one, and they share one lock, so one macrostep runs
    at a time in the whole system and a message between two of its actors needs no lock order.
    Its inspection records (`Inspection`, ``interpret(inspect=...)``) are those of the asyncio
    `statecharts.runtime.ActorSystem` for the same chart and events.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
    >>> actor = m.interpret(id="one").start()
    >>> actor.system.get("one") is actor, actor.system.get("two")
    (True, None)
    """

    def __init__(self, inspect: Inspector | None = None) -> None:
        ActorRegistry.__init__(self)
        Inspection.__init__(self, inspect)
        self.lock = threading.RLock()
        self.nesting = 0  # actors processing a message inside another's delivery, one in another


class Interpreter:
    """Runs a machine: ``start()``, ``send(event, **data)``, ``state``, ``subscribe``, ``stop()``.

    >>> from statecharts import Machine, VirtualClock
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"after": {500: "b"}}, "b": {}}})
    >>> clock = VirtualClock()
    >>> actor = m.interpret(clock=clock).start()
    >>> clock.advance(500); actor.state.value
    'b'

    **Threads.** Each macrostep runs holding the actor's lock, on the thread that processes the
    event: the thread calling `start` or `send` for the events it brings; for every event the
    runtime brings itself (a `RealClock` timer firing, an invoked function or coroutine service
    finishing, `post`) the interpreter's one runtime thread, named ``"<id>-runtime"`` (the
    actor's ``id``, its machine's id unless ``interpret(id=...)`` names it; started on first use;
    function services run in a small pool, but their results are processed on the runtime thread).
    With a `VirtualClock` there is no runtime thread: services run synchronously and
    ``clock.advance`` runs the timers' macrosteps on its caller's thread. Another clock's timers
    run where that clock calls them.

    **Listeners** (`subscribe`) are called on one thread, one macrostep after another in the order
    the macrosteps ran:

    - with a `RealClock` (the default), always the runtime thread ``"<id>-runtime"``,
      without the actor's lock held, whoever brought the event. `send` and `start` process their
      event at once on the caller's thread, then wait (the lock released) until the runtime thread
      has called the listeners of their macrosteps: when they return, their listeners have run. A
      listener may call `send` (and `state`, `post`) on its own actor: the event is processed at
      once and that ``send`` returns without waiting; the listener calls it caused follow, in order,
      once the current listener returns. A listener must not wait for the actor's own timers or
      services (`wait_for`): they are processed on the thread it holds.
    - with a `VirtualClock` (and any clock other than a `RealClock`), the thread that drives the
      interpreter: the caller of `start`, `send` and ``clock.advance``, inline, holding the lock
      (an event a listener sends is processed after the listener returns). Drive it from one
      thread, and that is the listeners' one thread.

    With no listener subscribed nothing is queued and no thread is involved. A listener that
    raises is logged (logger ``statecharts``) and the others are still told.

    **Child machines.** A Machine as an invoke ``src`` (inline, or by name through ``services=``)
    runs as a child interpreter: ``onDone`` receives its ``output``, ``onError`` the exception its
    start raised, and it stops when its state exits or its parent stops. ``spawn_child``,
    ``stop_child``, ``send_to``, ``send_parent``, ``forward_to`` and ``emit`` (handlers: `on`) work
    as in the asyncio runtime (`statecharts.runtime.AsyncActor`, which shares this logic through
    `statecharts.actor_core`); `children` lists the running children and ``system.get(id)``
    (`ThreadedSystem`) finds any actor of the family. Children share their parent's clock and one
    lock with the whole family; a message to another actor is processed at once on the sender's
    thread (after the receiver's macrostep in progress, if any), so the messages from one actor to
    another keep their order. `record` holds the children's records, and a parent restored from it
    resumes them.

    **Callback and async-generator services** (`statecharts.services.from_callback`, an ``async def``
    generator function as ``src``) are children too (`children`, ``system.get``). With a `RealClock`
    they run on the runtime thread's event loop: ``send_back`` may be called from any thread and
    posts to the actor (processed on the runtime thread), each item a generator yields is sent back
    in order, the events sent to the service (``send_to(its_id, ...)``) reach its ``receive``
    handlers there, and when its state exits its task is cancelled (the generator sees
    `asyncio.CancelledError`/`GeneratorExit`) and its cleanup is called, on that thread. With a
    `VirtualClock` they run inline on the thread driving the interpreter: ``send_back`` events are
    processed at once (after the macrostep in progress), and an ``async def`` callback or an async
    generator runs to its end when the service starts, as a coroutine service does.

    **Inspection** (`inspect`, ``interpret(inspect=callback)`` for every actor of the family): the
    records of `statecharts.inspection`, the same as the asyncio actor writes for the same chart
    and events; a JSON line each is a log ``check --replay`` reads. Inspectors are called where
    the record is made (the thread processing the event), under the system's lock.

    >>> from statecharts.actions import send_parent, send_to
    >>> echo = Machine({"id": "echo", "initial": "on",
    ...                 "states": {"on": {"on": {"PING": {"actions": send_parent("PONG")}}}}})
    >>> app = Machine({"id": "app", "initial": "a", "invoke": {"src": echo, "id": "echo"},
    ...                "states": {"a": {"on": {"PING": {"actions": send_to("echo", "PING")}, "PONG": "b"}}, "b": {}}})
    >>> actor = app.interpret(clock=VirtualClock()).start()
    >>> actor.send("PING").value, actor.system.get("echo") is actor.children["echo"]
    ('b', True)

    A subclass adapts the runtime through the extension hooks only: it overrides `execute` (run
    one effect), `deliver` (route a due send), `on_start` and `on_macrostep_done`, and feeds
    events in with `enqueue` and `post` (`statecharts.scxml.ScxmlSession` is built this way).
    Those names are a contract that tests pin; names with an underscore may change at any time.
    """

    def __init__(
        self,
        machine: Machine,
        *,
        context: Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        strict: bool = False,
        state: Snapshot | None = None,
        sync_services: bool | None = None,
        parent: Interpreter | None = None,
        record: ActorRecord | None = None,
        id: str | None = None,
        input: Any = None,
        system: ThreadedSystem | None = None,
        inspect: Inspector | None = None,
    ) -> None:
        if record is not None:
            if state is not None:
                raise ConfigError(
                    f"interpret() of machine {machine.id!r} takes state= or record=, not both", key="record"
                )
            if not isinstance(record, ActorRecord):
                raise SnapshotError(
                    f"interpret(record=...) of machine {machine.id!r} needs an ActorRecord "
                    f"(ActorRecord.from_json(...)), not {type(record).__name__}"
                )
            state = record.snapshot
        if state is not None and (not isinstance(state, Snapshot) or state.machine is not machine):
            what = (
                f"a snapshot of machine {state.machine.id!r}" if isinstance(state, Snapshot) else type(state).__name__
            )
            raise SnapshotError(
                f"interpret(state=...) of machine {machine.id!r} needs one of its own snapshots "
                f"(machine.restore(...)), not {what}"
            )
        if context is not None and not isinstance(context, Mapping):
            raise ConfigError(
                f"interpret(context=...) of machine {machine.id!r} takes a dict, not {type(context).__name__}",
                key="context",
            )
        if clock is not None and not (
            callable(getattr(clock, "schedule", None)) and callable(getattr(clock, "cancel", None))
        ):
            raise ConfigError(
                f"interpret(clock=...) needs a clock with schedule() and cancel() (RealClock, "
                f"VirtualClock), not {type(clock).__name__}",
                key="clock",
            )
        self.machine = machine
        self.id = id or machine.id
        self.src = machine.id  # what record() keeps to re-create a spawned child (its services= name)
        self.input = input
        self.clock: Clock = clock if clock is not None else RealClock()
        self.strict = strict
        self.parent = parent
        if system is None and parent is not None:
            system = parent.system
        if system is None:
            system = ThreadedSystem(inspect)
        elif inspect is not None:
            system.inspect(inspect)
        self.system: ThreadedSystem = system
        self.children: dict[str, Interpreter | ServiceRef] = {}
        self.sync_services = isinstance(self.clock, VirtualClock) if sync_services is None else sync_services
        self._initial_context = context
        self._restored = state
        self._state: Snapshot | None = None
        self._lock = system.lock
        self._changed = threading.Condition(self._lock)
        self._waiters = 0  # threads in wait_for: with none, a macrostep notifies no one
        self._queue: deque[tuple[Event, str | None]] = deque()  # each event with its sender's id
        self._processing = False
        self._listeners: list[Listener] = []
        self._handlers = EmitHandlers()
        self._scope = RuntimeScope(
            run=self._run,
            start_invocation=self._start_invocation_later,
            stop_invocation=self._stop_invocation,
            spawn_child=self._spawn_child,
            stop_child=self._stop_child,
            emit=self._emit,
        )
        # with a RealClock listeners are called on the runtime thread: each macrostep queues its
        # calls (the snapshot and the listeners then subscribed), counted so a sender can wait for its own
        self._defer_listeners = isinstance(self.clock, RealClock)
        self._untold: deque[tuple[Any, tuple[Callable[[Any], Any], ...], list[Any] | None]] = deque()
        self._queued_calls = 0  # listener calls queued so far (macrosteps with listeners)
        self._told_calls = 0  # of those, the ones whose listeners have run
        self._told = threading.Condition(self._lock)
        self._telling: threading.Thread | None = None  # the thread calling listeners right now
        self._tell_scheduled = False
        clock_ = self.clock
        schedule = self._schedule_on_runtime_thread if isinstance(clock_, RealClock) else clock_.schedule
        self._timers = Timers(schedule, clock_.cancel, functools.partial(clock_now, clock_))
        # the cached static step is taken first unless a subclass wraps `macrostep` (it sees every step)
        self._static_step = static_step_of(machine) if type(self).macrostep is Interpreter.macrostep else None
        self._record = record
        self._restored_children: Mapping[str, Any] = record.children if record is not None else {}
        self._invocations: dict[str, _Invocation] = {}
        self._to_start: list[str] = []
        self._to_spawn: list[Interpreter] = []
        self._resume: dict[int, float] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self.running = False
        self._stopped = False
        self._failed = False  # its start raised (a child): it stops with status "error"
        self._done_recorded = False  # a top-level actor whose machine finished: actor.stopped recorded

    # -- public -------------------------------------------------------------------------------
    @property
    def state(self) -> Snapshot:
        """The current snapshot.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> actor = m.interpret()
        >>> actor.state
        Traceback (most recent call last):
            ...
        statecharts.errors.StatechartError: interpreter of 'm' is not started
        >>> actor.start().state.value
        'a'
        """
        if self._state is None:
            raise StatechartError(f"interpreter of {self.machine.id!r} is not started")
        return self._state

    def start(self) -> Interpreter:
        """Enter the initial configuration (or resume a restored snapshot) and run its effects.

        >>> from statecharts import Machine
        >>> seen = []
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": "hello"}}},
        ...             actions={"hello": lambda c, e: seen.append(e.name)})
        >>> actor = m.interpret()
        >>> actor.start() is actor, seen
        (True, ['xstate.init'])
        """
        with self._lock:
            if self.running:
                return self
            processing = self._processing
            self.running = True
            self._stopped = False
            self.system.register(self)
            parent_id = self.parent.id if self.parent is not None else None
            self.system.record("actor.created", self.id, parent=parent_id, src=self.machine.id)
            self._processing = True  # events its children send back wait for the first macrostep's end
            try:
                if self._restored is not None:
                    snapshot = self._restored
                    self._state = snapshot
                    self.on_start(snapshot)
                    record = self._record
                    if record is not None:  # the mailbox first; timers resume with the time that remained
                        self._queue.extendleft((e, None) for e in reversed(record.mailbox))
                        self._resume = {id(snapshot.pending[i]): due for i, due in record.timers.items()}
                    for invoke in self.machine.chart.invokes.values():
                        if invoke.state in snapshot.configuration_nodes and (
                            record is None or invoke.id in record.invocations
                        ):
                            self._to_start.append(invoke.id)
                    self._respawn()
                    self._settle(snapshot, previous=())
                    self._resume = {}
                    self._start_invocations()
                    self._restored_children = {}
                else:
                    context = self.machine.initial_context(self._initial_context, input=self.input)
                    self._to_start = []
                    observe = functools.partial(self._observe, Event("xstate.init")) if self.system.inspecting else None
                    snapshot = enter_initial(self.machine, context, self.execute, observe)
                    self.on_start(snapshot)
                    self._settle(snapshot, previous=())
                    self._start_invocations()
                self.on_macrostep_done(snapshot)
            finally:
                self._processing = processing
            self._drain()
            queued = self._queued_calls if self._untold and not processing else 0
        if queued:
            self._wait_until_told(queued)
        return self

    def __enter__(self) -> Self:
        """``with machine.interpret() as actor:`` starts the actor (unless it runs) and stops it at
        the end of the block, as ``async with machine.interpret_async()`` does.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> with m.interpret() as actor:
        ...     actor.send("GO").value
        'b'
        >>> actor.running
        False
        """
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def send(self, event: str | Event | Mapping[str, Any], **data: Any) -> Snapshot:
        """Queue an event and process it (and anything it queues) one macrostep at a time.

        Thread-safe. Returns the snapshot after the queue drains (or, when called from inside an
        action, the current one: the event runs after the current macrostep), once the listeners of
        its macrosteps have been called (on the runtime thread with a `RealClock`; see the class
        docstring; from a listener it returns at once, its listeners run after that listener).

        >>> from statecharts import Machine, assign
        >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {"on": {
        ...     "ADD": {"actions": assign(n=lambda c, e: c["n"] + e["by"])}}}}})
        >>> actor = m.interpret().start()
        >>> actor.send("ADD", by=2).context["n"], actor.send({"type": "ADD", "by": 3}).context["n"]
        (2, 5)
        """
        ev = to_event(event, **data)
        with self._lock:
            if not self.running:
                raise StatechartError(
                    f"event {ev.name!r} sent to machine {self.machine.id!r}, which is not running (call start())"
                )
            if self.strict:
                self.machine.check_event(self.state, ev)
            processing = self._processing  # from an action or hook: the running drain processes it
            self._queue.append((ev, None))
            self._drain()
            if not self._untold or processing:
                return self.state
            after, queued = self.state, self._queued_calls
        self._wait_until_told(queued)  # listeners to call (on the runtime thread): return once they have run
        return after

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot)`` after every macrostep; returns the unsubscribe function.

        Every call happens on one thread, in macrostep order: with a `RealClock` the runtime thread
        ``"<id>-runtime"`` (for the events of `send` and `start` too, which return once
        their listeners have run), with a `VirtualClock` the thread driving the interpreter (see
        **Listeners** in the class docstring). Once ``unsubscribe()`` returns, calls still queued
        skip the listener.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> actor = m.interpret().start()
        >>> values = []
        >>> unsubscribe = actor.subscribe(lambda s: values.append(s.value))
        >>> _ = actor.send("GO")
        >>> unsubscribe()
        >>> _ = actor.send("GO")
        >>> values
        ['b']
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def on(self, event_type: str, handler: EventHandler) -> Callable[[], None]:
        """Call ``handler(event)`` for each event of this type the chart emits (``emit(...)``;
        ``"*"``: every one); returns the function that stops it. Handlers are called where listeners
        are (see **Listeners** in the class docstring): with a `RealClock` on the runtime thread,
        before the listeners of the macrostep that emitted the event.

        >>> from statecharts import Machine, VirtualClock
        >>> from statecharts.actions import emit
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"SAVE": {"actions": emit("SAVED")}}}}})
        >>> actor = m.interpret(clock=VirtualClock()).start()
        >>> stop = actor.on("*", lambda event: print("emitted", event.name))
        >>> _ = actor.send("SAVE")
        emitted SAVED
        """
        with self._lock:
            return self._handlers.on(event_type, handler)

    def inspect(self, callback: Inspector) -> Callable[[], None]:
        """Call ``callback(record)`` with the inspection records of this actor's whole system (its
        children's too: filter on ``record["actor"]``); returns the function that stops it. The
        schema is `statecharts.inspection`'s, the records those of the asyncio actor
        (`statecharts.runtime.AsyncActor.inspect`) for the same chart and events.

        >>> from statecharts import Machine, VirtualClock
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> actor = m.interpret(clock=VirtualClock()).start()
        >>> records = []
        >>> stop = actor.inspect(records.append)
        >>> _ = actor.send("GO")
        >>> [(r["seq"], r["kind"]) for r in records]
        [(1, 'event.received'), (2, 'microstep'), (3, 'snapshot')]
        """
        return self.system.inspect(callback)

    def stop(self) -> None:
        """Cancel timers and invoked services and stop the child machines (the children first);
        further events are refused.

        >>> from statecharts import Machine, VirtualClock
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {500: "b"}, "on": {"GO": "b"}}, "b": {}}})
        >>> clock = VirtualClock()
        >>> actor = m.interpret(clock=clock).start()
        >>> actor.stop(); clock.pending
        0
        >>> actor.send("GO")
        Traceback (most recent call last):
            ...
        statecharts.errors.StatechartError: event 'GO' sent to machine 'm', which is not running (call start())
        """
        with self._lock:
            was_stopped = self._stopped
            self.running = False
            self._stopped = True
            for child in reversed(list(self.children.values())):
                child.stop()
            self.children.clear()
            self._timers.cancel_all()
            for inv in list(self._invocations.values()):
                self._cancel_invocation(inv.id)
            self._queue.clear()
            if not was_stopped and not self._done_recorded:
                self.system.record("actor.stopped", self.id, status=self._ending())
            self.system.unregister(self)
            parent = self.parent
            if parent is not None:
                if parent.children.get(self.id) is self:
                    del parent.children[self.id]
                invoked = parent._invocations.get(self.id)
                if invoked is not None and invoked.child is self:
                    del parent._invocations[self.id]
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop, self._loop_thread = None, None

    def _ending(self) -> str:
        """The status an ``actor.stopped`` record gives: ``done``, ``error`` or ``stopped``."""
        if self._failed:
            return "error"
        return "done" if self._state is not None and self._state.status == "done" else "stopped"

    def __repr__(self) -> str:
        return (
            f"<Interpreter {self.id} ({'running' if self.running else 'stopped' if self._stopped else 'not started'})>"
        )

    def wait_for(self, predicate: Callable[[Snapshot], bool], timeout: float = 5.0) -> Snapshot:
        """Block until ``predicate(state)`` holds (services and real timers run meanwhile).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {10: "b"}}, "b": {}}})
        >>> actor = m.interpret().start()  # a real clock: the timer fires on another thread
        >>> actor.wait_for(lambda s: s.matches("b"), timeout=5).value
        'b'
        """
        with self._changed:
            self._waiters += 1
            try:
                reached = self._changed.wait_for(lambda: predicate(self.state), timeout)
            finally:
                self._waiters -= 1
            if not reached:
                raise TimeoutError(
                    f"machine {self.machine.id!r} did not reach the expected state within "
                    f"{timeout}s; it is in {self.state.value!r}"
                )
            return self.state

    def record(self) -> ActorRecord:
        """What persisting this actor needs: the snapshot, each timer's due time on the clock, the
        running invocations and the mailbox (see `statecharts.record`). Taken between macrosteps.

        >>> from statecharts import Machine, VirtualClock
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {100: "b"}}, "b": {}}})
        >>> clock = VirtualClock()
        >>> actor = m.interpret(clock=clock).start()
        >>> clock.advance(70)
        >>> saved = actor.record()  # due at 100: 30 ms left
        >>> clock.advance(10)
        >>> again = m.interpret(clock=clock, record=saved).start()
        >>> clock.advance(19); again.state.value
        'a'
        >>> clock.advance(1); again.state.value
        'b'
        """
        with self._lock:
            state = self.state
            children = {
                cid: child.persisted_snapshot()
                for cid, child in self.children.items()
                if isinstance(child, Interpreter)
            }
            return ActorRecord(
                state, self._timers.dues(state), tuple(self._invocations), tuple(e for e, _ in self._queue), children
            )

    def persisted_snapshot(self) -> dict[str, Any]:
        """`record` as JSON data (`statecharts.record`) with ``src``, the name the actor was spawned
        from: what its parent's record holds for it under ``children``.

        >>> from statecharts import Machine, VirtualClock
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> data = m.interpret(clock=VirtualClock()).start().persisted_snapshot()
        >>> data["src"], data["snapshot"]["configuration"]
        ('m', ['m', 'm.a'])
        """
        with self._lock:
            if self._state is None:  # created, not started: it starts afresh from its input
                return {
                    "format": "statecharts.actor",
                    "version": RECORD_VERSION,
                    "machine": self.machine.id,
                    "src": self.src,
                    "input": self.input,
                    "snapshot": None,
                }
            return {**self.record().to_json(), "src": self.src}

    # -- extension hooks: what a subclass may override or call (the names are API) --------------
    def macrostep(self, snapshot: Snapshot, event: Event) -> Snapshot:
        """Compute the macrostep for one queued event: the default runs `algorithm.macrostep` with
        `execute` called inline for each effect. A subclass may wrap it (a durable actor collects
        the effects into an outbox and remembers which event the step was for).

        >>> from statecharts import Machine
        >>> class Tracing(Interpreter):
        ...     def macrostep(self, snapshot, event):
        ...         print("step", snapshot.value, "on", event.name)
        ...         return super().macrostep(snapshot, event)
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> Tracing(m).start().send("GO").value
        step a on GO
        'b'
        """
        if self.system.inspecting:  # each microstep recorded (never the cached static step)
            return observed_macrostep(snapshot, event, self.execute, functools.partial(self._observe, event))
        return macrostep(snapshot, event, self.execute)

    def execute(self, effect: Effect) -> None:
        """Run one effect of a macrostep, inline and in order (a failure becomes ``error.execution``).
        An action that returns an awaitable (an ``async def`` action) is run to its end in an event
        loop of its own before the macrostep goes on (`statecharts.actor_core.await_blocking`); on a
        thread that already runs a loop that is ``error.execution`` (use ``interpret_async()``).

        The pure core hands every effect here: calls, logs, service starts and stops. A subclass
        that brings its own action types handles them and passes the rest to ``super().execute``.

        >>> from statecharts import Machine, log
        >>> class Quiet(Interpreter):
        ...     def execute(self, effect):
        ...         print("effect", effect.action.name, "on", effect.event.name)
        ...         if effect.action.name != "log":
        ...             super().execute(effect)
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": log("hi"), "on": {"GO": "b"}},
        ...                                                    "b": {"entry": "ping"}}},
        ...             actions={"ping": lambda c, e: print("ping")})
        >>> actor = Quiet(m).start()
        effect log on xstate.init
        >>> _ = actor.send("GO")
        effect ping on GO
        ping
        """
        effect.action.perform(effect, self._scope)

    # -- the actor scope effects act through (`statecharts.actions.ActorScope`) -----------------
    def _run(self, effect: Effect) -> None:
        result = execute_effect(effect)
        if result is not None and inspect.isawaitable(result):  # an async def action: run it to its end
            await_blocking(result, effect.action.name)

    def _start_invocation_later(self, invoke_id: str) -> None:
        self._to_start.append(invoke_id)

    def _stop_invocation(self, invoke_id: str) -> None:
        if invoke_id in self._to_start:
            self._to_start.remove(invoke_id)
        self._cancel_invocation(invoke_id)

    def _stop_child(self, child_id: str) -> None:
        child = self.children.get(child_id)
        if child is not None:
            child.stop()

    def deliver(self, send: PendingSend) -> None:
        """Route a send that is due: at once when sent without delay, else when its timer fires.

        Called after the send left the snapshot. The default puts events for this machine
        (no target, ``#_self``, its id or its machine's) on its queue with `enqueue`, passes
        ``#_parent`` ones to the parent actor, a child's id to that child and any other actor's id
        of the system (``id`` or ``#id``) to it, and answers any other target with
        ``error.communication``. A subclass routes its own targets and passes the rest to
        ``super().deliver``.

        >>> from statecharts import Machine, send
        >>> class Outbox(Interpreter):
        ...     def deliver(self, p):
        ...         print("deliver", p.event.name, "to", p.to, "after", p.delay)
        ...         if p.to != "#_outbox":
        ...             super().deliver(p)
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {
        ...     "GO": {"actions": [send("MAIL", to="#_outbox"), send("TICK", delay=100)]}, "TICK": "b"}}, "b": {}}})
        >>> clock = VirtualClock()
        >>> actor = Outbox(m, clock=clock).start()
        >>> _ = actor.send("GO")
        deliver MAIL to #_outbox after 0
        >>> clock.advance(100); actor.state.value
        deliver TICK to None after 100.0
        'b'
        """
        to = send.to
        target: Any = SELF if to == self.machine.id else route(to, self.id, self.parent, self.children, self.system)
        if target is SELF:
            self.enqueue(send.event, source=self.id)
        elif target is None:
            self.enqueue(Event("error.communication", {"target": to, "event": send.event.name}))
        elif isinstance(target, ServiceRef):  # a callback service: its receive handlers, where it runs
            self._call_service(target, functools.partial(target.post, send.event, source=self.id))
        else:
            target._receive(send.event, self.id)

    def on_start(self, snapshot: Snapshot) -> None:
        """Hook (does nothing here): `start` calls it with the first snapshot, initial or restored.

        The entry actions have run, but nothing has left the snapshot yet: no send delivered, no
        listener told, no service started. It is called each time `start` starts the actor.

        >>> from statecharts import Machine
        >>> class Greeter(Interpreter):
        ...     def on_start(self, snapshot):
        ...         print("starting in", snapshot.value, "listeners told:", seen)
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> seen = []
        >>> actor = Greeter(m)
        >>> _ = actor.subscribe(lambda s: seen.append(s.value))
        >>> _ = actor.start()
        starting in a listeners told: []
        >>> seen
        ['a']
        """

    def on_macrostep_done(self, snapshot: Snapshot) -> None:
        """Hook (does nothing here): called with the snapshot each macrostep ends in, the first in
        `start` included, once it is adopted: timers set, due sends delivered (they are gone from
        `state`, not from ``snapshot``), listeners told (with a `RealClock`: their calls queued for
        the runtime thread, which makes them after this hook), services started.

        It runs under the actor's lock, before the next queued event is processed; events it
        queues with `enqueue` come after those already waiting.

        >>> from statecharts import Machine
        >>> class Tracing(Interpreter):
        ...     def on_macrostep_done(self, snapshot):
        ...         print("done", snapshot.value, "after", snapshot.event.name)
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> actor = Tracing(m).start()
        done a after xstate.init
        >>> _ = actor.send("GO")
        done b after GO
        """

    @property
    def queued(self) -> int:
        """How many events wait on the external queue.

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {}}}).interpret().start().queued
        0
        """
        return len(self._queue)

    def enqueue(self, event: Event, source: str | None = None) -> None:
        """Put an event on the external queue without processing it now: the macrostep in
        progress finishes first, and the event is handled after those already queued (by the
        running ``send``, ``start`` or timer; with nothing running, by the next one).

        For hooks (`execute`, `deliver`, `on_macrostep_done`); from other threads use `post`.
        ``source``: the sending actor's id, for inspection records.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"BACK": "a"}}}})
        >>> actor = m.interpret().start()
        >>> actor.enqueue(Event("GO")); actor.state.value  # waiting
        'a'
        >>> actor.send("BACK").value  # GO first, then BACK
        'a'
        """
        with self._lock:
            self._queue.append((event, source))

    def _receive(self, event: Event, source: str | None = None) -> None:
        """An event from another actor of the system (on the sender's thread, the system's lock held):
        queued behind those already waiting, so two actors' messages keep their order, and processed
        at once unless a macrostep of this actor is in progress (then after it), or unless
        `MAX_NESTED_DRAINS` actors are processing one inside another's delivery (then as `post`
        does). An actor created but not started yet keeps it for its start; a stopped one drops it."""
        with self._lock:
            if self._stopped:
                return
            self._queue.append((event, source))
            if not self.running:
                return
            system = self.system
            if system.nesting >= MAX_NESTED_DRAINS:  # a long chain of actors: the rest goes on later
                self._drain_later()
                return
            system.nesting += 1
            try:
                self._drain()
            finally:
                system.nesting -= 1

    def post(self, event: str | Event | Mapping[str, Any], *, source: str | None = None, **data: Any) -> None:
        """Queue an event to be processed soon, never in the middle of a macrostep: the way for
        one actor to send to another. On a `RealClock` it is processed on the runtime thread, on
        another clock from the clock (at delay 0). Ignored once the actor is stopped. ``source``
        names the sending actor in inspection records.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> clock = VirtualClock()
        >>> actor = m.interpret(clock=clock).start()
        >>> actor.post("GO"); actor.state.value  # queued, not yet processed
        'a'
        >>> clock.advance(0); actor.state.value
        'b'
        """
        ev = to_event(event, **data)
        with self._lock:
            if not self.running:
                return
            self._queue.append((ev, source))
            self._drain_later()

    def _drain_later(self) -> None:
        """Process the queue soon, never in the middle of a macrostep: on a `RealClock` on the
        runtime thread (even when called from it), on another clock from the clock (at delay 0)."""
        if isinstance(self.clock, RealClock):
            self._event_loop().call_soon_threadsafe(self._drain_posted)
        else:
            self.clock.schedule(0, self._drain_posted)

    def _drain_posted(self) -> None:
        with self._lock:
            if self.running and self._state is not None:
                self._drain()
        if self._untold:  # on the runtime thread: tell the listeners now
            self._tell_queued()

    # -- the loop ------------------------------------------------------------------------------
    def _drain(self) -> None:
        if self._processing:
            return
        self._processing = True
        try:
            system = self.system
            static = self._static_step if not system.inspecting else None
            while self._queue and self.running:
                event, source = self._queue.popleft()
                before = self.state
                if before.status != "active":
                    continue
                if system.inspecting:
                    system.received(self.id, event, source)
                after = static(before, event) if static is not None else None
                if after is not None:  # no effect ran, the pending sends are as they were
                    self._state = after
                    if self._listeners:
                        self._tell(after, self._listeners)
                    if self._waiters:
                        self._changed.notify_all()
                else:
                    self._to_start = []
                    after = (
                        self.macrostep(before, event)
                        if static is None
                        else macrostep(before, event, self.execute, static=False)
                    )
                    self._settle(after, previous=before.pending)
                    self._start_invocations()
                self.on_macrostep_done(after)
        finally:
            self._processing = False

    def _settle(self, snapshot: Snapshot, previous: tuple[PendingSend, ...]) -> None:
        """Adopt the snapshot: reconcile timers with its pending sends (`Timers.adopt`), deliver the
        sends due now, stop everything once the machine finished, notify listeners."""
        if self.system.inspecting:
            self.system.snapshot(self.id, snapshot)
        if not snapshot.pending and not self._timers and snapshot.status == "active" and not self._listeners:
            self._state = snapshot  # the common case: nothing to schedule, cancel or tell
            if self._waiters:
                self._changed.notify_all()
            return
        if self._to_start and snapshot.status == "active":
            self._create_children(snapshot)  # able to receive the sends below; started after the macrostep
        snapshot, ready = self._timers.adopt(snapshot, previous, self._fire, self._resume)
        self._state = snapshot
        for p in ready:
            self.deliver(p)
        if snapshot.status != "active":
            self._timers.cancel_all()
            for inv in list(self._invocations):
                self._cancel_invocation(inv)
            for child in reversed(list(self.children.values())):
                child.stop()
            self._to_start = []
        if self._listeners:
            self._tell(snapshot, self._listeners)
        self._changed.notify_all()
        parent = self.parent
        if parent is not None and snapshot.status == "done" and self.running:
            self.stop()  # first: the parent, hearing at once, may leave the invoking state
            parent._receive(outcome_event(self.id, True, snapshot.output), self.id)
        elif parent is None and snapshot.status == "done" and not self._done_recorded:
            # a top-level actor stays (its state readable), but its machine is over: as the asyncio actor records
            self.system.record("actor.stopped", self.id, status="done")
            self._done_recorded = True

    # -- listeners -----------------------------------------------------------------------------
    def _tell(self, value: Any, listeners: list[Any], only_subscribed: bool = True) -> None:
        """``listeners`` hear ``value`` (a snapshot; an emitted event for handlers): at once (no
        runtime thread: the thread processing the event), or queued for the runtime thread
        (`RealClock`), which calls them in order; ``only_subscribed``: a listener unsubscribed
        meanwhile is skipped."""
        if not self._defer_listeners:
            notify(listeners, value, f"machine {self.id!r}")
            return
        self._untold.append((value, tuple(listeners), listeners if only_subscribed else None))
        self._queued_calls += 1
        if not self._tell_scheduled:  # queued before any stop() of the loop: the calls always happen
            self._tell_scheduled = True
            self._event_loop().call_soon_threadsafe(self._tell_queued)

    def _untell(self, snapshot: Snapshot) -> None:
        """Under the lock, at the end of the macrostep that queued it: drop the listener calls queued
        for ``snapshot`` (a durable actor whose commit failed)."""
        if self._untold and self._untold[-1][0] is snapshot:
            self._untold.pop()
            self._queued_calls -= 1

    def _wait_until_told(self, queued: int) -> None:
        """Called without the lock by the thread whose event(s) queued listener calls up to number
        ``queued``: return once they have run. On the runtime thread they run here (inside a listener:
        after it returns); another thread lets the runtime thread call them and waits."""
        current = threading.current_thread()
        if current is self._telling:
            return  # a listener's own send: its listeners run after this listener returns, in order
        if current is self._loop_thread:
            self._tell_queued()
            return
        with self._told:
            self._told.wait_for(lambda: self._told_calls >= queued)

    def _tell_queued(self) -> None:
        """On the runtime thread: call the queued listeners, one macrostep after another, without the
        lock (a listener may send to this actor or wait for another thread that does)."""
        if self._telling is not None:
            return
        self._telling = threading.current_thread()
        owner = f"machine {self.id!r}"
        try:
            while True:
                with self._lock:
                    if not self._untold:
                        self._tell_scheduled = False
                        return
                    value, listeners, subscribed = self._untold.popleft()
                if subscribed is not None:
                    listeners = tuple(listener for listener in listeners if listener in subscribed)
                notify(listeners, value, owner)
                with self._told:
                    self._told_calls += 1
                    self._told.notify_all()
        finally:
            self._telling = None

    def _observe(
        self, event: Event, transitions: list[Transition], exited: list[StateNode], entered: list[StateNode]
    ) -> None:
        self.system.microstep(self.id, event, transitions, exited, entered)

    def _fire(self, p: PendingSend) -> None:
        with self._lock:
            fired = self._timers.fired(p)
            if fired is None or not self.running:
                return
            p = fired
            self._state = self._timers.orphan_on_fire(without(self.state, {id(p)}), p)
            self.deliver(p)
            self._drain()

    # -- effects -------------------------------------------------------------------------------
    def _start_invocations(self) -> None:
        """Start the services and child machines the macrostep asked for, then the spawned children."""
        pending, self._to_start = self._to_start, []
        for invoke_id in pending:
            inv = self._invocations.get(invoke_id)
            if inv is None and wanted(self.machine.chart.invokes[invoke_id], self.state, self._invocations):
                child = self._create_invoked(invoke_id, self.state)
                if child is None:
                    self._start_invocation(invoke_id)
                    continue
                inv = self._invocations[invoke_id]
            if inv is not None and inv.child is not None and inv.child._state is None and not inv.child._stopped:
                self._start_child(inv.child)
        if self._to_spawn:
            spawned, self._to_spawn = self._to_spawn, []
            for child in spawned:
                if self.children.get(child.id) is child:
                    self._start_child(child)

    def _create_children(self, snapshot: Snapshot) -> None:
        """The child machines the entered states invoke, created (not started) and registered, so
        the sends of the macrostep that entered them reach them (as in xstate)."""
        for invoke_id in self._to_start:
            if wanted(self.machine.chart.invokes[invoke_id], snapshot, self._invocations):
                self._create_invoked(invoke_id, snapshot)

    def _create_invoked(self, invoke_id: str, snapshot: Snapshot) -> Interpreter | None:
        """Create (not start) and register the child machine of an invocation; ``None`` when its
        source is not a Machine (a function or coroutine service)."""
        invoke = self.machine.chart.invokes[invoke_id]
        machine = _as_machine(invoke.src)
        if machine is None:
            return None
        given, _ = service_input(invoke, snapshot, context_by_default=False)
        saved = self._restored_children.get(invoke_id)
        if isinstance(saved, Mapping) and saved.get("snapshot") is None:
            saved = None  # it had not started: it starts afresh
        child = self._new_child(machine, id=invoke_id, input=given, saved=saved)
        self._invocations[invoke_id] = _Invocation(invoke_id, child)
        self.children[invoke_id] = child
        self.system.register(child)
        return child

    def _new_child(
        self, machine: Machine, *, id: str, input: Any = None, saved: Mapping[str, Any] | None = None
    ) -> Interpreter:
        """A child machine of this actor: a plain `Interpreter` on the same clock, in the same
        system (so the same lock); ``saved``: its record in a restored parent's record."""
        record = ActorRecord.from_json(machine, saved) if saved is not None else None
        return Interpreter(
            machine,
            clock=self.clock,
            parent=self,
            system=self.system,
            id=id,
            input=input,
            record=record,
            sync_services=self.sync_services,
        )

    def _start_child(self, child: Interpreter) -> None:
        """Start a created child; one whose start raises is gone, and this actor hears
        ``xstate.error.actor.<id>`` with the error after the macrostep."""
        try:
            child.start()
        except Exception as exc:  # noqa: BLE001 - the child's failure is its parent's error event
            child._failed = True
            child.stop()
            self._queue.append((outcome_event(child.id, False, exc), child.id))

    def _spawn_child(self, action: SpawnChild, effect: Effect) -> None:
        spawn = spawn_of(action, effect, self.id, self._service, len(self.children))
        machine = _as_machine(spawn.src)
        if machine is None:
            raise ConfigError(
                f"spawn_child({action.src!r}) in machine {self.id!r}: the source is not a Machine", key="src"
            )
        if spawn.id in self.children:
            raise StatechartError(f"actor {self.id!r} already has a child {spawn.id!r}")
        child = self._new_child(machine, id=spawn.id, input=spawn.input)
        child.src = spawn.name
        self.children[spawn.id] = child
        self.system.register(child)
        self._to_spawn.append(child)

    def _service(self, name: str) -> Any:
        services = self.machine.chart.services
        if name not in services:
            raise KeyError(
                f"machine {self.machine.id!r} has no service {name!r} (services: {', '.join(services) or 'none'})"
            )
        return services[name]

    def _respawn(self) -> None:
        """Re-create the spawned children of a restored record (invoked ones are created with
        their state's invocation)."""
        for child_id, data in self._restored_children.items():
            if child_id in self.machine.chart.invokes:
                continue
            src, machine = respawn_source(self.id, child_id, data, lambda name: _as_machine(self._service(name)))
            if data.get("snapshot") is None:  # spawned but not started when saved: it starts afresh
                child = self._new_child(machine, id=child_id, input=decode(data.get("input")))
            else:
                child = self._new_child(machine, id=child_id, saved=data)
            child.src = src
            self.children[child_id] = child
            self.system.register(child)
            self._to_spawn.append(child)

    def _emit(self, event: Event) -> None:
        self.system.emitted(self.id, event)
        handlers = self._handlers.of(event.name)
        if handlers:
            self._tell(event, list(handlers), only_subscribed=False)

    def _start_invocation(self, invoke_id: str) -> None:
        invoke = self.machine.chart.invokes[invoke_id]
        inv = _Invocation(invoke_id)
        self._invocations[invoke_id] = inv
        first, event = service_input(invoke, self.state, context_by_default=True)

        def finish(ok: bool, value: Any) -> None:
            with self._lock:
                if inv.cancelled or self._invocations.get(invoke_id) is not inv:
                    return
                del self._invocations[invoke_id]
                self._queue.append((outcome_event(invoke_id, ok, value), invoke_id))
                if self.running:
                    self._drain()
                self.system.record("actor.stopped", invoke_id, status="done" if ok else "error")

        if isinstance(invoke.src, CallbackService) or inspect.isasyncgenfunction(invoke.src):
            self._start_service(inv, invoke.src, invoke.src_name)
            return
        self.system.record("actor.created", invoke_id, parent=self.id, src=invoke.src_name)
        if not callable(invoke.src):  # actor logic that is not a Machine: the asyncio runtime runs it
            finish(
                False,
                ConfigError(
                    f"invoke {invoke_id!r}: interpret() runs functions, coroutines and Machines; "
                    f"the actor logic {invoke.src_name!r} needs machine.interpret_async()",
                    key="src",
                ),
            )
            return
        if self.sync_services:
            try:
                result = invoke.src(first, event)
                if inspect.isawaitable(result):
                    result = asyncio.run(_await(result))
            except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
                finish(False, exc)
            else:
                finish(True, result)
            return
        if inspect.iscoroutinefunction(invoke.src):
            loop = self._event_loop()
            future: Future[Any] = asyncio.run_coroutine_threadsafe(invoke.src(first, event), loop)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"{self.machine.id}-invoke")
            future = self._pool.submit(invoke.src, first, event)
        inv.future = future

        def done(f: Future[Any]) -> None:  # on the runtime thread or a pool thread: finished on the former
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                self._on_runtime_thread(functools.partial(finish, False, exc))
            else:
                self._on_runtime_thread(functools.partial(finish, True, f.result()))

        future.add_done_callback(done)

    def _cancel_invocation(self, invoke_id: str) -> None:
        inv = self._invocations.pop(invoke_id, None)
        if inv is None:
            return
        inv.cancelled = True
        if inv.future is not None:
            inv.future.cancel()
        if inv.child is not None:
            inv.child.stop()
        if inv.service is not None:
            inv.service.stop()
        elif inv.child is None:  # a function or coroutine service
            self.system.record("actor.stopped", invoke_id, status="stopped")

    def _start_service(self, inv: _Invocation, src: Any, name: str) -> None:
        """Start a callback or async-generator service (`statecharts.services.ServiceRef`, as the
        asyncio actor does): on the runtime thread's loop, or inline with ``sync_services``."""
        invoke = self.machine.chart.invokes[inv.id]
        given, event = service_input(invoke, self.state, context_by_default=not isinstance(src, CallbackService))
        if self.sync_services:
            service = ServiceRef(inv.id, self, src, given, event, name, run_task=_run_to_end)
        else:
            loop = self._event_loop()
            service = ServiceRef(inv.id, self, src, given, event, name, run_on=functools.partial(self._on_loop, loop))
        inv.service = service
        self.children[inv.id] = service
        self.system.register(service)
        if service.run_on is None:
            try:
                service.begin()
            except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
                service._finish(False, exc)
        else:
            service.run_on(service.begin)

    def _call_service(self, service: ServiceRef, call: Callable[[], None]) -> None:
        """Run ``call`` (handing a service an event) where ``service`` runs."""
        if service.run_on is None:
            call()
        else:
            service.run_on(call)

    @staticmethod
    def _on_loop(loop: asyncio.AbstractEventLoop, call: Callable[[], None]) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(call)

    def _service_event(self, event: Event, source: str) -> None:
        """An event from an invoked service (`statecharts.services.ServiceParent`): processed at once
        (after the macrostep in progress) with ``sync_services``, else posted to the runtime thread."""
        if self.sync_services:
            self._receive(event, source)
        else:
            self.post(event, source=source)

    def _service_stopped(self, service: ServiceRef, status: str) -> None:
        """A service stopped (`statecharts.services.ServiceParent`): it leaves `children`, its
        invocation and the system."""
        with self._lock:
            if self.children.get(service.id) is service:
                del self.children[service.id]
            inv = self._invocations.get(service.id)
            if inv is not None and inv.service is service:
                del self._invocations[service.id]
            self.system.record("actor.stopped", service.id, status=status)
            self.system.unregister(service)

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        """The runtime thread's loop (started on first use): coroutine services run on it, and
        the events of real-clock timers and services are processed on its thread."""
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=_run_loop, args=(loop,), name=f"{self.id}-runtime", daemon=True)
            thread.start()
            self._loop, self._loop_thread = loop, thread
        return self._loop

    def _on_runtime_thread(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the runtime thread (always queued to its loop, so never in the middle
        of a macrostep or a listener there), then call the listeners of the macrosteps it ran."""
        with self._lock:
            if not self.running:
                return
            self._event_loop().call_soon_threadsafe(self._run_and_tell, callback)

    def _run_and_tell(self, callback: Callable[[], None]) -> None:
        callback()
        if self._untold:
            self._tell_queued()

    def _schedule_on_runtime_thread(self, delay: float, callback: Callable[[], None]) -> Any:
        """A `RealClock` timer whose callback runs on the runtime thread."""
        return self.clock.schedule(delay, functools.partial(self._on_runtime_thread, callback))


def _as_machine(src: Any) -> Machine | None:
    """``src`` when it is a Machine (a child the threaded interpreter runs), else ``None``."""
    from statecharts.machine import Machine

    return src if isinstance(src, Machine) else None


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The runtime thread: run ``loop`` until `Interpreter.stop` stops it, then let the services
    still running see their cancellation and close it."""
    try:
        loop.run_forever()
    finally:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _run_to_end(coroutine: Any) -> None:
    """A service's task with ``sync_services`` (a `VirtualClock`): run to its end here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    coroutine.close()
    raise StatechartError(
        "a callback or async-generator service on a thread that runs an event loop: with a VirtualClock "
        "the threaded interpreter runs it to its end there and cannot; use interpret_async()"
    )
