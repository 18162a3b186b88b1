"""The checks of a chart definition: each raises a `ConfigError` naming the state path and the key
(with a suggestion for a misspelt name), and does nothing else.

`statecharts.compile` builds the `Chart` and calls these where it reads each part of the config, so
a chart's first mistake is the one reported.

>>> from statecharts.compile import compile_chart
>>> compile_chart({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"cond": "ok"}}}}})
Traceback (most recent call last):
...
statecharts.errors.ConfigError: m.a: on.GO.cond: unknown transition key 'cond' (use 'guard')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from statecharts.chart import STATE_TYPES, StateNode
from statecharts.errors import ConfigError
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

T = TypeVar("T")


# -- the chart and its implementations ----------------------------------------------------------
def chart_arguments(config: Any, implementations: Mapping[str, Any]) -> None:
    """The chart is a dict, each of ``guards=`` ... ``services=`` maps names, the context is a
    dict or a function, the root id a string.

    >>> chart_arguments({"id": "m"}, {"guards": ["ok"]})
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: guards: guards= must map names to implementations, not list
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"a chart is a dict, not {type(config).__name__}")
    for name, given in implementations.items():
        if given is not None and not isinstance(given, Mapping):
            raise ConfigError(f"{name}= must map names to implementations, not {type(given).__name__}", key=name)
    context = config.get("context")
    if context is not None and not isinstance(context, Mapping) and not callable(context):
        raise ConfigError(
            f"'context' must be a dict (or a function returning one), not {type(context).__name__}",
            path=str(config.get("id") or "(machine)"),
            key="context",
        )
    if not isinstance(config.get("id") or "(machine)", str):
        raise ConfigError("'id' must be a string", path="(root)", key="id")


def known(name: str, registry: Mapping[str, Any], what: str, path: str, key: str) -> None:
    """``name`` is registered (``what``: guard, action, service, delay).

    >>> known("ok", {"okay": None}, "guard", "m.a", "on.GO.guard")
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m.a: on.GO.guard: unknown guard 'ok' (did you mean 'okay'?)
    """
    if name not in registry:
        raise ConfigError(f"unknown {what} {name!r}{did_you_mean(name, registry)}", path=path, key=key)


def implementation(impl: Any, what: str, name: str, path: str, key: str) -> None:
    """A registered guard or action implementation is callable."""
    if not callable(impl):
        raise ConfigError(f"{what} {name!r} is not callable", path=path, key=key)


def converted(convert: Callable[[Any], T], spec: Any, path: str, key: str) -> T:
    """``convert(spec)`` (`to_guard`, `to_action`), its `TypeError` a `ConfigError` here."""
    try:
        return convert(spec)
    except TypeError as exc:
        raise ConfigError(str(exc), path=path, key=key) from None


def delay(spec: Any, delays: Mapping[str, Any], path: str, key: str) -> Any:
    """A delay (milliseconds from 0 to `MAX_DELAY_MS`, a function or a name in ``delays``),
    returned as given except a string of digits, read as its number.

    >>> delay("500", {}, "m.a", "after")
    500
    >>> delay(-1, {}, "m.a", "after")
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m.a: after: a delay must be a number of milliseconds from 0 to ..., not -1
    """
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
            return delay(int(spec) if len(spec) < 20 else math.inf, delays, path, key)
        known(spec, delays, "delay", path, key)
        named = delays[spec]
        if not callable(named):
            delay(named, delays, path, f"{key} (delays[{spec!r}])")
        return spec
    raise ConfigError(f"a delay is milliseconds or a delay name, not {spec!r}", path=path, key=key)


# -- a state ----------------------------------------------------------------------------------
def state_config(config: Any, parent: StateNode | None, path: str) -> None:
    """A state is a dict of known keys; ``context`` on the root only; ``id`` a string; nesting
    bounded by `MAX_DEPTH`.

    >>> state_config({"on": {}, "onEntry": "hi"}, None, "m")
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m: onEntry: unknown key 'onEntry' (use 'entry')
    """
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
    explicit = config.get("id")
    if explicit is not None and not isinstance(explicit, str):
        raise ConfigError("'id' must be a string", path=path, key="id")


