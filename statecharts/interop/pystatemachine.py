"""python-statemachine classes in: a ``StateChart`` / ``StateMachine`` class -> `Machine`.

The class's states, transitions and callbacks are read through python-statemachine's own
introspection (``cls.states``, ``State.states``/``history``/``transitions``, ``Transition.cond``,
``.before``/``.on``/``.after``, ``State.enter``/``.exit``), so its users can render and walk their
existing machines. Every state keeps its python-statemachine id as an explicit ``id``, so the
configurations of both libraries name the same states (ours adds the root, named after the class).

How things are carried over:

- compound, parallel, final and history (shallow/deep) states, initial states, multi-target and
  eventless transitions, ``internal`` transitions, several events on one transition;
- conditions (``cond``, ``unless``) become guards: a name, or a boolean expression over names
  (``"a and not b"``, also ``!``, ``^``, ``v`` and ``In('state')``), becomes a tree of
  ``and_ / or_ / not_ / state_in`` over named guards; callables stay callables;
- a guard name resolves to ``guards[name]`` (``fn(context, event)``) when given, else to the
  class attribute: a plain value is a context key (the class's plain attributes form the initial
  context), a property or method is called with a model whose attributes read the context;
- callbacks (``before`` / ``on`` / ``after`` of transitions, ``enter`` / ``exit`` of states, given
  inline, by decorator or by naming convention such as ``on_enter_<state>``) become context
  updates: they run on a model whose attributes are the context, and the attributes they set are
  assigned back. So they run in the pure step (and in the walker): keep them free of I/O, or pass
  ``actions={name: ...}`` to replace one. ``after`` callbacks run with the transition's actions
  (before the entry actions, not after them as in python-statemachine);
- what cannot be carried over is a `ConfigError` naming the state and the transition:
  validators, invoked services, delayed events, and conditions that are not boolean expressions
  over names (comparisons, constants).

>>> from statemachine import State, StateChart
>>> class Switch(StateChart):
...     off = State(initial=True)
...     on = State()
...     flip = off.to(on, cond="powered") | on.to(off)
...     powered = True
>>> m = from_python_statemachine(Switch)
>>> m.transition(m.initial_state(), "flip").configuration
('Switch', 'on')
"""

from __future__ import annotations

import ast
import inspect
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from statecharts.actions import Action, Assign, NamedAction
from statecharts.errors import ConfigError
from statecharts.event import Event
from statecharts.guards import CallGuard, Guard, NamedGuard, and_, not_, or_, state_in
from statecharts.machine import Machine
from statecharts.text import callable_name

#: Injected into callbacks by parameter name (python-statemachine's dependency injection).
_INJECTED = ("event", "model", "machine", "state", "source", "target", "transition", "event_data")


