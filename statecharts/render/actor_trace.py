"""An actor system's counterexample (`statecharts.check.system.ActorTrace`) as a Mermaid
``sequenceDiagram``: one lifeline per actor, an arrow per delivered message from its sender to its
receiver, notes with the receiver's new state and the context keys the step set."""

from __future__ import annotations

from statecharts.check.actors import SystemState
from statecharts.check.system import ActorTrace
from statecharts.check.trace import event_text, leaves, states_text, value_text
from statecharts.render.mermaid import mermaid_id, mermaid_text
from statecharts.state import Snapshot

ENV = "env"


def actor_trace_to_mermaid(trace: ActorTrace) -> str:
    """The trace as a sequence diagram; a lasso's cycle is a ``loop`` block (a stutter, a note).

    >>> from statecharts import Machine
    >>> from statecharts.actions import send_parent
    >>> from statecharts.check import Model, check
    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {"entry": send_parent("HI")}}})
    >>> mum = Machine({"id": "mum", "initial": "on", "states": {"on": {"invoke": {"src": kid, "id": "k"},
    ...                                                              "on": {"HI": "heard"}}, "heard": {}}})
    >>> report = check(Model(mum, invariants={"deaf": lambda s: s.actor("mum").matches("on")}))
    >>> print(actor_trace_to_mermaid(report.result("deaf").trace))
    sequenceDiagram
        participant mum
        participant k
        Note over mum,k: 0. initial: k=a, mum=on
        k->>mum: 1. HI
        Note over mum: heard
        Note over k: stopped
    """
    steps = trace.steps
    if not steps:
        raise ValueError("an empty trace has nothing to draw")
    root = _root(steps[0].system)
    actors = list(dict.fromkeys([root, *(aid for step in steps for aid, _ in step.system.actors)]))
    senders = [step.sender for step in steps[1:] if step.event is not None and not step.stutter]
    lanes = ([ENV] if None in senders else []) + actors
    names = {lane: mermaid_id(lane) for lane in lanes}
    lines = ["sequenceDiagram", *(f"    participant {names[lane]}" for lane in lanes)]
    everyone = f"{names[actors[0]]},{names[actors[-1]]}" if len(actors) > 1 else names[actors[0]]
    indent = "    "
    previous: SystemState | None = None
    for index, step in enumerate(steps):
        state = step.system
        if previous is None:
            flat = ", ".join(_states(aid, s) for aid, s in state.actors)
            lines.append(f"{indent}Note over {everyone}: 0. initial: {mermaid_text(flat)}")
        elif step.stutter:
            lines.append(f"{indent}Note over {everyone}: {index}. nothing happens, for ever")
        elif step.event is not None and step.receiver is not None:
            sender = names[step.sender] if step.sender is not None else names[ENV]
            label = mermaid_text(f"{index}. {event_text(step.event)}")
            lines.append(f"{indent}{sender}->>{names[step.receiver]}: {label}")
            notes = _changes(previous, state)
            took_self = 1 if step.sender == step.receiver else 0
            sent = _sent_by(step.receiver, state) > _sent_by(step.receiver, previous) - took_self
            if step.receiver in dict(state.actors) and not sent and all(aid != step.receiver for aid, _ in notes):
                notes.insert(0, (step.receiver, "nothing changed"))  # e.g. an event no transition takes
            lines.extend(f"{indent}Note over {names[aid]}: {mermaid_text(text)}" for aid, text in notes)
        if (
            trace.cycle_start is not None
            and index == trace.cycle_start
            and index < len(steps) - 1
            and not steps[-1].stutter
        ):
            lines.append(f"{indent}loop for ever, back to step {trace.cycle_start}")
            indent = "        "
        previous = state
    if indent != "    ":
        lines.append("    end")
    return "\n".join(lines)


def _sent_by(actor_id: str, state: SystemState) -> int:
    """How many messages from ``actor_id`` are in flight."""
    return sum(len(queued) for (sender, _), queued in state.channels if sender == actor_id)


def _root(state: SystemState) -> str:
    """The actor that is nobody's child."""
    children = dict(state.parents)
    return next(aid for aid, _ in state.actors if aid not in children)


def _states(actor_id: str, snapshot: Snapshot) -> str:
    return states_text({f"{actor_id}.{k}" if k else actor_id: v for k, v in leaves(snapshot).items()})


def _changes(before: SystemState, after: SystemState) -> list[tuple[str, str]]:
    """Per actor whose state changed in the step: its new state and the context keys it set;
    ``started``/``stopped`` for an actor that came or went."""
    old, new = dict(before.actors), dict(after.actors)
    notes: list[tuple[str, str]] = []
    for aid, s in after.actors:
        was = old.get(aid)
        where = states_text(leaves(s)) + ("" if s.status == "active" else f" ({s.status})")
        if was is None:
            notes.append((aid, f"started: {where}"))
            continue
        sets = [f"{k}={value_text(v)}" for k, v in s.context.items() if k not in was.context or was.context[k] != v]
        if was.configuration_nodes != s.configuration_nodes or sets or was.status != s.status:
            notes.append((aid, ", ".join([where, *sets])))
    notes.extend((aid, "stopped") for aid, _ in before.actors if aid not in new)
    return notes
