"""The SCXML run-to-completion algorithm (W3C SCXML, Appendix D) as functions over a step.

Names follow the W3C pseudocode. A `Step` is the scratch state of one macrostep: it starts from
a snapshot, runs microsteps until the machine settles, and ends as a new snapshot plus the effects
left to run. Nothing here performs a side effect unless the caller passes ``execute`` (the
interpreter does, to run effects in order and turn their failures into ``error.execution``).

A machine built with ``semantics="xstate"`` runs xstate v5's algorithm instead (the functions
named ``xstate_*`` at the end of this module, chosen at `enter_initial`, `macrostep`,
`select_transitions`, `successor` and `take`); what differs is listed there and in the README.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

from statecharts.actions import Action, Assign
from statecharts.chart import StateNode, Transition, find_lcca
from statecharts.errors import EventlessLoopError, StatechartError
from statecharts.event import Event
from statecharts.frozen import FrozenDict
from statecharts.guards import Guard
from statecharts.index import SELECTION_CACHE_SIZE, Chain, ChartIndex
from statecharts.state import Effect, PendingSend, Snapshot, xstate_value

MAX_MICROSTEPS = 1000
PLAN_CACHE_SIZE = 1 << 16
INIT_EVENT = Event("xstate.init")  # events are immutable: one is enough for every step
Executor = Callable[[Effect], None]


def _order(node: StateNode) -> int:
    return node.order


def _exit_order(node: StateNode) -> int:
    return -node.order


class Step:
    """The working state of one macrostep (mutable, private to one call).

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> timer = Event("TIMER")
    >>> microstep(step, select_transitions(step, timer), timer)
    >>> step.snapshot().value, s.value  # the snapshot it started from is unchanged
    ({'red': 'wait'}, {'red': 'walk'})
    """

    __slots__ = (
        "machine",
        "configuration_nodes",
        "context",
        "history",
        "internal",
        "pending",
        "effects",
        "status",
        "output",
        "execute",
        "event",
        "microsteps",
        "fired",
        "frozen",
        "domains",
        "sequence",
    )

    def __init__(
        self, machine: ChartIndex, snapshot: Snapshot | None, context: FrozenDict, execute: Executor | None
    ) -> None:
        self.machine = machine
        self.configuration_nodes: set[StateNode] = set(snapshot.configuration_nodes) if snapshot else set()
        self.context = context
        self.history: dict[StateNode, frozenset[StateNode]] = dict(snapshot.history) if snapshot else {}
        self.internal: deque[Event] = deque()
        self.pending: list[PendingSend] = list(snapshot.pending) if snapshot else []
        self.effects: list[Effect] = []
        self.status = snapshot.status if snapshot else "active"
        self.output: Any = snapshot.output if snapshot else None
        self.execute = execute
        self.event: Event = INIT_EVENT
        self.microsteps = 0
        self.fired: list[Transition] | None = None  # the walker's coverage asks for the transitions taken
        self.frozen: frozenset[StateNode] | None = snapshot.configuration_nodes if snapshot else None
        # a microstep's domains of history transitions, fixed before its exits record new history
        self.domains: dict[Transition, StateNode | None] = {}
        # semantics="xstate": the configuration in entry order (xstate's _nodes); None otherwise
        self.sequence: dict[StateNode, None] | None = None
        if machine.xstate:
            self.sequence = dict.fromkeys(
                (snapshot.sequence or sorted(snapshot.configuration_nodes, key=_order)) if snapshot else ()
            )

    def frozen_configuration_nodes(self) -> frozenset[StateNode]:
        """The configuration as a frozenset (cached until the configuration changes).

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> s = light.initial_state()
        >>> step = Step(light, s, s.context, None)
        >>> step.frozen_configuration_nodes() == s.configuration_nodes
        True
        """
        frozen = self.frozen
        if frozen is None:
            frozen = self.frozen = frozenset(self.configuration_nodes)
        return frozen

    # -- the Scope that actions change (statecharts.actions.Scope) ------------------------------
    def delay_ms(self, delay: Any, event: Event, params: Any) -> float:
        """A delay (ms, name or function) in milliseconds for this step's context."""
        return self.machine.resolve_delay(delay, self.context, event, params)

    def send_later(self, send_id: str | None, delay: float, event: Event, to: str | None, scheduled: bool) -> None:
        """Record a send among the pending ones; ``scheduled`` (it has a delay) goes through
        `schedule`, which keeps xstate's one-timer-per-id rule."""
        p = PendingSend(send_id, delay, event, to)
        if scheduled:
            schedule(self, p)
        else:
            self.pending.append(p)

    def cancel(self, send_id: Any) -> None:
        """Withdraw the pending sends of ``send_id`` that can still be cancelled."""
        self.pending = [p for p in self.pending if p.id != send_id or not p.cancellable]

    def leave_effect(self, action: Action, event: Event) -> None:
        """Leave the action's effect for the runtime (run at once when the step has an executor)."""
        effect = Effect(action, self.context, event)
        self.effects.append(effect)
        if self.execute is not None:
            self.execute(effect)

    def snapshot(self) -> Snapshot:
        """The snapshot the step has reached, with the effects recorded so far.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> s = light.initial_state()
        >>> step = Step(light, s, s.context, None)
        >>> step.snapshot() == s
        True
        """
        history = tuple(sorted(self.history.items(), key=lambda item: item[0].order))
        return Snapshot(
            self.machine,
            frozenset(self.configuration_nodes),
            self.context,
            history,
            tuple(self.pending),
            self.status,
            self.output,
            tuple(self.effects),
            self.event,
            () if self.sequence is None else tuple(self.sequence),
        )

    def in_state(self, ref: str) -> bool:
        """The state ``ref`` (``#id``, id or dotted path) is in the step's configuration.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> s = light.initial_state()
        >>> step = Step(light, s, s.context, None)
        >>> step.in_state("#light.red.walk"), step.in_state("red"), step.in_state("green")
        (True, True, False)
        """
        return self.machine.resolve_ref(ref) in self.configuration_nodes

    def raise_error(self, exc: BaseException, source: str) -> None:
        """Queue SCXML's ``error.execution`` event for a failure in ``source``.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> s = light.initial_state()
        >>> step = Step(light, s, s.context, None)
        >>> step.raise_error(ValueError("boom"), "action save")
        >>> step.internal[0].name, step.internal[0]["source"]
        ('error.execution', 'action save')
        """
        if self.sequence is not None:  # semantics="xstate": the actor fails instead
            raise XstateAbort(exc, source)
        self.internal.append(Event("error.execution", {"error": exc, "source": source}))


# ---------------------------------------------------------------------------------------------
# Selection


def select_transitions(step: Step, event: Event) -> list[Transition]:
    """Enabled transitions for ``event``: per atomic state in document order, the first match
    walking up its ancestors (descendants preempt ancestors), then conflicts removed.

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> select_transitions(step, Event("TIMER"))  # the child's TIMER preempts its parent's
    [<Transition light.red.walk --TIMER--> light.red.wait>]
    """
    if step.sequence is not None:
        return xstate_remove_conflicts(step, xstate_select_transitions(step, event))
    enabled = first_enabled(step, step.machine.selection(step.frozen_configuration_nodes(), event.name), event)
    return remove_conflicting_transitions(step, enabled) if len(enabled) > 1 else enabled


