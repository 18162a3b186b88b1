"""Store fixtures: a SQLite file per test, one throwaway PostgreSQL cluster per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.store.postgres_cluster import throwaway_cluster, why_not


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """The DSN of a PostgreSQL cluster started for this session (skips with how to install it)."""
    reason = why_not()
    if reason is not None:
        pytest.skip(reason)
    with throwaway_cluster() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A store URL of each kind; the PostgreSQL one gets a fresh schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'actors.db'}"
    dsn = request.getfixturevalue("postgres_dsn")
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"  # a schema per test: as isolated as a database, and cheaper
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {name}")
    return f"{dsn}?options=-csearch_path%3D{name}"


@pytest.fixture(autouse=True)
def close_stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every store a test opened and left open (a PostgreSQL connection left to the garbage
    collector warns "deleted while still open")."""
    from statecharts.store.postgres import PostgresStore
    from statecharts.store.sqlite import SqliteStore

    opened: list[PostgresStore | SqliteStore] = []
    for kind in (PostgresStore, SqliteStore):
        init = kind.__init__

        def remembering(self, *args, __init=init, **kwargs) -> None:  # type: ignore[no-untyped-def]
            __init(self, *args, **kwargs)
            opened.append(self)

        monkeypatch.setattr(kind, "__init__", remembering)
    yield
    for store in opened:
        try:
            store.close()
        except Exception:  # noqa: BLE001 - closed already, or its server is gone: nothing to release
            pass
