"""xstate v5 / Stately JSON in and out.

``from_json`` reads what xstate's ``machine.config`` serialises to (``JSON.stringify``) or what
the Stately editor exports: named guards and actions as strings or ``{"type": name, "params":
...}``, ``#id`` targets, ``after``, ``always``, ``invoke`` by ``src`` name. Implementations come
from ``guards=`` / ``actions=`` / ``services=`` / ``delays=``, as for `Machine`. xstate v4 spellings
(``cond``, ``internal``, an ``""`` eventless key) are accepted too.

``to_json`` writes a machine's config back as JSON-ready data. Named things are written by name.
Built-in actions with constant arguments are written as xstate's built-ins (``xstate.raise``,
``xstate.sendTo``, ``xstate.cancel``, ``xstate.log``, ``xstate.assign``) and guard combinators as
``xstate.and`` / ``xstate.or`` / ``xstate.not`` / ``xstate.stateIn``. An inline callable has no name
JSON can carry: it is a `ConfigError` naming the state and key, unless ``placeholders=True``, which
writes ``{"type": "<callable name>"}`` (``lambda@file.py:12`` for a lambda) for you to implement
under that name on the other side.

>>> m = from_json('{"id": "t", "initial": "a", "states": {"a": {"after": {"1000": "b"}}, "b": {}}}')
>>> to_json(m)
{'id': 't', 'initial': 'a', 'states': {'a': {'after': {'1000': 'b'}}, 'b': {}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statecharts.actions import Assign, Cancel, Log, NamedAction, Raise, Send
from statecharts.errors import ConfigError
from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict
from statecharts.guards import And, Guard, NamedGuard, Not, Or, Payload, StateIn, and_, not_, or_, payload, state_in
from statecharts.interop.json_positions import error_position
from statecharts.machine import Machine
from statecharts.text import callable_name

#: Root keys the editor or xstate's typegen add that carry no behaviour.
EDITOR_KEYS = ("$schema", "types", "tsTypes", "schemas", "version", "predictableActionArguments", "preserveActionOrder")


# ---------------------------------------------------------------------------------------------
# In


def json_config(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A `Machine` config from xstate / Stately JSON (a path, JSON text, or parsed JSON).

    >>> json_config('{"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b", '
    ...             '"cond": "ok"}}}, "b": {}}}')["states"]["a"]
    {'on': {'GO': {'target': 'b', 'guard': 'ok'}}}
    """
    data = _load(source)
    if not isinstance(data, Mapping):
        raise ConfigError(f"an xstate machine config is a JSON object, not {type(data).__name__}")
    data = {k: v for k, v in data.items() if k not in EDITOR_KEYS}
    return _state(data, str(data.get("id") or "(machine)"))


def from_json(
    source: str | Path | Mapping[str, Any],
    *,
    guards: Mapping[str, Any] | None = None,
    actions: Mapping[str, Any] | None = None,
    delays: Mapping[str, Any] | None = None,
    services: Mapping[str, Any] | None = None,
    semantics: str = "scxml",
) -> Machine:
    """A `Machine` from xstate's ``machine.config`` JSON, the definition ``machine.toJSON()``
    writes, or a Stately editor export; ``semantics="xstate"`` runs xstate v5's algorithm.

    ``source`` is a `pathlib.Path` (a file), JSON text (a ``str`` is always text, never a file
    name) or the parsed JSON; named guards, actions, delays and
    services resolve against the given mappings (an unknown name is a `ConfigError`).

    >>> m = from_json('{"id": "m", "initial": "a", "states": {"a": {"on": {"GO": '
    ...               '{"target": "#m.b", "guard": {"type": "big", "params": {"min": 2}}}}}, "b": {}}}',
    ...               guards={"big": lambda context, event, params: event["n"] >= params["min"]})
    >>> m.transition(m.initial_state(), "GO", n=3).value
    'b'
    """
    if source is None or not isinstance(source, (str, Path, Mapping)):
        raise ConfigError(f"from_json takes a pathlib.Path, JSON text or parsed JSON, not {type(source).__name__}")
    if isinstance(source, str) and not source.strip():
        raise ConfigError("from_json: empty text (give a pathlib.Path, JSON text or parsed JSON)")
    try:
        return Machine(
            json_config(source), guards=guards, actions=actions, delays=delays, services=services, semantics=semantics
        )
    except ConfigError as exc:
        if isinstance(source, Path) and not str(exc).startswith(str(source)):
            raise _located(source, str(source), exc) from exc
        # JSON text is named as Python names code given as a string, when its mistake has a line
        if isinstance(source, str) and _line_of(source, exc):
            raise _located(source, "<string>", exc) from exc
        raise