def select_eventless_transitions(step: Step) -> list[Transition]:
    """Enabled eventless (``always``) transitions, chosen like `select_transitions`.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {
    ...     "a": {"always": {"target": "b", "guard": lambda c, e: c["n"] > 0}}, "b": {}}})
    >>> s = m.initial_state()
    >>> select_eventless_transitions(Step(m, s, s.context, None))
    []
    >>> select_eventless_transitions(Step(m, s, FrozenDict({"n": 1}), None))
    [<Transition m.a --always--> m.b>]
    """
    enabled = first_enabled(step, step.machine.selection(step.frozen_configuration_nodes(), None), step.event)
    return remove_conflicting_transitions(step, enabled) if len(enabled) > 1 else enabled


def first_enabled(step: Step | Probe, chains: tuple[Chain, ...], event: Event) -> list[Transition]:
    """Per chain (one active atomic state's candidates with their guards, its own first, then its
    ancestors'), the first transition whose guard holds; each transition once."""
    enabled: list[Transition] = []
    for chain in chains:
        for t, guard in chain:
            if guard is None or guard_holds(step, t, guard, event):
                if t not in enabled:
                    enabled.append(t)
                break
    return enabled


class Probe:
    """Just enough of a `Step` to evaluate guards against a snapshot without copying it."""

    __slots__ = ("machine", "context", "configuration_nodes", "failed")

    def __init__(self, snapshot: Snapshot) -> None:
        self.machine = snapshot.machine
        self.context = snapshot.context
        self.configuration_nodes = snapshot.configuration_nodes
        self.failed = False

    def in_state(self, ref: str) -> bool:
        return self.machine.resolve_ref(ref) in self.configuration_nodes

    def raise_error(self, exc: BaseException, source: str) -> None:
        self.failed = True


def guard_holds(step: Step | Probe, t: Transition, guard: Guard, event: Event) -> bool:
    """``guard`` (the transition's own, or the walker's specialization of it) on the step.

    >>> from statecharts import Machine, payload
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> s = m.initial_state()
    >>> step, go = Step(m, s, s.context, None), m.get_state("m.a").transitions[0]
    >>> guard_holds(step, go, payload(w=1), Event("GO", w=1)), guard_holds(step, go, payload(w=1), Event("GO", w=2))
    (True, False)
    """
    try:
        return guard.test(step.context, event, step.in_state)
    except Exception as exc:  # noqa: BLE001 - SCXML: a failing condition is false plus an error event
        step.raise_error(exc, f"guard {guard.name} of {t!r}")
        return False


def remove_conflicting_transitions(
    step: Step, enabled: list[Transition], exit_set: Callable[[Step, list[Transition]], set[StateNode]] | None = None
) -> list[Transition]:
    """Keep a conflict-free subset: two transitions conflict when their exit sets meet; the one
    whose source is a descendant wins, otherwise the earlier in document order. ``exit_set`` is
    SCXML's `compute_exit_set` unless given (xstate's mode passes its own).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "p", "states": {"p": {"type": "parallel", "states": {
    ...     "r1": {"initial": "a", "states": {"a": {"on": {"GO": "#m.x"}}}},
    ...     "r2": {"initial": "b", "states": {"b": {"on": {"GO": "#m.y"}}}}}}, "x": {}, "y": {}}})
    >>> s = m.initial_state()
    >>> both = [m.get_state("m.p.r1.a").transitions[0], m.get_state("m.p.r2.b").transitions[0]]
    >>> remove_conflicting_transitions(Step(m, s, s.context, None), both)  # both exit p: the first wins
    [<Transition m.p.r1.a --GO--> m.x>]
    """
    exits = compute_exit_set if exit_set is None else exit_set
    filtered: list[Transition] = []
    exit_sets: dict[Transition, set[StateNode]] = {}
    for t1 in enabled:
        exit1 = exit_sets.setdefault(t1, exits(step, [t1]))
        preempted = False
        to_remove = []
        for t2 in filtered:
            if exit1 & exit_sets[t2]:
                if t1.source.is_descendant_of(t2.source):
                    to_remove.append(t2)
                else:
                    preempted = True
                    break
        if not preempted:
            for t3 in to_remove:
                filtered.remove(t3)
            filtered.append(t1)
    return filtered


# ---------------------------------------------------------------------------------------------
# Exit and entry sets


def get_effective_target_states(step: Step, t: Transition) -> list[StateNode]:
    """Targets with history states replaced by their stored (or default) configuration.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {
    ...     "a": {"initial": "x", "on": {"OUT": "b"},
    ...           "states": {"x": {"on": {"NEXT": "y"}}, "y": {}, "h": {"type": "history"}}},
    ...     "b": {"on": {"BACK": "a.h"}}}})
    >>> s = m.transition(m.transition(m.initial_state(), "NEXT"), "OUT")  # a.y recorded in a.h
    >>> back = m.get_state("m.b").transitions[0]
    >>> get_effective_target_states(Step(m, s, s.context, None), back)
    [<StateNode m.a.y>]
    """
    targets: list[StateNode] = []
    for s in t.targets:
        if s.type == "history":
            if s in step.history:
                targets.extend(x for x in sorted(step.history[s], key=_order) if x not in targets)
            else:
                default = s.history_default or s.parent.initial  # type: ignore[union-attr]
                # xstate: no default in a parallel state enters every region at its initial state
                for x in get_effective_target_states(step, default) if default else s.parent.children:  # type: ignore[union-attr]
                    if x not in targets:
                        targets.append(x)
        elif s not in targets:
            targets.append(s)
    return targets


def get_transition_domain(step: Step, t: Transition) -> StateNode | None:
    """The state whose descendants the transition exits and enters (None when targetless).

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> walk, red = light.get_state("light.red.walk"), light.get_state("light.red")
    >>> get_transition_domain(step, walk.transitions[0]), get_transition_domain(step, red.transitions[0])
    (<StateNode light.red>, <StateNode light>)
    """
    if not t.targets:
        return None
    if not t.has_history_target:
        return t.domain
    if t.internal:
        return t.source
    domain = step.domains.get(t)
    if domain is None:
        domain = step.domains[t] = find_lcca([t.source, *get_effective_target_states(step, t)])
    return domain


def compute_exit_set(step: Step, transitions: Iterable[Transition]) -> set[StateNode]:
    """Active states that the transitions leave: descendants of each transition's domain.

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> sorted(n.id for n in compute_exit_set(step, light.get_state("light.red").transitions))
    ['light.red', 'light.red.walk']
    """
    exits: set[StateNode] = set()
    for t in transitions:
        if t.targets:
            domain = get_transition_domain(step, t)
            if domain is None:
                continue
            exits |= domain.descendants & step.configuration_nodes
    return exits


def compute_entry_set(
    step: Step, transitions: Iterable[Transition]
) -> tuple[set[StateNode], set[StateNode], dict[StateNode, Transition]]:
    """States to enter, compound states entered by default, and history default content.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "b", "states": {
    ...     "a": {"initial": "x", "states": {"x": {}}}, "b": {"on": {"BACK": "a"}}}})
    >>> s = m.initial_state()
    >>> to_enter, default_entry, history_content = compute_entry_set(Step(m, s, s.context, None),
    ...                                                              m.get_state("m.b").transitions)
    >>> sorted(n.id for n in to_enter), sorted(n.id for n in default_entry), history_content
    (['m.a', 'm.a.x'], ['m.a'], {})
    """
    to_enter: set[StateNode] = set()
    default_entry: set[StateNode] = set()
    history_content: dict[StateNode, Transition] = {}
    for t in transitions:
        domain = get_transition_domain(step, t)
        for s in t.targets:
            if s is domain:  # xstate self-target without reenter: re-enter the children only
                add_children_to_enter(step, s, to_enter, default_entry, history_content)
            else:
                add_descendant_states_to_enter(step, s, to_enter, default_entry, history_content)
        for s in get_effective_target_states(step, t):
            if s is not domain:
                add_ancestor_states_to_enter(step, s, domain, to_enter, default_entry, history_content)
    return to_enter, default_entry, history_content


