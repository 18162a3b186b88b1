"""Config dict -> compiled `statecharts.chart.Chart`.

The compiler reads each part of the config once and has `statecharts.validate` check it as it
goes (a mistake is a `ConfigError` naming the state path and the key). A mistake in the tree of
states stops it there; a mistake in a state's transitions, actions or invokes stops that state's
only, and one `ConfigError` names the first mistake of each state, in reading order (``also``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from statecharts import validate
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
from statecharts.chart import Chart, InvokeDef, StateNode, Transition, transition_domain_static
from statecharts.errors import ConfigError
from statecharts.event import Event
from statecharts.guards import And, CallGuard, Guard, NamedGuard, Not, Or, StateIn, to_guard


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
        validate.state_config(config, parent, path)
        node = StateNode(key, parent, config)
        node.order = len(self.nodes)
        self.nodes.append(node)
        node.id = config.get("id") or (key if parent is None else f"{parent.id}.{key}")
        validate.unique_id(node, self.by_id, path)
        self.by_id[node.id] = node

        validate.children_and_type(config, path)
        states = config.get("states") or {}
        declared = config.get("type")
        if declared == "history" or (declared is None and "history" in config and not states):
            node.type = "history"
        elif declared:
            node.type = declared
        else:
            node.type = "compound" if states else "atomic"
        validate.state_shape(node, config, states, path)
        if node.type == "history":
            node.history_type = config.get("history", "shallow")

        children: list[StateNode] = []
        histories: list[StateNode] = []
        for child_key, child_config in states.items():
            validate.child_key(child_key, path)
            child = self.build(child_key, node, child_config, f"{path}.{child_key}")
            (histories if child.type == "history" else children).append(child)
        node.children = tuple(children)
        node.histories = tuple(histories)
        node.by_key = {c.key: c for c in (*children, *histories)}
        tags = _as_list(config.get("tags"))
        validate.state_parts(node, config, tags, path)
        node.tags = frozenset(tags)
        node.meta = config.get("meta")
        node.description = config.get("description")
        node.output = config.get("output")
        node.done_data = "output" in config
        return node

    # -- transitions ----------------------------------------------------------------------
    def link(self, node: StateNode) -> None:
        cfg = node.config
        path = node.path_str
        transitions: list[Transition] = []
        on = cfg.get("on") or {}
        validate.event_map(on, path)
        for event_key, spec in on.items():
            validate.event_key(event_key, path)
            transitions += self.transitions(node, tuple(event_key.split()), spec, f"on.{event_key}")
        if cfg.get("onDone") is not None:
            validate.on_done(node, path)
            made = self.transitions(node, (f"xstate.done.state.{node.id}",), cfg["onDone"], "onDone")
            for t in made:
                t.exact = True
            transitions += made
        for spec in [cfg["always"]] if cfg.get("always") is not None else []:
            transitions += self.transitions(node, (), spec, "always")
        after = cfg.get("after") or {}
        validate.after_map(after, path)
        entry = [self.action(a, path, "entry") for a in _as_list(cfg.get("entry"))]
        exit_ = [self.action(a, path, "exit") for a in _as_list(cfg.get("exit"))]
        for delay_key in after:
            huge = isinstance(delay_key, int) and abs(delay_key) >= 10**20  # str() of 4,300 digits raises
            delay = validate.delay(
                delay_key, self.delays, path, "after.<a huge number>" if huge else f"after.{delay_key}"
            )
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
            validate.invoke_spec(spec, self.services, path, where)
            src = spec.get("src")
            if isinstance(src, str):
                src_name, src_fn = src, self.services[src]
            elif callable(src):
                src_name, src_fn = getattr(src, "__name__", "service"), src
            else:
                src_name, src_fn = str(getattr(src, "id", "logic")), src  # a child machine (actor logic)
            invoke_id = spec.get("id") or f"{node.id}:invocation[{index}]"
            validate.invoke_id(invoke_id, self.invoke_ids, path, where)
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
                validate.history_default(node, [t.targets for t in made], default, path)
                node.history_default = made[0]

    def initial(self, node: StateNode, spec: Any) -> Transition:
        path = node.path_str
        t = Transition(node, (), -1)
        t.kind = "initial"
        validate.initial_spec(spec, path)
        if isinstance(spec, Mapping):
            refs = _as_list(spec.get("target"))
            t.actions = tuple(self.action(a, path, "initial.actions") for a in _as_list(spec.get("actions")))
        else:
            refs = [spec]
        targets = []
        for ref in refs:
            validate.initial_ref(ref, path)
            target = self.resolve(node, ref, from_inside=True)
            validate.initial_target(node, ref, target, path)
            assert target is not None
            targets.append(target)
        validate.initial_targets(targets, path)
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
        validate.transition_spec(node, spec, path, key)
        t = Transition(node, events, self.transition_order)
        self.transition_order += 1
        refs = _as_list(spec.get("target"))
        targets = []
        for ref in refs:
            validate.target_ref(ref, path, key)
            target = self.resolve(node, ref)
            validate.target_found(target, node, ref, self.by_id, path, key)
            assert target is not None
            targets.append(target)
        t.targets = tuple(targets)
        t.target_refs = tuple(refs)
        t.has_history_target = any(x.type == "history" for x in targets)
        if spec.get("guard") is not None:
            t.guard = self.guard(spec["guard"], path, f"{key}.guard")
        t.actions = tuple(self.action(a, path, f"{key}.actions") for a in _as_list(spec.get("actions")))
        validate.transition_options(spec, t.targets, path, key)
        t.reenter = spec.get("reenter", False)
        t.description = spec.get("description")
        t.meta = spec.get("meta")
        kind = spec.get("type")
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

    def guard(self, spec: Any, path: str, key: str) -> Guard:
        if isinstance(spec, Mapping) and "type" in spec:
            spec = NamedGuard(str(spec["type"]), spec.get("params"))
        return self.resolve_guard(validate.converted(to_guard, spec, path, key), path, key)

    def resolve_guard(self, guard: Guard, path: str, key: str) -> Guard:
        if isinstance(guard, NamedGuard):
            validate.known(guard.name, self.guards, "guard", path, key)
            impl = self.guards[guard.name]
            if isinstance(impl, Guard):
                return self.resolve_guard(impl, path, key)
            validate.implementation(impl, "guard", guard.name, path, key)
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
            validate.state_in(chart.find(guard.ref), guard.ref, self.by_id, path, key)
        return guard

    def action(self, spec: Any, path: str, key: str) -> Action:
        action = validate.converted(to_action, spec, path, key)
        if isinstance(action, NamedAction):
            validate.known(action.name, self.actions, "action", path, key)
            impl = self.actions[action.name]
            if isinstance(impl, Action):
                return _registered_as(impl, action.name, action.params)
            validate.implementation(impl, "action", action.name, path, key)
            return Call(impl, action.name, action.params)
        if isinstance(action, (Send, Raise)) and action.delay is not None:
            validate.delay(action.delay, self.delays, path, key)
        return action


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


def compile_chart(
    config: Mapping[str, Any],
    *,
    guards: Mapping[str, Any] | None = None,
    actions: Mapping[str, Any] | None = None,
    delays: Mapping[str, Any] | None = None,
    services: Mapping[str, Any] | None = None,
) -> Chart:
    """Compile a config dict into a `Chart`, checking it (`statecharts.validate`) on the way:
    a mistake raises `ConfigError`.

    >>> compile_chart({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}}})
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m.a: on.GO.target: unknown target 'b'
    """
    validate.chart_arguments(config, {"guards": guards, "actions": actions, "delays": delays, "services": services})
    compiler = _Compiler(guards or {}, actions or {}, delays or {}, services or {})
    root_key = config.get("id") or "(machine)"
    root = compiler.build(root_key, None, config, root_key)
    root.path = ()
    _fix_paths(root)
    chart = Chart(root, compiler.nodes, config.get("context"), compiler.services, compiler.delays)
    compiler.chart = chart
    mistakes: list[ConfigError] = []
    for node in compiler.nodes:  # each state's transitions, actions and invokes: a mistake in one leaves the others
        try:
            compiler.link(node)
        except ConfigError as exc:
            mistakes.append(exc)
    validate.mistakes(mistakes)
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
