"""``statecharts migrate check MODULE[:FACTORY] --store URL``: stored actors that no longer restore."""

from __future__ import annotations

import argparse
from typing import Any

from statecharts.cli.loading import parse_params, resolve_machine
from statecharts.cli.parameters import add_param_option
from statecharts.store import open_store
from statecharts.store.migrate import check_records


def add_parser(sub: Any) -> None:
    """Add the ``migrate`` subcommand (with its ``check`` action) to the CLI's subparsers.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["migrate", "check", "machines.fetch", "--store", "sqlite:///a.db"])
    >>> args.target, args.store, args.handler is run_check
    ('machines.fetch', 'sqlite:///a.db', True)
    """
    parser = sub.add_parser(
        "migrate",
        help="check stored actors against the current chart",
        description="Check stored durable actors against the current chart.",
    )
    actions = parser.add_subparsers(dest="migrate_action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="report stored actors that no longer restore (exit 1 if any)",
        description="Load every stored snapshot of the machine against the current chart and report those "
        "that no longer restore (a state id that is gone, a context key of another type), "
        "with their actor ids. Exit status 1 if any.",
        add_help=False,
    )
    check.add_argument("target", metavar="MODULE[:FACTORY]", help="the current chart, e.g. machines.fetch")
    check.add_argument("--store", required=True, metavar="URL", help="sqlite:///PATH or postgresql://USER@HOST/DB")
    add_param_option(check)
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Print one line per actor problem and a summary; 1 when some actor no longer restores."""
    machine, model = resolve_machine(args.target, parse_params(args.param))
    overrides = next(iter(model.initial_contexts), None) if model is not None else None
    expected = machine.initial_context(overrides) if overrides else None
    store = open_store(args.store, existing=True)
    try:
        report = check_records(machine, store.records(), expected)
    finally:
        store.close()
    for actor_id, problem in report.broken:
        print(f"{actor_id}: {problem}")
    broken = len({actor_id for actor_id, _ in report.broken})
    skipped = f"; {report.skipped} of other machines skipped" if report.skipped else ""
    print(
        f"{report.checked} actors of machine {machine.id!r} checked: "
        f"{'all restore' if not broken else f'{broken} no longer restore'}{skipped}"
    )
    return 1 if broken else 0