def add_children_to_enter(
    step: Step,
    state: StateNode,
    to_enter: set[StateNode],
    default_entry: set[StateNode],
    history_content: dict[StateNode, Transition],
) -> None:
    """Add a compound state's initial children, or a parallel state's regions, but not the state itself.

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> to_enter, default_entry = set(), set()
    >>> add_children_to_enter(step, light.get_state("light.red"), to_enter, default_entry, {})
    >>> sorted(n.id for n in to_enter), sorted(n.id for n in default_entry)
    (['light.red.walk'], ['light.red'])
    """
    if state.type == "compound":
        default_entry.add(state)
        assert state.initial is not None
        for s in state.initial.targets:
            add_descendant_states_to_enter(step, s, to_enter, default_entry, history_content)
        for s in state.initial.targets:
            add_ancestor_states_to_enter(step, s, state, to_enter, default_entry, history_content)
    elif state.type == "parallel":
        for child in state.children:
            add_descendant_states_to_enter(step, child, to_enter, default_entry, history_content)


def add_descendant_states_to_enter(
    step: Step,
    state: StateNode,
    to_enter: set[StateNode],
    default_entry: set[StateNode],
    history_content: dict[StateNode, Transition],
) -> None:
    """W3C addDescendantStatesToEnter.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "off", "states": {"off": {}, "p": {"type": "parallel", "states": {
    ...     "r1": {"initial": "a", "states": {"a": {}}}, "r2": {"initial": "b", "states": {"b": {}}}}}}})
    >>> s = m.initial_state()
    >>> to_enter: set[StateNode] = set()
    >>> add_descendant_states_to_enter(Step(m, s, s.context, None), m.get_state("m.p"), to_enter, set(), {})
    >>> sorted(n.id for n in to_enter)  # a parallel state enters every region
    ['m.p', 'm.p.r1', 'm.p.r1.a', 'm.p.r2', 'm.p.r2.b']
    """
    if state.type == "history":
        parent = state.parent
        assert parent is not None
        if state in step.history:
            stored = sorted(step.history[state], key=_order)
            for s in stored:
                add_descendant_states_to_enter(step, s, to_enter, default_entry, history_content)
            for s in stored:
                add_ancestor_states_to_enter(step, s, parent, to_enter, default_entry, history_content)
        else:
            default = state.history_default
            if default is None and parent.type == "compound":  # xstate: no default target: the initial state
                default = parent.initial
            if default is None:  # xstate: in a parallel state, every region at its initial state
                for child in parent.children:
                    add_descendant_states_to_enter(step, child, to_enter, default_entry, history_content)
                return
            history_content[parent] = default
            for s in default.targets:
                add_descendant_states_to_enter(step, s, to_enter, default_entry, history_content)
            for s in default.targets:
                add_ancestor_states_to_enter(step, s, parent, to_enter, default_entry, history_content)
        return
    to_enter.add(state)
    if state.type == "compound":
        default_entry.add(state)
        assert state.initial is not None
        for s in state.initial.targets:
            add_descendant_states_to_enter(step, s, to_enter, default_entry, history_content)
        for s in state.initial.targets:
            add_ancestor_states_to_enter(step, s, state, to_enter, default_entry, history_content)
    elif state.type == "parallel":
        for child in state.children:
            if not any(child in s.ancestors for s in to_enter):
                add_descendant_states_to_enter(step, child, to_enter, default_entry, history_content)


def add_ancestor_states_to_enter(
    step: Step,
    state: StateNode,
    ancestor: StateNode | None,
    to_enter: set[StateNode],
    default_entry: set[StateNode],
    history_content: dict[StateNode, Transition],
) -> None:
    """W3C addAncestorStatesToEnter: proper ancestors up to (not including) ``ancestor``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "b", "states": {"b": {
    ...     "initial": "c", "states": {"c": {}}}}}}})
    >>> s = m.initial_state()
    >>> to_enter = set()
    >>> add_ancestor_states_to_enter(Step(m, s, s.context, None), m.get_state("m.a.b.c"), m.chart.root,
    ...                              to_enter, set(), {})
    >>> sorted(n.id for n in to_enter)
    ['m.a', 'm.a.b']
    """
    for anc in state.ancestors:
        if anc is not ancestor:
            to_enter.add(anc)
        if anc.type == "parallel":  # a parallel ``ancestor`` (the domain) stays active: so do all its regions
            for child in anc.children:
                if not any(child in s.ancestors for s in to_enter):
                    add_descendant_states_to_enter(step, child, to_enter, default_entry, history_content)
        if anc is ancestor:
            break


# ---------------------------------------------------------------------------------------------
# Executing content


def execute_content(step: Step, actions: Iterable[Action], event: Event) -> None:
    """Run a block of actions in order; the first failure raises ``error.execution`` and ends
    the block, as SCXML says.

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {}}})
    >>> s = m.initial_state()
    >>> step = Step(m, s, s.context, None)
    >>> execute_content(step, [assign(n=1), assign(n=lambda c, e: 1 / 0), assign(n=3)], Event("GO"))
    >>> step.context["n"], step.internal[0].name
    (1, 'error.execution')
    """
    for action in actions:
        try:
            run_action(step, action, event)
        except Exception as exc:  # noqa: BLE001 - an action's failure is an error event
            step.raise_error(exc, f"action {action.name}")
            return


def run_action(step: Step, action: Action, event: Event) -> None:
    """The action's part of the macrostep (`statecharts.actions.Action.apply`): built-in actions
    and SCXML's executable content alike change the step through the `statecharts.actions.Scope`
    it offers; an effect left is executed at once when the step has an executor.

    >>> from statecharts import Machine, send
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
    >>> s = m.initial_state()
    >>> step, ran = Step(m, s, s.context, None), []
    >>> step.execute = ran.append
    >>> run_action(step, send("PING", delay=100), Event("GO"))
    >>> step.pending, ran
    ([PendingSend(id=None, delay=100.0, event=Event('PING'), to=None)], [Effect('send', event='GO')])
    """
    action.apply(step, event)


def schedule(step: Step, p: PendingSend) -> None:
    """Add a delayed send. In xstate mode a timer with the same id that is still waiting can no
    longer be cancelled (xstate's scheduler maps an id to its latest timer only); it still fires.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}}, semantics="xstate")
    >>> s = m.initial_state()
    >>> step = Step(m, s, s.context, None)
    >>> for delay in (100, 200):
    ...     schedule(step, PendingSend("t", delay, Event("PING")))
    >>> [(p.delay, p.cancellable) for p in step.pending]
    [(100, False), (200, True)]
    """
    if p.id is not None and step.machine.xstate:
        step.pending = orphaned(step.pending, p.id)
    step.pending.append(p)


def orphaned(pending: Sequence[PendingSend], send_id: str) -> list[PendingSend]:
    """The pending sends with the ones of id ``send_id`` no longer cancellable (xstate mode:
    another timer of that id was set, or one fired and took the id's entry with it).

    >>> orphaned([PendingSend("t", 100, Event("PING")), PendingSend("u", 100, Event("PONG"))], "t")[0].cancellable
    False
    """
    return [dataclasses.replace(p, cancellable=False) if p.id == send_id and p.cancellable else p for p in pending]


