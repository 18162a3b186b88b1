"""The `Store` protocol and the SQL both stores share: actors (head record + lease) and the event log."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from statecharts.errors import SnapshotError, StatechartError


class LeaseError(StatechartError):
    """Another process owns the actor (its lease has not expired), or this one lost its lease.

    >>> raise LeaseError("actor 'order-42' is owned by host:123:ab until ...")
    Traceback (most recent call last):
    statecharts.store.base.LeaseError: actor 'order-42' is owned by host:123:ab until ...
    """


@dataclass(frozen=True)
class Head:
    """What `Store.open` finds for an actor: its machine, last committed sequence number, the
    number up to which the steps' effects are known to have run, and its record (JSON text;
    ``None`` for an actor that has committed nothing yet).

    >>> Head("order", -1, -1, None).new
    True
    """

    machine: str
    seq: int
    released: int
    record: str | None

    @property
    def new(self) -> bool:
        """Nothing committed yet: the actor starts from its initial state.

        >>> Head("order", 3, 3, "{}").new
        False
        """
        return self.record is None


@dataclass(frozen=True)
class Commit:
    """One macrostep to commit atomically: the event log line (JSON text) and the actor's new
    record (JSON text) under sequence number ``seq``, with the idempotency key the event carried
    and ``released``: the last step whose effects have run.

    >>> Commit(0, "{}", "{}", None, -1).seq
    0
    """

    seq: int
    line: str
    record: str
    key: str | None
    released: int


class Store(Protocol):
    """Where durable actors live: per actor a head record (its `ActorRecord`, sequence number and
    lease) and an append-only event log. Every method is safe to call from several threads.

    >>> import tempfile, os
    >>> from statecharts.store import SqliteStore
    >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "a.db"))
    >>> head = store.open("order-42", "order", "me", ttl=30)
    >>> head.new, store.actor_ids()
    (True, ['order-42'])
    >>> store.open("order-42", "order", "you", ttl=30)
    Traceback (most recent call last):
        ...
    statecharts.store.base.LeaseError: actor 'order-42' is owned by me for 30.0 s more (its lease); ...
    """

    def open(self, actor_id: str, machine_id: str, owner: str, ttl: float) -> Head:
        """Take the actor's lease for ``ttl`` seconds (creating the actor when new); `LeaseError`
        when another owner holds it, `SnapshotError` when the id belongs to another machine."""
        ...

    def commit(self, actor_id: str, owner: str, commit: Commit, ttl: float) -> None:
        """In one transaction: append the log line, replace the record, renew the lease.
        `LeaseError` when ``owner`` no longer holds the lease or another step took ``seq``."""
        ...

    def renew(self, actor_id: str, owner: str, ttl: float) -> None:
        """Extend the lease; `LeaseError` when ``owner`` lost it."""
        ...

    def release(self, actor_id: str, owner: str, released: int) -> None:
        """Give the lease up (a clean stop): every committed step's effects have run."""
        ...

    def find_key(self, actor_id: str, key: str) -> str | None:
        """The log line (JSON text) of the event that carried idempotency ``key``, if any."""
        ...

    def lines(self, actor_id: str, since: int = 0) -> list[str]:
        """The actor's event log lines (JSON text) from sequence number ``since`` on, in order."""
        ...

    def records(self) -> Iterator[tuple[str, str, str]]:
        """Every actor that has committed a step: ``(actor id, machine id, record JSON)``, by id."""
        ...

    def actor_ids(self) -> list[str]:
        """Every actor id in the store, sorted."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


def new_owner() -> str:
    """A lease owner name: ``host:pid:random``; a lease whose owner process on this host is gone
    may be taken at once (a crashed process), other leases only once they expire. (Should the
    dead owner's pid have been reused by a live process meanwhile, the lease waits for its expiry.)

    >>> host, pid, token = new_owner().rsplit(":", 2)
    >>> int(pid) == os.getpid() and len(token) == 12
    True
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_gone(owner: str) -> bool:
    """The owner ran on this host and its process no longer exists.

    >>> owner_gone(new_owner()), owner_gone("elsewhere:1:abc")
    (False, False)
    """
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class SqlStore:
    """The SQL both stores run; a subclass gives the connection, its placeholder and its schema."""

    placeholder = "?"
    lock_row = ""  # "FOR UPDATE" where the database needs it to serialise lease takers
    schema: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # -- what a subclass provides ---------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Any]:
        """A cursor inside one transaction (committed on success, rolled back on an exception);
        ``write=False`` for one that only reads."""
        raise NotImplementedError
        yield

    def _q(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    # -- the protocol ------------------------------------------------------------------------
    def open(self, actor_id: str, machine_id: str, owner: str, ttl: float) -> Head:
        now = time.time()
        with self.transaction() as cur:
            cur.execute(
                self._q(
                    "INSERT INTO actors (id, machine, seq, released, record, owner, lease_until, updated) "
                    "VALUES (?, ?, -1, -1, NULL, NULL, 0, ?) ON CONFLICT (id) DO NOTHING"
                ),
                (actor_id, machine_id, now),
            )
            cur.execute(
                self._q(
                    f"SELECT machine, seq, released, record, owner, lease_until FROM actors WHERE id = ? "
                    f"{self.lock_row}"
                ),
                (actor_id,),
            )
            machine, seq, released, record, holder, until = cur.fetchone()
            if machine != machine_id:
                raise SnapshotError(f"actor {actor_id!r} in the store is a {machine!r} machine, not {machine_id!r}")
            if holder is not None and holder != owner and until > now and not owner_gone(holder):
                raise LeaseError(
                    f"actor {actor_id!r} is owned by {holder} for {until - now:.1f} s more (its lease); "
                    f"a second process cannot open it"
                )
            cur.execute(
                self._q("UPDATE actors SET owner = ?, lease_until = ? WHERE id = ?"), (owner, now + ttl, actor_id)
            )
        return Head(machine, int(seq), int(released), record)

    def commit(self, actor_id: str, owner: str, commit: Commit, ttl: float) -> None:
        now = time.time()
        with self.transaction() as cur:
            cur.execute(
                self._q(
                    "UPDATE actors SET seq = ?, released = ?, record = ?, lease_until = ?, updated = ? "
                    "WHERE id = ? AND owner = ? AND seq = ?"
                ),
                (commit.seq, commit.released, commit.record, now + ttl, now, actor_id, owner, commit.seq - 1),
            )
            if cur.rowcount != 1:
                raise LeaseError(self._lost(cur, actor_id, owner))
            cur.execute(
                self._q("INSERT INTO events (actor, seq, idem, line) VALUES (?, ?, ?, ?)"),
                (actor_id, commit.seq, commit.key, commit.line),
            )

    def renew(self, actor_id: str, owner: str, ttl: float) -> None:
        with self.transaction() as cur:
            cur.execute(
                self._q("UPDATE actors SET lease_until = ? WHERE id = ? AND owner = ?"),
                (time.time() + ttl, actor_id, owner),
            )
            if cur.rowcount != 1:
                raise LeaseError(self._lost(cur, actor_id, owner))

    def release(self, actor_id: str, owner: str, released: int) -> None:
        with self.transaction() as cur:
            cur.execute(
                self._q("UPDATE actors SET owner = NULL, lease_until = 0, released = ? WHERE id = ? AND owner = ?"),
                (released, actor_id, owner),
            )

    def _lost(self, cur: Any, actor_id: str, owner: str) -> str:
        cur.execute(self._q("SELECT owner, seq FROM actors WHERE id = ?"), (actor_id,))
        row = cur.fetchone()
        holder = row[0] if row else None
        return (
            f"actor {actor_id!r}: this process ({owner}) no longer owns it (lease lost"
            f"{'; now owned by ' + holder if holder and holder != owner else ''}); nothing was committed"
        )

    def find_key(self, actor_id: str, key: str) -> str | None:
        with self.transaction(write=False) as cur:
            cur.execute(self._q("SELECT line FROM events WHERE actor = ? AND idem = ?"), (actor_id, key))
            row = cur.fetchone()
        return None if row is None else str(row[0])

    def lines(self, actor_id: str, since: int = 0) -> list[str]:
        with self.transaction(write=False) as cur:
            cur.execute(self._q("SELECT line FROM events WHERE actor = ? AND seq >= ? ORDER BY seq"), (actor_id, since))
            return [str(r[0]) for r in cur.fetchall()]

    def records(self) -> Iterator[tuple[str, str, str]]:
        with self.transaction(write=False) as cur:
            cur.execute("SELECT id, machine, record FROM actors WHERE record IS NOT NULL ORDER BY id")
            rows = cur.fetchall()
        for actor_id, machine, record in rows:
            yield str(actor_id), str(machine), str(record)

    def actor_ids(self) -> list[str]:
        with self.transaction(write=False) as cur:
            cur.execute("SELECT id FROM actors ORDER BY id")
            return [str(r[0]) for r in cur.fetchall()]
