"""Built-in actions as data (guards are in `statecharts.guards`).

The algorithm resolves what an action does to the snapshot (a new context, raised events, sends
and cancels recorded in it); what it does to the world (a custom callable, ``log``, starting a
service or a child) is left as an `statecharts.state.Effect` that the interpreter or the actor
runs (`Call.execute`, ...). The walker never runs effects.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Mapping, MutableSequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict
from statecharts.text import callable_name

ActionFn = Callable[[Mapping[str, Any], Event], Any]


@functools.lru_cache(maxsize=4096)
def takes_params(fn: Callable[..., Any]) -> bool | None:
    """The function requires a third positional argument (xstate's action/guard ``params``);
    ``None`` when it only accepts one (``*args``), ``False`` when it takes two.

    >>> takes_params(lambda c, e: 0), takes_params(lambda c, e, p: 0), takes_params(lambda *a: 0)
    (False, True, None)
    >>> takes_params(lambda c, e, i=1: 0)  # a default is not a params slot
    False
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(required) >= 3:
        return True
    return None if any(p.kind is p.VAR_POSITIONAL for p in parameters) else False


def call_expression(fn: Callable[..., Any], context: Mapping[str, Any], event: Event, params: Any) -> Any:
    """``fn(context, event)``, or ``fn(context, event, params)`` when ``fn`` takes the params that
    a ``{"type": name, "params": ...}`` reference gives (xstate passes them to every built-in).

    >>> call_expression(lambda c, e, p: c["n"] + p["by"], {"n": 1}, Event("INC"), {"by": 2})
    3
    """
    takes = takes_params(fn)
    if takes or takes is None and params is not None:
        return fn(context, event, resolve_params(params, context, event))
    return fn(context, event)


def resolve_params(params: Any, context: Mapping[str, Any], event: Event) -> Any:
    """The params a reference gives: its value, or for a callable ``params`` (xstate's dynamic
    params, ``params: ({context, event}) => ...``) what it returns for this context and event.

    >>> resolve_params({"by": 2}, {}, Event("GO")), resolve_params(lambda c, e: {"by": c["n"]}, {"n": 5}, Event("GO"))
    ({'by': 2}, {'by': 5})
    """
    return params(context, event) if callable(params) else params


# ---------------------------------------------------------------------------------------------
# Actions


logger = logging.getLogger("statecharts")


class Scope(Protocol):
    """The macrostep in progress as an action's `Action.apply` sees it (`statecharts.algorithm.Step`
    is the one the algorithm passes): the context so far, the internal queue, the pending sends,
    the effects left for the runtime, and the questions an action may ask."""

    context: FrozenDict
    pending: list[Any]
    effects: list[Any]
    machine: Any

    @property
    def internal(self) -> MutableSequence[Event]: ...

    def in_state(self, ref: str) -> bool: ...

    def delay_ms(self, delay: Any, event: Event, params: Any) -> float: ...

    def send_later(self, send_id: str | None, delay: float, event: Event, to: str | None, scheduled: bool) -> None: ...

    def cancel(self, send_id: Any) -> None: ...

    def leave_effect(self, action: Action, event: Event) -> None: ...


class EffectView(Protocol):
    """What an action's `Action.perform` reads of the effect it left (`statecharts.state.Effect`)."""

    @property
    def context(self) -> Mapping[str, Any]: ...

    @property
    def event(self) -> Event: ...


class ActorScope(Protocol):
    """What an effect asks of the actor that runs it, as xstate's built-in actions ask their
    ``actorScope``: each runtime (the threaded `statecharts.interpreter.Interpreter`, the asyncio
    `statecharts.runtime.AsyncActor`) gives its actions one (`statecharts.actor_core.RuntimeScope`),
    and each action says in `Action.perform` which of these it needs; no runtime switches on the
    type of an action."""

    def run(self, effect: Any) -> None:
        """Run a call or a log line (`Action.execute`), awaiting an ``async def`` as the runtime does."""
        ...

    def start_invocation(self, invoke_id: str) -> None:
        """Start the invoked service or child machine ``invoke_id`` once the macrostep is over."""
        ...

    def stop_invocation(self, invoke_id: str) -> None:
        """Cancel the invoked service or stop the invoked child ``invoke_id``."""
        ...

    def spawn_child(self, action: SpawnChild, effect: Any) -> None:
        """Start the child actor that ``action`` names, with the effect's context and event."""
        ...

    def stop_child(self, child_id: str) -> None:
        """Stop the child actor ``child_id`` (nothing when there is none)."""
        ...

    def emit(self, event: Event) -> None:
        """Give ``event`` to the actor's external handlers (``actor.on(type, handler)``)."""
        ...


class Action:
    """Base class of actions; ``name`` labels it in diagrams and traces.

    An action owns its behaviour in two halves, as xstate's built-ins do (``resolve`` and
    ``execute``): `apply` is what it does to the macrostep in progress (pure: a new context, a
    raised event, a send or a cancel recorded), and `execute` is what it does to the world when a
    runtime runs the effect it left (a call, a log line). The walker never executes effects.

    >>> assign(n=1).name, log("hi").name, send("PING").name, Action().name
    ('assign', 'log', 'send', 'action')
    """

    name: str = "action"
    #: an effect on the world outside the actor system (a call, a log line, an emitted event): a
    #: durable actor holds it until its step is committed (`statecharts.store`)
    world: ClassVar[bool] = False

    def apply(self, scope: Scope, event: Event) -> None:
        """Do the action's part of the macrostep: by default, leave an effect for the runtime.

        >>> from statecharts import Machine
        >>> from statecharts.algorithm import Step
        >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {}}})
        >>> s = m.initial_state()
        >>> step = Step(m, s, s.context, None)
        >>> assign(n=1).apply(step, Event("GO")); log("hi").apply(step, Event("GO"))
        >>> dict(step.context), [e.action.name for e in step.effects]
        ({'n': 1}, ['log'])
        """
        scope.leave_effect(self, event)

    def execute(self, context: Mapping[str, Any], event: Event) -> Any:
        """Do the effect half against the world; ``NotImplemented`` when the runtime does it itself
        (services, children, emitted events, sends).

        >>> Action().execute({}, Event("GO")) is NotImplemented
        True
        """
        return NotImplemented

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Carry out the effect this action left, through the running actor's ``scope``: by default
        nothing (the sends, raises and cancels an action recorded are the snapshot's, which the
        runtime delivers from it).

        >>> from statecharts import Machine, log
        >>> class Shown:  # an ActorScope that prints what it is asked
        ...     def __getattr__(self, name): return lambda *args: print(name, *args)
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": [log("hi"), emit("UP")]}}})
        >>> for effect in m.initial_state().effects:
        ...     effect.action.perform(effect, Shown())
        run Effect('log', event='xstate.init')
        emit Event('UP')
        """
        return None


@dataclass(frozen=True, eq=False)
class Assign(Action):
    """Replace context keys with values or ``fn(context, event)`` results (or one updater).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {"on": {
    ...     "INC": {"actions": Assign({"n": lambda c, e: c["n"] + 1})}}}}})
    >>> m.transition(m.initial_state(), "INC").context["n"]
    1
    """

    assignments: Mapping[str, Any] | Callable[[Mapping[str, Any], Event], Mapping[str, Any]]
    name: str = "assign"
    params: Any = None  # from a {"type": name, "params": ...} reference; given to 3-argument callables

    def resolve(self, context: Mapping[str, Any], event: Event) -> dict[str, Any]:
        """The new values of the assigned keys (only those), from ``context`` and ``event``.

        >>> assign(lambda c, e: {"n": c["n"] * 2}).resolve({"n": 3, "m": 0}, Event("DOUBLE"))
        {'n': 6}
        """
        if callable(self.assignments):
            return dict(call_expression(self.assignments, context, event, self.params))
        return {
            key: (call_expression(value, context, event, self.params) if callable(value) else value)
            for key, value in self.assignments.items()
        }

    def apply_to(self, context: FrozenDict, event: Event) -> FrozenDict:
        """The context after this assign (one copy, for the walker's assign-only steps).

        >>> assign(n=lambda c, e: c["n"] + e["by"]).apply_to(FrozenDict({"n": 1, "m": 0}), Event("ADD", by=2))
        FrozenDict({'n': 3, 'm': 0})
        """
        if callable(self.assignments):
            return context.set(dict(call_expression(self.assignments, context, event, self.params)))
        data = dict(context)
        for key, value in self.assignments.items():
            data[key] = call_expression(value, context, event, self.params) if callable(value) else value
        return FrozenDict(data)

    def apply(self, scope: Scope, event: Event) -> None:
        """Set the context keys (no effect is left: an assign is pure)."""
        scope.context = scope.context.set(self.resolve(scope.context, event))


@dataclass(frozen=True, eq=False)
class Raise(Action):
    """Put an event on the internal queue (SCXML ``<raise>``).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {
    ...     "a": {"on": {"GO": {"target": "b", "actions": raise_("NEXT")}}}, "b": {"on": {"NEXT": "c"}}, "c": {}}})
    >>> m.transition(m.initial_state(), "GO").value  # NEXT runs in the same macrostep
    'c'
    """

    event: Event | Callable[[Mapping[str, Any], Event], Any]
    name: str = "raise"
    params: Any = None
    delay: Any = None  # xstate's raise(event, {delay}): the event reaches this machine after ``delay`` ms
    id: str | None = None  # the id `cancel` withdraws a delayed raise by

    def resolve(self, context: Mapping[str, Any], event: Event) -> Event:
        """The event to raise (an event-making callable is called with ``context`` and ``event``).

        >>> raise_(lambda c, e: {"type": "DONE", "n": c["n"]}).resolve({"n": 1}, Event("GO"))
        Event('DONE', {'n': 1})
        """
        return (
            to_event(call_expression(self.event, context, event, self.params)) if callable(self.event) else self.event
        )

    def apply(self, scope: Scope, event: Event) -> None:
        """Put the event on the internal queue, or (with ``delay``) schedule it and leave an effect."""
        raised = self.resolve(scope.context, event)
        if self.delay is None:
            scope.internal.append(raised)
            return
        scope.send_later(self.id, scope.delay_ms(self.delay, event, self.params), raised, None, True)
        scope.leave_effect(self, event)


@dataclass(frozen=True, eq=False)
class Send(Action):
    """Send an event to this machine's external queue, optionally after ``delay`` ms.

    ``delay`` is a number of milliseconds, a delay name from ``Machine(delays=...)`` or a
    callable ``(context, event) -> ms``; ``id`` lets ``cancel`` withdraw it.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": send("PING", delay=1000, id="ping")}}})
    >>> [(p.id, p.delay, p.event.name) for p in m.initial_state().pending]
    [('ping', 1000.0, 'PING')]
    """

    event: Event | Callable[[Mapping[str, Any], Event], Any]
    delay: Any = None
    id: str | None = None
    to: str | Callable[[Mapping[str, Any], Event], str] | None = None
    name: str = "send"
    params: Any = None

    def resolve_event(self, context: Mapping[str, Any], event: Event) -> Event:
        """The event to send (an event-making callable is called with ``context`` and ``event``).

        >>> send(lambda c, e: {"type": "REPLY", "to": e["sender"]}).resolve_event({}, Event("ASK", sender="w1"))
        Event('REPLY', {'to': 'w1'})
        """
        return (
            to_event(call_expression(self.event, context, event, self.params)) if callable(self.event) else self.event
        )

    def resolve_to(self, context: Mapping[str, Any], event: Event) -> str | None:
        """The target (a callable ``to`` is called with ``context`` and ``event``, and the
        reference's ``params`` when it takes them, as xstate's ``sendTo`` does).

        >>> Send(Event("PING"), to=lambda c, e: e["from"]).resolve_to({}, Event("ASK", **{"from": "w2"}))
        'w2'
        >>> Send(Event("PING"), to=lambda c, e, p: p["who"], params={"who": "w3"}).resolve_to({}, Event("ASK"))
        'w3'
        """
        return str(call_expression(self.to, context, event, self.params)) if callable(self.to) else self.to

    def apply(self, scope: Scope, event: Event) -> None:
        """Record the send among the pending ones (scheduled when it has a ``delay``) and leave an
        effect; a send to ``#_internal`` is a raise."""
        sent = self.resolve_event(scope.context, event)
        if self.to == "#_internal":
            scope.internal.append(sent)
            return
        delay = scope.delay_ms(self.delay, event, self.params)
        scope.send_later(self.id, delay, sent, self.resolve_to(scope.context, event), self.delay is not None)
        scope.leave_effect(self, event)


