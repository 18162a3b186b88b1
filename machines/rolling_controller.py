"""The rolling-update controller: the `machines.rolling_update` chart driven by node agents over TCP.

The controller talks to one `machines.rolling_agent` per node (JSON lines over asyncio streams)
and turns their answers into the chart's events: it ``PLACE``s the lowest allocation the chart
lets it, tells that node's agent to ``stop`` (then ``ALLOC_STOPPED``) and ``start`` the
deployment's version, and polls the agent's health (``ALLOC_HEALTHY`` / ``ALLOC_UNHEALTHY``; an
agent unreachable after its retries is ``NODE_LOST``; unreachable while its allocation is still
``stopping``, for which the chart has no event, it stops the controller with the node reported
``stuck``). The chart decides everything else: its
``after`` timers (``min_healthy_time``, ``healthy_deadline``, ``progress_deadline``) run on the
asyncio loop, and ``auto_revert`` sends the controller back to the agents with the stable version.

Requests have a timeout; a failed request is retried with exponential backoff on a fresh
connection (a hung, slow or dropped agent is reconnected). Instructions carry an idempotency key,
so a retried ``stop``/``start`` is applied once by the agent.

Durability: with a journal (``--journal PATH``), every step's event is appended and fsynced
before the controller acts on it; a controller restarted on the same journal (after SIGKILL, say)
re-runs it through the chart, restarts the restored timers with their full delays, and resumes
each allocation in transition: a ``stop``/``start`` it sends again carries the same idempotency key,
so no agent applies an instruction twice. This journal is the stand-in for the durable store.

Runtime verification: every step is checked against the model's invariants and logged; `replay`
re-runs a log through the pure chart and checks every step and invariant again.

The seam: `ChartRunner` is the only place that runs the chart (``machine.transition`` plus asyncio
timers). It is the piece to swap for the asyncio actor runtime with a durable store
(``interpret_async(store=...)``) once that exists; the controller only calls ``send``, reads
``snapshot`` and waits on ``changed``.

``python -m machines.rolling_controller --agent 127.0.0.1:7001 ... --version 1 --max-parallel 2``
runs one deployment and prints the event log as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from machines import rolling_update
from machines.rolling_update import AT_REST, IN_TRANSITION, View
from statecharts import Event, Snapshot
from statecharts.actions import Send
from statecharts.check import Model
from statecharts.state import PendingSend


class AgentUnreachable(ConnectionError):
    """An agent did not answer after every retry."""


class AgentRefused(RuntimeError):
    """An agent is not in the state the deployment starts from."""


@dataclass
class AgentClient:
    """A JSON-lines client for one agent: timeouts, retries with exponential backoff, reconnects."""

    host: str
    port: int
    timeout: float = 0.5
    retries: int = 4
    backoff: float = 0.05
    reconnects: int = 0
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _next_id: int = 0

    async def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return its answer; retry on timeout, error or a closed connection."""
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return await asyncio.wait_for(self._exchange(op, fields), self.timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                last = exc
                await self.close()
                self.reconnects += 1
        raise AgentUnreachable(f"agent {self.host}:{self.port}: no answer to {op!r} after {self.retries + 1} "
                               f"tries ({type(last).__name__}: {last})")

    async def _exchange(self, op: str, fields: dict[str, Any]) -> dict[str, Any]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._next_id += 1
        self._writer.write(json.dumps({"id": self._next_id, "op": op, **fields}).encode() + b"\n")
        await self._writer.drain()
        line = await self._reader.readline()
        if not line:
            raise ConnectionResetError("the agent closed the connection")
        answer = json.loads(line)
        if not isinstance(answer, dict) or answer.get("id") != self._next_id:
            raise ValueError(f"answer {answer!r} does not match request {self._next_id}")
        return answer

    async def close(self) -> None:
        """Close the connection (the next request reconnects)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass


@dataclass
class Step:
    """One logged step: the event and the snapshot after it."""

    event: Event
    snapshot: Snapshot

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event.name, "data": dict(self.event.data or {}), "state": self.snapshot.value,
                "context": {k: list(v) if isinstance(v, tuple) else v for k, v in self.snapshot.context.items()}}


class ChartRunner:
    """Runs the chart for the controller: ``send`` takes a step with ``machine.transition``, the
    ``after`` timers run on the asyncio loop, and every step is checked against the invariants and
    logged. (The seam to the actor runtime: see the module docstring.)"""

    def __init__(self, chart: Model, journal: Path | None = None) -> None:
        self.model = chart
        self.snapshot: Snapshot = chart.initial_states()[0]
        self.log: list[Step] = []
        self.violations: list[tuple[int, str]] = []
        self.changed = asyncio.Event()
        self._timers: dict[PendingSend, asyncio.TimerHandle] = {}
        self.journal = journal
        self.restored = 0
        if journal is not None and journal.exists():
            self._restore(journal)

    def _restore(self, journal: Path) -> None:
        """Re-run the journal's events through the chart (checked as `replay` checks a log)."""
        events = []
        lines = journal.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
                events.append(Event(record["event"], record.get("data") or {}))
            except (ValueError, KeyError, TypeError) as exc:
                if number == len(lines):
                    break  # a last line cut short by a crash: nothing acted on that step yet
                raise ValueError(f"{journal}:{number}: not a journal record ({exc})") from exc
        for event in events:
            after = self.model.machine.transition(self.snapshot, event)
            if after == self.snapshot:
                raise ValueError(f"{journal}: step {len(self.log) + 1} ({event!r}) is not a step of the chart")
            self.snapshot = after
            self.log.append(Step(event, after))
        self.restored = len(self.log)

    def send(self, event: Event) -> bool:
        """Take one step; ``False`` (and nothing logged) when the chart ignores the event."""
        before = self.snapshot
        after = self.model.machine.transition(before, event)
        if after == before:
            return False
        self.snapshot = after
        self.log.append(Step(event, after))
        if self.journal is not None:
            with self.journal.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"event": event.name, "data": dict(event.data or {})}) + "\n")
                out.flush()
                os.fsync(out.fileno())
        self.violations += [(len(self.log), name) for name, holds in self.model.invariants.items() if not holds(after)]
        resent = {e.action.id for e in after.effects if isinstance(e.action, Send)}  # re-entered timers restart
        self._reschedule(before.pending, after.pending, resent)
        self.changed.set()
        return True

    def _reschedule(self, before: tuple[PendingSend, ...], after: tuple[PendingSend, ...],
                    resent: set[str | None] | frozenset[str | None] = frozenset()) -> None:
        restarted = {p for p in after if p.id in resent}
        for gone in (set(before) - set(after)) | restarted:
            handle = self._timers.pop(gone, None)
            if handle is not None:
                handle.cancel()
        loop = asyncio.get_running_loop()
        for new in (set(after) - set(before)) | restarted:
            self._timers[new] = loop.call_later(new.delay / 1000, self._fire, new)

    def _fire(self, pending: PendingSend) -> None:
        self._timers.pop(pending, None)
        if pending in self.snapshot.pending:
            self.send(pending.event)

    def start_timers(self) -> None:
        """Schedule the restored snapshot's timers (anew, with their full delays)."""
        self._reschedule((), self.snapshot.pending)

    def close(self) -> None:
        """Cancel every timer."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()


@dataclass
class Outcome:
    """How a deployment ended, with its log and what runtime verification saw."""

    deployment: str
    allocs: tuple[int, ...]
    log: list[Step]
    violations: list[tuple[int, str]]
    reconnects: int
    unreachable: list[int] = field(default_factory=list)
    stuck: list[int] = field(default_factory=list)


class Controller:
    """One deployment of ``version`` to the agents at ``addresses`` (``(host, port)``, node order)."""

    def __init__(self, addresses: Sequence[tuple[str, int]], version: int, *, max_parallel: int = 1, canary: int = 0,
                 auto_revert: bool = True, auto_promote: bool = False, promote: bool = True,
                 min_healthy_time: int = 100, healthy_deadline: int = 3000, progress_deadline: int = 10_000,
                 poll: float = 0.02, timeout: float = 0.5, retries: int = 4, journal: Path | None = None) -> None:
        self.version, self.promote, self.poll = version, promote, poll
        self.nodes = len(addresses)
        self.chart = rolling_update.model(
            nodes=self.nodes, max_parallel=max_parallel, canary=canary, auto_revert=auto_revert,
            auto_promote=auto_promote, min_healthy_time=min_healthy_time, healthy_deadline=healthy_deadline,
            progress_deadline=progress_deadline, versions=(version,))
        self.clients = [AgentClient(host, port, timeout=timeout, retries=retries) for host, port in addresses]
        self.unreachable: list[int] = []
        self.stuck: list[int] = []  # unreachable while stopping: the chart has no event for that
        self.runner = ChartRunner(self.chart, journal)

    def alloc_state(self, n: int) -> str:
        return View.of(self.runner.snapshot, self.nodes).allocs[n - 1]

    async def run(self) -> Outcome:
        """Deploy, wait until the deployment is at rest with nothing in transition, report."""
        runner = self.runner
        tasks: dict[int, asyncio.Task[None]] = {}
        try:
            if runner.restored:  # resume: the replacements in flight go on where they were
                runner.start_timers()
                for n in range(1, self.nodes + 1):
                    if self.alloc_state(n) in IN_TRANSITION:
                        tasks[n] = asyncio.create_task(self.replace(n))
            else:
                await self.preflight()
                runner.send(Event("DEPLOY", version=self.version))
                runner.send(Event("EVALUATE"))
            while True:
                view = View.of(runner.snapshot, self.nodes)
                if view.deployment in AT_REST and not view.count(*IN_TRANSITION) or self.stuck:
                    break
                if view.deployment == "paused" and self.promote:
                    runner.send(Event("PROMOTE"))
                for n in range(1, self.nodes + 1):
                    if n not in tasks or tasks[n].done():
                        if runner.send(Event("PLACE", n=n)):
                            tasks[n] = asyncio.create_task(self.replace(n))
                runner.changed.clear()
                try:
                    await asyncio.wait_for(runner.changed.wait(), self.poll * 5)
                except TimeoutError:
                    pass
            await asyncio.gather(*tasks.values())
        finally:
            for task in tasks.values():
                task.cancel()
            runner.close()
            for client in self.clients:
                await client.close()
        s = runner.snapshot
        return Outcome(View.of(s, self.nodes).deployment, tuple(s.context["allocs"]), runner.log, runner.violations,
                       sum(c.reconnects for c in self.clients), self.unreachable, self.stuck)

    async def preflight(self) -> None:
        """Every agent runs the chart's initial version (0) and is healthy, as the chart assumes."""
        for n, client in enumerate(self.clients, start=1):
            status = await client.request("status")
            if status.get("version") != 0 or status.get("state") != "running":
                raise AgentRefused(f"agent {n} ({client.host}:{client.port}) runs version {status.get('version')!r} "
                                   f"({status.get('state')}); a deployment starts from version 0 running everywhere")

    async def replace(self, n: int) -> None:
        """Allocation ``n``: stop, start the deployment's version, report health until it settles."""
        runner, client = self.runner, self.clients[n - 1]
        version, reverts = runner.snapshot.context["version"], runner.snapshot.context["reverts"]
        key = f"v{version}.r{reverts}.a{n}"
        try:
            if self.alloc_state(n) == "stopping":
                await self._must(client.request("stop", key=f"{key}.stop"))
                runner.send(Event("ALLOC_STOPPED", n=n))
            await self._must(client.request("start", version=version, key=f"{key}.start"))
            while self.alloc_state(n) in ("starting", "settling"):
                answer = await client.request("health")
                if answer.get("healthy") and self.alloc_state(n) == "starting":
                    runner.send(Event("ALLOC_HEALTHY", n=n))
                elif answer.get("state") == "unhealthy":
                    runner.send(Event("ALLOC_UNHEALTHY", n=n))
                await asyncio.sleep(self.poll)
        except AgentUnreachable:
            self.unreachable.append(n)
            if not runner.send(Event("NODE_LOST", n=n)):
                self.stuck.append(n)

    @staticmethod
    async def _must(request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await request
        if not answer.get("ok"):
            raise AgentUnreachable(f"agent refused: {answer.get('error')}")
        return answer


def replay(chart: Model, log: Sequence[Step]) -> list[str]:
    """Re-run a controller's log through the pure chart: every logged step must be the chart's own
    step from the state before, and every invariant must hold after it. The problems found
    (an empty list: the log is a behaviour of the model)."""
    problems: list[str] = []
    s = chart.initial_states()[0]
    for i, step in enumerate(log, start=1):
        after = chart.machine.transition(s, step.event)
        if after == s:
            problems.append(f"step {i}: {step.event!r} is not enabled in {s.value}")
        elif after != step.snapshot:
            problems.append(f"step {i}: {step.event!r} leads to {after.value}, the log says {step.snapshot.value}")
        problems += [f"step {i}: invariant {name} violated" for name, holds in chart.invariants.items()
                     if not holds(after)]
        s = after
    return problems


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv: Sequence[str] | None = None, out: Callable[[str], Any] = print) -> int:
    """Run one deployment from the command line; exit 0 when it ends successful."""
    parser = argparse.ArgumentParser(prog="python -m machines.rolling_controller",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agent", type=_address, action="append", required=True, help="HOST:PORT, one per node")
    parser.add_argument("--version", type=int, required=True)
    parser.add_argument("--max-parallel", type=int, default=1)
    parser.add_argument("--canary", type=int, default=0)
    parser.add_argument("--no-auto-revert", dest="auto_revert", action="store_false")
    parser.add_argument("--min-healthy-time", type=int, default=100, help="milliseconds")
    parser.add_argument("--healthy-deadline", type=int, default=3000, help="milliseconds")
    parser.add_argument("--progress-deadline", type=int, default=10_000, help="milliseconds")
    parser.add_argument("--journal", type=Path, help="the deployment's event journal: resumed from when it exists")
    args = parser.parse_args(argv)
    controller = Controller(args.agent, args.version, max_parallel=args.max_parallel, canary=args.canary,
                            auto_revert=args.auto_revert, min_healthy_time=args.min_healthy_time,
                            healthy_deadline=args.healthy_deadline, progress_deadline=args.progress_deadline,
                            journal=args.journal)
    outcome = asyncio.run(controller.run())
    for step in outcome.log:
        out(json.dumps(step.to_json()))
    out(json.dumps({"deployment": outcome.deployment, "allocs": list(outcome.allocs),
                    "violations": outcome.violations, "reconnects": outcome.reconnects}))
    return 0 if outcome.deployment == "successful" and not outcome.violations else 1


if __name__ == "__main__":
    sys.exit(main())
