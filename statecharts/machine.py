"""`Machine`: a compiled chart with pure ``initial_state`` and ``transition`` functions."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from statecharts import algorithm
from statecharts.actions import Assign, Guard, call_expression
from statecharts.chart import Chart, StateNode, Transition, compile_chart, did_you_mean
from statecharts.errors import ConfigError, EventError
from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict
from statecharts.limits import MAX_DELAY_MS
from statecharts.state import Snapshot, restore

if TYPE_CHECKING:
    from statecharts.interpreter import Clock, Interpreter
    from statecharts.runtime.actor import AsyncActor


SELECTION_CACHE_SIZE = 1 << 18
SEMANTICS = ("scxml", "xstate")
Chain = tuple[tuple[Transition, "Guard | None"], ...]
# what Machine.static_step caches per (configuration, event name): see _static_shape
StaticShape: TypeAlias = "frozenset[StateNode] | dict[Transition, frozenset[StateNode]] | None"


def _document_order(node: StateNode) -> int:
    return node.order


def _takes_argument(fn: Any) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: call it without input
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)


class Machine:
    """A validated statechart (xstate's ``setup(...).createMachine(config)``).

    >>> from statecharts import Machine, assign
    >>> counter = Machine({
    ...     "id": "counter", "context": {"n": 0}, "initial": "active",
    ...     "states": {"active": {"on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}},
    ... })
    >>> s = counter.transition(counter.initial_state(), "INC")
    >>> s.context["n"], s.value
    (1, 'active')
    """

    done_state_prefix = "xstate.done.state."  # xstate v5's done event names (SCXML documents: done.state.)

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        guards: Mapping[str, Any] | None = None,
        actions: Mapping[str, Any] | None = None,
        delays: Mapping[str, Any] | None = None,
        services: Mapping[str, Any] | None = None,
        semantics: str = "scxml",
    ) -> None:
        if semantics not in SEMANTICS:
            raise ConfigError(f"semantics is one of {', '.join(map(repr, SEMANTICS))}, not {semantics!r}",
                              key="semantics")
        self.config = config
        self.semantics = semantics
        self.xstate = semantics == "xstate"  # xstate v5's algorithm (see statecharts.algorithm)
        self.implementations = {"guards": guards, "actions": actions, "delays": delays, "services": services}
        self.chart: Chart = compile_chart(config, guards=guards, actions=actions, delays=delays,
                                          services=services)
        self.id = self.chart.root.id
        self._candidates: dict[tuple[StateNode, str], tuple[Transition, ...]] = {}
        self._xstate_candidates: dict[tuple[StateNode, str], list[Transition]] = {}
        self._eventless: dict[StateNode, tuple[Transition, ...]] = {
            n: tuple(t for t in n.transitions if t.eventless) for n in self.chart.nodes
        }
        self._refs: dict[str, StateNode | None] = {}
        self._selection: dict[tuple[frozenset[StateNode], str | None], tuple[Chain, ...]] = {}
        self._atomics: dict[frozenset[StateNode], tuple[StateNode, ...]] = {}
        self._chains: dict[tuple[StateNode, str | None], Chain] = {}
        self._assign_only: dict[Transition, bool] = {}
        self.plans: dict[tuple[frozenset[StateNode], tuple[Transition, ...]], algorithm.Plan | None] = {}
        self._static: dict[tuple[frozenset[StateNode], str], StaticShape] = {}
        root = self.chart.root
        self.root_entry = Transition(root, (), -1)
        self.root_entry.targets = (root,)
        self.root_entry.kind = "initial"

    # -- lookups used by the algorithm -------------------------------------------------------
    def candidates(self, state: StateNode, name: str) -> tuple[Transition, ...]:
        """The state's own transitions whose event descriptors match ``name`` (cached).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> m.candidates(m.get_state("m.a.x"), "GO"), m.candidates(m.get_state("m.a.y"), "GO")
        ((<Transition m.a.x --GO--> m.a.y>,), ())
        """
        key = (state, name)
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = algorithm.matching(state.transitions, name)
        return found

    def xstate_candidates(self, state: StateNode, name: str) -> list[Transition]:
        """xstate's candidates of a state for an event name, exact descriptor first (cached).

        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"*": "b", "GO": "b"}}, "b": {}}},
        ...             semantics="xstate")
        >>> m.xstate_candidates(m.get_state("m.a"), "GO")
        [<Transition m.a --GO--> m.b>, <Transition m.a --*--> m.b>]
        """
        key = (state, name)
        found = self._xstate_candidates.get(key)
        if found is None:
            found = self._xstate_candidates[key] = algorithm.xstate_candidates(state, name)
        return found

    def provide(self, *, guards: Mapping[str, Any] | None = None, actions: Mapping[str, Any] | None = None,
                delays: Mapping[str, Any] | None = None, services: Mapping[str, Any] | None = None) -> Machine:
        """The same chart with some implementations swapped (xstate's ``machine.provide``).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b", "guard": "ok"}}},
        ...     "b": {}}}, guards={"ok": lambda c, e: False})
        >>> allowed = m.provide(guards={"ok": lambda c, e: True})
        >>> m.transition(m.initial_state(), "GO").value, allowed.transition(allowed.initial_state(), "GO").value
        ('a', 'b')
        """
        merged: dict[str, Any] = {}
        for kind, given in (("guards", guards), ("actions", actions), ("delays", delays), ("services", services)):
            merged[kind] = {**(self.implementations[kind] or {}), **(given or {})}
        return Machine(self.config, semantics=self.semantics, **merged)

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

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> m.atomic_states(m.initial_state().nodes)
        (<StateNode m.a.x>,)
        """
        found = self._atomics.get(nodes)
        if found is None:
            if len(self._atomics) >= SELECTION_CACHE_SIZE:
                self._atomics.clear()
            found = self._atomics[nodes] = tuple(
                sorted((n for n in nodes if n.type in ("atomic", "final")), key=_document_order))
        return found

    def chain(self, atomic: StateNode, name: str | None) -> Chain:
        """An atomic state's candidate transitions for event ``name`` (``None``: eventless), its
        own first, then its ancestors', each with its guard: SCXML takes the first enabled one.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> [t.describe() for t, guard in m.chain(m.get_state("m.a.x"), "GO")]
        ['m.a.x --GO--> m.a.y', 'm.a --GO--> m.b']
        """
        key = (atomic, name)
        found = self._chains.get(key)
        if found is None:
            found = self._chains[key] = tuple(
                (t, t.guard) for state in (atomic, *atomic.ancestors)
                for t in (self.eventless(state) if name is None else self.candidates(state, name)))
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

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> [[t.describe() for t, _ in chain] for chain in m.selection(m.initial_state().nodes, "GO")]
        [['m.a.x --GO--> m.a.y', 'm.a --GO--> m.b']]
        """
        key = (nodes, name)
        found = self._selection.get(key)
        if found is None:
            if len(self._selection) >= SELECTION_CACHE_SIZE:
                self._selection.clear()
            found = self._selection[key] = tuple(
                c for a in self.atomic_states(nodes) if (c := self.chain(a, name)))
        return found

    def static_step(self, snapshot: Snapshot, event: Event) -> Snapshot | None:
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
        >>> b = m.static_step(a, Event("GO"))
        >>> b.value, b == m.transition(a, "GO"), m.static_step(a, Event("NOPE")) == a
        ('b', True, True)
        >>> m.static_step(b, Event("GO")) is None  # c runs an entry action
        True
        """
        if snapshot.status != "active":
            return None
        key = (snapshot.nodes, event.name)
        steps = self._static
        if key in steps:
            shape = steps[key]
        else:
            if len(steps) >= SELECTION_CACHE_SIZE:
                steps.clear()
            shape = steps[key] = self._static_shape(snapshot, event)
        if shape is None:
            return None
        context = snapshot.context
        if not isinstance(shape, frozenset):  # guards decide: the move of the transition they choose
            probe = algorithm._Probe(snapshot)
            enabled = algorithm._first_enabled(probe, self.selection(snapshot.nodes, event.name), event)
            if probe.failed or len(enabled) > 1:
                return None
            if not enabled:
                return Snapshot(self, snapshot.nodes, context, snapshot.history, snapshot.pending, "active",
                                snapshot.output, (), event)
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
        return Snapshot(self, shape, context, snapshot.history, snapshot.pending, "active", snapshot.output, (),
                        event)

    def _static_shape(self, snapshot: Snapshot, event: Event) -> StaticShape:
        """What `static_step` caches for the configuration and the event name: the next
        configuration (no guard takes part), the moves of the candidate transitions that qualify
        (guards take part), or ``None`` (the step is not static)."""
        nodes = snapshot.nodes
        # SCXML machines prepare each external event; semantics="xstate" (when a machine has it)
        # keeps more than the configuration: both always take the full macrostep
        if (getattr(self, "prepare_external", None) is not None or getattr(self, "xstate", False)
                or self.selection(nodes, None)):
            return None
        chains = self.selection(nodes, event.name)
        if not chains:
            return nodes
        step = algorithm.Step(self, snapshot, snapshot.context, None)
        step.event = event
        if any(guard is not None for chain in chains for _, guard in chain):
            return {t: after for chain in chains for t, _ in chain
                    if all(type(a) is Assign for a in t.actions) and (after := self._static_move(step, [t]))}
        enabled = algorithm.select_transitions(step, event)
        if not enabled:
            return nodes
        if any(t.actions for t in enabled):
            return None
        return self._static_move(step, enabled)

    def _static_move(self, step: algorithm.Step, transitions: list[Transition]) -> frozenset[StateNode] | None:
        """The configuration a microstep over ``transitions`` reaches when it enters and exits
        without content, history or final states, settling at once; else ``None``."""
        if any(t.has_history_target for t in transitions):
            return None
        plan = algorithm.microstep_plan(step, transitions)
        if plan is None or plan.history_content or any(s.exit or s.histories for s in plan.exits):
            return None
        if any(s.entry or s.type == "final" or (s in plan.default_entry and s.initial is not None and s.initial.actions)
               for s in plan.entries):
            return None
        after = (step.nodes() - frozenset(plan.exits)) | frozenset(plan.entries)
        return None if self.selection(after, None) else after

    def resolve_ref(self, ref: str) -> StateNode | None:
        """A state node by reference, as `Chart.find` reads it (cached); ``None`` when there is none.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> m.resolve_ref("#m.a.y"), m.resolve_ref("a.x"), m.resolve_ref("nope")
        (<StateNode m.a.y>, <StateNode m.a.x>, None)
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
    def states(self) -> tuple[StateNode, ...]:
        """Every state node in document order.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> [n.id for n in m.states]
        ['m', 'm.a', 'm.a.x', 'm.a.y', 'm.b']
        """
        return self.chart.nodes

    @property
    def events(self) -> tuple[str, ...]:
        """The event names the chart's transitions listen for (wildcards left out).

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b", "error.*": "b"}}, "b": {
        ...     "on": {"BACK": "a"}}}}).events
        ('BACK', 'GO')
        """
        return self.chart.events

    def get_state(self, ref: str) -> StateNode:
        """A state node by ``#id``, id or dotted path from the root.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {"on": {"GO": "y"}}, "y": {}}}, "b": {}}})
        >>> m.get_state("#m.a.x"), m.get_state("a.y")
        (<StateNode m.a.x>, <StateNode m.a.y>)
        >>> m.get_state("m.a.z")
        Traceback (most recent call last):
            ...
        KeyError: "machine 'm' has no state 'm.a.z' (did you mean 'm.a.y'?)"
        """
        node = self.chart.find(ref)
        if node is None:
            raise KeyError(f"machine {self.id!r} has no state {ref!r}"
                           f"{did_you_mean(ref, self.chart.by_id)}")
        return node

    # -- the pure interface ------------------------------------------------------------------
    def initial_context(self, context: Mapping[str, Any] | None = None, *, input: Any = None) -> FrozenDict:
        """The chart's context with ``context``'s keys over it. A context function is called with
        ``input`` when it takes an argument (xstate's ``context: ({input}) => ...``), else with none.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "context": {"n": 0, "name": "x"}, "initial": "a", "states": {"a": {}}})
        >>> m.initial_context({"n": 5})
        FrozenDict({'n': 5, 'name': 'x'})
        >>> Machine({"id": "m", "context": lambda input: {"n": input["start"]}, "initial": "a",
        ...          "states": {"a": {}}}).initial_context(input={"start": 3})
        FrozenDict({'n': 3})
        """
        base = self.chart.context
        if callable(base):
            base = base(input) if _takes_argument(base) else base()
        merged = dict(base or {})
        if context:
            merged.update(context)
        try:
            return FrozenDict(merged)
        except RecursionError:
            raise ConfigError("a context value nests too deep (or refers to itself)", path=self.id,
                              key="context") from None

    def initial_state(self, context: Mapping[str, Any] | None = None, *, input: Any = None) -> Snapshot:
        """The snapshot after entering the initial configuration (``context`` overrides keys;
        ``input`` goes to a context function).

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {}}}).initial_state().value
        'a'
        """
        return algorithm.enter_initial(self, self.initial_context(context, input=input))

    def transition(self, state: Snapshot, event: str | Event | Mapping[str, Any], **data: Any) -> Snapshot:
        """The next snapshot after one external event, with the effects left to run.

        An event nothing listens for leaves the snapshot equal.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> m.transition(m.initial_state(), "GO").value, m.transition(m.initial_state(), "NOPE").value
        ('b', 'a')
        """
        if not isinstance(state, Snapshot):
            raise EventError(f"machine {self.id!r}: transition() takes a Snapshot (from initial_state() or "
                             f"restore()), not {type(state).__name__}")
        if state.machine is not self:
            raise EventError(f"snapshot belongs to machine {state.machine.id!r}, not {self.id!r}")
        return algorithm.macrostep(state, to_event(event, **data))

    def can(self, state: Snapshot, event: str | Event | Mapping[str, Any]) -> bool:
        """Some transition is enabled for ``event`` in ``state``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> m.can(m.initial_state(), "GO"), m.can(m.initial_state(), "STOP")
        (True, False)
        """
        step = algorithm.Step(self, state, state.context, None)
        if self.xstate:  # xstate's snapshot.can: an enabled transition that has a target or actions
            return state.status == "active" and any(
                t.targets or t.actions for t in algorithm.xstate_select_transitions(step, to_event(event)))
        return state.status == "active" and bool(algorithm.select_transitions(step, to_event(event)))

    def check_event(self, state: Snapshot, event: Event | str) -> None:
        """Raise `EventError` when no active state listens for the event (strict mode).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"START": "b"}}, "b": {}}})
        >>> m.check_event(m.initial_state(), "START")
        >>> m.check_event(m.initial_state(), "STRAT")
        Traceback (most recent call last):
            ...
        statecharts.errors.EventError: event 'STRAT' is not accepted by machine 'm' ... (did you mean 'START'?)
        """
        event = to_event(event)
        if state.status != "active":
            raise EventError(f"event {event.name!r} sent to machine {self.id!r}, which is {state.status}")
        candidates = self.xstate_candidates if self.xstate else self.candidates
        if any(candidates(n, event.name) for n in state.nodes):
            return
        active = ", ".join(state.configuration)
        raise EventError(f"event {event.name!r} is not accepted by machine {self.id!r} in states "
                         f"[{active}]{did_you_mean(event.name, self.events)}")

    def restore(self, data: Mapping[str, Any] | str) -> Snapshot:
        """A snapshot from `Snapshot.to_json` (or its JSON text).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> s = m.transition(m.initial_state(), "GO")
        >>> m.restore(s.dumps()) == s
        True
        """
        return restore(self, data)

    def interpret(self, context: Mapping[str, Any] | None = None, *, clock: Clock | None = None,
                  strict: bool = False, state: Snapshot | None = None, **options: Any) -> Interpreter:
        """An interpreter (actor) for this machine; call ``start()`` on it. With ``store=`` and
        ``id=``, a durable actor (`statecharts.store.DurableInterpreter`) loaded from the store.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> actor = m.interpret().start()
        >>> actor.send("GO").value
        'b'
        """
        if options.get("store") is not None:  # a durable actor (statecharts.store)
            from statecharts.store.durable import DurableInterpreter

            return DurableInterpreter(self, context=context, clock=clock, strict=strict, state=state, **options)
        from statecharts.interpreter import Interpreter

        return Interpreter(self, context=context, clock=clock, strict=strict, state=state, **options)

    def interpret_async(self, *, input: Any = None, id: str | None = None, clock: Any = None,
                        **options: Any) -> AsyncActor:
        """An asyncio actor for this machine on the running loop (see `statecharts.runtime.AsyncActor`);
        use it as ``async with machine.interpret_async(...) as actor``. With ``store=`` and ``id=``
        the actor is durable (`statecharts.store.actor.DurableAsyncActor`).

        >>> import asyncio
        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> async def main():
        ...     async with m.interpret_async(id="light") as actor:
        ...         return (await actor.send("GO")).value
        >>> asyncio.run(main())
        'b'
        """
        if options.get("store") is not None:  # durable: loaded from / committed to the store
            from statecharts.store.actor import durable_actor

            return durable_actor(self, options.pop("store"), id, input=input, clock=clock, **options)
        options.pop("store", None)
        from statecharts.runtime.actor import AsyncActor

        return AsyncActor(self, input=input, id=id, clock=clock, **options)

    # -- interop (xstate / Stately JSON; see statecharts.interop) -----------------------------
    @classmethod
    def from_json(cls, source: Any, **options: Any) -> Machine:
        """A machine from xstate's ``machine.config`` JSON or a Stately export (a `pathlib.Path`,
        JSON text, never read as a file name, or data);
        ``options`` are ``guards``, ``actions``, ``delays``, ``services``.

        >>> from statecharts import Machine
        >>> Machine.from_json('{"id": "m", "initial": "a", "states": {"a": {}}}').initial_state().value
        'a'
        """
        from statecharts.interop.xstate_json import from_json

        return from_json(source, **options)

    def to_json(self, **options: Any) -> dict[str, Any]:
        """The chart as xstate / Stately JSON data (named things by name; ``placeholders=True``
        writes inline callables under their names instead of raising `ConfigError`).

        >>> from statecharts import Machine
        >>> Machine({"id": "m", "initial": "a", "states": {"a": {}}}).to_json()
        {'id': 'm', 'initial': 'a', 'states': {'a': {}}}
        """
        from statecharts.interop.xstate_json import to_json

        return to_json(self, **options)

    def __repr__(self) -> str:
        return f"<Machine {self.id} ({len(self.chart.nodes)} states)>"


