"""One small hierarchy of errors; every message names the state path, event or file position."""

from __future__ import annotations


class StatechartError(Exception):
    """Base class of every error this library raises on purpose.

    >>> from statecharts import Machine
    >>> try:
    ...     Machine({"id": "m", "initial": "nowhere", "states": {"a": {}}})
    ... except StatechartError as exc:
    ...     print(type(exc).__name__, exc)
    ConfigError m: initial: initial state 'nowhere' is not a child of m
    """


class ConfigError(StatechartError):
    """A chart definition is wrong: the message names the state path and the key.

    >>> str(ConfigError("unknown target 'nowhere'", path="light.green", key="on.TIMER"))
    "light.green: on.TIMER: unknown target 'nowhere'"

    A chart with mistakes in several states names the first, then (``also``) the others:

    >>> from statecharts import Machine
    >>> Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "c": {"entry": "nope"}}})
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: m.a: on.GO.target: unknown target 'b'...
      also m.c: entry: unknown action 'nope'
    """

    def __init__(
        self, message: str, *, path: str | None = None, key: str | None = None, also: tuple[ConfigError, ...] = ()
    ) -> None:
        self.path = path
        self.key = key
        self.reason = message
        self.also = also  # the mistakes found after this one (in other states), each on a line of its own
        where = ": ".join(part for part in (path, key) if part)
        first = f"{where}: {message}" if where else message
        super().__init__(first + "".join(f"\n  also {other}" for other in also))


class EventError(StatechartError):
    """An event was rejected (strict mode, malformed event): names the event and the states.

    >>> from statecharts import Machine
    >>> actor = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "a"}}}}).interpret(strict=True)
    >>> actor.start().send("STOP")
    Traceback (most recent call last):
        ...
    statecharts.errors.EventError: event 'STOP' is not accepted by machine 'm' in states [m, m.a]
    """


class MalformedEventError(EventError, TypeError):
    """Something that is not an event was sent: no name, a name that is not a string, bad data.

    >>> from statecharts import Event
    >>> Event("")
    Traceback (most recent call last):
        ...
    statecharts.errors.MalformedEventError: an event name must be a non-empty string, not ''
    """


class EventlessLoopError(StatechartError):
    """A macrostep did not settle within the microstep bound (an eventless or raise loop).

    >>> from statecharts import Machine
    >>> Machine({"id": "m", "initial": "a", "states": {"a": {"always": "b"}, "b": {"always": "a"}}}).initial_state()
    Traceback (most recent call last):
        ...
    statecharts.errors.EventlessLoopError: machine 'm' did not settle after 1000 microsteps (an eventless ...
    """


class PredicateError(StatechartError):
    """A model's own predicate (invariant, property, constraint, terminal) raised: names it and the state.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> from statecharts.check.walker import check
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "a"}}}})
    >>> check(Model(m, alphabet=events("GO"), invariants={"positive": lambda s: s.context["n"] > 0}))
    Traceback (most recent call last):
        ...
    statecharts.errors.PredicateError: invariant 'positive' raised KeyError: 'n' in state 'a' (context {})
    """


class SnapshotError(StatechartError):
    """A persisted snapshot does not fit the machine it is restored into.

    >>> from statecharts import Machine
    >>> Machine({"id": "m", "initial": "a", "states": {"a": {}}}).restore({"machine": "other", "configuration": []})
    Traceback (most recent call last):
        ...
    statecharts.errors.SnapshotError: snapshot of machine 'other' cannot be restored into 'm'
    """
