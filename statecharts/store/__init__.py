"""Durable actors: a `Store` keeps each actor's record and event log; nothing committed is lost.

``machine.interpret(store=store, id="order-42")`` loads the actor when the id exists, else starts
it (`DurableInterpreter`). After every macrostep one transaction commits the actor's record
(`statecharts.record.ActorRecord`: snapshot, timers' due times, running invocations, mailbox,
children) and the event's line in its append-only log; only then are the step's effects released
(at least once), and an event sent with an idempotency key is applied at most once.

Stores: `SqliteStore(path)` (the standard library's sqlite3, WAL; the embedded default) and
`PostgresStore(dsn)` (psycopg 3; for services on several hosts); `open_store(url)` takes
``sqlite:///path`` or ``postgresql://...``. One owner per actor: a lease with an expiry
(`LeaseError` for a second process).

The event log (`Journal.lines`, one JSON object per line) is
``{"seq", "actor", "event": {"type", "data"}, "delivered", "key", "snapshot"}``; the inspection
records of the asyncio runtime (``statecharts.runtime``) share its ``seq``/``actor``/``event``/
``snapshot`` keys, so one reader serves both. `replay` checks a log against the pure core.

For a runtime (the threaded interpreter here; the asyncio actor calls the same four things)::

    journal = Journal(store, machine, actor_id)   # per actor
    record = journal.open()                       # lease taken; ActorRecord or None (new)
    again = journal.unreleased()                  # a step whose effects may not have run: run them
    ...after each macrostep, before running its effects:
    journal.commit(event, ActorRecord(snapshot, timers, invocations, mailbox, children),
                   delivered=fired_timer_indices, key=idempotency_key)
    journal.stored_result(key)                    # a repeated idempotency key: the stored snapshot
    journal.close()                               # lease given back

>>> import os, tempfile
>>> from statecharts import Machine
>>> m = Machine({"id": "light", "initial": "red", "states": {"red": {"on": {"GO": "green"}}, "green": {}}})
>>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "lights.db")
>>> with m.interpret(store=open_store(url), id="corner") as light:
...     light.send("GO").value
'green'
>>> [line["event"]["type"] for line in Journal(open_store(url), m, "corner").lines()]
['xstate.init', 'GO']
"""

from __future__ import annotations

import os

from statecharts.errors import ConfigError
from statecharts.store.base import Commit, Head, LeaseError, SqlStore, Store
from statecharts.store.durable import DurableInterpreter
from statecharts.store.journal import Journal, replay, replay_actors
from statecharts.store.postgres import PostgresStore
from statecharts.store.sqlite import SqliteStore


def open_store(url: str, *, existing: bool = False) -> SqliteStore | PostgresStore:
    """A store from a URL: ``sqlite:///relative/or//absolute/path`` or ``postgresql://...``; with
    ``existing``, a SQLite file that is not there is an error rather than a new, empty store (for
    readers, where a misspelt path would otherwise read as "no actors").

    >>> open_store("mysql://x")
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: store: URL 'mysql://x': use sqlite:///PATH or postgresql://USER@HOST:PORT/DB
    >>> open_store("sqlite:///no/such/file.db", existing=True)
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: store: URL 'sqlite:///no/such/file.db': no such file 'no/such/file.db'
    """
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if existing and not os.path.isfile(path):
            raise ConfigError(f"URL {url!r}: no such file {path!r}", key="store")
        return SqliteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    raise ConfigError(f"URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB", key="store")


__all__ = [
    "Commit",
    "DurableInterpreter",
    "Head",
    "Journal",
    "LeaseError",
    "PostgresStore",
    "SqlStore",
    "SqliteStore",
    "Store",
    "open_store",
    "replay",
    "replay_actors",
]
