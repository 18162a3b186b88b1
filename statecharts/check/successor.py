"""The walker's successor: one macrostep of an event from a snapshot, found without building a
step when nothing is enabled (a stutter) or when only ``assign``s run, else taken in full by the
algorithm. The interpreter and the actors use `statecharts.algorithm.macrostep` instead."""

from __future__ import annotations

from statecharts.algorithm import (
    Probe,
    Step,
    first_enabled,
    microstep,
    remove_conflicting_transitions,
    run_to_completion,
    select_transitions,
    xstate_macrostep,
)
from statecharts.chart import Transition
from statecharts.event import Event
from statecharts.frozen import FrozenDict
from statecharts.index import Chain
from statecharts.state import Snapshot


def successor(
    snapshot: Snapshot,
    event: Event,
    fired: list[Transition] | None = None,
    chains: tuple[Chain, ...] | None = None,
    settled: bool | None = None,
) -> Snapshot | None:
    """The walker's macrostep: ``None`` when no transition is enabled (a stutter), found without
    copying the snapshot; ``fired`` collects every transition taken (for coverage); ``chains`` is
    ``machine.selection(snapshot.configuration_nodes, event.name)`` and ``settled`` is "the configuration has no
    eventless transitions" when the caller has them already.

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {"on": {
    ...     "INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}, "GO": "b"}}, "b": {}}})
    >>> s = m.initial_state()
    >>> successor(s, Event("NOPE")) is None, successor(s, Event("INC")).context["n"], successor(s, Event("GO")).value
    (True, 1, 'b')
    """
    if snapshot.status != "active":
        return None
    machine = snapshot.machine
    if machine.xstate:
        taken: list[Transition] = []
        after = xstate_macrostep(snapshot, event, None, taken)
        if fired is not None:
            fired.extend(taken)
        return after if taken or after != snapshot else None
    if chains is None:
        chains = machine.selection(snapshot.configuration_nodes, event.name)
    # eventless guards see the external event too (W3C: the macrostep re-checks them after it),
    # so a configuration with eventless transitions always takes the full macrostep
    if settled is None:
        settled = not machine.selection(snapshot.configuration_nodes, None)
    if not chains and settled:
        return None
    probe = Probe(snapshot)
    enabled = first_enabled(probe, chains, event)
    if not enabled and not probe.failed and settled:
        return None
    if not probe.failed and settled:
        context = _assign_only(snapshot, enabled, event)
        if context is not None:
            if fired is not None:
                fired.extend(enabled)
            return Snapshot(
                snapshot.machine,
                snapshot.configuration_nodes,
                context,
                snapshot.history,
                snapshot.pending,
                snapshot.status,
                snapshot.output,
                (),
                event,
            )
    return take(snapshot, event, None if probe.failed else enabled, fired)


def take(
    snapshot: Snapshot, event: Event, enabled: list[Transition] | None, fired: list[Transition] | None = None
) -> Snapshot:
    """The macrostep of ``event`` from an active snapshot whose enabled transitions are already
    known (before conflicts are removed); ``None`` selects them here, so that a failing guard
    raises its ``error.execution``. ``fired`` collects every transition taken.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> go = m.chart.find("a").transitions[0]
    >>> take(m.initial_state(), Event("GO"), [go]).value
    'b'
    """
    if snapshot.machine.xstate:
        return xstate_macrostep(snapshot, event, None, fired)
    step = Step(snapshot.machine, snapshot, snapshot.context, None)
    step.event = event
    step.fired = fired
    if enabled is None:
        enabled = select_transitions(step, event)
    elif len(enabled) > 1:
        enabled = remove_conflicting_transitions(step, enabled)
    if enabled:
        microstep(step, enabled, event)
    run_to_completion(step)
    return step.snapshot()


def _assign_only(snapshot: Snapshot, enabled: list[Transition], event: Event) -> FrozenDict | None:
    """The new context when the macrostep is only targetless transitions running ``assign``s (in
    a configuration without eventless transitions, which the caller checks: the microstep then
    exits and enters nothing and nothing follows it); ``None`` when it is anything else, or when
    an assign fails (the full macrostep then turns that into ``error.execution``)."""
    assign_only = snapshot.machine.assign_only
    for t in enabled:
        if not assign_only(t):
            return None
    context = snapshot.context
    try:
        for t in enabled:
            for a in t.actions:
                context = a.apply_to(context, event)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the full macrostep reports it
        return None
    return context
