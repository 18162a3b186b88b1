"""The rolling-update controller against real node agents: one process per agent, TCP on loopback.

Each deployment is a durable actor in a SQLite store; its stored event log is replayed through the
walker's trace checker on the command line (``python -m statecharts check machines/rolling_update.py
-p ... --replay LOG``)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from machines.rolling_agent import Agent, serve
from machines.rolling_controller import AgentClient, AgentRefused, AgentUnreachable, Controller, Knobs
from statecharts.store import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


class Agents:
    """Agent processes on free loopback ports, stopped at the end of the test."""

    def __init__(self, count: int, *extra: str) -> None:
        self.procs = []
        self.addresses = []
        try:
            for n in range(1, count + 1):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "machines.rolling_agent", "--port", "0", "--node", str(n), *extra],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                self.procs.append(proc)
            for proc in self.procs:
                line = proc.stdout.readline()
                assert line.startswith("listening "), f"agent did not start: {line!r}"
                self.addresses.append(("127.0.0.1", int(line.split()[1])))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.wait(timeout=5)
            proc.stdout.close()

    def ask(self, op: str) -> list[dict]:
        async def each() -> list[dict]:
            clients = [AgentClient(h, p) for h, p in self.addresses]
            try:
                return [await c.request(op) for c in clients]
            finally:
                for c in clients:
                    await c.close()

        return asyncio.run(each())


@pytest.fixture
def agents(request):
    made = []

    def start(count: int, *extra: str) -> Agents:
        made.append(Agents(count, *extra))
        return made[-1]

    yield start
    for group in made:
        group.stop()


def deploy(addresses, tmp_path, knobs: Knobs, version: int = 1, deployment: str = "d1", **options):
    """Run one deployment with a controller of its own over a fresh SQLite store: (controller, outcome)."""

    async def go():
        controller = Controller.open(addresses, SqliteStore(str(tmp_path / "rolling.db")), knobs, **options)
        try:
            return controller, await controller.deploy(deployment, version)
        finally:
            await controller.close()

    return asyncio.run(asyncio.wait_for(go(), 30))


def replayed(lines: list[dict], knobs: Knobs, nodes: int, tmp_path: Path) -> dict:
    """The stored event log through ``python -m statecharts check ... --replay LOG --json``."""
    log = tmp_path / "deployment.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "statecharts",
            "check",
            "machines/rolling_update.py",
            *knobs.params(nodes),
            "--replay",
            str(log),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1), done.stderr
    return report


def phases(lines: list[dict]) -> list[str]:
    """The deployment region's innermost active state after each stored step."""
    return [[c for c in line["snapshot"]["configuration"] if c.startswith("deployment.")][-1] for line in lines]


def test_five_agents_max_parallel_2_deployment_ends_successful_with_every_step_checked(agents, tmp_path):
    group = agents(5)
    knobs = Knobs(max_parallel=2, min_healthy_time=60)
    controller, outcome = deploy(group.addresses, tmp_path, knobs)
    assert outcome.deployment == "successful" and outcome.allocs == (1,) * 5
    assert outcome.violations == [] and controller.service.violations == []
    report = replayed(outcome.lines, knobs, 5, tmp_path)
    assert report["ok"] and report["steps"] == len(outcome.lines) - 1 and report["stutters"] == 0, report
    assert [a["version"] for a in group.ask("status")] == [1] * 5
    assert all(a["state"] == "running" for a in group.ask("status"))
    histories = [a["history"] for a in group.ask("history")]
    assert all([i["op"] for i in h if i["applied"]] == ["stop", "start"] for h in histories), histories
    # two allocations were in transition at once at some stored step (never more: MaxParallel, checked at each)
    busy = [
        sum(1 for c in line["snapshot"]["configuration"] if c.endswith((".stopping", ".placed")))
        for line in outcome.lines
    ]
    assert max(busy) == 2


