"""`Journal`: one actor's durable history in a store, the calls a runtime makes around macrosteps.

The event log holds one JSON object per line (per committed macrostep)::

    {"seq": 3, "actor": "order-42", "event": {"type": "PAY", "data": {"amount": 5}},
     "delivered": [0], "key": "pay-1", "snapshot": {... Snapshot.to_json() ...}}

``seq`` counts from 0 (the start, event ``xstate.init`` whose data is the context given to
``interpret``); ``delivered`` lists the delayed sends (by index in the previous line's
``snapshot.pending``) that fired and left the snapshot before this event's macrostep; ``key`` is
the idempotency key the event was sent with. ``snapshot`` is the snapshot as the runtime holds it
after the step: its sends without delay are delivered (gone from ``pending``; while unprocessed
they sit in the actor record's mailbox). So each line follows from the one before by the pure
core: `step` below, which `replay` uses to check a log.

A durable asyncio actor with child actors keeps the whole tree in one log: a line's ``actor``
names the actor that took the step (the root's id or a child's), and ``delivered`` and "the
line before" mean that actor's previous line. A child's first line is its start: event
``xstate.init`` with data ``{"input": ...}`` (the input it was invoked or spawned with).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statecharts.actor_core import settled, without_at
from statecharts.errors import SnapshotError
from statecharts.event import Event
from statecharts.record import ActorRecord, event_from_json, event_to_json
from statecharts.state import Snapshot, restore
from statecharts.store.base import Commit, LeaseError, Store, new_owner

if TYPE_CHECKING:
    from statecharts.machine import Machine

INIT = "xstate.init"


class Journal:
    """One actor's record and event log in ``store``, owned by this process while open.

    Both runtimes use it the same way: `open` (take the lease; the stored record or ``None``),
    `unreleased` (what to run again after a crash), then after each macrostep `commit` (one
    transaction) and only then release the step's effects; `stored_result` answers a repeated
    idempotency key; `close` gives the lease up.

    >>> import os, tempfile
    >>> from statecharts import Event, Machine
    >>> from statecharts.record import ActorRecord
    >>> from statecharts.store import SqliteStore
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> journal = Journal(SqliteStore(os.path.join(tempfile.mkdtemp(), "j.db")), m, "m-1")
    >>> journal.open() is None  # a new actor
    True
    >>> s0 = m.initial_state()
    >>> journal.commit(Event("xstate.init"), ActorRecord(s0))
    0
    >>> journal.commit(Event("GO"), ActorRecord(m.transition(s0, "GO")), key="go-1")
    1
    >>> journal.stored_result("go-1").value
    'b'
    >>> [line["event"]["type"] for line in journal.lines()]
    ['xstate.init', 'GO']
    >>> replay(m, journal.lines()).value
    'b'
    """

    def __init__(self, store: Store, machine: Machine, actor_id: str, *, lease_ttl: float = 30.0) -> None:
        self.store = store
        self.machine = machine
        self.actor_id = actor_id
        self.lease_ttl = lease_ttl
        self.owner = new_owner()
        self.seq = -1
        self.released = -1
        self._open = False
        self._heartbeat: threading.Event | None = None

    def open(self) -> ActorRecord | None:
        """Take the lease; the stored record (``None`` for a new actor). `LeaseError` when another
        process owns the actor; `SnapshotError` when the record no longer restores (the lease is
        given back then).

        >>> import os, tempfile
        >>> from statecharts import Machine
        >>> from statecharts.store import SqliteStore
        >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "j.db"))
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> Journal(store, m, "x").open(), Journal(store, m, "y").open()
        (None, None)
        """
        head = self.store.open(self.actor_id, self.machine.id, self.owner, self.lease_ttl)
        self._open = True
        self.seq, self.released = head.seq, head.released
        if head.record is None:
            return None
        try:
            return ActorRecord.from_json(self.machine, head.record)
        except SnapshotError as exc:
            self.close()
            raise SnapshotError(f"actor {self.actor_id!r}: {exc}") from exc

    def unreleased(self) -> Snapshot | None:
        """The last committed step recomputed by the pure core when its effects may not all have
        run (the process stopped between commit and release): its ``effects`` and sends without
        delay are to run again (at least once). ``None`` when all ran.

        >>> import os, tempfile
        >>> from statecharts import Event, Machine, log
        >>> from statecharts.record import ActorRecord
        >>> from statecharts.store import SqliteStore
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"entry": log("hi")}}})
        >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "j.db"))
        >>> first = Journal(store, m, "m-1")
        >>> _ = first.open(); s0 = m.initial_state()
        >>> _ = first.commit(Event("xstate.init"), ActorRecord(s0))
        >>> _ = first.commit(Event("GO"), ActorRecord(m.transition(s0, "GO")))  # then the process dies
        >>> store.release("m-1", first.owner, released=0)  # (its lease expires)
        >>> second = Journal(store, m, "m-1")
        >>> _ = second.open()
        >>> second.unreleased().effects
        (Effect('log', event='GO'),)
        """
        if self.released >= self.seq or self.seq < 0:
            return None
        lines = self.lines(since=max(self.seq - 1, 0))
        previous = restore(self.machine, lines[0]["snapshot"]) if self.seq > 0 else None
        return step(self.machine, previous, lines[-1])

    def commit(
        self,
        event: Event,
        record: ActorRecord,
        *,
        delivered: Sequence[int] = (),
        key: str | None = None,
        actor: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> int:
        """Commit one macrostep: the log line for ``event`` and the actor's new ``record``, in one
        transaction; the effects of every earlier step count as run. Returns the step's number.
        `LeaseError` (nothing committed) when this process no longer owns the actor.

        A step of a child actor (the asyncio runtime) names it in ``actor`` and its ``snapshot``;
        ``record`` is still the whole tree's, from the root."""
        if not self._open:
            raise LeaseError(f"actor {self.actor_id!r}: the journal is not open")
        seq = self.seq + 1
        line = {
            "seq": seq,
            "actor": actor or self.actor_id,
            "event": event_to_json(event),
            "delivered": list(delivered),
            "key": key,
            "snapshot": (snapshot if snapshot is not None else record.snapshot).to_json(),
        }
        self.store.commit(
            self.actor_id,
            self.owner,
            Commit(seq, json.dumps(line, sort_keys=True), record.dumps(), key, self.seq),
            self.lease_ttl,
        )
        self.seq = seq
        self.released = seq - 1
        return seq

    def stored_result(self, key: str) -> Snapshot | None:
        """The snapshot committed with the event that carried idempotency ``key`` (``None``: new key)."""
        line = self.store.find_key(self.actor_id, key)
        return None if line is None else restore(self.machine, json.loads(line)["snapshot"])

    def lines(self, since: int = 0) -> list[dict[str, Any]]:
        """The actor's event log as dicts, from ``since`` on."""
        return [json.loads(text) for text in self.store.lines(self.actor_id, since)]

    def renew(self) -> None:
        """Extend the lease by ``lease_ttl``; `LeaseError` when it was lost."""
        self.store.renew(self.actor_id, self.owner, self.lease_ttl)

    def keep_alive(self) -> None:
        """Renew the lease every third of its time on a daemon thread until `close` (once per journal)."""
        if self._heartbeat is not None:
            return
        stop = self._heartbeat = threading.Event()

        def beat() -> None:
            while not stop.wait(self.lease_ttl / 3):
                try:
                    self.renew()
                except LeaseError:
                    return
                except Exception:  # noqa: BLE001 - a failed renewal shows at the next commit
                    continue

        threading.Thread(target=beat, name=f"lease-{self.actor_id}", daemon=True).start()

    def close(self) -> None:
        """Give the lease up: every committed step's effects have run."""
        if self._heartbeat is not None:
            self._heartbeat.set()
        if self._open:
            self._open = False
            self.store.release(self.actor_id, self.owner, self.seq)
            self.released = self.seq


