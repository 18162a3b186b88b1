"""`PostgresStore`: actors in PostgreSQL, for services that run on several hosts (psycopg 3)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from statecharts.errors import ConfigError
from statecharts.store.base import SqlStore

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS actors (id TEXT PRIMARY KEY, machine TEXT NOT NULL, seq BIGINT NOT NULL, "
    "released BIGINT NOT NULL, record TEXT, owner TEXT, lease_until DOUBLE PRECISION NOT NULL, "
    "updated DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (actor TEXT NOT NULL, seq BIGINT NOT NULL, idem TEXT, line TEXT NOT NULL, "
    "PRIMARY KEY (actor, seq))",
    "CREATE UNIQUE INDEX IF NOT EXISTS events_idem ON events (actor, idem) WHERE idem IS NOT NULL",
)
SCHEMA_LOCK = 0x5174_6563  # an advisory lock: two processes creating the tables at once do not collide


class PostgresStore(SqlStore):
    """Actors in a PostgreSQL database named by a libpq ``dsn`` (``postgresql://user@host:port/db``).

    The same tables and statements as `SqliteStore`; a lease taker locks the actor's row
    (``SELECT ... FOR UPDATE``), so two hosts never both own an actor. Needs ``psycopg`` (the
    ``postgres`` extra: ``pip install 'statecharts[postgres]'``).

    >>> PostgresStore.__mro__[1].__name__
    'SqlStore'
    """

    placeholder = "%s"
    lock_row = "FOR UPDATE"

    def __init__(self, dsn: str, *, connect_timeout: float = 10.0) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError as exc:
            raise ConfigError(
                "PostgresStore needs psycopg 3: pip install 'psycopg[binary]' (or the statecharts[postgres] extra)",
                key="store",
            ) from exc
        self.dsn = dsn
        self._db: Any = psycopg.connect(dsn, autocommit=True, connect_timeout=int(connect_timeout))
        with self.transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in SCHEMA:
                cur.execute(statement)

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Any]:
        """A cursor inside one transaction (``with connection.transaction()``; reads and writes alike)."""
        with self._lock, self._db.transaction(), self._db.cursor() as cur:
            yield cur

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.dsn!r})"
