"""Readable text for the parts of a chart: events, delays, guards, actions, transitions, states.

Both the Graphviz and the Mermaid writers use these, so a diagram says the same thing in both.
The ``after`` sends and cancels and the invoke start/stop actions that the compiler adds to
``entry``/``exit`` are implementation details: they are left out here and shown as ``after 5s``
edges and ``invoke src`` lines instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from statecharts.actions import Action, Assign, Call, Cancel, Log, Raise, Send, StartInvoke, StopInvoke
from statecharts.chart import StateNode, Transition
from statecharts.check.trace import event_text
from statecharts.event import Event
from statecharts.guards import CallGuard, Guard
from statecharts.text import callable_name, format_delay

AFTER_PREFIX = "xstate.after."


def event_label(t: Transition) -> str:
    """The trigger of a transition: ``EVENT``, ``after 5s``, ``always``, ``done``, ``done: svc``.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {"5000": "b"}}, "b": {}}})
    >>> event_label(m.get_state("m.a").transitions[0])
    'after 5s'
    """
    if t.kind == "after":
        return f"after {format_delay(t.delay)}"
    if t.eventless:
        return "always"
    return " ".join(_descriptor_label(e) for e in t.events)


def _descriptor_label(descriptor: str) -> str:
    if descriptor.startswith(("done.state.", "xstate.done.state.")):
        return "done"
    for prefix, word in (
        ("xstate.done.actor.", "done"),
        ("xstate.error.actor.", "error"),
        ("done.invoke.", "done"),
        ("error.invoke.", "error"),
    ):
        if descriptor.startswith(prefix):
            return f"{word}: {_short_invoke_id(descriptor[len(prefix) :])}"
    return descriptor


def _short_invoke_id(invoke_id: str) -> str:
    # generated ids look like "machine.state:invocation[0]"; keep them readable
    return invoke_id.rsplit(".", 1)[-1] if ":invocation[" in invoke_id else invoke_id


def guard_label(guard: Guard) -> str:
    """A guard's name; inline callables get a name from `callable_name`.

    >>> from statecharts import and_, not_, state_in
    >>> guard_label(and_(state_in("#on"), not_("isFull")))
    '(in(#on) && !isFull)'
    """
    if isinstance(guard, CallGuard) and not guard.name:
        return callable_name(guard.fn)
    return str(guard.name)


def action_label(action: Action) -> str | None:
    """A short name for an action, or None for the actions a diagram shows another way.

    >>> from statecharts import assign, raise_, send
    >>> action_label(assign(n=1)), action_label(raise_("DONE")), action_label(send("PING", delay=1000))
    ('assign(n)', 'raise DONE', 'send PING after 1s')
    """
    if isinstance(action, (StartInvoke, StopInvoke)):
        return None
    if isinstance(action, Send) and action.id and action.id.startswith(AFTER_PREFIX):
        return None
    if isinstance(action, Cancel) and isinstance(action.send_id, str) and action.send_id.startswith(AFTER_PREFIX):
        return None
    if isinstance(action, Assign):
        if action.name != "assign":
            return action.name
        if isinstance(action.assignments, Mapping):
            return f"assign({', '.join(str(k) for k in action.assignments)})"
        return f"assign({callable_name(action.assignments)})"
    if isinstance(action, Raise) and action.name == "raise":
        text = f"raise {_event_name(action.event)}"
        return text if action.delay is None else f"{text} after {format_delay(action.delay)}"
    if isinstance(action, Send) and action.name == "send":
        text = f"send {_event_name(action.event)}"
        if action.to:
            text += f" to {_event_name(action.to)}"  # a callable target by its name, as events are
        if action.delay is not None:
            text += f" after {format_delay(action.delay)}"
        return text
    if isinstance(action, Cancel) and action.name == "cancel":
        return f"cancel {_event_name(action.send_id)}"
    if isinstance(action, Log) and action.name == "log" and action.label:
        return f"log {action.label}"
    if isinstance(action, Call) and not action.name:
        return callable_name(action.fn)
    return str(action.name)


def _event_name(event: Any) -> str:
    if isinstance(event, Event):
        return event.name
    if callable(event):
        return callable_name(event)
    return str(event)


def actions_label(actions: Iterable[Action]) -> str:
    """The shown actions joined by commas ('' when none is shown).

    >>> from statecharts import assign, log
    >>> actions_label([assign(n=1), log("hi")])
    'assign(n), log'
    """
    return ", ".join(label for label in map(action_label, actions) if label)


def transition_label(t: Transition, *, wrap: int = 0) -> str:
    """``EVENT [guard] / action, action``; with ``wrap``, actions go on a new line past that width.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {
    ...     "a": {"on": {"GO": {"target": "b", "guard": "ok", "actions": "log"}}}, "b": {}}},
    ...     guards={"ok": lambda c, e: True}, actions={"log": lambda c, e: None})
    >>> transition_label(m.get_state("m.a").transitions[0])
    'GO [ok] / log'
    """
    head = event_label(t)
    guard = f"[{guard_label(t.guard)}]" if t.guard is not None else ""
    acts = actions_label(t.actions)
    if wrap and len(head) + len(guard) + len(acts) + 4 > wrap:
        lines = [head, *_wrap_guard(guard, wrap)] if len(head) + len(guard) + 1 > wrap else [f"{head} {guard}".strip()]
        if acts:
            lines.append(f"/ {acts}")
        return "\n".join(lines)
    text = f"{head} {guard}".strip()
    return f"{text} / {acts}" if acts else text


def _wrap_guard(guard: str, width: int) -> list[str]:
    """A long guard cut after its ``&&`` and ``||`` into lines of about ``width`` characters."""
    if not guard:
        return []
    pieces = re.split(r"(?<= && )|(?<= \|\| )", guard)
    lines = [""]
    for piece in pieces:
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return [line.rstrip() for line in lines]


def state_lines(node: StateNode) -> list[str]:
    """The lines a state box lists under its name: entry, exit and invoked services.

    >>> from statecharts import Machine, log
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": log("in"),
    ...     "after": {"1000": "b"}}, "b": {}}})
    >>> state_lines(m.get_state("m.a"))
    ['entry / log']
    """
    lines = []
    entry = actions_label(node.entry)
    if entry:
        lines.append(f"entry / {entry}")
    exit_ = actions_label(node.exit)
    if exit_:
        lines.append(f"exit / {exit_}")
    for invoke in node.invoke:
        lines.append(f"invoke {invoke.src_name}")
    return lines


def history_label(node: StateNode) -> str:
    """``H`` for shallow history, ``H*`` for deep.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}, "h": {"type": "history",
    ...     "history": "deep"}}})
    >>> history_label(m.get_state("m.h"))
    'H*'
    """
    return "H*" if node.history_type == "deep" else "H"


def payload_label(event: Event | None) -> str:
    """An event with its payload, as a trace step shows it (``(initial)`` for none).

    >>> payload_label(Event("FINISH", w=1, ok=True)), payload_label(None)
    ('FINISH(w=1, ok=True)', '(initial)')
    """
    return "(initial)" if event is None else event_text(event)