def step(machine: Machine, previous: Snapshot | None, line: Mapping[str, Any], *, child: bool = False) -> Snapshot:
    """The macrostep a log line records, by the pure core: the previous line's snapshot without
    the delayed sends ``delivered`` names, then `Machine.transition` with the line's event (for
    ``seq`` 0, the initial state with the event's context). Sends without delay are still in its
    ``pending`` (the stored snapshot has them delivered: see `settled`).

    >>> from statecharts import Machine, send
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b",
    ...     "actions": send("HI")}}}, "b": {}}})
    >>> after = step(m, m.initial_state(), {"seq": 1, "event": {"type": "GO"}, "delivered": []})
    >>> after.value, len(after.pending), len(settled(after).pending)
    ('b', 1, 0)
    """
    event = event_from_json(line["event"])
    if previous is None and child:  # a child actor's start: its input
        return machine.initial_state(input=event.data.get("input") if isinstance(event.data, Mapping) else None)
    if previous is None:
        return machine.initial_state(dict(event.data) if isinstance(event.data, Mapping) else None)
    gone = set(line.get("delivered") or ())
    if gone:
        previous = without_at(previous, gone)
    return machine.transition(previous, event)


def replay(
    machine: Machine, lines: Iterable[Mapping[str, Any]], children: Mapping[str, Machine] | None = None
) -> Snapshot:
    """Run a stored event log through the pure core, checking each line's snapshot; the root
    actor's last one (`replay_actors` has every actor's). A line that does not follow is a
    `SnapshotError` naming its ``seq``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> good = [{"seq": 0, "event": {"type": "xstate.init"}, "snapshot": m.initial_state().to_json()}]
    >>> replay(m, good).value
    'a'
    >>> bad = good + [{"seq": 1, "event": {"type": "GO"}, "snapshot": m.initial_state().to_json()}]
    >>> replay(m, bad)
    Traceback (most recent call last):
        ...
    statecharts.errors.SnapshotError: event log line seq 1 (GO): the stored snapshot 'a' is not what replay gives, 'b'
    """
    lines = list(lines)
    if not lines:
        raise SnapshotError("event log: no lines to replay")
    return replay_actors(machine, lines, children)[lines[0].get("actor")]


