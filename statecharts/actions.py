"""Built-in actions and guards as data.

Each action has a pure half, resolved by the algorithm (new context, raised events, sends and
cancels recorded in the snapshot), and an effect half that only the interpreter executes (custom
callables, ``log``). Guards are predicates ``guard(context, event)``; combinators build trees of
them, and ``state_in`` reads the active configuration.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict

GuardFn = Callable[[Mapping[str, Any], Event], bool]
ActionFn = Callable[[Mapping[str, Any], Event], Any]


def callable_name(fn: Callable[..., Any]) -> str:
    """A readable name for an inline callable (``<lambda>`` gets its source position).

    >>> def notify(context, event): pass
    >>> callable_name(notify), callable_name(lambda c, e: None).startswith("lambda@")
    ('notify', True)
    """
    name = getattr(fn, "__name__", None) or type(fn).__name__
    if name == "<lambda>":
        code = getattr(fn, "__code__", None)
        if code is not None:
            return f"lambda@{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}"
        return "lambda"
    return str(name)


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
    required = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is p.empty]
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
# Guards


class Guard:
    """Base class of guards. ``test(context, event, in_state)`` decides; ``name`` labels it.

    >>> class Even(Guard):
    ...     name = "even"
    ...     def test(self, context, event, in_state): return context["n"] % 2 == 0
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "context": {"n": 2}, "initial": "a", "states": {
    ...     "a": {"on": {"GO": {"target": "b", "guard": Even()}}}, "b": {}}})
    >>> m.transition(m.initial_state(), "GO").value
    'b'
    """

    name: str = "guard"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """Whether the guard holds for this context and event; ``in_state(ref)`` reads the configuration.

        >>> Guard().test({}, Event("GO"), lambda ref: False)
        Traceback (most recent call last):
            ...
        NotImplementedError
        >>> state_in("#on").test({}, Event("GO"), lambda ref: ref == "#on")
        True
        """
        raise NotImplementedError

    def referenced_states(self) -> tuple[str, ...]:
        """State references (for ``state_in``) that the chart must validate.

        >>> to_guard(lambda c, e: True).referenced_states()
        ()
        >>> and_(state_in("#on"), not_(state_in("a.b"))).referenced_states()
        ('#on', 'a.b')
        """
        return ()

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        """This guard with what the event alone (and, given ``in_state``, the configuration)
        decides already decided: ``True``/``False`` when they settle it, else a guard. The walker
        compiles its alphabet, and then each configuration's steps, this way.

        >>> state_in("#on").specialize(Event("GO"), lambda ref: ref == "#on")
        True
        """
        return self

    @property
    def may_raise(self) -> bool:
        """Testing it can raise (user code): a raising guard is false and raises
        ``error.execution``, so specializing must not skip past it.

        >>> to_guard(lambda c, e: True).may_raise, state_in("#on").may_raise, payload(w=1).may_raise
        (True, False, False)
        """
        return True


@dataclass(frozen=True, eq=False)
class CallGuard(Guard):
    """A guard that calls ``fn(context, event)``.

    >>> positive = CallGuard(lambda c, e: c["n"] > 0, "positive")
    >>> positive.name, positive.test({"n": 1}, Event("GO"), lambda ref: False)
    ('positive', True)
    """

    fn: GuardFn
    name: str = ""

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """``fn(context, event)``, as a bool.

        >>> CallGuard(lambda c, e: e["w"]).test({}, Event("GO", w=0), lambda ref: False)
        False
        """
        return bool(self.fn(context, event))


@dataclass(frozen=True, eq=False)
class NamedGuard(Guard):
    """A guard referenced by name, resolved against ``Machine(guards=...)`` at compile time.

    >>> to_guard("isReady")
    NamedGuard(name='isReady', params=None)
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b", "guard": "isReady"}}},
    ...             "b": {}}}, guards={"isReady": lambda c, e: True})
    >>> m.transition(m.initial_state(), "GO").value
    'b'
    """

    name: str
    params: Any = None

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """Never called: compiling a chart replaces a named guard with its implementation.

        >>> NamedGuard("isReady").test({}, Event("GO"), lambda ref: False)
        Traceback (most recent call last):
            ...
        RuntimeError: guard 'isReady' was not resolved
        """
        raise RuntimeError(f"guard {self.name!r} was not resolved")  # pragma: no cover


@dataclass(frozen=True, eq=False)
class And(Guard):
    """All of ``guards`` hold, tested left to right (built by `and_`).

    >>> and_("ready", lambda c, e: True)
    And(guards=(NamedGuard(name='ready', params=None), CallGuard(...)))
    """
    guards: tuple[Guard, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        """``(a && b)``: the parts' names.

        >>> and_("ready", not_("busy")).name
        '(ready && !busy)'
        """
        return "(" + " && ".join(g.name for g in self.guards) + ")"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """Every part holds; stops at the first that does not.

        >>> both = and_(lambda c, e: c["n"] > 0, state_in("#on"))
        >>> on = lambda ref: ref == "#on"
        >>> both.test({"n": 1}, Event("GO"), on), both.test({"n": 0}, Event("GO"), on)
        (True, False)
        """
        for g in self.guards:  # a plain loop: guards sit in the walker's inner loop
            if not g.test(context, event, in_state):
                return False
        return True

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        # Left to right, as `test` runs: a part that holds is dropped; a part that fails decides
        # the whole, unless a part before it may raise (its error.execution must still happen).
        """The parts the event (and configuration) leave open; ``False`` as soon as one fails.

        >>> guard = and_(payload(w=1), "ready")
        >>> guard.specialize(Event("GO", w=1)), guard.specialize(Event("GO", w=2))
        (NamedGuard(name='ready', params=None), False)
        """
        rest: list[Guard] = []
        for g in self.guards:
            r = g.specialize(event, in_state)
            if r is True:
                continue
            if r is False:
                if not any(k.may_raise for k in rest):
                    return False
                r = g
            rest.append(r)  # type: ignore[arg-type]
        return True if not rest else rest[0] if len(rest) == 1 else And(tuple(rest))

    @property
    def may_raise(self) -> bool:
        """Some part may raise.

        >>> and_(state_in("#on"), payload(w=1)).may_raise, and_(state_in("#on"), lambda c, e: True).may_raise
        (False, True)
        """
        return any(g.may_raise for g in self.guards)

    def referenced_states(self) -> tuple[str, ...]:
        """The state references of every part.

        >>> and_(state_in("#on"), "ready", state_in("#off")).referenced_states()
        ('#on', '#off')
        """
        return tuple(s for g in self.guards for s in g.referenced_states())


@dataclass(frozen=True, eq=False)
class Or(Guard):
    """Some of ``guards`` holds, tested left to right (built by `or_`).

    >>> or_("ready", state_in("#on")).name
    '(ready || in(#on))'
    """
    guards: tuple[Guard, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        """``(a || b)``: the parts' names.

        >>> or_("ready", "idle").name
        '(ready || idle)'
        """
        return "(" + " || ".join(g.name for g in self.guards) + ")"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """Some part holds; stops at the first that does.

        >>> either = or_(lambda c, e: c["n"] > 0, state_in("#on"))
        >>> on, off = (lambda ref: ref == "#on"), (lambda ref: False)
        >>> either.test({"n": 0}, Event("GO"), on), either.test({"n": 0}, Event("GO"), off)
        (True, False)
        """
        for g in self.guards:
            if g.test(context, event, in_state):
                return True
        return False

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        # The mirror of `And.specialize`: a failing part is dropped; a holding part decides the
        # whole unless a part before it may raise.
        """The parts the event (and configuration) leave open; ``True`` as soon as one holds.

        >>> guard = or_(payload(w=1), "ready")
        >>> guard.specialize(Event("GO", w=1)), guard.specialize(Event("GO", w=2))
        (True, NamedGuard(name='ready', params=None))
        """
        rest: list[Guard] = []
        for g in self.guards:
            r = g.specialize(event, in_state)
            if r is False:
                continue
            if r is True:
                if not any(k.may_raise for k in rest):
                    return True
                r = g
            rest.append(r)  # type: ignore[arg-type]
        return False if not rest else rest[0] if len(rest) == 1 else Or(tuple(rest))

    @property
    def may_raise(self) -> bool:
        """Some part may raise.

        >>> or_(state_in("#on"), payload(w=1)).may_raise, or_("ready", payload(w=1)).may_raise
        (False, True)
        """
        return any(g.may_raise for g in self.guards)

    def referenced_states(self) -> tuple[str, ...]:
        """The state references of every part.

        >>> or_(state_in("#on"), not_(state_in("#off"))).referenced_states()
        ('#on', '#off')
        """
        return tuple(s for g in self.guards for s in g.referenced_states())


@dataclass(frozen=True, eq=False)
class Not(Guard):
    """The guard does not hold (built by `not_`).

    >>> not_("busy")
    Not(guard=NamedGuard(name='busy', params=None))
    """
    guard: Guard

    @property
    def name(self) -> str:  # type: ignore[override]
        """``!name``.

        >>> not_(state_in("#on")).name
        '!in(#on)'
        """
        return "!" + self.guard.name

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """The negation of the inner guard's test.

        >>> not_(state_in("#on")).test({}, Event("GO"), lambda ref: ref == "#on")
        False
        """
        return not self.guard.test(context, event, in_state)

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        """The negation of what the inner guard specializes to.

        >>> not_(payload(w=1)).specialize(Event("GO", w=1)), not_(state_in("#on")).specialize(Event("GO"))
        (False, Not(guard=StateIn(ref='#on')))
        """
        r = self.guard.specialize(event, in_state)
        return (not r) if isinstance(r, bool) else Not(r)

    @property
    def may_raise(self) -> bool:
        """The inner guard may raise.

        >>> not_(state_in("#on")).may_raise, not_("busy").may_raise
        (False, True)
        """
        return self.guard.may_raise

    def referenced_states(self) -> tuple[str, ...]:
        """The inner guard's state references.

        >>> not_(state_in("#on")).referenced_states()
        ('#on',)
        """
        return self.guard.referenced_states()


@dataclass(frozen=True, eq=False)
class StateIn(Guard):
    """True while the state ``ref`` (``#id`` or a dotted path from the root) is active.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "type": "parallel", "states": {
    ...     "power": {"initial": "on", "states": {"on": {"id": "on"}}},
    ...     "light": {"initial": "dark", "states": {
    ...         "dark": {"on": {"FLIP": {"target": "lit", "guard": StateIn("#on")}}}, "lit": {}}}}})
    >>> m.transition(m.initial_state(), "FLIP").value["light"]
    'lit'
    """

    ref: str

    @property
    def name(self) -> str:  # type: ignore[override]
        """``in(ref)``.

        >>> StateIn("#on").name
        'in(#on)'
        """
        return f"in({self.ref})"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """``in_state(ref)``: whether the state is active.

        >>> StateIn("#on").test({}, Event("GO"), lambda ref: ref == "#on")
        True
        """
        return in_state(self.ref)

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        """Decided when the configuration is given (``in_state``), else left open.

        >>> StateIn("#on").specialize(Event("GO")), StateIn("#on").specialize(Event("GO"), lambda ref: False)
        (StateIn(ref='#on'), False)
        """
        return self if in_state is None else in_state(self.ref)

    @property
    def may_raise(self) -> bool:
        """Never: it only reads the configuration.

        >>> StateIn("#on").may_raise
        False
        """
        return False

    def referenced_states(self) -> tuple[str, ...]:
        """The one state it reads, for the chart to validate.

        >>> StateIn("a.b").referenced_states()
        ('a.b',)
        """
        return (self.ref,)


_MISSING = object()


@dataclass(frozen=True, eq=False)
class Payload(Guard):
    """True when the event's data has these values (``payload(w=1)``); decided by the event alone.

    >>> guard = payload(w=1, ok=True)
    >>> no_states = lambda ref: False
    >>> guard.test({}, Event("FINISH", w=1, ok=True), no_states), guard.test({}, Event("FINISH", w=2), no_states)
    (True, False)
    """

    fields: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        """``key=value, ...``.

        >>> payload(w=1, ok=True).name
        'w=1, ok=True'
        """
        return ", ".join(f"{k}={v!r}" for k, v in self.fields)

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """The event's data holds every field with its value (an event without data holds none).

        >>> payload(r=1).test({}, Event("SUBMIT", r=1, extra="x"), lambda ref: False)
        True
        >>> payload(r=1).test({}, Event("SUBMIT"), lambda ref: False)
        False
        """
        data = event.data
        if not isinstance(data, Mapping):
            return False
        for key, value in self.fields:
            if data.get(key, _MISSING) != value:
                return False
        return True

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        """Always decided: the event alone settles it.

        >>> payload(r=1).specialize(Event("SUBMIT", r=1)), payload(r=1).specialize(Event("SUBMIT", r=2))
        (True, False)
        """
        return self.test({}, event, _no_state)

    @property
    def may_raise(self) -> bool:
        """Never: it only compares the event's data.

        >>> payload(r=1).may_raise
        False
        """
        return False


def _no_state(ref: str) -> bool:  # pragma: no cover - Payload never asks
    return False


GuardLike = Guard | str | GuardFn


def to_guard(guard: GuardLike) -> Guard:
    """A guard from a Guard, a name (resolved later) or a callable ``(context, event) -> bool``.

    >>> to_guard("ready"), to_guard(state_in("#on")).name, to_guard(lambda c, e: True).name.startswith("lambda@")
    (NamedGuard(name='ready', params=None), 'in(#on)', True)
    """
    if isinstance(guard, Guard):
        return guard
    if isinstance(guard, str):
        return NamedGuard(guard)
    if callable(guard):
        return CallGuard(guard, callable_name(guard))
    raise TypeError(f"a guard is a name, a callable or a Guard, not {guard!r}")


def and_(*guards: GuardLike) -> Guard:
    """All guards hold.

    >>> and_(lambda c, e: True, lambda c, e: c["n"] > 0).test({"n": 1}, Event("E"), lambda s: False)
    True
    """
    return And(tuple(to_guard(g) for g in guards))


def or_(*guards: GuardLike) -> Guard:
    """Some guard holds.

    >>> or_(lambda c, e: False, lambda c, e: True).test({}, Event("E"), lambda s: False)
    True
    """
    return Or(tuple(to_guard(g) for g in guards))


def not_(guard: GuardLike) -> Guard:
    """The guard does not hold.

    >>> not_(lambda c, e: False).test({}, Event("E"), lambda s: False)
    True
    """
    return Not(to_guard(guard))


def payload(**fields: Any) -> Guard:
    """The event's data has these values: the entity an event is about (``SUBMIT`` with ``r=1``).

    Unlike an inline callable, the walker decides it once per event of the alphabet, not per state.

    >>> payload(r=1).test({}, Event("SUBMIT", r=1), lambda s: False), payload(r=1).name
    (True, 'r=1')
    """
    return Payload(tuple(fields.items()))


def state_in(ref: str) -> Guard:
    """The state ``ref`` (``"#id"`` or a dotted path from the root) is active.

    >>> state_in("#on").name
    'in(#on)'
    """
    return StateIn(ref)


# ---------------------------------------------------------------------------------------------
# Actions


class Action:
    """Base class of actions; ``name`` labels it in diagrams and traces.

    >>> assign(n=1).name, log("hi").name, send("PING").name, Action().name
    ('assign', 'log', 'send', 'action')
    """

    name: str = "action"


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
        return to_event(call_expression(self.event, context, event, self.params)) if callable(self.event) \
            else self.event


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
        return to_event(call_expression(self.event, context, event, self.params)) if callable(self.event) \
            else self.event

    def resolve_to(self, context: Mapping[str, Any], event: Event) -> str | None:
        """The target (a callable ``to`` is called with ``context`` and ``event``, and the
        reference's ``params`` when it takes them, as xstate's ``sendTo`` does).

        >>> Send(Event("PING"), to=lambda c, e: e["from"]).resolve_to({}, Event("ASK", **{"from": "w2"}))
        'w2'
        >>> Send(Event("PING"), to=lambda c, e, p: p["who"], params={"who": "w3"}).resolve_to({}, Event("ASK"))
        'w3'
        """
        return str(call_expression(self.to, context, event, self.params)) if callable(self.to) else self.to


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

    def resolve(self, context: Mapping[str, Any], event: Event) -> Any:
        """The message (a callable is called with ``context`` and ``event``).

        >>> Log(lambda c, e: f"n={c['n']}").resolve({"n": 1}, Event("GO")), Log("hi").resolve({}, Event("GO"))
        ('n=1', 'hi')
        """
        return call_expression(self.message, context, event, self.params) if callable(self.message) \
            else self.message


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


def raise_(event: str | Event | Mapping[str, Any] | Callable[..., Any], *, delay: Any = None, id: str | None = None,
           **data: Any) -> Raise:
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


def spawn_child(src: Any, *, id: str | Callable[[Mapping[str, Any], Event], str] | None = None,
                input: Any = None) -> SpawnChild:
    """xstate's ``spawnChild``: start child actor ``src`` (service name or Machine); ``input`` may be
    ``fn(context, event)``. The asyncio runtime carries it out; the pure core only records it.

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


def send_to(to: str | Callable[[Mapping[str, Any], Event], str], event: EventLike, *, delay: Any = None,
            id: str | None = None) -> Send:
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