@dataclass(frozen=True, eq=False)
class Cancel(Action):
    """Withdraw a pending delayed send by its id.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": send("PING", delay=1000, id="ping"),
    ...                                                       "on": {"STOP": {"actions": Cancel("ping")}}}}})
    >>> m.transition(m.initial_state(), "STOP").pending
    ()
    """

    send_id: str | Callable[..., str]
    name: str = "cancel"
    params: Any = None

    def resolve(self, context: Mapping[str, Any], event: Event) -> str:
        """The id to withdraw (a callable is called with ``context`` and ``event``, and ``params``
        when it takes them, as xstate's ``cancel`` does).

        >>> by_params = Cancel(lambda c, e, p: p["id"], params={"id": "u"})
        >>> Cancel("t").resolve({}, Event("GO")), by_params.resolve({}, Event("GO"))
        ('t', 'u')
        """
        if callable(self.send_id):
            return str(call_expression(self.send_id, context, event, self.params))
        return self.send_id

    def apply(self, scope: Scope, event: Event) -> None:
        """Withdraw the pending sends of that id (the ones still cancellable) and leave an effect."""
        scope.cancel(self.resolve(scope.context, event))
        scope.leave_effect(self, event)


@dataclass(frozen=True, eq=False)
class Log(Action):
    """Log a message (a string or ``fn(context, event)``) through the interpreter's logger.

    >>> import logging
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 7}, "initial": "a", "states": {
    ...     "a": {"entry": Log(lambda c, e: f"n is {c['n']}", label="count")}}})
    >>> logger = logging.getLogger("statecharts")
    >>> records = []
    >>> class Keep(logging.Handler):
    ...     def emit(self, record): records.append(record.getMessage())
    >>> handler, level = Keep(), logger.level
    >>> logger.addHandler(handler); logger.setLevel(logging.INFO)
    >>> _ = m.interpret().start()
    >>> logger.removeHandler(handler); logger.setLevel(level)
    >>> records
    ['count: n is 7']
    """

    message: Any = None
    label: str | None = None
    name: str = "log"
    params: Any = None
    world: ClassVar[bool] = True

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Log it, through the runtime (`execute`)."""
        scope.run(effect)

    def resolve(self, context: Mapping[str, Any], event: Event) -> Any:
        """The message (a callable is called with ``context`` and ``event``).

        >>> Log(lambda c, e: f"n={c['n']}").resolve({"n": 1}, Event("GO")), Log("hi").resolve({}, Event("GO"))
        ('n=1', 'hi')
        """
        return call_expression(self.message, context, event, self.params) if callable(self.message) else self.message

    def execute(self, context: Mapping[str, Any], event: Event) -> None:
        """Log the message on the ``statecharts`` logger, at INFO, after the label."""
        message = self.resolve(context, event)
        logger.info("%s%s", f"{self.label}: " if self.label else "", message)


@dataclass(frozen=True, eq=False)
class Call(Action):
    """A custom effect ``fn(context, event)``, run by the interpreter only.

    >>> from statecharts import Machine
    >>> seen = []
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {
    ...     "GO": {"actions": lambda c, e: seen.append(e.name)}}}}})
    >>> type(m.get_state("m.a").transitions[0].actions[0]).__name__
    'Call'
    >>> _ = m.interpret().start().send("GO"); seen
    ['GO']
    """

    fn: ActionFn
    name: str = ""
    params: Any = None
    world: ClassVar[bool] = True

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Run it, through the runtime (`execute`; an ``async def`` is awaited as the runtime does)."""
        scope.run(effect)

    def execute(self, context: Mapping[str, Any], event: Event) -> Any:
        """Run the effect: ``fn(context, event)``, or ``fn(context, event, params)`` when it takes the
        params of its reference (xstate's ``{type, params}``; ``None`` without them); returns what
        ``fn`` returns (an awaitable for an ``async def``, which the asyncio runtime awaits).

        >>> Call(lambda c, e, p: p["by"] + c["n"], "add", {"by": 2}).execute({"n": 1}, Event("GO"))
        3
        """
        return call_expression(self.fn, context, event, self.params)


