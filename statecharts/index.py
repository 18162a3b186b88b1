"""`ChartIndex`: a compiled chart's lookups and caches, below the algorithm.

The algorithm (`statecharts.algorithm`) asks a chart's index which transitions an event can take
from a configuration, in what order, and how a reference or a delay resolves; it never sees the
facade (`statecharts.machine.Machine` extends this class with ``initial_state``, ``transition``
and the doors to the runtime). Caches are filled on first use; under concurrent use (several
interpreters on threads) two callers may compute the same entry, which is harmless because every
entry is a pure function of its key, and a cache at its bound is cleared, never read half-built
(`test_the_caches_are_safe_under_concurrent_use`). Open: twice on CI, one ``Machine`` stepped
from eight threads at once gave one of them a wrong step; not reproduced elsewhere. Until it is
found, give each thread its own ``Machine`` (interpreters of one ``Machine`` on several threads
share its caches too, and may meet the same fault).

Event matching lives here too: SCXML's prefix rule for the default semantics (`matching`) and
xstate v5's exact-then-wildcard order (`xstate_candidates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from statecharts.actions import Assign, call_expression
from statecharts.chart import Chart, StateNode, Transition
from statecharts.event import Event, descriptor_matches
from statecharts.guards import Guard
from statecharts.limits import MAX_DELAY_MS

SELECTION_CACHE_SIZE = 1 << 18
#: An atomic state's candidate transitions for one event, its own first, each with its guard.
Chain = tuple[tuple[Transition, "Guard | None"], ...]


def _document_order(node: StateNode) -> int:
    return node.order


def matching(transitions: Iterable[Transition], name: str) -> tuple[Transition, ...]:
    """The evented transitions whose descriptors match an event name, in document order.

    Descriptors written by the user follow SCXML's prefix rule; the ones the chart generates
    (``onDone``, invoke's ``onDone``/``onError``, ``after``) match exactly, as in xstate, so that
    ``done.state.m.p`` does not catch ``done.state.m.p.region``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"error": "b", "error.send.x": "b",
    ...     "GO": "b"}}, "b": {}}})
    >>> matching(m.get_state("m.a").transitions, "error.send.failed")
    (<Transition m.a --error--> m.b>,)
    """
    legacy, modern = legacy_name(name), modern_name(name)
    return tuple(
        t
        for t in transitions
        if t.events
        and (
            (name in t.events or modern in t.events)
            if t.exact
            else any(
                descriptor_matches(d, name) or legacy is not None and descriptor_matches(d, legacy) for d in t.events
            )
        )
    )


LEGACY_NAMES = (
    ("xstate.done.state.", "done.state."),
    ("xstate.done.actor.", "done.invoke."),
    ("xstate.error.actor.", "error.invoke."),
)


def legacy_name(name: str) -> str | None:
    """The pre-v5 name of an xstate v5 done/error event, which descriptors may still use (the
    default semantics only): ``done.state.<id>``, ``done.invoke.<id>``, ``error.invoke.<id>``.

    >>> legacy_name("xstate.done.state.m.a"), legacy_name("xstate.error.actor.load"), legacy_name("GO")
    ('done.state.m.a', 'error.invoke.load', None)
    """
    for new, old in LEGACY_NAMES:
        if name.startswith(new):
            return old + name[len(new) :]
    return None


def modern_name(name: str) -> str | None:
    """The xstate v5 name of a pre-v5 done/error event (an ``onDone``/``onError`` of the default
    semantics also takes an event sent under the old name).

    >>> modern_name("done.invoke.load"), modern_name("done.state.m.a"), modern_name("GO")
    ('xstate.done.actor.load', 'xstate.done.state.m.a', None)
    """
    for new, old in LEGACY_NAMES:
        if name.startswith(old):
            return new + name[len(old) :]
    return None


def xstate_candidates(state: StateNode, name: str) -> list[Transition]:
    """xstate's getCandidates: transitions under the exact descriptor, then those under matching
    wildcard descriptors (``*``, ``a.*``), longer descriptors first.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"*": "b", "A.*": "b", "A": "c"}},
    ...     "b": {}, "c": {}}}, semantics="xstate")
    >>> [t.events[0] for t in xstate_candidates(m.get_state("m.a"), "A")]
    ['A', 'A.*', '*']
    >>> [t.events[0] for t in xstate_candidates(m.get_state("m.a"), "A.B.C")]
    ['A.*', '*']
    """
    exact: list[Transition] = []
    wild: dict[str, list[Transition]] = {}
    for t in state.transitions:
        if not t.events:
            continue
        descriptor = t.events[0]
        if descriptor == name:
            exact.append(t)
        elif xstate_descriptor_matches(descriptor, name):
            wild.setdefault(descriptor, []).append(t)
    for descriptor in sorted(wild, key=len, reverse=True):
        exact.extend(wild[descriptor])
    return exact


def xstate_descriptor_matches(descriptor: str, name: str) -> bool:
    """xstate v5's matchesEventDescriptor: exact, ``*``, or ``a.b.*`` (which matches ``a.b``,
    ``a.b.c``, ...); no prefix rule.

    >>> [xstate_descriptor_matches(d, "a.b") for d in ("a.b", "*", "a.*", "a.b.*", "a", "a.b.c.*")]
    [True, True, True, True, False, False]
    """
    if descriptor == name or descriptor == "*":
        return True
    if not descriptor.endswith(".*"):
        return False
    tokens = name.split(".")
    for index, part in enumerate(descriptor.split(".")):
        if part == "*":
            return index == len(descriptor.split(".")) - 1
        if index >= len(tokens) or part != tokens[index]:
            return False
    return True


class ChartIndex:
    """The lookups and caches of a compiled chart that the algorithm works with.

    ``xstate`` selects xstate v5's algorithm; ``done_state_prefix`` names the done events a
    compound state raises; `prepare_external` is the hook a chart runs before each external
    event (SCXML's ``<finalize>`` and ``autoforward``), a no-op unless ``prepares_external``.
    """

    done_state_prefix = "xstate.done.state."  # xstate v5's done event names (SCXML documents: done.state.)
    prepares_external = False

    def __init__(self, chart: Chart, *, xstate: bool = False) -> None:
        self.chart = chart
        self.xstate = xstate  # xstate v5's algorithm (see statecharts.algorithm)
        self.id = chart.root.id
        self._candidates: dict[tuple[StateNode, str], tuple[Transition, ...]] = {}
        self._xstate_candidates: dict[tuple[StateNode, str], list[Transition]] = {}
        self._eventless: dict[StateNode, tuple[Transition, ...]] = {
            n: tuple(t for t in n.transitions if t.eventless) for n in chart.nodes
        }
        self._refs: dict[str, StateNode | None] = {}
        self._selection: dict[tuple[frozenset[StateNode], str | None], tuple[Chain, ...]] = {}
        self._atomics: dict[frozenset[StateNode], tuple[StateNode, ...]] = {}
        self._chains: dict[tuple[StateNode, str | None], Chain] = {}
        self._assign_only: dict[Transition, bool] = {}
        #: the algorithm's caches: microstep plans per (configuration, transitions), and static
        #: steps per (configuration, event name); see `statecharts.algorithm.static_step`
        self.plans: dict[tuple[frozenset[StateNode], tuple[Transition, ...]], Any] = {}
        self.static_steps: dict[tuple[frozenset[StateNode], str], Any] = {}
        root = chart.root
        self.root_entry = Transition(root, (), -1)
        self.root_entry.targets = (root,)
        self.root_entry.kind = "initial"

    def prepare_external(self, step: Any, event: Event) -> None:
        """Run before an external event is processed (a `statecharts.algorithm.Step` in progress);
        charts that need it override this and set ``prepares_external``."""

    def candidates(self, state: StateNode, name: str) -> tuple[Transition, ...]:
        """The state's own transitions whose event descriptors match ``name`` (cached).

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> walk, wait = light.get_state("light.red.walk"), light.get_state("light.red.wait")
        >>> light.candidates(walk, "TIMER"), light.candidates(wait, "TIMER")
        ((<Transition light.red.walk --TIMER--> light.red.wait>,), ())
        """
        key = (state, name)
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = matching(state.transitions, name)
        return found

    def xstate_candidates(self, state: StateNode, name: str) -> list[Transition]:
        """xstate's candidates of a state for an event name, exact descriptor first (cached).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"*": "b", "GO": "b"}}, "b": {}}},
        ...             semantics="xstate")
        >>> m.xstate_candidates(m.get_state("m.a"), "GO")
        [<Transition m.a --GO--> m.b>, <Transition m.a --*--> m.b>]
        """
        key = (state, name)
        found = self._xstate_candidates.get(key)
        if found is None:
            found = self._xstate_candidates[key] = xstate_candidates(state, name)
        return found

    def eventless(self, state: StateNode) -> tuple[Transition, ...]:
        """The state's own eventless (``always``) transitions, in document order.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"always": "b", "on": {"GO": "b"}}, "b": {}}})
        >>> m.eventless(m.get_state("m.a"))
        (<Transition m.a --always--> m.b>,)
        """
        return self._eventless[state]

    def atomic_states(self, nodes: frozenset[StateNode]) -> tuple[StateNode, ...]:
        """The atomic and final states of a configuration, in document order (cached).

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> light.atomic_states(light.initial_state().configuration_nodes)
        (<StateNode light.red.walk>,)
        """
        found = self._atomics.get(nodes)
        if found is None:
            if len(self._atomics) >= SELECTION_CACHE_SIZE:
                self._atomics.clear()
            found = self._atomics[nodes] = tuple(
                sorted((n for n in nodes if n.type in ("atomic", "final")), key=_document_order)
            )
        return found

    def chain(self, atomic: StateNode, name: str | None) -> Chain:
        """An atomic state's candidate transitions for event ``name`` (``None``: eventless), its
        own first, then its ancestors', each with its guard: SCXML takes the first enabled one.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> [t.describe() for t, guard in light.chain(light.get_state("light.red.walk"), "TIMER")]
        ['light.red.walk --TIMER--> light.red.wait', 'light.red --TIMER--> light.green']
        """
        key = (atomic, name)
        found = self._chains.get(key)
        if found is None:
            found = self._chains[key] = tuple(
                (t, t.guard)
                for state in (atomic, *atomic.ancestors)
                for t in (self.eventless(state) if name is None else self.candidates(state, name))
            )
        return found

    def assign_only(self, t: Transition) -> bool:
        """The transition is targetless and only runs plain ``assign`` actions (cached).

        >>> from statecharts import Machine, assign, log
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {
        ...     "INC": {"actions": assign(n=1)}, "LOG": {"actions": log("hi")}, "GO": "a"}}}})
        >>> [m.assign_only(t) for t in m.get_state("m.a").transitions]
        [True, False, False]
        """
        found = self._assign_only.get(t)
        if found is None:
            found = self._assign_only[t] = not t.targets and all(type(a) is Assign for a in t.actions)
        return found

    @property
    def has_eventless(self) -> bool:
        """The chart has eventless (``always``) transitions.

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {"always": "b"}, "b": {}}}).has_eventless
        True
        """
        return any(self._eventless.values())

    def listens_for(self, name: str) -> bool:
        """Some transition's descriptor matches the event name (wildcards and prefixes included).

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"error": "a"}}}}).listens_for("error.x")
        True
        """
        return any(self.candidates(n, name) for n in self.chart.nodes)

    def selection(self, nodes: frozenset[StateNode], name: str | None) -> tuple[Chain, ...]:
        """The non-empty chains of a configuration's atomic states for event ``name`` (cached).

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> chains = light.selection(light.initial_state().configuration_nodes, "TIMER")
        >>> [[t.describe() for t, _ in chain] for chain in chains]
        [['light.red.walk --TIMER--> light.red.wait', 'light.red --TIMER--> light.green']]
        """
        key = (nodes, name)
        found = self._selection.get(key)
        if found is None:
            if len(self._selection) >= SELECTION_CACHE_SIZE:
                self._selection.clear()
            found = self._selection[key] = tuple(c for a in self.atomic_states(nodes) if (c := self.chain(a, name)))
        return found

    def resolve_ref(self, ref: str) -> StateNode | None:
        """A state node by reference, as `Chart.find` reads it (cached); ``None`` when there is none.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> light.resolve_ref("#light.red.wait"), light.resolve_ref("red.walk"), light.resolve_ref("nope")
        (<StateNode light.red.wait>, <StateNode light.red.walk>, None)
        """
        if ref in self._refs:
            return self._refs[ref]
        found = self.chart.find(ref)
        if len(self._refs) < 1024 + 8 * len(self.chart.nodes) and len(ref) <= 256:  # refs may come from In()
            self._refs[ref] = found
        return found

    def resolve_delay(self, delay: Any, context: Mapping[str, Any], event: Event, params: Any = None) -> float:
        """Milliseconds for a delay given as a number, a delay name or ``fn(context, event)``
        (``fn(context, event, params)`` when it takes the params of the action's reference).

        >>> from statecharts import Event, Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}}, delays={"slow": 5000})
        >>> [m.resolve_delay(d, {"n": 2}, Event("GO")) for d in (250, "slow", "1000", lambda c, e: c["n"] * 100)]
        [250.0, 5000.0, 1000.0, 200.0]
        """
        if delay is None:
            return 0
        if isinstance(delay, str):  # "1000" is a number of milliseconds, anything else a delay name
            delay = int(delay) if delay.isascii() and delay.isdigit() else self.chart.delays[delay]
        if callable(delay):
            delay = call_expression(delay, context, event, params)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_DELAY_MS:
            raise ValueError(f"a delay must be a number of milliseconds from 0 to {MAX_DELAY_MS:g}, not {delay!r}")
        return float(delay)

    @property
    def events(self) -> tuple[str, ...]:
        """The event names the chart's transitions listen for (wildcards left out).

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b", "error.*": "b"}}, "b": {
        ...     "on": {"BACK": "a"}}}}).events
        ('BACK', 'GO')
        """
        return self.chart.events
