"""Durable actors: steps per second with each store, restore time per actor, 100,000 actors in one file.

- **steps/s**: ``actor.send(event)`` on the cycle machine (a -> b -> c -> a) with every macrostep
  committed (record + event log line, one transaction), for SqliteStore with ``synchronous=FULL``
  (fsync on every commit: the default), SqliteStore ``synchronous=NORMAL`` (WAL: survives a process
  crash, not a power cut), and PostgresStore on a throwaway local cluster (fsync and
  synchronous_commit on, the server defaults); the in-memory interpreter in the same run is the
  yardstick.
- **steps/s, asyncio**: the same through ``await actor.send(event)`` on ``interpret_async(store=...)``
  (the asyncio durable actor commits the whole actor tree and the log line before it releases effects).
- **restore**: opening an existing actor (lease, record, restore, start) and stopping it, per actor.
- **100,000 actors in one SQLite file**: created through the real path (open, first commit,
  release; ``synchronous=NORMAL`` to keep the run short, the per-commit fsync cost is the first
  table's), then the file's size, the time to list the ids and to load and restore every record.

    python3 benchmarks/bench_store.py [--steps 2000] [--restores 300] [--actors 100000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statecharts import Event, Machine, VirtualClock  # noqa: E402
from statecharts.record import ActorRecord  # noqa: E402
from statecharts.store import Journal, PostgresStore, SqliteStore, Store  # noqa: E402
from statecharts.store.base import SqlStore  # noqa: E402

CYCLE = Machine(
    {
        "id": "cycle",
        "context": {"n": 0},
        "initial": "a",
        "states": {"a": {"on": {"NEXT": "b"}}, "b": {"on": {"NEXT": "c"}}, "c": {"on": {"NEXT": "a"}}},
    }
)


def steps_per_second(store: Store | None, steps: int) -> float:
    """``send`` rate through a (durable) actor; ``store=None`` is the in-memory interpreter."""
    options = {"store": store, "id": "bench-steps"} if store is not None else {}
    actor = CYCLE.interpret(clock=VirtualClock(), **options).start()
    started = time.perf_counter()
    for _ in range(steps):
        actor.send("NEXT")
    elapsed = time.perf_counter() - started
    actor.stop()
    return steps / elapsed


def async_steps_per_second(store: Store | None, steps: int) -> float:
    """``await actor.send(event)`` rate through an asyncio actor (`Machine.interpret_async`), durable
    with ``store``: each step's commit runs before its send returns, as the threaded path's does."""

    async def run() -> float:
        options = {"store": store, "id": "bench-async-steps"} if store is not None else {}
        async with CYCLE.interpret_async(clock=VirtualClock(), **options) as actor:
            started = time.perf_counter()
            for _ in range(steps):
                await actor.send("NEXT")
            return steps / (time.perf_counter() - started)

    return asyncio.run(run())


def restore_ms(store: Store, count: int) -> float:
    """Milliseconds to open an existing actor (lease, load, restore, start) and stop it again."""
    for i in range(count):
        with CYCLE.interpret(store=store, id=f"bench-restore-{i}", clock=VirtualClock()) as actor:
            actor.send("NEXT")
    started = time.perf_counter()
    for i in range(count):
        actor = CYCLE.interpret(store=store, id=f"bench-restore-{i}", clock=VirtualClock()).start()
        assert actor.state.value == "b"
        actor.stop()
    return (time.perf_counter() - started) / count * 1000


def many_actors(path: str, count: int) -> dict[str, float]:
    """Create ``count`` actors in one SQLite file through the durable path, then list and load them."""
    store = SqliteStore(path, synchronous="NORMAL")
    s0 = CYCLE.initial_state()
    init = Event("xstate.init")
    started = time.perf_counter()
    for i in range(count):
        journal = Journal(store, CYCLE, f"actor-{i:06d}")
        journal.open()
        journal.commit(init, ActorRecord(s0))
        journal.close()
    created = time.perf_counter() - started
    store.close()
    size = os.path.getsize(path) + sum(
        os.path.getsize(path + ext) for ext in ("-wal", "-shm") if os.path.exists(path + ext)
    )
    store = SqliteStore(path)
    started = time.perf_counter()
    ids = store.actor_ids()
    listed = time.perf_counter() - started
    started = time.perf_counter()
    loaded = [ActorRecord.from_json(CYCLE, text) for _, _, text in store.records()]
    load = time.perf_counter() - started
    assert len(ids) == len(loaded) == count and all(r.snapshot == s0 for r in loaded)
    store.close()
    return {"create_s": created, "size_mb": size / 1e6, "list_s": listed, "load_s": load}


@contextmanager
def postgres() -> Iterator[str | None]:
    try:
        from tests.store.postgres_cluster import throwaway_cluster, why_not
    except ImportError as exc:
        print(f"note: PostgreSQL skipped ({exc})")
        yield None
        return
    reason = why_not()
    if reason is not None:
        print(f"note: PostgreSQL skipped: {reason}")
        yield None
        return
    with throwaway_cluster() as dsn:
        yield dsn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--restores", type=int, default=300)
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-store-")
    memory = steps_per_second(None, args.steps * 10)
    async_memory = async_steps_per_second(None, args.steps * 10)
    rows: list[tuple[str, float, float, float | None]] = [
        ("in-memory interpreter (no store)", memory, async_memory, None)
    ]
    stores: list[tuple[str, Callable[[], SqlStore]]] = [
        ("SqliteStore, synchronous=FULL (fsync each commit)", lambda: SqliteStore(os.path.join(tmp, "full.db"))),
        ("SqliteStore, synchronous=NORMAL", lambda: SqliteStore(os.path.join(tmp, "normal.db"), synchronous="NORMAL")),
    ]
    with nullcontext(None) if args.no_postgres else postgres() as dsn:
        if dsn is not None:
            stores.append(("PostgresStore (local cluster, fsync on)", lambda: PostgresStore(dsn)))
        for name, make in stores:
            store = make()
            rate = steps_per_second(store, args.steps)
            rows.append((name, rate, async_steps_per_second(store, args.steps), restore_ms(store, args.restores)))
            store.close()
    print(f"steps: {args.steps} sends per store ({args.steps * 10} in memory); restores: {args.restores} actors")
    print(
        "| store | steps/s (threaded `send`) | vs in-memory | steps/s (`await actor.send`) | vs in-memory "
        "| restore ms/actor |\n|---|---:|---:|---:|---:|---:|"
    )
    for name, rate, async_rate, restore in rows:
        print(
            f"| {name} | {rate:,.0f} | {rate / memory:.4f}x | {async_rate:,.0f} | {async_rate / async_memory:.4f}x "
            f"| {'' if restore is None else f'{restore:.2f}'} |"
        )
    if args.actors:
        figures = many_actors(os.path.join(tmp, "many.db"), args.actors)
        print(
            f"\n{args.actors:,} actors in one SQLite file: created in {figures['create_s']:.1f} s "
            f"({args.actors / figures['create_s']:,.0f} actors/s), {figures['size_mb']:.1f} MB, "
            f"listed in {figures['list_s']:.3f} s, all loaded and restored in {figures['load_s']:.2f} s "
            f"({figures['load_s'] / args.actors * 1e6:.0f} us/actor)"
        )


if __name__ == "__main__":
    main()
