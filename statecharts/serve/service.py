"""`Service`: the durable asyncio actors of one machine, the checks on what a request may send,
runtime verification of the model's invariants, and the inspection records streamed to clients.

Nothing from a request is evaluated: an event is a name from the machine's alphabet and a JSON
object whose keys and value types must match the model's alphabet (when there is a model).

>>> import asyncio, os, tempfile
>>> from machines.counter import model
>>> from statecharts.store import SqliteStore
>>> service = Service(model(limit=3), SqliteStore(os.path.join(tempfile.mkdtemp(), "s.db")))
>>> service.parse_event({"type": "ADD", "by": "two"})
Traceback (most recent call last):
    ...
statecharts.errors.EventError: event 'ADD': 'by' is str; the alphabet sends int
>>> async def main():
...     await service.open("c1")
...     for body in ({"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}):
...         await service.send("c1", service.parse_event(body))
...     await service.close()
...     return service.violations[0]["invariant"], [e["type"] for e in service.violations[0]["events"]]
>>> asyncio.run(main())
('below limit', ['xstate.init', 'START', 'ADD', 'ADD'])
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from statecharts.check import Model
from statecharts.errors import EventError, StatechartError
from statecharts.event import Event
from statecharts.inspection import plain
from statecharts.serve.durability import GroupCommit
from statecharts.serve.violations import ViolationLog
from statecharts.state import Snapshot, restore
from statecharts.store.actor import DurableAsyncActor
from statecharts.store.base import Store

JSON_TYPES = {bool: "bool", int: "int", float: "float", str: "str", type(None): "null", list: "list", dict: "object"}


class ActorNotFound(StatechartError):
    """No actor with that id in the store."""


class NotDurable(StatechartError):
    """A committed step whose fsync failed: it may not survive a power loss, so it is not acknowledged."""


class ActorHalted(StatechartError):
    """The actor broke an invariant and the service halts on violations."""


def json_type(value: Any) -> str:
    """The JSON type name of a value (``bool`` is not ``int``).

    >>> json_type(True), json_type(3), json_type({"a": 1})
    ('bool', 'int', 'object')
    """
    return JSON_TYPES.get(type(value), type(value).__name__)


def event_shapes(model: Model) -> dict[str, dict[str, set[str]]]:
    """For each event name of the model's alphabet: its data keys and the JSON types each takes.

    >>> from machines.counter import model
    >>> event_shapes(model())["ADD"]
    {'by': {'int'}}
    """
    shapes: dict[str, dict[str, set[str]]] = {}
    for event in model.alphabet:
        shape = shapes.setdefault(event.name, {})
        if isinstance(event.data, Mapping):
            for key, value in event.data.items():
                shape.setdefault(str(key), set()).add(json_type(value))
    return shapes


class Service:
    """The actors of ``model`` (a `Model`, or a bare Machine) kept in ``store``."""

    def __init__(
        self, model: Model, store: Store, *, halt_on_violation: bool = False, group_commit: GroupCommit | None = None
    ) -> None:
        self.model = model
        self.machine = model.machine
        self.store = store
        self.halt_on_violation = halt_on_violation
        self.group_commit = group_commit
        self.shapes = event_shapes(model)
        self.actors: dict[str, DurableAsyncActor] = {}
        self.kept = ViolationLog(store)
        self.violations: list[dict[str, Any]] = self.kept.load()  # those of earlier runs too
        self.halted: set[str] = {v["actor"] for v in self.violations if v["halted"]}
        self.events_total = 0
        self.rejected_total = 0
        self.started = time.time()
        self._streams: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._sending: dict[str, asyncio.Lock] = {}

    # -- requests ---------------------------------------------------------------------------
    def parse_event(self, body: Any) -> Event:
        """The event a request body names, or `EventError` saying what is wrong with it."""
        if not isinstance(body, Mapping):
            raise EventError(f'the body must be a JSON object {{"type": NAME, ...data}}, not {json_type(body)}')
        name = body.get("type")
        if not isinstance(name, str) or not name:
            raise EventError('the body needs "type": the event\'s name (a non-empty string)')
        if name not in self.machine.events:
            raise EventError(
                f"event {name!r} is not in the alphabet of machine {self.machine.id!r} "
                f"(its events: {', '.join(self.machine.events)})"
            )
        data = {str(k): v for k, v in body.items() if k != "type"}
        shape = self.shapes.get(name)
        if shape is not None:
            missing = sorted(set(shape) - set(data))
            extra = sorted(set(data) - set(shape))
            if missing or extra:
                problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
                    [f"unexpected {', '.join(extra)}"] if extra else []
                )
                raise EventError(f"event {name!r}: {'; '.join(problems)} (it takes: {', '.join(shape) or 'no data'})")
            for key, types in shape.items():
                if json_type(data[key]) not in types:
                    raise EventError(
                        f"event {name!r}: {key!r} is {json_type(data[key])}; the alphabet sends "
                        f"{' or '.join(sorted(types))}"
                    )
        return Event(name, data or None)

    def parse_context(self, value: Any) -> dict[str, Any] | None:
        """The ``context`` of a create request: a JSON object over the machine's context keys, each
        value of the JSON type the initial context has there (any under a null; an int for a float)."""
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise EventError(f'"context" must be a JSON object, not {json_type(value)}')
        known = self.machine.initial_state().context
        unknown = sorted(str(k) for k in value if k not in known)
        if unknown:
            raise EventError(
                f'"context" has keys the machine\'s context lacks: {", ".join(unknown)} '
                f"(it has: {', '.join(map(str, known)) or 'none'})"
            )
        for key, given in value.items():
            expected = json_type(known[key])
            accepted = {expected, "int"} if expected == "float" else {expected}
            if known[key] is not None and json_type(given) not in accepted:
                raise EventError(
                    f'"context": {key!r} is {json_type(given)}; the machine\'s context has {expected} there'
                )
        return dict(value)

    async def durable(self) -> None:
        """Return once every step committed so far is on disk (a no-op when each commit syncs)."""
        if self.group_commit is not None:
            try:
                await self.group_commit.barrier()
            except OSError as exc:
                raise NotDurable(
                    f"the step was committed but the disk did not confirm it ({exc}); "
                    "retry with the same Idempotency-Key"
                ) from exc

    async def create(self, actor_id: str, context: Mapping[str, Any] | None = None) -> tuple[DurableAsyncActor, bool]:
        """`open`, answered once the new actor's start is on disk."""
        actor, new = await self.open(actor_id, context)
        await self.durable()
        return actor, new

    async def open(self, actor_id: str, context: Mapping[str, Any] | None = None) -> tuple[DurableAsyncActor, bool]:
        """The running actor ``actor_id``: loaded from the store or created; ``True`` when new."""
        lock = self._opening.setdefault(actor_id, asyncio.Lock())
        async with lock:
            actor = self.actors.get(actor_id)
            if actor is not None:
                return actor, False
            new = actor_id not in self.store.actor_ids()
            started = self.machine.interpret_async(store=self.store, id=actor_id, context=context)
            assert isinstance(started, DurableAsyncActor)
            started.inspect(lambda record: self._publish(actor_id, record))
            started.subscribe(lambda snapshot: self._verify(started, snapshot))
            await started.start()
            self.actors[actor_id] = started
            if not new:  # reopened from the store (e.g. after a restart): its snapshot is verified too
                self._verify(started, started.state)
            return started, new

    async def get(self, actor_id: str) -> DurableAsyncActor:
        """The actor, opened from the store when needed; `ActorNotFound` when the store has none."""
        if actor_id not in self.actors and actor_id not in self.store.actor_ids():
            raise ActorNotFound(f"no actor {actor_id!r} (create it with POST /actors)")
        actor, _ = await self.open(actor_id)
        return actor

    async def send(self, actor_id: str, event: Event, key: str | None = None) -> dict[str, Any]:
        """Process ``event`` and say what the API answers (`view`). With an idempotency ``key`` the
        answer is the snapshot and step committed with that key: a repeat applies nothing and gets
        the first reply again (``"repeated": true``). The answer comes once the step is on disk.
        One request per actor at a time: an event queued behind the one that halts the actor is
        refused, not applied."""
        actor = await self.get(actor_id)
        lock = self._sending.setdefault(actor_id, asyncio.Lock())
        async with lock:
            reply = None if key is None else self.stored_reply(actor, key, repeated=True)
            if reply is None:
                if actor_id in self.halted:
                    raise ActorHalted(f"actor {actor_id!r} is halted: it broke an invariant (see GET /violations)")
                if not actor.running:
                    raise ActorHalted(f"actor {actor_id!r} is {actor.status}: it takes no more events")
                await actor.send(event, idempotency_key=key)
                self.events_total += 1
                reply = self.stored_reply(actor, key, repeated=False) if key is not None else None
                reply = reply if reply is not None else self.view(actor)
        await self.durable()  # outside the lock: the actor's next event need not wait for the disk
        return reply

    def stored_reply(self, actor: DurableAsyncActor, key: str, repeated: bool) -> dict[str, Any] | None:
        """The view of the step committed with idempotency ``key`` (``None``: no such step)."""
        line = self.store.find_key(actor.id, key)
        if line is None:
            return None
        stored = json.loads(line)
        return {**self.view(actor, restore(self.machine, stored["snapshot"]), stored["seq"]), "repeated": repeated}

    def view(self, actor: DurableAsyncActor, state: Snapshot | None = None, seq: int | None = None) -> dict[str, Any]:
        """What the API says about an actor: its snapshot (the current one unless given), step
        number and enabled events."""
        state = actor.state if state is None else state
        return {
            "id": actor.id,
            "seq": actor.journal.seq if seq is None else seq,
            "value": plain(state.value),
            "configuration": [n.id for n in state.configuration_nodes],
            "context": plain(state.context),
            "status": state.status,
            "halted": actor.id in self.halted,
            "enabled": [e.name for e in state.enabled_events() if e.name in self.machine.events],
        }

    # -- runtime verification ---------------------------------------------------------------
    def _verify(self, actor: DurableAsyncActor, snapshot: Snapshot) -> None:
        actor_id = actor.id
        for name, predicate in self.model.invariants.items():
            try:
                holds = bool(predicate(snapshot))
                note = ""
            except Exception as exc:  # noqa: BLE001 - an invariant that raises does not hold
                holds, note = False, f"{type(exc).__name__}: {exc}"
            if holds:
                continue
            seq = actor.journal.seq
            lines = actor.journal.lines()
            violation = {
                "actor": actor_id,
                "invariant": name,
                "seq": seq,
                "note": note,
                "value": plain(snapshot.value),
                "context": plain(snapshot.context),
                "events": [dict(line["event"]) for line in lines if line["seq"] <= seq],
            }
            halt = self.halt_on_violation
            if self.kept.add(violation, halted=halt):
                self.violations.append({**violation, "halted": halt})
                self._publish(actor_id, {"kind": "violation", "actor": actor_id, **violation, "halted": halt})
            elif halt:  # kept by an earlier run that did not halt on violations
                for known in self.violations:
                    if (known["actor"], known["seq"], known["invariant"]) == (actor_id, seq, name):
                        known["halted"] = True
            if halt:
                self.halted.add(actor_id)

    # -- streams ----------------------------------------------------------------------------
    def listen(self, actor_id: str) -> asyncio.Queue[dict[str, Any]]:
        """A queue that receives the actor's inspection records from now on (`unlisten` to stop)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._streams.setdefault(actor_id, set()).add(queue)
        return queue

    def unlisten(self, actor_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop feeding ``queue``."""
        self._streams.get(actor_id, set()).discard(queue)

    def _publish(self, actor_id: str, record: dict[str, Any]) -> None:
        for queue in list(self._streams.get(actor_id, ())):
            if not queue.full():  # a client that does not read loses records, not the service
                queue.put_nowait(record)

    def metrics(self) -> str:
        """Counters in the Prometheus text format."""
        by_invariant: dict[str, int] = {}
        for v in self.violations:
            by_invariant[v["invariant"]] = by_invariant.get(v["invariant"], 0) + 1
        lines = [
            "# HELP statecharts_events_total Events processed by the service's actors.",
            "# TYPE statecharts_events_total counter",
            f"statecharts_events_total {self.events_total}",
            "# HELP statecharts_rejected_total Requests refused (bad input, halted actors).",
            "# TYPE statecharts_rejected_total counter",
            f"statecharts_rejected_total {self.rejected_total}",
            "# HELP statecharts_actors Actors running in this process.",
            "# TYPE statecharts_actors gauge",
            f"statecharts_actors {len(self.actors)}",
            "# HELP statecharts_invariant_violations_total Invariant violations seen after a macrostep.",
            "# TYPE statecharts_invariant_violations_total counter",
            f"statecharts_invariant_violations_total {len(self.violations)}",
        ]
        for name in self.model.invariants:
            label = name.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'statecharts_invariant_violations_total{{invariant="{label}"}} {by_invariant.get(name, 0)}')
        return "\n".join(lines) + "\n"

    async def close(self) -> None:
        """Stop every actor (their leases are given back; the store keeps them)."""
        for actor in list(self.actors.values()):
            await actor.stop()
        self.actors.clear()
