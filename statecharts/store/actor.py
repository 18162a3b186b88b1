"""`DurableAsyncActor`: the asyncio actor (`statecharts.runtime.AsyncActor`) with its history in a store.

``machine.interpret_async(store=store, id="order-42")`` loads the actor when the id exists, else
starts it. It calls `Journal` as the threaded `DurableInterpreter` does: `Journal.open` (lease),
then after every macrostep one `Journal.commit` (snapshot and event in one transaction) **before**
the step's ``Call`` and ``Log`` effects run; a repeated idempotency key returns the stored result
and changes nothing; `stop` gives the lease up.

>>> import asyncio, os, tempfile
>>> from statecharts import Machine
>>> from statecharts.store import SqliteStore
>>> m = Machine({"id": "light", "initial": "red", "states": {"red": {"on": {"GO": "green"}}, "green": {}}})
>>> path = os.path.join(tempfile.mkdtemp(), "lights.db")
>>> async def main():
...     async with m.interpret_async(store=SqliteStore(path), id="corner") as light:
...         await light.send("GO", idempotency_key="go-1")
...         await light.send("GO", idempotency_key="go-1")  # applied once
...     async with m.interpret_async(store=SqliteStore(path), id="corner") as again:
...         return again.state.value, [line["event"]["type"] for line in again.journal.lines()]
>>> asyncio.run(main())
('green', ['xstate.init', 'GO'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from statecharts.actions import Call, Log
from statecharts.errors import ConfigError
from statecharts.event import Event, to_event
from statecharts.record import ActorRecord
from statecharts.runtime.actor import AsyncActor
from statecharts.state import Effect, PendingSend, Snapshot
from statecharts.store.base import Store
from statecharts.store.journal import INIT, Journal

if TYPE_CHECKING:
    from statecharts.machine import Machine


class DurableAsyncActor(AsyncActor):
    """An `AsyncActor` of a Machine whose every macrostep is committed to ``store`` under ``id``."""

    def __init__(self, machine: Machine, *, store: Store, id: str, context: Mapping[str, Any] | None = None,
                 lease_ttl: float = 30.0, **options: Any) -> None:
        if not isinstance(id, str) or not id:
            raise ConfigError(f"interpret_async(store=...) of machine {machine.id!r} needs id=, a non-empty string "
                              f"naming the actor, not {id!r}", key="id")
        for name in ("state", "input"):
            if options.get(name) is not None:
                raise ConfigError(f"interpret_async(store=...) takes context=, not {name}= (the store keeps the "
                                  "actor's start)", key=name)
        journal = Journal(store, machine, id, lease_ttl=lease_ttl)
        record = journal.open()
        try:
            super().__init__(machine, id=id, context=context,
                             state=record.snapshot if record is not None else None, **options)
        except BaseException:
            journal.close()
            raise
        self.journal = journal
        self._context = dict(context or {})
        self._committed: Snapshot | None = None if record is None else record.snapshot
        self._outbox: list[Effect] = []
        self._buffering = False
        self._delivered: list[int] = []
        self._keys: dict[int, str] = {}
        self._starting = False

    async def start(self) -> DurableAsyncActor:
        """Resume the stored actor, or start a new one (its start is committed as ``xstate.init``)."""
        self._starting = self._buffering = self._committed is None and self.status == "not started"
        try:
            await super().start()
        finally:
            self._buffering = self._starting = False
        self.journal.keep_alive()
        return self

    async def stop(self) -> None:
        """Stop the actor and give its lease up (the store keeps its record)."""
        await super().stop()
        self.journal.close()

    async def send(self, event: str | Event | Mapping[str, Any], idempotency_key: str | None = None,
                   **data: Any) -> Snapshot:
        """`AsyncActor.send`, committed; with ``idempotency_key`` applied at most once (a repeat
        returns the snapshot committed with the first and changes nothing)."""
        ev = to_event(event, **data)
        if idempotency_key is None:
            return await super().send(ev)
        stored = self.journal.stored_result(idempotency_key)
        if stored is not None:
            return stored
        if idempotency_key in self._keys.values():  # the same key is queued: wait for it, then answer
            await self.system.settled()
            return self.journal.stored_result(idempotency_key) or self.state
        self._keys[id(ev)] = idempotency_key
        try:
            return await super().send(ev)
        finally:
            self._keys.pop(id(ev), None)

    # -- hooks ----------------------------------------------------------------------------------
    def _process(self, event: Event, source: str | None) -> bool:
        if self._state is None or self._state.status != "active":
            return False
        self._buffering = True
        try:
            more = super()._process(event, source)
        finally:
            self._buffering = False
        self._commit(event, self._keys.get(id(event)))
        return more or bool(self._awaiting or self._to_spawn)

    def _adopt(self, snapshot: Snapshot, previous: tuple[PendingSend, ...]) -> None:
        super()._adopt(snapshot, previous)
        if self._starting:  # a new actor's start is its first step
            self._starting = self._buffering = False
            self._commit(Event(INIT, self._context), None)

    def _commit(self, event: Event, key: str | None) -> None:
        if self.status not in ("running", "done") or self._state is None:
            self._outbox = []
            return
        record = ActorRecord(self.state)
        try:
            self.journal.commit(event, record, delivered=self._delivered, key=key)
        except Exception:
            self._outbox = []
            self._stop("error")
            raise
        self._delivered = []
        self._committed = record.snapshot
        outbox, self._outbox = self._outbox, []
        for effect in outbox:
            try:
                super()._execute(effect)
            except Exception as exc:  # noqa: BLE001 - as in the pure core: the next event is error.execution
                self._mailbox.append((Event("error.execution", {"error": exc}), None, self.id))

    def _execute(self, effect: Effect) -> None:
        if self._buffering and isinstance(effect.action, (Call, Log)):
            self._outbox.append(effect)  # run once the step is committed
            return
        super()._execute(effect)

    def _fire(self, p: PendingSend) -> None:
        moved = self._moved.get(id(p))
        current = moved[1] if moved is not None and moved[0] is p else p  # xstate mode: the copy with p's timer
        committed = self._committed
        if committed is not None:
            index = next((i for i, q in enumerate(committed.pending) if q is current), None)
            if index is not None:
                self._delivered.append(index)
        super()._fire(p)


def durable_actor(machine: Machine, store: Store, id: str | None, **options: Any) -> DurableAsyncActor:
    """``machine.interpret_async(store=..., id=...)``: the checks, then `DurableAsyncActor`."""
    if id is None:
        raise ConfigError(f"interpret_async(store=...) of machine {machine.id!r} needs id=", key="id")
    return DurableAsyncActor(machine, store=store, id=id, **options)