def test_a_failing_version_with_auto_revert_fails_and_reverts_every_agent_to_the_old_version(agents, tmp_path):
    group = agents(5, "--fail-version", "1")
    knobs = Knobs(max_parallel=2, min_healthy_time=60)
    _, outcome = deploy(group.addresses, tmp_path, knobs)
    assert any(p.startswith("deployment.reverting") for p in phases(outcome.lines))  # it failed, then reverted
    assert any(line["event"]["type"] == "ALLOC_UNHEALTHY" for line in outcome.lines)
    assert outcome.deployment == "reverted" and outcome.allocs == (0,) * 5 and outcome.violations == []
    assert replayed(outcome.lines, knobs, 5, tmp_path)["ok"]
    assert [a["version"] for a in group.ask("status")] == [0] * 5
    assert all(a["state"] == "running" for a in group.ask("status"))


def test_a_log_that_is_not_a_behaviour_is_refused_by_the_replay_at_its_line(agents, tmp_path):
    group = agents(2)
    knobs = Knobs(min_healthy_time=30)
    _, outcome = deploy(group.addresses, tmp_path, knobs)
    lines = [line for line in outcome.lines if line["event"]["type"] != "ALLOC_STOPPED"]  # a step dropped
    report = replayed(lines, knobs, 2, tmp_path)
    first = next(i for i, line in enumerate(outcome.lines) if line["event"]["type"] == "ALLOC_STOPPED")
    assert not report["ok"] and report["refused"]["line"] == first + 1, report
    assert replayed(outcome.lines, Knobs(min_healthy_time=31), 2, tmp_path)["refused"]  # other delays: another model


def test_a_hanging_agent_is_retried_on_a_new_connection_and_the_deployment_still_succeeds(agents, tmp_path):
    group = agents(2)

    async def faults():
        hang = AgentClient(*group.addresses[0])
        assert (await hang.request("fault", mode="hang", count=1, ops=["stop"]))["ok"]
        drop = AgentClient(*group.addresses[1])
        assert (await drop.request("fault", mode="drop", count=1, ops=["start"]))["ok"]
        await hang.close()
        await drop.close()

    asyncio.run(faults())
    knobs = Knobs(min_healthy_time=30)
    _, outcome = deploy(group.addresses, tmp_path, knobs, timeout=0.3)
    assert outcome.deployment == "successful" and outcome.reconnects >= 2 and not outcome.violations
    assert replayed(outcome.lines, knobs, 2, tmp_path)["ok"]
    histories = [a["history"] for a in group.ask("history")]
    stops = [i for i in histories[0] if i["op"] == "stop"]
    assert len(stops) >= 2 and len({i["key"] for i in stops}) == 1  # the hung stop was sent again, same key ...
    assert [i["op"] for i in histories[0] if i["applied"]] == ["stop", "start"]  # ... and applied once


def test_an_agent_lost_after_its_start_is_node_lost_and_the_deployment_reverts(agents, tmp_path):
    group = agents(2, "--start-ms", "400")
    knobs = Knobs(min_healthy_time=30)

    async def go():
        controller = Controller.open(
            group.addresses, SqliteStore(str(tmp_path / "rolling.db")), knobs, timeout=0.1, retries=1
        )
        run = asyncio.create_task(controller.deploy("d1", 1))
        while (
            "d1" not in controller.service.actors or controller.service.actors["d1"].state.context["allocs"][0] != 1
        ):  # a1 stopped, its v1 starting
            await asyncio.sleep(0.01)
        group.procs[0].kill()  # the node dies while its new allocation starts
        try:
            return await run
        finally:
            await controller.close()

    outcome = asyncio.run(asyncio.wait_for(go(), 20))
    assert 1 in outcome.unreachable and any(line["event"]["type"] == "NODE_LOST" for line in outcome.lines)
    assert not outcome.violations and replayed(outcome.lines, knobs, 2, tmp_path)["ok"]
    assert outcome.stuck == [1] and outcome.deployment == "reverting"  # the revert cannot stop the dead node


