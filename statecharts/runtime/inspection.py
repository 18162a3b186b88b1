"""Inspection records: plain JSON-serialisable dicts, one per thing an actor system does.

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

import itertools
import json
from collections.abc import Mapping
from typing import Any

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
