"""The serve JSON API against a real uvicorn on loopback: routes, bad input, security, verification."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="pip install 'statecharts[serve]' (starlette, uvicorn) for the serve tests")
pytest.importorskip("uvicorn", reason="pip install 'statecharts[serve]' (starlette, uvicorn) for the serve tests")
httpx = pytest.importorskip("httpx", reason="pip install httpx for the serve tests")

from statecharts.cli import main  # noqa: E402
from statecharts.cli.loading import UsageError  # noqa: E402
from statecharts.cli.serve import add_parser, build  # noqa: E402
from statecharts.errors import ConfigError  # noqa: E402
from statecharts.serve.app import MAX_BODY  # noqa: E402
from statecharts.serve.server import running, serving_process  # noqa: E402
from statecharts.store import SqliteStore  # noqa: E402


def serve_args(tmp_path: Path, *extra: str, target: str = "machines.counter") -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", target, "--store", str(tmp_path / "serve.db"), *extra])


@pytest.fixture
def server(tmp_path: Path, request: Any) -> Iterator[tuple[httpx.Client, Path]]:
    extra = getattr(request, "param", ("-p", "limit=3"))
    with running(build(serve_args(tmp_path, *extra))) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client, tmp_path / "serve.db"


def stored(db: Path) -> tuple[list[str], dict[str, int]]:
    store = SqliteStore(db)
    ids = store.actor_ids()
    return ids, {i: len(store.lines(i)) for i in ids}


def test_an_actor_is_created_sent_events_and_its_log_read(server: Any) -> None:
    client, _ = server
    created = client.post("/actors", json={"id": "c1"})
    assert created.status_code == 201 and created.json()["value"] == "idle"
    assert client.post("/actors", json={"id": "c1"}).status_code == 200  # opened, not created again
    after = client.post("/actors/c1/events", json={"type": "START"}).json()
    assert after["value"] == "counting" and after["seq"] == 1 and "ADD" in after["enabled"]
    after = client.post("/actors/c1/events", json={"type": "ADD", "by": 2}).json()
    assert after["context"] == {"n": 2}
    assert client.get("/actors/c1").json()["context"] == {"n": 2}
    assert client.get("/actors").json() == {"actors": ["c1"]}
    lines = client.get("/actors/c1/events").json()["lines"]
    assert [(line["seq"], line["event"]["type"]) for line in lines] == [(0, "xstate.init"), (1, "START"), (2, "ADD")]


def test_a_repeated_idempotency_key_is_applied_once_over_http(server: Any) -> None:
    client, _ = server
    client.post("/actors", json={"id": "c1"})
    client.post("/actors/c1/events", json={"type": "START"})
    for _ in range(3):
        reply = client.post("/actors/c1/events", json={"type": "ADD", "by": 1}, headers={"Idempotency-Key": "a-1"})
        assert reply.status_code == 200 and reply.json()["context"] == {"n": 1} and reply.json()["seq"] == 2
    assert client.post("/actors/c1/events", json={"type": "ADD", "by": 5}).json()["context"] == {"n": 6}
    late = client.post("/actors/c1/events", json={"type": "ADD", "by": 1}, headers={"Idempotency-Key": "a-1"}).json()
    assert (late["context"], late["seq"], late["repeated"]) == ({"n": 1}, 2, True)  # the first reply, again
    assert len(client.get("/actors/c1/events").json()["lines"]) == 4


BAD = [
    ("POST", "/actors", b"{not json", 400, "not JSON"),
    ("POST", "/actors", b'["c1"]', 422, "JSON object"),
    ("POST", "/actors", b'{"id": "../x"}', 422, "actor id"),
    ("POST", "/actors", b'{"id": "c2", "context": {"m": 1}}', 422, "context lacks: m"),
    ("POST", "/actors", b'{"id": "c2", "colour": 1}', 422, "unknown keys colour"),
    ("POST", "/actors", b'{"id": "c2", "pad": "' + b"x" * MAX_BODY + b'"}', 413, "larger than"),
    ("POST", "/actors", b'{"id": "c2", "context": {"n": "many"}}', 422, "'n' is str"),
    ("POST", "/actors", b'{"id": "c1", "context": {"n": 5}}', 409, "actor 'c1' exists"),
    ("POST", "/actors", b'{"context": {}}', 422, "actor id"),
    ("POST", "/actors", b"", 422, "JSON object"),
    ("GET", "/actors/a%20b", None, 422, "actor id"),
    ("POST", "/actors/a%20b/events", b'{"type": "START"}', 422, "actor id"),
    ("GET", "/actors/nobody", None, 404, "no actor 'nobody'"),
    ("GET", "/actors/nobody/events", None, 404, "no actor 'nobody'"),
    ("GET", "/actors/nobody/stream", None, 404, "no actor 'nobody'"),
    ("POST", "/actors/nobody/events", b'{"type": "START"}', 404, "no actor 'nobody'"),
    ("POST", "/actors/c1/events", b"{not json", 400, "not JSON"),
    ("POST", "/actors/c1/events", b'{"type": "LAUNCH"}', 422, "'LAUNCH' is not in the alphabet"),
    ("POST", "/actors/c1/events", b'{"type": "__import__(\'os\')"}', 422, "not in the alphabet"),
    ("POST", "/actors/c1/events", b'{"type": "ADD"}', 422, "missing by"),
    ("POST", "/actors/c1/events", b'{"type": "ADD", "by": "2"}', 422, "'by' is str"),
    ("POST", "/actors/c1/events", b'{"type": "ADD", "by": 1, "x": 1}', 422, "unexpected x"),
    ("POST", "/actors/c1/events", b'{"by": 1}', 422, 'needs "type"'),
    ("POST", "/actors/c1/events", b'{"type": "ADD", "by": ' + b"1" * MAX_BODY + b"}", 413, "larger than"),
    ("POST", "/actors/c1/events", b"[]", 422, "JSON object"),
    ("POST", "/check", b'{"max_states": "all"}', 422, "max_states"),
    ("POST", "/check", b'{"max_states": 10**9}', 400, "not JSON"),
    ("POST", "/check", b"[1]", 422, "JSON object"),
    ("POST", "/check", b'{"max_states": ' + b"1" * MAX_BODY + b"}", 413, "larger than"),
    ("GET", "/static/secret.py", None, 404, "no file 'secret.py'"),
    ("GET", "/nowhere", None, 404, "no route GET /nowhere"),
    ("DELETE", "/actors/c1", None, 405, "DELETE is not allowed"),
    ("PUT", "/actors", b'{"id": "c3"}', 405, "PUT is not allowed"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"), BAD, ids=[f"{m} {p} {s}" for m, p, _, s, _ in BAD]
)
def test_bad_input_gets_its_status_and_a_message_and_stores_nothing(
    server: Any, method: str, path: str, body: bytes | None, status: int, message: str
) -> None:
    client, db = server
    client.post("/actors", json={"id": "c1"})
    before = stored(db)
    reply = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == status, reply.text
    assert message in reply.json()["error"]
    assert stored(db) == before


def test_an_oversized_body_without_content_length_is_413_and_stores_nothing(server: Any) -> None:
    client, db = server
    client.post("/actors", json={"id": "c1"})
    before = stored(db)

    def chunks() -> Iterator[bytes]:  # chunked transfer: the size shows only while reading
        yield b'{"type": "ADD", "by": '
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"1" * 1024
        yield b"}"

    for path in ("/actors/c1/events", "/actors", "/check"):
        reply = client.post(path, content=chunks(), headers={"Content-Type": "application/json"})
        assert reply.status_code == 413 and "larger than" in reply.json()["error"], path
    url = httpx.URL(str(client.base_url))
    with socket.create_connection((url.host, url.port), timeout=5) as raw:  # httpx will not send this
        raw.sendall(b'POST /actors/c1/events HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n{"type": "START"}')
        status_line = raw.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"400"  # uvicorn refuses a malformed length before the app
    assert stored(db) == before


def test_an_idempotency_key_over_200_characters_is_422_and_stores_nothing(server: Any) -> None:
    client, db = server
    client.post("/actors", json={"id": "c1"})
    before = stored(db)
    reply = client.post("/actors/c1/events", json={"type": "START"}, headers={"Idempotency-Key": "k" * 201})
    assert reply.status_code == 422 and "Idempotency-Key" in reply.json()["error"]
    assert stored(db) == before


@pytest.mark.parametrize("server", [("--token", "s3cret")], indirect=True)
def test_a_token_is_required_on_every_route_when_given(server: Any) -> None:
    client, db = server
    for method, path in (
        ("GET", "/"),
        ("GET", "/static/inspector.js"),
        ("GET", "/machine"),
        ("POST", "/check"),
        ("GET", "/violations"),
        ("GET", "/metrics"),
        ("POST", "/actors"),
        ("GET", "/actors"),
        ("GET", "/actors/c1"),
        ("POST", "/actors/c1/events"),
        ("GET", "/actors/c1/events"),
        ("GET", "/actors/c1/stream"),
    ):
        reply = client.request(method, path, json={"id": "c1"})
        assert reply.status_code == 401 and "token" in reply.json()["error"], path
        assert (
            client.request(method, path, json={"id": "c1"}, headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
    assert not db.exists() or stored(db) == ([], {})
    ok = client.post("/actors", json={"id": "c1"}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201


def test_binding_off_loopback_needs_a_token(tmp_path: Path, capsys: Any) -> None:
    with pytest.raises(UsageError, match="not loopback: give --token"):
        build(serve_args(tmp_path, "--host", "0.0.0.0"))
    assert main(["serve", "machines.counter", "--host", "0.0.0.0", "--store", str(tmp_path / "x.db")]) == 2
    assert "--token" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_an_invariant_violation_is_recorded_with_its_event_log_and_counted(server: Any) -> None:
    client, _ = server
    client.post("/actors", json={"id": "c1"})
    for body in ({"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}):
        assert client.post("/actors/c1/events", json=body).status_code == 200  # not halted: goes on
    (violation,) = client.get("/violations").json()["violations"]
    assert violation["invariant"] == "below limit" and violation["seq"] == 3
    assert [e["type"] for e in violation["events"]] == ["xstate.init", "START", "ADD", "ADD"]
    metrics = client.get("/metrics").text
    assert 'statecharts_invariant_violations_total{invariant="below limit"} 1' in metrics
    assert "statecharts_events_total 3" in metrics


@pytest.mark.parametrize("server", [("-p", "limit=3", "--halt-on-violation")], indirect=True)
def test_halt_on_violation_stops_the_actor_with_409(server: Any) -> None:
    client, db = server
    client.post("/actors", json={"id": "c1"})
    for body in ({"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}):
        client.post("/actors/c1/events", json=body)
    before = stored(db)
    reply = client.post("/actors/c1/events", json={"type": "RESET"})
    assert reply.status_code == 409 and "halted" in reply.json()["error"]
    assert client.get("/actors/c1").json()["halted"] is True
    assert stored(db) == before


@pytest.mark.parametrize("server", [("-p", "limit=3", "--halt-on-violation")], indirect=True)
def test_requests_in_flight_when_an_actor_halts_are_refused_not_applied(server: Any) -> None:
    client, db = server
    client.post("/actors", json={"id": "c1"})
    client.post("/actors/c1/events", json={"type": "START"})

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=10) as http:
            replies = await asyncio.gather(
                *(http.post("/actors/c1/events", json={"type": "ADD", "by": 2}) for _ in range(8))
            )
        return sorted(r.status_code for r in replies)

    assert asyncio.run(burst()) == [200, 200] + [409] * 6  # n = 2, then n = 4 breaks the limit: halted
    assert client.get("/actors/c1").json()["context"] == {"n": 4}
    assert stored(db)[1]["c1"] == 4  # init, START and the two ADDs that were applied


def test_the_stream_sends_inspection_records_of_another_clients_event(server: Any) -> None:
    client, _ = server
    client.post("/actors", json={"id": "c1"})
    seen: list[dict[str, Any]] = []
    ready = threading.Event()

    def listen() -> None:
        with client.stream("GET", "/actors/c1/stream") as reply:
            event = ""
            for line in reply.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: "):
                    seen.append({**json.loads(line[len("data: ") :]), "sse": event})
                    if event == "hello":
                        ready.set()
                    if event == "snapshot":
                        return

    thread = threading.Thread(target=listen)
    thread.start()
    assert ready.wait(5)
    client.post("/actors/c1/events", json={"type": "START"})
    thread.join(5)
    assert [r["sse"] for r in seen][:1] == ["hello"]
    snapshot = next(r for r in seen if r["sse"] == "snapshot")
    assert snapshot["value"] == "counting" and snapshot["actor"] == "c1"
    received = next(r for r in seen if r["sse"] == "event.received")
    assert received["event"]["type"] == "START"


def test_the_check_route_runs_the_walker_and_returns_a_counterexample(server: Any) -> None:
    client, _ = server
    report = client.post("/check", json={"max_states": 500}).json()
    below = next(r for r in report["results"] if r["name"] == "below limit")
    assert below["holds"] is False and below["verdict"] == "violated"
    assert below["steps"][-1]["context"]["n"] > 3 and below["steps"][0]["event"] is None


def test_the_check_route_never_says_holds_about_a_walk_that_stopped_at_its_bound(server: Any) -> None:
    client, _ = server
    report = client.post("/check", json={"max_states": 2}).json()
    assert report["complete"] is False
    unproved = [r for r in report["results"] if r["verdict"] != "violated"]
    assert unproved and all(r["holds"] is None and r["verdict"] == "not proved" for r in unproved)


def test_the_inspector_page_and_its_script_are_served_without_a_cdn(server: Any) -> None:
    client, _ = server
    page = client.get("/").text
    assert "<script>" in page and "<svg" not in page and "http://" not in page and "https://" not in page
    assert client.get("/static/inspector.js").status_code == 200
    assert client.get("/static/secret.py").status_code == 404
    assert "<svg" in client.get("/machine").json()["svg"]


SCRIPTED = """<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python" initial="a">
<datamodel><data id="n" expr="0"/></datamodel>
<state id="a"><transition event="go" target="b"><script>n = n + 1</script></transition></state>
<state id="b"/></scxml>"""


def test_an_scxml_file_is_served_untrusted_unless_trusted(tmp_path: Path) -> None:
    chart = tmp_path / "chart.scxml"
    chart.write_text(SCRIPTED)
    with pytest.raises(ConfigError, match="trusted=True"):
        build(serve_args(tmp_path, target=str(chart)))
    app = build(serve_args(tmp_path, "--trusted", target=str(chart)))
    with running(app) as url, httpx.Client(base_url=url) as client:
        client.post("/actors", json={"id": "s1"})
        after = client.post("/actors/s1/events", json={"type": "go"}).json()
        assert after["value"] == "b" and after["context"]["n"] == 1


def test_an_xstate_json_file_is_served(tmp_path: Path) -> None:
    chart = tmp_path / "light.json"
    chart.write_text(
        json.dumps(
            {
                "id": "light",
                "initial": "red",
                "states": {"red": {"on": {"GO": "green"}}, "green": {"on": {"STOP": "red"}}},
            }
        )
    )
    with running(build(serve_args(tmp_path, target=str(chart)))) as url, httpx.Client(base_url=url) as client:
        client.post("/actors", json={"id": "l1"})
        assert client.post("/actors/l1/events", json={"type": "GO"}).json()["value"] == "green"
        refused = client.post("/actors/l1/events", json={"type": "go"})
        assert refused.status_code == 422 and "'go' is not in the alphabet" in refused.json()["error"]


def test_a_violation_is_still_listed_and_counted_after_a_restart(tmp_path: Path) -> None:
    args = serve_args(tmp_path, "-p", "limit=3")
    with running(build(args)) as url, httpx.Client(base_url=url) as client:
        client.post("/actors", json={"id": "c1"})
        for body in ({"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}, {"type": "RESET"}):
            assert client.post("/actors/c1/events", json=body).status_code == 200
        assert client.get("/actors/c1").json()["context"] == {"n": 0}  # back below the limit
    with running(build(args)) as url, httpx.Client(base_url=url) as client:  # a new app on the same file
        (violation,) = client.get("/violations").json()["violations"]  # before the actor is opened again
        assert (violation["actor"], violation["invariant"], violation["seq"], violation["halted"]) == (
            "c1",
            "below limit",
            3,
            False,
        )
        assert [e["type"] for e in violation["events"]] == ["xstate.init", "START", "ADD", "ADD"]
        assert 'statecharts_invariant_violations_total{invariant="below limit"} 1' in client.get("/metrics").text
        assert client.post("/actors/c1/events", json={"type": "ADD", "by": 1}).json()["context"] == {"n": 1}
        assert len(client.get("/violations").json()["violations"]) == 1


def test_a_halted_actor_stays_halted_when_the_server_process_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "serve.db")
    with (
        serving_process("machines.counter", "-p", "limit=3", "--store", db, "--halt-on-violation") as url,
        httpx.Client(base_url=url) as client,
    ):
        client.post("/actors", json={"id": "c1"})
        for body in ({"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}):
            client.post("/actors/c1/events", json=body)
        assert client.post("/actors/c1/events", json={"type": "RESET"}).status_code == 409
    before = stored(tmp_path / "serve.db")
    for flags in (("--halt-on-violation",), ()):  # the halt is stored: a server without the flag keeps it
        with (
            serving_process("machines.counter", "-p", "limit=3", "--store", db, *flags) as url,
            httpx.Client(base_url=url) as client,
        ):
            (violation,) = client.get("/violations").json()["violations"]
            assert (violation["seq"], violation["halted"]) == (3, True)
            assert 'statecharts_invariant_violations_total{invariant="below limit"} 1' in client.get("/metrics").text
            reply = client.post("/actors/c1/events", json={"type": "RESET"})
            assert reply.status_code == 409 and "halted" in reply.json()["error"]
            assert client.get("/actors/c1").json()["halted"] is True
            assert len(client.get("/violations").json()["violations"]) == 1  # reopening did not add one
    assert stored(tmp_path / "serve.db") == before