def test_an_agent_that_never_answers_its_stop_stops_the_controller_with_the_node_reported(agents, tmp_path):
    group = agents(2)

    async def fault():
        client = AgentClient(*group.addresses[0])
        assert (await client.request("fault", mode="hang", count=100, ops=["stop"]))["ok"]
        await client.close()

    asyncio.run(fault())
    knobs = Knobs(min_healthy_time=30)
    _, outcome = deploy(group.addresses, tmp_path, knobs, timeout=0.1, retries=1)
    assert outcome.stuck == [1] and outcome.unreachable == [1] and not outcome.violations
    assert phases(outcome.lines)[-1] == "deployment.running.placing"  # a1 stopping: no event of the chart moves it
    assert replayed(outcome.lines, knobs, 2, tmp_path)["ok"]


def test_a_client_gives_up_with_a_clear_error_after_its_retries():
    async def go():
        ready = asyncio.get_running_loop().create_future()
        agent = Agent(node=1)
        server = asyncio.create_task(serve(agent, "127.0.0.1", 0, ready))
        port = await ready
        client = AgentClient("127.0.0.1", port, timeout=0.05, retries=2, backoff=0.01)
        await client.request("fault", mode="hang", count=3)
        with pytest.raises(AgentUnreachable, match=r"no answer to 'status' after 3 tries"):
            await client.request("status")
        assert (await AgentClient("127.0.0.1", port).request("bogus"))["error"].startswith("unknown op 'bogus'")
        server.cancel()

    asyncio.run(go())


def stored(path: Path, deployment: str = "web-1") -> list[str]:
    """The deployment's stored event log, read by another process than the controller's."""
    store = SqliteStore(str(path))
    try:
        return store.lines(deployment)
    finally:
        store.close()


def _controller(addresses, store: Path, log: Path) -> subprocess.Popen:
    agents = [a for host, port in addresses for a in ("--agent", f"{host}:{port}")]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "machines.rolling_controller",
            "run",
            *agents,
            "--version",
            "1",
            "--max-parallel",
            "2",
            "--min-healthy-time",
            "300",
            "--store",
            f"sqlite:///{store}",
            "--id",
            "web-1",
            "--log",
            str(log),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_controller_killed_mid_deployment_resumes_from_the_store_and_applies_nothing_twice(agents, tmp_path):
    group = agents(5, "--start-ms", "150")
    store, log = tmp_path / "rolling.db", tmp_path / "web-1.jsonl"
    first = _controller(group.addresses, store, log)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # mid-deployment: the second batch is under way
            # read once the controller has made the store (its WAL file exists): two processes that open a new
            # SQLite store at once can collide on its PRAGMA journal_mode=WAL ("database is locked")
            lines = stored(store) if Path(f"{store}-wal").exists() else []
            if sum('"ALLOC_STOPPED"' in line for line in lines) >= 3:
                break
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=5)
        first.stdout.close()
    killed_at = [json.loads(line) for line in stored(store)]
    assert phases(killed_at)[-1] == "deployment.running.progressing" and not log.exists()  # killed mid-deployment
    second = _controller(group.addresses, store, log)
    try:
        out, _ = second.communicate(timeout=40)
    finally:
        second.kill()
    assert second.returncode == 0, out
    summary = json.loads(out.splitlines()[-1])
    assert summary["deployment"] == "successful" and summary["allocs"] == [1] * 5 and summary["violations"] == []
    assert [a["version"] for a in group.ask("status")] == [1] * 5
    for history in (a["history"] for a in group.ask("history")):
        assert [i["op"] for i in history if i["applied"]] == ["stop", "start"], history  # each applied once
    # the stored log holds the whole deployment, before and after the kill, and is a behaviour of the model
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[: len(killed_at)] == killed_at and len(lines) > len(killed_at)
    report = replayed(lines, Knobs(max_parallel=2, min_healthy_time=300), 5, tmp_path)
    assert report["ok"] and report["steps"] == len(lines) - 1, report


