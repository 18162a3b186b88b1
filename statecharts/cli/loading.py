"""Load a model or machine named on the command line: ``MODULE[:FACTORY]`` with parameters, a Python
file ``chart.py[:FACTORY]`` the same way, or a chart file (``chart.json``: xstate / Stately JSON;
``chart.scxml``: SCXML)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import sys
import types
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from statecharts.check.model import Model, bare_model
from statecharts.errors import StatechartError
from statecharts.machine import Machine
from statecharts.text import did_you_mean


class UsageError(StatechartError):
    """Bad command-line input: a module, factory or parameter that does not exist or parse.

    >>> load_target("machines.fetch:machien")
    Traceback (most recent call last):
        ...
    statecharts.cli.loading.UsageError: module 'machines.fetch' has no 'machien' (did you mean 'machine'?)
    """


def parse_value(text: str) -> int | bool | str:
    """A parameter value: int, bool (true/false) or str.

    >>> parse_value("3"), parse_value("false"), parse_value("x")
    (3, False, 'x')
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        return text


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``["workers=2", "lock=false"]`` -> ``{"workers": 2, "lock": False}``.

    >>> parse_params(["workers=2", "lock=false"])
    {'workers': 2, 'lock': False}
    """
    params: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"parameter {pair!r} is not NAME=VALUE")
        params[name.strip()] = parse_value(value.strip())
    return params


def import_module(module_name: str, spec: str | None = None) -> Any:
    """Import a module named on the command line; a missing one is a `UsageError`.

    >>> import_module("machines.nope")
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: no module named 'machines.nope'
    """
    where = f" (from {spec!r})" if spec and spec != module_name else ""
    if module_name.endswith(".py"):
        return import_file(module_name)
    if not module_name or module_name.startswith("."):
        raise UsageError(f"{module_name!r} is not a module name: give a dotted path like machines.fetch{where}")
    try:
        with importing(module_name):
            return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UsageError(f"no module named {module_name!r}{where}") from None
        raise UsageError(f"importing {module_name!r} failed: {exc}") from exc


@contextlib.contextmanager
def importing(what: str) -> Iterator[None]:
    """Within: the user's module ``what`` is imported; its failure becomes a `UsageError` saying
    where (a `ModuleNotFoundError` passes through for the caller to word).

    >>> with importing("mine.py"):
    ...     raise ValueError("bad")
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: importing 'mine.py' failed: ValueError: bad
    """
    try:
        yield
    except ModuleNotFoundError:
        raise
    except SyntaxError as exc:
        raise UsageError(f"importing {what!r} failed: {exc.filename}:{exc.lineno}: {exc.msg}") from exc
    except StatechartError:
        raise  # a chart built at import time that is wrong: its own message says where
    except Exception as exc:  # noqa: BLE001 - the user's module failed while importing
        raise UsageError(f"importing {what!r} failed: {type(exc).__name__}: {exc}") from exc


def parameter_types(factory: Any, parameter: inspect.Parameter) -> tuple[type, ...]:
    """The types a factory parameter takes: from its annotation (``bool | None``: bool and None), else
    from its default's type (and None); ``()`` when neither says (anything goes).

    >>> def model(workers: int = 2, conf_ok: bool | None = None, name="x", free=None): ...
    >>> [parameter_types(model, p) for p in inspect.signature(model).parameters.values()]
    [(<class 'int'>,), (<class 'bool'>, <class 'NoneType'>), (<class 'str'>,), ()]
    """
    try:
        annotation = typing.get_type_hints(factory).get(parameter.name, parameter.empty)
    except Exception:  # noqa: BLE001 - an annotation that does not resolve: fall back to the default
        annotation = parameter.empty
    if annotation is not parameter.empty:
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            return tuple(a for a in typing.get_args(annotation) if isinstance(a, type))
        return (annotation,) if isinstance(annotation, type) else ()
    default = parameter.default
    if default is parameter.empty or default is None:
        return ()
    return (type(default),)


def convert_param(where: str, key: str, value: Any, accepted: tuple[type, ...]) -> Any:
    """``value`` (as `parse_value` read it) as one of the ``accepted`` types; a value of none of
    them is a `UsageError` naming the parameter and what it takes.

    >>> convert_param("m:model", "conf_ok", "none", (bool, type(None))), convert_param("m:model", "t", 2, (float,))
    (None, 2.0)
    >>> convert_param("machines.cluster_update:model", "conf_ok", "yes", (bool, type(None)))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: machines.cluster_update:model: parameter 'conf_ok' takes bool or None
    values (true, false or none), not 'yes'
    """
    if not accepted or object in accepted or type(value) in accepted:
        return value
    if type(None) in accepted and isinstance(value, str) and value.lower() == "none":
        return None
    if float in accepted and type(value) is int:
        return float(value)
    if float in accepted and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if str in accepted:
        return str(value).lower() if type(value) is bool else str(value)
    spellings = {bool: "true, false", int: "an integer", float: "a number", type(None): "none"}
    said = [spellings[t] for t in accepted if t in spellings]
    how = f" ({' or '.join(said)})" if said else ""
    names = " or ".join("None" if t is type(None) else t.__name__ for t in accepted)
    raise UsageError(f"{where}: parameter {key!r} takes {names} values{how}, not {value!r}")


CHART_FILES = (".json", ".scxml")


def import_file(path: str) -> Any:
    """Import a Python file named on the command line (``check chart.py``) as a module named after it.

    >>> import_file("nowhere/chart.py")
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: no file 'nowhere/chart.py'
    """
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"no file {path!r}")
    name = file.stem if file.stem.isidentifier() else "chart_file"
    taken = sys.modules.get(name)
    if taken is not None and getattr(taken, "__file__", None) != str(file.resolve()):
        name = f"statecharts_chart_file_{len(sys.modules)}"  # never shadow a module already loaded (json.py)
    spec = importlib.util.spec_from_file_location(name, file.resolve())
    if spec is None or spec.loader is None:
        raise UsageError(f"{path!r} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    try:
        with importing(path):
            spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        raise UsageError(f"importing {path!r} failed: {exc}") from exc
    return module


def load_chart_file(path: str, params: dict[str, Any]) -> Machine:
    """A machine from a chart file: xstate / Stately JSON (``.json``) or SCXML (``.scxml``).

    >>> load_chart_file("nowhere.scxml", {})
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: no file 'nowhere.scxml'
    """
    if params:
        raise UsageError(f"{path!r} is a chart file; it takes no parameters (-p is for a Python factory)")
    if not Path(path).is_file():
        raise UsageError(f"no file {path!r}")
    if path.lower().endswith(".scxml"):
        from statecharts.scxml import load

        return load(Path(path))
    return Machine.from_json(Path(path))


def find_target(spec: str, default: str = "model") -> tuple[str, Any]:
    """``MODULE[:ATTR]``'s attribute (``default`` without ATTR), imported but not called, and its
    name ``MODULE:ATTR``.

    >>> where, factory = find_target("machines.cluster_update")
    >>> where, factory.__name__
    ('machines.cluster_update:model', 'model')
    """
    module_name, _, attr = spec.partition(":")
    module = import_module(module_name, spec)
    name = attr or default
    if not hasattr(module, name):
        public = [n for n in dir(module) if not n.startswith("_")]
        raise UsageError(f"module {module_name!r} has no {name!r}{did_you_mean(name, public)}")
    return f"{module_name}:{name}", getattr(module, name)


def machine_target(spec: str) -> str:
    """``MODULE[:ATTR]`` with ATTR filled in as `resolve_machine` takes it: the module's ``model``
    factory, else its ``machine``.

    >>> machine_target("machines.fetch"), machine_target("machines.cluster_update"), machine_target("m:make")
    ('machines.fetch:machine', 'machines.cluster_update:model', 'm:make')
    """
    module, _, attr = spec.partition(":")
    if not attr:
        attr = "model" if hasattr(import_module(module, spec), "model") else "machine"
    return f"{module}:{attr}"


def load_target(spec: str, params: dict[str, Any] | None = None, default: str = "model") -> Any:
    """Import ``MODULE[:FACTORY]`` and call the factory with ``params``.

    A module attribute that is not callable (``machines.fetch:machine``) is returned as it is.

    >>> load_target("machines.fetch:machine").id
    'fetch'
    >>> load_target("machines.cluster_update", {"workers": 1, "requests": 1}).name
    'cluster_update(workers=1, requests=1, lock=True)'
    """
    where, target = find_target(spec, default)
    params = params or {}
    if not callable(target) or isinstance(target, type):
        if params:
            raise UsageError(f"{spec!r} is not a factory; it takes no parameters")
        return target
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return target(**params)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    for key in params:
        if key not in signature.parameters and not accepts_any:
            raise UsageError(
                f"{where} has no parameter {key!r}"
                f"{did_you_mean(key, signature.parameters)} "
                f"(it takes: {', '.join(signature.parameters) or 'none'})"
            )
        if key in signature.parameters:
            params[key] = convert_param(where, key, params[key], parameter_types(target, signature.parameters[key]))
    try:
        return target(**params)
    except StatechartError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's factory failed: say which call and why
        call = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise UsageError(f"{where}({call}) failed: {type(exc).__name__}: {exc}") from exc


def resolve_machine(spec: str, params: dict[str, Any]) -> tuple[Machine, Model | None]:
    """A machine (and its model, when the target is a model factory) from ``MODULE[:ATTR]``;
    without ``ATTR``, the module's ``model`` factory, else its ``machine``.

    >>> resolve_machine("machines.fetch", {})
    (<Machine fetch (5 states)>, None)
    >>> machine, model = resolve_machine("machines.cluster_update", {"workers": 1, "requests": 1})
    >>> machine is model.machine
    True
    """
    if spec.lower().endswith(CHART_FILES):
        return load_chart_file(spec, params), None
    found = load_target(machine_target(spec), params)
    if isinstance(found, Model):
        return found.machine, found
    if isinstance(found, Machine):
        return found, None
    raise UsageError(f"{spec!r} is neither a Machine nor a Model factory (got {type(found).__name__})")


def load_model(spec: str, params: dict[str, Any]) -> Model:
    """The model named on the command line (a bare machine becomes a model over its event names,
    `statecharts.check.model.bare_model`).

    >>> model = load_model("machines.fetch", {})
    >>> model.name, model.machine.id
    ('machines.fetch', 'fetch')
    """
    machine, model = resolve_machine(spec, params)
    return model if model is not None else bare_model(machine, name=spec)
