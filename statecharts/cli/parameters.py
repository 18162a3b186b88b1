"""The ``-p NAME=VALUE`` option of the commands that load a model, and their ``--help``: given a
model first (``statecharts check machines.cluster_update --help``), the help lists the model's
parameters with their types and defaults."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Sequence
from typing import Any

from statecharts.cli.loading import CHART_FILES, UsageError, find_target, machine_target, parameter_types

PARAM_HELP = (
    "a parameter of the model's factory (repeatable), of the type its annotation or default says "
    "(int, bool true/false, str, none), e.g. -p workers=2; '%(prog)s MODULE[:FACTORY] --help' "
    "lists the model's parameters"
)


def add_param_option(parser: argparse.ArgumentParser, help: str = PARAM_HELP) -> None:
    """Add ``-h/--help`` (`ModelHelp`) and ``-p/--param NAME=VALUE`` to a command's ``parser``,
    made with ``add_help=False``.

    >>> parser = argparse.ArgumentParser(prog="statecharts check", add_help=False)
    >>> parser.add_argument("target")
    _StoreAction(...)
    >>> add_param_option(parser)
    >>> parser.parse_args(["machines.fetch", "-p", "a=1", "-p", "b=x"]).param
    ['a=1', 'b=x']
    """
    parser.add_argument(
        "-h",
        "--help",
        action=ModelHelp,
        help="show this help and exit; after MODULE[:FACTORY], also the model's parameters",
    )
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help=help)


class ModelHelp(argparse.Action):
    """``--help``: the command's help, then the parameters of the model named before it (else how
    to see them).

    >>> import contextlib
    >>> parser = argparse.ArgumentParser(prog="statecharts check", add_help=False)
    >>> parser.add_argument("target")
    _StoreAction(...)
    >>> add_param_option(parser)
    >>> with contextlib.suppress(SystemExit):
    ...     parser.parse_args(["machines.cluster_update", "--help"])
    usage: statecharts check [-h] [-p NAME=VALUE] target
    ...
    parameters of machines.cluster_update:model (-p NAME=VALUE):
      workers   int          default 2
      requests  int          default 2
      lock      bool         default true
      conf_ok   bool | None  default none
    """

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.print_help()
        target = getattr(namespace, "target", None)
        print()
        if target is None:
            print(f"A model's parameters: {parser.prog} MODULE[:FACTORY] --help (the model first, then --help).")
        else:
            print(parameters_text(target))
        parser.exit()


def parameters_text(spec: str) -> str:
    """The parameters the model ``spec`` takes (``-p NAME=VALUE``): name, type, default; or why
    there are none, or why they cannot be listed.

    >>> print(parameters_text("machines.counter"))
    parameters of machines.counter:model (-p NAME=VALUE):
      limit  int  default 1000000
    >>> print(parameters_text("machines.fetch"))
    machines.fetch:machine is not a factory: it takes no parameters
    >>> print(parameters_text("chart.scxml"))
    chart.scxml is a chart file: it takes no parameters
    >>> print(parameters_text("machines.nope"))
    the parameters of machines.nope cannot be listed: no module named 'machines.nope'
    """
    if spec.lower().endswith(CHART_FILES):
        return f"{spec} is a chart file: it takes no parameters"
    try:
        where, factory = find_target(machine_target(spec))
    except UsageError as exc:
        return f"the parameters of {spec} cannot be listed: {exc}"
    if not callable(factory) or isinstance(factory, type):
        return f"{where} is not a factory: it takes no parameters"
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return f"the parameters of {where} cannot be listed: it has no signature Python can read"
    rows = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            rows.append(("(any NAME)", "any", "-"))
            continue
        types = parameter_types(factory, parameter)
        kind = " | ".join("None" if t is type(None) else t.__name__ for t in types) or "any"
        rows.append(
            (
                parameter.name,
                kind,
                "required" if parameter.default is parameter.empty else "default " + spelled(parameter.default),
            )
        )
    if not rows:
        return f"{where} takes no parameters"
    widths = [max(len(row[k]) for row in rows) for k in (0, 1)]
    lines = [f"parameters of {where} (-p NAME=VALUE):"]
    lines += [f"  {name:<{widths[0]}}  {kind:<{widths[1]}}  {default}" for name, kind, default in rows]
    return "\n".join(lines)


def spelled(value: Any) -> str:
    """A default as it is written after ``-p NAME=`` (`statecharts.cli.loading.parse_value` reads it back).

    >>> spelled(True), spelled(None), spelled(3), spelled("x")
    ('true', 'none', '3', 'x')
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
