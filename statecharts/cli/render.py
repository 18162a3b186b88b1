"""``statecharts render MODULE[:FACTORY] [-p NAME=VALUE ...] -o FILE [--state initial|JSON]``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from statecharts.chart import StateNode
from statecharts.check.model import Model
from statecharts.cli.loading import UsageError, parse_params, resolve_machine
from statecharts.cli.parameters import add_param_option
from statecharts.errors import SnapshotError
from statecharts.machine import Machine
from statecharts.render.output import IMAGE_FORMATS, TEXT_FORMATS, render
from statecharts.state import Snapshot


def add_parser(sub: Any) -> None:
    """Add the ``render`` subcommand to the CLI's subparsers.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["render", "machines.fetch", "-o", "fetch.svg", "--rankdir", "LR"])
    >>> args.output, args.rankdir, args.handler is run
    ('fetch.svg', 'LR', True)
    """
    parser = sub.add_parser(
        "render",
        help="draw a machine as SVG, PNG, PDF, DOT or Mermaid",
        description="Draw a machine. The format comes from the output suffix: "
        f"{', '.join(IMAGE_FORMATS + TEXT_FORMATS)}. A module's `model` factory is used "
        "when it has one, else its `machine`.",
        add_help=False,
    )
    parser.add_argument(
        "target", metavar="MODULE[:FACTORY]", help="e.g. machines.media_player, or chart.py, chart.json, chart.scxml"
    )
    add_param_option(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    parser.add_argument(
        "--state",
        metavar="initial|JSON",
        help="highlight a snapshot: 'initial', a state value such as "
        '\'{"playback": "playing"}\', a snapshot\'s JSON, or a file holding one',
    )
    parser.add_argument(
        "--rankdir", default="TB", choices=("TB", "LR", "BT", "RL"), help="Graphviz layout direction (default TB)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Draw the machine ``args`` names into ``args.output``; the exit status.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "fetch.mmd"
    >>> run(argparse.Namespace(target="machines.fetch", param=[], output=out, state="initial", rankdir="TB"))
    wrote .../fetch.mmd
    0
    >>> out.read_text().splitlines()[0]
    'stateDiagram-v2'
    """
    machine, model = resolve_machine(args.target, parse_params(args.param))
    snapshot = None if args.state is None else parse_state(machine, model, args.state)
    path = render(machine, args.output, snapshot=snapshot, rankdir=args.rankdir)
    print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``statecharts render ...`` as a function: the exit status.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "fetch.dot"
    >>> main(["machines.fetch", "-o", str(out)])
    wrote .../fetch.dot
    0
    >>> out.read_text().startswith("digraph fetch {")
    True
    """
    from statecharts.cli import main as cli_main

    return cli_main(["render", *(argv or [])])


def parse_state(machine: Machine, model: Model | None, text: str) -> Snapshot:
    """The snapshot ``--state`` names: ``initial``, a state value, a snapshot's JSON or a file.

    >>> from machines.media_player import machine
    >>> parse_state(machine, None, '{"playback": "paused"}').value["playback"]
    'paused'
    """
    if text == "initial":
        return model.initial_states()[0] if model is not None else machine.initial_state()
    source = text
    if not text.lstrip().startswith(("{", "[", '"')) and Path(text).is_file():
        source = Path(text).read_text(encoding="utf-8")
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        if source.lstrip().startswith(("{", "[")):
            raise UsageError(f"--state: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        data = source.strip()  # a bare atomic state name, as in --state idle
    if isinstance(data, Mapping) and isinstance(data.get("snapshot"), Mapping):
        data = data["snapshot"]  # a line of `statecharts run --json`
    base = model.initial_states()[0] if model is not None else machine.initial_state()
    if isinstance(data, Mapping) and "configuration" in data:
        try:
            return machine.restore(data)
        except SnapshotError as exc:
            raise UsageError(f"--state: {exc}") from None
    nodes = frozenset(_entered(machine.chart.root, data, "--state"))
    return Snapshot(machine, nodes, base.context)


def _entered(node: StateNode, value: Any, where: str) -> set[StateNode]:
    """The node and the descendants a state value selects (defaults for what it leaves out)."""
    found = {node}
    if node.is_parallel:
        if value is not None and not isinstance(value, Mapping):
            raise UsageError(f"{where}: {node.path_str} is parallel; give a dict of its regions")
        value = value or {}
        _unknown(node, value, where)
        for child in node.children:
            found |= _entered(child, value.get(child.key), where)
    elif node.is_compound:
        if value is None:
            assert node.initial is not None
            for target in node.initial.targets:
                found |= _entered_default(node, target)
            return found
        if isinstance(value, str):
            value = {value: None}
        if not isinstance(value, Mapping) or len(value) != 1:
            raise UsageError(f"{where}: {node.path_str} is compound; give one child state, not {value!r}")
        _unknown(node, value, where)
        ((key, sub),) = value.items()
        child = next(c for c in node.children if c.key == key)
        found |= _entered(child, sub, where)
    elif value not in (None, {}):
        raise UsageError(f"{where}: {node.path_str} has no child states, not {value!r}")
    return found


def _entered_default(parent: StateNode, target: StateNode) -> set[StateNode]:
    found: set[StateNode] = set()
    for node in (target, *target.ancestors):
        if node is parent:
            break
        found.add(node)
    return found | _entered(target, None, "")


def _unknown(node: StateNode, value: Mapping[str, Any], where: str) -> None:
    keys = {c.key for c in node.children}
    for key in value:
        if key not in keys:
            raise UsageError(f"{where}: {node.path_str} has no child {key!r} (it has: {', '.join(sorted(keys))})")
