"""`DurableInterpreter`: the threaded interpreter with every macrostep committed to a store."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statecharts.errors import ConfigError, StatechartError
from statecharts.event import Event, to_event
from statecharts.interpreter import Clock, Interpreter, Listener, clock_now
from statecharts.state import Effect, PendingSend, Snapshot
from statecharts.store.base import Store
from statecharts.store.journal import INIT, Journal

if TYPE_CHECKING:
    from statecharts.machine import Machine

logger = logging.getLogger("statecharts")


class DurableInterpreter(Interpreter):
    """An actor whose every macrostep is committed (snapshot, event, timers, mailbox) before its
    effects run: ``machine.interpret(store=store, id="order-42")``.

    - Opening loads the actor when the id exists (timers resume with the time that remained,
      running invocations restart, the mailbox is processed), else starts it.
    - After each macrostep, one transaction commits the new record and the event's log line;
      only then do the step's actions and logs run and its sends to other actors leave (an
      outbox). Should the process die in between, reopening runs them again: at least once. An
      action that raises then sends ``error.execution`` as the next event (it cannot roll back a
      committed step).
    - ``send(event, idempotency_key="k")`` applies the event at most once: a repeat (in this or a
      later process) returns the snapshot committed with the first, and changes nothing.
    - One owner: a second process opening the id gets `LeaseError` while the lease (``lease_ttl``
      seconds, renewed by each commit and every ``lease_ttl / 3``) runs; a lease whose owner
      process on this host is gone is taken at once.
    - Listeners (`subscribe`) are told after the commit, with the effects. Invoked services start
      when their state is entered, before the commit (their results come back as events, which
      are logged); a committed running invocation is restarted on reopen.
    - A commit that fails (the lease lost, a context value that cannot be persisted, the disk)
      stops the actor and raises: the store keeps the last committed step, and reopening resumes
      from it.

    >>> import os, tempfile
    >>> from statecharts import Machine, assign
    >>> from statecharts.store import SqliteStore
    >>> m = Machine({"id": "cart", "context": {"n": 0}, "initial": "open", "states": {"open": {"on": {
    ...     "ADD": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}}})
    >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "carts.db"))
    >>> with m.interpret(store=store, id="cart-7") as cart:
    ...     [cart.send("ADD", idempotency_key=k).context["n"] for k in ("a", "b", "a")]
    [1, 2, 1]
    >>> with m.interpret(store=store, id="cart-7") as cart:
    ...     cart.state.context["n"], cart.send("ADD", idempotency_key="b").context["n"]
    (2, 2)
    """

    def __init__(
        self,
        machine: Machine,
        *,
        store: Store,
        id: str,
        context: Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        lease_ttl: float = 30.0,
        **options: Any,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise ConfigError(
                f"interpret(store=...) of machine {machine.id!r} needs id=, a non-empty string naming "
                f"the actor, not {id!r}",
                key="id",
            )
        for name in ("state", "record"):
            if options.get(name) is not None:
                raise ConfigError(
                    f"interpret(store=...) loads the actor from the store: {name}= is not taken too", key=name
                )
        journal = Journal(store, machine, id, lease_ttl=lease_ttl)
        record = journal.open()
        try:
            super().__init__(machine, context=context, clock=clock, record=record, **options)
            if clock_now(self.clock) is None:
                raise ConfigError(
                    f"interpret(store=...) needs a clock with a `now` (RealClock, VirtualClock) to "
                    f"persist due times, not {type(self.clock).__name__}",
                    key="clock",
                )
        except BaseException:
            journal.close()
            raise
        self.id = id
        self.journal = journal
        self._recovering = record is not None
        self._committed: Snapshot | None = None if record is None else record.snapshot
        self._event: Event | None = None if record is not None else Event(INIT, dict(context or {}))
        self._in_step = record is None  # a new actor's start is its first step
        self._outbox: list[Effect | PendingSend | _Notice] = []
        self._delivered: list[int] = []
        self._keys: dict[int, str] = {}
        self._results: dict[str, Snapshot] = {}

    # -- public ----------------------------------------------------------------------------
    def start(self) -> DurableInterpreter:
        """Resume the stored actor (or start a new one) and keep its lease alive. A stopped durable
        actor has given its lease up: open it again with ``machine.interpret(store=..., id=...)``."""
        if not self.running and self._state is not None:
            raise StatechartError(
                f"actor {self.id!r} was stopped and its lease given up: open it again with "
                f"machine.interpret(store=..., id={self.id!r})"
            )
        super().start()
        self.journal.keep_alive()
        return self

    def send(self, event: str | Event | Mapping[str, Any], idempotency_key: str | None = None, **data: Any) -> Snapshot:
        """`Interpreter.send`, committed; with ``idempotency_key`` applied at most once (a repeat
        returns the snapshot committed with the first and changes nothing)."""
        ev = to_event(event, **data)
        if idempotency_key is None:
            return super().send(ev)
        with self._lock:
            stored = self.journal.stored_result(idempotency_key)
            if stored is not None:
                return stored
            self._keys[id(ev)] = idempotency_key
            try:
                after = super().send(ev)
            finally:
                self._keys.pop(id(ev), None)
            return self._results.pop(idempotency_key, after)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """`Interpreter.subscribe`, told once the step is committed (with its effects)."""
        if self._defer_listeners:  # the runtime thread calls it after the step's commit, as it is
            return super().subscribe(listener)

        def after_commit(snapshot: Snapshot) -> None:
            if self._in_step:
                self._outbox.append(_Notice(listener, snapshot))
            else:
                listener(snapshot)

        return super().subscribe(after_commit)

    def stop(self) -> None:
        """Stop the actor and give its lease up (the store keeps its record)."""
        super().stop()
        self.journal.close()

    # -- hooks -----------------------------------------------------------------------------
    def macrostep(self, snapshot: Snapshot, event: Event) -> Snapshot:
        self._event = event
        self._in_step = True
        return super().macrostep(snapshot, event)

    def execute(self, effect: Effect) -> None:
        if self._in_step and effect.action.world:
            self._outbox.append(effect)  # released once the step is committed
            return
        super().execute(effect)

    def deliver(self, send: PendingSend) -> None:
        committed = self._committed
        if send.delay > 0 and committed is not None:  # a timer fired: it leaves the committed snapshot
            index = next((i for i, p in enumerate(committed.pending) if p is send), None)
            if index is not None:
                self._delivered.append(index)
        if send.to is None or send.to in ("#_self", self.machine.id):
            super().deliver(send)
        elif self._in_step:
            self._outbox.append(send)
        else:
            super().deliver(send)

    def on_macrostep_done(self, snapshot: Snapshot) -> None:
        if self._recovering:  # reopened: the last step's effects may not all have run
            self._recovering = False
            again = self.journal.unreleased()
            if again is not None:
                self._release(
                    [e for e in again.effects if e.action.world]
                    + [p for p in again.pending if p.delay <= 0 and p.to not in (None, "#_self", self.machine.id)]
                )
            return
        event = self._event
        if event is None:  # nothing was processed (the actor had stopped)
            return
        record = self.record()
        key = self._keys.get(id(event))
        try:
            self.journal.commit(event, record, delivered=self._delivered, key=key)
        except Exception:
            self._in_step = False
            self._outbox = []
            self._untell(record.snapshot)  # listeners never hear a step that was not committed
            self.stop()
            raise
        self._event = None
        self._delivered = []
        self._committed = record.snapshot
        self._in_step = False
        if key is not None:
            self._results[key] = record.snapshot
        outbox, self._outbox = self._outbox, []
        self._release(outbox)

    def _release(self, outbox: Sequence[Effect | PendingSend | _Notice]) -> None:
        for item in outbox:
            if isinstance(item, PendingSend):
                super().deliver(item)
                continue
            if isinstance(item, _Notice):
                item.listener(item.snapshot)
                continue
            try:
                super().execute(item)
            except Exception as exc:  # noqa: BLE001 - the step is committed: the failure is the next event
                logger.warning(
                    "actor %r: action %s failed after its step was committed: %r", self.id, item.action.name, exc
                )
                self.enqueue(Event("error.execution", {"error": exc, "action": item.action.name}))


@dataclass(frozen=True)
class _Notice:
    """A listener call held until its step is committed."""

    listener: Listener
    snapshot: Snapshot