def replay_actors(
    machine: Machine, lines: Iterable[Mapping[str, Any]], children: Mapping[str, Machine] | None = None
) -> dict[Any, Snapshot]:
    """`replay` for an actor tree's log: each actor's lines through its machine (``machine`` for
    the root, the actor of line 0; ``children[actor id]`` for the others); every actor's last
    snapshot, by actor id. A line of an actor without a machine is a `SnapshotError` naming it.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> log = [{"seq": 0, "actor": "r", "event": {"type": "xstate.init"}, "snapshot": m.initial_state().to_json()},
    ...        {"seq": 1, "actor": "kid", "event": {"type": "xstate.init", "data": {"input": None}},
    ...         "snapshot": m.initial_state().to_json()}]
    >>> {k: s.value for k, s in replay_actors(m, log, {"kid": m}).items()}
    {'r': 'a', 'kid': 'a'}
    >>> replay_actors(m, log)
    Traceback (most recent call last):
        ...
    statecharts.errors.SnapshotError: event log line seq 1: actor 'kid' has no machine to replay it with (children=)
    """
    current: dict[Any, Snapshot] = {}
    root: Any = None
    expected_seq = 0
    for line in lines:
        if line["seq"] != expected_seq:
            raise SnapshotError(f"event log: line seq {line['seq']} where seq {expected_seq} was expected")
        actor = line.get("actor")
        if expected_seq == 0:
            root = actor
        if actor == root:
            actor_machine = machine
        elif children is not None and isinstance(actor, str) and actor in children:
            actor_machine = children[actor]
        else:
            raise SnapshotError(
                f"event log line seq {line['seq']}: actor {actor!r} has no machine to replay it with (children=)"
            )
        child = actor != root
        previous = None if child and line["event"]["type"] == INIT else current.get(actor)  # a (re)started child
        replayed = settled(step(actor_machine, previous, line, child=child))
        stored = restore(actor_machine, line["snapshot"])
        if stored != replayed:
            raise SnapshotError(
                f"event log line seq {line['seq']} ({line['event']['type']}): the stored snapshot "
                f"{stored.value!r} is not what replay gives, {replayed.value!r}"
                + ("" if actor == root else f" (actor {actor!r})")
                + (
                    ""
                    if stored.value != replayed.value
                    else f" (context {dict(stored.context)!r} vs {dict(replayed.context)!r})"
                )
            )
        current[actor] = stored
        expected_seq += 1
    if not current:
        raise SnapshotError("event log: no lines to replay")
    return current