def test_a_slow_answer_times_out_and_the_retry_on_a_new_connection_gets_through():
    async def go():
        ready = asyncio.get_running_loop().create_future()
        server = asyncio.create_task(serve(Agent(node=1), "127.0.0.1", 0, ready))
        port = await ready
        client = AgentClient("127.0.0.1", port, timeout=0.1, retries=2, backoff=0.01)
        assert (await client.request("fault", mode="slow", count=1, delay_ms=300))["ok"]
        answer = await client.request("status")
        await client.close()
        server.cancel()
        return answer, client.reconnects

    answer, reconnects = asyncio.run(go())
    assert answer["ok"] and answer["version"] == 0 and reconnects == 1


def test_a_deployment_refuses_to_start_on_an_agent_not_running_the_initial_version(agents, tmp_path):
    group = agents(2, "--version", "3")
    with pytest.raises(AgentRefused, match=r"agent 1 \(127.0.0.1:\d+\) runs version 3"):
        deploy(group.addresses, tmp_path, Knobs())
    assert all(a["history"] == [] for a in group.ask("history"))  # nothing was instructed


def test_the_progress_deadline_restarts_whenever_an_allocation_turns_healthy(agents, tmp_path):
    group = agents(3)  # three replacements of ~300 ms each: longer than the deadline together, not one by one
    knobs = Knobs(min_healthy_time=250, progress_deadline=700)
    _, outcome = deploy(group.addresses, tmp_path, knobs)
    assert outcome.deployment == "successful" and not outcome.violations
    assert replayed(outcome.lines, knobs, 3, tmp_path)["ok"]
    assert not [line for line in outcome.lines if "progress_deadline" in line["event"]["type"]]