def unique_id(node: StateNode, by_id: Mapping[str, StateNode], path: str) -> None:
    """No other state has the id of ``node``."""
    if node.id in by_id:
        raise ConfigError(
            f"duplicate state id {node.id!r} (also used by {by_id[node.id].path_str})", path=path, key="id"
        )


def children_and_type(config: Mapping[str, Any], path: str) -> None:
    """``states`` is a dict and ``type`` one of `STATE_TYPES`."""
    if not isinstance(config.get("states") or {}, Mapping):
        raise ConfigError("'states' must be a dict of state configs", path=path, key="states")
    declared = config.get("type")
    if declared is not None and declared not in STATE_TYPES:
        raise ConfigError(
            f"unknown state type {declared!r}{did_you_mean(str(declared), STATE_TYPES)}", path=path, key="type"
        )


def state_shape(node: StateNode, config: Mapping[str, Any], states: Mapping[str, Any], path: str) -> None:
    """What a state of its type may hold: children for compound and parallel states only, no
    transitions on a final state, a history state's kind and the keys it cannot have.

    >>> from statecharts.compile import compile_chart
    >>> compile_chart({"id": "m", "type": "parallel"})
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m: states: a parallel state needs child 'states' (its regions)
    """
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
        for k in ("on", "always", "after", "entry", "exit", "invoke", "initial"):
            if config.get(k):
                raise ConfigError(f"a history state cannot have {k!r}", path=path, key=k)
    elif "history" in config:
        raise ConfigError("'history' belongs on a state of type 'history'", path=path, key="history")
    if "target" in config and node.type != "history":
        raise ConfigError(
            "'target' on a state is only for history states (did you mean 'on'?)", path=path, key="target"
        )


def child_key(key: Any, path: str) -> None:
    """A key in ``states`` is a non-empty string without a dot."""
    if not isinstance(key, str) or not key or "." in key:
        raise ConfigError(f"state key {key!r} must be a non-empty string without '.'", path=path, key="states")


def state_parts(node: StateNode, config: Mapping[str, Any], tags: list[Any], path: str) -> None:
    """Once its children are built: history states sit in a compound (or parallel) state beside
    other states, ``tags`` (read as the list ``tags``) are strings, ``description`` is text, and
    ``initial`` belongs on (and is needed by) a compound state.

    >>> from statecharts.compile import compile_chart
    >>> compile_chart({"id": "m", "states": {"a": {}, "b": {}}})
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: m: initial: missing 'initial' (one of a, b)
    """
    histories = node.histories
    if histories and not node.children:
        raise ConfigError(
            "history state outside a compound state: its parent has no other states",
            path=f"{path}.{histories[0].key}",
            key="type",
        )
    parent = node.parent
    if node.type == "history" and (parent is None or parent.type not in ("compound", "parallel")):
        raise ConfigError("history state outside a compound state", path=path, key="type")
    if tags and not all(isinstance(tag, str) for tag in tags):
        raise ConfigError(f"'tags' are strings, not {config.get('tags')!r}", path=path, key="tags")
    description(config.get("description"), path, "description")
    if "initial" in config and node.type != "compound":
        raise ConfigError(f"'initial' on a {node.type} state", path=path, key="initial")
    if node.type == "compound" and config.get("initial") is None:
        choices = ", ".join(c.key for c in node.children)
        raise ConfigError(f"missing 'initial' (one of {choices})", path=path, key="initial")


def description(value: Any, path: str, key: str) -> None:
    """A ``description`` (of a state or a transition) is text."""
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"'description' is text, not {value!r}", path=path, key=key)


# -- a state's transitions, invocations and initial state ---------------------------------------
def event_map(on: Any, path: str) -> None:
    """``on`` maps event descriptors to transitions."""
    if not isinstance(on, Mapping):
        raise ConfigError("'on' must be a dict of event -> transition", path=path, key="on")


def event_key(key: Any, path: str) -> None:
    """A key of ``on`` is a string of one or more event descriptors (space-separated)."""
    if not isinstance(key, str):
        raise ConfigError(f"event names are strings, not {key!r}", path=path, key="on")
    if not key.split():
        raise ConfigError("an empty event name", path=path, key="on")


