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
    """Base class of temporal properties."""

    operator: str = ""


@dataclass(frozen=True)
class Always(TemporalProperty):
    """``[]P``: P holds in every reachable state (an invariant)."""

    predicate: Predicate
    operator: str = "[]"


@dataclass(frozen=True)
class Eventually(TemporalProperty):
    """``<>P``: every behaviour reaches a state where P holds."""

    predicate: Predicate
    operator: str = "<>"


@dataclass(frozen=True)
class AlwaysEventually(TemporalProperty):
    """``[]<>P``: P holds infinitely often on every behaviour."""

    predicate: Predicate
    operator: str = "[]<>"


@dataclass(frozen=True)
class EventuallyAlways(TemporalProperty):
    """``<>[]P``: every behaviour ends up where P holds for ever."""

    predicate: Predicate
    operator: str = "<>[]"


@dataclass(frozen=True)
class LeadsTo(TemporalProperty):
    """``P ~> Q``: whenever P holds, Q holds then or later."""

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
