"""`Machine`: a compiled chart with pure ``initial_state`` and ``transition`` functions.

`Machine` extends `statecharts.index.ChartIndex` (the lookups and caches the algorithm works
with) with the pure facade users call, and with one-line doors to the layers above
(`interpret`, `interpret_async`, `from_json`, `to_json`), imported when called.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from statecharts import algorithm, queries
from statecharts.chart import Chart, StateNode
from statecharts.compile import compile_chart
from statecharts.errors import ConfigError, EventError
from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict
from statecharts.index import ChartIndex
from statecharts.state import Snapshot, restore
from statecharts.text import did_you_mean

if TYPE_CHECKING:
    from statecharts.interpreter import Clock, Interpreter
    from statecharts.runtime.actor import AsyncActor


SEMANTICS = ("scxml", "xstate")


def _takes_argument(fn: Any) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: call it without input
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)


class Machine(ChartIndex):
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
            raise ConfigError(
                f"semantics is one of {', '.join(map(repr, SEMANTICS))}, not {semantics!r}", key="semantics"
            )
        self.config = config
        self.semantics = semantics
        self.implementations = {"guards": guards, "actions": actions, "delays": delays, "services": services}
        chart: Chart = compile_chart(config, guards=guards, actions=actions, delays=delays, services=services)
        super().__init__(chart, xstate=semantics == "xstate")

    def provide(
        self,
        *,
        guards: Mapping[str, Any] | None = None,
        actions: Mapping[str, Any] | None = None,
        delays: Mapping[str, Any] | None = None,
        services: Mapping[str, Any] | None = None,
    ) -> Machine:
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

    def static_step(self, snapshot: Snapshot, event: Event) -> Snapshot | None:
        """`statecharts.algorithm.static_step`: the macrostep taken from the cache per
        (configuration, event name) when those decide it, else ``None``."""
        return algorithm.static_step(snapshot, event)

    @property
    def states(self) -> tuple[StateNode, ...]:
        """Every state node in document order.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> [n.id for n in light.states]
        ['light', 'light.red', 'light.red.walk', 'light.red.wait', 'light.green']
        """
        return self.chart.nodes

    def get_state(self, ref: str) -> StateNode:
        """A state node by ``#id``, id or dotted path from the root.

        >>> light  # the shared example chart: a traffic light, red.walk -TIMER-> red.wait -TIMER-> green
        <Machine light (5 states)>
        >>> light.get_state("#light.red.walk"), light.get_state("red.wait")
        (<StateNode light.red.walk>, <StateNode light.red.wait>)
        >>> light.get_state("light.red.waiting")
        Traceback (most recent call last):
            ...
        KeyError: "machine 'light' has no state 'light.red.waiting' (did you mean 'light.red.wait'?)"
        """
        node = self.chart.find(ref)
        if node is None:
            raise KeyError(f"machine {self.id!r} has no state {ref!r}{did_you_mean(ref, self.chart.by_id)}")
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
            raise ConfigError(
                "a context value nests too deep (or refers to itself)", path=self.id, key="context"
            ) from None

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
            raise EventError(
                f"machine {self.id!r}: transition() takes a Snapshot (from initial_state() or "
                f"restore()), not {type(state).__name__}"
            )
        if state.machine is not self:
            raise EventError(f"snapshot belongs to machine {state.machine.id!r}, not {self.id!r}")
        return algorithm.macrostep(state, to_event(event, **data))

    def can(self, state: Snapshot, event: str | Event | Mapping[str, Any]) -> bool:
        """Some transition is enabled for ``event`` in ``state`` (`statecharts.queries.can`).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> m.can(m.initial_state(), "GO"), m.can(m.initial_state(), "STOP")
        (True, False)
        """
        return queries.can(state, event)

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
        if any(candidates(n, event.name) for n in state.configuration_nodes):
            return
        active = ", ".join(state.configuration)
        raise EventError(
            f"event {event.name!r} is not accepted by machine {self.id!r} in states "
            f"[{active}]{did_you_mean(event.name, self.events)}"
        )

    def restore(self, data: Mapping[str, Any] | str) -> Snapshot:
        """A snapshot from `Snapshot.to_json` (or its JSON text).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> s = m.transition(m.initial_state(), "GO")
        >>> m.restore(s.dumps()) == s
        True
        """
        return restore(self, data)

    def interpret(
        self,
        context: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        strict: bool = False,
        state: Snapshot | None = None,
        **options: Any,
    ) -> Interpreter:
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

    def interpret_async(
        self, *, input: Any = None, id: str | None = None, clock: Any = None, **options: Any
    ) -> AsyncActor:
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
