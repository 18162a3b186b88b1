"""Built-in guards as data: predicates ``guard(context, event)``, the combinators that build trees
of them (`and_`, `or_`, `not_`), `payload` over the event's data, and `state_in` over the active
configuration. Each guard decides with ``test(context, event, in_state)`` and may be specialised
for one event and configuration (``specialize``), which the walker uses to decide guards once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from statecharts.event import Event
from statecharts.text import callable_name

GuardFn = Callable[[Mapping[str, Any], Event], bool]
#: A compiled guard: ``fn(context, event)``, truthy when it holds (`Guard.compile`).
GuardCall = Callable[[Mapping[str, Any], Event], Any]


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

    def compile(self, in_state: Callable[[str], bool]) -> GuardCall:
        """The guard as a plain call ``fn(context, event)`` for one configuration (``in_state``),
        whose truth is the guard's verdict: what the walker runs in its inner loop. This one calls
        `test`; the built-in guards do better (a callable guard is the chart's own function, and
        the combinators are closures over their parts' compiled calls).

        >>> fn = state_in("#on").compile(lambda ref: ref == "#on")
        >>> fn({}, Event("GO"))
        True
        """
        test = self.test

        def call(context: Mapping[str, Any], event: Event) -> bool:
            return test(context, event, in_state)

        return call

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

    def compile(self, in_state: Callable[[str], bool]) -> GuardCall:
        """The chart's own function: nothing between the walker and it.

        >>> fn = lambda c, e: c["n"] > 1
        >>> to_guard(fn).compile(lambda ref: False) is fn
        True
        """
        return self.fn


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
class Junction(Guard):
    """``And`` and ``Or``: parts tested left to right until one decides the whole. A part that is
    ``decisive`` (false for ``And``, true for ``Or``) decides; one that is not is dropped.
    Specialising folds the parts the same way for both (`specialize`)."""

    guards: tuple[Guard, ...]
    decisive: ClassVar[bool]
    symbol: ClassVar[str]

    @property
    def name(self) -> str:  # type: ignore[override]
        """``(a && b)`` or ``(a || b)``: the parts' names.

        >>> and_("ready", not_("busy")).name, or_("ready", "idle").name
        ('(ready && !busy)', '(ready || idle)')
        """
        return "(" + f" {self.symbol} ".join(g.name for g in self.guards) + ")"

    def specialize(self, event: Event, in_state: Callable[[str], bool] | None = None) -> Guard | bool:
        # Left to right, as `test` runs: a part that is not decisive is dropped; a decisive part
        # decides the whole, unless a part before it may raise (its error.execution must still happen).
        """The parts the event (and configuration) leave open, or the verdict once a part decides.

        >>> guard = and_(payload(w=1), "ready")
        >>> guard.specialize(Event("GO", w=1)), guard.specialize(Event("GO", w=2))
        (NamedGuard(name='ready', params=None), False)
        >>> guard = or_(payload(w=1), "ready")
        >>> guard.specialize(Event("GO", w=1)), guard.specialize(Event("GO", w=2))
        (True, NamedGuard(name='ready', params=None))
        """
        rest: list[Guard] = []
        for g in self.guards:
            r = g.specialize(event, in_state)
            if r is (not self.decisive):
                continue
            if r is self.decisive:
                if not any(k.may_raise for k in rest):
                    return self.decisive
                r = g
            rest.append(r)  # type: ignore[arg-type]
        if not rest:
            return not self.decisive
        return rest[0] if len(rest) == 1 else type(self)(tuple(rest))

    @property
    def may_raise(self) -> bool:
        """Some part may raise.

        >>> and_(state_in("#on"), payload(w=1)).may_raise, or_("ready", payload(w=1)).may_raise
        (False, True)
        """
        return any(g.may_raise for g in self.guards)

    def referenced_states(self) -> tuple[str, ...]:
        """The state references of every part.

        >>> and_(state_in("#on"), "ready", not_(state_in("#off"))).referenced_states()
        ('#on', '#off')
        """
        return tuple(s for g in self.guards for s in g.referenced_states())


@dataclass(frozen=True, eq=False)
class And(Junction):
    """All of ``guards`` hold, tested left to right (built by `and_`).

    >>> and_("ready", lambda c, e: True)
    And(guards=(NamedGuard(name='ready', params=None), CallGuard(...)))
    """

    decisive: ClassVar[bool] = False
    symbol: ClassVar[str] = "&&"

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

    def compile(self, in_state: Callable[[str], bool]) -> GuardCall:
        """A closure over the parts' compiled calls, stopping at the first that fails.

        >>> fn = and_(lambda c, e: c["n"] > 1, not_(lambda c, e: c["n"] > 5)).compile(lambda ref: False)
        >>> [bool(fn({"n": n}, Event("GO"))) for n in (1, 2, 6)]
        [False, True, False]
        """
        parts = tuple(g.compile(in_state) for g in self.guards)
        if len(parts) == 2:
            first, second = parts
            return lambda context, event: first(context, event) and second(context, event)

        def all_hold(context: Mapping[str, Any], event: Event) -> bool:
            for part in parts:
                if not part(context, event):
                    return False
            return True

        return all_hold


@dataclass(frozen=True, eq=False)
class Or(Junction):
    """Some of ``guards`` holds, tested left to right (built by `or_`).

    >>> or_("ready", state_in("#on")).name
    '(ready || in(#on))'
    """

    decisive: ClassVar[bool] = True
    symbol: ClassVar[str] = "||"

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

    def compile(self, in_state: Callable[[str], bool]) -> GuardCall:
        """A closure over the parts' compiled calls, stopping at the first that holds.

        >>> fn = or_(lambda c, e: c["n"] > 5, state_in("#on")).compile(lambda ref: ref == "#on")
        >>> bool(fn({"n": 0}, Event("GO")))
        True
        """
        parts = tuple(g.compile(in_state) for g in self.guards)
        if len(parts) == 2:
            first, second = parts
            return lambda context, event: first(context, event) or second(context, event)

        def any_holds(context: Mapping[str, Any], event: Event) -> bool:
            for part in parts:
                if part(context, event):
                    return True
            return False

        return any_holds


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

    def compile(self, in_state: Callable[[str], bool]) -> GuardCall:
        """The negation of the part's compiled call.

        >>> not_(lambda c, e: c["n"] > 1).compile(lambda ref: False)({"n": 0}, Event("GO"))
        True
        """
        inner = self.guard.compile(in_state)
        return lambda context, event: not inner(context, event)

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
