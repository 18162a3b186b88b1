"""`DurableAsyncActor`: the asyncio actor (`statecharts.runtime.AsyncActor`) with its history in a store.

``machine.interpret_async(store=store, id="order-42")`` loads the actor when the id exists, else
starts it. The whole actor tree (the actor and its invoked and spawned child machines, at any
depth) lives in the store under that one id: one record (`statecharts.record.ActorRecord`, each
child's record nested in its parent's) and one event log, in which every actor's macrosteps are
lines naming the actor (`statecharts.store.journal`).

The outbox rule, for every macrostep of every actor of the tree:

1. the step runs; its ``Call``, ``Log`` and ``Emit`` effects and its sends to other actors are held;
2. one transaction commits the tree's new record and the step's log line (`Journal.commit`);
3. only then are the held effects released: the actions run, then the sends are put in their
   receivers' mailboxes, all of them before any receiver processes one (so the next commit,
   whichever actor makes it, holds every one not yet processed in the tree's mailboxes).

A step whose effects were not all released when the process died (the store's ``released``
mark is behind its last ``seq``) is recomputed by the pure core on restart, from the actor's
previous line, and its effects and sends run again before any actor of the tree processes an
event: at least once. An event sent with ``idempotency_key`` is applied at most once: a repeat
(in this process or a later one) returns the snapshot committed with the first and changes
nothing. Events a caller of `send` still awaits are not in the record (unacknowledged: the
caller sends them again); events queued by actors, timers and `post` are. Async actions are
called when their step is released and awaited as usual; a crash while one is awaited does not
run it again once a later step is committed. `stop` gives the lease up.

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

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from statecharts.errors import ConfigError
from statecharts.event import Event, to_event
from statecharts.runtime.actor import AsyncActor
from statecharts.runtime.logic import Logic, MachineLogic
from statecharts.state import Effect, PendingSend, Snapshot, restore
from statecharts.store.base import Store
from statecharts.store.journal import INIT, Journal, step

if TYPE_CHECKING:
    from statecharts.machine import Machine

logger = logging.getLogger("statecharts")
WINDOW = 256  # log lines read at once when looking back for an actor's previous line


class DurableMember(AsyncActor):
    """An actor of a durable tree: the root (`DurableAsyncActor`) or a child machine at any depth.
    Its steps are committed by the root (`DurableAsyncActor._commit_step`) before their effects
    are released; its children are durable members too."""

    def __init__(self, logic: Any, *, root: DurableAsyncActor | None = None, **options: Any) -> None:
        super().__init__(logic, **options)
        self.root: DurableAsyncActor = root if root is not None else self  # type: ignore[assignment]
        self._committed: Snapshot | None = self._restored  # the snapshot of this actor's last committed line
        self._outbox: list[Effect | PendingSend] = []
        self._buffering = False  # inside a step: external effects are held
        self._delivered: list[int] = []  # timers fired since the last commit (indices in _committed.pending)
        self._starting = False  # a fresh start: it is this actor's first step
        self._resuming = False  # a restore: its unreleased steps' effects run again

    async def start(self) -> DurableMember:
        """Start afresh (the start is committed as ``xstate.init``) or resume the stored state."""
        if self.status == "not started":
            fresh = self._restored is None
            self._starting = self._buffering = fresh
            self._resuming = not fresh
        try:
            await super().start()
        finally:
            self._buffering = self._starting = self._resuming = False
        return self

    def _start_data(self) -> Any:
        return {"input": self.input}  # a child's start line (the root's has its context)

    # -- hooks of AsyncActor ------------------------------------------------------------------
    def _process(self, event: Event, source: str | None) -> bool:
        if self._state is None or self._state.status != "active":
            return False
        self._buffering = True
        try:
            more = super()._process(event, source)
        finally:
            self._buffering = False
        root = self.root
        root._commit_step(self, event, root._keys.get(id(event)) if root is self else None)
        return more or bool(self._awaiting or self._to_spawn)

    def _adopt(self, snapshot: Snapshot, previous: tuple[PendingSend, ...]) -> None:
        super()._adopt(snapshot, previous)
        if self._starting:  # a fresh actor's start is its first step
            self._starting = self._buffering = False
            self.root._commit_step(self, Event(INIT, self._start_data()), None)
        elif self._resuming:
            self._resuming = False
            self.root._rerun(self)

    def _execute(self, effect: Effect) -> None:
        if self._buffering and effect.action.world:
            self._outbox.append(effect)  # released once the step is committed
            return
        super()._execute(effect)

    def _deliver(self, p: PendingSend) -> None:
        if self._buffering and p.to not in (None, "#_self", self.id):
            self._outbox.append(p)  # a send to another actor leaves once the step is committed
            return
        super()._deliver(p)

    def _timer_fired(self, p: PendingSend) -> None:
        committed = self._committed
        if committed is not None:
            index = next((i for i, q in enumerate(committed.pending) if q is p), None)
            if index is not None:
                self._delivered.append(index)

    def _kick(self) -> None:
        root = self.root
        if root._hold:  # the tree is being restored, or a step's sends are being put in mailboxes
            if self not in root._held:
                root._held.append(self)
            return
        super()._kick()

    async def _drain(self, raise_errors: bool = False) -> None:
        root = self.root
        if root._hold:  # (idle meanwhile: what start() left in the mailbox is processed once kicked)
            self._busy, self._owner, self._task = False, None, None
            if self not in root._held:
                root._held.append(self)
            return
        await super()._drain(raise_errors)

    def _new_child(
        self, logic: Logic, *, id: str, input: Any = None, state: Mapping[str, Any] | None = None
    ) -> AsyncActor:
        return DurableMember(
            logic, root=self.root, input=input, id=id, clock=self.clock, parent=self, system=self.system, state=state
        )


class DurableAsyncActor(DurableMember):
    """An `AsyncActor` of a Machine whose every macrostep, and every step of its child actors,
    is committed to ``store`` under ``id`` before its effects are released (module docstring)."""

    def __init__(
        self,
        machine: Machine,
        *,
        store: Store,
        id: str,
        context: Mapping[str, Any] | None = None,
        lease_ttl: float = 30.0,
        **options: Any,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise ConfigError(
                f"interpret_async(store=...) of machine {machine.id!r} needs id=, a non-empty string "
                f"naming the actor, not {id!r}",
                key="id",
            )
        for name in ("state", "input"):
            if options.get(name) is not None:
                raise ConfigError(
                    f"interpret_async(store=...) takes context=, not {name}= (the store keeps the actor's start)",
                    key=name,
                )
        journal = Journal(store, machine, id, lease_ttl=lease_ttl)
        record = journal.open()
        self.journal = journal
        self._keys: dict[int, str] = {}
        self._hold = 0  # > 0: kicked actors wait in _held (a restore, a release in progress)
        self._held: list[DurableMember] = []
        try:
            super().__init__(machine, id=id, context=context, state=record, **options)
            self._reruns = self._unreleased() if record is not None else {}
        except BaseException:
            journal.close()
            raise
        self._context = dict(context or {})

    def _start_data(self) -> Any:
        return self._context

    async def start(self) -> DurableAsyncActor:
        """Resume the stored actor tree (its unreleased effects run again first), or start a new
        one (its start is committed as ``xstate.init``)."""
        restoring = self.status == "not started" and self._restored is not None
        if restoring:
            self._hold += 1  # no actor processes an event before the whole tree is back
        try:
            await super().start()
        finally:
            if restoring:
                self._hold -= 1
        if restoring:
            for actor_id in self._reruns:
                logger.warning(
                    "actor %r: the unreleased steps of child %r were not run again: it is no longer in the tree",
                    self.id,
                    actor_id,
                )
            self._reruns = {}
            self._flush()
        self.journal.keep_alive()
        return self

    async def stop(self) -> None:
        """Stop the actor tree and give its lease up (the store keeps its record)."""
        await super().stop()
        self.journal.close()

    async def send(
        self, event: str | Event | Mapping[str, Any], idempotency_key: str | None = None, **data: Any
    ) -> Snapshot:
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

    # -- the tree's commits ---------------------------------------------------------------------
    def _commit_step(self, actor: DurableMember, event: Event, key: str | None) -> None:
        """Commit ``actor``'s step (the whole tree's record, its log line), then release its effects."""
        if self.status not in ("running", "done") or actor._state is None:
            actor._outbox = []
            return
        try:
            self.journal.commit(
                event,
                self.record(),
                delivered=actor._delivered,
                key=key,
                actor=None if actor is self else actor.id,
                snapshot=actor.state,
            )
        except Exception:
            actor._outbox = []
            self._stop("error")
            raise
        actor._delivered = []
        actor._committed = actor.state
        outbox, actor._outbox = actor._outbox, []
        if outbox:
            self._release(actor, outbox)

    def _release(self, actor: DurableMember, outbox: list[Effect | PendingSend]) -> None:
        """Run a committed step's actions, then put its sends in their receivers' mailboxes; the
        receivers process them only once all are there."""
        self._hold += 1
        try:
            for item in outbox:
                if isinstance(item, PendingSend):
                    actor._deliver(item)
                    continue
                try:
                    actor._execute(item)
                except Exception as exc:  # noqa: BLE001 - as in the pure core: the next event is error.execution
                    logger.warning(
                        "actor %r: action %s failed after its step was committed: %r", actor.id, item.action.name, exc
                    )
                    actor._mailbox.append(
                        (
                            Event("error.execution", {"error": exc, "source": f"action {item.action.name}"}),
                            None,
                            actor.id,
                        )
                    )
                    actor._kick()
        finally:
            self._hold -= 1
        self._flush()

    def _flush(self) -> None:
        """Let the actors kicked while holding process their mailboxes."""
        if self._hold:
            return
        held, self._held = self._held, []
        for member in held:
            member._kick()

    # -- after a crash: the effects of steps that were committed but maybe not released ----------
    def _unreleased(self) -> dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]]:
        """Each log line after the store's ``released`` mark, with the previous line of its actor,
        by actor id (in ``seq`` order)."""
        journal = self.journal
        first = journal.released + 1
        if first > journal.seq:
            return {}
        lo = max(0, first - WINDOW)
        while True:
            window = journal.lines(since=lo)
            last: dict[str, dict[str, Any]] = {}
            found: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = {}
            missing = False
            for line in window:
                actor = line["actor"]
                if line["seq"] >= first:
                    previous = last.get(actor)
                    child_start = actor != self.id and line["event"]["type"] == INIT
                    if previous is None and line["seq"] > 0 and not child_start:
                        missing = True  # its previous line is before the window
                    found.setdefault(actor, []).append((line, None if child_start else previous))
                last[actor] = line
            if not missing or lo == 0:
                return found
            lo = max(0, lo - 16 * WINDOW)

    def _rerun(self, actor: DurableMember) -> None:
        """Run ``actor``'s unreleased steps' effects again (it was just restored): each step is
        recomputed by the pure core from its previous line; its actions run and its sends to
        other actors are delivered (its sends to itself are in the restored mailbox)."""
        steps = self._reruns.pop(actor.id, None)
        if not steps or not isinstance(actor.logic, MachineLogic):
            return
        machine = actor.logic.machine
        for line, previous in steps:
            before = None if previous is None else restore(machine, previous["snapshot"])
            after = step(machine, before, line, child=actor is not self)
            for effect in after.effects:
                if effect.action.world:
                    try:
                        AsyncActor._execute(actor, effect)
                    except Exception as exc:  # noqa: BLE001 - the step is committed: the failure is an event
                        actor._mailbox.append((Event("error.execution", {"error": exc}), None, actor.id))
            for p in after.pending:
                if p.delay <= 0 and p.to not in (None, "#_self", actor.id):
                    AsyncActor._deliver(actor, p)


def durable_actor(machine: Machine, store: Store, id: str | None, **options: Any) -> DurableAsyncActor:
    """``machine.interpret_async(store=..., id=...)``: the checks, then `DurableAsyncActor`."""
    if id is None:
        raise ConfigError(
            f"interpret_async(store=...) of machine {machine.id!r} needs id=, a non-empty string naming the actor",
            key="id",
        )
    return DurableAsyncActor(machine, store=store, id=id, **options)