@dataclass(frozen=True, eq=False)
class NamedAction(Action):
    """An action referenced by name, resolved against ``Machine(actions=...)`` at compile time.

    >>> to_action("notify"), to_action({"type": "notify", "params": {"to": "ops"}})
    (NamedAction(name='notify', params=None), NamedAction(name='notify', params={'to': 'ops'}))
    """

    name: str
    params: Any = field(default=None)


@dataclass(frozen=True, eq=False)
class StartInvoke(Action):
    """Internal: start the invoked service ``invoke_id`` (entry of its state).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "load"}}}},
    ...             services={"load": lambda c, e: 1})
    >>> m.get_state("m.a").entry
    (StartInvoke(invoke_id='m.a:invocation[0]', name='invoke'),)
    """

    invoke_id: str
    name: str = "invoke"

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Start the invocation once the macrostep is over."""
        scope.start_invocation(self.invoke_id)


@dataclass(frozen=True, eq=False)
class StopInvoke(Action):
    """Internal: cancel the invoked service ``invoke_id`` (exit of its state).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "load"}}}},
    ...             services={"load": lambda c, e: 1})
    >>> m.get_state("m.a").exit
    (StopInvoke(invoke_id='m.a:invocation[0]', name='cancel invoke'),)
    """

    invoke_id: str
    name: str = "cancel invoke"

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Cancel the invocation (stop its child)."""
        scope.stop_invocation(self.invoke_id)


