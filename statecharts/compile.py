"""Config dict -> validated, compiled `statecharts.chart.Chart`.

Every check of a chart definition happens here, once; a mistake is a `ConfigError` naming the
state path and the key (with a suggestion for a misspelt name).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from statecharts.actions import (
    Action,
    Call,
    Cancel,
    NamedAction,
    Raise,
    Send,
    StartInvoke,
    StopInvoke,
    resolve_params,
    takes_params,
    to_action,
)
from statecharts.chart import STATE_TYPES, Chart, InvokeDef, StateNode, Transition, transition_domain_static
from statecharts.errors import ConfigError
from statecharts.event import Event
from statecharts.guards import And, CallGuard, Guard, NamedGuard, Not, Or, StateIn, to_guard
from statecharts.limits import MAX_DELAY_MS, MAX_DEPTH
from statecharts.text import did_you_mean

STATE_KEYS = (
    "id",
    "initial",
    "type",
    "history",
    "target",
    "states",
    "on",
    "always",
    "after",
    "entry",
    "exit",
    "invoke",
    "context",
    "tags",
    "meta",
    "description",
    "output",
    "onDone",
)
TRANSITION_KEYS = ("target", "guard", "actions", "reenter", "description", "type", "meta")
INVOKE_KEYS = ("src", "id", "input", "onDone", "onError", "autoForward", "meta", "description")
OLD_NAMES = {"cond": "guard", "internal": "reenter", "onEntry": "entry", "onExit": "exit"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class _Compiler:
    def __init__(
        self,
        guards: Mapping[str, Any],
        actions: Mapping[str, Any],
        delays: Mapping[str, Any],
        services: Mapping[str, Any],
    ) -> None:
        self.guards = dict(guards)
        self.actions = dict(actions)
        self.delays = dict(delays)
        self.services = dict(services)
        self.nodes: list[StateNode] = []
        self.by_id: dict[str, StateNode] = {}
        self.transition_order = 0
        self.chart: Chart | None = None
        self.invoke_ids: dict[str, str] = {}

    # -- structure ------------------------------------------------------------------------
    def build(self, key: str, parent: StateNode | None, config: Any, path: str) -> StateNode:
        if not isinstance(config, Mapping):
            raise ConfigError(f"a state is a dict, not {type(config).__name__}", path=path)
        for k in config:
            if k not in STATE_KEYS:
                hint = f" (use {OLD_NAMES[k]!r})" if k in OLD_NAMES else did_you_mean(str(k), STATE_KEYS)
                raise ConfigError(f"unknown key {k!r}{hint}", path=path, key=str(k))
        if parent is not None and "context" in config:
            raise ConfigError("'context' belongs on the root state only", path=path, key="context")
        if parent is not None and parent.depth >= MAX_DEPTH:
            raise ConfigError(f"states nest deeper than {MAX_DEPTH} levels", path=path)
        node = StateNode(key, parent, config)
        node.order = len(self.nodes)
        self.nodes.append(node)
        explicit = config.get("id")
        if explicit is not None and not isinstance(explicit, str):
            raise ConfigError("'id' must be a string", path=path, key="id")
        node.id = explicit or (key if parent is None else f"{parent.id}.{key}")
        if node.id in self.by_id:
            raise ConfigError(
                f"duplicate state id {node.id!r} (also used by {self.by_id[node.id].path_str})", path=path, key="id"
            )
        self.by_id[node.id] = node

        states = config.get("states") or {}
        if not isinstance(states, Mapping):
            raise ConfigError("'states' must be a dict of state configs", path=path, key="states")
        declared = config.get("type")
        if declared is not None and declared not in STATE_TYPES:
            raise ConfigError(
                f"unknown state type {declared!r}{did_you_mean(str(declared), STATE_TYPES)}", path=path, key="type"
            )
        if declared == "history" or (declared is None and "history" in config and not states):
            node.type = "history"
        elif declared:
            node.type = declared
        else:
            node.type = "compound" if states else "atomic"
        if node.type == "compound" and not states:
            raise ConfigError("a compound state needs child 'states'", path=path, key="type")
        if node.type in ("atomic", "final", "history") and states:
            raise ConfigError(f"a {node.type} state cannot have child 'states'", path=path, key="states")
        if node.type == "parallel" and not states:
            raise ConfigError("a parallel state needs child 'states' (its regions)", path=path, key="states")
        if node.type == "final":
            for k in ("on", "always", "after", "onDone"):
                if config.get(k):
                    raise ConfigError("a final state cannot have transitions", path=path, key=k)
        if node.type == "history":
            htype = config.get("history", "shallow")
            if htype not in ("shallow", "deep"):
                raise ConfigError(f"history must be 'shallow' or 'deep', not {htype!r}", path=path, key="history")
            node.history_type = htype
            for k in ("on", "always", "after", "entry", "exit", "invoke", "initial"):
                if config.get(k):
                    raise ConfigError(f"a history state cannot have {k!r}", path=path, key=k)
        elif "history" in config:
            raise ConfigError("'history' belongs on a state of type 'history'", path=path, key="history")
        if "target" in config and node.type != "history":
            raise ConfigError(
                "'target' on a state is only for history states (did you mean 'on'?)", path=path, key="target"
            )

        children: list[StateNode] = []
        histories: list[StateNode] = []
        for child_key, child_config in states.items():
            if not isinstance(child_key, str) or not child_key or "." in child_key:
                raise ConfigError(
                    f"state key {child_key!r} must be a non-empty string without '.'", path=path, key="states"
                )
            child = self.build(child_key, node, child_config, f"{path}.{child_key}")
            (histories if child.type == "history" else children).append(child)
        node.children = tuple(children)
        node.histories = tuple(histories)
        node.by_key = {c.key: c for c in (*children, *histories)}
        if histories and not children:
            raise ConfigError(
                "history state outside a compound state: its parent has no other states",
                path=f"{path}.{histories[0].key}",
                key="type",
            )
        if node.type == "history" and (parent is None or parent.type not in ("compound", "parallel")):
            raise ConfigError("history state outside a compound state", path=path, key="type")
        tags = _as_list(config.get("tags"))
        if not all(isinstance(tag, str) for tag in tags):
            raise ConfigError(f"'tags' are strings, not {config.get('tags')!r}", path=path, key="tags")
        node.tags = frozenset(tags)
        if config.get("description") is not None and not isinstance(config.get("description"), str):
            raise ConfigError(f"'description' is text, not {config.get('description')!r}", path=path, key="description")
        node.meta = config.get("meta")
        node.description = config.get("description")
        node.output = config.get("output")
        node.done_data = "output" in config
        if "initial" in config and node.type != "compound":
            raise ConfigError(f"'initial' on a {node.type} state", path=path, key="initial")
        if node.type == "compound" and config.get("initial") is None:
            raise ConfigError(
                f"missing 'initial' (one of {', '.join(c.key for c in children)})", path=path, key="initial"
            )
        return node

    # -- transitions ----------------------------------------------------------------------
    def link(self, node: StateNode) -> None:
        cfg = node.config
        path = node.path_str
        transitions: list[Transition] = []
        on = cfg.get("on") or {}
        if not isinstance(on, Mapping):
            raise ConfigError("'on' must be a dict of event -> transition", path=path, key="on")
        for event_key, spec in on.items():
            if not isinstance(event_key, str):
                raise ConfigError(f"event names are strings, not {event_key!r}", path=path, key="on")
            descriptors = tuple(event_key.split())
            if not descriptors:
                raise ConfigError("an empty event name", path=path, key="on")
            transitions += self.transitions(node, descriptors, spec, f"on.{event_key}")
        if cfg.get("onDone") is not None:
            if node.type not in ("compound", "parallel"):
                raise ConfigError(
                    f"'onDone' on a {node.type} state: only compound and parallel states are done "
                    f"when their final states are reached",
                    path=path,
                    key="onDone",
                )
            made = self.transitions(node, (f"xstate.done.state.{node.id}",), cfg["onDone"], "onDone")
            for t in made:
                t.exact = True
            transitions += made
        for spec in [cfg["always"]] if cfg.get("always") is not None else []:
            transitions += self.transitions(node, (), spec, "always")
        after = cfg.get("after") or {}
        if not isinstance(after, Mapping):
            raise ConfigError("'after' must be a dict of delay -> transition", path=path, key="after")
        entry = [self.action(a, path, "entry") for a in _as_list(cfg.get("entry"))]
        exit_ = [self.action(a, path, "exit") for a in _as_list(cfg.get("exit"))]
        for delay_key in after:
            huge = isinstance(delay_key, int) and abs(delay_key) >= 10**20  # str() of 4,300 digits raises
            delay = self.delay(delay_key, path, "after.<a huge number>" if huge else f"after.{delay_key}")
            event_name = f"xstate.after.{delay_key}.{node.id}"
            made = self.transitions(node, (event_name,), after[delay_key], f"after.{delay_key}")
            for t in made:
                t.kind = "after"
                t.delay = delay_key
                t.exact = True
            transitions += made
            entry.append(Send(Event(event_name), delay=delay, id=event_name))
            exit_.append(Cancel(event_name))
        invokes: list[InvokeDef] = []
        for index, spec in enumerate(_as_list(cfg.get("invoke"))):
            where = f"invoke[{index}]"
            if not isinstance(spec, Mapping):
                spec = {"src": spec}
            for k in spec:
                if k not in INVOKE_KEYS:
                    raise ConfigError(
                        f"unknown key {k!r}{did_you_mean(str(k), INVOKE_KEYS)}", path=path, key=f"{where}.{k}"
                    )
            src = spec.get("src")
            if isinstance(src, str):
                if src not in self.services:
                    raise ConfigError(
                        f"unknown service {src!r}{did_you_mean(src, self.services)}", path=path, key=f"{where}.src"
                    )
                src_name, src_fn = src, self.services[src]
            elif callable(src):
                src_name, src_fn = getattr(src, "__name__", "service"), src
            elif callable(getattr(src, "initial_state", None)) and callable(getattr(src, "transition", None)):
                src_name, src_fn = str(getattr(src, "id", "logic")), src  # a child machine (actor logic)
            else:
                raise ConfigError(
                    "'src' must be a service name, a callable or a Machine", path=path, key=f"{where}.src"
                )
            invoke_id = spec.get("id") or f"{node.id}:invocation[{index}]"
            if not isinstance(invoke_id, str):
                raise ConfigError(f"an invoke id is a string, not {invoke_id!r}", path=path, key=f"{where}.id")
            if invoke_id in self.invoke_ids:
                raise ConfigError(
                    f"duplicate invoke id {invoke_id!r} (also used in "
                    f"{self.invoke_ids[invoke_id]}): its onDone/onError would be ambiguous",
                    path=path,
                    key=f"{where}.id",
                )
            self.invoke_ids[invoke_id] = path
            invokes.append(InvokeDef(invoke_id, src_fn, src_name, spec.get("input"), node))
            for outcome, prefix in (("onDone", "xstate.done.actor"), ("onError", "xstate.error.actor")):
                if spec.get(outcome) is not None:
                    made = self.transitions(node, (f"{prefix}.{invoke_id}",), spec[outcome], f"{where}.{outcome}")
                    for t in made:
                        t.exact = True
                    transitions += made
            entry.append(StartInvoke(invoke_id))
            exit_.append(StopInvoke(invoke_id))
        node.transitions = tuple(transitions)
        node.entry = tuple(entry)
        node.exit = tuple(exit_)
        node.invoke = tuple(invokes)
        if node.type == "compound":
            node.initial = self.initial(node, cfg["initial"])
        if node.type == "history":
            default = cfg.get("target")
            if default is not None:
                spec = {"target": list(default)} if isinstance(default, (list, tuple)) else default
                made = self.transitions(node, (), spec, "target")
                if len(made) != 1 or not made[0].targets:
                    raise ConfigError(
                        f"a history default 'target' names a state, not {default!r}", path=path, key="target"
                    )
                t = made[0]
                node.history_default = t
                for target in t.targets:
                    if target.type == "history":
                        raise ConfigError(
                            f"history default {target.id!r} is a history state: a default names the states to enter",
                            path=path,
                            key="target",
                        )
                    parent = node.parent  # a history state always has one
                    if parent is not None and not target.is_descendant_of(parent):
                        raise ConfigError(
                            f"history default {target.id!r} is not inside {parent.path_str}",
                            path=path,
                            key="target",
                        )

    def initial(self, node: StateNode, spec: Any) -> Transition:
        path = node.path_str
        t = Transition(node, (), -1)
        t.kind = "initial"
        if isinstance(spec, Mapping):
            refs = _as_list(spec.get("target"))
            t.actions = tuple(self.action(a, path, "initial.actions") for a in _as_list(spec.get("actions")))
        elif isinstance(spec, str):
            refs = [spec]
        else:
            raise ConfigError(
                f"'initial' is a child state's key (or {{'target': ...}}), not {spec!r}", path=path, key="initial"
            )
        targets = []
        for ref in refs:
            if not isinstance(ref, str):
                raise ConfigError(f"'initial' must name a child state, not {ref!r}", path=path, key="initial")
            target = self.resolve(node, ref, from_inside=True)
            if target is None or not target.is_descendant_of(node):
                choices = [c.key for c in node.children]
                raise ConfigError(
                    f"initial state {ref!r} is not a child of {path}{did_you_mean(ref, choices)}",
                    path=path,
                    key="initial",
                )
            if target.type == "history" and not target.config.get("target"):
                raise ConfigError(
                    f"initial state {ref!r} is a history state without a default 'target' "
                    f"(on first entry it would fall back to 'initial', itself)",
                    path=path,
                    key="initial",
                )
            targets.append(target)
        if not targets:
            raise ConfigError("missing 'initial'", path=path, key="initial")
        t.targets = tuple(targets)
        t.target_refs = tuple(refs)
        t.internal = True
        return t

    def transitions(self, node: StateNode, events: tuple[str, ...], spec: Any, key: str) -> list[Transition]:
        items = spec if isinstance(spec, (list, tuple)) else [spec]
        made = []
        for index, item in enumerate(items):
            where = key if len(items) == 1 else f"{key}[{index}]"
            made.append(self.transition(node, events, item, where))
        return made

    def transition(self, node: StateNode, events: tuple[str, ...], spec: Any, key: str) -> Transition:
        path = node.path_str
        if spec is None or isinstance(spec, str):
            spec = {"target": spec}
        elif isinstance(spec, StateNode):  # pragma: no cover - defensive
            spec = {"target": f"#{spec.id}"}
        if not isinstance(spec, Mapping):
            raise ConfigError(f"a transition is a target string or a dict, not {spec!r}", path=path, key=key)
        for k in spec:
            if k not in TRANSITION_KEYS:
                hint = f" (use {OLD_NAMES[k]!r})" if k in OLD_NAMES else did_you_mean(str(k), TRANSITION_KEYS)
                raise ConfigError(f"unknown transition key {k!r}{hint}", path=path, key=f"{key}.{k}")
        if node.type == "final":
            raise ConfigError("a final state cannot have transitions", path=path, key=key)
        t = Transition(node, events, self.transition_order)
        self.transition_order += 1
        refs = _as_list(spec.get("target"))
        targets = []
        for ref in refs:
            if not isinstance(ref, str):
                raise ConfigError(f"a target is a string, not {ref!r}", path=path, key=f"{key}.target")
            target = self.resolve(node, ref)
            if target is None:
                raise ConfigError(f"unknown target {ref!r}{self.suggest(node, ref)}", path=path, key=f"{key}.target")
            targets.append(target)
        t.targets = tuple(targets)
        t.target_refs = tuple(refs)
        t.has_history_target = any(x.type == "history" for x in targets)
        if spec.get("guard") is not None:
            t.guard = self.guard(spec["guard"], path, f"{key}.guard")
        t.actions = tuple(self.action(a, path, f"{key}.actions") for a in _as_list(spec.get("actions")))
        reenter = spec.get("reenter", False)
        if not isinstance(reenter, bool):
            raise ConfigError(f"'reenter' is true or false, not {reenter!r}", path=path, key=f"{key}.reenter")
        t.reenter = reenter
        description = spec.get("description")
        if description is not None and not isinstance(description, str):
            raise ConfigError(f"'description' is text, not {description!r}", path=path, key=f"{key}.description")
        t.description = description
        t.meta = spec.get("meta")
        kind = spec.get("type")
        if kind is not None and kind not in ("internal", "external"):
            raise ConfigError(
                f"transition type must be 'internal' or 'external', not {kind!r}", path=path, key=f"{key}.type"
            )
        if kind is not None:  # SCXML's rule
            t.internal = (
                kind == "internal"
                and node.type == "compound"
                and bool(targets)
                and all(x.is_descendant_of(node) for x in targets)
            )
        else:  # xstate's rule: reenter=False keeps the source when targets are inside it (SCXML's: a
            # compound source; a parallel one is left and re-entered, so that every region stays active)
            t.internal = (
                not t.reenter
                and bool(targets)
                and all(x is node or (node.type == "compound" and x.is_descendant_of(node)) for x in targets)
            )
        for left in range(len(targets)):
            for right in range(left + 1, len(targets)):
                a, b = targets[left], targets[right]
                if a is b or a.is_descendant_of(b) or b.is_descendant_of(a) or not _orthogonal(a, b):
                    raise ConfigError(
                        f"targets {a.id!r} and {b.id!r} cannot be active together", path=path, key=f"{key}.target"
                    )
        return t

    def resolve(self, node: StateNode, ref: str, from_inside: bool = False) -> StateNode | None:
        chart = self.chart
        assert chart is not None
        if ref.startswith("#"):
            return chart.find(ref)
        if ref.startswith("."):
            node, ref = node, ref[1:]
        elif not from_inside and node.parent is not None:
            node = node.parent
        return chart.find(ref, relative_to=node) if ref else None

    def suggest(self, node: StateNode, ref: str) -> str:
        if ref.startswith("#"):
            return did_you_mean(ref, [f"#{i}" for i in self.by_id])
        base = node.parent or node
        keys = [c.key for c in (*base.children, *base.histories)] + [f".{c.key}" for c in node.children]
        return did_you_mean(ref, keys)

    def guard(self, spec: Any, path: str, key: str) -> Guard:
        if isinstance(spec, Mapping) and "type" in spec:
            spec = NamedGuard(str(spec["type"]), spec.get("params"))
        try:
            guard = to_guard(spec)
        except TypeError as exc:
            raise ConfigError(str(exc), path=path, key=key) from None
        return self.resolve_guard(guard, path, key)

    def resolve_guard(self, guard: Guard, path: str, key: str) -> Guard:
        if isinstance(guard, NamedGuard):
            if guard.name not in self.guards:
                raise ConfigError(
                    f"unknown guard {guard.name!r}{did_you_mean(guard.name, self.guards)}", path=path, key=key
                )
            impl = self.guards[guard.name]
            if isinstance(impl, Guard):
                return self.resolve_guard(impl, path, key)
            if not callable(impl):
                raise ConfigError(f"guard {guard.name!r} is not callable", path=path, key=key)
            if guard.params is not None or takes_params(impl):  # xstate passes params (maybe undefined)
                return CallGuard(functools.partial(_call_with_params, impl, guard.params), guard.name)
            return CallGuard(impl, guard.name)
        if isinstance(guard, (And, Or)):
            return type(guard)(tuple(self.resolve_guard(g, path, key) for g in guard.guards))
        if isinstance(guard, Not):
            return Not(self.resolve_guard(guard.guard, path, key))
        if isinstance(guard, StateIn):
            chart = self.chart
            assert chart is not None
            if chart.find(guard.ref) is None:
                raise ConfigError(
                    f"state_in({guard.ref!r}): no such state{did_you_mean(guard.ref.lstrip('#'), self.by_id)}",
                    path=path,
                    key=key,
                )
        return guard

    def action(self, spec: Any, path: str, key: str) -> Action:
        try:
            action = to_action(spec)
        except TypeError as exc:
            raise ConfigError(str(exc), path=path, key=key) from None
        if isinstance(action, NamedAction):
            if action.name not in self.actions:
                raise ConfigError(
                    f"unknown action {action.name!r}{did_you_mean(action.name, self.actions)}", path=path, key=key
                )
            impl = self.actions[action.name]
            if isinstance(impl, Action):
                return _registered_as(impl, action.name, action.params)
            if not callable(impl):
                raise ConfigError(f"action {action.name!r} is not callable", path=path, key=key)
            return Call(impl, action.name, action.params)
        if isinstance(action, (Send, Raise)) and action.delay is not None:
            self.delay(action.delay, path, key)
        return action

    def delay(self, spec: Any, path: str, key: str) -> Any:
        if isinstance(spec, bool):
            raise ConfigError(f"a delay is milliseconds or a delay name, not {spec!r}", path=path, key=key)
        if isinstance(spec, (int, float)):
            if not 0 <= spec <= MAX_DELAY_MS:  # NaN fails too
                raise ConfigError(
                    f"a delay must be a number of milliseconds from 0 to {MAX_DELAY_MS:g}, "
                    f"not {spec if isinstance(spec, float) or spec < 10**20 else 'a huge number'}",
                    path=path,
                    key=key,
                )
            return spec
        if callable(spec):
            return spec
        if isinstance(spec, str):
            if spec.isascii() and spec.isdigit():
                return self.delay(int(spec) if len(spec) < 20 else math.inf, path, key)
            if spec in self.delays:
                named = self.delays[spec]
                if not callable(named):
                    self.delay(named, path, f"{key} (delays[{spec!r}])")
                return spec
            raise ConfigError(f"unknown delay {spec!r}{did_you_mean(spec, self.delays)}", path=path, key=key)
        raise ConfigError(f"a delay is milliseconds or a delay name, not {spec!r}", path=path, key=key)


def _call_with_params(impl: Callable[..., Any], params: Any, context: Any, event: Any) -> Any:
    """A guard implementation called with the params of its ``{"type", "params"}`` reference."""
    return impl(context, event, resolve_params(params, context, event))


def _registered_as(action: Action, name: str, params: Any = None) -> Action:
    """A built-in action registered by name keeps that name (diagrams and errors show it) and
    receives the params of the reference (``{"type": name, "params": ...}``), as in xstate."""
    if dataclasses.is_dataclass(action):
        fields = {f.name for f in dataclasses.fields(action)}
        changes = {"name": name} if "name" in fields else {}
        if params is not None and "params" in fields:
            changes["params"] = params
        if changes:
            return dataclasses.replace(action, **changes)  # type: ignore[type-var]
    return action


def _orthogonal(a: StateNode, b: StateNode) -> bool:
    """Two states can be active together: their lowest common ancestor is parallel."""
    common = next((x for x in a.ancestors if x is b or x in b.ancestors), None)
    return common is not None and common.type == "parallel"


def compile_chart(
    config: Mapping[str, Any],
    *,
    guards: Mapping[str, Any] | None = None,
    actions: Mapping[str, Any] | None = None,
    delays: Mapping[str, Any] | None = None,
    services: Mapping[str, Any] | None = None,
) -> Chart:
    """Validate a config dict and compile it into a `Chart` (raises `ConfigError`).

    >>> compile_chart({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}}})
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m.a: on.GO.target: unknown target 'b'
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"a chart is a dict, not {type(config).__name__}")
    for name, given in (("guards", guards), ("actions", actions), ("delays", delays), ("services", services)):
        if given is not None and not isinstance(given, Mapping):
            raise ConfigError(f"{name}= must map names to implementations, not {type(given).__name__}", key=name)
    context = config.get("context")
    if context is not None and not isinstance(context, Mapping) and not callable(context):
        raise ConfigError(
            f"'context' must be a dict (or a function returning one), not {type(context).__name__}",
            path=str(config.get("id") or "(machine)"),
            key="context",
        )
    compiler = _Compiler(guards or {}, actions or {}, delays or {}, services or {})
    root_key = config.get("id") or "(machine)"
    if not isinstance(root_key, str):
        raise ConfigError("'id' must be a string", path="(root)", key="id")
    root = compiler.build(root_key, None, config, root_key)
    root.path = ()
    _fix_paths(root)
    chart = Chart(root, compiler.nodes, config.get("context"), compiler.services, compiler.delays)
    compiler.chart = chart
    for node in compiler.nodes:
        compiler.link(node)
    chart.index()
    for node in compiler.nodes:
        for t in node.transitions:
            if not t.has_history_target:
                t.domain = transition_domain_static(t)
    return chart


def _fix_paths(node: StateNode) -> None:
    for child in (*node.children, *node.histories):
        child.path = (*node.path, child.key)
        _fix_paths(child)