def on_done(node: StateNode, path: str) -> None:
    """``onDone`` belongs on a compound or parallel state."""
    if node.type not in ("compound", "parallel"):
        raise ConfigError(
            f"'onDone' on a {node.type} state: only compound and parallel states are done "
            f"when their final states are reached",
            path=path,
            key="onDone",
        )


def after_map(after: Any, path: str) -> None:
    """``after`` maps delays to transitions."""
    if not isinstance(after, Mapping):
        raise ConfigError("'after' must be a dict of delay -> transition", path=path, key="after")


def invoke_spec(spec: Mapping[str, Any], services: Mapping[str, Any], path: str, where: str) -> None:
    """An invocation's keys are known and its ``src`` is a registered service name, a callable or
    actor logic (an object with ``initial_state`` and ``transition``, such as a `Machine`)."""
    for k in spec:
        if k not in INVOKE_KEYS:
            raise ConfigError(f"unknown key {k!r}{did_you_mean(str(k), INVOKE_KEYS)}", path=path, key=f"{where}.{k}")
    src = spec.get("src")
    if isinstance(src, str):
        known(src, services, "service", path, f"{where}.src")
    elif not callable(src) and not is_logic(src):
        raise ConfigError("'src' must be a service name, a callable or a Machine", path=path, key=f"{where}.src")


def is_logic(src: Any) -> bool:
    """``src`` is actor logic: it has ``initial_state`` and ``transition`` (a child machine)."""
    return callable(getattr(src, "initial_state", None)) and callable(getattr(src, "transition", None))


def invoke_id(invoke_id: Any, seen: Mapping[str, str], path: str, where: str) -> None:
    """An invoke id is a string that no other invocation of the chart uses."""
    if not isinstance(invoke_id, str):
        raise ConfigError(f"an invoke id is a string, not {invoke_id!r}", path=path, key=f"{where}.id")
    if invoke_id in seen:
        raise ConfigError(
            f"duplicate invoke id {invoke_id!r} (also used in "
            f"{seen[invoke_id]}): its onDone/onError would be ambiguous",
            path=path,
            key=f"{where}.id",
        )


def history_default(node: StateNode, targets: list[tuple[StateNode, ...]], default: Any, path: str) -> None:
    """A history state's default ``target`` (one transition, its ``targets``) names states
    inside the history state's parent, none of them a history state."""
    if len(targets) != 1 or not targets[0]:
        raise ConfigError(f"a history default 'target' names a state, not {default!r}", path=path, key="target")
    for target in targets[0]:
        if target.type == "history":
            raise ConfigError(
                f"history default {target.id!r} is a history state: a default names the states to enter",
                path=path,
                key="target",
            )
        parent = node.parent  # a history state always has one
        if parent is not None and not target.is_descendant_of(parent):
            raise ConfigError(f"history default {target.id!r} is not inside {parent.path_str}", path=path, key="target")


def initial_spec(spec: Any, path: str) -> None:
    """``initial`` is a child's key or ``{"target": ..., "actions": ...}``."""
    if not isinstance(spec, (Mapping, str)):
        raise ConfigError(
            f"'initial' is a child state's key (or {{'target': ...}}), not {spec!r}", path=path, key="initial"
        )


def initial_ref(ref: Any, path: str) -> None:
    """A target of ``initial`` is a string."""
    if not isinstance(ref, str):
        raise ConfigError(f"'initial' must name a child state, not {ref!r}", path=path, key="initial")


def initial_target(node: StateNode, ref: str, target: StateNode | None, path: str) -> None:
    """The initial state ``ref`` (found as ``target``) is inside ``node``, and not a history state
    without a default (on first entry it would fall back to ``initial``, itself)."""
    if target is None or not target.is_descendant_of(node):
        choices = [c.key for c in node.children]
        raise ConfigError(
            f"initial state {ref!r} is not a child of {path}{did_you_mean(ref, choices)}", path=path, key="initial"
        )
    if target.type == "history" and not target.config.get("target"):
        raise ConfigError(
            f"initial state {ref!r} is a history state without a default 'target' "
            f"(on first entry it would fall back to 'initial', itself)",
            path=path,
            key="initial",
        )


