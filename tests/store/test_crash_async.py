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

from pathlib import Path

import pytest

from statecharts.record import ActorRecord
from statecharts.store import Journal, open_store, replay_actors
from tests.store.crash_driver_async import serve, tree_machine, worker_machine
from tests.store.crashing import KILLS, NEW_PER_ROUND, kill_again_and_again


@pytest.mark.slow
def test_sigkill_of_an_asyncio_actor_tree_loses_nothing_and_applies_nothing_twice(store_url, tmp_path):
    effects = str(tmp_path / "effects.txt")
    preload = ["statecharts.store", "statecharts.store.actor", "tests.store.crash_driver_async"]
    crashes = kill_again_and_again(serve, preload, store_url, effects, seed=20261207)
    sent, acked, kills, mid_stream = crashes.sent, crashes.acked, crashes.kills, crashes.mid_stream

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
