"""The walker's compiled steps: what a configuration decides, decided once per configuration.

Most of the work of finding a state's successors depends on its configuration only: which
transitions are candidates for each event of the alphabet, what their ``state_in`` and payload
guards say, whether eventless transitions may follow, and whether the enabled transitions are
one microstep that only moves the configuration and assigns. `StepCompiler` works that out once
per configuration (and once per set of enabled transitions), so that per state the walker runs
only the chart's own guard and assign functions.

`StateKeys` stores states under a key built from the context's values in a fixed key order:
tuples hash and compare in C, and a compiled step that leads back to a known state costs a dict
copy and a lookup, no snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any

from statecharts.actions import Assign, call_expression, takes_params
from statecharts.algorithm import Step, microstep_plan, remove_conflicting_transitions
from statecharts.chart import StateNode, Transition
from statecharts.event import Event
from statecharts.frozen import SHARED, FrozenDict, frozen
from statecharts.guards import And, CallGuard, Guard, GuardCall, Not, Or, Payload, StateIn
from statecharts.state import Snapshot

CompiledChain = tuple[tuple[Transition, GuardCall | None], ...]
AssignStep = Callable[[FrozenDict, Event], Mapping[str, Any]]


class EventSteps:
    """One event of the alphabet in one configuration: its candidate chains as the algorithm
    takes them (``chains``, for the full macrostep) and compiled (``compiled``: each guard a
    plain call ``fn(context, event)``, or ``None`` when it always holds).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> heater = Machine({"id": "heater", "context": {"t": 15}, "initial": "idle", "states": {
    ...     "idle": {"on": {"COLD": {"guard": lambda c, e: c["t"] < 18, "target": "heating"}}}, "heating": {}}})
    >>> cold = StepCompiler(heater, events("COLD")).configuration(heater.initial_state().configuration_nodes).events[0]
    >>> cold.index, cold.event, [guard is None for _, guard in cold.compiled[0]]
    (0, Event('COLD'), [False])
    """

    __slots__ = ("index", "event", "chains", "compiled", "pick", "steps", "choices")

    def __init__(
        self,
        index: int,
        event: Event,
        chains: tuple[Any, ...],
        compiled: tuple[CompiledChain, ...],
        choices: list[Selection | None] | None = None,
        pick: Picker | None = None,
    ) -> None:
        self.index = index
        self.event = event
        self.chains = chains
        self.compiled = compiled
        self.pick = pick or picker(compiled, event)  # `select` without its ``try``: the walker's inner loop calls it
        self.steps: dict[Selection, CompiledStep | None] = {}  # per selection: `StepCompiler.step`
        # by context id (`SharedContexts.memory`): what `pick` chose (``None``: not yet); one list
        # for every configuration whose chains for this event are the same
        self.choices = choices

    def select(self, context: Mapping[str, Any]) -> Selection | None:
        """The enabled transitions (per chain the first whose guard holds; before conflicts are
        removed): one `Transition`, a tuple of two or more, or ``()`` when none is; ``None`` when
        a guard raised (the full macrostep then raises its ``error.execution``).

        >>> from statecharts import Machine, assign
        >>> from statecharts.check.model import events
        >>> c = Machine({"id": "c", "context": {"n": 0}, "initial": "low", "states": {
        ...     "low": {"on": {"INC": [{"guard": lambda c, e: c["n"] < 2, "actions": assign(n=lambda c, e: c["n"] + 1)},
        ...                            {"target": "high"}]}}, "high": {}}})
        >>> inc = StepCompiler(c, events("INC")).configuration(c.initial_state().configuration_nodes).events[0]
        >>> inc.select({"n": 0}).describe(), inc.select({"n": 2}).describe()
        ('c.low --INC--> -', 'c.low --INC--> c.high')
        >>> inc.select({}) is None  # the guard raised KeyError
        True
        """
        try:
            return self.pick(context)
        except Exception:  # noqa: BLE001 - the chart's own guard: the full macrostep reports it
            return None


Selection = Transition | tuple[Transition, ...]
# a move's transitions after conflicts, states exited and entered, and content (`StepCompiler._plan_move`)
Move = tuple[tuple[Transition, ...], frozenset[StateNode], frozenset[StateNode], tuple[Any, ...]]
NOT_YET = object()  # a cache's "not computed yet", where None is a value
Picker = Callable[[Mapping[str, Any]], Selection]


def picker(compiled: tuple[CompiledChain, ...], event: Event) -> Picker:
    """``pick(context)``: the enabled transitions of the compiled chains (as `EventSteps.select`
    gives them; a guard that raises raises). A chain of one or two transitions, the common case,
    is one closure that calls its guards directly: no loop, no method call.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> go = m.get_state("m.a").transitions[0]
    >>> picker((((go, None),),), Event("GO"))({}) is go, picker((((go, lambda c, e: c["x"]),),), Event("GO"))({"x": 0})
    (True, ())
    """
    if len(compiled) == 1:
        chain = compiled[0]
        if len(chain) == 1:
            ((only, guard),) = chain
            if guard is None:
                return lambda context: only
            return lambda context: only if guard(context, event) else ()
        if len(chain) == 2:
            (first, first_guard), (second, second_guard) = chain
            if first_guard is not None and second_guard is None:
                return lambda context: first if first_guard(context, event) else second
            if first_guard is not None and second_guard is not None:
                return lambda context: (
                    first if first_guard(context, event) else second if second_guard(context, event) else ()
                )

    def pick(context: Mapping[str, Any]) -> Selection:
        enabled: list[Transition] = []
        for chain in compiled:
            for transition, guard in chain:
                if guard is None or guard(context, event):
                    if transition not in enabled:
                        enabled.append(transition)
                    break
        return enabled[0] if len(enabled) == 1 else tuple(enabled)

    return pick


def selected(selection: Selection) -> list[Transition]:
    """A selection (`EventSteps.select`) as the list of its transitions.

    >>> selected(())
    []
    """
    return [selection] if isinstance(selection, Transition) else list(selection)


class ConfigurationSteps:
    """A configuration's compiled steps: ``settled`` (no eventless transitions, so an event
    without enabled transitions changes nothing) and the events worth trying, in alphabet order.

    An unsettled configuration tries every event, since an eventless transition may follow any:

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> gate = Machine({"id": "gate", "context": {"go": False}, "initial": "wait", "states": {
    ...     "wait": {"always": {"guard": lambda c, e: c["go"], "target": "done"}, "on": {"PING": "wait"}},
    ...     "done": {"on": {"PING": "wait"}}, "far": {"on": {"POKE": "done"}}}})
    >>> compiler = StepCompiler(gate, events("PING") + events("POKE"))
    >>> waiting = compiler.configuration(gate.initial_state().configuration_nodes)
    >>> waiting.settled, [steps.event.name for steps in waiting.events]
    (False, ['PING', 'POKE'])
    """

    __slots__ = ("settled", "events")

    def __init__(self, settled: bool, events: tuple[EventSteps, ...]) -> None:
        self.settled = settled
        self.events = events


class StepCompiler:
    """Compiles, and caches, each configuration's steps (`configuration`) and the macrosteps of
    its enabled transition sets (`step`).

    >>> from statecharts import Machine, assign, state_in
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "m", "type": "parallel", "context": {"n": 0}, "states": {
    ...     "p": {"initial": "off", "states": {"off": {"on": {"GO": "on"}}, "on": {}}},
    ...     "q": {"initial": "a", "states": {"a": {"on": {"BUMP": {"guard": state_in("p.on"),
    ...           "actions": assign(n=lambda c, e: c["n"] + 1)}}}}}}})
    >>> compiler = StepCompiler(m, tuple(events("GO") + events("BUMP")))
    >>> [steps.event.name for steps in compiler.configuration(m.initial_state().configuration_nodes).events]
    ['GO']
    """

    def __init__(self, machine: Any, alphabet: tuple[Event, ...], shared: SharedContexts | None = None) -> None:
        self.machine = machine
        self.alphabet = alphabet
        self.shared = shared  # the full walk's contexts: its steps remember their outcomes per context
        self.candidates = compile_alphabet(machine, alphabet)
        self._configurations: dict[frozenset[StateNode], ConfigurationSteps] = {}
        self._chains: dict[tuple[StateNode, int, tuple[bool, ...]], CompiledChain] = {}
        self._nodes: dict[frozenset[StateNode], frozenset[StateNode]] = {}
        # `move`'s plans by (enabled transitions, the configuration within their `_scope`)
        self._scopes: dict[tuple[Transition, ...], frozenset[StateNode] | None] = {}
        self._moves: dict[tuple[tuple[Transition, ...], frozenset[StateNode]], Move | None] = {}
        self._assigns: dict[tuple[Assign, ...], AssignStep] = {}  # one compiled block per list of assigns
        # `EventSteps.choices` per event and chains, `CompiledStep.successors` per assigns and event
        self._choices: dict[tuple[int, tuple[CompiledChain, ...]], list[Selection | None]] = {}
        self._successors: dict[tuple[AssignStep, int], list[ContextStates | None]] = {}
        self._pickers: dict[tuple[int, tuple[CompiledChain, ...]], Picker] = {}  # one `picker` per event and chains

    def configuration(self, nodes: frozenset[StateNode]) -> ConfigurationSteps:
        """The configuration's compiled steps (cached).

        >>> from statecharts import Machine
        >>> from statecharts.check.model import events
        >>> fan = Machine({"id": "fan", "initial": "slow", "states": {
        ...     "slow": {"on": {"FASTER": "fast"}}, "fast": {"on": {"SLOWER": "slow"}}}})
        >>> compiler = StepCompiler(fan, events("FASTER") + events("SLOWER"))
        >>> nodes = fan.initial_state().configuration_nodes
        >>> compiler.configuration(nodes) is compiler.configuration(nodes), compiler.configuration(nodes).settled
        (True, True)
        """
        found = self._configurations.get(nodes)
        if found is None:
            found = self._configurations[nodes] = self._compile(nodes)
        return found

    def _compile(self, nodes: frozenset[StateNode]) -> ConfigurationSteps:
        machine = self.machine
        settled = not machine.selection(nodes, None)

        def in_state(ref: str) -> bool:
            return machine.resolve_ref(ref) in nodes

        steps = []
        for e, event in enumerate(self.alphabet):
            chains = []
            compiled = []
            shared = True  # every chain is the one of all configurations (see `_compile_chain`)
            for atomic, chain, refs in self.candidates[e]:
                if atomic not in nodes:
                    continue
                chains.append(chain)
                key = (atomic, e, tuple([in_state(ref) for ref in refs]))
                found = self._chains.get(key)
                if found is None:
                    found, free = _compile_chain(chain, event, in_state)
                    if free:  # no guard left that reads the configuration: the same in every one
                        self._chains[key] = found
                    else:
                        shared = False
                if found:
                    compiled.append(found)
            if compiled or not settled:
                chosen = tuple(compiled)
                choices = pick = None
                if shared:
                    pick = self._pickers.get((e, chosen))
                    if pick is None:
                        pick = self._pickers[e, chosen] = picker(chosen, event)
                if shared and self.shared is not None:
                    choices = self._choices.get((e, chosen))
                    if choices is None:
                        choices = self._choices[e, chosen] = self.shared.memory()
                steps.append(EventSteps(e, event, tuple(chains), chosen, choices, pick))
        return ConfigurationSteps(settled, tuple(steps))

    def step(self, steps: EventSteps, snapshot: Snapshot, selection: Selection) -> CompiledStep | None:
        """The macrostep of the enabled transitions ``selection`` (`EventSteps.select`: an event
        in this snapshot's configuration) as a `CompiledStep`, when it is one microstep that only
        moves the configuration and assigns (cached); ``None`` when it is anything more.

        >>> from statecharts import Machine, assign
        >>> from statecharts.check.model import events
        >>> pad = Machine({"id": "pad", "context": {"hits": 0}, "initial": "up", "states": {"up": {"on": {
        ...     "TAP": {"target": "down", "actions": assign(hits=lambda c, e: c["hits"] + 1)},
        ...     "BEEP": {"actions": lambda c, e: print("beep")}}}, "down": {}}})
        >>> compiler = StepCompiler(pad, events("TAP") + events("BEEP"))
        >>> s0 = pad.initial_state()
        >>> tap, beep = compiler.configuration(s0.configuration_nodes).events
        >>> sorted(n.id for n in compiler.step(tap, s0, tap.select(s0.context)).configuration_nodes)
        ['pad', 'pad.down']
        >>> compiler.step(beep, s0, beep.select(s0.context)) is None  # an effect: the full macrostep runs it
        True
        """
        try:
            return steps.steps[selection]
        except KeyError:
            pass
        step = steps.steps[selection] = self._compile_step(snapshot, selected(selection), steps.index)
        return step

    def compiled_steps(self) -> Iterator[CompiledStep]:
        """Every step compiled so far (each once).

        >>> from statecharts import Machine
        >>> from statecharts.check.model import events
        >>> fan = Machine({"id": "fan", "initial": "slow", "states": {"slow": {"on": {"FASTER": "fast"}}, "fast": {}}})
        >>> compiler = StepCompiler(fan, events("FASTER"))
        >>> s0 = fan.initial_state()
        >>> faster = compiler.configuration(s0.configuration_nodes).events[0]
        >>> step = compiler.step(faster, s0, faster.select(s0.context))
        >>> list(compiler.compiled_steps()) == [step]
        True
        """
        for configuration in self._configurations.values():
            for steps in configuration.events:
                for step in steps.steps.values():
                    if step is not None:
                        yield step

    def _compile_step(self, snapshot: Snapshot, enabled: list[Transition], e: int) -> CompiledStep | None:
        move = self.move(snapshot, enabled)
        if move is None:
            return None
        transitions, nodes, actions = move
        if any(type(a) is not Assign for a in actions):
            return None  # an effect, a raised or sent event
        assigns = self._assigns.get(tuple(actions))
        if assigns is None:
            assigns = self._assigns[tuple(actions)] = compile_assigns(actions)
        successors = None
        if self.shared is not None:
            successors = self._successors.get((assigns, e))
            if successors is None:
                successors = self._successors[assigns, e] = self.shared.memory()
        return CompiledStep(transitions, nodes, assigns, successors)

    def move(
        self, snapshot: Snapshot, enabled: list[Transition]
    ) -> tuple[list[Transition], frozenset[StateNode], list[Any]] | None:
        """The macrostep of the enabled transitions when it is one microstep after which no
        eventless transition waits, recording or restoring no history and entering no final
        state: the transitions taken, the configuration it reaches and its executable content in
        the algorithm's order (exits, transitions, entries); ``None`` when it is anything more.
        (`step` keeps the moves whose content is only ``assign``s; the actor-system walk's
        compiler, `statecharts.check.actors`, also those that send.)

        >>> from statecharts import Machine
        >>> from statecharts.check.model import events
        >>> door = Machine({"id": "door", "initial": "shut", "states": {"shut": {"on": {"OPEN": "open"}},
        ...                 "open": {"entry": "beep"}}}, actions={"beep": lambda c, e: None})
        >>> compiler = StepCompiler(door, events("OPEN"))
        >>> s0 = door.initial_state()
        >>> opened = compiler.configuration(s0.configuration_nodes).events[0]
        >>> transitions, nodes, actions = compiler.move(s0, selected(opened.select(s0.context)))
        >>> sorted(n.id for n in nodes), [a.name for a in actions]
        (['door', 'door.open'], ['beep'])
        """
        machine = self.machine
        if all(machine.assign_only(t) for t in enabled):  # targetless: nothing exits or enters
            transitions, nodes = list(enabled), snapshot.configuration_nodes
            actions: list[Any] = [a for t in transitions for a in t.actions]
        else:
            scope = self._scope(enabled)
            key = None if scope is None else (tuple(enabled), snapshot.configuration_nodes & scope)
            if key is not None and key in self._moves:
                moved = self._moves[key]
            else:
                moved = self._plan_move(snapshot, enabled)
                if key is not None:
                    self._moves[key] = moved
            if moved is None:
                return None  # history is recorded or restored, or a done event follows
            transitions = list(moved[0])
            actions = list(moved[3])
            nodes = (snapshot.configuration_nodes - moved[1]) | moved[2]
            nodes = self._nodes.setdefault(nodes, nodes)  # one object per configuration, however reached
        if machine.selection(nodes, None):
            return None  # eventless transitions may follow
        return transitions, nodes, actions

    def _scope(self, enabled: list[Transition]) -> frozenset[StateNode] | None:
        """The states whose activity decides the move of ``enabled`` (the descendants of their
        domains: what they may exit, and what decides their conflicts); ``None`` when a target
        is a history state (its domain depends on the history recorded)."""
        key = tuple(enabled)
        found = self._scopes.get(key, NOT_YET)
        if found is NOT_YET:
            if any(t.has_history_target for t in enabled):
                found = None
            else:
                found = frozenset().union(*(t.domain.descendants for t in enabled if t.domain is not None))
            self._scopes[key] = found
        return found  # type: ignore[return-value]

    def _plan_move(self, snapshot: Snapshot, enabled: list[Transition]) -> Move | None:
        """What `move` keeps of the microstep's plan: the transitions after conflicts, the states
        exited and entered, the content in the algorithm's order; ``None`` when history is
        involved or a final state is entered. It depends on the configuration within the
        transitions' `_scope` only, so `move` shares it between configurations."""
        work = Step(self.machine, snapshot, snapshot.context, None)
        transitions = remove_conflicting_transitions(work, enabled) if len(enabled) > 1 else list(enabled)
        plan = microstep_plan(work, transitions, cache=False)
        if plan is None or any(s.histories for s in plan.exits) or any(s.type == "final" for s in plan.entries):
            return None
        actions = [a for s in plan.exits for a in s.exit]
        actions += [a for t in transitions for a in t.actions]
        for s in plan.entries:
            actions += s.entry
            if s in plan.default_entry and s.initial is not None:
                actions += s.initial.actions
        return tuple(transitions), frozenset(plan.exits), frozenset(plan.entries), tuple(actions)


class CompiledStep:
    """A macrostep that is one microstep moving the configuration to ``configuration_nodes`` (where no eventless
    transition waits) and running only ``assign`` actions: exit, transition and entry content in
    the algorithm's order. ``assigns(context, event)`` gives the new context (`compile_assigns`);
    when an assign raises, the walker takes the full macrostep, which raises its ``error.execution``.

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import events
    >>> acc = Machine({"id": "acc", "context": {"sum": 0}, "initial": "open", "states": {
    ...     "open": {"on": {"ADD": {"actions": assign(sum=lambda c, e: c["sum"] + e.data["x"])}}}}})
    >>> compiler = StepCompiler(acc, events("ADD", x=[1, 5]))
    >>> s0 = acc.initial_state()
    >>> add = compiler.configuration(s0.configuration_nodes).events[1]
    >>> step = compiler.step(add, s0, add.select(s0.context))
    >>> [t.describe() for t in step.transitions], step.configuration_nodes == s0.configuration_nodes
    (['acc.open --ADD--> -'], True)
    >>> dict(step.assigns(s0.context, add.event))
    {'sum': 5}
    """

    __slots__ = (
        "transitions",
        "configuration_nodes",
        "assigns",
        "successors",
        "rest_from",
        "rest_to",
        "taken",
        "found",
    )

    def __init__(
        self,
        transitions: list[Transition],
        nodes: frozenset[StateNode],
        assigns: AssignStep,
        successors: list[ContextStates | None] | None = None,
    ) -> None:
        self.transitions = transitions
        self.configuration_nodes = nodes
        self.assigns = assigns
        # by context id (`SharedContexts`): the states of the context ``assigns`` lead to with
        # this step's event (``None``: not yet); one list for every step with the same assigns and event
        self.successors = successors
        self.taken = 0  # coverage: the walk's steps that took it, and the new states they found
        self.found = 0
        # the last `StateKeys.rest` of a source and of its target (one slot: a dict per step cost
        # more memory than the walk's fingerprints, and a step nearly always sees one source rest)
        self.rest_from = -1
        self.rest_to = -1


def _compile_chain(chain: Any, event: Event, in_state: Callable[[str], bool]) -> tuple[CompiledChain, bool]:
    """A chain with its guards specialized to the configuration and compiled; and whether the
    result holds in every configuration that gives its state references the same answers (the
    chain cache's key): every guard is built of the `KEYED` kinds, whose compiled calls read the
    configuration only through those references."""
    kept: list[tuple[Transition, GuardCall | None]] = []
    free = True
    for t, guard in chain:
        if guard is not None and free and not _built_of(guard, KEYED):
            free = False  # a guard of another kind may decide itself from the configuration in `specialize`
        g = True if guard is None else guard.specialize(event, in_state)
        if g is False:
            continue
        if g is True:
            kept.append((t, None))
            break
        kept.append((t, g.compile(in_state)))  # type: ignore[union-attr]
    return tuple(kept), free


def _built_of(guard: Guard, leaves: tuple[type, ...]) -> bool:
    """The guard is one of the ``leaves`` kinds, or ``and_``/``or_``/``not_`` of such guards."""
    kind = type(guard)
    if kind in leaves:
        return True
    if kind is Not:
        return _built_of(guard.guard, leaves)  # type: ignore[attr-defined]
    if kind is And or kind is Or:
        return all(_built_of(g, leaves) for g in guard.guards)  # type: ignore[attr-defined]
    return False


KEYED = (CallGuard, StateIn, Payload)  # what they read of a configuration is in the chain cache's key


def compile_assigns(actions: list[Assign]) -> AssignStep:
    """The context after a block of ``assign`` actions run in order, as one call: every value
    in it frozen (as `statecharts.frozen.frozen` leaves it), so that `FrozenDict.of_frozen` takes
    it as it is. A block of one assign gives a plain ``dict`` (one copy of the context; a step
    that leads to a known state needs no more), a longer block the `FrozenDict` each assign
    reads the next from.

    >>> from statecharts import assign
    >>> step = compile_assigns([assign(n=lambda c, e: c["n"] + 1), assign(m=0)])
    >>> dict(step(FrozenDict(n=1, m=5), Event("GO")))
    {'n': 2, 'm': 0}
    >>> type(compile_assigns([assign(xs=lambda c, e: [c["n"]])])(FrozenDict(n=1), Event("GO"))["xs"]).__name__
    'FrozenList'
    """
    if not actions:
        return _unchanged
    if len(actions) > 1:

        def assign_all(context: FrozenDict, event: Event) -> Mapping[str, Any]:
            for action in actions:
                context = action.apply_to(context, event)
            return context

        return assign_all
    action = actions[0]
    if callable(action.assignments):
        updater = _bound(action.assignments, action.params)

        def assign_updates(context: FrozenDict, event: Event) -> Mapping[str, Any]:
            data = dict(context)
            for key, value in updater(context, event).items():
                data[key] = value if type(value) in SHARED else frozen(value)
            return data

        return assign_updates
    fields = tuple(
        (key, _bound(value, action.params) if callable(value) else None, value)
        for key, value in action.assignments.items()
    )

    def assign_fields(context: FrozenDict, event: Event) -> Mapping[str, Any]:
        data = dict(context)
        for key, call, value in fields:
            if call is not None:
                value = call(context, event)
            data[key] = value if type(value) in SHARED else frozen(value)
        return data

    return assign_fields


def _bound(fn: Callable[..., Any], params: Any) -> Callable[[FrozenDict, Event], Any]:
    """``fn`` as a call of ``(context, event)``: itself, or with the params `call_expression` gives it."""
    takes = takes_params(fn)
    if takes or takes is None and params is not None:
        return lambda context, event: call_expression(fn, context, event, params)
    return fn  # type: ignore[no-any-return]


class StateKeys:
    """The keys states are stored under. A snapshot's key is (the id of everything but its
    context, its context's key); a context with exactly the schema's keys is keyed by its values
    in schema order, any other by itself. Equal snapshots get equal keys, and only they do.

    >>> keys = StateKeys(("a", "b"))
    >>> keys.context({"b": 2, "a": 1}) == keys.context(FrozenDict(a=1, b=2)), keys.context({"a": 1})
    (True, (<other>, FrozenDict({'a': 1})))
    """

    def __init__(self, schema: tuple[str, ...]) -> None:
        self.schema = schema
        self.size = len(schema)
        self.values: Callable[[Mapping[str, Any]], Any] = (
            itemgetter(*schema) if len(schema) > 1 else _one(schema[0]) if schema else _none
        )
        self.rests: dict[tuple[Any, ...], int] = {}
        self._by_id: list[tuple[Any, ...]] = []  # `restore`: the rests in id order
        self.ids: list[int] = []  # by id, the id's one int object (the full walk compares them often)

    def rest(self, snapshot: Snapshot, nodes: frozenset[StateNode] | None = None) -> int:
        """A small id for what identifies the snapshot besides its context (with ``nodes``: the
        snapshot moved to that configuration).

        >>> from statecharts import Machine, assign
        >>> tally = Machine({"id": "tally", "context": {"n": 0}, "initial": "a", "states": {
        ...     "a": {"on": {"BUMP": {"actions": assign(n=1)}, "MOVE": "b"}}, "b": {}}})
        >>> s0 = tally.initial_state()
        >>> keys = StateKeys(("n",))
        >>> keys.rest(s0), keys.rest(tally.transition(s0, "BUMP")), keys.rest(tally.transition(s0, "MOVE"))
        (0, 0, 1)
        """
        rest = (
            snapshot.configuration_nodes if nodes is None else nodes,
            snapshot.history,
            snapshot.pending,
            snapshot.status,
            snapshot.output,
            snapshot.sequence if nodes is None else (),
        )
        found = self.rests.get(rest)
        if found is None:
            found = self.rests[rest] = len(self.rests)
            self.ids.append(found)
        return found

    def configurations(self, rests: Iterable[int]) -> set[frozenset[StateNode]]:
        """The configurations of ``rests`` (ids `rest` gave).

        >>> from statecharts import Machine
        >>> door = Machine({"id": "door", "initial": "shut", "states": {"shut": {"on": {"OPEN": "open"}}, "open": {}}})
        >>> keys = StateKeys(())
        >>> shut = keys.rest(door.initial_state())
        >>> [sorted(n.id for n in c) for c in keys.configurations([shut, shut])]
        [['door', 'door.shut']]
        """
        if len(self._by_id) < len(self.rests):
            self._by_id = list(self.rests)
        by_id = self._by_id
        return {by_id[rest][0] for rest in rests}

    def context(self, context: Mapping[str, Any]) -> Hashable:
        """The context's part of the key.

        >>> keys = StateKeys(("x", "y"))
        >>> keys.context({"y": 2, "x": 1}), keys.context({"x": 1, "z": 2})
        ((1, 2), (<other>, FrozenDict({'x': 1, 'z': 2})))
        """
        if len(context) == self.size:
            try:
                return self.values(context)  # type: ignore[no-any-return]
            except KeyError:
                pass
        return (_OtherMarker, context if type(context) is FrozenDict else FrozenDict(context))

    def of(self, snapshot: Snapshot) -> Hashable:
        """The snapshot's key.

        >>> from statecharts import Machine
        >>> blink = Machine({"id": "blink", "context": {"on": False}, "initial": "run", "states": {"run": {}}})
        >>> keys = StateKeys(("on",))
        >>> keys.of(blink.initial_state()), keys.of(blink.initial_state({"on": True}))
        ((0, (False,)), (0, (True,)))
        """
        return (self.rest(snapshot), self.context(snapshot.context))

    def restore(self, machine: Any, key: tuple[int, Any]) -> Snapshot:
        """The snapshot stored under ``key`` (one made by `of` on this instance), rebuilt.

        >>> from statecharts import Machine, assign
        >>> tally = Machine({"id": "tally", "context": {"n": 0, "m": 1}, "initial": "a", "states": {
        ...     "a": {"on": {"MOVE": {"target": "b", "actions": assign(n=5)}}}, "b": {}}})
        >>> keys = StateKeys(("n", "m"))
        >>> moved = tally.transition(tally.initial_state(), "MOVE")
        >>> keys.restore(tally, keys.of(moved)) == moved, keys.restore(tally, keys.of(moved)).context
        (True, FrozenDict({'n': 5, 'm': 1}))
        """
        rest, values = key
        if len(self._by_id) < len(self.rests):
            self._by_id = list(self.rests)
        nodes, history, pending, status, output, sequence = self._by_id[rest]
        if len(values) == 2 and values[0] is _OtherMarker:
            context = values[1]
        else:
            context = FrozenDict(dict(zip(self.schema, values, strict=True)))
        return Snapshot(machine, nodes, context, history, pending, status, output, (), None, sequence)


CONTEXT_ID = (1 << 32) - 1  # the context id's bits in a `SharedContexts` key


class ContextStates(dict[int, int]):
    """The states of one context (`SharedContexts`): state number by rest, and the context's
    ``id``. `CompiledStep.successors` holds these, so a step remembered for a context reaches
    the states of the context it leads to without another lookup.

    >>> states = ContextStates(7); states[3] = 12; states.id, states.get(3), states.get(4)
    (7, 12, None)
    """

    __slots__ = ("id",)

    def __init__(self, context_id: int) -> None:
        super().__init__()
        self.id = context_id


class SharedContexts:
    """The full walk's state keys and its index of states. A key is one ``int`` a state:
    ``rest << 32 | context id`` (`StateKeys.rest`; the context id numbers the distinct contexts
    in the order found). Many states share a context and differ in configuration: each distinct
    context is stored once, as one `FrozenDict` all its states share, and the index keeps per
    context id a small dict of state numbers by rest (``states``): a lookup reads a few nearby
    words, not a slot of one table as large as the graph (a walk's lookups land all over it).
    As the graph's ``index`` it answers ``get``, ``in`` and ``len`` for keys as `of` makes them.

    >>> from statecharts import Machine, assign
    >>> tally = Machine({"id": "tally", "context": {"n": 0}, "initial": "a", "states": {
    ...     "a": {"on": {"MOVE": "b"}}, "b": {}}})
    >>> shared = SharedContexts(StateKeys(("n",)))
    >>> s0, s1 = tally.initial_state(), tally.transition(tally.initial_state(), "MOVE")
    >>> shared.of(s0), shared.new_key(s0), shared.of(s0), shared.of(s1) == 1 << 32
    (-1, 0, 0, True)
    >>> shared[shared.of(s0)] = 0
    >>> shared.get(shared.of(s0)), shared.get(shared.of(s1)), shared.of(s1) in shared, len(shared)
    (0, None, False, 1)
    """

    def __init__(self, keys: StateKeys) -> None:
        self.keys = keys
        self.ids: dict[Hashable, int] = {}  # context key (`StateKeys.context`) -> context id
        self.contexts: list[FrozenDict] = []  # by context id: the one FrozenDict of those values
        self.states: list[ContextStates] = []  # by context id: state number by rest
        # the lists by context id that steps remember their outcomes in (`memory`), each as long as
        # ``capacity`` (at least the number of contexts): read without a bounds check
        self.memories: list[list[Any]] = []
        self.capacity = 1024

    def of(self, snapshot: Snapshot) -> int:
        """The snapshot's key; -1 when no state stored so far has its context."""
        found = self.ids.get(self.keys.context(snapshot.context))
        return -1 if found is None else self.keys.rest(snapshot) << 32 | found

    def new_key(self, snapshot: Snapshot) -> int:
        """The key of a snapshot whose context is new (`of` gave -1): its context is stored."""
        return self.keys.rest(snapshot) << 32 | self.share(self.keys.context(snapshot.context), snapshot.context)

    def share(self, values: Hashable, context: FrozenDict) -> int:
        """The id of a new context, ``values`` its `StateKeys.context`."""
        found = self.ids[values] = len(self.contexts)
        self.contexts.append(context)
        self.states.append(ContextStates(found))
        if found >= self.capacity:
            grown = self.capacity
            self.capacity *= 2
            for memory in self.memories:
                memory.extend([None] * grown)
        return found

    def memory(self) -> list[Any]:
        """A new list by context id (``None``: nothing remembered), grown with the contexts.

        >>> shared = SharedContexts(StateKeys(("n",)))
        >>> memory = shared.memory(); len(memory) == shared.capacity, memory[5]
        (True, None)
        """
        made: list[Any] = [None] * self.capacity
        self.memories.append(made)
        return made

    def get(self, key: int, default: int | None = None) -> int | None:
        """The number of the state stored under ``key`` (``default`` when there is none)."""
        if key < 0:
            return default
        return self.states[key & CONTEXT_ID].get(key >> 32, default)

    def __setitem__(self, key: int, state: int) -> None:
        self.states[key & CONTEXT_ID][self.keys.ids[key >> 32]] = state

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(map(len, self.states))


class _OtherMarkerType:
    """Marks the key of a context whose keys differ from the schema (no values tuple equals it)."""

    def __repr__(self) -> str:
        return "<other>"

    def __reduce__(self) -> str:
        return "_OtherMarker"  # one marker, also after pickling (the fingerprint walk's state files)


_OtherMarker = _OtherMarkerType()


def _unchanged(context: FrozenDict, event: Event) -> Mapping[str, Any]:
    return context


def _one(key: str) -> Callable[[Mapping[str, Any]], tuple[Any]]:
    def values(context: Mapping[str, Any]) -> tuple[Any]:
        return (context[key],)

    return values


def _none(context: Mapping[str, Any]) -> tuple[()]:
    return ()


def compile_alphabet(machine: Any, alphabet: tuple[Event, ...]) -> list[list[tuple[StateNode, Any, tuple[str, ...]]]]:
    """Per event of the alphabet, the atomic states (in document order) that have a candidate
    transition for it, each with its chain (`Machine.chain`) and every guard specialized to the
    event (`Guard.specialize`), and the state references its guards still read. What the payload
    alone decides is decided once, here, and the transitions it rules out are gone. A state is
    then tried only with the events it can take.

    A payload guard is decided per event; a ``state_in`` guard is left for the configuration:

    >>> from statecharts import Machine, payload, state_in
    >>> from statecharts.check.model import events
    >>> job = Machine({"id": "job", "initial": "queued", "states": {
    ...     "queued": {"on": {"START": {"guard": payload(ok=True), "target": "running"}}},
    ...     "running": {"on": {"STOP": {"guard": state_in("#job.running"), "target": "queued"}}},
    ...     "idle": {"on": {"STOP": "queued"}}}})
    >>> table = compile_alphabet(job, events("START", ok=[True, False]) + events("STOP"))
    >>> [[(atomic.id, len(chain), refs) for atomic, chain, refs in per_event] for per_event in table]
    [[('job.queued', 1, ())], [], [('job.running', 1, ('#job.running',)), ('job.idle', 1, ())]]
    """
    atomics = [n for n in machine.states if n.type in ("atomic", "final")]
    out: list[list[tuple[StateNode, Any, tuple[str, ...]]]] = []
    for event in alphabet:
        per_state = []
        for atomic in atomics:
            kept = []
            for t, guard in machine.chain(atomic, event.name):
                g = None if guard is None else guard.specialize(event)
                if g is False:
                    continue
                kept.append((t, None if g is True else g))
                if g is None or g is True:
                    break  # an unguarded candidate: nothing after it in the chain can be chosen
            if kept:
                refs = tuple(dict.fromkeys(ref for _, g in kept if g is not None for ref in g.referenced_states()))
                per_state.append((atomic, tuple(kept), refs))
        out.append(per_state)
    return out
