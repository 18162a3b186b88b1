"""One small hierarchy of errors; every message names the state path, event or file position."""

from __future__ import annotations


class StatechartError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(StatechartError):
    """A chart definition is wrong: the message names the state path and the key.

    >>> str(ConfigError("unknown target 'nowhere'", path="light.green", key="on.TIMER"))
    "light.green: on.TIMER: unknown target 'nowhere'"
    """

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        self.reason = message
        where = ": ".join(part for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class EventError(StatechartError):
    """An event was rejected (strict mode, malformed event): names the event and the states."""


class MalformedEventError(EventError, TypeError):
    """Something that is not an event was sent: no name, a name that is not a string, bad data."""


class EventlessLoopError(StatechartError):
    """A macrostep did not settle within the microstep bound (an eventless or raise loop)."""


class PredicateError(StatechartError):
    """A model's own predicate (invariant, property, constraint, terminal) raised: names it and the state."""


class SnapshotError(StatechartError):
    """A persisted snapshot does not fit the machine it is restored into."""
