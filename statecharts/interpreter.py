"""The runtime (actor): queues, clock, delayed events, invoked services, listeners, locking.

The pure core computes each macrostep; the interpreter runs the effects it asks for, in order
and inline (so a failing action becomes SCXML's ``error.execution``), schedules delayed sends on a
clock, starts and cancels invoked services, and serialises ``send`` from many threads.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from typing import TYPE_CHECKING, Any, Protocol

from statecharts import algorithm
from statecharts.actions import Call, Log, StartInvoke, StopInvoke
from statecharts.errors import ConfigError, SnapshotError, StatechartError
from statecharts.event import Event, to_event
from statecharts.record import ActorRecord
from statecharts.state import Effect, PendingSend, Snapshot

if TYPE_CHECKING:
    from statecharts.machine import Machine

logger = logging.getLogger("statecharts")
Listener = Callable[[Snapshot], Any]


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
    __slots__ = ("id", "future", "cancelled")

    def __init__(self, invoke_id: str) -> None:
        self.id = invoke_id
        self.future: Future[Any] | None = None
        self.cancelled = False


class Interpreter:
    """Runs a machine: ``start()``, ``send(event, **data)``, ``state``, ``subscribe``, ``stop()``.

    >>> from statecharts import Machine, VirtualClock
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"after": {500: "b"}}, "b": {}}})
    >>> clock = VirtualClock()
    >>> actor = m.interpret(clock=clock).start()
    >>> clock.advance(500); actor.state.value
    'b'

    A subclass adapts the runtime through the extension hooks only: it overrides `execute` (run
    one effect), `deliver` (route a due send), `on_start` and `on_macrostep_done`, and feeds
    events in with `enqueue` and `post` (`statecharts.scxml.ScxmlSession` is built this way).
    Those names are a contract that tests pin; names with an underscore may change at any time.
    """

    def __init__(self, machine: Machine, *, context: Mapping[str, Any] | None = None,
                 clock: Clock | None = None, strict: bool = False, state: Snapshot | None = None,
                 sync_services: bool | None = None, parent: Interpreter | None = None,
                 record: ActorRecord | None = None) -> None:
        if record is not None:
            if state is not None:
                raise ConfigError(f"interpret() of machine {machine.id!r} takes state= or record=, not both",
                                  key="record")
            if not isinstance(record, ActorRecord):
                raise SnapshotError(f"interpret(record=...) of machine {machine.id!r} needs an ActorRecord "
                                    f"(ActorRecord.from_json(...)), not {type(record).__name__}")
            state = record.snapshot
        if state is not None and (not isinstance(state, Snapshot) or state.machine is not machine):
            what = f"a snapshot of machine {state.machine.id!r}" if isinstance(state, Snapshot) else \
                type(state).__name__
            raise SnapshotError(f"interpret(state=...) of machine {machine.id!r} needs one of its own snapshots "
                                f"(machine.restore(...)), not {what}")
        if context is not None and not isinstance(context, Mapping):
            raise ConfigError(f"interpret(context=...) of machine {machine.id!r} takes a dict, not "
                              f"{type(context).__name__}", key="context")
        if clock is not None and not (callable(getattr(clock, "schedule", None))
                                      and callable(getattr(clock, "cancel", None))):
            raise ConfigError(f"interpret(clock=...) needs a clock with schedule() and cancel() (RealClock, "
                              f"VirtualClock), not {type(clock).__name__}", key="clock")
        self.machine = machine
        self.clock: Clock = clock if clock is not None else RealClock()
        self.strict = strict
        self.parent = parent
        self.sync_services = isinstance(self.clock, VirtualClock) if sync_services is None else sync_services
        self._initial_context = context
        self._restored = state
        self._state: Snapshot | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._waiters = 0  # threads in wait_for: with none, a macrostep notifies no one
        self._queue: deque[Event] = deque()
        self._processing = False
        self._listeners: list[Listener] = []
        self._timers: dict[int, tuple[PendingSend, Any]] = {}
        self._due: dict[int, float] = {}  # id(pending send) -> its due time on the clock
        # xstate mode: id(scheduled send) -> (it, its no-longer-cancellable copy that took over its timer)
        self._moved: dict[int, tuple[PendingSend, PendingSend]] = {}
        self._record = record
        self._invocations: dict[str, _Invocation] = {}
        self._to_start: list[str] = []
        self._resume: dict[int, float] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.running = False

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
            self.running = True
            if self._restored is not None:
                snapshot = self._restored
                self._state = snapshot
                self.on_start(snapshot)
                record = self._record
                if record is not None:  # the mailbox first; timers resume with the time that remained
                    self._queue.extend(record.mailbox)
                    self._resume = {id(snapshot.pending[i]): due for i, due in record.timers.items()}
                self._settle(snapshot, previous=())
                self._resume = {}
                for invoke in self.machine.chart.invokes.values():
                    if invoke.state in snapshot.nodes and (record is None or invoke.id in record.invocations):
                        self._to_start.append(invoke.id)
                self._start_invocations()
            else:
                context = self.machine.initial_context(self._initial_context)
                self._to_start = []
                snapshot = algorithm.enter_initial(self.machine, context, self.execute)
                self.on_start(snapshot)
                self._settle(snapshot, previous=())
                self._start_invocations()
            self.on_macrostep_done(snapshot)
            self._drain()
        return self

    def send(self, event: str | Event | Mapping[str, Any], **data: Any) -> Snapshot:
        """Queue an event and process it (and anything it queues) one macrostep at a time.

        Thread-safe. Returns the snapshot after the queue drains (or, when called from inside an
        action, the current one: the event runs after the current macrostep).

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
                raise StatechartError(f"event {ev.name!r} sent to machine {self.machine.id!r}, "
                                      "which is not running (call start())")
            if self.strict:
                self.machine.check_event(self.state, ev)
            self._queue.append(ev)
            self._drain()
            return self.state

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot)`` after every macrostep; returns the unsubscribe function.

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

    def stop(self) -> None:
        """Cancel timers and invoked services; further events are refused.

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
            self.running = False
            for _, handle in self._timers.values():
                self.clock.cancel(handle)
            self._timers.clear()
            self._due.clear()
            for inv in list(self._invocations.values()):
                self._cancel_invocation(inv.id)
            self._queue.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None

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
                raise TimeoutError(f"machine {self.machine.id!r} did not reach the expected state within "
                                   f"{timeout}s; it is in {self.state.value!r}")
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
            timers = {i: self._due[id(p)] for i, p in enumerate(state.pending) if id(p) in self._due}
            return ActorRecord(state, timers, tuple(self._invocations), tuple(self._queue))

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
        return algorithm.macrostep(snapshot, event, self.execute)

    def execute(self, effect: Effect) -> None:
        """Run one effect of a macrostep, inline and in order (a failure becomes ``error.execution``).

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
        action = effect.action
        if isinstance(action, Call):
            action.execute(effect.context, effect.event)
        elif isinstance(action, Log):
            message = action.resolve(effect.context, effect.event)
            logger.info("%s%s", f"{action.label}: " if action.label else "", message)
        elif isinstance(action, StartInvoke):
            self._to_start.append(action.invoke_id)
        elif isinstance(action, StopInvoke):
            if action.invoke_id in self._to_start:
                self._to_start.remove(action.invoke_id)
            self._cancel_invocation(action.invoke_id)

    def deliver(self, send: PendingSend) -> None:
        """Route a send that is due: at once when sent without delay, else when its timer fires.

        Called after the send left the snapshot. The default puts events for this machine
        (no target, ``#_self`` or its id) on its queue with `enqueue`, passes ``#_parent`` ones
        to the parent actor, and answers any other target with ``error.communication``. A
        subclass routes its own targets and passes the rest to ``super().deliver``.

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
        if send.to is None or send.to in ("#_self", self.machine.id):
            self.enqueue(send.event)
        elif send.to == "#_parent" and self.parent is not None:
            self.parent.send(send.event)
        else:
            self.enqueue(Event("error.communication", {"target": send.to, "event": send.event.name}))

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
        `state`, not from ``snapshot``), listeners told, services started.

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

    def enqueue(self, event: Event) -> None:
        """Put an event on the external queue without processing it now: the macrostep in
        progress finishes first, and the event is handled after those already queued (by the
        running ``send``, ``start`` or timer; with nothing running, by the next one).

        For hooks (`execute`, `deliver`, `on_macrostep_done`); from other threads use `post`.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"BACK": "a"}}}})
        >>> actor = m.interpret().start()
        >>> actor.enqueue(Event("GO")); actor.state.value  # waiting
        'a'
        >>> actor.send("BACK").value  # GO first, then BACK
        'a'
        """
        with self._lock:
            self._queue.append(event)

    def post(self, event: str | Event | Mapping[str, Any], **data: Any) -> None:
        """Queue an event to be processed from the clock (at delay 0), never in the middle of a
        macrostep: the way for one actor to send to another. Ignored once the actor is stopped.

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
            self._queue.append(ev)
            self.clock.schedule(0, self._drain_posted)

    def _drain_posted(self) -> None:
        with self._lock:
            if self.running and self._state is not None:
                self._drain()

    # -- the loop ------------------------------------------------------------------------------
    def _drain(self) -> None:
        if self._processing:
            return
        self._processing = True
        try:
            while self._queue and self.running:
                event = self._queue.popleft()
                before = self.state
                if before.status != "active":
                    continue
                self._to_start = []
                after = self.macrostep(before, event)
                self._settle(after, previous=before.pending)
                self._start_invocations()
                self.on_macrostep_done(after)
        finally:
            self._processing = False

    def _settle(self, snapshot: Snapshot, previous: tuple[PendingSend, ...]) -> None:
        """Adopt the snapshot: reconcile timers with its pending sends, notify listeners."""
        if not snapshot.pending and not self._timers and snapshot.status == "active" and not self._listeners:
            self._state = snapshot  # the common case: nothing to schedule, cancel or tell
            if self._waiters:
                self._changed.notify_all()
            return
        now = {id(p) for p in snapshot.pending}
        if self.machine.xstate:
            self._adopt_orphans(snapshot.pending, now)
        for key in [k for k in self._timers if k not in now]:
            self.clock.cancel(self._timers.pop(key)[1])
            self._due.pop(key, None)
            if self._moved:
                self._moved = {k: v for k, v in self._moved.items() if id(v[1]) != key}
        before = {id(p) for p in previous}
        immediate: list[PendingSend] = []
        overdue: list[tuple[float, int, PendingSend]] = []
        clock_ms = clock_now(self.clock)
        for p in snapshot.pending:
            if id(p) in self._timers:
                continue
            if p.delay <= 0:
                immediate.append(p)
            elif id(p) not in before or self._restored is snapshot:
                delay = p.delay
                due = self._resume.get(id(p))
                if due is not None and clock_ms is not None:  # restored: only the time that remained
                    delay = due - clock_ms
                    if delay <= 0:
                        overdue.append((due, len(overdue), p))
                        continue
                if clock_ms is not None:
                    self._due[id(p)] = clock_ms + delay
                self._timers[id(p)] = (p, self.clock.schedule(delay, functools.partial(self._fire, p)))
        if immediate or overdue:  # immediate sends first, then timers already due, in due order
            ready = immediate + [p for _, _, p in sorted(overdue, key=lambda item: item[:2])]
            snapshot = _without(snapshot, {id(p) for p in ready})
            for p in ready:
                self.deliver(p)
        self._state = snapshot
        if snapshot.status != "active":
            for key in list(self._timers):
                self.clock.cancel(self._timers.pop(key)[1])
            self._due.clear()
            for inv in list(self._invocations):
                self._cancel_invocation(inv)
            self._to_start = []
            if self.parent is not None and snapshot.status == "done":
                self.parent.send(Event(f"xstate.done.actor.{self.machine.id}", snapshot.output))
        for listener in list(self._listeners):
            try:
                listener(snapshot)
            except Exception:  # noqa: BLE001 - one listener's bug must not starve the others or the queue
                logger.exception("machine %r: listener %r raised; the others were still told", self.machine.id,
                                 listener)
        self._changed.notify_all()

    def _fire(self, p: PendingSend) -> None:
        with self._lock:
            p = follow_moved(self._moved, p)
            if self._timers.pop(id(p), None) is None or not self.running:
                return
            self._due.pop(id(p), None)
            state = _without(self.state, {id(p)})
            if self.machine.xstate:
                state = self._orphan_on_fire(state, p)
            self._state = state
            self.deliver(p)
            self._drain()

    def _orphan_on_fire(self, state: Snapshot, p: PendingSend) -> Snapshot:
        """xstate's scheduler: a firing timer takes its id's entry with it, so the latest timer of
        that id can no longer be cancelled."""
        if p.id is None or not any(q.id == p.id and q.cancellable for q in state.pending):
            return state
        pending = tuple(algorithm.orphaned(state.pending, p.id))
        self._adopt_orphans(pending, {id(q) for q in pending})
        return _with_pending(state, pending)

    def _adopt_orphans(self, pending: tuple[PendingSend, ...], now: set[int]) -> None:
        adopt_orphans(self._timers, self._moved, pending, now, self._due)

    # -- effects -------------------------------------------------------------------------------
    def _start_invocations(self) -> None:
        pending, self._to_start = self._to_start, []
        for invoke_id in pending:
            invoke = self.machine.chart.invokes[invoke_id]
            if invoke.state in self.state.nodes and invoke_id not in self._invocations:
                self._start_invocation(invoke_id)

    def _start_invocation(self, invoke_id: str) -> None:
        invoke = self.machine.chart.invokes[invoke_id]
        inv = _Invocation(invoke_id)
        self._invocations[invoke_id] = inv
        state = self.state
        event = state.event or Event("xstate.init")
        first = invoke.input(state.context, event) if callable(invoke.input) else (
            invoke.input if invoke.input is not None else state.context)

        def finish(ok: bool, value: Any) -> None:
            with self._lock:
                if inv.cancelled or self._invocations.get(invoke_id) is not inv:
                    return
                del self._invocations[invoke_id]
                name = f"xstate.done.actor.{invoke_id}" if ok else f"xstate.error.actor.{invoke_id}"
                self._queue.append(Event(name, value if ok else {"error": value}))
                if self.running:
                    self._drain()

        if not callable(invoke.src):  # a child machine: the asyncio runtime runs those
            finish(False, ConfigError(f"invoke {invoke_id!r}: interpret() runs function and coroutine services; "
                                      f"the child machine {invoke.src_name!r} needs machine.interpret_async()",
                                      key="src"))
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

        def done(f: Future[Any]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                finish(False, exc)
            else:
                finish(True, f.result())

        future.add_done_callback(done)

    def _cancel_invocation(self, invoke_id: str) -> None:
        inv = self._invocations.pop(invoke_id, None)
        if inv is None:
            return
        inv.cancelled = True
        if inv.future is not None:
            inv.future.cancel()

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name=f"{self.machine.id}-asyncio", daemon=True)
            thread.start()
            self._loop = loop
        return self._loop


async def _await(awaitable: Any) -> Any:
    return await awaitable


def adopt_orphans(timers: dict[int, tuple[PendingSend, Any]], moved: dict[int, tuple[PendingSend, PendingSend]],
                  pending: tuple[PendingSend, ...], now: set[int], due: dict[int, float] | None = None) -> None:
    """xstate mode: a send that is no longer cancellable (`algorithm.orphaned`) is a new object;
    it takes over the timer of the send it replaces (same due time, same place in line), and
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


def _with_pending(snapshot: Snapshot, pending: tuple[PendingSend, ...]) -> Snapshot:
    return Snapshot(snapshot.machine, snapshot.nodes, snapshot.context, snapshot.history, pending, snapshot.status,
                    snapshot.output, snapshot.effects, snapshot.event, snapshot.sequence)


def _without(snapshot: Snapshot, gone: set[int]) -> Snapshot:
    return Snapshot(snapshot.machine, snapshot.nodes, snapshot.context, snapshot.history,
                    tuple(p for p in snapshot.pending if id(p) not in gone), snapshot.status,
                    snapshot.output, snapshot.effects, snapshot.event, snapshot.sequence)
