"""Temporal properties over state predicates (TLA+'s ``[]``, ``<>``, ``[]<>``, ``<>[]``, ``~>``).

A predicate is ``fn(snapshot) -> bool``. These are data; the walker decides them on the state
graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[Any], bool]


class TemporalProperty:
    """Base class of temporal properties: a model's ``properties`` must be instances.

    >>> [isinstance(p, TemporalProperty) for p in (always(bool), leads_to(bool, bool), bool)]
    [True, True, False]
    """

    operator: str = ""


@dataclass(frozen=True)
class Always(TemporalProperty):
    """``[]P``: P holds in every reachable state (an invariant).

    >>> from statecharts import Machine
    >>> from statecharts.check import Model, check, events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> r = check(Model(m, alphabet=events("GO"), properties={"stays a": Always(lambda s: s.matches("a"))}))
    >>> r.result("stays a").holds, r.result("stays a").trace[-1].snapshot.value
    (False, 'b')
    """

    predicate: Predicate
    operator: str = "[]"


@dataclass(frozen=True)
class Eventually(TemporalProperty):
    """``<>P``: every behaviour reaches a state where P holds.

    Every state may stutter for ever, so it takes fairness to make a step happen:

    >>> from statecharts import Machine
    >>> from statecharts.check import Fairness, Model, check, events
    >>> door = Machine({"id": "door", "initial": "shut", "states": {
    ...     "shut": {"on": {"PUSH": "open"}}, "open": {"type": "final"}}})
    >>> opens = {"opens": Eventually(lambda s: s.matches("open"))}
    >>> check(Model(door, alphabet=events("PUSH"), properties=opens)).ok
    False
    >>> check(Model(door, alphabet=events("PUSH"), properties=opens, fairness=[Fairness("weak", "PUSH")])).ok
    True
    """

    predicate: Predicate
    operator: str = "<>"


@dataclass(frozen=True)
class AlwaysEventually(TemporalProperty):
    """``[]<>P``: P holds infinitely often on every behaviour.

    >>> from statecharts import Machine
    >>> from statecharts.check import Fairness, Model, check, events
    >>> lamp = Machine({"id": "lamp", "initial": "off", "states": {
    ...     "off": {"on": {"FLIP": "on"}}, "on": {"on": {"FLIP": "off"}}}})
    >>> fair = Model(lamp, alphabet=events("FLIP"), fairness=[Fairness("weak", "FLIP")],
    ...              properties={"blinks": AlwaysEventually(lambda s: s.matches("on"))})
    >>> check(fair).result("blinks").holds
    True
    """

    predicate: Predicate
    operator: str = "[]<>"


@dataclass(frozen=True)
class EventuallyAlways(TemporalProperty):
    """``<>[]P``: every behaviour ends up where P holds for ever.

    >>> from statecharts import Machine
    >>> from statecharts.check import Fairness, Model, check, events
    >>> fuse = Machine({"id": "fuse", "initial": "whole", "states": {
    ...     "whole": {"on": {"SURGE": "blown"}}, "blown": {"type": "final"}}})
    >>> settles = EventuallyAlways(lambda s: s.matches("blown"))
    >>> model = Model(fuse, alphabet=events("SURGE"), properties={"blows": settles},
    ...               fairness=[Fairness("weak", "SURGE")])
    >>> check(model).result("blows").holds, check(model, fairness=False).result("blows").holds
    (True, False)
    """

    predicate: Predicate
    operator: str = "<>[]"


@dataclass(frozen=True)
class LeadsTo(TemporalProperty):
    """``P ~> Q``: whenever P holds, Q holds then or later.

    Even with ``SERVE`` weakly fair, a request can be dropped for good:

    >>> from statecharts import Machine
    >>> from statecharts.check import Fairness, Model, check, events
    >>> desk = Machine({"id": "desk", "initial": "free", "states": {
    ...     "free": {"on": {"ASK": "asked"}}, "asked": {"on": {"SERVE": "free", "DROP": "lost"}}, "lost": {}}})
    >>> served = LeadsTo(lambda s: s.matches("asked"), lambda s: s.matches("free"))
    >>> r = check(Model(desk, alphabet=events("ASK") + events("SERVE") + events("DROP"),
    ...                 properties={"served": served}, fairness=[Fairness("weak", "SERVE")]))
    >>> print(r.result("served").trace.format())
    0. initial: free
    1. ASK -> asked
    2. DROP -> lost  <- cycle starts here
    3. (stutter for ever) lost
    """

    premise: Predicate
    consequence: Predicate
    operator: str = "~>"


def always(p: Predicate) -> Always:
    """``[]P``.

    >>> always(lambda s: True).operator
    '[]'
    """
    return Always(p)


def eventually(p: Predicate) -> Eventually:
    """``<>P``.

    >>> eventually(lambda s: True).operator
    '<>'
    """
    return Eventually(p)


def always_eventually(p: Predicate) -> AlwaysEventually:
    """``[]<>P``.

    >>> always_eventually(lambda s: True).operator
    '[]<>'
    """
    return AlwaysEventually(p)


def eventually_always(p: Predicate) -> EventuallyAlways:
    """``<>[]P``.

    >>> eventually_always(lambda s: True).operator
    '<>[]'
    """
    return EventuallyAlways(p)


def leads_to(p: Predicate, q: Predicate) -> LeadsTo:
    """``P ~> Q``.

    >>> leads_to(lambda s: True, lambda s: True).operator
    '~>'
    """
    return LeadsTo(p, q)