ActionLike = Action | str | ActionFn


def to_action(action: ActionLike) -> Action:
    """An action from an Action, a name (resolved later) or a callable ``(context, event)``.

    >>> to_action("notify"), to_action(log("hi")).name, type(to_action(lambda c, e: None)).__name__
    (NamedAction(name='notify', params=None), 'log', 'Call')
    """
    if isinstance(action, Action):
        return action
    if isinstance(action, str):
        return NamedAction(action)
    if isinstance(action, Mapping) and "type" in action:
        params = {k: v for k, v in action.items() if k != "type"}
        return NamedAction(str(action["type"]), params.get("params", params or None))
    if callable(action):
        return Call(action, callable_name(action))
    raise TypeError(f"an action is a name, a callable or an Action, not {action!r}")


def assign(
    assignments: Mapping[str, Any] | Callable[[Mapping[str, Any], Event], Mapping[str, Any]] | None = None,
    /,
    **fields: Any,
) -> Assign:
    """Assign context keys: values, or callables ``(context, event) -> value`` per key.

    >>> a = assign({"n": lambda context, event: context["n"] + 1})
    >>> a.resolve({"n": 1}, Event("INC"))
    {'n': 2}
    """
    if assignments is None:
        return Assign(dict(fields))
    if fields:
        raise TypeError("assign takes a mapping or keyword arguments, not both")
    return Assign(assignments)


