"""The asyncio actor: a `Logic` run on the caller's running event loop, with a mailbox, timers,
invoked and spawned children, emitted events and inspection records.

Everything an actor does happens on its loop's thread: macrosteps, actions, listeners, services
(tasks on the same loop), timers (``loop.call_later``, or a `VirtualClock`). One event is processed
at a time per actor; actors of one system interleave at ``await`` points.
"""

from __future__ import annotations

import asyncio
import functools
import inspect as pyinspect
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Union

from statecharts.actions import SpawnChild
from statecharts.actor_core import (
    MAX_NESTED_DRAINS,
    SELF,
    ActorRegistry,
    EmitHandlers,
    RuntimeScope,
    Timers,
    execute_effect,
    macrostep,
    notify,
    outcome_event,
    respawn_source,
    route,
    service_input,
    spawn_of,
    static_step_of,
    wanted,
    without,
)
from statecharts.chart import InvokeDef, StateNode, Transition
from statecharts.errors import ConfigError, SnapshotError, StatechartError
from statecharts.event import Event, to_event
from statecharts.inspection import Inspection, Inspector
from statecharts.interpreter import Clock, VirtualClock, clock_now
from statecharts.record import RECORD_FORMAT, RECORD_VERSION, ActorRecord
from statecharts.runtime.logic import Logic, MachineLogic, to_logic
from statecharts.services import CallbackService, ServiceRef
from statecharts.state import Effect, PendingSend, Snapshot, decode, encode

logger = logging.getLogger("statecharts")
Listener = Callable[[Snapshot], Any]
EventHandler = Callable[[Event], Any]
Child = Union["AsyncActor", ServiceRef]
_STOPPED = object()


class ActorSystem(ActorRegistry, Inspection):
    """The actors started together: ids, lookup (`get`), inspection records with one sequence.

    Every actor registers under its id when it starts (the first to take an id keeps it) and
    leaves when it stops.

    >>> import asyncio
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
    >>> async def main():
    ...     async with m.interpret_async(id="one") as actor:
    ...         return actor.system.get("one") is actor, actor.system.get("two")
    >>> asyncio.run(main())
    (True, None)
    """

    def __init__(self, inspect: Inspector | None = None) -> None:
        ActorRegistry.__init__(self)
        Inspection.__init__(self, inspect)
        self._running: list[AsyncActor] = []
        self._nesting = 0  # synchronous drains in progress, one inside another (AsyncActor._kick)

    def get(self, system_id: str) -> Child | None:
        """The running actor registered under ``system_id``, or ``None``."""
        return ActorRegistry.get(self, system_id)  # type: ignore[no-any-return]

    async def settled(self) -> None:
        """Return once no actor of the system has an event queued or a macrostep in progress
        (services get a few turns of the loop meanwhile)."""
        quiet = 0
        while quiet < 3:
            await asyncio.sleep(0)
            quiet = 0 if any(a._busy or a._mailbox for a in self._running) else quiet + 1

    def _register(self, actor: Child) -> None:
        self.register(actor)
        if isinstance(actor, AsyncActor) and actor not in self._running:
            self._running.append(actor)
            clock = actor.clock
            if isinstance(clock, VirtualClock) and self.settled not in clock.settlers:
                clock.settlers.append(self.settled)

    def _unregister(self, actor: Child) -> None:
        self.unregister(actor)
        if isinstance(actor, AsyncActor) and actor in self._running:
            self._running.remove(actor)
            clock = actor.clock
            if isinstance(clock, VirtualClock) and not any(a.clock is clock for a in self._running):
                _discard(clock.settlers, self.settled)


