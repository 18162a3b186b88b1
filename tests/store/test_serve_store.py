"""A served machine on each store (SQLite and a throwaway PostgreSQL): a restarted service resumes."""

from __future__ import annotations

import argparse

import pytest

pytest.importorskip("starlette", reason="pip install 'statecharts[serve]' for the serve tests")
httpx = pytest.importorskip("httpx", reason="pip install httpx for the serve tests")

from statecharts.cli.serve import add_parser, build  # noqa: E402
from statecharts.serve.server import running  # noqa: E402


def test_a_restarted_service_resumes_its_actors_from_the_store(store_url: str) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "machines.counter", "--store", store_url])
    with running(build(args)) as url, httpx.Client(base_url=url) as client:
        client.post("/actors", json={"id": "c1"})
        client.post("/actors/c1/events", json={"type": "START"})
        client.post("/actors/c1/events", json={"type": "ADD", "by": 2}, headers={"Idempotency-Key": "k"})
    with running(build(args)) as url, httpx.Client(base_url=url) as client:
        again = client.post("/actors/c1/events", json={"type": "ADD", "by": 2}, headers={"Idempotency-Key": "k"})
        assert again.json()["context"] == {"n": 2} and again.json()["seq"] == 2
        assert client.post("/actors/c1/events", json={"type": "ADD", "by": 1}).json()["context"] == {"n": 3}
        assert [line["event"]["type"] for line in client.get("/actors/c1/events").json()["lines"]] == [
            "xstate.init",
            "START",
            "ADD",
            "ADD",
        ]