def raise_(
    event: str | Event | Mapping[str, Any] | Callable[..., Any],
    *,
    delay: Any = None,
    id: str | None = None,
    **data: Any,
) -> Raise:
    """Raise an internal event, processed before any external one; with ``delay`` (ms, a delay
    name or a callable), the event reaches this machine after that long instead (xstate's
    ``raise(event, {delay, id})``), and ``cancel(id)`` withdraws it.

    >>> raise_("DONE").event, raise_("PING", delay=100, id="p").delay
    (Event('DONE'), 100)
    """
    made = event if callable(event) and not isinstance(event, (str, Event)) else to_event(event, **data)
    return Raise(made, delay=delay, id=id)


def send(
    event: str | Event | Mapping[str, Any] | Callable[..., Any],
    *,
    delay: Any = None,
    id: str | None = None,
    to: str | None = None,
    **data: Any,
) -> Send:
    """Send an event to this machine's external queue, after ``delay`` ms when given.

    >>> send("TIMEOUT", delay=1000, id="t").delay
    1000
    """
    ev = event if callable(event) and not isinstance(event, (str, Event)) else to_event(event, **data)
    return Send(ev, delay=delay, id=id, to=to)


def cancel(send_id: str | Callable[..., str]) -> Cancel:
    """Cancel a delayed send by id (or ``fn(context, event[, params]) -> id``).

    >>> cancel("t").send_id
    't'
    """
    return Cancel(send_id)


def log(message: Any = None, label: str | None = None) -> Log:
    """Log a message (string or ``fn(context, event)``) through the interpreter's logger.

    >>> log("hello").message
    'hello'
    """
    return Log(message, label)


# -- actor actions: effects the asyncio runtime (statecharts.runtime) carries out -----------------
EventLike = Event | str | Mapping[str, Any] | Callable[[Mapping[str, Any], Event], Any]


def _make_event(event: EventLike, context: Mapping[str, Any], trigger: Event) -> Event:
    return to_event(event(context, trigger)) if callable(event) else to_event(event)