class _Model:
    """What ``self`` is for a carried-over callback: attributes read (and write) the context.

    Methods and properties of the original class are looked up on it, bound to this model.
    """

    def __init__(self, cls: type, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_changed", set())

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        attr = inspect.getattr_static(object.__getattribute__(self, "_cls"), name, None)
        if isinstance(attr, property) and attr.fget is not None:
            return attr.fget(self)
        if isinstance(attr, types.FunctionType):
            return types.MethodType(attr, self)
        if isinstance(attr, (staticmethod, classmethod)):
            return getattr(object.__getattribute__(self, "_cls"), name)
        raise AttributeError(f"{name!r} is neither a context key nor a method of the model")

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_values")[name] = value
        object.__getattribute__(self, "_changed").add(name)


class _Callback:
    """A python-statemachine callback adapted to ``(context, event)``.

    ``method`` callbacks (defined on the class) get the model as ``self``; every callback gets
    the arguments it names among ``event``, ``model``, ``machine``, ``state``, ``source``,
    ``target``, ``transition`` and the event's data, as python-statemachine injects them.
    """

    def __init__(self, cls: type, fn: Callable[..., Any], method: bool, static: Mapping[str, Any]) -> None:
        self.cls = cls
        self.fn = fn
        self.method = method
        self.static = dict(static)
        params = list(inspect.signature(fn).parameters.values())
        if method and params:
            params = params[1:]
        self.var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        self.names = {
            p.name
            for p in params
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        }

    def call(self, model: _Model, event: Event) -> Any:
        available: dict[str, Any] = {
            "event": event.name,
            "model": model,
            "machine": model,
            "event_data": event,
            **self.static,
        }
        if isinstance(event.data, Mapping):
            available.update(event.data)
        kwargs = available if self.var_kw else {k: v for k, v in available.items() if k in self.names}
        return self.fn(model, **kwargs) if self.method else self.fn(**kwargs)

    def test(self, context: Mapping[str, Any], event: Event) -> bool:
        return bool(self.call(_Model(self.cls, dict(context)), event))

    def update(self, context: Mapping[str, Any], event: Event) -> dict[str, Any]:
        model = _Model(self.cls, dict(context))
        self.call(model, event)
        values = object.__getattribute__(model, "_values")
        return {k: values[k] for k in object.__getattribute__(model, "_changed")}


def python_statemachine_config(
    cls: type,
    *,
    guards: Mapping[str, Any] | None = None,
    actions: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The ``(config, guards, actions)`` for `Machine` that a python-statemachine class describes.

    >>> from statemachine import State, StateChart
    >>> class Door(StateChart):
    ...     closed = State(initial=True)
    ...     opened = State()
    ...     open = closed.to(opened)
    ...     close = opened.to(closed)
    >>> config, _, _ = python_statemachine_config(Door)
    >>> config["initial"], config["states"]["closed"]["on"]
    ('closed', {'open': '#opened'})
    """
    return _Converter(cls, guards or {}, actions or {}, context or {}).convert()


def from_python_statemachine(
    cls: type,
    *,
    guards: Mapping[str, Any] | None = None,
    actions: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    **machine_options: Any,
) -> Machine:
    """Read a python-statemachine ``StateChart`` / ``StateMachine`` class into a `Machine`.

    ``guards`` and ``actions`` (``fn(context, event)``, as for `Machine`) replace the class's
    conditions and callbacks of the same name; ``context`` overrides the initial context taken
    from the class's plain attributes.

    >>> from statemachine import State, StateChart
    >>> class Door(StateChart):
    ...     closed = State(initial=True)
    ...     opened = State()
    ...     open = closed.to(opened)
    ...     close = opened.to(closed)
    >>> door = from_python_statemachine(Door)
    >>> door.transition(door.initial_state(), "open").value
    'opened'
    """
    config, all_guards, all_actions = python_statemachine_config(cls, guards=guards, actions=actions, context=context)
    return Machine(config, guards=all_guards, actions=all_actions, **machine_options)


class _Converter:
    def __init__(
        self, cls: type, guards: Mapping[str, Any], actions: Mapping[str, Any], context: Mapping[str, Any]
    ) -> None:
        try:
            from statemachine import StateChart
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ConfigError("python-statemachine is not installed (pip install python-statemachine)") from exc
        if not (isinstance(cls, type) and issubclass(cls, StateChart)):
            raise ConfigError(f"{cls!r} is not a python-statemachine StateChart/StateMachine class")
        if not cls.states:
            raise ConfigError(f"{cls.__name__} has no states (an abstract machine class)", path=cls.__name__)
        self.cls = cls
        self.base = StateChart
        self.user_guards = dict(guards)
        self.user_actions = dict(actions)
        self.guards: dict[str, Any] = {}
        self.actions: dict[str, Any] = {}
        self.context = self.class_context()
        self.context.update(context)
        self.self_entries = bool(getattr(cls, "enable_self_transition_entries", True))

    # -- the class -----------------------------------------------------------------------------
    def class_context(self) -> dict[str, Any]:
        """Plain (non-callable, public) attributes the user's classes define: the model's data."""
        from statemachine import Event as PsmEvent
        from statemachine import State as PsmState
        from statemachine.transition_list import TransitionList

        values: dict[str, Any] = {}
        for klass in reversed(self.cls.__mro__):
            if klass is object or issubclass(self.base, klass):
                continue
            for name, value in vars(klass).items():
                if name.startswith("_") or name in ("listeners", "listeners_inherit"):
                    continue
                if isinstance(
                    value, (PsmState, PsmEvent, TransitionList, property, staticmethod, classmethod, type)
                ) or callable(value):
                    continue
                if name in vars(self.base) or name in (
                    "name",
                    "id",
                    "states",
                    "states_map",
                    "final_states",
                    "initial_state",
                    "validate_disconnected_states",
                    "validate_trap_states",
                    "validate_final_reachability",
                ):
                    continue
                values[name] = value
        return values

    def convert(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        cls = self.cls
        top = list(cls.states)
        config: dict[str, Any] = {"id": cls.__name__}
        if len(top) > 1 and all(s.parallel for s in top):
            config["type"] = "parallel"
        else:
            config["initial"] = cls.initial_state.id
        if self.context:
            config["context"] = dict(self.context)
        config["states"] = {s.id: self.state(s, f"{cls.__name__}.{s.id}") for s in top}
        for name, impl in self.user_guards.items():
            self.guards[name] = impl
        for name, impl in self.user_actions.items():
            self.actions[name] = impl
        return config, self.guards, self.actions

    # -- states --------------------------------------------------------------------------------
    def state(self, s: Any, path: str) -> dict[str, Any]:
        cfg: dict[str, Any] = {"id": s.id}
        if s.is_history:
            cfg["type"] = "history"
            cfg["history"] = "deep" if s.type.is_deep else "shallow"
            defaults = [t for t in s.transitions if not t.initial and t.targets]
            if defaults:
                cfg["target"] = [f"#{x.id}" for x in defaults[0].targets]
            return cfg
        if s.parallel:
            cfg["type"] = "parallel"
        elif s.final:
            cfg["type"] = "final"
        if s.states and not s.parallel:
            initials = [t for t in s.transitions if t.initial]
            targets = [x.id for t in initials for x in t.targets] or [next(c.id for c in s.states if c.initial)]
            cfg["initial"] = targets[0] if len(targets) == 1 else {"target": [f"#{x}" for x in targets]}
        self.check_invoke(s, path)
        entry = self.callbacks(s.enter, path, "enter", {"state": s, "target": s})
        exit_ = self.callbacks(s.exit, path, "exit", {"state": s, "source": s})
        if entry:
            cfg["entry"] = entry
        if exit_:
            cfg["exit"] = exit_
        on: dict[str, list[Any]] = {}
        always: list[Any] = []
        for t in s.transitions:
            if t.initial:
                continue
            spec = self.transition(s, t, path)
            if t.is_eventless:
                always.append(spec)
            else:
                on.setdefault(" ".join(str(e) for e in t.events), []).append(spec)
        if on:
            cfg["on"] = {event: specs[0] if len(specs) == 1 else specs for event, specs in on.items()}
        if always:
            cfg["always"] = always[0] if len(always) == 1 else always
        children = [*s.states, *s.history]
        if children:
            cfg["states"] = {c.id: self.state(c, f"{path}.{c.id}") for c in children}
        return cfg

    def check_invoke(self, s: Any, path: str) -> None:
        named = [sp for sp in s.invoke if not sp.is_convention or self.defined(sp.attr_name)]
        if named:
            raise ConfigError(
                f"invoked services ({', '.join(str(sp.attr_name) for sp in named)}) cannot be "
                "carried over; declare them with 'invoke' on the converted chart",
                path=path,
                key="invoke",
            )

    # -- transitions ---------------------------------------------------------------------------
    def transition(self, s: Any, t: Any, path: str) -> Any:
        label = f"transition {t.event or '(eventless)'} -> {','.join(x.id for x in t.targets) or '(none)'}"
        for e in t.events:
            if getattr(e, "delay", 0):
                raise ConfigError(
                    f"event {str(e)!r} is delayed ({e.delay} ms): delayed events cannot be "
                    "carried over; use 'after' on the converted chart",
                    path=path,
                    key=label,
                )
        validators = list(t.validators)
        if validators:
            names = ", ".join(str(sp.attr_name) for sp in validators)
            raise ConfigError(
                f"validators ({names}) cannot be carried over: a validator raises to refuse "
                "the transition; express it as a condition",
                path=path,
                key=label,
            )
        spec: dict[str, Any] = {"target": [f"#{x.id}" for x in t.targets] or None}
        if len(t.targets) == 1:
            spec["target"] = spec["target"][0]
        guard = self.condition(t, path, label)
        if guard is not None:
            spec["guard"] = guard
        static = {"source": s, "target": t.target, "transition": t}
        actions = [
            *self.callbacks(t.before, path, label, static),
            *self.callbacks(t.on, path, label, static),
            *self.callbacks(t.after, path, label, static),
        ]
        if actions:
            spec["actions"] = actions
        inside = any(x is s or x.is_descendant(s) for x in t.targets)
        if inside:  # only then does the kind matter
            spec["reenter"] = not t.internal and (self.self_entries or not t.is_self)
        return spec["target"] if list(spec) == ["target"] and spec["target"] else spec

    def condition(self, t: Any, path: str, label: str) -> Guard | None:
        parts: list[Guard] = []
        for sp in t.cond:
            if sp.is_convention and not self.defined(sp.attr_name):
                continue
            if isinstance(sp.func, str):
                guard = self.expression(sp.func, path, label)
            elif isinstance(sp.func, property):
                guard = self.named_guard(sp.attr_name, path, label)
            else:
                guard = self.inline_guard(sp.func)
            parts.append(not_(guard) if sp.expected_value is False else guard)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else and_(*parts)

    def expression(self, text: str, path: str, label: str) -> Guard:
        from statemachine.spec_parser import replace_operators

        if text.isidentifier():
            return self.named_guard(text, path, label)
        try:
            tree = ast.parse(replace_operators(text), mode="eval")
        except SyntaxError as exc:
            raise ConfigError(
                f"condition {text!r} is not a boolean expression: {exc.msg}", path=path, key=label
            ) from exc

        def build(node: ast.AST) -> Guard:
            if isinstance(node, ast.Name):
                return self.named_guard(node.id, path, label)
            if isinstance(node, ast.BoolOp):
                items = [build(v) for v in node.values]
                return and_(*items) if isinstance(node.op, ast.And) else or_(*items)
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                return not_(build(node.operand))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "In"
                and node.args
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            ):
                refs = [state_in(f"#{a.value}") for a in node.args]  # type: ignore[attr-defined]
                return refs[0] if len(refs) == 1 else and_(*refs)
            raise ConfigError(
                f"condition {text!r}: {ast.unparse(node)!r} cannot be carried over "
                "(only names, 'and', 'or', 'not' and In('state') can); pass it as a callable",
                path=path,
                key=label,
            )

        return build(tree.body)

    def named_guard(self, name: str, path: str, label: str) -> Guard:
        if name not in self.guards and name not in self.user_guards:
            self.guards[name] = self.guard_impl(name, path, label)
        return NamedGuard(name)

    def guard_impl(self, name: str, path: str, label: str) -> Any:
        attr = inspect.getattr_static(self.cls, name, None)
        if name in self.context:

            def read(context: Mapping[str, Any], event: Event, _name: str = name) -> bool:
                return bool(context[_name])

            read.__name__ = name
            return read
        if isinstance(attr, property) and attr.fget is not None:
            return _Callback(self.cls, attr.fget, True, {}).test
        if isinstance(attr, types.FunctionType):
            return _Callback(self.cls, attr, True, {}).test
        if isinstance(attr, (staticmethod, classmethod)):
            return _Callback(self.cls, getattr(self.cls, name), False, {}).test
        raise ConfigError(
            f"condition {name!r} names nothing on {self.cls.__name__} (no attribute, property "
            "or method); pass guards={name: fn(context, event)}",
            path=path,
            key=label,
        )

    def inline_guard(self, fn: Callable[..., Any]) -> Guard:
        method = self.is_method(fn)
        return CallGuard(_Callback(self.cls, fn, method, {}).test, callable_name(fn))

    # -- callbacks -----------------------------------------------------------------------------
    def callbacks(self, specs: Iterable[Any], path: str, label: str, static: Mapping[str, Any]) -> list[Action]:
        made: list[Action] = []
        for sp in sorted(specs, key=lambda sp: sp.priority):
            name = str(sp.attr_name)
            if sp.is_convention and not (self.defined(name) or name in self.user_actions):
                continue
            if isinstance(sp.func, str) or sp.is_convention:
                made.append(self.named_action(name, path, label, static))
            elif isinstance(sp.func, property):
                raise ConfigError(f"callback {name!r} is a property, not a method", path=path, key=label)
            else:
                fn = sp.func
                made.append(
                    Assign(
                        _Callback(self.cls, fn, self.is_method(fn), static).update,
                        name=callable_name(fn) if not self.is_method(fn) else fn.__name__,
                    )
                )
        return made

    def named_action(self, name: str, path: str, label: str, static: Mapping[str, Any]) -> Action:
        if name in self.user_actions:
            return NamedAction(name)
        attr = inspect.getattr_static(self.cls, name, None)
        if isinstance(attr, (types.FunctionType, staticmethod, classmethod)):
            method = isinstance(attr, types.FunctionType)
            function: Callable[..., Any] = attr if method else getattr(self.cls, name)  # type: ignore[assignment]
            callback = _Callback(self.cls, function, method, static)
            if callback.var_kw or callback.names & set(static):  # it reads where it runs: keep it inline
                return Assign(callback.update, name=name)
            if name not in self.actions:
                self.actions[name] = Assign(callback.update, name=name)
            return NamedAction(name)
        raise ConfigError(
            f"callback {name!r} names no method of {self.cls.__name__}; pass actions={{name: fn(context, event)}}",
            path=path,
            key=label,
        )

    def defined(self, name: str) -> bool:
        attr = inspect.getattr_static(self.cls, name, None)
        return isinstance(attr, (types.FunctionType, staticmethod, classmethod))

    def is_method(self, fn: Callable[..., Any]) -> bool:
        """The callable is a function of the class body (called with ``self``)."""
        name = getattr(fn, "__name__", "")
        if any(vars(k).get(name) is fn for k in self.cls.__mro__):
            return True
        first = next(iter(inspect.signature(fn).parameters), "")
        return "." in getattr(fn, "__qualname__", "") and first == "self"
