"""The crash test of the asyncio path: a process driving a durable asyncio actor tree (a parent and
its invoked child, timers on the real clock) is SIGKILLed at random moments, again and again.

As tests/store/test_crash.py for the threaded path: each round starts the driver
(tests/store/crash_driver_async.py), resends every event not yet acknowledged (same idempotency
keys), sends new ones and kills the driver at a random moment. At the end the stored event log
(the parent's and the child's steps) replays through the pure core to the stored snapshots of
both actors; every acknowledged event was applied exactly once, in order, and so was every send
between the two actors (the outbox: a send leaves once its step is committed; one not released
before a kill is sent again on restart); every applied event's effects ran at least once.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import random
import time
from pathlib import Path

import pytest

from statecharts.record import ActorRecord
from statecharts.store import Journal, open_store, replay_actors
from tests.store.crash_driver_async import serve, tree_machine, worker_machine

KILLS = 100
NEW_PER_ROUND = 6
DEADLINE_S = 100.0  # the bound under load (a run takes about 30 s on SQLite, 45 s on PostgreSQL)


@pytest.mark.slow
def test_sigkill_of_an_asyncio_actor_tree_loses_nothing_and_applies_nothing_twice(store_url, tmp_path):
    ctx = multiprocessing.get_context("forkserver")
    preload = ["statecharts.store", "statecharts.store.actor", "tests.store.crash_driver_async"]
    ctx.set_forkserver_preload(preload + (["psycopg"] if importlib.util.find_spec("psycopg") else []))
    rng = random.Random(20261207)
    effects = str(tmp_path / "effects.txt")
    sent: list[int] = []
    acked: set[int] = set()
    kills = mid_stream = 0
    started = time.monotonic()

    def round_trip(kill_after: float | None) -> bool:
        """One driver process: resend the unacknowledged, send new events, kill it (or let it finish)."""
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=serve, args=(theirs, store_url, "crashy", effects), daemon=True)
        proc.start()
        theirs.close()
        streaming = False
        try:
            if kill_after is not None and rng.random() < 0.15:  # some kills land in start/restore
                time.sleep(rng.uniform(0, 0.02))
            else:
                assert mine.poll(30) and mine.recv() == "ready", "the driver did not start"
                unacked = [i for i in sent if i not in acked]
                fresh = list(range(len(sent), len(sent) + NEW_PER_ROUND))
                sent.extend(fresh)
                for i in unacked + fresh:
                    mine.send(i)
                streaming = True
                if kill_after is None:
                    mine.send("quit")
                    while (message := mine.recv()) != "bye":
                        acked.add(message)
                    return True
                end = time.monotonic() + kill_after
                while (left := end - time.monotonic()) > 0 and mine.poll(left):
                    acked.add(mine.recv())
            proc.kill()
            proc.join(10)
            while mine.poll(0):  # acknowledgements written before the kill
                try:
                    message = mine.recv()
                except (EOFError, OSError):
                    break
                if isinstance(message, int):
                    acked.add(message)
            return streaming
        finally:
            if proc.is_alive():
                proc.kill()
                proc.join(10)
            mine.close()

    while kills < KILLS:
        assert time.monotonic() - started < DEADLINE_S, f"only {kills} kills in {DEADLINE_S} s"
        mid_stream += round_trip(kill_after=rng.uniform(0, 0.03))
        kills += 1
    round_trip(kill_after=None)

    tree, worker = tree_machine(), worker_machine()
    everything = tuple(range(len(sent)))
    assert acked == set(sent) and len(sent) == (mid_stream + 1) * NEW_PER_ROUND
    store = open_store(store_url)
    lines = Journal(store, tree, "crashy").lines()
    assert {line["actor"] for line in lines} == {"crashy", "w"}
    keyed = [line["key"] for line in lines if line["key"] is not None]
    assert keyed == [f"e{i}" for i in everything]  # each acknowledged event once, in order
    assert all(line["event"]["data"]["i"] == int(line["key"][1:]) for line in lines if line["key"])
    parent_runtime = {line["event"]["type"] for line in lines if line["actor"] == "crashy" and line["key"] is None}
    assert parent_runtime <= {"xstate.init", "TICK", "xstate.after.5.tree.on.busy", "DONE"}
    child_events = {line["event"]["type"] for line in lines if line["actor"] == "w"}
    assert child_events <= {"xstate.init", "JOB", "xstate.after.3.worker.working"}
    jobs = [line["event"]["data"]["i"] for line in lines if line["actor"] == "w" and line["event"]["type"] == "JOB"]
    assert tuple(jobs) == everything  # each send from parent to child delivered once, in order

    ((_, _, record_json),) = list(store.records())
    record = ActorRecord.from_json(tree, record_json)
    child = ActorRecord.from_json(worker, record.children["w"])
    replayed = replay_actors(tree, lines, {"w": worker})  # the log replays through the pure core ...
    assert replayed["crashy"] == record.snapshot and replayed["w"] == child.snapshot  # ... to the stored tree
    final = record.snapshot
    assert final.context["seen"] == everything and final.value == {"on": "idle"}
    assert child.snapshot.context["done"] == everything and child.snapshot.value == "resting"
    assert final.context["done"] == everything  # each DONE from the child once, in order
    assert final.context["ticks"] > 0
    for actor in ("crashy", "w"):  # both actors' timers fired and were logged
        assert any(line["delivered"] for line in lines if line["actor"] == actor)
    ran = {(who, int(i)) for who, i in (text.split() for text in Path(effects).read_text().splitlines())}
    assert ran == {(who, i) for who in "pc" for i in everything}  # every applied step's effects ran
    assert kills >= KILLS and mid_stream >= KILLS // 2
