"""A node agent for the rolling update: an asyncio TCP server speaking JSON lines.

One agent simulates one node running one allocation. It answers one JSON object per line with
one JSON object per line (the seed's asyncio-streams echo server, grown up):

=================================  ==============================================================
request                            answer
=================================  ==============================================================
``{"op": "status"}``               ``{"ok": true, "version": v, "state": s}``; ``s`` is
                                   ``running`` (healthy), ``stopped``, ``starting``, ``unhealthy``
``{"op": "stop", "key": k}``       stops the allocation; ``{"ok": true, "state": "stopped"}``
``{"op": "start", "version": v,    starts version ``v``: ``starting`` for ``start_ms``, then
"key": k}``                        ``running`` or, for a failing version, ``unhealthy``
``{"op": "health"}``               ``{"ok": true, "healthy": bool, "state": s, "version": v}``
``{"op": "history"}``              ``{"ok": true, "history": [...]}``: every instruction received
``{"op": "fault", "mode": m,       the next answers misbehave: ``hang`` (act, never answer),
"count": c, "versions": [...]}``   ``slow`` (answer after ``delay_ms``), ``drop`` (close the
                                   connection instead of answering), for ``c`` requests
                                   (of the ``ops`` listed, default all but ``fault``);
                                   ``fail`` makes the listed versions come up unhealthy
=================================  ==============================================================

Every request carries an ``id`` that the answer echoes. ``stop`` and ``start`` are instructions:
the agent records each one it receives (duplicates included, each marked ``applied`` or not)
and applies a given ``key`` only once, answering a repeat with the first answer, so a controller
may retry an instruction safely.

Run one agent per process: ``python -m machines.rolling_agent --port 0 --node 1`` prints
``listening <port>`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

STATES = ("running", "stopped", "starting", "unhealthy")
FAULTS = ("none", "hang", "slow", "drop", "fail")
OPS = ("status", "stop", "start", "health", "history")  # the ops a fault can hit


@dataclass
class Agent:
    """One node's allocation and the agent's behaviour (all times in milliseconds)."""

    node: int
    version: int = 0
    start_ms: int = 50
    failing: set[int] = field(default_factory=set)
    state: str = "running"
    started_at: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    fault: str = "none"
    fault_count: int = 0
    fault_ops: tuple[str, ...] = ()
    delay_ms: int = 0

    def current_state(self) -> str:
        """The allocation's state now (``starting`` turns ``running`` or ``unhealthy`` after ``start_ms``)."""
        if self.state == "starting" and (time.monotonic() - self.started_at) * 1000 >= self.start_ms:
            self.state = "unhealthy" if self.version in self.failing else "running"
        return self.state

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request (faults are applied by the connection handler)."""
        op = request.get("op")
        if op in ("stop", "start"):
            entry = {k: v for k, v in request.items() if k != "id"}
            self.history.append(entry)
            key = request.get("key")
            entry["applied"] = not (isinstance(key, str) and key in self.applied)
            if isinstance(key, str) and key in self.applied:
                return self.applied[key]
            result = self._instruct(op, request)
            if isinstance(key, str) and result["ok"]:
                self.applied[key] = result
            return result
        if op == "status":
            return {"ok": True, "version": self.version, "state": self.current_state()}
        if op == "health":
            state = self.current_state()
            return {"ok": True, "healthy": state == "running", "state": state, "version": self.version}
        if op == "history":
            return {"ok": True, "history": self.history}
        if op == "fault":
            return self._set_fault(request)
        return {"ok": False, "error": f"unknown op {op!r}; expected one of status, stop, start, health, history, fault"}

    def _instruct(self, op: str, request: dict[str, Any]) -> dict[str, Any]:
        if op == "stop":
            self.state = "stopped"
            return {"ok": True, "state": "stopped", "version": self.version}
        version = request.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            return {"ok": False, "error": f"start needs an integer 'version', got {version!r}"}
        if self.current_state() not in ("stopped", "unhealthy"):
            return {"ok": False, "error": f"start: the allocation is {self.state}, stop it first"}
        self.version, self.state, self.started_at = version, "starting", time.monotonic()
        return {"ok": True, "state": "starting", "version": version}

    def _set_fault(self, request: dict[str, Any]) -> dict[str, Any]:
        mode = request.get("mode")
        if mode not in FAULTS:
            return {"ok": False, "error": f"fault mode must be one of {', '.join(FAULTS)}, not {mode!r}"}
        if mode == "fail":
            self.failing = {int(v) for v in request.get("versions", [])}
        else:
            ops = request.get("ops", list(OPS))
            if not isinstance(ops, list) or not set(ops) <= set(OPS):
                return {"ok": False, "error": f"fault ops must be a list drawn from {', '.join(OPS)}, not {ops!r}"}
            self.fault, self.fault_count, self.fault_ops = mode, int(request.get("count", 1)), tuple(ops)
            self.delay_ms = int(request.get("delay_ms", 0))
        return {"ok": True}


async def handle(agent: Agent, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Serve one connection: a JSON request per line, a JSON answer per line."""
    try:
        while line := await reader.readline():
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("a request is a JSON object")
            except ValueError as exc:
                writer.write(json.dumps({"ok": False, "error": f"bad request: {exc}"}).encode() + b"\n")
                await writer.drain()
                continue
            fault = agent.fault if agent.fault_count > 0 and request.get("op") in agent.fault_ops else "none"
            if fault != "none":
                agent.fault_count -= 1
            if fault == "drop":
                break
            if fault == "slow":
                await asyncio.sleep(agent.delay_ms / 1000)
            answer = agent.answer(request) | {"id": request.get("id")}
            if fault == "hang":
                continue  # the request took effect, its answer is lost
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(agent: Agent, host: str, port: int, ready: asyncio.Future[int] | None = None) -> None:
    """Run the agent's server until cancelled; ``ready`` gets the bound port."""
    server = await asyncio.start_server(lambda r, w: handle(agent, r, w), host, port)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready.set_result(bound)
    else:
        print(f"listening {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m machines.rolling_agent --port PORT --node N [--version V] [--fail-version V ...]``."""
    parser = argparse.ArgumentParser(prog="python -m machines.rolling_agent", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as 'listening PORT')")
    parser.add_argument("--node", type=int, required=True)
    parser.add_argument("--version", type=int, default=0, help="the version running at start")
    parser.add_argument("--start-ms", type=int, default=50, help="how long a new version takes to start")
    parser.add_argument(
        "--fail-version", type=int, action="append", default=[], help="a version that comes up unhealthy (repeatable)"
    )
    args = parser.parse_args(argv)
    agent = Agent(args.node, args.version, args.start_ms, set(args.fail_version))
    try:
        asyncio.run(serve(agent, args.host, args.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