def initial_targets(targets: list[StateNode], path: str) -> None:
    """``initial`` names at least one state."""
    if not targets:
        raise ConfigError("missing 'initial'", path=path, key="initial")


# -- a transition -----------------------------------------------------------------------------
def transition_spec(node: StateNode, spec: Any, path: str, key: str) -> None:
    """A transition is a dict of known keys, and a final state has none."""
    if not isinstance(spec, Mapping):
        raise ConfigError(f"a transition is a target string or a dict, not {spec!r}", path=path, key=key)
    for k in spec:
        if k not in TRANSITION_KEYS:
            hint = f" (use {OLD_NAMES[k]!r})" if k in OLD_NAMES else did_you_mean(str(k), TRANSITION_KEYS)
            raise ConfigError(f"unknown transition key {k!r}{hint}", path=path, key=f"{key}.{k}")
    if node.type == "final":
        raise ConfigError("a final state cannot have transitions", path=path, key=key)


def target_ref(ref: Any, path: str, key: str) -> None:
    """A target is a string."""
    if not isinstance(ref, str):
        raise ConfigError(f"a target is a string, not {ref!r}", path=path, key=f"{key}.target")


def target_found(target: StateNode | None, node: StateNode, ref: str, ids: Iterable[str], path: str, key: str) -> None:
    """The target ``ref`` of a transition of ``node`` names a state (``ids``: every state id)."""
    if target is None:
        if ref.startswith("#"):
            hint = did_you_mean(ref, [f"#{i}" for i in ids])
        else:
            base = node.parent or node
            keys = [c.key for c in (*base.children, *base.histories)] + [f".{c.key}" for c in node.children]
            hint = did_you_mean(ref, keys)
        raise ConfigError(f"unknown target {ref!r}{hint}", path=path, key=f"{key}.target")


def transition_options(spec: Mapping[str, Any], targets: tuple[StateNode, ...], path: str, key: str) -> None:
    """``reenter`` is a bool, ``description`` text, ``type`` internal or external, and the
    targets can be active together: distinct, none inside another, each pair in different regions
    of a parallel state."""
    reenter = spec.get("reenter", False)
    if not isinstance(reenter, bool):
        raise ConfigError(f"'reenter' is true or false, not {reenter!r}", path=path, key=f"{key}.reenter")
    description(spec.get("description"), path, f"{key}.description")
    kind = spec.get("type")
    if kind is not None and kind not in ("internal", "external"):
        raise ConfigError(
            f"transition type must be 'internal' or 'external', not {kind!r}", path=path, key=f"{key}.type"
        )
    for left in range(len(targets) - 1):
        for right in range(left + 1, len(targets)):
            a, b = targets[left], targets[right]
            if a is b or a.is_descendant_of(b) or b.is_descendant_of(a) or not _orthogonal(a, b):
                raise ConfigError(
                    f"targets {a.id!r} and {b.id!r} cannot be active together", path=path, key=f"{key}.target"
                )


def _orthogonal(a: StateNode, b: StateNode) -> bool:
    """Two states can be active together: their lowest common ancestor is parallel."""
    common = next((x for x in a.ancestors if x is b or x in b.ancestors), None)
    return common is not None and common.type == "parallel"


def state_in(found: StateNode | None, ref: str, ids: Iterable[str], path: str, key: str) -> None:
    """The state a ``state_in`` guard names exists (``found``)."""
    if found is None:
        raise ConfigError(f"state_in({ref!r}): no such state{did_you_mean(ref.lstrip('#'), ids)}", path=path, key=key)


def mistakes(found: list[ConfigError]) -> None:
    """Raise the mistakes ``found`` in several states' parts as one `ConfigError`: the first, then
    (``also``) the others, in the order found.

    >>> mistakes([])
    >>> mistakes([ConfigError("unknown target 'b'", path="m.a", key="on.GO"), ConfigError("x", path="m.c")])
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: m.a: on.GO: unknown target 'b'
      also m.c: x
    """
    if len(found) == 1:
        raise found[0]
    if found:
        first = found[0]
        raise ConfigError(first.reason, path=first.path, key=first.key, also=tuple(found[1:])) from first
