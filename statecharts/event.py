"""Events and SCXML event descriptors (prefix matching by dot-separated tokens)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from statecharts.errors import MalformedEventError
from statecharts.frozen import FrozenDict, freeze

_NO_DATA = FrozenDict()
BARE_CACHE_SIZE = 4096
_BARE: dict[str, Event] = {}  # to_event("NAME"): the data-less event of each name, built once


class Event(Mapping[str, Any]):
    """An immutable, hashable event: a name and a mapping of data.

    The event reads as a mapping of its data, as xstate's event objects do.

    >>> e = Event("SUBMIT", {"r": 1})
    >>> e.name, e["r"], e == Event("SUBMIT", r=1)
    ('SUBMIT', 1, True)
    """

    __slots__ = ("name", "data", "_hash")

    def __init__(self, name: str, data: Any = None, /, **fields: Any) -> None:
        if not isinstance(name, str) or not name:
            raise MalformedEventError(f"an event name must be a non-empty string, not {name!r}")
        if data is None and not fields:  # the common case, kept cheap: no data to freeze
            self.name = name
            self.data: Any = _NO_DATA
            self._hash = hash((name, _NO_DATA))
            return
        if data is None or isinstance(data, Mapping):
            merged: dict[str, Any] = dict(data or {})
            merged.update(fields)
            value: Any = freeze(merged)
        elif fields:
            raise MalformedEventError(f"event {name!r}: its data must be a mapping when keyword fields are given")
        else:
            value = freeze(data)  # SCXML donedata and the like may be any value
        self.name = name
        self.data = value
        try:
            self._hash = hash((name, value))
        except TypeError:
            self._hash = hash(name)

    @property
    def type(self) -> str:
        """xstate's name for the event name.

        >>> Event("FETCH", url="/").type
        'FETCH'
        """
        return self.name

    def persisted(self) -> tuple[Any, dict[str, Any]]:
        """What a snapshot stores of the event besides its name: its data, and the fields of
        an event kind that carries more (none for a plain event; SCXML's origin, sendid, ...).

        >>> Event("GO", n=1).persisted()
        ({'n': 1}, {})
        """
        return (dict(self.data) if isinstance(self.data, Mapping) else self.data), {}

    def __getitem__(self, key: str) -> Any:
        if isinstance(self.data, Mapping):
            return self.data[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data) if isinstance(self.data, Mapping) else iter(())

    def __len__(self) -> int:
        return len(self.data) if isinstance(self.data, Mapping) else 0

    def __bool__(self) -> bool:
        return True  # an event is never "empty", even without data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Event):
            return self.name == other.name and self.data == other.data
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        if isinstance(self.data, Mapping):
            return f"Event({self.name!r})" if not self.data else f"Event({self.name!r}, {dict(self.data)!r})"
        return f"Event({self.name!r}, {self.data!r})"


def to_event(event: str | Event | Mapping[str, Any], **data: Any) -> Event:
    """Turn a name, an `Event` or an xstate-style ``{"type": ..., ...}`` dict into an Event.

    >>> to_event("GO", speed=2)
    Event('GO', {'speed': 2})
    >>> to_event({"type": "GO", "speed": 2}) == to_event("GO", speed=2)
    True
    """
    if isinstance(event, str):
        if data:
            return Event(event, data)
        found = _BARE.get(event)
        if found is None:
            found = Event(event)
            if len(_BARE) < BARE_CACHE_SIZE:  # events are immutable: one per name serves every send
                _BARE[event] = found
        return found
    if isinstance(event, Event):
        return Event(event.name, event.data, **data) if data else event
    if isinstance(event, Mapping):
        fields = dict(event)
        name = fields.pop("type", None)
        if not isinstance(name, str):
            raise MalformedEventError(f"an event dict needs a non-empty string 'type', got {event!r}")
        fields.update(data)
        return Event(name, fields)
    raise MalformedEventError(f"an event is a name, an Event or a dict with 'type', not {event!r}")


def descriptor_matches(descriptor: str, name: str) -> bool:
    """SCXML prefix rule: a descriptor matches a name equal to it or starting with it plus '.'.

    ``*`` matches every event, and a trailing ``.*`` is the same as none.

    >>> descriptor_matches("error", "error.send.failed"), descriptor_matches("error", "errors")
    (True, False)
    >>> descriptor_matches("*", "anything"), descriptor_matches("done.*", "done.state.a")
    (True, True)
    """
    if descriptor == "*":
        return True
    if descriptor.endswith(".*"):
        descriptor = descriptor[:-2]
    elif descriptor.endswith("."):
        descriptor = descriptor[:-1]
    return name == descriptor or name.startswith(descriptor + ".")
