"""``statecharts check MODULE[:FACTORY] [-p NAME=VALUE ...]``: walk a model, report its properties.

Exit status: 0 when every property holds, 1 when one is violated, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from statecharts.check import cli_modes
from statecharts.check.graph import StateGraph
from statecharts.check.walker import Report, check
from statecharts.loading import UsageError, load_model, parse_params


def add_parser(sub: Any) -> None:
    """Add the ``check`` command to the subcommands ``sub`` (its handler is `run`).

    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="statecharts").add_subparsers()
    >>> add_parser(sub)
    >>> args = sub.choices["check"].parse_args(["machines.fetch", "-p", "workers=2", "--max-states", "50", "--json"])
    >>> args.target, args.param, args.max_states, args.json, args.no_fairness, args.handler is run
    ('machines.fetch', ['workers=2'], 50, True, False, True)
    """
    parser = sub.add_parser(
        "check", help="walk every event sequence of a model and check its properties",
        description="Walk every event sequence of a model (breadth first) and check its invariants, "
                    "deadlocks and temporal properties. Exit status: 0 all hold, 1 a violation, "
                    "2 bad input.")
    parser.add_argument("target", metavar="MODULE[:FACTORY]",
                        help="e.g. machines.cluster_update (FACTORY defaults to `model`; a module "
                             "with only a `machine` is walked over its event names)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="factory parameter (int, bool or str), e.g. -p workers=2")
    parser.add_argument("--max-states", type=int, metavar="N", help="stop after N distinct states")
    parser.add_argument("--max-depth", type=int, metavar="N", help="do not expand states deeper than N")
    parser.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--no-fairness", action="store_true",
                        help="drop the model's fairness (see what fairness buys)")
    parser.add_argument("--symmetry", action="store_true",
                        help="store one state per orbit of the model's symmetry groups")
    parser.add_argument("--no-temporal", action="store_true", help="check invariants and deadlock only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--trace-out", metavar="FILE",
                        help="draw the first counterexample: a strip of diagrams (.svg .png .pdf .dot) or a Mermaid "
                             "sequence diagram (.mmd)")
    parser.add_argument("--graph-out", metavar="FILE",
                        help="draw the explored state graph, the first counterexample's states filled "
                             "(.dot .gv for any size; .svg .png .pdf up to 2,000 states), like TLC's -dump dot")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    cli_modes.add_arguments(parser)
    parser.set_defaults(handler=run)


TRACE_FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv", ".mmd")
GRAPH_FORMATS = (".dot", ".gv", ".svg", ".png", ".pdf")


def run(args: argparse.Namespace) -> int:
    """Check the model ``args`` names, print the report: the exit status (0 all hold, 1 a violation).

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> run(parser.parse_args(["check", "machines.fetch", "--no-progress"]))
    model machines.fetch
      4 distinct states, 7 transitions, depth 2, ... states/s)
      deadlock  deadlock: holds
    0
    >>> run(parser.parse_args(["check", "machines.fetch", "--max-depth", "0"]))
    Traceback (most recent call last):
    statecharts.loading.UsageError: --max-depth must be positive, not 0
    """
    for flag in ("max_states", "max_depth", "max_seconds"):
        value = getattr(args, flag)
        if value is not None and not value > 0:  # also refuses nan
            raise UsageError(f"--{flag.replace('_', '-')} must be positive, not {value}")
    for flag, formats, example in (("trace_out", TRACE_FORMATS, "counterexample.svg"),
                                   ("graph_out", GRAPH_FORMATS, "states.dot")):
        out = getattr(args, flag, None)
        if out is None:
            continue
        option = f"--{flag.replace('_', '-')}"
        if not out.strip():
            raise UsageError(f"{option} needs a file name, e.g. {option} {example}")
        suffix = Path(out).suffix.lower()
        if suffix not in formats:
            raise UsageError(f"{option} {out!r}: unknown format {suffix or '(no suffix)'!r} "
                             f"(use one of {', '.join(formats)})")
    cli_modes.validate(args)
    model = load_model(args.target, parse_params(args.param))
    status = cli_modes.run_mode(args, model)
    if status is not None:
        return status
    initial = cli_modes.read_snapshots(model, args.start_from) if args.start_from else None
    bar = None if args.no_progress or args.json or not sys.stderr.isatty() else ProgressBar()
    try:
        report = check(model, max_states=args.max_states, max_depth=args.max_depth,
                       max_seconds=args.max_seconds, fairness=not args.no_fairness,
                       symmetry=args.symmetry, temporal=not args.no_temporal,
                       progress=bar.update if bar else None, initial=initial)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print(report.format(actions=args.coverage))
    if args.trace_out:
        draw_counterexample(report, args.trace_out, quiet=args.json)
    if getattr(args, "graph_out", None):
        draw_state_graph(report, args.graph_out, quiet=args.json)
    return 0 if report.ok else 1


def draw_counterexample(report: Report, path: str, quiet: bool = False) -> None:
    """Render the first violated property's trace to ``path`` (nothing to draw: say so).

    >>> import tempfile
    >>> from statecharts import Machine
    >>> from statecharts.check.model import Model, events
    >>> fuse = Machine({"id": "fuse", "initial": "whole", "states": {"whole": {"on": {"SURGE": "blown"}}, "blown": {}}})
    >>> report = check(Model(fuse, alphabet=events("SURGE"), invariants={"intact": lambda s: s.matches("whole")}))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     draw_counterexample(report, f"{tmp}/cx.mmd")
    ...     print(Path(tmp, "cx.mmd").read_text().splitlines()[-1])
    wrote the counterexample to intact to .../cx.mmd
        Note over fuse: blown
    """
    from statecharts.render import render, render_trace, trace_to_mermaid

    failed = next((r for r in report.results if not r.holds and r.trace is not None), None)
    if failed is None:
        print("no counterexample to draw: every property holds", file=sys.stderr)
        return
    if str(path).lower().endswith(".mmd"):  # a Mermaid sequence diagram, which GitHub shows
        written = Path(path)
        written.write_text(trace_to_mermaid(failed.trace) + "\n", encoding="utf-8")
    else:
        written = render(render_trace(failed.trace), path)
    if not quiet:
        print(f"wrote the counterexample to {failed.name} to {written}")


def draw_state_graph(report: Report, path: str, quiet: bool = False) -> None:
    """Draw the explored state graph to ``path``, the first counterexample's states filled; an
    image of more than `MAX_DRAWN_STATES` states is refused (dot would take minutes): a `UsageError`.

    >>> import tempfile
    >>> from statecharts import Machine
    >>> from statecharts.check import Model, check, events
    >>> m = Machine({"id": "gate", "initial": "shut", "states": {
    ...     "shut": {"on": {"OPEN": "open"}}, "open": {"on": {"SHUT": "shut"}}}})
    >>> report = check(Model(m, alphabet=events("OPEN") + events("SHUT"),
    ...                      invariants={"stays shut": lambda s: s.matches("shut")}))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     draw_state_graph(report, f"{tmp}/states.dot")
    ...     print(Path(tmp, "states.dot").read_text().count(" -> "))
    wrote the state graph (2 states, the counterexample to stays shut filled) to .../states.dot
    2
    """
    from statecharts.render import render
    from statecharts.render.state_graph import MAX_DRAWN_STATES, state_graph

    graph = report.graph
    assert graph is not None
    if Path(path).suffix.lower() not in (".dot", ".gv") and len(graph.states) > MAX_DRAWN_STATES:
        raise UsageError(f"--graph-out {path!r}: {len(graph.states):,} states are too many to lay out as an "
                         f"image (at most {MAX_DRAWN_STATES:,}); write a .dot file instead")
    failed = next((r for r in report.results if not r.holds and r.trace is not None), None)
    highlight: list[int] = []
    if failed is not None and failed.trace is not None:
        found = (graph.find(step.snapshot) for step in failed.trace.steps)
        highlight = [i for i in found if i is not None]
    written = render(state_graph(graph, highlight), path)
    if not quiet:
        shown = f", the counterexample to {failed.name} filled" if failed is not None else ""
        print(f"wrote the state graph ({len(graph.states):,} states{shown}) to {written}")


class ProgressBar:
    """A tqdm status line for long walks (distinct states, queue, depth, rate), on stderr.

    >>> from statecharts.check.graph import explore
    >>> from statecharts.check.model import Model, events
    >>> from statecharts import Machine
    >>> ladder = Machine({"id": "ladder", "initial": "r1", "states": {"r1": {"on": {"CLIMB": "r2"}}, "r2": {}}})
    >>> bar = ProgressBar()
    >>> bar.update(explore(Model(ladder, alphabet=events("CLIMB"))))
    >>> bar.bar.n, bar.bar.postfix
    (2, 'depth=1, expanded=2, queue=0')
    >>> bar.close()
    """

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit=" states", file=sys.stderr, leave=False, dynamic_ncols=True)

    def update(self, graph: StateGraph) -> None:
        """Show ``graph``'s progress so far (`explore` calls it now and then).

        >>> from statecharts.check.graph import explore
        >>> from machines.fetch import machine
        >>> from statecharts.check.model import Model
        >>> bar = ProgressBar()
        >>> bar.update(explore(Model(machine)))
        >>> bar.bar.n, bar.bar.postfix
        (4, 'depth=2, expanded=4, queue=0')
        >>> bar.close()
        """
        done = sum(graph.expanded)
        self.bar.update(len(graph.states) - self.bar.n)
        self.bar.set_postfix(expanded=done, queue=len(graph.states) - done,
                             depth=graph.depth[-1] if graph.depth else 0, refresh=False)

    def close(self) -> None:
        """Take the status line away (the walk is over).

        >>> bar = ProgressBar()
        >>> bar.close()
        >>> bar.bar.disable
        True
        """
        self.bar.close()
