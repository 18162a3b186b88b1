"""The rolling-update controller: durable `machines.rolling_update` actors driven by node agents over TCP.

Each deployment is one durable actor of the chart (``machine.interpret_async(store=..., id=...)``,
through `statecharts.serve.service.Service`): every step is committed to the store (SQLite or
PostgreSQL) before the controller acts on it, and checked against the model's invariants
(runtime verification: a broken invariant is in ``service.violations``, on ``GET /violations``
and in the actor's live stream).

The controller talks to one `machines.rolling_agent` per node (JSON lines over asyncio streams)
and turns their answers into the chart's events: it ``EVALUATE``s a ``pending`` deployment once
every agent runs what the actor's ``allocs`` say, ``PLACE``s the lowest allocation the chart lets
it, tells that node's agent to ``stop`` (then ``ALLOC_STOPPED``) and ``start`` the deployment's
version, and polls the agent's health (``ALLOC_HEALTHY`` / ``ALLOC_UNHEALTHY``; an agent
unreachable after its retries is ``NODE_LOST``; unreachable while its allocation is still
``stopping``, for which the chart has no event, it stops driving the deployment with the node
reported ``stuck``). The chart decides everything else: the actor runs its ``after`` timers
(``min_healthy_time``, ``healthy_deadline``, ``progress_deadline``) on the asyncio loop, and
``auto_revert`` sends the controller back to the agents with the stable version. The controller
sends only events the chart takes (it asks the pure chart first), so the stored log holds steps,
not polls.

Requests have a timeout; a failed request is retried with exponential backoff on a fresh
connection (a hung, slow or dropped agent is reconnected). Instructions carry an idempotency key
(``v<version>.r<reverts>.a<n>.stop|start``), so a retried ``stop``/``start`` is applied once by the
agent.

Durability: a controller restarted on the same store (after SIGKILL, say) reopens each
deployment's actor (the store gives the lease of a dead process back), whose timers restart with
their full delays, and resumes each allocation in transition: a ``stop``/``start`` it sends again
carries the same idempotency key, so no agent applies an instruction twice.

Four commands (``python -m machines.rolling_controller COMMAND --help``):

- ``serve --agent HOST:PORT ... --store sqlite:///rolling.db``: the `statecharts serve` application
  (JSON API, SSE stream, the inspector at ``/``) with the controller running inside it: a
  deployment is an actor created with ``POST /actors`` and started with a ``DEPLOY`` event; the
  controller drives every deployment that is under way, one at a time, and on start resumes those
  the store holds.
- ``submit --url http://127.0.0.1:8000 --id web-1 --version 1``: create a deployment on a running
  ``serve``, send its ``DEPLOY`` and watch its stream until it is at rest (exit 0 when successful).
- ``log --url http://127.0.0.1:8000 --id web-1 > web-1.jsonl``: the deployment's stored event log,
  as JSON lines; it says on stderr the ``check --replay`` command with the controller's knobs.
- ``run --agent HOST:PORT ... --version 1 --store URL --id ID``: one deployment without HTTP; it
  resumes the deployment when the store has it, prints a JSON summary and, with ``--log FILE``,
  writes the stored event log, which ``python -m statecharts check machines/rolling_update.py -p
  nodes=N ... --replay FILE`` replays (the knobs given as ``-p``, as the controller was given them).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from machines import rolling_update
from machines.rolling_update import AT_REST, IN_TRANSITION, View
from statecharts import Event, Snapshot
from statecharts.check import Model
from statecharts.errors import StatechartError
from statecharts.serve.service import Service
from statecharts.store import open_store
from statecharts.store.actor import DurableAsyncActor
from statecharts.store.base import Store


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
        raise AgentUnreachable(
            f"agent {self.host}:{self.port}: no answer to {op!r} after {self.retries + 1} "
            f"tries ({type(last).__name__}: {last})"
        )

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


@dataclass(frozen=True)
class Knobs:
    """The ``update`` stanza the controller runs deployments with (times in milliseconds); the
    chart's ``nodes`` is the number of agents."""

    max_parallel: int = 1
    canary: int = 0
    auto_revert: bool = True
    auto_promote: bool = False
    min_healthy_time: int = 100
    healthy_deadline: int = 3000
    progress_deadline: int = 10_000
    versions: int = 3  # a DEPLOY may name 1 .. versions

    def model(self, nodes: int) -> Model:
        """The chart's model for ``nodes`` agents.

        >>> Knobs(max_parallel=2).model(5).name
        'rolling_update(nodes=5, max_parallel=2, canary=0, auto_revert=True, auto_promote=False)'
        """
        return rolling_update.model(
            nodes=nodes,
            max_parallel=self.max_parallel,
            canary=self.canary,
            auto_revert=self.auto_revert,
            auto_promote=self.auto_promote,
            min_healthy_time=self.min_healthy_time,
            healthy_deadline=self.healthy_deadline,
            progress_deadline=self.progress_deadline,
            versions=self.versions,
        )

    def params(self, nodes: int) -> list[str]:
        """The ``-p NAME=VALUE`` arguments that give ``check`` the same model (for ``--replay``).

        >>> Knobs().params(2)[:4]
        ['-p', 'nodes=2', '-p', 'max_parallel=1']
        """
        values = {
            "nodes": nodes,
            "max_parallel": self.max_parallel,
            "canary": self.canary,
            "auto_revert": self.auto_revert,
            "auto_promote": self.auto_promote,
            "min_healthy_time": self.min_healthy_time,
            "healthy_deadline": self.healthy_deadline,
            "progress_deadline": self.progress_deadline,
            "versions": self.versions,
        }
        return [a for name, value in values.items() for a in ("-p", f"{name}={json.dumps(value)}")]


