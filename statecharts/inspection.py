"""Inspection records: plain JSON-serialisable dicts, one per thing an actor system does.

Both runtimes write them, through `Inspection` (the asyncio `statecharts.runtime.ActorSystem` and
the threaded `statecharts.interpreter.ThreadedSystem` are one each): the same chart and events give
the same records under ``machine.interpret(inspect=...)`` and ``machine.interpret_async(inspect=...)``.

One record per line of JSON is the event-log format (`dumps` / `loads`). Every record has:

- ``seq``: int, strictly increasing across the whole actor system (starts at 1);
- ``kind``: one of `KINDS`;
- ``actor``: the id of the actor the record is about.

and, by kind:

- ``actor.created``: ``parent`` (id or null), ``src`` (the logic's id: a machine id or service name);
- ``event.received``: ``event`` (see `event_data`), ``source`` (the sender's actor id, or null
  for the application, a timer or a service);
- ``microstep``: ``event``, ``transitions`` (list of ``{"source": id, "targets": [ids],
  "events": [descriptors]}``), ``exited`` (state ids, in exit order), ``entered`` (state ids,
  in entry order);
- ``snapshot``: ``event``, ``value`` (the state value), ``context``, ``status``
  (``active`` | ``done`` | ``error`` | ``stopped``), ``output``;
- ``emitted``: ``event`` (what `statecharts.actions.emit` handed to listeners);
- ``actor.stopped``: ``status``.

``event`` is ``{"type": name, "data": value}``. Values are made JSON-ready by `plain` (mappings
become objects, tuples and sets lists, anything else its ``repr``). This module depends on nothing
but the standard library, so readers of the log need no runtime.

>>> recorder = Recorder()
>>> line = dumps(recorder.record("event.received", "light", event=event_data("GO", {"n": (1, 2)}), source=None))
>>> line
'{"seq": 1, "kind": "event.received", "actor": "light", "event": {"type": "GO", "data": {"n": [1, 2]}}, "source": null}'
>>> loads(line)["event"]["data"]
{'n': [1, 2]}
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

logger = logging.getLogger("statecharts")
Inspector = Callable[[dict[str, Any]], Any]

KINDS = ("actor.created", "event.received", "microstep", "snapshot", "emitted", "actor.stopped")


def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: mappings become dicts, tuples/lists/sets lists, the rest repr.

    >>> plain({"a": (1, frozenset({2})), "b": ValueError("x")})
    {'a': [1, [2]], 'b': "ValueError('x')"}
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    return repr(value)


def event_data(name: str, data: Any) -> dict[str, Any]:
    """An event as a record field: ``{"type": name, "data": plain(data)}``.

    >>> event_data("GO", None)
    {'type': 'GO', 'data': None}
    """
    return {"type": name, "data": plain(data)}


class Recorder:
    """Numbers records for one actor system: ``seq`` grows by one with every record.

    >>> r = Recorder()
    >>> [r.record("actor.stopped", "a", status="stopped")["seq"] for _ in range(3)]
    [1, 2, 3]
    """

    def __init__(self) -> None:
        self._seq = itertools.count(1)

    def record(self, kind: str, actor: str, **fields: Any) -> dict[str, Any]:
        """A record of ``kind`` about ``actor`` with the next sequence number.

        >>> Recorder().record("nope", "a")
        Traceback (most recent call last):
            ...
        ValueError: unknown inspection record kind 'nope' (one of actor.created, event.received, ...)
        """
        if kind not in KINDS:
            raise ValueError(f"unknown inspection record kind {kind!r} (one of {', '.join(KINDS)})")
        return {"seq": next(self._seq), "kind": kind, "actor": actor, **fields}


class Inspection:
    """The inspectors of one actor system and its `Recorder`: `record` numbers a record and hands it
    to each inspector, in ``seq`` order even when actors of the system run on several threads.

    >>> seen = []
    >>> inspection = Inspection(seen.append)
    >>> inspection.record("actor.created", "a", parent=None, src="m")
    >>> stop = inspection.inspect(lambda r: seen.append(r["seq"]))
    >>> inspection.record("actor.stopped", "a", status="done")
    >>> stop(); [r if isinstance(r, int) else r["kind"] for r in seen]
    ['actor.created', 'actor.stopped', 2]
    """

    def __init__(self, inspect: Inspector | None = None) -> None:
        self._recorder = Recorder()
        self._inspectors: list[Inspector] = [inspect] if inspect is not None else []
        self._recording = threading.RLock()

    def inspect(self, callback: Inspector) -> Callable[[], None]:
        """Call ``callback(record)`` with every inspection record of every actor of the system
        (the schema is this module's docstring); returns the function that stops it."""
        self._inspectors.append(callback)
        return functools.partial(_discard, self._inspectors, callback)

    @property
    def inspecting(self) -> bool:
        """Someone listens for inspection records."""
        return bool(self._inspectors)

    def record(self, kind: str, actor: str, **fields: Any) -> None:
        """Build one record (numbered) and hand it to every inspector; one that raises is logged."""
        if not self._inspectors:
            return
        with self._recording:
            record = self._recorder.record(kind, actor, **fields)
            for callback in list(self._inspectors):
                try:
                    callback(record)
                except Exception:  # noqa: BLE001 - an inspector's failure must not stop the actors
                    logger.exception("inspector %r failed on record %s", callback, record["seq"])

    def microstep(
        self, actor: str, event: Any, transitions: Sequence[Any], exited: Sequence[Any], entered: Sequence[Any]
    ) -> None:
        """The ``microstep`` record of ``actor``: ``event`` (an `statecharts.event.Event` or ``None``),
        the transitions taken (each with ``source``, ``targets`` and ``events``), the state nodes
        exited and entered (each with an ``id``), in order."""
        self.record(
            "microstep",
            actor,
            event=event_data(event.name, event.data) if event is not None else None,
            transitions=[
                {"source": t.source.id, "targets": [n.id for n in t.targets], "events": list(t.events)}
                for t in transitions
            ],
            exited=[n.id for n in exited],
            entered=[n.id for n in entered],
        )

    def snapshot(self, actor: str, snapshot: Any) -> None:
        """The ``snapshot`` record of ``actor`` for a `statecharts.state.Snapshot`."""
        event = snapshot.event
        self.record(
            "snapshot",
            actor,
            event=event_data(event.name, event.data) if event else None,
            value=plain(snapshot.value),
            context=plain(snapshot.context),
            status=snapshot.status,
            output=plain(snapshot.output),
        )

    def emitted(self, actor: str, event: Any) -> None:
        """The ``emitted`` record of ``actor`` for the `statecharts.event.Event` it emitted."""
        self.record("emitted", actor, event=event_data(event.name, event.data))

    def received(self, actor: str, event: Any, source: str | None) -> None:
        """The ``event.received`` record of ``actor`` for an `statecharts.event.Event` from ``source``."""
        self.record("event.received", actor, event=event_data(event.name, event.data), source=source)


def _discard(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)


def dumps(record: Mapping[str, Any]) -> str:
    """One record as one line of JSON (no newline inside).

    >>> dumps({"seq": 1, "kind": "actor.stopped", "actor": "a", "status": "done"})
    '{"seq": 1, "kind": "actor.stopped", "actor": "a", "status": "done"}'
    """
    return json.dumps(record, separators=(", ", ": "))


def loads(line: str) -> dict[str, Any]:
    """A record from one line of the event log.

    >>> loads('{"seq": 1, "kind": "snapshot", "actor": "a"}')["kind"]
    'snapshot'
    """
    record = json.loads(line)
    if not isinstance(record, dict) or record.get("kind") not in KINDS or not isinstance(record.get("seq"), int):
        raise ValueError(f"not an inspection record: {line[:80]!r}")
    return record
