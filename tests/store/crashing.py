"""The SIGKILL loop both crash tests run (the threaded path's, tests/store/test_crash.py, and the
asyncio path's, tests/store/test_crash_async.py): start a driver process, resend every event not
yet acknowledged, send new ones, kill the driver at a random moment (during its start or restore
in some rounds, mid-stream in most), again and again; then one round that ends cleanly."""

from __future__ import annotations

import importlib.util
import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KILLS = 100
NEW_PER_ROUND = 6
DEADLINE_S = 100.0  # the bound under load (a run takes about 30 s on SQLite, 45 s on PostgreSQL)


@dataclass
class Crashes:
    """What the loop sent, what the drivers acknowledged, how many kills (and how many mid-stream)."""

    sent: list[int] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    kills: int = 0
    mid_stream: int = 0


def kill_again_and_again(
    serve: Callable[..., Any], preload: list[str], store_url: str, effects: str, seed: int
) -> Crashes:
    """Run ``serve(pipe, store_url, "crashy", effects)`` in a driver process `KILLS` times, each
    killed at a random moment, then once to its end; within `DEADLINE_S`."""
    ctx = multiprocessing.get_context("forkserver")
    # imported once in the fork server: a restart takes milliseconds
    ctx.set_forkserver_preload(preload + (["psycopg"] if importlib.util.find_spec("psycopg") else []))
    rng = random.Random(seed)
    crashes = Crashes()
    sent, acked = crashes.sent, crashes.acked
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

    while crashes.kills < KILLS:
        assert time.monotonic() - started < DEADLINE_S, f"only {crashes.kills} kills in {DEADLINE_S} s"
        crashes.mid_stream += round_trip(kill_after=rng.uniform(0, 0.03))
        crashes.kills += 1
    round_trip(kill_after=None)
    return crashes