def execute_transition_content(step: Step, transitions: list[Transition], event: Event) -> None:
    """Run each transition's actions, in order (W3C executeTransitionContent).

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"log": ()}, "initial": "p", "states": {"p": {"type": "parallel", "states": {
    ...     "r1": {"on": {"GO": {"actions": assign(log=lambda c, e: c["log"] + ("r1",))}}},
    ...     "r2": {"on": {"GO": {"actions": assign(log=lambda c, e: c["log"] + ("r2",))}}}}}}})
    >>> s = m.initial_state()
    >>> step = Step(m, s, s.context, None)
    >>> execute_transition_content(step, select_transitions(step, Event("GO")), Event("GO"))
    >>> step.context["log"]
    ('r1', 'r2')
    """
    for t in transitions:
        if t.actions:
            execute_content(step, t.actions, event)


def exit_states(step: Step, transitions: list[Transition], event: Event, exits: list[StateNode] | None = None) -> None:
    """Leave the exit set in reverse document order, recording history first (``exits``: the
    sorted exit set, when the caller has it from a `Plan`).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {
    ...     "a": {"initial": "x", "on": {"OUT": "b"},
    ...           "states": {"x": {"on": {"NEXT": "y"}}, "y": {}, "h": {"type": "history"}}},
    ...     "b": {"on": {"BACK": "a.h"}}}})
    >>> s = m.initial_state()
    >>> step = Step(m, s, s.context, None)
    >>> exit_states(step, list(m.get_state("m.a").transitions), Event("OUT"))
    >>> sorted(n.id for n in step.configuration_nodes), sorted(n.id for n in step.history[m.get_state("m.a.h")])
    (['m'], ['m.a.x'])
    """
    if exits is None:
        exits = sorted(compute_exit_set(step, transitions), key=_exit_order)
    step.frozen = None
    for s in exits:
        for h in s.histories:
            if h.history_type == "deep":
                step.history[h] = frozenset(
                    x for x in step.configuration_nodes if x.type in ("atomic", "final") and s in x.ancestors
                )
            else:
                step.history[h] = frozenset(x for x in step.configuration_nodes if x.parent is s)
    for s in exits:
        if s.exit:
            execute_content(step, s.exit, event)
        step.configuration_nodes.discard(s)


def enter_states(step: Step, transitions: list[Transition], event: Event, plan: Plan | None = None) -> None:
    """Enter the entry set in document order; raise done events on reaching final states.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "z", "states": {"z": {"type": "final"}}}}})
    >>> step = Step(m, None, FrozenDict(), None)
    >>> enter_states(step, [m.root_entry], Event("xstate.init"))
    >>> sorted(n.id for n in step.configuration_nodes), [e.name for e in step.internal]
    (['m', 'm.a', 'm.a.z'], ['xstate.done.state.m.a'])
    """
    if plan is None:
        to_enter, default_entry, history_content = compute_entry_set(step, transitions)
        entries = sorted(to_enter, key=_order)
    else:
        entries, default_entry, history_content = plan.entries, plan.default_entry, plan.history_content
    root = step.machine.chart.root
    step.frozen = None
    was_active = step.status == "active"
    for s in entries:
        step.configuration_nodes.add(s)
        if s.entry:
            execute_content(step, s.entry, event)
        if s in default_entry and s.initial is not None and s.initial.actions:
            execute_content(step, s.initial.actions, event)
        if s in history_content and history_content[s].actions:
            execute_content(step, history_content[s].actions, event)
        if s.type == "final":
            parent = s.parent
            if parent is None:
                continue
            output = done_data(step, s, event)
            if parent is root:
                step.status = "done"
                step.output = output if s.done_data else done_data(step, root, event)
                continue
            step.internal.append(Event(f"{step.machine.done_state_prefix}{parent.id}", output))
            grandparent = parent.parent
            if (
                grandparent is not None
                and grandparent.type == "parallel"
                and all(is_in_final_state(step, child) for child in grandparent.children)
            ):
                step.internal.append(Event(f"{step.machine.done_state_prefix}{grandparent.id}"))
                if grandparent is root:
                    step.status = "done"
                    step.output = done_data(step, root, event)
    if was_active and step.status == "done":
        exit_interpreter(step, event)


def exit_interpreter(step: Step, event: Event) -> None:
    """SCXML exitInterpreter (and xstate on a top-level final state): every active state's exit
    actions, in exit order; the configuration stays, so that the snapshot shows the final state.

    >>> from statecharts import Machine
    >>> from statecharts.actions import Call
    >>> log = lambda name: Call(lambda c, e: None, name)
    >>> m = Machine({"id": "m", "initial": "a", "exit": log("bye m"), "states": {
    ...     "a": {"on": {"GO": "f"}}, "f": {"type": "final", "exit": log("bye f")}}})
    >>> s = m.transition(m.initial_state(), "GO")
    >>> s.value, [e.action.name for e in s.effects]
    ('f', ['bye f', 'bye m'])
    """
    for s in sorted(step.configuration_nodes, key=_exit_order):
        if s.exit:
            execute_content(step, s.exit, event)


def done_data(step: Step, state: StateNode, event: Event) -> Any:
    """A final state's ``output`` (value or ``fn(context, event)``); a failure is an error event.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 21}, "initial": "a", "states": {"a": {"on": {"END": "z"}},
    ...     "z": {"type": "final", "output": lambda c, e: c["n"] * 2}}})
    >>> s = m.initial_state()
    >>> done_data(Step(m, s, s.context, None), m.get_state("m.z"), Event("END"))
    42
    """
    output = state.output
    if not callable(output):
        return output
    try:
        return output(step.context, event)
    except Exception as exc:  # noqa: BLE001
        step.raise_error(exc, f"output of {state.id}")
        return None


def is_in_final_state(step: Step, state: StateNode) -> bool:
    """A compound state whose active child is final, or a parallel state all of whose regions are.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "type": "parallel", "states": {
    ...     "r1": {"initial": "z", "states": {"z": {"type": "final"}}},
    ...     "r2": {"initial": "a", "states": {"a": {"on": {"END": "z"}}, "z": {"type": "final"}}}}})
    >>> s = m.initial_state()
    >>> step = Step(m, s, s.context, None)
    >>> is_in_final_state(step, m.get_state("m.r1")), is_in_final_state(step, m.chart.root)
    (True, False)
    """
    if state.type == "compound":
        return any(c.type == "final" and c in step.configuration_nodes for c in state.children)
    if state.type == "parallel":
        return all(is_in_final_state(step, c) for c in state.children)
    return False


def count_microstep(step: Step, transitions: list[Transition], event: Event | None = None) -> None:
    """Count a microstep (or an internal ``event`` that took no transition); past
    ``MAX_MICROSTEPS`` in one macrostep the machine is in a loop: `EventlessLoopError`.

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> count_microstep(step, []); step.microsteps
    1
    >>> step.microsteps = MAX_MICROSTEPS
    >>> count_microstep(step, [], Event("PING"))
    Traceback (most recent call last):
        ...
    statecharts.errors.EventlessLoopError: machine 'light' did not settle ... last internal event: PING (...)
    """
    step.microsteps += 1
    if step.microsteps > MAX_MICROSTEPS:
        states = ", ".join(n.id for n in sorted(step.configuration_nodes, key=_order) if n.type in ("atomic", "final"))
        last = (
            f"last transitions: {', '.join(repr(t) for t in transitions)}"
            if transitions
            else f"last internal event: {event.name if event else '?'} (it took no transition)"
        )
        raise EventlessLoopError(
            f"machine {step.machine.id!r} did not settle after {MAX_MICROSTEPS} microsteps "
            f"(an eventless or raised-event loop); active states: {states}; {last}"
        )


