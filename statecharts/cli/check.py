"""``statecharts check MODULE[:FACTORY] [-p NAME=VALUE ...]``: walk a model, report its properties.

Exit status: 0 when no property is violated (every one holds, or, when a bound stopped the walk, the
report says INCOMPLETE and names the bound), 1 when one is violated, 2 on bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from statecharts.check.graph import StateGraph
from statecharts.check.walker import Report, check
from statecharts.cli import check_modes
from statecharts.cli.bounds import CHECK_MAX_DEPTH, depth_bound, say_bound
from statecharts.cli.loading import UsageError, load_model, parse_params
from statecharts.cli.parameters import add_param_option
from statecharts.errors import StatechartError
from statecharts.render.output import INSTALL_HINT
from statecharts.text import did_you_mean


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
        "check",
        help="walk every event sequence of a model and check its properties",
        add_help=False,
        description="Walk every event sequence of a model (breadth first) and check its invariants, "
        "deadlocks and temporal properties. Exit status: 0 nothing violated (all hold, or the report "
        "says INCOMPLETE: a bound stopped the walk), 1 a violation, "
        "2 bad input, 130 interrupted (Ctrl-C: the partial report is printed first).",
    )
    parser.add_argument(
        "target",
        metavar="MODULE[:FACTORY]",
        help="e.g. machines.cluster_update (FACTORY defaults to `model`; a module "
        "with only a `machine` is walked over its event names), or a file: "
        "chart.py[:FACTORY], chart.json (xstate), chart.scxml",
    )
    add_param_option(parser)
    parser.add_argument("--max-states", type=int, metavar="N", help="stop after N distinct states")
    parser.add_argument(
        "--max-depth",
        type=int,
        metavar="N",
        help=f"do not expand states deeper than N (default {CHECK_MAX_DEPTH:,}: a model deeper than that is "
        "usually unbounded, a counter with no limit)",
    )
    parser.add_argument(
        "--max-seconds", type=float, metavar="S", help="stop after S seconds (building the model included)"
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        metavar="MB",
        help="stop cleanly, with the partial report, when the process uses more than MB megabytes "
        f"(default: the smaller of {MEMORY_CAP_MB:,} and half the machine's memory)",
    )
    parser.add_argument("--no-fairness", action="store_true", help="drop the model's fairness (see what fairness buys)")
    parser.add_argument(
        "--symmetry", action="store_true", help="store one state per orbit of the model's symmetry groups"
    )
    parser.add_argument("--no-temporal", action="store_true", help="check invariants and deadlock only")
    parser.add_argument(
        "--compact",
        action="store_true",
        help="keep the state graph compact (a few hundred bytes a state instead of about a "
        "kilobyte; somewhat slower; the same counts, verdicts and traces)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--trace-out",
        metavar="FILE",
        help="draw the first counterexample: a strip of diagrams (.svg .png .pdf .dot) or a Mermaid "
        "sequence diagram (.mmd)",
    )
    parser.add_argument(
        "--trace-property",
        metavar="NAME",
        help="with --trace-out: draw the counterexample to this property (default: the first violated one)",
    )
    parser.add_argument(
        "--graph-out",
        metavar="FILE",
        help="draw the explored state graph, the first counterexample's states filled "
        "(.dot .gv for any size; .svg .png .pdf up to 2,000 states), like TLC's -dump dot",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    check_modes.add_arguments(parser)
    parser.set_defaults(handler=run)


TRACE_FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv", ".mmd")
GRAPH_FORMATS = (".dot", ".gv", ".svg", ".png", ".pdf")
IMAGES = (".svg", ".png", ".pdf")
INTERRUPTED = "interrupted (Ctrl-C)"


def run(args: argparse.Namespace) -> int:
    """Check the model ``args`` names, print the report: the exit status (0 nothing violated: all hold,
    or a bound stopped the walk and the report says INCOMPLETE; 1 a violation; 2 bad input, or a drawing
    that failed after a walk where nothing was violated; 130 interrupted by Ctrl-C).

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> run(parser.parse_args(["check", "machines.fetch", "--no-progress"]))
    model machines.fetch
      4 distinct states, 7 transitions, depth 2, ... states/s)
      deadlock  deadlock: holds
    0
    >>> run(parser.parse_args(["check", "machines.fetch", "--max-depth", "0"]))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --max-depth must be positive, not 0
    """
    for flag in ("max_states", "max_depth", "max_seconds", "max_memory"):
        value = getattr(args, flag, None)
        if value is not None and not value > 0:  # also refuses nan
            raise UsageError(f"--{flag.replace('_', '-')} must be positive, not {value}")
    for flag, formats, example in (
        ("trace_out", TRACE_FORMATS, "counterexample.svg"),
        ("graph_out", GRAPH_FORMATS, "states.dot"),
    ):
        out = getattr(args, flag, None)
        if out is None:
            continue
        option = f"--{flag.replace('_', '-')}"
        if not out.strip():
            raise UsageError(f"{option} needs a file name, e.g. {option} {example}")
        suffix = Path(out).suffix.lower()
        if suffix not in formats:
            raise UsageError(
                f"{option} {out!r}: unknown format {suffix or '(no suffix)'!r} (use one of {', '.join(formats)})"
            )
        if suffix in IMAGES and shutil.which("dot") is None:  # say so now, not after a long walk
            raise UsageError(f"{option} {out!r}: the Graphviz 'dot' program was not found on PATH; {INSTALL_HINT}")
    check_modes.validate(args)
    if getattr(args, "trace_property", None) is not None and not args.trace_out:
        raise UsageError("--trace-property NAME goes with --trace-out FILE (the file to draw its counterexample to)")
    started = time.perf_counter()
    with time_bound(args.max_seconds, "building the model"):
        model = load_model(args.target, parse_params(args.param))
    built = time.perf_counter() - started
    check_modes.refuse_for_actor_system(args, model)
    if getattr(args, "trace_property", None) is not None:
        names = [*model.invariants, "no step raises", "deadlock", *model.properties]
        if args.trace_property not in names:
            raise UsageError(
                f"--trace-property {args.trace_property!r}: the model has no such property"
                f"{did_you_mean(args.trace_property, names)} (it has: {', '.join(names)})"
            )
    status = check_modes.run_mode(args, model, partial(draw_outputs, args=args))
    if status is not None:
        return status
    initial = check_modes.read_snapshots(model, args.start_from) if args.start_from else None
    bar = None if args.no_progress or args.json or not sys.stderr.isatty() else ProgressBar()
    limit = memory_limit_mb(getattr(args, "max_memory", None))
    stopper = Stopper(limit, args.max_seconds, started)  # also between temporal properties
    seconds_left = None if args.max_seconds is None else max(args.max_seconds - built, 1e-9)
    try:
        with stopper.on_interrupt():
            report = check(
                model,
                max_states=args.max_states,
                max_depth=depth_bound(args),
                max_seconds=seconds_left,
                fairness=not args.no_fairness,
                symmetry=args.symmetry,
                temporal=not args.no_temporal,
                progress=bar.update if bar else None,
                stop=stopper.reason,
                phase=bar.phase if bar else None,
                initial=initial,
                compact=getattr(args, "compact", False),
            )
    finally:
        if bar is not None:
            bar.close()
    report.phases = {"build": built, **report.phases}
    report.seconds += built
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print(report.format(actions=args.coverage), flush=True)
    say_bound(report, args)
    if stopper.interrupted:
        return 130
    drawn = draw_outputs(report, args)
    if not report.ok:
        return 1
    return 0 if drawn else 2


def draw_outputs(report: Report, args: argparse.Namespace) -> bool:
    """Draw what ``--trace-out`` and ``--graph-out`` ask for; a drawing that fails is said on stderr
    and makes the answer False (the walk's verdict stands).

    >>> from statecharts import Machine
    >>> report = check(Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}))
    >>> draw_outputs(report, argparse.Namespace(trace_out=None, graph_out="no/such/dir/g.dot", json=True))
    False
    """
    jobs: list[Callable[[], None]] = []
    if args.trace_out:
        jobs.append(
            partial(
                draw_counterexample, report, args.trace_out, quiet=args.json, name=getattr(args, "trace_property", None)
            )
        )
    if getattr(args, "graph_out", None):
        jobs.append(partial(draw_state_graph, report, args.graph_out, quiet=args.json))
    drawn = True
    for job in jobs:
        try:
            job()
        except (StatechartError, OSError) as exc:
            print(f"statecharts check: error: {exc}", file=sys.stderr)
            drawn = False
    return drawn


MEMORY_CAP_MB = 4096


def memory_limit_mb(asked: float | None) -> float:
    """The ``--max-memory`` bound: as asked, else the smaller of `MEMORY_CAP_MB` and half the
    machine's physical memory.

    >>> memory_limit_mb(300.0), 0 < memory_limit_mb(None) <= MEMORY_CAP_MB
    (300.0, True)
    """
    if asked is not None:
        return asked
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (AttributeError, ValueError, OSError):
        return float(MEMORY_CAP_MB)
    return float(min(MEMORY_CAP_MB, physical / 2))


def resident_mb() -> float:
    """The process's resident memory now, in MB (its peak where ``/proc`` is not there).

    >>> 1 < resident_mb() < 100_000
    True
    """
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class Stopper:
    """Why a walk should stop now: Ctrl-C (once: the walk stops and the partial report is printed;
    twice: at once), memory over ``limit_mb`` or ``seconds`` past ``started`` (``--max-seconds``,
    which the walk's own bound does not see in the temporal phase). `reason` is what the walker polls.

    >>> stopper = Stopper(limit_mb=1.0)
    >>> stopper.reason()
    'memory bound 1 MB'
    >>> Stopper(limit_mb=1e9).reason() is None
    True
    """

    def __init__(self, limit_mb: float, seconds: float | None = None, started: float | None = None) -> None:
        self.limit_mb = limit_mb
        self.seconds = seconds
        self.deadline = None if seconds is None else (started or time.perf_counter()) + seconds
        self.interrupted = False

    def reason(self) -> str | None:
        """``None`` to go on, else why to stop.

        >>> Stopper(1e9, seconds=0.0, started=0.0).reason()
        'time bound 0 s'
        """
        if self.interrupted:
            return INTERRUPTED
        if self.deadline is not None and time.perf_counter() > self.deadline:
            return f"time bound {self.seconds:g} s"
        if resident_mb() > self.limit_mb:
            return f"memory bound {self.limit_mb:,.0f} MB"
        return None

    @contextlib.contextmanager
    def on_interrupt(self) -> Iterator[None]:
        """Within: the first SIGINT asks the walk to stop (the second raises `KeyboardInterrupt`)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def first(signum: int, frame: Any) -> None:
            self.interrupted = True
            signal.signal(signal.SIGINT, signal.default_int_handler)
            print(
                "\nstatecharts check: interrupted: stopping, then the partial report (Ctrl-C again to quit at once)",
                file=sys.stderr,
                flush=True,
            )

        previous = signal.signal(signal.SIGINT, first)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


class _OutOfTime(BaseException):  # a BaseException: a factory's own `except Exception` lets it through
    pass


@contextlib.contextmanager
def time_bound(seconds: float | None, doing: str) -> Iterator[None]:
    """Raise a `UsageError` when what runs within takes more than ``seconds`` (``--max-seconds``
    while the model is built; SIGALRM, so only in the main thread of a POSIX process).

    >>> with time_bound(0.05, "sleeping"):
    ...     time.sleep(1)
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --max-seconds 0.05 ran out while sleeping (no state was walked)
    """
    if seconds is None or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _OutOfTime:
        raise UsageError(f"--max-seconds {seconds:g} ran out while {doing} (no state was walked)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def draw_counterexample(report: Report, path: str, quiet: bool = False, name: str | None = None) -> None:
    """Render the trace of the property ``name`` (default: the first violated one) to ``path``
    (nothing to draw: say so).

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

    failed = next(
        (r for r in report.results if not r.holds and r.trace is not None and (name is None or r.name == name)), None
    )
    if failed is None:
        said = "every property holds" if name is None else f"{name!r} holds or was not checked"
        print(f"no counterexample to draw: {said}", file=sys.stderr)
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
        raise UsageError(
            f"--graph-out {path!r}: {len(graph.states):,} states are too many to lay out as an "
            f"image (at most {MAX_DRAWN_STATES:,}); write a .dot file instead"
        )
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

    def __init__(self, file: TextIO | None = None) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit=" states", file=file or sys.stderr, leave=False, dynamic_ncols=True)
        # a phase with no news (one long temporal property) still shows its clock moving
        self._closed = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="statecharts-progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._closed.wait(0.5):
            self.bar.refresh()

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
        self.bar.set_postfix(
            expanded=done, queue=len(graph.states) - done, depth=graph.depth[-1] if graph.depth else 0, refresh=False
        )

    def phase(self, name: str) -> None:
        """Show the phase the check is in (``explore``, ``temporal 2/4: Converges``).

        >>> bar = ProgressBar()
        >>> bar.phase("temporal 1/1: Converges")
        >>> bar.bar.desc
        'temporal 1/1: Converges: '
        >>> bar.close()
        """
        self.bar.set_description(name, refresh=True)

    def close(self) -> None:
        """Take the status line away (the walk is over).

        >>> bar = ProgressBar()
        >>> bar.close()
        >>> bar.bar.disable, bar._ticker.is_alive()
        (True, False)
        """
        self._closed.set()
        self._ticker.join()
        self.bar.close()
