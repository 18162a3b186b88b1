"""SCXML events: an `Event` that also carries ``_event``'s type, sendid, origin and invokeid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statecharts.event import Event


class ScxmlEvent(Event):
    """An event with SCXML's extra fields; ``payload`` keeps the data as sent (unfrozen).

    >>> e = ScxmlEvent("go", [1, 2], kind="external", sendid="s1")
    >>> e.name, e.kind, e.sendid, e.payload, e == Event("go", [1, 2])
    ('go', 'external', 's1', [1, 2], True)
    """

    __slots__ = ("kind", "sendid", "origin", "origintype", "invokeid", "payload")

    def __init__(
        self,
        name: str,
        data: Any = None,
        *,
        kind: str = "external",
        sendid: str | None = None,
        origin: str | None = None,
        origintype: str | None = None,
        invokeid: str | None = None,
    ) -> None:
        if isinstance(data, Mapping):
            super().__init__(name, dict(data))
        else:
            super().__init__(name, data)
        self.kind = kind
        self.sendid = sendid
        self.origin = origin
        self.origintype = origintype
        self.invokeid = invokeid
        self.payload = data

    def persisted(self) -> tuple[Any, dict[str, Any]]:
        """The payload as sent and the SCXML fields that are set (see `Event.persisted`).

        >>> ScxmlEvent("go", [1], sendid="s1", origin="#_scxml_x").persisted()
        ([1], {'kind': 'external', 'sendid': 's1', 'origin': '#_scxml_x'})
        """
        fields = {
            "kind": self.kind,
            "sendid": self.sendid,
            "origin": self.origin,
            "origintype": self.origintype,
            "invokeid": self.invokeid,
        }
        return self.payload, {k: v for k, v in fields.items() if v is not None}

    def __repr__(self) -> str:
        return f"ScxmlEvent({self.name!r}, {self.payload!r}, kind={self.kind!r})"