@dataclass
class Outcome:
    """How a deployment ended: its state, the stored event log, what runtime verification saw."""

    deployment: str
    allocs: tuple[int, ...]
    lines: list[dict[str, Any]]
    violations: list[tuple[int, str]]
    reconnects: int
    unreachable: list[int] = field(default_factory=list)
    stuck: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "allocs": list(self.allocs),
            "violations": self.violations,
            "reconnects": self.reconnects,
            "unreachable": self.unreachable,
            "stuck": self.stuck,
            "steps": len(self.lines),
        }


def under_way(s: Snapshot, nodes: int) -> bool:
    """The deployment needs the controller: it is not at rest, or an allocation is in transition.

    >>> under_way(rolling_update.make(rolling_update.Knobs(nodes=2)).initial_state(), 2)
    False
    """
    view = View.of(s, nodes)
    return view.deployment not in AT_REST or view.count(*IN_TRANSITION) > 0


class Controller:
    """Drives the deployments (durable actors of ``service``) against the agents at ``addresses``
    (``(host, port)``, in node order)."""

    def __init__(
        self,
        addresses: Sequence[tuple[str, int]],
        service: Service,
        *,
        promote: bool = True,
        poll: float = 0.02,
        timeout: float = 0.5,
        retries: int = 4,
        say: Callable[[str], Any] | None = None,
    ) -> None:
        self.service = service
        self.machine = service.machine
        self.nodes = len(addresses)
        self.promote, self.poll = promote, poll
        self.clients = [AgentClient(host, port, timeout=timeout, retries=retries) for host, port in addresses]
        self.unreachable: list[int] = []
        self.stuck: list[int] = []  # unreachable while stopping: the chart has no event for that
        self.refused: dict[str, str] = {}  # deployments whose agents do not run what the actor says
        self.driving: str | None = None  # the deployment being driven
        self._problems: dict[str, str] = {}  # the last problem reported per deployment
        self.say = say or (lambda message: None)
        self.knobs: Knobs | None = None  # what the service's model was made of (`open`): for the replay command

    @classmethod
    def open(
        cls, addresses: Sequence[tuple[str, int]], store: Store, knobs: Knobs | None = None, **options: Any
    ) -> Controller:
        """A controller with its own `Service` of the chart for ``knobs`` over ``store``."""
        knobs = knobs or Knobs()
        controller = cls(addresses, Service(knobs.model(len(addresses)), store), **options)
        controller.knobs = knobs
        return controller

    # -- deployments ----------------------------------------------------------------------------
    async def deploy(self, deployment_id: str, version: int) -> Outcome:
        """Run deployment ``deployment_id`` of ``version`` to rest: start it (``DEPLOY``) when its
        actor is new or idle, else resume it from the store."""
        actor, _ = await self.service.open(deployment_id)
        if View.of(actor.state, self.nodes).deployment == "idle":
            await self.preflight(actor.state)
            await self.send(actor, Event("DEPLOY", version=version))
        return await self.drive(actor)

    async def watch(self) -> None:
        """Drive every deployment under way, one at a time, until cancelled (`watch_once`, again and again)."""
        while True:
            await self.watch_once()
            await asyncio.sleep(self.poll * 5)

    async def watch_once(self) -> None:
        """One round over the store's deployments: open each (a restarted controller resumes those
        under way) and drive those under way to rest. A deployment that cannot be opened or driven
        now (its lease still held, an agent unreachable) is reported and tried again next round;
        one whose agents do not run what its actor says is refused for good."""
        for deployment_id in self.service.store.actor_ids():
            if deployment_id in self.refused:
                continue
            try:
                actor = await self.service.get(deployment_id)
                if actor.running and under_way(actor.state, self.nodes):
                    outcome = await self.drive(actor)
                    self.say(f"{deployment_id}: {json.dumps(outcome.to_json())}")
                self._problems.pop(deployment_id, None)
            except AgentRefused as exc:
                self.refused[deployment_id] = str(exc)
                self.say(f"{deployment_id}: refused: {exc}")
            except (StatechartError, OSError) as exc:  # LeaseError, AgentUnreachable, ...
                message = f"{type(exc).__name__}: {exc}"
                if self._problems.get(deployment_id) != message:
                    self.say(f"{deployment_id}: {message} (trying again)")
                self._problems[deployment_id] = message

    async def drive(self, actor: DurableAsyncActor) -> Outcome:
        """Drive one deployment until it is at rest with nothing in transition (or a node is stuck)."""
        tasks: dict[int, asyncio.Task[None]] = {}
        changed = asyncio.Event()
        unsubscribe = actor.subscribe(lambda s: changed.set())
        self.stuck, self.unreachable = [], []
        self.driving = actor.id
        try:
            for n in range(1, self.nodes + 1):  # resumed: the replacements in flight go on where they were
                if self.alloc_state(actor, n) in IN_TRANSITION:
                    tasks[n] = asyncio.create_task(self.replace(actor, n))
            while actor.running and under_way(actor.state, self.nodes) and not self.stuck:
                phase = View.of(actor.state, self.nodes).deployment
                if phase == "pending":
                    await self.preflight(actor.state)
                    await self.send(actor, Event("EVALUATE"))
                if phase == "paused" and self.promote:
                    await self.send(actor, Event("PROMOTE"))
                for n in range(1, self.nodes + 1):
                    if (n not in tasks or tasks[n].done()) and await self.send(actor, Event("PLACE", n=n)):
                        tasks[n] = asyncio.create_task(self.replace(actor, n))
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), self.poll * 5)
                except TimeoutError:
                    pass
            await asyncio.gather(*tasks.values())
        finally:
            unsubscribe()
            self.driving = None
            for task in tasks.values():
                task.cancel()
        s = actor.state
        violations = [(v["seq"], v["invariant"]) for v in self.service.violations if v["actor"] == actor.id]
        return Outcome(
            View.of(s, self.nodes).deployment,
            tuple(s.context["allocs"]),
            actor.journal.lines(),
            violations,
            sum(c.reconnects for c in self.clients),
            list(self.unreachable),
            list(self.stuck),
        )

    async def send(self, actor: DurableAsyncActor, event: Event) -> bool:
        """Send ``event`` to the actor when the chart takes it (a step is committed and verified);
        ``False``, and nothing stored, when the chart would ignore it."""
        if not actor.running or self.machine.transition(actor.state, event) == actor.state:
            return False
        await self.service.send(actor.id, event)
        return True

    def alloc_state(self, actor: DurableAsyncActor, n: int) -> str:
        return View.of(actor.state, self.nodes).allocs[n - 1]

    async def preflight(self, s: Snapshot) -> None:
        """Every agent runs the version the deployment's ``allocs`` say and is healthy, as the chart assumes."""
        for n, client in enumerate(self.clients, start=1):
            status = await client.request("status")
            expected = s.context["allocs"][n - 1]
            if status.get("version") != expected or status.get("state") != "running":
                raise AgentRefused(
                    f"agent {n} ({client.host}:{client.port}) runs version {status.get('version')!r} "
                    f"({status.get('state')}); the deployment expects version {expected} running"
                )

    async def replace(self, actor: DurableAsyncActor, n: int) -> None:
        """Allocation ``n``: stop, start the deployment's version, report health until it settles."""
        client = self.clients[n - 1]
        version, reverts = actor.state.context["version"], actor.state.context["reverts"]
        key = f"v{version}.r{reverts}.a{n}"
        try:
            if self.alloc_state(actor, n) == "stopping":
                await self._must(client.request("stop", key=f"{key}.stop"))
                await self.send(actor, Event("ALLOC_STOPPED", n=n))
            await self._must(client.request("start", version=version, key=f"{key}.start"))
            while actor.running and self.alloc_state(actor, n) in ("starting", "settling"):
                answer = await client.request("health")
                if answer.get("healthy"):
                    await self.send(actor, Event("ALLOC_HEALTHY", n=n))
                elif answer.get("state") == "unhealthy":
                    await self.send(actor, Event("ALLOC_UNHEALTHY", n=n))
                await asyncio.sleep(self.poll)
        except AgentUnreachable:
            self.unreachable.append(n)
            if not await self.send(actor, Event("NODE_LOST", n=n)):
                self.stuck.append(n)

    @staticmethod
    async def _must(request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await request
        if not answer.get("ok"):
            raise AgentUnreachable(f"agent refused: {answer.get('error')}")
        return answer

    async def close(self) -> None:
        """Stop the deployments' actors (their leases are given back) and close the connections."""
        await self.service.close()
        for client in self.clients:
            await client.close()


# -- serve: the controller inside the statecharts serve application ---------------------------------
def create_controller_app(controller: Controller, *, token: str | None = None) -> Any:
    """The `statecharts serve` application of the controller's service (its API, SSE stream and
    inspector, mounted at ``/``) with `Controller.watch` running for the application's lifetime,
    and ``GET /controller``: the agents, the deployment being driven and the refused ones."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Mount, Route

    from statecharts.render.dot import to_dot
    from statecharts.render.output import GraphvizNotFoundError, pipe
    from statecharts.serve.app import create_app

    try:
        diagram = pipe(to_dot(controller.machine), "svg").decode("utf-8")
    except GraphvizNotFoundError as exc:
        diagram = f"<p>{exc}</p>"
    inner = create_app(controller.service, token=token, diagram=diagram)

    async def status(request: Request) -> Response:
        if token is not None and not hmac.compare_digest(
            (
                request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                or request.query_params.get("token", "")
            ).encode(),
            token.encode(),
        ):
            return JSONResponse({"error": "missing or wrong token: send 'Authorization: Bearer TOKEN'"}, 401)
        return JSONResponse(
            {
                "agents": [f"{c.host}:{c.port}" for c in controller.clients],
                "driving": controller.driving,
                "refused": controller.refused,
                "check": [
                    "python",
                    "-m",
                    "statecharts",
                    "check",
                    "machines/rolling_update.py",
                    *controller.knobs.params(controller.nodes),
                ]
                if controller.knobs
                else None,
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(controller.watch())
        try:
            yield
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            await controller.close()

    return Starlette(routes=[Route("/controller", status), Mount("/", app=inner)], lifespan=lifespan)


# -- submit: a client of a running serve ---------------------------------------------------------------
def _request(url: str, body: Mapping[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{request.method} {url}: {exc.code} {exc.read().decode(errors='replace')}") from None
    except OSError as exc:
        raise SystemExit(
            f"{request.method} {url}: no controller answers there ({exc}); start one with "
            "'python -m machines.rolling_controller serve --agent HOST:PORT ...'"
        ) from None


def stream(url: str, token: str | None = None, timeout: float = 600.0) -> Iterator[tuple[str, dict[str, Any]]]:
    """The Server-Sent Events of ``url``: ``(event name, data)``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as answer:
        name = "message"
        for raw in answer:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith(": "):
                yield "keep-alive", {}
            elif line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                yield name, json.loads(line[len("data: ") :])
                name = "message"


def describe(value: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    """One line for a deployment's state (a state value and context as JSON data).

    >>> describe({"allocations": {"a1": "healthy", "a2": {"placed": "starting"}},
    ...           "deployment": {"running": "progressing"}}, {"version": 1, "allocs": [1, 1]})
    'running.progressing  a1=healthy a2=placed.starting  version=1 allocs=[1, 1]'
    """

    def name(v: Any) -> str:
        return v if isinstance(v, str) else ".".join([next(iter(v)), name(next(iter(v.values())))])

    allocs = " ".join(f"{a}={name(v)}" for a, v in value["allocations"].items())
    return f"{name(value['deployment'])}  {allocs}  version={context['version']} allocs={list(context['allocs'])}"


def at_rest(value: Mapping[str, Any]) -> bool:
    """A state value (JSON data) of a deployment at rest with nothing in transition.

    >>> at_rest({"allocations": {"a1": "healthy"}, "deployment": "successful"})
    True
    """
    deployment = value["deployment"]
    leaves = [v if isinstance(v, str) else next(iter(v)) for v in value["allocations"].values()]
    return (
        isinstance(deployment, str)
        and deployment in AT_REST
        and not any(leaf in ("stopping", "placed") for leaf in leaves)
    )


def submit(
    url: str, deployment_id: str, version: int, token: str | None = None, out: Callable[[str], Any] = print
) -> int:
    """Create deployment ``deployment_id`` on a running controller (or open it: a later version of
    the same job is another ``DEPLOY`` on its actor), send ``DEPLOY``, print each state it goes
    through until it is at rest: 0 when it ends successful, 1 when not, 2 when it did not start
    (under way already, a version the chart does not take, or refused by the controller)."""
    base = url.rstrip("/")
    _request(f"{base}/actors", {"id": deployment_id}, token)
    events = stream(f"{base}/actors/{deployment_id}/stream", token)
    name, hello = next(events)  # subscribed before DEPLOY: no step is missed
    if not at_rest(hello["value"]):
        out(f"deployment {deployment_id} is under way: {describe(hello['value'], hello['context'])}")
        return 2
    taken = _request(f"{base}/actors/{deployment_id}/events", {"type": "DEPLOY", "version": version}, token)
    if taken["context"]["version"] != version or at_rest(taken["value"]):
        out(
            f"deployment {deployment_id} did not take DEPLOY version {version}: the chart takes a version newer "
            f"than the latest ({taken['context']['latest']}) between deployments, up to the controller's --versions"
        )
        return 2
    last, started = "", False
    for name, data in events:
        if name == "keep-alive":
            refused = _request(f"{base}/controller", None, token)["refused"].get(deployment_id)
            if refused is not None:
                out(f"the controller refused deployment {deployment_id}: {refused}")
                return 2
        if name == "violation":
            out(f"VIOLATION {data['invariant']} at step {data['seq']}")
        if name != "snapshot":
            continue
        line = describe(data["value"], data["context"])
        if line != last:
            out(line)
            last = line
        if not at_rest(data["value"]):
            started = True
        elif started:
            return 0 if data["value"]["deployment"] == "successful" else 1
    return 1


# -- the command line -----------------------------------------------------------------------------------
def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _store_url(text: str) -> str:
    return text if "://" in text else "sqlite:///" + text


def _knob_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", type=_address, action="append", required=True, help="HOST:PORT, one per node")
    parser.add_argument(
        "--store",
        type=_store_url,
        default="sqlite:///rolling.db",
        help="sqlite:///PATH, postgresql://..., or a file path for SQLite (default: rolling.db)",
    )
    parser.add_argument("--max-parallel", type=int, default=1)
    parser.add_argument("--canary", type=int, default=0)
    parser.add_argument("--no-auto-revert", dest="auto_revert", action="store_false")
    parser.add_argument("--auto-promote", action="store_true")
    parser.add_argument("--min-healthy-time", type=int, default=100, help="milliseconds")
    parser.add_argument("--healthy-deadline", type=int, default=3000, help="milliseconds")
    parser.add_argument("--progress-deadline", type=int, default=10_000, help="milliseconds")
    parser.add_argument(
        "--versions",
        type=int,
        default=3,
        help="a DEPLOY may name versions 1 .. VERSIONS (the model's alphabet; default 3)",
    )


def _knobs(args: argparse.Namespace) -> Knobs:
    return Knobs(
        args.max_parallel,
        args.canary,
        args.auto_revert,
        args.auto_promote,
        args.min_healthy_time,
        args.healthy_deadline,
        args.progress_deadline,
        args.versions,
    )


def main(argv: Sequence[str] | None = None, out: Callable[[str], Any] = print) -> int:
    """``serve``, ``submit`` or ``run`` (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m machines.rolling_controller", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="the controller inside the statecharts serve app (API, inspector)")
    _knob_arguments(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN' on every request")
    serve.add_argument(
        "--manual-promote",
        dest="promote",
        action="store_false",
        help="leave a paused canary deployment to the operator (send PROMOTE through the API or the "
        "inspector); by default the controller promotes it",
    )
    run = commands.add_parser("run", help="run (or resume) one deployment to rest, without HTTP")
    _knob_arguments(run)
    run.add_argument("--id", required=True, help="the deployment's actor id in the store")
    run.add_argument("--version", type=int, required=True)
    run.add_argument("--log", type=Path, help="write the deployment's stored event log here (JSON lines)")
    sub = commands.add_parser("submit", help="create a deployment on a running serve, DEPLOY it and watch it")
    sub.add_argument("--url", default="http://127.0.0.1:8000")
    sub.add_argument("--id", required=True, help="the deployment's actor id")
    sub.add_argument("--version", type=int, required=True)
    sub.add_argument("--token", default=None)
    log = commands.add_parser("log", help="print a deployment's stored event log (JSON lines) from a running serve")
    log.add_argument("--url", default="http://127.0.0.1:8000")
    log.add_argument("--id", required=True, help="the deployment's actor id")
    log.add_argument("--token", default=None)
    args = parser.parse_args(argv)
    if args.command == "log":
        base = args.url.rstrip("/")
        for line in _request(f"{base}/actors/{args.id}/events", None, args.token)["lines"]:
            out(json.dumps(line, sort_keys=True))
        command = _request(f"{base}/controller", None, args.token)["check"]
        if command:
            print(f"replay it: {' '.join(command)} --replay FILE", file=sys.stderr)
        return 0
    if args.command == "submit":
        return submit(args.url, args.id, args.version, args.token, out)
    if args.command == "serve":
        import uvicorn

        from statecharts.cli.serve import loopback

        if not loopback(args.host) and not args.token:
            parser.error(f"--host {args.host} is not loopback: give --token TOKEN")
        controller = Controller.open(
            args.agent,
            open_store(args.store),
            _knobs(args),
            promote=args.promote,
            say=lambda line: print(line, file=sys.stderr, flush=True),
        )
        app = create_controller_app(controller, token=args.token)
        print(
            f"controller of {len(args.agent)} agents on http://{args.host}:{args.port}/ (inspector at /)",
            file=sys.stderr,
            flush=True,
        )
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)
        return 0

    async def one() -> Outcome:
        controller = Controller.open(args.agent, open_store(args.store), _knobs(args))
        try:
            return await controller.deploy(args.id, args.version)
        finally:
            await controller.close()

    outcome = asyncio.run(one())
    if args.log is not None:
        args.log.write_text(
            "".join(json.dumps(line, sort_keys=True) + "\n" for line in outcome.lines), encoding="utf-8"
        )
    out(json.dumps(outcome.to_json()))
    return 0 if outcome.deployment == "successful" and not outcome.violations else 1


if __name__ == "__main__":
    sys.exit(main())
