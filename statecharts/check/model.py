"""What the walker needs to know about a chart: a `Model`.

A model factory (``model(workers=2, ...)`` in a machine module) returns one. The CLI's ``check``,
``render`` and ``paths`` commands load it by ``MODULE[:FACTORY]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from statecharts.actions import Send, SpawnChild
from statecharts.chart import StateNode
from statecharts.check.properties import TemporalProperty
from statecharts.errors import ConfigError
from statecharts.event import Event
from statecharts.machine import Machine
from statecharts.state import Snapshot
from statecharts.text import callable_name, did_you_mean

Predicate = Callable[[Snapshot], bool]
StepPredicate = Callable[[Snapshot, Event, Snapshot], bool]  # (state, event, next state) -> bool


@dataclass(frozen=True)
class Fairness:
    """Weak (``WF``) or strong (``SF``) fairness on a set of event instances.

    ``events`` selects the events: an event name (the whole family: every payload), an `Event`
    (one instance), or a predicate over `Event`. ``by`` says what one *action* is, as TLA+'s
    ``\\A w : WF_vars(ApplyFinish(w))``: ``None`` (the default) makes every concrete event its own
    action; a tuple of payload keys groups the events by those keys (``by=("w",)``: one action per
    worker, whatever ``ok`` is); ``()`` makes the whole selection one action.

    >>> f = Fairness("weak", "FINISH", by=("w",))
    >>> f.applies_to(Event("FINISH", w=1, ok=True)), f.action(Event("FINISH", w=1, ok=True))
    (True, ('FINISH', (1,)))
    """

    kind: str  # "weak" | "strong"
    events: str | Event | Callable[[Any], bool]  # a predicate over an Event (an actor system: a Delivery)
    by: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("weak", "strong"):
            raise ConfigError(f"fairness kind must be 'weak' or 'strong', not {self.kind!r}", key="fairness")

    def applies_to(self, event: Event) -> bool:
        """The event is one this constraint is about.

        >>> big = Fairness("strong", lambda e: e.data.get("size", 0) > 10)
        >>> big.applies_to(Event("PUT", size=20)), big.applies_to(Event("PUT", size=3))
        (True, False)
        """
        if isinstance(self.events, str):
            return event.name == self.events
        if isinstance(self.events, Event):
            return event == self.events
        return bool(self.events(event))

    def action(self, event: Event) -> Any:
        """The action (a hashable key) the event belongs to under this constraint.

        >>> tick = Event("TICK", n=3)
        >>> Fairness("weak", "TICK").action(tick) == tick, Fairness("weak", "TICK", by=()).action(tick)
        (True, ('TICK', ()))
        """
        if self.by is None:
            return event
        data = event.data if isinstance(event.data, Mapping) else {}
        return (event.name if isinstance(self.events, str) else None, tuple(data.get(k) for k in self.by))

    @property
    def label(self) -> str:
        """How reports name the constraint: ``WF``/``SF``, the events, and what makes one action.

        >>> Fairness("weak", "FINISH", by=("w",)).label, Fairness("strong", Event("GO"), by=()).label
        ('WF(FINISH per w)', 'SF(GO (one action))')
        """
        what = (
            self.events
            if isinstance(self.events, str)
            else (self.events.name if isinstance(self.events, Event) else callable_name(self.events))
        )
        per = "" if self.by is None else f" per {','.join(self.by)}" if self.by else " (one action)"
        return f"{'WF' if self.kind == 'weak' else 'SF'}({what}{per})"


@dataclass(frozen=True)
class Model:
    """A machine plus everything needed to walk it.

    - ``initial_contexts``: one initial snapshot per context (TLA+'s ``Init`` choices).
    - ``alphabet``: the concrete events to try in every state (names with payloads).
    - ``invariants``: name -> predicate over a snapshot (safety).
    - ``properties``: name -> `TemporalProperty` (liveness).
    - ``fairness``: the fairness constraints the temporal properties are checked under.
    - ``terminal``: states without successors that are acceptable (not deadlocks).
    - ``constraint``: states outside it are kept but not expanded (TLC's CONSTRAINT).
    - ``action_constraint``: ``fn(state, event, next_state) -> bool``; a step it refuses is not
      taken (TLC's ACTION_CONSTRAINT).
    - ``action_properties``: name -> ``fn(state, event, next_state) -> bool`` that every step must
      satisfy (TLA+'s ``[][P]_vars``: steps that change nothing are not asked).
    - ``symmetry``: groups of interchangeable entity names (e.g. workers), used by a
      ``canonicalize(snapshot) -> hashable`` function when given.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> Model(m, alphabet=events("GO")).initial_states()[0].value
    'a'
    """

    machine: Machine
    initial_contexts: Sequence[Mapping[str, Any] | None] = (None,)
    alphabet: Sequence[Event] = ()
    invariants: Mapping[str, Predicate] = field(default_factory=dict)
    properties: Mapping[str, TemporalProperty] = field(default_factory=dict)
    fairness: Sequence[Fairness] = ()
    terminal: Predicate | None = None
    constraint: Predicate | None = None
    symmetry: Sequence[Any] = ()  # Symmetry groups, or plain sequences of region ids
    canonicalize: Callable[[Snapshot], Any] | None = None
    name: str = ""
    action_constraint: StepPredicate | None = None
    action_properties: Mapping[str, StepPredicate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = self.name or "model"
        if not isinstance(self.machine, Machine):
            raise ConfigError(f"a Model needs a Machine, not {type(self.machine).__name__}", path=where, key="machine")
        alphabet = []
        for i, event in enumerate(self.alphabet):
            if isinstance(event, str) and event:
                event = Event(event)
            if not isinstance(event, Event):
                raise ConfigError(
                    f"alphabet[{i}] is {event!r}: use Event(...) or events(name, **domains)", path=where, key="alphabet"
                )
            # an event nobody listens for can still matter to a guarded eventless transition
            if not self.machine.listens_for(event.name) and not self.machine.has_eventless:
                raise ConfigError(
                    f"alphabet[{i}]: no transition of {self.machine.id!r} listens for "
                    f"{event.name!r}{did_you_mean(event.name, self.machine.events)}",
                    path=where,
                    key="alphabet",
                )
            alphabet.append(event)
        object.__setattr__(self, "alphabet", tuple(alphabet))
        for key, table, kind in (
            ("invariants", self.invariants, "a predicate fn(snapshot) -> bool"),
            ("action_properties", self.action_properties, "a predicate fn(state, event, next_state) -> bool"),
            ("properties", self.properties, "a temporal property (eventually(...), ...)"),
        ):
            if not isinstance(table, Mapping):
                raise ConfigError(f"{key} must map names to {kind}, not {type(table).__name__}", path=where, key=key)
            for name, value in table.items():
                ok = isinstance(value, TemporalProperty) if key == "properties" else callable(value)
                if not ok:
                    hint = (
                        " (wrap a predicate in eventually(...), always_eventually(...), ...)"
                        if key == "properties" and callable(value)
                        else ""
                    )
                    raise ConfigError(f"{name!r} must be {kind}, not {type(value).__name__}{hint}", path=where, key=key)
        for i, f in enumerate(self.fairness):
            if not isinstance(f, Fairness):
                raise ConfigError(
                    f"fairness[{i}] is {f!r}: use Fairness('weak' | 'strong', events)", path=where, key="fairness"
                )
        for i, context in enumerate(self.initial_contexts):
            if context is not None and not isinstance(context, Mapping):
                raise ConfigError(
                    f"initial_contexts[{i}] must be a dict of context keys, not {context!r}",
                    path=where,
                    key="initial_contexts",
                )
        for key in ("terminal", "constraint", "canonicalize", "action_constraint"):
            value = getattr(self, key)
            if value is not None and not callable(value):
                of = "(state, event, next_state)" if key == "action_constraint" else "a snapshot"
                raise ConfigError(f"{key} must be a function of {of}, not {type(value).__name__}", path=where, key=key)

    def initial_states(self) -> list[Snapshot]:
        """One initial snapshot per initial context, duplicates removed, in order.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "k", "context": {"n": 0}, "initial": "idle", "states": {"idle": {}}})
        >>> [s.context["n"] for s in Model(m, initial_contexts=[{"n": 1}, {"n": 2}, {"n": 1}]).initial_states()]
        [1, 2]
        """
        seen: dict[Snapshot, None] = {}
        for context in self.initial_contexts:
            snapshot = self.machine.initial_state(context)
            try:
                seen.setdefault(snapshot, None)
            except TypeError:
                bad = [f"{k!r} ({type(v).__name__})" for k, v in snapshot.context.items() if not _hashable(v)]
                raise ConfigError(
                    f"initial context key {', '.join(bad) or '?'} is not hashable: the walker stores "
                    f"states in a set; use tuples, frozensets or frozen dataclasses",
                    path=self.name or self.machine.id,
                    key="context",
                ) from None
        return list(seen)

    def events(self) -> Sequence[Event]:
        """The alphabet, or every event name of the chart without payload when none is given.

        >>> from statecharts import Machine
        >>> lamp = Machine({"id": "lamp", "initial": "off", "states": {
        ...     "off": {"on": {"ON": "on"}}, "on": {"on": {"OFF": "off"}}}})
        >>> Model(lamp).events(), Model(lamp, alphabet=events("ON")).events()
        ((Event('OFF'), Event('ON')), (Event('ON'),))
        """
        return self.alphabet or tuple(Event(name) for name in self.machine.events)


def events(name: str, **domains: Sequence[Any]) -> tuple[Event, ...]:
    """Every instance of an event family over payload domains (their cartesian product).

    >>> events("FINISH", w=[1, 2], ok=[True, False])[:2]
    (Event('FINISH', {'w': 1, 'ok': True}), Event('FINISH', {'w': 1, 'ok': False}))
    >>> events("GO")
    (Event('GO'),)
    """
    keys = list(domains)
    return tuple(Event(name, dict(zip(keys, values, strict=True))) for values in product(*(domains[k] for k in keys)))


def configuration_predicate(test: Callable[[frozenset[StateNode]], Any]) -> Predicate:
    """A state predicate that reads the configuration only: ``test(snapshot.configuration_nodes)``,
    decided once per distinct configuration and remembered (a walk meets each configuration in
    many states: the invariants it checks on every new state then cost a dict lookup). ``test``
    sees the frozenset of active `StateNode` objects and nothing else, so it cannot read what it
    is not keyed by. It must be a pure function of that set: its verdict is remembered for the
    predicate's lifetime, across walks (a model checked again after what ``test`` reads elsewhere
    has changed still sees the first verdicts; make a new predicate then).

    >>> from statecharts import Machine
    >>> lamp = Machine({"id": "lamp", "initial": "off", "states": {
    ...     "off": {"on": {"ON": "on"}}, "on": {"on": {"OFF": "off"}}}})
    >>> def dark(nodes):
    ...     return lamp.get_state("lamp.on") not in nodes
    >>> dark = configuration_predicate(dark)
    >>> dark(lamp.initial_state()), dark(lamp.transition(lamp.initial_state(), "ON")), dark.__name__
    (True, False, 'dark')
    """
    verdicts: dict[frozenset[StateNode], bool] = {}

    def predicate(snapshot: Snapshot) -> bool:
        nodes = snapshot.configuration_nodes
        try:
            return verdicts[nodes]  # a frozenset keeps its hash: one lookup
        except KeyError:
            verdict = verdicts[nodes] = bool(test(nodes))
            return verdict

    predicate.__name__ = predicate.__qualname__ = callable_name(test)  # what a report or error names
    return predicate


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def node_actions(node: Any) -> list[Any]:
    """Every action a state node runs: its entry and exit actions and its transitions' actions."""
    return [*node.entry, *node.exit, *(a for t in node.transitions for a in t.actions)]


def child_machines(machine: Machine) -> list[str]:
    """Where the chart starts child machines (invokes of a Machine, ``spawn_child`` actions), as
    state ids with what they start; empty for a chart that is one actor.

    >>> from statecharts import Machine
    >>> from statecharts.actions import spawn_child
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {}}})
    >>> child_machines(Machine({"id": "m", "initial": "a", "states": {"a": {
    ...     "invoke": {"src": kid, "id": "k"}, "entry": spawn_child("kid")}}}, services={"kid": kid}))
    ["m.a: spawn_child('kid')", "m.a: invoke 'k'"]
    """
    found: list[str] = []
    for node in machine.states:
        actions = node_actions(node)
        found += [f"{node.id}: spawn_child({a.src!r})" for a in actions if isinstance(a, SpawnChild)]
        found += [f"{node.id}: invoke {i.id!r}" for i in node.invoke if not callable(i.src)]
    return found


PLATFORM_EVENTS = ("xstate.", "done.", "error.")  # the runtime's events: never sent by the environment


def bare_model(machine: Machine, name: str = "") -> Model:
    """The model of a bare machine: no properties but deadlock, and every event name of its chart
    as the alphabet. For a chart that starts child machines (checked as its actor system, where an
    empty alphabet means the environment sends nothing) that is the root chart's event names, which
    the environment may send at any time, as it may to a single chart.

    >>> from statecharts import Machine
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {}}})
    >>> boss = Machine({"id": "boss", "initial": "a", "states": {"a": {
    ...     "invoke": {"src": kid, "id": "k"}, "on": {"JOB": "a", "FIRE": "b"}}, "b": {}}})
    >>> [e.name for e in bare_model(boss).alphabet]
    ['FIRE', 'JOB']

    Events the runtime makes (``xstate.*``, ``done.*``, ``error.*``: a child's completion, an
    error) are not the environment's to send.
    """
    if not child_machines(machine):
        return Model(machine, name=name)
    replies = sent_to_parent(machine)
    sent = tuple(Event(n) for n in machine.events if not n.startswith(PLATFORM_EVENTS) and n not in replies)
    return Model(machine, name=name, alphabet=sent)


def sent_to_parent(machine: Machine) -> set[str]:
    """The event names ``machine``'s child machines send their parent (``send_parent`` of a fixed
    event): the root takes them from its children, so a bare machine's environment does not send
    them (an event computed by a function is not known here, and stays the environment's too).

    >>> from statecharts import Machine, send_parent
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {"on": {"JOB": {"actions": send_parent("DONE")}}}}})
    >>> boss = Machine({"id": "boss", "initial": "a", "invoke": {"src": kid, "id": "k"},
    ...                 "states": {"a": {"on": {"DONE": "a", "GO": "a"}}}})
    >>> sent_to_parent(boss)
    {'DONE'}
    """
    chart = machine.chart
    sources = [*(i.src for i in chart.invokes.values()), *chart.services.values()]
    for node in machine.states:
        actions = node_actions(node)
        sources += [a.src for a in actions if isinstance(a, SpawnChild)]
    names: set[str] = set()
    for child in {id(src): src for src in sources if isinstance(src, Machine)}.values():
        for node in child.states:
            for action in node_actions(node):
                if isinstance(action, Send) and action.to == "#_parent" and isinstance(action.event, Event):
                    names.add(action.event.name)
    return names


def refuse_actor_system(machine: Machine, walk: str) -> None:
    """A `ConfigError` when ``machine`` starts child machines: ``walk`` (the simulation, the
    fingerprint walk, ...) follows one machine, and would claim things about a system it never ran.

    >>> from statecharts.actions import spawn_child
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {}}})
    >>> refuse_actor_system(Machine({"id": "m", "initial": "a", "states": {"a": {"entry": spawn_child(kid)}}}),
    ...                     "--simulate")
    Traceback (most recent call last):
    statecharts.errors.ConfigError: invoke: machine 'm' starts child machines (m.a: spawn_child(<Machine kid ...>)):
    --simulate follows one machine; check the actor system it runs as with the full walk (statecharts check, or ...)
    """
    children = child_machines(machine)
    if children:
        raise ConfigError(
            f"machine {machine.id!r} starts child machines ({'; '.join(children)}): {walk} follows one "
            "machine; check the actor system it runs as with the full walk (statecharts check, or "
            "check(model))",
            key="invoke",
        )
