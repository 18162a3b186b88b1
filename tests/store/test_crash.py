"""The crash test: a process driving a durable actor is SIGKILLed at random moments, again and again.

Each round starts the driver (tests/store/crash_driver.py), resends every event not yet
acknowledged (same idempotency keys), sends new ones, and kills the driver with SIGKILL at a
random moment (during its start or restore in some rounds, mid-stream in most). At the end the
stored event log replays through the pure core to the stored final snapshot; every event was
applied exactly once, in order; every applied event's effect ran at least once.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from statecharts.record import ActorRecord
from statecharts.store import Journal, open_store, replay
from tests.store.crash_driver import crash_machine, serve

KILLS = 100
NEW_PER_ROUND = 6
DEADLINE_S = 100.0


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_and_applies_nothing_twice(store_url, tmp_path):
    ctx = multiprocessing.get_context("forkserver")
    preload = ["statecharts.store", "tests.store.crash_driver"]  # imported once: a restart takes milliseconds
    ctx.set_forkserver_preload(preload + (["psycopg"] if importlib.util.find_spec("psycopg") else []))
    rng = random.Random(20261206)
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
