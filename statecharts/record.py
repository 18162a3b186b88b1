"""The persisted record of a running actor: a snapshot plus what the runtime holds beside it.

A `Snapshot` is a pure value (what the walker compares); a running actor also has timers that
fall due at a moment of its clock, invoked services that are running, events in its mailbox and
child actors. `ActorRecord` carries all of that, so restoring loses nothing:

- ``timers``: for each pending delayed send, by its index in ``snapshot.pending``, its **due
  time** on the actor's clock (milliseconds; `RealClock` reads the wall clock, so the time that
  passed while the process was down counts). Restored, a timer waits only for what remained; one
  already due fires at once, in due order.
- ``invocations``: the invoke ids whose services were running; restoring restarts them.
- ``mailbox``: events delivered to the actor but not processed yet (its own sends without delay).
- ``children``: each running child actor's record under its id, recursively (both runtimes fill
  it: the asyncio actor and the threaded interpreter). A child's record is a record of its
  own machine plus ``"src"``: the name in the parent's ``services=`` it was spawned from (an
  invoked child is found by its invoke id). A spawned child that had not started yet when the
  record was taken has ``"snapshot": null`` and its ``"input"``: restoring starts it afresh.

JSON form, format version ``RECORD_VERSION`` (2)::

    {"format": "statecharts.actor", "version": 2, "machine": "order",
     "snapshot": {... Snapshot.to_json() ...},
     "timers": [{"pending": 0, "due": 1733462400123.0}],
     "invocations": ["order.charge"],
     "mailbox": [{"type": "PING", "data": {...}}],
     "children": {"child-id": {"src": "worker", ... a record of the child's machine ...}}}

Version 1 had the same keys with ``children`` always empty (no runtime filled it); it is read as
it is. Any other version is a `SnapshotError` naming it.

>>> from statecharts import Machine, VirtualClock
>>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {100: "b"}}, "b": {}}})
>>> clock = VirtualClock()
>>> actor = m.interpret(clock=clock).start()
>>> clock.advance(70)
>>> data = actor.record().to_json()
>>> data["timers"], data["version"]
([{'pending': 0, 'due': 100.0}], 2)
>>> ActorRecord.from_json(m, data).snapshot == actor.state
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statecharts.errors import SnapshotError
from statecharts.event import Event
from statecharts.state import Snapshot, decode, encode, restore

if TYPE_CHECKING:
    from statecharts.machine import Machine

RECORD_FORMAT = "statecharts.actor"
RECORD_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: children never filled; otherwise the same


@dataclass(frozen=True)
class ActorRecord:
    """A snapshot with its timers' due times, running invocations, mailbox and children.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
    >>> ActorRecord(m.initial_state()).to_json()["snapshot"]["configuration"]
    ['m', 'm.a']
    """

    snapshot: Snapshot
    timers: Mapping[int, float] = field(default_factory=dict)
    invocations: tuple[str, ...] = ()
    mailbox: tuple[Event, ...] = ()
    children: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    version: int = RECORD_VERSION  # the format version it was read from (to_json writes the current one)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data (see the module docstring for the format).

        >>> from statecharts import Event, Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> ActorRecord(m.initial_state(), mailbox=(Event("GO", n=1),)).to_json()["mailbox"]
        [{'type': 'GO', 'data': {'n': 1}}]
        """
        return {
            "format": RECORD_FORMAT,
            "version": RECORD_VERSION,
            "machine": self.snapshot.machine.id,
            "snapshot": self.snapshot.to_json(),
            "timers": [{"pending": i, "due": due} for i, due in sorted(self.timers.items())],
            "invocations": list(self.invocations),
            "mailbox": [event_to_json(e) for e in self.mailbox],
            "children": {k: dict(v) for k, v in self.children.items()},
        }

    def dumps(self) -> str:
        """The record as JSON text.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> ActorRecord(m.initial_state()).dumps()[:40]
        '{"children": {}, "format": "statecharts.'
        """
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(
        cls,
        machine: Machine,
        data: Mapping[str, Any] | str,
        child_machine: Callable[[str, Mapping[str, Any]], Machine] | None = None,
    ) -> ActorRecord:
        """Read a record of ``machine`` back; a record of another machine, of an unknown format
        version or malformed is a `SnapshotError` that names what is wrong. Children stay JSON
        (``children``) unless ``child_machine(child_id, child_data)`` names each child's machine
        (then they are checked by restoring them too).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> ActorRecord.from_json(m, {"format": "statecharts.actor", "version": 9, "machine": "m"})
        Traceback (most recent call last):
            ...
        statecharts.errors.SnapshotError: actor record format version 9 of machine 'm' is not known (this version ...
        >>> ActorRecord.from_json(m, {"format": "statecharts.actor", "version": 2, "machine": "shop"})
        Traceback (most recent call last):
            ...
        statecharts.errors.SnapshotError: actor record of machine 'shop' cannot be restored into 'm'
        """
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise SnapshotError(f"actor record JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        if not isinstance(data, Mapping) or data.get("format") != RECORD_FORMAT:
            raise SnapshotError(
                f'an actor record is a JSON object with "format": {RECORD_FORMAT!r}, not {_describe(data)}'
            )
        if data.get("machine") != machine.id:
            raise SnapshotError(
                f"actor record of machine {data.get('machine')!r} cannot be restored into {machine.id!r}"
            )
        if data.get("version") not in READABLE_VERSIONS:
            raise SnapshotError(
                f"actor record format version {data.get('version')!r} of machine "
                f"{data.get('machine')!r} is not known (this version of statecharts reads "
                f"versions {', '.join(map(str, READABLE_VERSIONS))})"
            )
        try:
            snapshot = restore(machine, data["snapshot"])
            timers = {int(t["pending"]): float(t["due"]) for t in data.get("timers", [])}
            invocations = tuple(str(i) for i in data.get("invocations", []))
            mailbox = tuple(event_from_json(e) for e in data.get("mailbox", []))
            children = {str(k): v for k, v in (data.get("children") or {}).items()}
        except KeyError as exc:
            raise SnapshotError(f"actor record of machine {machine.id!r}: missing key {exc.args[0]!r}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise SnapshotError(f"actor record of machine {machine.id!r} is malformed: {exc}") from exc
        for i in timers:
            if not 0 <= i < len(snapshot.pending) or snapshot.pending[i].delay <= 0:
                raise SnapshotError(
                    f"actor record of machine {machine.id!r}: timer {i} names no delayed "
                    f"pending send (the snapshot has {len(snapshot.pending)} pending)"
                )
        for invoke_id in invocations:
            if invoke_id not in machine.chart.invokes:
                raise SnapshotError(f"actor record of machine {machine.id!r}: no invocation {invoke_id!r}")
        if child_machine is not None:
            for child_id, child in children.items():
                if isinstance(child, Mapping) and child.get("snapshot") is None and "input" in child:
                    continue  # a spawned child that had not started: it starts afresh from its input
                ActorRecord.from_json(child_machine(child_id, child), child, child_machine)
        return cls(snapshot, timers, invocations, mailbox, children, int(data["version"]))


def event_to_json(event: Event) -> dict[str, Any]:
    """An event as ``{"type": name, "data": ...}`` (an exception in the data keeps its type name and
    message: it is what a failed service or action leaves in ``error.*`` events).

    >>> event_to_json(Event("error.execution", {"error": ValueError("bad")}))
    {'type': 'error.execution', 'data': {'error': {'__exception__': ['ValueError', 'bad']}}}
    """
    data = dict(event.data) if isinstance(event.data, Mapping) else event.data
    return {"type": event.name, "data": encode(_plain(data))}


def event_from_json(data: Mapping[str, Any]) -> Event:
    """Undo `event_to_json`.

    >>> event_from_json({"type": "GO", "data": {"n": {"__tuple__": [1, 2]}}})
    Event('GO', {'n': (1, 2)})
    >>> event_from_json({"type": "error.communication", "data": {"target": "#x", "event": "PING"}})
    Event('error.communication', {'target': '#x', 'event': 'PING'})
    >>> event_from_json({"type": "error.execution", "data": {"error": {"__exception__": ["ValueError", "bad"]}}})
    Event('error.execution', {'error': PersistedError('ValueError', 'bad')})
    """
    value = _unplain(decode(data.get("data")))
    return Event(data["type"], value)


class PersistedError(Exception):
    """An exception read back from a stored event: its type name and message (``str()`` gives the
    message, as the original's did, so a replayed guard or assign reading it sees the same text).

    >>> PersistedError("ValueError", "bad") == PersistedError("ValueError", "bad"), str(PersistedError("E", "bad"))
    (True, 'bad')
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(type_name, message)
        self.type_name = type_name
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PersistedError) and (self.type_name, self.message) == (other.type_name, other.message)

    def __hash__(self) -> int:
        return hash((self.type_name, self.message))

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"PersistedError({self.type_name!r}, {self.message!r})"


def _plain(value: Any) -> Any:
    if isinstance(value, PersistedError):
        return {"__exception__": [value.type_name, value.message]}
    if isinstance(value, BaseException):
        return {"__exception__": [type(value).__name__, str(value)]}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "__exception__" in value:
            type_name, message = value["__exception__"]
            return PersistedError(type_name, message)
        return {k: _unplain(v) for k, v in value.items()}
    return value


def _describe(data: Any) -> str:
    if isinstance(data, Mapping):
        return f"an object with format {data.get('format')!r}"
    return type(data).__name__
