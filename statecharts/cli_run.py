"""``statecharts run MODULE[:ATTR] EVENT ...``: drive a machine and print each snapshot."""

from __future__ import annotations

import argparse
import json
from typing import Any

from statecharts.errors import EventError
from statecharts.event import Event
from statecharts.loading import UsageError, parse_params, parse_value, resolve_machine


def add_parser(sub: Any) -> None:
    """Add the ``run`` subcommand to the CLI's subparsers.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["run", "machines.fetch", "FETCH", "--json"])
    >>> args.events, args.json, args.handler is run
    (['FETCH'], True, True)
    """
    parser = sub.add_parser("run", help="send events to a machine and print each snapshot",
                            description="Send events to a machine and print each snapshot. "
                                        "An event is NAME or NAME:key=value,key=value.")
    parser.add_argument("target", metavar="MODULE[:ATTR]", help="e.g. machines.fetch (uses `machine` or `model`)")
    parser.add_argument("events", nargs="*", metavar="EVENT")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--strict", action="store_true", help="reject events no active state accepts")
    parser.add_argument("--json", action="store_true", help="print snapshots as JSON lines")
    parser.set_defaults(handler=run)


def parse_event(text: str) -> Event:
    """``NAME`` or ``NAME:key=value,key=value`` (values parse as int, bool or str).

    >>> parse_event("APPLY_FINISH:w=1,ok=true")
    Event('APPLY_FINISH', {'w': 1, 'ok': True})
    """
    name, _, rest = text.partition(":")
    data = {}
    for pair in filter(None, rest.split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"event {text!r}: {pair!r} is not key=value")
        data[key] = parse_value(value)
    return Event(name, data)


def run(args: argparse.Namespace) -> int:
    """Print the initial snapshot, then send each event and print the snapshot after it; the exit status.

    >>> run(argparse.Namespace(target="machines.fetch", param=[], events=["FETCH"], strict=True, json=False))
    (initial)                      "idle"  context={}
    FETCH                          "loading"  context={}
    0
    >>> run(argparse.Namespace(target="machines.fetch", param=[], events=["FECTH"], strict=True, json=False))
    Traceback (most recent call last):
        ...
    statecharts.loading.UsageError: event 'FECTH' is not accepted by machine 'fetch' ... (did you mean 'FETCH'?)
    """
    machine, model = resolve_machine(args.target, parse_params(args.param))
    contexts = list(model.initial_contexts) if model else [None]
    state = machine.initial_state(contexts[0])
    show(state, None, args.json)
    for text in args.events:
        event = parse_event(text)
        if args.strict:
            try:
                machine.check_event(state, event)
            except EventError as exc:
                raise UsageError(str(exc)) from None
        state = machine.transition(state, event)
        show(state, event, args.json)
    return 0


def show(state: Any, event: Event | None, as_json: bool) -> None:
    """Print one snapshot: a line with the event, the state value and the context, or a JSON line.

    >>> from machines.fetch import machine
    >>> show(machine.initial_state(), None, False)
    (initial)                      "idle"  context={}
    >>> show(machine.initial_state(), Event("FETCH"), True)
    {"event": "FETCH", "snapshot": {"configuration": ["fetch", "fetch.idle"], "context": {}, ...}}
    """
    if as_json:
        print(json.dumps({"event": event.name if event else None, "snapshot": state.to_json()}, sort_keys=True))
    else:
        label = f"{event.name}{dict(event.data) if event.data else ''}" if event else "(initial)"
        print(f"{label:<30} {json.dumps(state.value)}  context={dict(state.context)}")