def microstep(step: Step, transitions: list[Transition], event: Event) -> None:
    """Exit, run transition content, enter: one microstep over a conflict-free set.

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> microstep(step, list(light.get_state("light.red").transitions), Event("TIMER"))
    >>> step.snapshot().value
    'green'
    """
    count_microstep(step, transitions)
    if step.fired is not None:
        step.fired.extend(transitions)
    plan = microstep_plan(step, transitions)
    # exits and entries share one domain per transition: recomputed from the history the exits
    # record, a domain could move below a parallel state it exited (and leave it out)
    step.domains.clear()
    exit_states(step, transitions, event, None if plan is None else plan.exits)
    execute_transition_content(step, transitions, event)
    enter_states(step, transitions, event, plan)
    step.domains.clear()


class Plan:
    """What a microstep exits and enters, fixed by the configuration and the transitions when no
    history is involved: computed once per (configuration, transition set) and cached.

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> plan = microstep_plan(step, list(light.get_state("light.red").transitions))
    >>> plan.exits, plan.entries
    ([<StateNode light.red.walk>, <StateNode light.red>], [<StateNode light.green>])
    """

    __slots__ = ("exits", "entries", "default_entry", "history_content")

    def __init__(
        self,
        exits: list[StateNode],
        entries: list[StateNode],
        default_entry: set[StateNode],
        history_content: dict[StateNode, Transition],
    ) -> None:
        self.exits = exits
        self.entries = entries
        self.default_entry = default_entry
        self.history_content = history_content


def microstep_plan(step: Step, transitions: list[Transition], cache: bool = True) -> Plan | None:
    """The cached `Plan` for this configuration and transition set; ``None`` when history is
    involved (history targets, or a default entry through history), which depends on more.
    ``cache=False`` leaves a plan not cached yet out of the cache (the walker's compiled steps
    keep what they need of it themselves).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {
    ...     "a": {"initial": "x", "on": {"OUT": "b"},
    ...           "states": {"x": {"on": {"NEXT": "y"}}, "y": {}, "h": {"type": "history"}}},
    ...     "b": {"on": {"BACK": "a.h"}}}})
    >>> s = m.transition(m.initial_state(), "OUT")
    >>> microstep_plan(Step(m, s, s.context, None), list(m.get_state("m.b").transitions)) is None  # via history
    True
    >>> s = m.initial_state()
    >>> microstep_plan(Step(m, s, s.context, None), list(m.get_state("m.a").transitions)).entries
    [<StateNode m.b>]
    """
    for t in transitions:
        if t.has_history_target:
            return None
    plans = step.machine.plans
    key = (step.frozen_configuration_nodes(), tuple(transitions))
    plan = plans.get(key)
    if plan is None:
        if key in plans:  # known to involve history
            return None
        to_enter, default_entry, history_content = compute_entry_set(step, transitions)
        if history_content or any(s.initial is not None and s.initial.has_history_target for s in default_entry):
            plan = None
        else:
            plan = Plan(
                sorted(compute_exit_set(step, transitions), key=_exit_order),
                sorted(to_enter, key=_order),
                default_entry,
                history_content,
            )
        if not cache:
            return plan
        if len(plans) >= PLAN_CACHE_SIZE:
            plans.clear()
        plans[key] = plan
    return plan


def run_to_completion(step: Step) -> None:
    """Eventless transitions first, then internal events, until neither is left (W3C loop).

    >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
    <Machine light (5 states)>
    >>> s = light.initial_state()
    >>> step = Step(light, s, s.context, None)
    >>> step.internal.append(Event("TIMER"))
    >>> run_to_completion(step)
    >>> step.snapshot().value
    {'red': 'wait'}
    """
    while step.status == "active":
        queued = len(step.internal)
        enabled = select_eventless_transitions(step)
        if not enabled:
            # a failing eventless guard raises error.execution each round, and if nothing takes it
            # the rounds never end: count such rounds like microsteps (an ignored raised event alone
            # is not counted, however many a macrostep raises)
            raised_by_selection = len(step.internal) > queued
            if not step.internal:
                return
            internal = step.internal.popleft()
            step.event = internal
            enabled = select_transitions(step, internal)
            if not enabled:
                if raised_by_selection:
                    count_microstep(step, enabled, internal)
                continue
        microstep(step, enabled, step.event)


def enter_initial(machine: ChartIndex, context: FrozenDict, execute: Executor | None = None) -> Snapshot:
    """The initial snapshot: enter the root's initial configuration and settle.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"always": "b"}, "b": {}}})
    >>> s = enter_initial(m, FrozenDict({"n": 1}))
    >>> s.value, s.context
    ('b', FrozenDict({'n': 1}))
    """
    if machine.xstate:
        return xstate_enter_initial(machine, context, execute)
    step = Step(machine, None, context, execute)
    init = machine.root_entry
    enter_states(step, [init], step.event)
    run_to_completion(step)
    return step.snapshot()


# what `static_step` caches per (configuration, event name): see `_static_shape`
StaticShape: TypeAlias = "frozenset[StateNode] | dict[Transition, frozenset[StateNode]] | None"
_UNKNOWN: Any = object()


def static_step(snapshot: Snapshot, event: Event) -> Snapshot | None:
    """The macrostep of ``event`` when only the configuration and the event name decide its
    shape, taken from a cache per both (as the walker's compiled steps are): no action other
    than ``assign``, no entry, exit, history, final state or eventless transition takes part,
    so the history and the pending sends pass through and no effect is left to run. Without
    guards the next configuration is cached outright; with guards, the move of each candidate
    transition is, and the guards and assigns run on the context here. ``None`` when the step
    is anything else (or a guard or an assign raises): the full macrostep then runs.

    >>> from statecharts import Event, Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {
    ...     "a": {"on": {"GO": "b"}}, "b": {"on": {"GO": {"target": "c", "guard": lambda c, e: c["n"] < 1,
    ...                                                   "actions": assign(n=1)}}},
    ...     "c": {"entry": "log"}}}, actions={"log": lambda c, e: None})
    >>> a = m.initial_state()
    >>> b = static_step(a, Event("GO"))
    >>> b.value, b == m.transition(a, "GO"), static_step(a, Event("NOPE")) == a
    ('b', True, True)
    >>> static_step(b, Event("GO")) is None  # c runs an entry action
    True
    """
    if snapshot.status != "active":
        return None
    index = snapshot.machine
    key = (snapshot.configuration_nodes, event.name)
    steps = index.static_steps
    shape = steps.get(key, _UNKNOWN)  # one lookup: another thread may clear the cache meanwhile
    if shape is _UNKNOWN:
        if len(steps) >= SELECTION_CACHE_SIZE:
            steps.clear()
        shape = steps[key] = _static_shape(index, snapshot, event)
    if shape is None:
        return None
    context = snapshot.context
    if not isinstance(shape, frozenset):  # guards decide: the move of the transition they choose
        probe = Probe(snapshot)
        enabled = first_enabled(probe, index.selection(snapshot.configuration_nodes, event.name), event)
        if probe.failed or len(enabled) > 1:
            return None
        if not enabled:
            return Snapshot(
                index,
                snapshot.configuration_nodes,
                context,
                snapshot.history,
                snapshot.pending,
                "active",
                snapshot.output,
                (),
                event,
            )
        t = enabled[0]
        nodes = shape.get(t)
        if nodes is None:
            return None
        try:
            for action in t.actions:
                context = action.apply_to(context, event)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the full macrostep turns it into error.execution
            return None
        shape = nodes
    return Snapshot(index, shape, context, snapshot.history, snapshot.pending, "active", snapshot.output, (), event)


