"""Built-in actions and guards as data.

Each action has a pure half, resolved by the algorithm (new context, raised events, sends and
cancels recorded in the snapshot), and an effect half that only the interpreter executes (custom
callables, ``log``). Guards are predicates ``guard(context, event)``; combinators build trees of
them, and ``state_in`` reads the active configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict

GuardFn = Callable[[Mapping[str, Any], Event], bool]
ActionFn = Callable[[Mapping[str, Any], Event], Any]


def callable_name(fn: Callable[..., Any]) -> str:
    """A readable name for an inline callable (``<lambda>`` gets its source position)."""
    name = getattr(fn, "__name__", None) or type(fn).__name__
    if name == "<lambda>":
        code = getattr(fn, "__code__", None)
        if code is not None:
            return f"lambda@{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}"
        return "lambda"
    return str(name)


# ---------------------------------------------------------------------------------------------
# Guards


class Guard:
    """Base class of guards. ``test(context, event, in_state)`` decides; ``name`` labels it."""

    name: str = "guard"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        raise NotImplementedError

    def referenced_states(self) -> tuple[str, ...]:
        """State references (for ``state_in``) that the chart must validate."""
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
        ``error.execution``, so specializing must not skip past it."""
        return True


@dataclass(frozen=True, eq=False)
class CallGuard(Guard):
    """A guard that calls ``fn(context, event)``."""

    fn: GuardFn
    name: str = ""

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        return bool(self.fn(context, event))


@dataclass(frozen=True, eq=False)
class NamedGuard(Guard):
    """A guard referenced by name, resolved against ``Machine(guards=...)`` at compile time."""

    name: str
    params: Any = None

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        raise RuntimeError(f"guard {self.name!r} was not resolved")  # pragma: no cover


