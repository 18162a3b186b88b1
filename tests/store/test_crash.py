"""The crash test: a process driving a durable actor is SIGKILLed at random moments, again and again.

Each round starts the driver (tests/store/crash_driver.py), resends every event not yet
acknowledged (same idempotency keys), sends new ones, and kills the driver with SIGKILL at a
random moment (during its start or restore in some rounds, mid-stream in most). At the end the
stored event log replays through the pure core to the stored final snapshot; every event was
applied exactly once, in order; every applied event's effect ran at least once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from statecharts.record import ActorRecord
from statecharts.store import Journal, open_store, replay
from tests.store.crash_driver import crash_machine, serve
from tests.store.crashing import KILLS, NEW_PER_ROUND, kill_again_and_again


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_and_applies_nothing_twice(store_url, tmp_path):
    effects = str(tmp_path / "effects.txt")
    preload = ["statecharts.store", "tests.store.crash_driver"]  # imported once: a restart takes milliseconds
    crashes = kill_again_and_again(serve, preload, store_url, effects, seed=20261206)
    sent, acked, kills, mid_stream = crashes.sent, crashes.acked, crashes.kills, crashes.mid_stream

    machine = crash_machine()
    assert acked == set(sent) and len(sent) == (mid_stream + 1) * NEW_PER_ROUND
    store = open_store(store_url)
    lines = Journal(store, machine, "crashy").lines()
    keyed = [line["key"] for line in lines if line["key"] is not None]
    assert keyed == [f"e{i}" for i in range(len(sent))]  # each acknowledged event once, in order
    assert all(line["event"]["data"]["i"] == int(line["key"][1:]) for line in lines if line["key"])
    runtime = {line["event"]["type"] for line in lines if line["key"] is None}
    assert runtime <= {"xstate.init", "TICK", "xstate.after.5.crash.busy"}  # the rest: the chart's own timers
    ((_, _, record_json),) = list(store.records())
    final = ActorRecord.from_json(machine, record_json).snapshot
    assert replay(machine, lines) == final  # the log replays through the pure core to the stored state
    assert final.context["seen"] == tuple(range(len(sent))) and final.value == "idle"
    assert final.context["ticks"] > 0 and any(line["delivered"] for line in lines)  # timers fired and were logged
    ran = Counter(int(text) for text in Path(effects).read_text().split())
    assert set(ran) == set(range(len(sent)))  # every applied event's effect ran (at least once)
    assert kills >= KILLS and mid_stream >= KILLS // 2
