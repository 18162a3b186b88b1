"""What an actor runs: the small `Logic` protocol (xstate's ``ActorLogic``) and its Machine adapter.

The runtime never needs `statecharts.machine.Machine` itself: any object with these methods can
be the logic of an actor (a top-level one, an invoked child or a spawned one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from statecharts import algorithm
from statecharts.actor_core import MicrostepObserver, enter_initial, observed_macrostep
from statecharts.chart import InvokeDef
from statecharts.event import Event
from statecharts.state import Effect, Snapshot

if TYPE_CHECKING:
    from statecharts.machine import Machine

Executor = Callable[[Effect], None]


class Logic(Protocol):
    """The logic an actor runs: pure functions from (snapshot, event) to the next snapshot; the
    actor passes ``execute`` to run each effect inline (so a failing action becomes
    ``error.execution``) and, when inspected, ``observe`` to hear each microstep.

    >>> from statecharts import Machine
    >>> logic: Logic = MachineLogic(Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}))
    >>> logic.transition(logic.initial_state(None), Event("GO")).value
    'b'
    """

    id: str

    def initial_state(
        self, input: Any, execute: Executor | None = None, observe: MicrostepObserver | None = None
    ) -> Snapshot:
        """The first snapshot, with entry effects run through ``execute``."""
        ...

    def transition(
        self,
        snapshot: Snapshot,
        event: Event,
        execute: Executor | None = None,
        observe: MicrostepObserver | None = None,
    ) -> Snapshot:
        """The snapshot after one macrostep."""
        ...

    def restore(self, data: Mapping[str, Any] | str) -> Snapshot:
        """A snapshot from its JSON form."""
        ...

    def invocation(self, invoke_id: str) -> InvokeDef:
        """The invoke definition a ``StartInvoke`` effect names."""
        ...

    def service(self, name: str) -> Any:
        """The service (a Machine, a callable, ...) registered under ``name``."""
        ...


class MachineLogic:
    """`Logic` over a `statecharts.Machine` (context from ``input`` when the chart's context is a function).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": lambda input: {"n": input}, "initial": "a", "states": {"a": {}}})
    >>> MachineLogic(m).initial_state(7).context["n"]
    7
    """

    def __init__(self, machine: Machine, context: Mapping[str, Any] | None = None) -> None:
        self.machine = machine
        self.id = machine.id
        self.context = context

    def initial_state(
        self, input: Any, execute: Executor | None = None, observe: MicrostepObserver | None = None
    ) -> Snapshot:
        """Enter the initial configuration, running entry effects through ``execute``; ``observe``
        hears the initial entry and each eventless microstep after it.

        >>> from statecharts import Machine, assign
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": lambda c, e: print("in a")}}})
        >>> _ = MachineLogic(m).initial_state(None, lambda effect: effect.action.fn(effect.context, effect.event))
        in a
        >>> seen = []
        >>> _ = MachineLogic(m).initial_state(None, observe=lambda t, x, n: seen.append([s.id for s in n]))
        >>> seen
        [['m', 'm.a']]
        """
        context = self.machine.initial_context(self.context, input=input)
        return enter_initial(self.machine, context, execute, observe)

    def transition(
        self,
        snapshot: Snapshot,
        event: Event,
        execute: Executor | None = None,
        observe: MicrostepObserver | None = None,
    ) -> Snapshot:
        """One macrostep; ``observe(transitions, exited, entered)`` hears each microstep first.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
        >>> seen = []
        >>> logic = MachineLogic(m)
        >>> _ = logic.transition(logic.initial_state(None), Event("GO"),
        ...                      observe=lambda t, x, n: seen.append(([s.id for s in x], [s.id for s in n])))
        >>> seen
        [(['m.a'], ['m.b'])]
        """
        if observe is None:
            return algorithm.macrostep(snapshot, event, execute)
        return observed_macrostep(snapshot, event, execute, observe)

    def restore(self, data: Mapping[str, Any] | str) -> Snapshot:
        """The machine's `statecharts.Machine.restore`.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> MachineLogic(m).restore(m.initial_state().dumps()).value
        'a'
        """
        return self.machine.restore(data)

    def invocation(self, invoke_id: str) -> InvokeDef:
        """The chart's invoke definition with this id.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "s", "id": "load"}}}},
        ...             services={"s": lambda i, e: 1})
        >>> MachineLogic(m).invocation("load").state.id
        'm.a'
        """
        return self.machine.chart.invokes[invoke_id]

    def service(self, name: str) -> Any:
        """The service registered under ``name`` with ``Machine(services=...)``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}})
        >>> MachineLogic(m).service("nope")
        Traceback (most recent call last):
            ...
        KeyError: "machine 'm' has no service 'nope' (services: none)"
        """
        services = self.machine.chart.services
        if name not in services:
            raise KeyError(f"machine {self.id!r} has no service {name!r} (services: {', '.join(services) or 'none'})")
        return services[name]


def to_logic(src: Any) -> Logic | None:
    """``src`` as actor logic: a Logic as it is, a Machine wrapped, anything else ``None``.

    >>> from statecharts import Machine
    >>> type(to_logic(Machine({"id": "m", "initial": "a", "states": {"a": {}}}))).__name__, to_logic(print)
    ('MachineLogic', None)
    """
    from statecharts.machine import Machine

    if isinstance(src, Machine):
        return MachineLogic(src)
    if all(callable(getattr(src, name, None)) for name in ("initial_state", "transition", "invocation")):
        return src  # type: ignore[no-any-return]
    return None
