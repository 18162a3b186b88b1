"""Questions asked of a snapshot without running it: can it take an event, which events are enabled,
what meta is active."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from statecharts import algorithm
from statecharts.event import Event, to_event
from statecharts.state import Snapshot


def can(snapshot: Snapshot, event: str | Event | Mapping[str, Any]) -> bool:
    """Some transition is enabled for ``event`` in ``snapshot`` (its guards pass); in xstate mode,
    one that has a target or actions, as xstate's ``snapshot.can``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
    >>> can(m.initial_state(), "FLIP"), can(m.initial_state(), "DIM")
    (True, False)
    """
    index = snapshot.machine
    step = algorithm.Step(index, snapshot, snapshot.context, None)
    if index.xstate:
        return snapshot.status == "active" and any(
            t.targets or t.actions for t in algorithm.xstate_select_transitions(step, to_event(event))
        )
    return snapshot.status == "active" and bool(algorithm.select_transitions(step, to_event(event)))


class EnabledEvent(NamedTuple):
    """An event some transition takes in a snapshot; ``payload_dependent``: a guard on the way
    reads the event's data, so whether it is taken depends on the payload sent with it."""

    name: str
    payload_dependent: bool


class _ReadsPayload(Exception):
    """A guard asked the probe event for its data."""


class _PayloadProbe(Event):
    """An event without data that raises `_ReadsPayload` when a guard reads its data."""

    __slots__ = ()

    def __init__(self, name: str) -> None:  # no data to store: reading it is the signal
        self.name = name
        self._hash = hash(name)

    @property  # type: ignore[override]
    def data(self) -> Any:
        raise _ReadsPayload("data")

    def __getitem__(self, key: str) -> Any:
        raise _ReadsPayload(key)

    def __iter__(self) -> Iterator[str]:
        raise _ReadsPayload("*")

    def __len__(self) -> int:
        raise _ReadsPayload("*")


def enabled_events(snapshot: Snapshot) -> tuple[EnabledEvent, ...]:
    """The events the chart listens for that some transition would take in ``snapshot``, guards
    evaluated against its context and configuration, in name order. A guard that reads the event's
    payload cannot be decided without one: its event is listed with ``payload_dependent=True``
    (unless an unguarded or payload-free transition takes the event anyway). A guard that raises
    counts as false, as SCXML evaluates it.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {"on": {
    ...     "GO": "b", "INC": {"guard": lambda c, e: c["n"] < 1}, "DEC": {"guard": lambda c, e: c["n"] > 0},
    ...     "ADD": {"guard": lambda c, e: e["by"] > 0}}}, "b": {}}})
    >>> enabled_events(m.initial_state())
    (EnabledEvent(name='ADD', payload_dependent=True), EnabledEvent(name='GO', payload_dependent=False), \
EnabledEvent(name='INC', payload_dependent=False))
    """
    if snapshot.status != "active":
        return ()
    machine = snapshot.machine
    nodes = snapshot.configuration_nodes

    def in_state(ref: str) -> bool:
        return machine.resolve_ref(ref) in nodes

    found: list[EnabledEvent] = []
    for name in sorted(machine.events):
        probe = _PayloadProbe(name)
        certain = maybe = False
        for chain in machine.selection(nodes, name):
            for _transition, guard in chain:
                if guard is None:
                    certain = True
                    break
                try:
                    if guard.test(snapshot.context, probe, in_state):
                        certain = True
                        break
                except _ReadsPayload:
                    maybe = True
                except Exception:  # noqa: BLE001 - a failing guard is false (SCXML), try the next
                    continue
            if certain:
                break
        if certain or maybe:
            found.append(EnabledEvent(name, payload_dependent=not certain))
    return tuple(found)


def active_meta(snapshot: Snapshot) -> dict[str, Any]:
    """xstate's ``getMeta()``: the ``meta`` of every active state that has one, by state id, in
    document order.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "meta": {"title": "M"}, "states": {
    ...     "a": {"meta": {"view": "form"}}, "b": {"meta": {"view": "list"}}}})
    >>> active_meta(m.initial_state())
    {'m': {'title': 'M'}, 'm.a': {'view': 'form'}}
    """
    return {n.id: n.meta for n in sorted(snapshot.configuration_nodes, key=lambda n: n.order) if n.meta is not None}