def _static_shape(index: ChartIndex, snapshot: Snapshot, event: Event) -> StaticShape:
    """What `static_step` caches for the configuration and the event name: the next
    configuration (no guard takes part), the moves of the candidate transitions that qualify
    (guards take part), or ``None`` (the step is not static)."""
    nodes = snapshot.configuration_nodes
    # SCXML machines prepare each external event; semantics="xstate" (when a machine has it)
    # keeps more than the configuration: both always take the full macrostep
    if index.prepares_external or index.xstate or index.selection(nodes, None):
        return None
    chains = index.selection(nodes, event.name)
    if not chains:
        return nodes
    step = Step(index, snapshot, snapshot.context, None)
    step.event = event
    if any(guard is not None for chain in chains for _, guard in chain):
        moves = {
            t: after
            for chain in chains
            for t, _ in chain
            if all(type(a) is Assign for a in t.actions) and (after := _static_move(index, step, [t]))
        }
        return moves or None  # no candidate is static: the guards need not run twice
    enabled = select_transitions(step, event)
    if not enabled:
        return nodes
    if any(t.actions for t in enabled):
        return None
    return _static_move(index, step, enabled)


def _static_move(index: ChartIndex, step: Step, transitions: list[Transition]) -> frozenset[StateNode] | None:
    """The configuration a microstep over ``transitions`` reaches when it enters and exits
    without content, history or final states, settling at once; else ``None``."""
    if any(t.has_history_target for t in transitions):
        return None
    plan = microstep_plan(step, transitions)
    if plan is None or plan.history_content or any(s.exit or s.histories for s in plan.exits):
        return None
    if any(
        s.entry or s.type == "final" or (s in plan.default_entry and s.initial is not None and s.initial.actions)
        for s in plan.entries
    ):
        return None
    after = (step.frozen_configuration_nodes() - frozenset(plan.exits)) | frozenset(plan.entries)
    return None if index.selection(after, None) else after


def macrostep(snapshot: Snapshot, event: Event, execute: Executor | None = None, static: bool = True) -> Snapshot:
    """Process one external event to completion: the next snapshot, with its effects.
    ``static=False`` skips `static_step` (a runtime that tried it already).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"always": "c"}, "c": {}}})
    >>> macrostep(m.initial_state(), Event("GO")).value
    'c'
    """
    if snapshot.machine.xstate:
        return xstate_macrostep(snapshot, event, execute)
    if static:
        cached = static_step(snapshot, event)  # cached: config and name decide it
        if cached is not None:
            return cached
    step = Step(snapshot.machine, snapshot, snapshot.context, execute)
    if step.status != "active":
        return step.snapshot()
    step.event = event
    if step.machine.prepares_external:  # SCXML: <finalize> and autoforward before the event is processed
        step.machine.prepare_external(step, event)
    enabled = select_transitions(step, event)
    if enabled:
        microstep(step, enabled, event)
    run_to_completion(step)
    return step.snapshot()


# ---------------------------------------------------------------------------------------------
# semantics="xstate": xstate v5's algorithm (its stateUtils), where it differs from the above.
#
# The differences, each a named function below: selection walks the state value (a parallel
# state's own handler only when no region has one; regions in entry order), descriptors match
# exactly or by explicit wildcard with the exact one first (`xstate_candidates`), eventless
# selection goes in entry order (`xstate_eventless_transitions`), the domain is the least common
# ancestor of any type and a root `reenter` has none (`xstate_transition_domain`), the entry set
# follows xstate's addAncestorStatesToEnter (`xstate_entry_set`), reaching the top-level final
# state runs every exit action, and a throwing action or guard aborts the macrostep: the snapshot
# before it comes back with status "error" (`XstateAbort`).


class XstateAbort(StatechartError):
    """An action or guard failed in xstate mode: the macrostep is abandoned (xstate's actor error);
    `Machine.can` lets it through, as xstate's ``snapshot.can`` throws."""

    def __init__(self, error: BaseException, source: str) -> None:
        super().__init__(f"{source}: {type(error).__name__}: {error}")
        self.error = error
        self.source = source


def _x_is_descendant(child: StateNode, parent: StateNode | None) -> bool:
    """xstate's isDescendant: a proper descendant; every node is under ``None`` (no domain)."""
    return parent is None or parent in child.ancestors


def _x_proper_ancestors(node: StateNode, upto: StateNode | None) -> list[StateNode]:
    if upto is node:
        return []
    found = []
    for a in node.ancestors:
        if a is upto:
            break
        found.append(a)
    return found


def _x_next(step: Step, state: StateNode, event: Event) -> list[Transition]:
    """xstate's StateNode.next: the first candidate whose guard holds (a throwing guard aborts)."""
    for t in step.machine.xstate_candidates(state, event.name):
        if t.guard is None or guard_holds(step, t, t.guard, event):
            return [t]
    return []


def _x_transition_node(step: Step, state: StateNode, value: Any, event: Event) -> list[Transition]:
    """xstate's transitionNode over the state value: descendants first, a parallel state's regions
    in the value's (entry) order, the state's own transition only when none below took the event."""
    found: list[Transition] = []
    if isinstance(value, str):
        found = _x_next(step, _x_child(state, value), event)
    elif len(value) == 1:
        key = next(iter(value))
        found = _x_transition_node(step, _x_child(state, key), value[key], event)
    else:
        for key, sub in value.items():
            found.extend(_x_transition_node(step, _x_child(state, key), sub, event))
    return found or _x_next(step, state, event)


def _x_child(state: StateNode, key: str) -> StateNode:
    return next(c for c in state.children if c.key == key)


def xstate_select_transitions(step: Step, event: Event) -> list[Transition]:
    """Enabled transitions for ``event`` as xstate selects them (before conflicts are removed).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "p", "states": {"p": {"type": "parallel", "on": {"GO": {}},
    ...     "states": {"r1": {"on": {"GO": {}}}, "r2": {}}}}}, semantics="xstate")
    >>> s = m.initial_state()
    >>> xstate_select_transitions(Step(m, s, s.context, None), Event("GO"))  # the region's, not p's too
    [<Transition m.p.r1 --GO--> ->]
    """
    assert step.sequence is not None
    root = step.machine.chart.root
    return _x_transition_node(step, root, xstate_value(root, tuple(step.sequence)), event)


def xstate_eventless_transitions(step: Step) -> list[Transition]:
    """xstate's selectEventlessTransitions: per atomic state in entry order, the first enabled
    ``always`` transition of it or its nearest ancestor that has one enabled; conflicts removed.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"always": "b"}, "b": {}}}, semantics="xstate")
    >>> m.initial_state().value
    'b'
    """
    enabled: list[Transition] = []
    assert step.sequence is not None
    for atomic in step.sequence:
        if atomic.type not in ("atomic", "final"):
            continue
        for state in (atomic, *atomic.ancestors):
            chosen = next(
                (
                    t
                    for t in step.machine.eventless(state)
                    if t.guard is None or guard_holds(step, t, t.guard, step.event)
                ),
                None,
            )
            if chosen is not None:
                if chosen not in enabled:
                    enabled.append(chosen)
                break
    return xstate_remove_conflicts(step, enabled)


