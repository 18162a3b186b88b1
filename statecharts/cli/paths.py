"""``statecharts paths MODULE[:FACTORY] [-p NAME=VALUE ...] [--cover states|transitions|edges] [--json]``.

Prints test paths for a model: each as a readable test description (or JSON with every step's
event, payload and expected snapshot). ``--to STATE`` prints the simple paths to a state instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from statecharts.check.graph import Bounds, explore
from statecharts.check.paths import TestPath, simple_paths, state_cover, transition_cover
from statecharts.cli.bounds import bound_note
from statecharts.cli.check import ProgressBar
from statecharts.cli.loading import UsageError, load_model, parse_params
from statecharts.cli.parameters import add_param_option

COVERS = ("states", "transitions", "edges")
# the walk's default bounds: a model with an infinite state space (a counter) still gives paths at
# once; every example machine fits within them (the largest: 3,938 states, depth 25)
DEFAULT_MAX_STATES = 10_000
DEFAULT_MAX_DEPTH = 100


def add_parser(sub: Any) -> None:
    """Add the ``paths`` command to the subcommands ``sub`` (its handler is `run`).

    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="statecharts").add_subparsers()
    >>> add_parser(sub)
    >>> args = sub.choices["paths"].parse_args(["machines.fetch", "--to", "error", "--limit", "3"])
    >>> args.cover, args.to, args.limit, args.max_length, args.max_states, args.max_depth, args.handler is run
    ('transitions', 'error', 3, None, None, None, True)
    """
    parser = sub.add_parser(
        "paths",
        help="print test paths: state cover, transition cover, simple paths",
        add_help=False,
        description="Print test paths for a model, each from an initial state: 'states' visits every "
        "reachable state (shortest paths to the breadth-first tree's leaves), 'transitions' "
        "fires every chart transition the walk can fire, 'edges' takes every event in every "
        "reachable state where it changes something. Transition and edge covers chain "
        "shortest routes greedily.",
    )
    parser.add_argument(
        "target", metavar="MODULE[:FACTORY]", help="e.g. machines.cluster_update, or chart.py, chart.json, chart.scxml"
    )
    add_param_option(parser)
    parser.add_argument(
        "--cover", choices=COVERS, default="transitions", help="what the paths cover (default: transitions)"
    )
    parser.add_argument(
        "--to", metavar="STATE", help="instead: simple paths (no repeated state) to a state such as '#cluster.failed'"
    )
    parser.add_argument(
        "--max-length",
        type=int,
        default=None,
        metavar="N",
        help="with --to: path length bound (default 10); with a cover: split paths longer than N",
    )
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="print at most N paths")
    parser.add_argument(
        "--max-states",
        type=int,
        default=None,
        metavar="N",
        help=f"stop the walk after N states (default {DEFAULT_MAX_STATES:,}; paths then cover the explored part)",
    )
    parser.add_argument(
        "--max-depth",
        type=int,
        default=None,
        metavar="N",
        help=f"do not expand states deeper than N (default {DEFAULT_MAX_DEPTH}; paths then cover the explored part)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    parser.add_argument(
        "--brief", action="store_true", help="leave out the initial context and the context each step changes"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the test paths ``args`` asks for, then a summary line: the exit status.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> run(parser.parse_args(["paths", "machines.fetch", "--cover", "states", "--limit", "1", "--brief"]))
    path 1: visit 3 states, ending at: error
      given the initial state: idle
      1. FETCH -> loading
      2. ERROR -> error
    <BLANKLINE>
    machines.fetch: state cover: 1 of 2 paths, 2 steps; state graph 4 states, 7 edges
    0
    """
    for flag in ("max_states", "max_depth", "max_length", "limit"):
        value = getattr(args, flag, None)
        if value is not None and value <= 0:
            raise UsageError(f"--{flag.replace('_', '-')} must be positive, not {value}")
    model = load_model(args.target, parse_params(args.param))
    bounds = Bounds(
        max_states=DEFAULT_MAX_STATES if args.max_states is None else args.max_states,
        max_depth=DEFAULT_MAX_DEPTH if args.max_depth is None else args.max_depth,
    )
    bar = None if args.no_progress or args.json or not sys.stderr.isatty() else ProgressBar()
    try:
        graph = explore(model, bounds, coverage=False, progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
    if not graph.complete:
        note = bound_note(graph.stopped_by, args, "the paths cover the explored part only")
        print(f"statecharts paths: {note}", file=sys.stderr, flush=True)
    if args.to is not None:
        what = f"simple paths to {args.to}"
        try:
            found = simple_paths(graph, args.to, max_length=args.max_length or 10, limit=args.limit)
            paths: list[TestPath] = list(found)
        except KeyError as exc:
            raise UsageError(f"--to {args.to!r}: {exc.args[0] if exc.args else exc}") from None
    elif args.cover == "states":
        what, paths = "state cover", state_cover(graph)
    else:
        what = f"{args.cover[:-1]} cover"
        paths = transition_cover(graph, of=args.cover, max_length=args.max_length)
    total = len(paths)
    if args.limit is not None:
        paths = paths[: args.limit]
    name = model.name or model.machine.id
    figures = {
        "model": name,
        "paths": total,
        "steps": sum(len(p) for p in paths),
        "what": what,
        "states": len(graph.states),
        "edges": graph.transitions,
        "complete": graph.complete,
        "stopped_by": graph.stopped_by,
    }
    if args.json:
        json.dump(
            {**figures, "paths": [p.to_json() for p in paths], "total_paths": total},
            sys.stdout,
            indent=1,
            sort_keys=True,
        )
        print()
        return 0
    for k, path in enumerate(paths, 1):
        print(f"path {k}: " + path.format(context=not args.brief))
        print()
    shown = f"{len(paths)} of {total}" if len(paths) < total else f"{total}"
    print(
        f"{name}: {what}: {shown} paths, {figures['steps']} steps; state graph {len(graph.states)} states, "
        f"{graph.transitions} edges" + ("" if graph.complete else f" (INCOMPLETE: {graph.stopped_by})")
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``statecharts paths ...`` as a function: the exit status.

    >>> main(["machines.fetch", "--to", "success", "--max-length", "2", "--json"])
    {
     "complete": true,
     ...
     "paths": [
      {
       "goal": "simple path to success",
    ...
     "total_paths": 1,
     "what": "simple paths to success"
    }
    0
    """
    from statecharts.cli import main as cli_main

    return cli_main(["paths", *(argv or [])])
