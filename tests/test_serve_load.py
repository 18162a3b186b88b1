"""Load on loopback, bounded: 50 concurrent clients x 200 events each against one
``python -m statecharts serve`` process with the SQLite store; every event acknowledged exactly
once (retries included), every final context exact, and the store holds exactly the acknowledged
steps once the server has stopped. The figures of the same run as a benchmark (p50/p99, events per
second) are in benchmarks/README.md (``benchmarks/bench_serve.py``)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="pip install 'statecharts[serve]' for the serve tests")
pytest.importorskip("uvicorn", reason="pip install 'statecharts[serve]' for the serve tests")

from statecharts.serve.load import drive  # noqa: E402
from statecharts.serve.server import serving_process  # noqa: E402
from statecharts.store import SqliteStore  # noqa: E402

CLIENTS, EVENTS, RETRY = 50, 200, 10
SECONDS = 240  # the bound: ~25 s on two idle cores, several times that on a busy shared machine


@pytest.mark.slow
def test_fifty_clients_times_two_hundred_events_each_is_acknowledged_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "load.db"
    began = time.monotonic()
    with serving_process("machines.counter", "--store", str(db)) as url:
        load = asyncio.run(asyncio.wait_for(drive(url, CLIENTS, EVENTS, retry=RETRY), timeout=SECONDS))
    print(load.summary())
    assert load.problems() == []
    assert len(load.latencies) == CLIENTS * (2 + EVENTS + EVENTS // RETRY)  # create, START, ADDs, retries
    store = SqliteStore(db)  # the server has stopped: the store holds every step, once
    assert store.actor_ids() == sorted(f"load-{i}" for i in range(CLIENTS))
    for i in range(CLIENTS):
        types = [json.loads(line)["event"]["type"] for line in store.lines(f"load-{i}")]
        assert types == ["xstate.init", "START"] + ["ADD"] * EVENTS
    assert time.monotonic() - began < SECONDS
