"""`ViolationLog`: the service's invariant violations and halted actors, kept in the store's database.

A violation is the record `Service` makes when a snapshot breaks an invariant (the actor, the
step's ``seq``, the invariant, the snapshot and the actor's events up to that step) and whether it
halted the actor. They live in the table ``serve_violations`` of the actors' own database, one row
per (actor, seq, invariant), so a restarted service lists and counts them again and a halted actor
stays halted. Recording the same violation twice (a reopened actor's snapshot is verified again)
keeps one row.

>>> import os, tempfile
>>> from statecharts.store import SqliteStore
>>> path = os.path.join(tempfile.mkdtemp(), "v.db")
>>> log = ViolationLog(SqliteStore(path))
>>> v = {"actor": "c1", "invariant": "below limit", "seq": 3, "events": []}
>>> log.add(v, halted=False), log.add(v, halted=True), log.add(v, halted=True)
(True, False, False)
>>> [(v["actor"], v["seq"], v["halted"]) for v in ViolationLog(SqliteStore(path)).load()]
[('c1', 3, True)]
"""

from __future__ import annotations

import json
import time
from typing import Any

from statecharts.errors import ConfigError
from statecharts.store.base import SqlStore, Store

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS serve_violations (actor TEXT NOT NULL, seq BIGINT NOT NULL, "
    "invariant TEXT NOT NULL, halted INTEGER NOT NULL, violation TEXT NOT NULL, "
    "recorded DOUBLE PRECISION NOT NULL, PRIMARY KEY (actor, seq, invariant))"
)


class ViolationLog:
    """The violations of the actors in ``store`` (a SQL store: SQLite or PostgreSQL)."""

    def __init__(self, store: Store) -> None:
        if not isinstance(store, SqlStore):
            raise ConfigError(
                f"the service keeps its violations in a SQL store (SqliteStore, PostgresStore), "
                f"not {type(store).__name__}",
                key="store",
            )
        self.store = store
        with store.transaction() as cur:
            cur.execute(SCHEMA)

    def _q(self, sql: str) -> str:
        return sql.replace("?", self.store.placeholder)

    def add(self, violation: dict[str, Any], *, halted: bool) -> bool:
        """Keep ``violation`` (``actor``, ``seq``, ``invariant`` name it); ``True`` when it is new.
        A violation kept before is marked halted when ``halted`` (never un-halted)."""
        key = (violation["actor"], violation["seq"], violation["invariant"])
        with self.store.transaction() as cur:
            cur.execute(
                self._q(
                    "INSERT INTO serve_violations (actor, seq, invariant, halted, violation, recorded) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (actor, seq, invariant) DO NOTHING"
                ),
                (*key, int(halted), json.dumps({**violation, "halted": halted}), time.time()),
            )
            new = bool(cur.rowcount == 1)
            if not new and halted:
                cur.execute(
                    self._q("UPDATE serve_violations SET halted = 1 WHERE actor = ? AND seq = ? AND invariant = ?"), key
                )
        return new

    def load(self) -> list[dict[str, Any]]:
        """Every kept violation, in the order they were recorded, each with its ``halted`` flag."""
        with self.store.transaction(write=False) as cur:
            cur.execute("SELECT violation, halted FROM serve_violations ORDER BY recorded, actor, seq, invariant")
            rows = cur.fetchall()
        return [{**json.loads(str(text)), "halted": bool(halted)} for text, halted in rows]