def _x_effective_targets(step: Step, t: Transition) -> list[StateNode]:
    targets: list[StateNode] = []
    for s in t.targets:
        if s.type == "history":
            found = step.history[s] if s in step.history else _x_history_default(s)
            targets.extend(x for x in sorted(found, key=_order) if x not in targets)
        elif s not in targets:
            targets.append(s)
    return targets


def _x_history_default(history: StateNode) -> list[StateNode]:
    """xstate's resolveHistoryDefaultTransition: the ``target``, else a parallel parent itself,
    else the parent's initial state (history defaults made of history states are followed)."""
    parent = history.parent
    assert parent is not None
    if history.history_default is not None:
        found: list[StateNode] = []
        for s in history.history_default.targets:
            found.extend(_x_history_default(s) if s.type == "history" else [s])
        return found
    if parent.type == "parallel":
        return [parent]
    assert parent.initial is not None
    return list(parent.initial.targets)


def xstate_transition_domain(step: Step, t: Transition) -> StateNode | None:
    """xstate's getTransitionDomain: the source when every target is in it (and no ``reenter``),
    else the least common ancestor of targets and source (of any type), else the root; ``None``
    for a ``reenter`` transition whose least common ancestor would be above the root.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "p", "states": {"p": {"type": "parallel", "states": {
    ...     "r1": {"initial": "a", "states": {"a": {"on": {"GO": "#m.p.r2.d"}}}},
    ...     "r2": {"initial": "c", "states": {"c": {}, "d": {}}}}}}}, semantics="xstate")
    >>> s = m.initial_state()
    >>> xstate_transition_domain(Step(m, s, s.context, None), m.get_state("m.p.r1.a").transitions[0])
    <StateNode m.p>
    """
    targets = _x_effective_targets(step, t)
    source = t.source
    if not t.reenter and all(x is source or _x_is_descendant(x, source) for x in targets):
        return source
    head, tail = (targets[0], [*targets[1:], source]) if targets else (source, [])
    for ancestor in head.ancestors:
        if all(_x_is_descendant(x, ancestor) for x in tail):
            return ancestor
    return None if t.reenter else step.machine.chart.root


def xstate_exit_set(step: Step, transitions: Iterable[Transition]) -> set[StateNode]:
    """xstate's computeExitSet: active descendants of each domain (and a re-entered source).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "p", "states": {"p": {"type": "parallel", "states": {
    ...     "r1": {"initial": "a", "states": {"a": {"on": {"GO": "#m.p.r2.d"}}}},
    ...     "r2": {"initial": "c", "states": {"c": {}, "d": {}}}}}}}, semantics="xstate")
    >>> s = m.initial_state()
    >>> sorted(n.id for n in xstate_exit_set(Step(m, s, s.context, None), m.get_state("m.p.r1.a").transitions))
    ['m.p.r1', 'm.p.r1.a', 'm.p.r2', 'm.p.r2.c']
    """
    exits: set[StateNode] = set()
    for t in transitions:
        if t.targets:
            domain = xstate_transition_domain(step, t)
            if t.reenter and t.source is domain:
                exits.add(t.source)
            exits.update(n for n in step.configuration_nodes if _x_is_descendant(n, domain))
    return exits


def xstate_remove_conflicts(step: Step, enabled: list[Transition]) -> list[Transition]:
    """xstate's removeConflictingTransitions (W3C's, over xstate's exit sets)."""
    return remove_conflicting_transitions(step, enabled, xstate_exit_set) if len(enabled) > 1 else enabled


def xstate_entry_set(step: Step, transitions: Iterable[Transition]) -> tuple[set[StateNode], set[StateNode]]:
    """xstate's computeEntrySet: the states to enter and those entered by default (whose
    ``initial`` actions run).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "p", "states": {"p": {"type": "parallel", "states": {
    ...     "r1": {"initial": "a", "states": {"a": {"on": {"GO": "#m.p.r2.d"}}}},
    ...     "r2": {"initial": "c", "states": {"c": {}, "d": {}}}}}}}, semantics="xstate")
    >>> s = m.initial_state()
    >>> to_enter, _ = xstate_entry_set(Step(m, s, s.context, None), m.get_state("m.p.r1.a").transitions)
    >>> sorted(n.id for n in to_enter)  # p stays; both regions are entered again
    ['m.p.r1', 'm.p.r1.a', 'm.p.r2', 'm.p.r2.d']
    """
    to_enter: set[StateNode] = set()
    default_entry: set[StateNode] = set()
    for t in transitions:
        domain = xstate_transition_domain(step, t)
        for s in t.targets:
            if s.type != "history" and (t.source is not s or t.source is not domain or t.reenter):
                to_enter.add(s)
                default_entry.add(s)
            _x_add_descendants(step, s, default_entry, to_enter)
        for s in _x_effective_targets(step, t):
            ancestors = _x_proper_ancestors(s, domain)
            if domain is not None and domain.type == "parallel":
                ancestors.append(domain)
            _x_add_ancestors(
                step, to_enter, default_entry, ancestors, None if t.source.parent is None and t.reenter else domain
            )
    return to_enter, default_entry


def _x_add_descendants(step: Step, state: StateNode, default_entry: set[StateNode], to_enter: set[StateNode]) -> None:
    """xstate's addDescendantStatesToEnter."""
    if state.type == "history":
        parent = state.parent
        assert parent is not None
        if state in step.history:
            stored = sorted(step.history[state], key=_order)
            for s in stored:
                to_enter.add(s)
                _x_add_descendants(step, s, default_entry, to_enter)
            for s in stored:
                _x_add_ancestors(step, to_enter, default_entry, _x_proper_ancestors(s, parent), None)
        else:
            uses_initial = state.history_default is None and parent.type != "parallel"
            default = _x_history_default(state)
            for s in default:
                to_enter.add(s)
                if uses_initial:
                    default_entry.add(parent)
                _x_add_descendants(step, s, default_entry, to_enter)
            for s in default:
                _x_add_ancestors(step, to_enter, default_entry, _x_proper_ancestors(s, parent), None)
    elif state.type == "compound":
        assert state.initial is not None
        first = state.initial.targets[0]
        if first.type != "history":
            to_enter.add(first)
            default_entry.add(first)
        _x_add_descendants(step, first, default_entry, to_enter)
        _x_add_ancestors(step, to_enter, default_entry, _x_proper_ancestors(first, state), None)
    elif state.type == "parallel":
        for child in state.children:
            if not any(_x_is_descendant(s, child) for s in to_enter):
                to_enter.add(child)
                default_entry.add(child)
                _x_add_descendants(step, child, default_entry, to_enter)


def _x_add_ancestors(
    step: Step,
    to_enter: set[StateNode],
    default_entry: set[StateNode],
    ancestors: list[StateNode],
    reentrancy_domain: StateNode | None,
) -> None:
    """xstate's addAncestorStatesToEnter."""
    for anc in ancestors:
        if reentrancy_domain is None or _x_is_descendant(anc, reentrancy_domain):
            to_enter.add(anc)
        if anc.type == "parallel":
            for child in anc.children:
                if not any(_x_is_descendant(s, child) for s in to_enter):
                    to_enter.add(child)
                    _x_add_descendants(step, child, default_entry, to_enter)


def _x_run(step: Step, actions: Iterable[Action], event: Event) -> None:
    for action in actions:
        try:
            run_action(step, action, event)
        except XstateAbort:
            raise
        except Exception as exc:  # noqa: BLE001 - xstate: the actor fails, the macrostep is abandoned
            raise XstateAbort(exc, f"action {action.name}") from exc


