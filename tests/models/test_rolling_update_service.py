"""The rolling-update controller against real node agents: one process per agent, TCP on loopback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from machines.rolling_agent import Agent, serve
from machines.rolling_controller import AgentClient, AgentUnreachable, Controller, replay

ROOT = Path(__file__).resolve().parents[2]


class Agents:
    """Agent processes on free loopback ports, stopped at the end of the test."""

    def __init__(self, count: int, *extra: str) -> None:
        self.procs = []
        self.addresses = []
        try:
            for n in range(1, count + 1):
                proc = subprocess.Popen([sys.executable, "-m", "machines.rolling_agent", "--port", "0",
                                         "--node", str(n), *extra], cwd=ROOT, stdout=subprocess.PIPE, text=True)
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


def test_five_agents_max_parallel_2_deployment_ends_successful_with_every_step_checked(agents):
    group = agents(5)
    controller = Controller(group.addresses, 1, max_parallel=2, min_healthy_time=60)
    outcome = asyncio.run(asyncio.wait_for(controller.run(), 20))
    assert outcome.deployment == "successful" and outcome.allocs == (1,) * 5
    assert outcome.violations == [] and replay(controller.chart, outcome.log) == []
    assert [a["version"] for a in group.ask("status")] == [1] * 5
    assert all(a["state"] == "running" for a in group.ask("status"))
    histories = [a["history"] for a in group.ask("history")]
    assert all([i["op"] for i in h if i["applied"]] == ["stop", "start"] for h in histories), histories
    # at most two allocations were ever in transition at once (checked at every logged step)
    assert max(sum(1 for a in step.snapshot.value["allocations"].values() if a != "running" and a != "healthy"
                   and a != "unhealthy") for step in outcome.log) == 2


def test_a_failing_version_with_auto_revert_fails_and_reverts_every_agent_to_the_old_version(agents):
    group = agents(5, "--fail-version", "1")
    controller = Controller(group.addresses, 1, max_parallel=2, min_healthy_time=60)
    outcome = asyncio.run(asyncio.wait_for(controller.run(), 20))
    phases = [step.snapshot.value["deployment"] for step in outcome.log]
    assert any(isinstance(p, dict) and "reverting" in p for p in phases)  # it failed, then reverted
    assert any(step.event.name == "ALLOC_UNHEALTHY" for step in outcome.log)
    assert outcome.deployment == "reverted" and outcome.allocs == (0,) * 5
    assert outcome.violations == [] and replay(controller.chart, outcome.log) == []
    assert [a["version"] for a in group.ask("status")] == [0] * 5
    assert all(a["state"] == "running" for a in group.ask("status"))


def test_a_hanging_agent_is_retried_on_a_new_connection_and_the_deployment_still_succeeds(agents):
    group = agents(2)

    async def go():
        hang = AgentClient(*group.addresses[0])
        assert (await hang.request("fault", mode="hang", count=1, ops=["stop"]))["ok"]
        drop = AgentClient(*group.addresses[1])
        assert (await drop.request("fault", mode="drop", count=1, ops=["start"]))["ok"]
        await hang.close()
        await drop.close()
        controller = Controller(group.addresses, 1, min_healthy_time=30, timeout=0.3)
        return controller, await controller.run()
    controller, outcome = asyncio.run(asyncio.wait_for(go(), 20))
    assert outcome.deployment == "successful" and outcome.reconnects >= 2 and not outcome.violations
    assert replay(controller.chart, outcome.log) == []
    histories = [a["history"] for a in group.ask("history")]
    stops = [i for i in histories[0] if i["op"] == "stop"]
    assert len(stops) >= 2 and len({i["key"] for i in stops}) == 1  # the hung stop was sent again, same key ...
    assert [i["op"] for i in histories[0] if i["applied"]] == ["stop", "start"]  # ... and applied once


def test_an_agent_lost_after_its_start_is_node_lost_and_the_deployment_reverts(agents):
    group = agents(2, "--start-ms", "400")

    async def go():
        controller = Controller(group.addresses, 1, min_healthy_time=30, timeout=0.1, retries=1)
        run = asyncio.create_task(controller.run())
        while not group.procs[0].poll() and not any(s.event.name == "ALLOC_STOPPED" for s in controller.runner.log):
            await asyncio.sleep(0.01)
        group.procs[0].kill()  # the node dies while its new allocation starts
        return controller, await run
    controller, outcome = asyncio.run(asyncio.wait_for(go(), 20))
    assert 1 in outcome.unreachable and [s.event.name for s in outcome.log if s.event.name == "NODE_LOST"]
    assert not outcome.violations and replay(controller.chart, outcome.log) == []
    assert outcome.stuck == [1] and outcome.deployment == "reverting"  # the revert cannot stop the dead node


def test_an_agent_that_never_answers_its_stop_stops_the_controller_with_the_node_reported(agents):
    group = agents(2)

    async def go():
        client = AgentClient(*group.addresses[0])
        assert (await client.request("fault", mode="hang", count=100, ops=["stop"]))["ok"]
        await client.close()
        controller = Controller(group.addresses, 1, min_healthy_time=30, timeout=0.1, retries=1)
        return await controller.run()
    outcome = asyncio.run(asyncio.wait_for(go(), 20))
    assert outcome.stuck == [1] and outcome.unreachable == [1] and not outcome.violations


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


def _controller(addresses, journal):
    agents = [a for host, port in addresses for a in ("--agent", f"{host}:{port}")]
    return subprocess.Popen([sys.executable, "-m", "machines.rolling_controller", *agents, "--version", "1",
                             "--max-parallel", "2", "--min-healthy-time", "300", "--journal", str(journal)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_a_controller_killed_mid_deployment_resumes_from_its_journal_and_applies_nothing_twice(agents, tmp_path):
    import json
    import signal
    import time

    from machines.rolling_controller import Step
    from statecharts import Event

    group = agents(5, "--start-ms", "150")
    journal = tmp_path / "deployment.jsonl"
    first = _controller(group.addresses, journal)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # mid-deployment: the second batch is under way
            if journal.exists() and journal.read_text().count("ALLOC_STOPPED") >= 3:
                break
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=5)
        first.stdout.close()
    killed_at = journal.read_text().splitlines()
    chart = Controller(group.addresses, 1, max_parallel=2, min_healthy_time=300).chart
    s = chart.initial_states()[0]
    for record in map(json.loads, killed_at):
        s = chart.machine.transition(s, Event(record["event"], record["data"]))
    assert s.value["deployment"] == {"running": "progressing"}  # killed mid-deployment
    second = _controller(group.addresses, journal)
    try:
        out, _ = second.communicate(timeout=30)
    finally:
        second.kill()
    assert second.returncode == 0, out
    summary = json.loads(out.splitlines()[-1])
    assert summary["deployment"] == "successful" and summary["allocs"] == [1] * 5 and summary["violations"] == []
    assert [a["version"] for a in group.ask("status")] == [1] * 5
    for history in (a["history"] for a in group.ask("history")):
        assert [i["op"] for i in history if i["applied"]] == ["stop", "start"], history  # each applied once
    # the restarted controller's log holds the whole deployment (before and after the kill); re-run
    # through the pure chart, every step gives the logged state and every invariant holds
    printed = [json.loads(line) for line in out.splitlines()[:-1]]
    assert len(printed) == len(journal.read_text().splitlines()) > len(killed_at)
    s = chart.initial_states()[0]
    for record in printed:
        s = chart.machine.transition(s, Event(record["event"], record["data"]))
        assert Step(Event(record["event"], record["data"]), s).to_json() == record
        assert all(holds(s) for holds in chart.invariants.values())


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


def test_a_deployment_refuses_to_start_on_an_agent_not_running_the_initial_version(agents):
    from machines.rolling_controller import AgentRefused
    group = agents(2, "--version", "3")
    with pytest.raises(AgentRefused, match=r"agent 1 \(127.0.0.1:\d+\) runs version 3"):
        asyncio.run(Controller(group.addresses, 1).run())
    assert all(a["history"] == [] for a in group.ask("history"))  # nothing was instructed


def test_the_progress_deadline_restarts_whenever_an_allocation_turns_healthy(agents):
    group = agents(3)  # three replacements of ~300 ms each: longer than the deadline together, not one by one
    controller = Controller(group.addresses, 1, min_healthy_time=250, progress_deadline=700)
    outcome = asyncio.run(asyncio.wait_for(controller.run(), 20))
    assert outcome.deployment == "successful" and not outcome.violations
    assert not [s for s in outcome.log if "progress_deadline" in s.event.name]