@dataclass(frozen=True, eq=False)
class SpawnChild(Action):
    """Start a child actor ``src`` (a service name or a Machine) under ``id`` with ``input``.

    >>> spawn_child("worker", id="w1", input={"n": 1})
    SpawnChild(src='worker', id='w1', input={'n': 1}, name='spawn_child')
    """

    src: Any
    id: str | Callable[[Mapping[str, Any], Event], str] | None = None
    input: Any = None
    name: str = "spawn_child"

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Start the child actor."""
        scope.spawn_child(self, effect)

    def resolve_id(self, context: Mapping[str, Any], event: Event, fallback: str) -> str:
        """The child's id (a callable is called with ``context`` and ``event``).

        >>> spawn_child("w", id=lambda c, e: f"w{c['n']}").resolve_id({"n": 2}, Event("GO"), "x")
        'w2'
        """
        if self.id is None:
            return fallback
        return str(self.id(context, event)) if callable(self.id) else self.id


@dataclass(frozen=True, eq=False)
class StopChild(Action):
    """Stop the child actor ``id`` (or ``fn(context, event) -> id``).

    >>> stop_child("w1").resolve({}, Event("GO"))
    'w1'
    """

    id: str | Callable[..., str]
    name: str = "stop_child"
    params: Any = None

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Stop the child actor the id resolves to."""
        scope.stop_child(self.resolve(effect.context, effect.event))

    def resolve(self, context: Mapping[str, Any], event: Event) -> str:
        """The id of the child to stop (a callable gets ``params`` too when it takes them).

        >>> stop_child(lambda c, e: e["who"]).resolve({}, Event("GO", who="w2"))
        'w2'
        """
        return str(call_expression(self.id, context, event, self.params)) if callable(self.id) else self.id


@dataclass(frozen=True, eq=False)
class Emit(Action):
    """Emit an event to the actor's external listeners (``actor.on(type, handler)``), not to a chart.

    >>> counted = emit(lambda c, e: {"type": "N", "n": c["n"]})
    >>> Emit("SAVED").resolve({}, Event("GO")), counted.resolve({"n": 1}, Event("GO"))
    (Event('SAVED'), Event('N', {'n': 1}))
    """

    event: EventLike
    name: str = "emit"
    params: Any = None  # from a {"type": name, "params": ...} reference; given to 3-argument callables
    world: ClassVar[bool] = True

    def perform(self, effect: EffectView, scope: ActorScope) -> None:
        """Give the resolved event to the actor's external handlers."""
        scope.emit(self.resolve(effect.context, effect.event))

    def resolve(self, context: Mapping[str, Any], event: Event) -> Event:
        """The event to emit (a callable is called with ``context`` and ``event``, and ``params``
        when it takes them).

        >>> echo = Emit(lambda c, e, p: p, params={"type": "P"})
        >>> emit("DONE").resolve({}, Event("GO")), echo.resolve({}, Event("GO"))
        (Event('DONE'), Event('P'))
        """
        if callable(self.event):
            return to_event(call_expression(self.event, context, event, self.params))
        return _make_event(self.event, context, event)


def spawn_child(
    src: Any, *, id: str | Callable[[Mapping[str, Any], Event], str] | None = None, input: Any = None
) -> SpawnChild:
    """xstate's ``spawnChild``: start child actor ``src`` (service name or Machine); ``input`` may be
    ``fn(context, event)``. Both runtimes carry it out; the pure core only records it.

    >>> spawn_child("worker", id="w1").name
    'spawn_child'
    """
    return SpawnChild(src, id, input)


def stop_child(id: str | Callable[[Mapping[str, Any], Event], str]) -> StopChild:
    """xstate's ``stopChild``: stop the child actor with this id.

    >>> stop_child("w1").name
    'stop_child'
    """
    return StopChild(id)


def send_to(
    to: str | Callable[[Mapping[str, Any], Event], str], event: EventLike, *, delay: Any = None, id: str | None = None
) -> Send:
    """xstate's ``sendTo``: send ``event`` to the actor ``to`` (an id, ``#_parent``, or ``fn(context,
    event) -> id``), optionally after ``delay`` ms.

    >>> send_to("w1", "PING").to, send_to("w1", "PING").event
    ('w1', Event('PING'))
    """
    made = event if callable(event) else to_event(event)
    return Send(made, delay=delay, id=id, to=to)  # type: ignore[arg-type]


def send_parent(event: EventLike, *, delay: Any = None) -> Send:
    """xstate's ``sendParent``: send ``event`` to the actor that invoked or spawned this one.

    >>> send_parent("PONG").to
    '#_parent'
    """
    return send_to("#_parent", event, delay=delay)


def forward_to(to: str | Callable[[Mapping[str, Any], Event], str]) -> Send:
    """xstate's ``forwardTo``: send the event being processed, unchanged, to actor ``to``.

    >>> forward_to("w1").resolve_event({}, Event("JOB", n=1))
    Event('JOB', {'n': 1})
    """
    return send_to(to, lambda context, event: event)


def emit(event: EventLike) -> Emit:
    """xstate's ``emit``: hand ``event`` to the actor's listeners (``actor.on("TYPE", handler)``).

    >>> emit("SAVED").name
    'emit'
    """
    return Emit(event)