def _located(source: Path | str, name: str, error: ConfigError) -> ConfigError:
    """``error`` and each of the mistakes it lists (``also``), each with the file (or ``<string>``)
    and the line and column of the key it names."""

    def one(mistake: ConfigError) -> str:
        alone = ConfigError(mistake.reason, path=mistake.path, key=mistake.key)  # without its ``also``
        return f"{name}: {_line_of(source, mistake)}{alone}"

    return ConfigError(one(error), also=tuple(ConfigError(one(other)) for other in error.also))


def _line_of(source: Path | str, error: ConfigError) -> str:
    """``line L, column C: `` of the key in the JSON file or text that ``error`` names, or ``""``."""
    try:
        position = error_position(source.read_text(encoding="utf-8") if isinstance(source, Path) else source, error)
    except (OSError, ValueError):  # the file went away or changed since it was read: no line, then
        return ""
    return f"line {position[0]}, column {position[1]}: " if position else ""


def _load(source: str | Path | Mapping[str, Any]) -> Any:
    if isinstance(source, Mapping):
        return source
    name = "<string>"  # as a chart mistake in JSON text is named (_line_of)
    if isinstance(source, str) and not source.lstrip().startswith(("{", "[")):
        raise ConfigError(
            f"from_json: a str is JSON text and must start with '{{' (got {source[:40]!r}); "
            "to read a file pass a pathlib.Path"
        )
    if isinstance(source, Path):
        path = source
        name = str(path)
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read xstate JSON file {name}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"cannot read xstate JSON file {name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from exc
        except ValueError as exc:  # a NUL byte in the path
            raise ConfigError(f"cannot read xstate JSON file {name!r}: {exc}") from None
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise ConfigError(f"{name}: JSON nested too deep") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ConfigError(f"{name}: {exc}") from None


# what xstate's machine.toJSON() (the state node definition) adds to a config, and how to read it
DEFINITION_ONLY = ("key", "order", "transitions", "source", "eventType")


def is_definition(cfg: Mapping[str, Any]) -> bool:
    """The state is xstate's ``machine.toJSON()`` definition (not a config): it has ``order``
    and ``key``, and ``transitions`` unless it is a history state.

    >>> is_definition({"id": "m", "key": "m", "order": 0, "transitions": []}), is_definition({"id": "m"})
    (True, False)
    """
    return "order" in cfg and "key" in cfg


