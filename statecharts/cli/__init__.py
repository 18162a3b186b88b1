"""``python -m statecharts ...``: the command line, the top layer: one subcommand per module of this package,
each with ``add_parser`` and ``run``; nothing below imports it.

Exit status: 0 when all is well, 1 when a checked property is violated (or, in ``run``, an action
or guard raised and the chart does not take ``error.execution``), 2 on bad input, 130 when
interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Sequence

from statecharts.errors import StatechartError
from statecharts.text import did_you_mean
from statecharts.version import __version__

# subcommand -> module providing add_parser(subparsers) and run(args) -> int
COMMANDS = {
    "check": "statecharts.cli.check",
    "render": "statecharts.cli.render",
    "diagrams": "statecharts.cli.diagrams",
    "paths": "statecharts.cli.paths",
    "run": "statecharts.cli.run",
    "migrate": "statecharts.cli.migrate",
    "serve": "statecharts.cli.serve",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``statecharts`` argument parser with every subcommand's options.

    >>> args = build_parser().parse_args(["check", "machines.fetch", "--max-states", "10"])
    >>> args.command, args.target, args.max_states
    ('check', 'machines.fetch', 10)
    """
    parser = argparse.ArgumentParser(
        prog="statecharts",
        description="Run, check, draw and test xstate-style statecharts.",
        epilog="Exit status: 0 when all is well, 1 when a checked property is violated (run: an action or "
        "guard raised, see run --help), 2 on bad input, "
        "130 when interrupted. "
        "MODULE[:FACTORY] names a module's `model` factory (or its `machine`), e.g. machines.cluster_update.",
    )
    parser.add_argument("--version", action="version", version=f"statecharts {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS.values():
        importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``statecharts`` command.

    >>> main(["run", "machines.fetch", "FETCH"])
    (initial)                      "idle"  context={}
    FETCH                          "loading"  context={}
    0
    >>> main(["run", "machines.nope"])  # the message goes to stderr
    2
    """
    if os.getcwd() not in sys.path and "" not in sys.path:  # the console script: see the working directory
        sys.path.insert(0, os.getcwd())  # as `python -m statecharts` does
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)  # --help prints here (a model's parameters too)
    except BrokenPipeError:
        return reader_gone()
    if extra and getattr(args, "events", None) is not None and not any(e.startswith("-") for e in extra):
        args.events.extend(extra)  # `run TARGET -p x=1 EVENT ...`: events may follow the options
    elif extra:
        unrecognized(subcommand_parser(parser, args.command), extra)
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        return reader_gone()
    except StatechartError as exc:
        print(f"statecharts {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder that cannot be read or written
        print(f"statecharts {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside a walk (a walk prints its partial report itself)
        print(f"\nstatecharts {args.command}: interrupted", file=sys.stderr)
        return 130


def reader_gone() -> int:
    """The reader of our output (``| head``) went away: not an error of ours. Exit 0, with what is
    left of stdout sent nowhere, so that flushing it at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def subcommand_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of the subcommand ``command`` (its usage is the one to show for its options).

    >>> subcommand_parser(build_parser(), "paths").prog
    'statecharts paths'
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[command]
            return found
    raise LookupError(f"the parser has no subcommand {command!r}")  # pragma: no cover - build_parser has them


def unrecognized(parser: argparse.ArgumentParser, extra: Sequence[str]) -> None:
    """Exit (status 2) with ``parser``'s usage and an error naming the ``extra`` arguments it does
    not take, with a hint for an option close to one of its own.

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err), contextlib.suppress(SystemExit):
    ...     unrecognized(subcommand_parser(build_parser(), "check"), ["--max-stats", "5"])
    >>> print(err.getvalue().splitlines()[-1])
    statecharts check: error: unrecognized arguments: --max-stats 5 (did you mean '--max-states'?)
    """
    options = [o for action in parser._actions for o in action.option_strings if o.startswith("--")]
    hints = [did_you_mean(word.partition("=")[0], options) for word in extra if word.startswith("--")]
    parser.error(f"unrecognized arguments: {' '.join(extra)}{''.join(h for h in hints if h)}")


def version() -> str:
    """The installed distribution's version (the package's own when it is run from a checkout).

    >>> from statecharts.version import __version__
    >>> version() == __version__
    True
    """
    try:
        return importlib.metadata.version("statecharts")
    except importlib.metadata.PackageNotFoundError:
        return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