def test_the_served_controller_runs_a_submitted_deployment_live_and_serves_its_stored_log(agents, tmp_path):
    import urllib.request

    from machines.rolling_controller import create_controller_app, main, submit
    from statecharts.serve.server import running

    group = agents(3)
    knobs = Knobs(max_parallel=2, min_healthy_time=60)
    controller = Controller.open(group.addresses, SqliteStore(str(tmp_path / "served.db")), knobs)
    printed: list[str] = []
    logged: list[str] = []
    with running(create_controller_app(controller)) as url:
        assert submit(url, "web-1", 1, out=printed.append) == 0
        assert submit(url, "web-1", 1, out=printed.append) == 2  # not newer than the latest: not taken
        with urllib.request.urlopen(f"{url}/violations", timeout=5) as answer:
            assert json.loads(answer.read()) == {"violations": []}
        deadline = time.monotonic() + 5
        while True:  # the controller lets the deployment go a moment after its last step
            with urllib.request.urlopen(f"{url}/controller", timeout=5) as answer:
                status = json.loads(answer.read())
            if status["driving"] is None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        with urllib.request.urlopen(f"{url}/", timeout=5) as answer:
            assert b"<script>" in answer.read()  # the inspector
        assert main(["log", "--url", url, "--id", "web-1"], out=logged.append) == 0
    assert printed[0].startswith("pending ") and printed[-2].startswith("successful ")
    assert any(line.startswith("running.progressing ") and "placed." in line for line in printed)  # watched live
    assert printed[-2].endswith("version=1 allocs=[1, 1, 1]") and "did not take DEPLOY version 1" in printed[-1]
    assert [a["version"] for a in group.ask("status")] == [1] * 3
    assert status["driving"] is None and status["refused"] == {} and len(status["agents"]) == 3
    log = tmp_path / "web-1.jsonl"
    log.write_text("".join(line + "\n" for line in logged), encoding="utf-8")
    command = status["check"]  # the replay command the controller gives, its knobs included
    assert command[:5] == ["python", "-m", "statecharts", "check", "machines/rolling_update.py"]
    done = subprocess.run(
        [sys.executable, *command[1:], "--replay", str(log)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "the log is a behaviour of the model" in done.stdout, done.stdout + done.stderr
    assert f"{len(logged) - 1} events followed (1 changed nothing)" in done.stdout  # the DEPLOY not taken


def test_a_deployment_the_agents_do_not_match_is_refused_and_submit_says_so(agents, tmp_path):
    from machines.rolling_controller import create_controller_app, submit
    from statecharts.serve.server import running

    group = agents(2, "--version", "1")
    controller = Controller.open(group.addresses, SqliteStore(str(tmp_path / "served.db")), Knobs())
    printed: list[str] = []
    with running(create_controller_app(controller)) as url:
        assert submit(url, "web-1", 1, out=printed.append) == 2
    assert "the controller refused deployment web-1: agent 1" in printed[-1] and "expects version 0" in printed[-1]
    assert all(a["history"] == [] for a in group.ask("history"))


def test_runtime_verification_reports_the_first_step_that_breaks_an_invariant_with_its_log(agents, tmp_path):
    import dataclasses

    from machines.rolling_update import IN_TRANSITION, View
    from statecharts.serve.service import Service

    group = agents(3)
    knobs = Knobs(max_parallel=2, min_healthy_time=60)
    chart = knobs.model(3)  # a stricter invariant than the chart's: MaxParallel with 1, while 2 run at once
    strict = dataclasses.replace(
        chart, invariants={**chart.invariants, "OneAtATime": lambda s: View.of(s, 3).count(*IN_TRANSITION) <= 1}
    )

    async def go():
        controller = Controller(group.addresses, Service(strict, SqliteStore(str(tmp_path / "strict.db"))))
        try:
            return controller, await controller.deploy("d1", 1)
        finally:
            await controller.close()

    controller, outcome = asyncio.run(asyncio.wait_for(go(), 30))
    assert outcome.deployment == "successful"
    first = next(
        i
        for i, line in enumerate(outcome.lines)
        if sum(c.endswith((".stopping", ".placed")) for c in line["snapshot"]["configuration"]) == 2
    )
    assert outcome.violations[0] == (first, "OneAtATime") and {name for _, name in outcome.violations} == {"OneAtATime"}
    violation = controller.service.violations[0]
    assert [e["type"] for e in violation["events"]] == [line["event"]["type"] for line in outcome.lines[: first + 1]]
    assert replayed(outcome.lines, knobs, 3, tmp_path)["ok"]  # the chart's own invariants held at every step


def test_a_canary_deployment_waits_for_the_operators_promote_then_replaces_the_rest(agents, tmp_path):
    from statecharts import Event

    group = agents(3)
    knobs = Knobs(canary=1, min_healthy_time=30)

    async def go():
        controller = Controller.open(group.addresses, SqliteStore(str(tmp_path / "canary.db")), knobs, promote=False)
        try:
            run = asyncio.create_task(controller.deploy("d1", 1))
            while "d1" not in controller.service.actors or not controller.service.actors["d1"].state.matches(
                "#deployment.paused"
            ):
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # paused: nothing else moves until the operator promotes
            paused = controller.service.actors["d1"].state
            versions = [a["version"] for a in await asyncio.to_thread(group.ask, "status")]
            await controller.service.send("d1", Event("PROMOTE"))  # the operator (POST /actors/d1/events)
            return paused, versions, await run
        finally:
            await controller.close()

    paused, versions, outcome = asyncio.run(asyncio.wait_for(go(), 30))
    assert paused.context["allocs"] == (1, 0, 0) and versions == [1, 0, 0]  # the canary alone, on the new version
    assert outcome.deployment == "successful" and outcome.allocs == (1, 1, 1) and not outcome.violations
    assert [line["event"]["type"] for line in outcome.lines].count("PROMOTE") == 1
    assert replayed(outcome.lines, knobs, 3, tmp_path)["ok"]