class AsyncActor:
    """An actor on the running asyncio loop (xstate's ``createActor``), for any `Logic` or Machine.

    ``await send(event)`` processes the event and returns the snapshot once this actor's mailbox
    is empty: the macrostep has run and every awaitable its actions returned has been awaited.
    Actions run inline during the macrostep, so a failing one becomes ``error.execution`` as in
    the pure core; **an action that returns an awaitable (an ``async def`` action) is awaited after
    the macrostep, one after another in document order, before the next event is processed**; if
    it raises, ``error.execution`` is the next event the actor processes. Inside an action use
    `post` (or ``send_to``/``raise_``): a ``send`` to the same actor from its own action only queues.

    Invoked services run as tasks on the same loop and are cancelled when their state exits (the
    task sees `asyncio.CancelledError`); a Machine (or other `Logic`) as ``src`` runs as a child
    actor whose ``output`` reaches ``onDone``. Delayed sends use ``loop.call_later``, or the given
    clock (``await clock.advance(ms)`` with a `VirtualClock`). Listeners, handlers and inspectors
    are called on the loop's thread; one that raises is logged and the actor goes on.

    >>> import asyncio
    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "counter", "context": lambda input: {"n": input}, "initial": "on", "states": {
    ...     "on": {"on": {"ADD": {"actions": assign(n=lambda c, e: c["n"] + e["by"])}}}}})
    >>> async def main():
    ...     async with m.interpret_async(input=10) as actor:
    ...         await actor.send("ADD", by=2)
    ...         return actor.state.context["n"]
    >>> asyncio.run(main())
    12
    """

    def __init__(
        self,
        logic: Any,
        *,
        input: Any = None,
        id: str | None = None,
        clock: Clock | None = None,
        context: Mapping[str, Any] | None = None,
        state: Snapshot | ActorRecord | Mapping[str, Any] | None = None,
        parent: AsyncActor | None = None,
        system: ActorSystem | None = None,
        inspect: Inspector | None = None,
        strict: bool = False,
    ) -> None:
        found = to_logic(logic)
        if found is None:
            raise ConfigError(
                f"an actor runs a Machine or an object with the Logic methods (initial_state, "
                f"transition, invocation), not {type(logic).__name__}",
                key="logic",
            )
        if context is not None:
            if not isinstance(found, MachineLogic):
                raise ConfigError(f"context= needs a Machine, not {type(logic).__name__}", key="context")
            if not isinstance(context, Mapping):
                raise ConfigError(f"context= takes a dict, not {type(context).__name__}", key="context")
            found = MachineLogic(found.machine, context)
        if clock is not None and not (
            callable(getattr(clock, "schedule", None)) and callable(getattr(clock, "cancel", None))
        ):
            raise ConfigError(
                f"clock= needs schedule() and cancel() (VirtualClock), not {type(clock).__name__}", key="clock"
            )
        self._restored_children: Mapping[str, Any] = {}
        self._record: ActorRecord | None = None  # restored: timers' due times, invocations, mailbox
        if isinstance(state, Mapping):  # persisted_snapshot() data: this actor's and its children's
            state = _read_record(found, state, id or found.id)
        if isinstance(state, ActorRecord):
            self._record, self._restored_children, state = state, state.children, state.snapshot
        if isinstance(state, Snapshot) and isinstance(found, MachineLogic) and state.machine is not found.machine:
            raise SnapshotError(
                f"state= of actor {id or found.id!r} needs a snapshot of machine {found.id!r}, "
                f"not of {state.machine.id!r}"
            )
        if strict and not isinstance(found, MachineLogic):
            raise ConfigError(
                f"strict=True needs a Machine (it checks events against the chart), not {type(logic).__name__}",
                key="strict",
            )
        self.strict = strict
        self.logic: Logic = found
        self.src = found.id  # what persisted_snapshot() records to re-create a spawned child
        self.id = id or found.id
        self.input = input
        self.clock = clock
        self.parent = parent
        self.system = system if system is not None else ActorSystem(inspect)
        if system is not None and inspect is not None:
            self.system.inspect(inspect)
        self.children: dict[str, Child] = {}
        self.status = "not started"  # -> "running" -> "stopped" | "done" | "error"
        self.error: BaseException | None = None
        self._restored = state
        self._state: Snapshot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mailbox: deque[tuple[Event, asyncio.Future[Snapshot] | None, str | None]] = deque()
        self._busy = False
        self._owner: asyncio.Task[Any] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._listeners: list[Listener] = []
        self._handlers = EmitHandlers()
        self._scope = RuntimeScope(
            run=self._run,
            start_invocation=self._start_invocation_later,
            stop_invocation=self._stop_invocation,
            spawn_child=self._spawn,
            stop_child=self._stop_child,
            emit=self._emit,
        )
        self._streams: list[asyncio.Queue[Any]] = []
        self._timers = Timers(self._schedule, self._cancel_timer, self._now)  # due times on `_now`
        self._resume_due: dict[int, float] = {}  # restoring: id(pending send) -> the due time it was saved with
        self._awaiting: list[tuple[str, Awaitable[Any]]] = []
        self._to_start: list[str] = []
        self._to_spawn: list[Child] = []
        self._event: Event | None = None
        # the cached static step (actor_core.static_step_of) when the logic is a plain Machine's and
        # the step hooks are this class's (a subclass that wraps _process or _adopt sees every step)
        self._static_step: Callable[[Snapshot, Event], Snapshot | None] | None = (
            static_step_of(found.machine)
            if type(found) is MachineLogic
            and type(self)._process is AsyncActor._process
            and type(self)._adopt is AsyncActor._adopt
            else None
        )

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """The actor has started and not stopped."""
        return self.status == "running"

    async def __aenter__(self) -> AsyncActor:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> AsyncActor:
        """Enter the initial configuration (or resume ``state=``), await its async entry actions
        and start its services and children. Events posted before start are processed after it."""
        if self.status != "not started":
            return self
        self._loop = asyncio.get_running_loop()
        self.status = "running"
        self.system._register(self)
        self.system.record("actor.created", self.id, parent=self.parent.id if self.parent else None, src=self.logic.id)
        self._busy, self._owner = True, asyncio.current_task()
        try:
            if self._restored is not None:
                snapshot = self._restored
                invoked = [i.id for n in snapshot.configuration_nodes if isinstance(n, StateNode) for i in n.invoke]
                record = self._record
                self._to_start = invoked
                if record is not None:  # its mailbox first; timers resume with the time that remained
                    if record.version >= 2:  # (version 1 of the asyncio store did not list them: all restart)
                        self._to_start = [i for i in invoked if i in record.invocations]
                    self._mailbox.extendleft((e, None, None) for e in reversed(record.mailbox))
                    self._resume_due = {id(snapshot.pending[i]): due for i, due in record.timers.items()}
                self._respawn(set(invoked))
                self._adopt(snapshot, ())
                self._restored_children, self._resume_due, self._record = {}, {}, None
            else:
                self._event = Event("xstate.init")
                observe = self._observe if self.system._inspectors else None
                self._adopt(self.logic.initial_state(self.input, self._execute, observe), ())
            await self._complete()
        except Exception as exc:
            self._busy, self._owner = False, None
            self._fail(exc)
            if self.parent is None:
                raise
            return self
        await self._drain()
        return self

    async def stop(self) -> None:
        """Stop the actor, its timers, services and children (the children first)."""
        self._stop("stopped")

    # -- public ---------------------------------------------------------------------------------
    @property
    def state(self) -> Snapshot:
        """The current snapshot (xstate's ``getSnapshot()``)."""
        if self._state is None:
            raise StatechartError(f"actor {self.id!r} is not started (use 'async with' or await start())")
        return self._state

    async def send(self, event: str | Event | Mapping[str, Any], **data: Any) -> Snapshot:
        """Process ``event`` and return the snapshot once the mailbox is empty and every awaitable
        the actions returned has been awaited (see the class docstring). With ``strict=True`` an
        event no active state listens for is an `EventError` (nothing is queued)."""
        ev = to_event(event, **data)
        if self.status != "running":
            raise StatechartError(f"event {ev.name!r} sent to actor {self.id!r}, which is {self.status}")
        if self.strict and isinstance(self.logic, MachineLogic):
            self.logic.machine.check_event(self.state, ev)
        if self._busy:
            if asyncio.current_task() is self._owner:  # from one of this actor's own actions
                self._mailbox.append((ev, None, None))
                return self.state
            assert self._loop is not None
            future: asyncio.Future[Snapshot] = self._loop.create_future()
            self._mailbox.append((ev, future, None))
            return await future
        static = self._static_step
        if static is not None and not self._listeners and not self.system._inspectors:
            before = self._state
            after = static(before, ev) if before.status == "active" else None  # type: ignore[union-attr,arg-type]
            if after is not None:  # nothing to run, await, schedule or tell
                self._state = after
                return after
        # idle: process it here, in the caller's task, with no task or future; the owner (whose
        # own sends only queue) is looked up only when something is awaited
        self._busy = True
        try:
            try:
                if self._process(ev, None):
                    self._owner = asyncio.current_task()
                    await self._complete()
                elif self._listeners or self._state.status != "active":  # type: ignore[union-attr]
                    self._finish()
            except Exception as exc:
                self._failed(exc, None, raise_errors=True)
            if self._mailbox:
                self._owner = asyncio.current_task()
                await self._drain_loop(raise_errors=True)
        finally:
            self._busy, self._owner, self._task = False, None, None
        return self._state  # type: ignore[return-value]

    def post(self, event: str | Event | Mapping[str, Any], *, source: str | None = None, **data: Any) -> None:
        """Queue ``event`` without waiting (from sync code, actions, other actors, timers); ignored
        once the actor has stopped. ``source`` names the sending actor in inspection records.

        An idle actor processes it at once, in the caller's turn of the loop. Call it on the loop's
        thread; from another thread use ``loop.call_soon_threadsafe(actor.post, event)``."""
        self._receive(to_event(event, **data), source)

    def _receive(self, event: Event, source: str | None) -> None:
        """`post` of an `Event` (from another actor's delivery: no conversion)."""
        if self.status not in ("not started", "running"):
            return
        self._mailbox.append((event, None, source))
        self._kick()

    def _service_event(self, event: Event, source: str) -> None:
        """An event from an invoked service (`statecharts.services.ServiceParent`)."""
        self._receive(event, source)

    def _service_stopped(self, service: ServiceRef, status: str) -> None:
        """An invoked service stopped (`statecharts.services.ServiceParent`)."""
        if self.children.get(service.id) is service:
            del self.children[service.id]
        self.system.record("actor.stopped", service.id, status=status)
        self.system._unregister(service)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot)`` after every macrostep; returns the unsubscribe function."""
        self._listeners.append(listener)
        return functools.partial(_discard, self._listeners, listener)

    def on(self, event_type: str, handler: EventHandler) -> Callable[[], None]:
        """Call ``handler(event)`` for each event of this type the chart emits (``"*"``: every one)."""
        return self._handlers.on(event_type, handler)

    def inspect(self, callback: Inspector) -> Callable[[], None]:
        """Hear the inspection records of this actor (its children included: records of the whole
        system; filter on ``record["actor"]``). Schema: `statecharts.runtime.inspection`."""
        return self.system.inspect(callback)

    async def snapshots(self) -> AsyncIterator[Snapshot]:
        """The current snapshot, then each later one, until the actor stops."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        self._streams.append(queue)
        try:
            yield self.state
            while self.running or not queue.empty():
                item = await queue.get()
                if item is _STOPPED:
                    return
                yield item
        finally:
            unsubscribe()
            _discard(self._streams, queue)

    async def wait_for(self, predicate: Callable[[Snapshot], bool], timeout: float | None = 5.0) -> Snapshot:
        """The first snapshot (the current one included) for which ``predicate`` holds; `TimeoutError`
        after ``timeout`` seconds, `StatechartError` if the actor stops first."""
        if predicate(self.state):
            return self.state
        assert self._loop is not None
        found: asyncio.Future[Snapshot] = self._loop.create_future()

        def check(snapshot: Snapshot) -> None:
            if not found.done() and predicate(snapshot):
                found.set_result(snapshot)

        unsubscribe = self.subscribe(check)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._streams.append(queue)
        stopped = asyncio.ensure_future(queue.get())
        try:
            done, _ = await asyncio.wait({found, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if found in done:
                return found.result()
            if stopped in done:
                raise StatechartError(
                    f"actor {self.id!r} stopped ({self.status}) in {self.state.value!r} before the awaited state"
                ) from self.error
            raise TimeoutError(
                f"actor {self.id!r} did not reach the awaited state within {timeout}s; it is in {self.state.value!r}"
            )
        finally:
            unsubscribe()
            stopped.cancel()
            found.cancel()
            _discard(self._streams, queue)

    def record(self) -> ActorRecord:
        """What persisting this actor needs (`statecharts.record.ActorRecord`): the snapshot, each
        timer's due time (ms on the clock's ``now``; without a clock, on the wall clock, so the time
        a process was down counts), the running invocations, the mailbox (events queued by actors,
        timers and `post`; not those a caller of `send` still awaits: unacknowledged, it sends them
        again) and every child actor's record, recursively. Taken between macrosteps.

        >>> import asyncio
        >>> from statecharts import Machine, VirtualClock
        >>> child = Machine({"id": "child", "initial": "a", "states": {"a": {"after": {100: "b"}}, "b": {}}})
        >>> m = Machine({"id": "m", "initial": "on", "states": {"on": {"invoke": {"src": "child", "id": "kid"}}}},
        ...             services={"child": child})
        >>> async def main():
        ...     clock = VirtualClock()
        ...     async with m.interpret_async(clock=clock) as actor:
        ...         await clock.advance(70)
        ...         return actor.record()
        >>> record = asyncio.run(main())
        >>> record.invocations, record.children["kid"]["timers"]
        (('kid',), [{'pending': 0, 'due': 100.0}])
        """
        state = self.state
        timers = self._timers.dues(state)
        active = {i.id for n in state.configuration_nodes if isinstance(n, StateNode) for i in n.invoke}
        invocations = tuple(cid for cid in self.children if cid in active)
        invocations += tuple(i for i in self._to_start if i not in invocations)
        mailbox = tuple(event for event, future, _ in self._mailbox if future is None)
        children = {
            cid: c.persisted_snapshot()
            for cid, c in self.children.items()
            if isinstance(c, AsyncActor) and (c._state is not None or cid not in active)
        }
        return ActorRecord(state, timers, invocations, mailbox, children)

    def persisted_snapshot(self) -> dict[str, Any]:
        """`record` as JSON data (`statecharts.record`, format version 2) with ``src``, the name
        the actor was spawned from; ``AsyncActor(logic, state=data)`` (or ``interpret_async(state=
        data)``) resumes the actor and its child machines from it, timers with the time that
        remained. Services (functions, callbacks) have no snapshot: they start afresh on resume. A
        spawned child that has not started yet is ``{"snapshot": null, "input": ...}``.
        """
        if self._state is None:
            return {
                "format": RECORD_FORMAT,
                "version": RECORD_VERSION,
                "machine": self.logic.id,
                "src": self.src,
                "input": encode(self.input),
                "snapshot": None,
            }
        return {**self.record().to_json(), "src": self.src}

    def __repr__(self) -> str:
        return f"<AsyncActor {self.id} ({self.status})>"

    # -- the mailbox ----------------------------------------------------------------------------
    def _kick(self) -> None:
        """Process a newly filled mailbox of an idle actor at once, synchronously, as far as no
        ``await`` is needed (as xstate's system relays a message straight into an idle actor);
        an event whose actions returned awaitables, or whose children must start, is finished by
        a task that then drains the rest. Nested synchronous drains are bounded by
        `MAX_NESTED_DRAINS`; deeper ones go to a task at once."""
        if self._busy or self.status != "running" or not self._mailbox:
            return
        system = self.system
        if system._nesting >= MAX_NESTED_DRAINS:
            assert self._loop is not None
            self._busy = True
            self._task = self._loop.create_task(self._drain())
            return
        system._nesting += 1
        self._busy = True
        try:
            while self._mailbox and self.status == "running":
                event, future, source = self._mailbox.popleft()
                try:
                    if self._process(event, source):
                        assert self._loop is not None
                        self._task = self._loop.create_task(self._resume(future))
                        return  # still busy: the task finishes this event and drains the rest
                    if self._listeners or self._state.status != "active":  # type: ignore[union-attr]
                        self._finish()
                except Exception as exc:
                    self._failed(exc, future, raise_errors=False)
                    continue
                if future is not None and not future.done():
                    future.set_result(self.state)
            self._busy = False
        except BaseException:
            self._busy = False
            raise
        finally:
            system._nesting -= 1

    async def _resume(self, future: asyncio.Future[Snapshot] | None) -> None:
        self._owner = asyncio.current_task()
        try:
            try:
                await self._complete()
            except Exception as exc:
                self._failed(exc, future, raise_errors=False)
            else:
                if future is not None and not future.done():
                    future.set_result(self.state)
            await self._drain_loop(raise_errors=False)
        finally:
            self._busy, self._owner, self._task = False, None, None

    async def _drain(self, raise_errors: bool = False) -> None:
        self._busy, self._owner = True, asyncio.current_task()
        try:
            await self._drain_loop(raise_errors)
        finally:
            self._busy, self._owner, self._task = False, None, None

    async def _drain_loop(self, raise_errors: bool) -> None:
        while self._mailbox and self.status == "running":
            event, future, source = self._mailbox.popleft()
            try:
                if self._process(event, source):
                    await self._complete()
                elif self._listeners or self._state.status != "active":  # type: ignore[union-attr]
                    self._finish()
            except Exception as exc:
                self._failed(exc, future, raise_errors)
                continue
            if future is not None and not future.done():
                future.set_result(self.state)

    def _failed(self, exc: Exception, future: asyncio.Future[Snapshot] | None, raise_errors: bool) -> None:
        if future is not None:
            future.set_exception(exc)
        elif raise_errors and self.parent is None:
            raise exc
        else:
            self._fail(exc)

    def _process(self, event: Event, source: str | None) -> bool:
        """One macrostep; True when awaitables or children to start remain (`_complete`)."""
        before = self._state
        if before is None or before.status != "active":
            return False
        system = self.system
        if system._inspectors:
            self._event = event
            system.received(self.id, event, source)
            after = self.logic.transition(before, event, self._execute, self._observe)
        else:
            # the machine's cached static step first (no effect, no pending send changes: the
            # snapshot is adopted as it is); the logic's full macrostep when there is none
            static = self._static_step
            if static is None:
                after = self.logic.transition(before, event, self._execute)
            else:
                after = static(before, event)  # type: ignore[assignment]
                if after is not None:
                    self._state = after
                    return False
                after = macrostep(before, event, self._execute, static=False)  # MachineLogic.transition's
        self._adopt(after, before.pending)
        return bool(self._awaiting or self._to_spawn)

    async def _complete(self) -> None:
        """Await the macrostep's awaitables in order, start its new children, then `_finish`."""
        failures: list[Event] = []
        while self._awaiting:
            name, awaitable = self._awaiting.pop(0)
            try:
                await awaitable
            except Exception as exc:  # noqa: BLE001 - an async action's failure is an error event
                failures.append(Event("error.execution", {"error": exc, "source": f"action {name}"}))
        self._mailbox.extendleft((e, None, self.id) for e in reversed(failures))
        spawned, self._to_spawn = self._to_spawn, []
        for child in spawned:
            if self.children.get(child.id) is child:
                await child.start()
        self._finish()

    def _finish(self) -> None:
        """Tell the listeners; a machine that reached its final state stops (its parent hears)."""
        state = self.state
        if self._listeners:
            notify(self._listeners, state, f"actor {self.id!r}")
        if state.status == "done" and self.running:
            self._stop("done")  # first: the parent, hearing at once, may leave the invoking state
            if self.parent is not None:
                self.parent.post(outcome_event(self.id, True, state.output), source=self.id)

    def _adopt(self, snapshot: Snapshot, previous: tuple[PendingSend, ...]) -> None:
        """Make ``snapshot`` current: create the services and child machines its entered states
        invoke (started after the macrostep, but able to receive from now on), reconcile timers
        with its pending sends, deliver due sends."""
        if self._to_start:
            starting, self._to_start = self._to_start, []
            for invoke_id in starting:
                invoke = self.logic.invocation(invoke_id)
                if wanted(invoke, snapshot, self.children):
                    self._add_child(self._invocation(invoke, snapshot))
        due: list[PendingSend] = []
        if not snapshot.pending and not self._timers:
            self._state = snapshot
        else:
            self._state, due = self._timers.adopt(snapshot, previous, self._fire, self._resume_due or None)
            self._resume_due = {}  # used once: ids of later sends must not meet them
        if self.system._inspectors:
            self.system.snapshot(self.id, snapshot)
        for p in due:
            if p.delay > 0:  # a restored timer that fell due while the actor was down
                self._timer_fired(p)
            self._deliver(p)

    def _fail(self, exc: BaseException) -> None:
        """The actor cannot go on (its logic raised): the parent hears ``xstate.error.actor.<id>``."""
        self.error = exc
        if self.parent is not None:
            self.parent.post(outcome_event(self.id, False, exc), source=self.id)
        else:
            logger.error("actor %r failed: %r", self.id, exc)
        self._stop("error")

    def _stop(self, status: str) -> None:
        if self.status not in ("not started", "running"):
            return
        self.status = status
        self._timers.cancel_all()
        for child in reversed(list(self.children.values())):
            child._stop("stopped")
        self.children.clear()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        while self._mailbox:
            _, future, _ = self._mailbox.popleft()
            if future is not None and not future.done():
                if self._state is not None:
                    future.set_result(self._state)
                else:
                    future.set_exception(StatechartError(f"actor {self.id!r} stopped before it started"))
        for awaitable in self._awaiting:
            if pyinspect.iscoroutine(awaitable[1]):
                awaitable[1].close()
        self._awaiting.clear()
        if self.parent is not None and self.parent.children.get(self.id) is self:
            del self.parent.children[self.id]
        for queue in list(self._streams):
            queue.put_nowait(_STOPPED)
        self.system.record("actor.stopped", self.id, status=status)
        self.system._unregister(self)

    # -- effects --------------------------------------------------------------------------------
    def _execute(self, effect: Effect) -> None:
        effect.action.perform(effect, self._scope)

    # -- the actor scope effects act through (`statecharts.actions.ActorScope`) -----------------
    def _run(self, effect: Effect) -> None:
        result = execute_effect(effect)
        if result is not None and pyinspect.isawaitable(result):  # awaited before the next event
            self._awaiting.append((effect.action.name, result))

    def _start_invocation_later(self, invoke_id: str) -> None:
        self._to_start.append(invoke_id)

    def _stop_invocation(self, invoke_id: str) -> None:
        if invoke_id in self._to_start:
            self._to_start.remove(invoke_id)
        self._stop_child(invoke_id)

    def _stop_child(self, child_id: str) -> None:
        child = self.children.get(child_id)
        if child is not None:
            child._stop("stopped")

    def _spawn(self, action: SpawnChild, effect: Effect) -> None:
        spawn = spawn_of(action, effect, self.id, self.logic.service, len(self.children))
        logic = to_logic(spawn.src)
        if logic is None:
            raise ConfigError(
                f"spawn_child({action.src!r}) in actor {self.id!r}: the source is not a Machine (or actor logic)",
                key="src",
            )
        if spawn.id in self.children:
            raise StatechartError(f"actor {self.id!r} already has a child {spawn.id!r}")
        child = self._new_child(logic, input=spawn.input, id=spawn.id)
        child.src = spawn.name
        self._add_child(child)

    def _emit(self, event: Event) -> None:
        self.system.emitted(self.id, event)
        for handler in self._handlers.of(event.name):
            try:
                handler(event)
            except Exception:  # noqa: BLE001 - a handler's failure must not stop the actor
                logger.exception("handler %r of actor %r failed on %s", handler, self.id, event.name)

    def _deliver(self, p: PendingSend) -> None:
        target = route(p.to, self.id, self.parent, self.children, self.system)
        if target is SELF:
            self._mailbox.append((p.event, None, self.id))
            self._kick()
            return
        if target is None:
            self._mailbox.append((Event("error.communication", {"target": p.to, "event": p.event.name}), None, None))
            self._kick()
        elif isinstance(target, AsyncActor):
            target._receive(p.event, self.id)
        else:
            target.post(p.event, source=self.id)

    def _invocation(self, invoke: InvokeDef, state: Snapshot) -> Child:
        logic = to_logic(invoke.src)
        # a function service gets the context when it has no input; machines and callbacks None
        given, event = service_input(
            invoke, state, context_by_default=logic is None and not isinstance(invoke.src, CallbackService)
        )
        if logic is not None:
            saved = self._restored_children.get(invoke.id)
            if isinstance(saved, Mapping) and saved.get("snapshot") is None:
                saved = None  # it had not started: it starts afresh
            return self._new_child(logic, input=given, id=invoke.id, state=saved)
        return ServiceRef(invoke.id, self, invoke.src, given, event, invoke.src_name)

    def _respawn(self, invoked: set[str]) -> None:
        """Re-create the spawned children of a restored actor from their persisted data."""
        for child_id, data in self._restored_children.items():
            if child_id in invoked:
                continue
            src, logic = respawn_source(self.id, child_id, data, lambda name: to_logic(self.logic.service(name)))
            if data.get("snapshot") is None:  # spawned but not started when saved: start it afresh
                child = self._new_child(logic, id=child_id, input=decode(data.get("input")))
            else:
                child = self._new_child(logic, id=child_id, state=data)
            child.src = str(src)
            self._add_child(child)

    def _new_child(
        self, logic: Logic, *, id: str, input: Any = None, state: Mapping[str, Any] | None = None
    ) -> AsyncActor:
        """A child actor of this one (same clock and system); a subclass may make its own kind."""
        return AsyncActor(logic, input=input, id=id, clock=self.clock, parent=self, system=self.system, state=state)

    def _add_child(self, child: Child) -> None:
        self.children[child.id] = child
        self.system._register(child)
        self._to_spawn.append(child)

    # -- timers ---------------------------------------------------------------------------------
    def _now(self) -> float:
        """Now in ms, the time timers' due times are kept on: the clock's ``now`` (VirtualClock,
        RealClock), else the wall clock (the loop's own clock does not survive a process)."""
        if self.clock is not None:
            now = clock_now(self.clock)
            if now is not None:
                return now
        return time.time() * 1000.0

    def _schedule(self, delay: float, callback: Callable[[], None]) -> Any:
        assert self._loop is not None
        if self.clock is None:
            return self._loop.call_later(delay / 1000.0, callback)
        if isinstance(self.clock, VirtualClock):
            return self.clock.schedule(delay, callback)
        loop = self._loop

        def on_loop() -> None:  # a clock with its own threads: run the callback on the actor's loop
            loop.call_soon_threadsafe(callback)

        return self.clock.schedule(delay, on_loop)

    def _cancel_timer(self, handle: Any) -> None:
        if isinstance(handle, asyncio.TimerHandle):
            handle.cancel()
        elif self.clock is not None and handle is not None:
            self.clock.cancel(handle)

    def _fire(self, p: PendingSend) -> None:
        fired = self._timers.fired(p)
        if fired is None or not self.running:
            return
        p = fired
        self._state = self._timers.orphan_on_fire(without(self.state, {id(p)}), p)
        self._timer_fired(p)
        self._deliver(p)

    def _timer_fired(self, p: PendingSend) -> None:
        """The timer of ``p`` fell due (a restored one that was overdue too), just before ``p`` is
        delivered; a durable actor notes it for its log."""

    def _observe(self, transitions: list[Transition], exited: list[StateNode], entered: list[StateNode]) -> None:
        self.system.microstep(self.id, self._event, transitions, exited, entered)


def _read_record(logic: Logic, data: Mapping[str, Any], name: str) -> ActorRecord:
    """``state=`` data (`AsyncActor.persisted_snapshot`) as an `ActorRecord` of ``logic``; a
    `SnapshotError` names what is wrong."""
    if data.get("format") != RECORD_FORMAT:
        raise SnapshotError(
            f"state= of actor {name!r} needs persisted_snapshot() data (an actor record with "
            f'"format": {RECORD_FORMAT!r}) or a Snapshot; got keys {sorted(map(str, data))}'
        )
    if isinstance(logic, MachineLogic):
        try:
            return ActorRecord.from_json(logic.machine, data)
        except SnapshotError as exc:
            raise SnapshotError(f"state= of actor {name!r}: {exc}") from exc
    return ActorRecord(logic.restore(data["snapshot"]), children=data.get("children") or {})


def _discard(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)