def xstate_microstep(step: Step, enabled: list[Transition], event: Event, initial: bool = False) -> bool:
    """xstate's microstep: remove conflicts, exit, transition actions, enter; at the top-level
    final state every state's exit actions run. True when the snapshot changed (xstate then
    selects eventless transitions again).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}, semantics="xstate")
    >>> s = m.initial_state()
    >>> step = Step(m, s, s.context, None)
    >>> xstate_microstep(step, xstate_select_transitions(step, Event("GO")), Event("GO")), step.snapshot().value
    (True, 'b')
    """
    if not enabled:
        return False
    count_microstep(step, enabled)
    transitions = xstate_remove_conflicts(step, enabled)
    if step.fired is not None:
        step.fired.extend(transitions)
    before = (frozenset(step.configuration_nodes), step.context, step.status)
    history_changed = False
    assert step.sequence is not None
    sequence = step.sequence
    order_before = tuple(sequence)
    if not initial:
        exits = sorted(xstate_exit_set(step, transitions), key=_exit_order)
        recorded = dict(step.history)
        for s in exits:
            for h in s.histories:
                history_changed = True
                if h.history_type == "deep":
                    recorded[h] = frozenset(
                        x for x in step.configuration_nodes if x.type in ("atomic", "final") and s in x.ancestors
                    )
                else:
                    recorded[h] = frozenset(x for x in step.configuration_nodes if x.parent is s)
        step.frozen = None
        for s in exits:
            _x_run(step, s.exit, event)
            step.configuration_nodes.discard(s)
            sequence.pop(s, None)
        step.history = recorded
    for t in transitions:
        _x_run(step, t.actions, event)
    to_enter, default_entry = xstate_entry_set(step, transitions)
    if initial:
        default_entry.add(step.machine.chart.root)
    root = step.machine.chart.root
    completed: set[StateNode] = set()
    step.frozen = None
    for s in sorted(to_enter, key=_order):
        step.configuration_nodes.add(s)
        sequence[s] = None
        _x_run(step, s.entry, event)
        if s in default_entry and s.initial is not None:
            _x_run(step, s.initial.actions, event)
        if s.type != "final":
            continue
        parent = s.parent
        marker = parent if parent is not None and parent.type == "parallel" else (parent.parent if parent else None)
        completion = marker or s
        if parent is not None and parent.type == "compound":
            step.internal.append(Event(f"xstate.done.state.{parent.id}", _x_output(step, s, event)))
        while (
            marker is not None
            and marker.type == "parallel"
            and marker not in completed
            and is_in_final_state(step, marker)
        ):
            completed.add(marker)
            step.internal.append(Event(f"xstate.done.state.{marker.id}"))
            completion = marker
            marker = marker.parent
        if marker is None:  # xstate's getMachineOutput: the root's output of a done event
            step.status = "done"
            if root.output is not None:
                data = _x_output(step, completion, event) if completion.parent is not None else None
                step.output = _x_output(step, root, Event(f"xstate.done.state.{completion.id}", data))
    if step.status == "done":
        for s in sorted(sequence, key=_exit_order):
            _x_run(step, s.exit, event)
    if not history_changed and before[0] == step.configuration_nodes:  # xstate keeps its _nodes (and their order)
        step.sequence = dict.fromkeys(order_before)
    return (
        history_changed
        or (frozenset(step.configuration_nodes), step.context, step.status) != before
        or step.context is not before[1]
    )


def _x_output(step: Step, state: StateNode, event: Event) -> Any:
    output = state.output
    if not callable(output):
        return output
    try:
        return output(step.context, event)
    except Exception as exc:  # noqa: BLE001
        raise XstateAbort(exc, f"output of {state.id}") from exc


def xstate_run_to_completion(step: Step) -> None:
    """xstate's macrostep loop: eventless transitions (in entry order) while the snapshot keeps
    changing, then the next raised event."""
    select_eventless = True
    event = step.event
    while step.status == "active":
        enabled = xstate_eventless_transitions(step) if select_eventless else []
        from_eventless = bool(enabled)
        if not enabled:
            if not step.internal:
                return
            event = step.event = step.internal.popleft()
            enabled = xstate_select_transitions(step, event)
            if not enabled:
                count_microstep(step, enabled, event)
        changed = xstate_microstep(step, enabled, event)
        select_eventless = changed or not from_eventless


def xstate_initial_nodes(machine: ChartIndex) -> frozenset[StateNode]:
    """The default initial configuration (no actions run): what an actor that failed to start shows."""
    step = Step(machine, None, FrozenDict(), None)
    to_enter, _ = xstate_entry_set(step, [_x_init_transition(machine)])
    return frozenset(to_enter)


def _x_init_transition(machine: ChartIndex) -> Transition:
    root = machine.chart.root
    t = Transition(root, (), -1)
    t.targets = (root,)
    t.reenter = True
    t.kind = "initial"
    return t


def xstate_enter_initial(machine: ChartIndex, context: FrozenDict, execute: Executor | None = None) -> Snapshot:
    """xstate's getInitialSnapshot: enter the initial configuration and settle; a failure gives the
    default configuration with the initial context and status ``"error"``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": "boom"}}},
    ...             actions={"boom": lambda c, e: 1 / 0}, semantics="xstate")
    >>> s = m.interpret().start().state
    >>> s.status, s.value, s.output
    ('error', 'a', 'action boom: ZeroDivisionError: division by zero')
    """
    step = Step(machine, None, context, execute)
    try:
        xstate_microstep(step, [_x_init_transition(machine)], step.event, initial=True)
        xstate_run_to_completion(step)
    except XstateAbort as abort:
        nodes = xstate_initial_nodes(machine)
        return Snapshot(
            machine, nodes, context, (), (), "error", str(abort), (), INIT_EVENT, tuple(sorted(nodes, key=_order))
        )
    return step.snapshot()


def _errored(snapshot: Snapshot, error: Any, event: Event) -> Snapshot:
    """``snapshot`` as xstate leaves an actor that failed: status ``error`` with ``error`` as its
    output, nothing to run, the same configuration and context."""
    return Snapshot(
        snapshot.machine,
        snapshot.configuration_nodes,
        snapshot.context,
        snapshot.history,
        snapshot.pending,
        "error",
        error,
        (),
        event,
        snapshot.sequence,
    )


def xstate_macrostep(
    snapshot: Snapshot, event: Event, execute: Executor | None = None, fired: list[Transition] | None = None
) -> Snapshot:
    """xstate's macrostep; a throwing action or guard gives back the snapshot it started from with
    status ``"error"`` (``output`` says what failed), as xstate's actor does.

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {"on": {"GO": {
    ...     "target": "b", "actions": [assign(n=1), "boom"]}}}, "b": {}}},
    ...     actions={"boom": assign(n=lambda c, e: 1 / 0)}, semantics="xstate")
    >>> s = m.transition(m.initial_state(), "GO")
    >>> s.status, s.value, s.context["n"]
    ('error', 'a', 0)
    """
    step = Step(snapshot.machine, snapshot, snapshot.context, execute)
    if step.status != "active":
        return step.snapshot()
    step.event = event
    step.fired = fired
    try:
        enabled = xstate_select_transitions(step, event)
        if not enabled and event.name.startswith("xstate.error.actor."):
            return _errored(snapshot, event.data, event)
        xstate_microstep(step, enabled, event)
        xstate_run_to_completion(step)
    except XstateAbort as abort:
        return _errored(snapshot, str(abort), event)
    return step.snapshot()
