"""`SqliteStore`: the embedded default, one file, the standard library's sqlite3 in WAL mode."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator

from statecharts.store.base import SqlStore

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS actors (id TEXT PRIMARY KEY, machine TEXT NOT NULL, seq INTEGER NOT NULL, "
    "released INTEGER NOT NULL, record TEXT, owner TEXT, lease_until REAL NOT NULL, updated REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (actor TEXT NOT NULL, seq INTEGER NOT NULL, idem TEXT, line TEXT NOT NULL, "
    "PRIMARY KEY (actor, seq))",
    "CREATE UNIQUE INDEX IF NOT EXISTS events_idem ON events (actor, idem) WHERE idem IS NOT NULL",
)


class SqliteStore(SqlStore):
    """Actors in one SQLite file (WAL journal; ``synchronous=FULL`` by default, so every commit is
    on disk before it returns: pass ``synchronous="NORMAL"`` to trade that for speed).

    >>> import tempfile
    >>> from statecharts import Machine
    >>> m = Machine({"id": "order", "context": {"n": 0}, "initial": "open", "states": {"open": {"on": {
    ...     "PAY": "paid"}}, "paid": {}}})
    >>> path = os.path.join(tempfile.mkdtemp(), "actors.db")
    >>> with m.interpret(store=SqliteStore(path), id="order-42") as actor:
    ...     actor.send("PAY").value
    'paid'
    >>> with m.interpret(store=SqliteStore(path), id="order-42") as again:  # loaded, not started anew
    ...     again.state.value
    'paid'
    """

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "FULL", timeout: float = 30.0) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=timeout)
        _enable_wal(self._db, self.path, timeout)
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        with self.transaction() as cur:
            for statement in SCHEMA:
                cur.execute(statement)

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Cursor]:
        """A cursor in one ``BEGIN IMMEDIATE`` transaction (one writer at a time across processes);
        ``write=False``: a deferred one that only reads (in WAL mode it never waits for a writer).

        >>> import tempfile
        >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "a.db"))
        >>> with store.transaction(write=False) as cur:
        ...     _ = cur.execute("SELECT count(*) FROM actors")
        ...     cur.fetchone()
        (0,)
        """
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def close(self) -> None:
        """Close the file.

        >>> import tempfile
        >>> SqliteStore(os.path.join(tempfile.mkdtemp(), "a.db")).close()
        """
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"


def _enable_wal(db: sqlite3.Connection, path: str, timeout: float) -> None:
    """Put the file in WAL mode, retrying while another process holds it: switching the journal mode
    of a new file does not wait on SQLite's busy timeout, so processes opening one file at once
    would otherwise fail with "database is locked". After ``timeout`` seconds the error stands,
    naming the file."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise sqlite3.OperationalError(f"{path}: cannot switch to WAL mode: {exc}") from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
