"""``statecharts run TARGET EVENT|+MS ...``: run a machine in the interpreter and print each snapshot.

The interpreter executes actions, invoked services and timers; the clock is virtual by default
(``+500`` moves it 500 ms, firing the timers that fall due), real with ``--real-time`` (``+500``
then waits half a second).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from statecharts.check.graph import execution_error, unhandled_error_function
from statecharts.check.trace import event_text, value_text
from statecharts.cli.loading import UsageError, parse_params, parse_value, resolve_machine
from statecharts.cli.parameters import add_param_option
from statecharts.errors import EventError, StatechartError
from statecharts.event import Event
from statecharts.interpreter import Interpreter, RealClock, VirtualClock
from statecharts.machine import Machine
from statecharts.state import Snapshot
from statecharts.text import did_you_mean

RAISED_HELP = (
    "An action or guard that raises becomes SCXML's error.execution event and the run goes on; "
    "what raised (the action or guard, the event, the exception) is printed on stderr. Exit status: "
    "0 when nothing raised, or when the chart has transitions for error.execution (it handles its "
    "errors itself: a note on stderr says what raised); 1 when an action or guard raised and no "
    "transition takes error.execution (with semantics='xstate': the actor's status became 'error'); "
    "2 on bad input; 130 when interrupted."
)


def add_parser(sub: Any) -> None:
    """Add the ``run`` subcommand to the CLI's subparsers.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["run", "machines.fetch", "FETCH", "+100", "--json"])
    >>> args.events, args.json, args.real_time, args.handler is run
    (['FETCH', '+100'], True, False, True)
    """
    parser = sub.add_parser(
        "run",
        help="run a machine (actions, services, timers) and print each snapshot",
        description="Run a machine in the interpreter and print each snapshot. An event is "
        "NAME or NAME:key=value,key=value; +MS lets MS milliseconds pass (on a "
        "virtual clock unless --real-time), firing the timers that fall due.",
        epilog=RAISED_HELP,
        add_help=False,
    )
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="MODULE[:ATTR] (uses `model` or `machine`), chart.py, chart.json or chart.scxml",
    )
    parser.add_argument("events", nargs="*", metavar="EVENT")
    add_param_option(parser)
    parser.add_argument("--strict", action="store_true", help="reject events no active state accepts")
    parser.add_argument("--real-time", action="store_true", help="a real clock (+MS waits) instead of a virtual one")
    parser.add_argument("--json", action="store_true", help="print snapshots as JSON lines")
    parser.set_defaults(handler=run)


def parse_event(text: str) -> Event:
    """``NAME`` or ``NAME:key=value,key=value`` (values parse as int, bool or str).

    >>> parse_event("APPLY_FINISH:w=1,ok=true")
    Event('APPLY_FINISH', {'w': 1, 'ok': True})
    >>> parse_event(":x=1")
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: event ':x=1' has no name (NAME or NAME:key=value,...)
    """
    name, _, rest = text.partition(":")
    if not name.strip():
        raise UsageError(f"event {text!r} has no name (NAME or NAME:key=value,...)")
    data = {}
    for pair in filter(None, rest.split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"event {text!r}: {pair!r} is not key=value")
        data[key] = parse_value(value)
    return Event(name, data)


def parse_wait(text: str) -> float | None:
    """``+MS`` as milliseconds (``None`` for anything else).

    >>> parse_wait("+500"), parse_wait("+1.5"), parse_wait("GO")
    (500.0, 1.5, None)
    >>> parse_wait("+soon")
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: '+soon': a wait is +MS, milliseconds (e.g. +500)
    """
    if not text.startswith("+"):
        return None
    try:
        ms = float(text[1:])
    except ValueError:
        ms = float("nan")
    if not 0 <= ms < float("inf"):
        raise UsageError(f"{text!r}: a wait is +MS, milliseconds (e.g. +500)")
    return ms


def run(args: argparse.Namespace) -> int:
    """Start the machine, print its first snapshot, then each event's (and each timer's or
    service's) snapshot; the exit status.

    >>> run(argparse.Namespace(target="machines.fetch", param=[], events=["FETCH"], strict=True, json=False))
    (initial)                      "idle"  context={}
    FETCH                          "loading"  context={}
    0
    >>> run(argparse.Namespace(target="machines.auth", param=[], events=["LOGIN:username=ada,password=secret"],
    ...                        strict=False, json=False))
    (initial)                      "idle"  context={'user': None, ...}
    LOGIN(username='ada', password='secret') "authenticating"  context={'user': None, ...}
    xstate.done.actor.authenticate('ada') "authenticated"  context={'user': 'ada', ...}
    0
    >>> run(argparse.Namespace(target="machines.fetch", param=[], events=["FECTH"], strict=True, json=False))
    Traceback (most recent call last):
        ...
    statecharts.cli.loading.UsageError: event 'FECTH' is not accepted by machine 'fetch' ... (did you mean 'FETCH'?)
    """
    steps = [(parse_wait(text), None if parse_wait(text) is not None else parse_event(text)) for text in args.events]
    machine, model = resolve_machine(args.target, parse_params(args.param))
    contexts = list(model.initial_contexts) if model else [None]
    real = getattr(args, "real_time", False)
    clock = RealClock() if real else VirtualClock()
    seen: list[Snapshot] = []
    actor = WatchedInterpreter(machine, context=contexts[0], clock=clock)
    actor.subscribe(seen.append)
    try:
        actor.start()
        actor.watch(None, actor.state)
        show(actor.state, None, args.json)
        told = tell_raised(actor, 0)
        shown = len(seen)
        for wait, event in steps:
            if event is not None:
                if args.strict:
                    try:
                        machine.check_event(actor.state, event)
                    except EventError as exc:
                        raise UsageError(str(exc)) from None
                elif not machine.listens_for(event.name) and not machine.has_eventless:
                    print(
                        f"statecharts run: note: no transition of machine {machine.id!r} listens for "
                        f"{event.name!r}{did_you_mean(event.name, machine.events)}; it is ignored "
                        f"(--strict makes it an error)",
                        file=sys.stderr,
                    )
                actor.send(event)
            elif isinstance(clock, VirtualClock):
                assert wait is not None
                clock.advance(wait)
            else:
                assert wait is not None
                time.sleep(wait / 1000)
            label = event_text(event) if event is not None else f"+{wait:g}ms"
            fresh = seen[shown:]
            shown = len(seen)
            if not fresh:  # nothing happened (no timer due): the state as it is
                show(actor.state, label, args.json)
            for k, snapshot in enumerate(fresh):
                by = snapshot.event
                show(
                    snapshot,
                    label if k == 0 and event is not None else (event_text(by) if by is not None else label),
                    args.json,
                )
            told = tell_raised(actor, told)
    except StatechartError:
        raise
    finally:
        actor.stop()
    return 1 if actor.unhandled else 0


class WatchedInterpreter(Interpreter):
    """The interpreter ``run`` drives: it keeps each step in which an action or guard raised, with
    the event the step was for and what raised (`raised`), and counts those no transition of the
    chart takes (`unhandled`).

    >>> from machines.counter import machine
    >>> actor = WatchedInterpreter(machine).start()
    >>> _ = actor.send("START"), actor.send("ADD", by="x")
    >>> actor.unhandled, actor.raised[0][0], actor.raised[0][1].startswith("action assign raised TypeError")
    (1, "ADD(by='x')", True)
    """

    def __init__(self, machine: Machine, **options: Any) -> None:
        super().__init__(machine, **options)
        self.raised: list[tuple[str, str]] = []
        self.unhandled = 0
        self._unhandled = unhandled_error_function(machine)
        self.takes_errors = self._unhandled is None  # the chart has transitions for error.execution

    def macrostep(self, snapshot: Snapshot, event: Event) -> Snapshot:
        after = super().macrostep(snapshot, event)
        if snapshot.status != "error":  # xstate: an actor in error ignores later events, it raises nothing new
            self.watch(event, after)
        return after

    def watch(self, event: Event | None, after: Snapshot) -> None:
        """Keep what raised in the step for ``event`` (``None``: the start) that made ``after``."""
        label = "(initial)" if event is None else event_text(event)
        if self._unhandled is not None:
            failure = self._unhandled(after)
            if failure is not None:
                self.raised.append((label, failure))
                self.unhandled += 1
            return
        what = execution_error(after.event)
        if what is not None:
            self.raised.append((label, f"{what}; the chart takes error.execution"))


def tell_raised(actor: WatchedInterpreter, told: int) -> int:
    """Print on stderr what raised since the first ``told`` (an error when the chart does not take
    error.execution, else a note); the number told so far."""
    kind = "note" if actor.takes_errors else "error"
    if len(actor.raised) > told:
        sys.stdout.flush()  # the snapshots printed so far come first
    for label, what in actor.raised[told:]:
        print(f"statecharts run: {kind}: {label}: {what}", file=sys.stderr, flush=True)
    return len(actor.raised)


def show(state: Snapshot, label: str | None, as_json: bool) -> None:
    """Print one snapshot: a line with what led to it, the state value and the context, or a JSON line.

    >>> from machines.fetch import machine
    >>> show(machine.initial_state(), None, False)
    (initial)                      "idle"  context={}
    >>> show(machine.initial_state(), "FETCH", True)
    {"event": "FETCH", "snapshot": {"configuration": ["fetch", "fetch.idle"], "context": {}, ...}}
    """
    if as_json:
        print(json.dumps({"event": label, "snapshot": state.to_json()}, sort_keys=True))
    else:
        context = "{" + ", ".join(f"{k!r}: {value_text(v)}" for k, v in state.context.items()) + "}"
        print(f"{label or '(initial)':<30} {json.dumps(state.value)}  context={context}")
