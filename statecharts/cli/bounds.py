"""The bounds the commands put on a walk by default, and what they say when a bound stops one.

A model whose state space is infinite (a counter with no limit) never finishes a walk: every state
has a successor one step deeper. With finitely many events a state space is infinite only if its
depth is (König's lemma), so a depth bound well past any finite model's depth answers quickly
where a state or memory bound would take minutes: ``check`` stops at depth `CHECK_MAX_DEPTH`
unless ``--max-depth`` says otherwise, and says why on stderr.
"""

from __future__ import annotations

import argparse
import sys

from statecharts.check.walker import Report

#: ``check``'s depth bound when ``--max-depth`` is not given: the example machines' walks go 25
#: levels deep at most (UpdateCluster 1x6, 13 million states: 21), an unbounded counter reaches it
#: in well under a second.
CHECK_MAX_DEPTH = 10_000

#: Each bound, as `statecharts.check.graph.Bounds` names it in ``stopped_by``, and its option.
OPTIONS = {"depth": "max_depth", "state": "max_states", "memory": "max_memory", "time": "max_seconds"}


def depth_bound(args: argparse.Namespace) -> int:
    """The depth bound of ``check``'s walk: ``--max-depth``, else `CHECK_MAX_DEPTH`.

    >>> depth_bound(argparse.Namespace(max_depth=None)), depth_bound(argparse.Namespace(max_depth=7))
    (10000, 7)
    """
    return CHECK_MAX_DEPTH if args.max_depth is None else int(args.max_depth)


def bound_note(stopped_by: str | None, args: argparse.Namespace, explored: str, advice: str = "") -> str:
    """What stopped the walk before the state graph was complete, what that means (``explored``),
    and how to go further (``advice``, then the option that raises the bound).

    >>> paths_note = "the paths cover the explored part only"
    >>> print(bound_note("depth bound 100", argparse.Namespace(max_depth=None), paths_note))
    the walk stopped at the depth bound 100 (the default) before the state graph was complete: the
    paths cover the explored part only; raise the bound with --max-depth N
    >>> print(bound_note("state bound 50", argparse.Namespace(max_states=50), paths_note))
    the walk stopped at the state bound 50 before the state graph was complete: the paths cover the
    explored part only; raise the bound with --max-states N
    """
    stopped_by = (stopped_by or "").split(";")[0]  # without "; temporal properties not checked: ..."
    option = OPTIONS.get(stopped_by.split(" ")[0])
    default = " (the default)" if option is not None and getattr(args, option, None) is None else ""
    how = f"; {advice}raise the bound with --{option.replace('_', '-')} N" if option is not None else ""
    return f"the walk stopped at the {stopped_by}{default} before the state graph was complete: {explored}{how}"


def check_bound_note(stopped_by: str | None, args: argparse.Namespace) -> str | None:
    """What ``check`` says on stderr when a bound the user did not set stopped its walk (None when
    the user set it: the report's INCOMPLETE says enough then).

    >>> print(check_bound_note("depth bound 10000", argparse.Namespace(max_depth=None)))
    the walk stopped at the depth bound 10000 (the default) before the state graph was complete: a
    property not violated in the states explored is not proved; a state graph this deep usually
    means the model is unbounded (a counter with no limit): bound it (a model parameter, a guard)
    or raise the bound with --max-depth N
    >>> check_bound_note("depth bound 20", argparse.Namespace(max_depth=20)) is None
    True
    """
    option = OPTIONS.get((stopped_by or "").split(" ")[0])
    if option is None or getattr(args, option, None) is not None:
        return None
    advice = (
        "a state graph this deep usually means the model is unbounded (a counter with no limit): "
        "bound it (a model parameter, a guard) or "
        if option == "max_depth"
        else ""
    )
    return bound_note(stopped_by, args, "a property not violated in the states explored is not proved", advice)


def say_bound(report: Report, args: argparse.Namespace) -> None:
    """On stderr: that a bound the user did not set stopped ``check``'s walk, and what to do about it."""
    note = None if report.complete else check_bound_note(report.stopped_by, args)
    if note is not None:
        print(f"statecharts check: {note}", file=sys.stderr, flush=True)
