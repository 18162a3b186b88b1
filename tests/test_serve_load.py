"""Load on loopback, bounded: 50 concurrent clients against one server with the SQLite store; every
event acknowledged exactly once (retries included) and every final context exact.

The suite runs 50 clients x 20 events (in-process uvicorn, a few seconds); the full 50 x 200 runs
in ``benchmarks/bench_serve.py`` (figures in benchmarks/README.md)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="pip install 'statecharts[serve]' for the serve tests")
pytest.importorskip("httpx", reason="pip install httpx for the serve tests")

from statecharts.cli.serve import add_parser, build  # noqa: E402
from statecharts.serve.load import drive  # noqa: E402
from statecharts.serve.server import running  # noqa: E402
from statecharts.store import SqliteStore  # noqa: E402

CLIENTS, EVENTS = 50, 20


def test_fifty_concurrent_clients_each_event_is_acknowledged_exactly_once(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "machines.counter", "--store", str(tmp_path / "load.db")])
    with running(build(args)) as url:
        load = asyncio.run(asyncio.wait_for(drive(url, CLIENTS, EVENTS, retry=5), timeout=120))
    assert load.problems() == []
    assert len(load.latencies) == CLIENTS * (2 + EVENTS + EVENTS // 5)  # create, START, ADDs, retries
    store = SqliteStore(tmp_path / "load.db")  # the server has stopped: the store holds it all
    assert sorted(store.actor_ids()) == sorted(f"load-{i}" for i in range(CLIENTS))
    assert all(len(store.lines(f"load-{i}")) == EVENTS + 2 for i in range(CLIENTS))