def _from_definition(cfg: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A config from one state of xstate's ``machine.toJSON()``: targets and initial states are
    ``#id`` lists, ``on`` also holds the ``after`` and ``onDone`` transitions under their v5 event
    names, and empty parts are written out; the built-in actions that ``after`` adds to entry
    and exit (an argument-less ``xstate.raise`` / ``xstate.cancel``) are made again from ``after``."""
    out: dict[str, Any] = {}
    own_id = cfg.get("id")
    after: dict[str, Any] = {}
    for key, value in cfg.items():
        if key in DEFINITION_ONLY or value in ({}, [], None) or key == "history" and value is False:
            continue
        if key == "initial":
            if not isinstance(value, Mapping):
                out[key] = value
            elif value.get("target"):
                targets = value["target"]
                initial = {"target": list(targets) if isinstance(targets, list) else [targets]}
                if value.get("actions"):
                    initial["actions"] = value["actions"]
                out[key] = initial if "actions" in initial else initial["target"][0]
            continue
        if key == "type" and value == "atomic":
            continue
        if key == "on" and isinstance(value, Mapping):
            on: dict[str, Any] = {}
            for event, spec in value.items():
                if (
                    isinstance(event, str)
                    and own_id
                    and event.startswith("xstate.after.")
                    and event.endswith(f".{own_id}")
                ):
                    items = spec if isinstance(spec, list) else [spec]
                    delay = items[0].get("delay") if items and isinstance(items[0], Mapping) else None
                    if delay is None:
                        delay = event[len("xstate.after.") : -len(own_id) - 1]
                    after[str(delay)] = [_strip_definition(t) for t in items]
                elif own_id and event == f"xstate.done.state.{own_id}":
                    out["onDone"] = [_strip_definition(t) for t in (spec if isinstance(spec, list) else [spec])]
                else:
                    on[event] = (
                        [_strip_definition(t) for t in (spec if isinstance(spec, list) else [spec])]
                        if isinstance(spec, (list, Mapping))
                        else spec
                    )
            if on:
                out["on"] = on
            continue
        if key == "always":
            out[key] = [_strip_definition(t) for t in (value if isinstance(value, list) else [value])]
            continue
        out[key] = value
    if after:
        out["after"] = after
        for key, generated in (("entry", "xstate.raise"), ("exit", "xstate.cancel")):  # the last one per delay
            listed = list(out.get(key) or [])
            if len(listed) >= len(after) and all(a == {"type": generated} for a in listed[-len(after) :]):
                listed = listed[: -len(after)]
            if listed:
                out[key] = listed
            else:
                out.pop(key, None)
    return out


def _strip_definition(spec: Any) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    return {
        k: v
        for k, v in spec.items()
        if k not in DEFINITION_ONLY
        and k not in ("event", "delay")
        and v not in ([], None)
        and not (k == "reenter" and v is False)
    }


def _state(cfg: Mapping[str, Any], path: str) -> dict[str, Any]:
    if not isinstance(cfg, Mapping):
        raise ConfigError(f"a state is a JSON object, not {type(cfg).__name__}", path=path)
    if is_definition(cfg):
        cfg = _from_definition(cfg, path)
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        if key == "on" and isinstance(value, Mapping):
            on = {}
            for event, spec in value.items():
                if event == "":  # xstate v4's eventless key
                    out.setdefault("always", _transitions(spec, path, "on."))
                else:
                    on[event] = _transitions(spec, path, f"on.{event}")
            if on:
                out["on"] = on
        elif key in ("always", "onDone"):
            out[key] = _transitions(value, path, key)
        elif key == "after" and isinstance(value, Mapping):
            out["after"] = {
                (int(k) if isinstance(k, str) and k.isdigit() else k): _transitions(v, path, f"after.{k}")
                for k, v in value.items()
            }
        elif key in ("entry", "exit"):
            out[key] = _actions(value, path, key)
        elif key == "invoke":
            out[key] = [_invoke(i, path) for i in value] if isinstance(value, list) else _invoke(value, path)
        elif key == "states" and isinstance(value, Mapping):
            out[key] = {k: _state(v, f"{path}.{k}") for k, v in value.items()}
        elif key == "initial" and isinstance(value, Mapping):
            out[key] = (
                {**value, "actions": _actions(value.get("actions"), path, "initial.actions")}
                if "actions" in value
                else dict(value)
            )
        elif key == "history" and value is True:
            out[key] = "deep"
        else:
            out[key] = value
    return out


def _invoke(spec: Any, path: str) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    out = dict(spec)
    src = out.get("src")
    if isinstance(src, Mapping) and isinstance(src.get("type"), str):  # {"type": "name"}
        out["src"] = src["type"]
    for outcome in ("onDone", "onError"):
        if outcome in out:
            out[outcome] = _transitions(out[outcome], path, f"invoke.{outcome}")
    return out


def _transitions(spec: Any, path: str, key: str) -> Any:
    if isinstance(spec, list):
        return [_transition(s, path, f"{key}[{i}]") for i, s in enumerate(spec)]
    return _transition(spec, path, key)


def _transition(spec: Any, path: str, key: str) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    out: dict[str, Any] = {}
    for k, v in spec.items():
        if k == "cond":
            k = "guard"
        if k == "internal":  # xstate v4
            out["reenter"] = not v
            continue
        if k == "guard":
            out[k] = _guard(v, path, f"{key}.guard")
        elif k == "actions":
            out[k] = _actions(v, path, f"{key}.actions")
        else:
            out[k] = v
    return out


# `payload(w=1)` as JSON: a parameterized guard (in xstate, provide it as
# `statecharts.payload: ({ event }, params) => Object.entries(params).every(([k, v]) => event[k] === v)`)
PAYLOAD_GUARD = "statecharts.payload"


def _guard(spec: Any, path: str, key: str) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    kind = spec.get("type")
    parts = spec.get("guards")
    if kind in ("xstate.and", "and", "xstate.or", "or", "xstate.not", "not"):
        if not isinstance(parts, list) or not parts:
            raise ConfigError(f"guard {kind!r} needs a non-empty 'guards' list", path=path, key=key)
        inner = [_as_guard(_guard(g, path, key)) for g in parts]
        if kind.endswith("and"):
            return and_(*inner)
        if kind.endswith("or"):
            return or_(*inner)
        return not_(inner[0]) if len(inner) == 1 else not_(and_(*inner))
    if kind in ("xstate.stateIn", "stateIn"):
        ref = spec.get("stateValue", (spec.get("params") or {}).get("stateValue"))
        if not isinstance(ref, str):
            raise ConfigError("xstate.stateIn needs a 'stateValue' string ('#id' or a dotted path)", path=path, key=key)
        return state_in(ref)
    if kind == PAYLOAD_GUARD:  # our payload(...) guard; xstate gets it from `payload_guard` below
        params = spec.get("params")
        if not isinstance(params, Mapping) or not params:
            raise ConfigError(f"guard {PAYLOAD_GUARD!r} needs 'params' with the payload's fields", path=path, key=key)
        return payload(**params)
    return dict(spec)


def _as_guard(spec: Any) -> Guard | str:
    if isinstance(spec, Mapping):
        return NamedGuard(str(spec["type"]), spec.get("params"))
    return spec  # type: ignore[no-any-return]


def _event(spec: Any, path: str, key: str) -> Event:
    try:
        return to_event(spec)
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"not an event: {spec!r} ({exc})", path=path, key=key) from None


def _actions(spec: Any, path: str, key: str) -> Any:
    if isinstance(spec, list):
        return [_action(a, path, key) for a in spec]
    return _action(spec, path, key)


def _action(spec: Any, path: str, key: str) -> Any:
    if spec is None:
        raise ConfigError(
            "an action is null: machine.toJSON() writes inline functions as null; give the action "
            "a name (setup({actions})) and pass it in actions=",
            path=path,
            key=key,
        )
    if not isinstance(spec, Mapping):
        return spec
    kind = spec.get("type")
    for builtin, needed in (("xstate.raise", "event"), ("xstate.sendTo", "event"), ("xstate.cancel", "sendId")):
        if kind == builtin and needed not in spec:
            raise ConfigError(
                f"{builtin} without {needed!r} (machine.toJSON() drops the arguments of built-in "
                f"actions): write {{'type': {builtin!r}, {needed!r}: ...}} or name the action",
                path=path,
                key=key,
            )
    if kind == "xstate.raise":
        return Raise(_event(spec["event"], path, key), delay=spec.get("delay"), id=spec.get("id"))
    if kind == "xstate.sendTo":
        return Send(_event(spec["event"], path, key), delay=spec.get("delay"), id=spec.get("id"), to=spec.get("to"))
    if kind == "xstate.cancel":
        return Cancel(str(spec["sendId"]))
    if kind == "xstate.log":
        return Log(spec.get("message"), spec.get("label"))
    if kind == "xstate.assign":
        assignment = spec.get("assignment")
        if not isinstance(assignment, Mapping):
            raise ConfigError(
                "xstate.assign needs an 'assignment' object of constant values (functions "
                "do not survive JSON: name the action instead)",
                path=path,
                key=key,
            )
        return Assign(dict(assignment))
    return dict(spec)


# ---------------------------------------------------------------------------------------------
# Out


def to_json(machine: Machine, *, placeholders: bool = False) -> dict[str, Any]:
    """The machine's config as xstate / Stately JSON data (``json.dumps`` it to save).

    Inline callables raise `ConfigError` naming the state and key, unless ``placeholders=True``
    writes them as ``{"type": "<callable name>"}``.

    >>> from statecharts import Machine
    >>> to_json(Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b",
    ...     "guard": "ok", "actions": ["log"]}}}, "b": {}}}, guards={"ok": bool}, actions={"log": print}))
    {'id': 'm', 'initial': 'a',
     'states': {'a': {'on': {'GO': {'target': 'b', 'guard': 'ok', 'actions': ['log']}}}, 'b': {}}}
    """
    writer = _Writer(placeholders)
    try:
        out = writer.state(machine.config, machine.id, root=True)
        if "context" in out or machine.chart.context is not None:
            out["context"] = writer.value(dict(machine.initial_context()), machine.id, "context")
    except RecursionError:
        raise ConfigError(
            "a value (meta, context, ...) refers to itself or nests too deep to write as JSON", path=machine.id
        ) from None
    return out


class _Writer:
    def __init__(self, placeholders: bool) -> None:
        self.placeholders = placeholders

    def inline(self, fn: Any, path: str, key: str, what: str) -> dict[str, Any]:
        name = callable_name(fn)
        if not self.placeholders:
            raise ConfigError(
                f"inline {what} {name!r} cannot be written as JSON: give it a name in "
                f"Machine({what}s=...) or call to_json(placeholders=True)",
                path=path,
                key=key,
            )
        return {"type": name}

    def state(self, cfg: Mapping[str, Any], path: str, root: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in cfg.items():
            if key == "context" and root:
                out[key] = None  # filled from machine.initial_context(), which runs a factory
            elif key == "on":
                out[key] = {str(e): self.transitions(s, path, f"on.{e}") for e, s in value.items()}
            elif key in ("always", "onDone"):
                out[key] = self.transitions(value, path, key)
            elif key == "after":
                out[key] = {self.delay_key(d, path): self.transitions(s, path, f"after.{d}") for d, s in value.items()}
            elif key in ("entry", "exit"):
                out[key] = self.actions(value, path, key)
            elif key == "invoke":
                out[key] = (
                    [self.invoke(i, path) for i in value]
                    if isinstance(value, (list, tuple))
                    else self.invoke(value, path)
                )
            elif key == "states":
                out[key] = {k: self.state(v, f"{path}.{k}") for k, v in value.items()}
            elif key == "initial" and isinstance(value, Mapping):
                out[key] = {
                    k: (
                        self.actions(v, path, "initial.actions")
                        if k == "actions"
                        else self.value(v, path, f"initial.{k}")
                    )
                    for k, v in value.items()
                }
            elif key == "output" and callable(value):
                out[key] = self.inline(value, path, key, "output")
            else:
                out[key] = self.value(value, path, key)
        return out

    def delay_key(self, delay: Any, path: str) -> str:
        if callable(delay):
            return str(self.inline(delay, path, "after", "delay")["type"])
        if isinstance(delay, float) and delay.is_integer():
            delay = int(delay)
        return str(delay)

    def invoke(self, spec: Any, path: str) -> Any:
        if not isinstance(spec, Mapping):
            spec = {"src": spec}
        out: dict[str, Any] = {}
        for k, v in spec.items():
            if k == "src" and callable(v):
                out[k] = self.inline(v, path, "invoke.src", "service")["type"]
            elif k in ("onDone", "onError"):
                out[k] = self.transitions(v, path, f"invoke.{k}")
            elif k == "input" and callable(v):
                raise ConfigError("an invoke 'input' function cannot be written as JSON", path=path, key="invoke.input")
            else:
                out[k] = self.value(v, path, f"invoke.{k}")
        return out

    def transitions(self, spec: Any, path: str, key: str) -> Any:
        if isinstance(spec, (list, tuple)):
            return [self.transition(s, path, f"{key}[{i}]") for i, s in enumerate(spec)]
        return self.transition(spec, path, key)

    def transition(self, spec: Any, path: str, key: str) -> Any:
        if spec is None or isinstance(spec, str):
            return spec
        out: dict[str, Any] = {}
        for k, v in spec.items():
            if k == "guard":
                out[k] = self.guard(v, path, f"{key}.guard")
            elif k == "actions":
                out[k] = self.actions(v, path, f"{key}.actions")
            elif k == "target" and isinstance(v, tuple):
                out[k] = list(v)
            else:
                out[k] = self.value(v, path, f"{key}.{k}")
        return out

    def guard(self, spec: Any, path: str, key: str) -> Any:
        if isinstance(spec, str):
            return spec
        if isinstance(spec, Mapping):
            return self.value(spec, path, key)
        if isinstance(spec, NamedGuard):
            return (
                spec.name if spec.params is None else {"type": spec.name, "params": self.value(spec.params, path, key)}
            )
        if isinstance(spec, (And, Or)):
            return {
                "type": "xstate.and" if isinstance(spec, And) else "xstate.or",
                "guards": [self.guard(g, path, key) for g in spec.guards],
            }
        if isinstance(spec, Not):
            return {"type": "xstate.not", "guards": [self.guard(spec.guard, path, key)]}
        if isinstance(spec, StateIn):
            return {"type": "xstate.stateIn", "stateValue": spec.ref}
        if isinstance(spec, Payload):
            return {"type": PAYLOAD_GUARD, "params": self.value(dict(spec.fields), path, key)}
        if isinstance(spec, Guard):
            fn = getattr(spec, "fn", spec)
            return self.inline(fn, path, key, "guard")
        return self.inline(spec, path, key, "guard")

    def actions(self, spec: Any, path: str, key: str) -> Any:
        if isinstance(spec, (list, tuple)):
            return [self.action(a, path, key) for a in spec]
        return self.action(spec, path, key)

    def action(self, spec: Any, path: str, key: str) -> Any:
        if isinstance(spec, str):
            return spec
        if isinstance(spec, Mapping):
            return self.value(spec, path, key)
        if isinstance(spec, NamedAction):
            return (
                spec.name if spec.params is None else {"type": spec.name, "params": self.value(spec.params, path, key)}
            )
        if isinstance(spec, Raise) and isinstance(spec.event, Event) and not callable(spec.delay):
            out = {"type": "xstate.raise", "event": self.event(spec.event, path, key)}
            for name in ("delay", "id"):
                if getattr(spec, name) is not None:
                    out[name] = getattr(spec, name)
            return out
        if isinstance(spec, Send) and isinstance(spec.event, Event) and not callable(spec.delay):
            out = {"type": "xstate.sendTo", "event": self.event(spec.event, path, key)}
            for name in ("delay", "id", "to"):
                if getattr(spec, name) is not None:
                    out[name] = getattr(spec, name)
            return out
        if isinstance(spec, Cancel) and isinstance(spec.send_id, str):
            return {"type": "xstate.cancel", "sendId": spec.send_id}
        if isinstance(spec, Log) and not callable(spec.message):
            out = {"type": "xstate.log"}
            if spec.message is not None:
                out["message"] = self.value(spec.message, path, key)
            if spec.label is not None:
                out["label"] = spec.label
            return out
        if (
            isinstance(spec, Assign)
            and isinstance(spec.assignments, Mapping)
            and not any(callable(v) for v in spec.assignments.values())
        ):
            return {"type": "xstate.assign", "assignment": self.value(dict(spec.assignments), path, key)}
        fn = getattr(spec, "fn", None) or getattr(spec, "assignments", None) or spec
        if not callable(fn):
            fn = spec
        return self.inline(fn, path, key, "action")

    def event(self, event: Event, path: str, key: str) -> dict[str, Any]:
        data = self.value(dict(event.data), path, key) if isinstance(event.data, Mapping) else {}
        return {"type": event.name, **data}

    def value(self, value: Any, path: str, key: str) -> Any:
        """Plain JSON data: tuples and sets become lists; anything else is an error."""
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        if isinstance(value, (Mapping, FrozenDict)):
            return {str(k): self.value(v, path, key) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v, path, key) for v in value]
        if isinstance(value, (set, frozenset)):
            return sorted((self.value(v, path, key) for v in value), key=repr)
        if callable(value):
            return self.inline(value, path, key, "function")
        raise ConfigError(
            f"a value of type {type(value).__name__} ({value!r}) cannot be written as JSON", path=path, key=key
        )