@dataclass(frozen=True, eq=False)
class And(Guard):
    guards: tuple[Guard, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return "(" + " && ".join(g.name for g in self.guards) + ")"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        for g in self.guards:  # a plain loop: guards sit in the walker's inner loop
            if not g.test(context, event, in_state):
                return False
        return True

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        # Left to right, as `test` runs: a part that holds is dropped; a part that fails decides
        # the whole, unless a part before it may raise (its error.execution must still happen).
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
        return any(g.may_raise for g in self.guards)

    def referenced_states(self) -> tuple[str, ...]:
        return tuple(s for g in self.guards for s in g.referenced_states())


@dataclass(frozen=True, eq=False)
class Or(Guard):
    guards: tuple[Guard, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return "(" + " || ".join(g.name for g in self.guards) + ")"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        for g in self.guards:
            if g.test(context, event, in_state):
                return True
        return False

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        # The mirror of `And.specialize`: a failing part is dropped; a holding part decides the
        # whole unless a part before it may raise.
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
        return any(g.may_raise for g in self.guards)

    def referenced_states(self) -> tuple[str, ...]:
        return tuple(s for g in self.guards for s in g.referenced_states())


@dataclass(frozen=True, eq=False)
class Not(Guard):
    guard: Guard

    @property
    def name(self) -> str:  # type: ignore[override]
        return "!" + self.guard.name

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        return not self.guard.test(context, event, in_state)

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        r = self.guard.specialize(event, in_state)
        return (not r) if isinstance(r, bool) else Not(r)

    @property
    def may_raise(self) -> bool:
        return self.guard.may_raise

    def referenced_states(self) -> tuple[str, ...]:
        return self.guard.referenced_states()


@dataclass(frozen=True, eq=False)
class StateIn(Guard):
    """True while the state ``ref`` (``#id`` or a dotted path from the root) is active."""

    ref: str

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"in({self.ref})"

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        return in_state(self.ref)

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        return self if in_state is None else in_state(self.ref)

    @property
    def may_raise(self) -> bool:
        return False

    def referenced_states(self) -> tuple[str, ...]:
        return (self.ref,)


_MISSING = object()


@dataclass(frozen=True, eq=False)
class Payload(Guard):
    """True when the event's data has these values (``payload(w=1)``); decided by the event alone."""

    fields: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return ", ".join(f"{k}={v!r}" for k, v in self.fields)

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        data = event.data
        if not isinstance(data, Mapping):
            return False
        for key, value in self.fields:
            if data.get(key, _MISSING) != value:
                return False
        return True

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        return self.test({}, event, _no_state)

    @property
    def may_raise(self) -> bool:
        return False


def _no_state(ref: str) -> bool:  # pragma: no cover - Payload never asks
    return False


GuardLike = Guard | str | GuardFn


def to_guard(guard: GuardLike) -> Guard:
    """A guard from a Guard, a name (resolved later) or a callable ``(context, event) -> bool``."""
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
    """Base class of actions; ``name`` labels it in diagrams and traces."""

    name: str = "action"


@dataclass(frozen=True, eq=False)
class Assign(Action):
    """Replace context keys with values or ``fn(context, event)`` results (or one updater)."""

    assignments: Mapping[str, Any] | Callable[[Mapping[str, Any], Event], Mapping[str, Any]]
    name: str = "assign"

    def resolve(self, context: Mapping[str, Any], event: Event) -> dict[str, Any]:
        if callable(self.assignments):
            return dict(self.assignments(context, event))
        return {
            key: (value(context, event) if callable(value) else value)
            for key, value in self.assignments.items()
        }

    def apply_to(self, context: FrozenDict, event: Event) -> FrozenDict:
        """The context after this assign (one copy, for the walker's assign-only steps)."""
        if callable(self.assignments):
            return context.set(dict(self.assignments(context, event)))
        data = dict(context)
        for key, value in self.assignments.items():
            data[key] = value(context, event) if callable(value) else value
        return FrozenDict(data)


@dataclass(frozen=True, eq=False)
class Raise(Action):
    """Put an event on the internal queue (SCXML ``<raise>``)."""

    event: Event | Callable[[Mapping[str, Any], Event], Any]
    name: str = "raise"

    def resolve(self, context: Mapping[str, Any], event: Event) -> Event:
        return to_event(self.event(context, event)) if callable(self.event) else self.event


@dataclass(frozen=True, eq=False)
class Send(Action):
    """Send an event to this machine's external queue, optionally after ``delay`` ms.

    ``delay`` is a number of milliseconds, a delay name from ``Machine(delays=...)`` or a
    callable ``(context, event) -> ms``; ``id`` lets ``cancel`` withdraw it.
    """

    event: Event | Callable[[Mapping[str, Any], Event], Any]
    delay: Any = None
    id: str | None = None
    to: str | None = None
    name: str = "send"

    def resolve_event(self, context: Mapping[str, Any], event: Event) -> Event:
        return to_event(self.event(context, event)) if callable(self.event) else self.event


@dataclass(frozen=True, eq=False)
class Cancel(Action):
    """Withdraw a pending delayed send by its id."""

    send_id: str
    name: str = "cancel"


@dataclass(frozen=True, eq=False)
class Log(Action):
    """Log a message (a string or ``fn(context, event)``) through the interpreter's logger."""

    message: Any = None
    label: str | None = None
    name: str = "log"

    def resolve(self, context: Mapping[str, Any], event: Event) -> Any:
        return self.message(context, event) if callable(self.message) else self.message


@dataclass(frozen=True, eq=False)
class Call(Action):
    """A custom effect ``fn(context, event)``, run by the interpreter only."""

    fn: ActionFn
    name: str = ""
    params: Any = None


@dataclass(frozen=True, eq=False)
class NamedAction(Action):
    """An action referenced by name, resolved against ``Machine(actions=...)`` at compile time."""

    name: str
    params: Any = field(default=None)


@dataclass(frozen=True, eq=False)
class StartInvoke(Action):
    """Internal: start the invoked service ``invoke_id`` (entry of its state)."""

    invoke_id: str
    name: str = "invoke"


@dataclass(frozen=True, eq=False)
class StopInvoke(Action):
    """Internal: cancel the invoked service ``invoke_id`` (exit of its state)."""

    invoke_id: str
    name: str = "cancel invoke"


ActionLike = Action | str | ActionFn


def to_action(action: ActionLike) -> Action:
    """An action from an Action, a name (resolved later) or a callable ``(context, event)``."""
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


def raise_(event: str | Event | Mapping[str, Any] | Callable[..., Any], **data: Any) -> Raise:
    """Raise an internal event, processed before any external one.

    >>> raise_("DONE").event
    Event('DONE')
    """
    return Raise(event if callable(event) and not isinstance(event, (str, Event)) else to_event(event, **data))


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


def cancel(send_id: str) -> Cancel:
    """Cancel a delayed send by id.

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
