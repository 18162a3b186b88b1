"""A trace drawn as a strip of small diagrams, one per step, each with its active states filled.

A trace is a sequence of steps: objects with ``.event`` (an `Event`, or None for the initial
state) and ``.snapshot``, or plain ``(event, snapshot)`` pairs; an object with a ``.steps``
sequence (such as the walker's traces) works too. Each step's box is labelled with its number,
the event with its payload, and the context keys the step changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz

from statecharts.chart import StateNode, Transition
from statecharts.check.successor import successor
from statecharts.check.system import ActorTrace
from statecharts.check.trace import STUTTER, changed_context, value_text
from statecharts.event import Event, to_event
from statecharts.render.actor_trace import actor_trace_to_mermaid
from statecharts.render.dot import FONT, LINE, Drawing, plain_label
from statecharts.render.labels import payload_label
from statecharts.render.mermaid import mermaid_id, mermaid_text
from statecharts.state import Snapshot

VALUE_WIDTH = 60
CYCLE = "#c0392b"  # the frame of a lasso's repeating steps


def trace_steps(trace: Any) -> list[tuple[Event | None, Snapshot]]:
    """The ``(event, snapshot)`` pairs of a trace given in any of the accepted shapes.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> s0 = m.initial_state()
    >>> [(e and e.name, s.value) for e, s in trace_steps([(None, s0), ("GO", m.transition(s0, "GO"))])]
    [(None, 'a'), ('GO', 'b')]
    """
    steps: Iterable[Any] = getattr(trace, "steps", trace)
    pairs: list[tuple[Event | None, Snapshot]] = []
    for index, step in enumerate(steps):
        if hasattr(step, "snapshot"):
            event, snapshot = getattr(step, "event", None), step.snapshot
        else:
            try:
                event, snapshot = step
            except (TypeError, ValueError):
                raise TypeError(
                    f"trace step {index}: expected .event/.snapshot or an (event, snapshot) pair, not {step!r}"
                ) from None
        if not isinstance(snapshot, Snapshot):
            raise TypeError(f"trace step {index}: {snapshot!r} is not a Snapshot")
        if getattr(step, "stutter", False):  # a lasso that ends by stuttering for ever
            event = STUTTER
        pairs.append((None if event is None else to_event(event), snapshot))
    return pairs


def render_trace(trace: Any, *, columns: int = 1, rankdir: str = "TB", edge_labels: bool = False) -> graphviz.Digraph:
    """The trace as a strip of small highlighted diagrams, ``columns`` steps to a row. A lasso's
    steps from ``cycle_start`` on are framed in `CYCLE` colour, the first says "the cycle starts
    here" and the last "then back to step N, for ever".

    One column (the default) is a strip from top to bottom; ``columns=len(steps)`` a strip
    from left to right. ``edge_labels`` puts the transition labels on the small diagrams too.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> s0 = m.initial_state()
    >>> source = render_trace([(None, s0), ("GO", m.transition(s0, "GO"))]).source
    >>> "0. (initial)" in source and "1. GO" in source
    True
    """
    steps = trace_steps(trace)
    if not steps:
        raise ValueError("an empty trace has nothing to draw")
    graph = graphviz.Digraph(name="trace")
    # each step is one connected component; pack places the components in a grid in input order
    # (packmode array_i): the order in which Graphviz finds them. Graphviz 2.43 finds the clusters of
    # a graph in the order of their names' addresses in memory, not the file's, and its pack reads
    # no sortv from a cluster; an anonymous subgraph is numbered as it comes, so each step's cluster
    # goes in one of its own, and the steps come in trace order.
    graph.attr(
        compound="true",
        rankdir=rankdir,
        fontname=FONT,
        fontsize="11",
        nodesep="0.25",
        ranksep="0.3",
        pack="true",
        packmode=f"array_i{max(1, columns)}",
    )
    graph.attr("node", fontname=FONT, fontsize="9", color=LINE, height="0.3")
    graph.attr("edge", fontname=FONT, fontsize="8", color="#999999", arrowsize="0.5")
    previous: Snapshot | None = None
    cycle_start = getattr(trace, "cycle_start", None)  # a lasso: the steps after it repeat for ever
    for index, (event, snapshot) in enumerate(steps):
        drawing = Drawing(
            snapshot.machine.chart,
            frozenset(snapshot.configuration_nodes),
            prefix=f"s{index}_",
            edge_labels=edge_labels,
            taken=taken_by(previous, event),
        )
        lines = [f"{index}. {payload_label(event)}", *context_lines(previous, snapshot)]
        in_cycle = cycle_start is not None and index >= cycle_start
        if in_cycle and index == cycle_start:
            lines.insert(1, "the cycle starts here")
        if in_cycle and index == len(steps) - 1:
            lines.append(f"then back to step {cycle_start}, for ever")
        with graph.subgraph() as step, step.subgraph(name=f"cluster_step{index}") as box:
            box.attr(
                label=plain_label(lines, left=True),
                labeljust="l",
                style="rounded",
                color=CYCLE if in_cycle else "#777777",
                fontsize="11",
                penwidth="2.5" if in_cycle else "1.5",
            )
            drawing.draw(box)
            for anchor, lone in drawing.ties():  # pack lays out components: keep each step one
                box.edge(anchor, lone, style="invis", constraint="false")
        previous = snapshot
    return graph


def trace_to_mermaid(trace: Any) -> str:
    """The trace as a Mermaid ``sequenceDiagram``: one lifeline per top-level region (or the
    machine), an arrow per event to the regions it changed, notes with their new states and the
    context keys it set; a lasso's cycle is a ``loop`` block. An actor system's trace has one
    lifeline per actor (`statecharts.render.actor_trace`).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> s0 = m.initial_state()
    >>> print(trace_to_mermaid([(None, s0), ("GO", m.transition(s0, "GO"))]))
    sequenceDiagram
        participant events
        participant m
        Note over m: 0. initial: a
        events->>m: 1. GO
        Note over m: b
    """
    if isinstance(trace, ActorTrace):  # an actor system's: a lifeline per actor
        return actor_trace_to_mermaid(trace)
    steps = trace_steps(trace)
    if not steps:
        raise ValueError("an empty trace has nothing to draw")
    root = steps[0][1].machine.chart.root
    lanes = list(root.children) if root.is_parallel else [root]
    names = {lane: mermaid_id(lane.key) for lane in lanes}
    lines = ["sequenceDiagram", "    participant events", *(f"    participant {names[lane]}" for lane in lanes)]
    cycle_start = getattr(trace, "cycle_start", None)
    everyone = f"{names[lanes[0]]},{names[lanes[-1]]}" if len(lanes) > 1 else names[lanes[0]]
    previous: Snapshot | None = None
    indent = "    "
    for index, (event, snapshot) in enumerate(steps):
        if previous is None:
            lines.append(f"{indent}Note over {everyone}: 0. initial: {mermaid_text(_leaves(snapshot, root))}")
            if snapshot.context:
                lines.append(f"{indent}Note right of events: {mermaid_text(', '.join(context_lines(None, snapshot)))}")
        else:
            changed = [lane for lane in lanes if _leaves(snapshot, lane) != _leaves(previous, lane)] or lanes[:1]
            label = mermaid_text(f"{index}. {payload_label(event)}")
            for lane in changed:
                lines.append(f"{indent}events->>{names[lane]}: {label}")
                lines.append(f"{indent}Note over {names[lane]}: {mermaid_text(_leaves(snapshot, lane))}")
                label = "(same event)"
            sets = context_lines(previous, snapshot)
            if sets:
                lines.append(f"{indent}Note right of events: {mermaid_text(', '.join(sets))}")
        if cycle_start is not None and index == cycle_start and index < len(steps) - 1:
            lines.append(f"{indent}loop for ever, back to step {cycle_start}")
            indent = "        "
        previous = snapshot
    if indent != "    ":
        lines.append("    end")
    return "\n".join(lines)


def _leaves(snapshot: Snapshot, under: StateNode) -> str:
    """The active leaves below a state, as paths relative to it."""
    cut = len(under.path)
    found = [
        ".".join(n.path[cut:])
        for n in sorted(snapshot.configuration_nodes, key=lambda n: n.order)
        if not n.children and (n is under or n.is_descendant_of(under))
    ]
    return ", ".join(found) or under.key


def taken_by(before: Snapshot | None, event: Event | None) -> frozenset[Transition]:
    """The transitions an event took from ``before`` (replayed on the pure core), for highlighting.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> [repr(t) for t in taken_by(m.initial_state(), Event("GO"))]
    ['<Transition m.a --GO--> m.b>']
    """
    if before is None or event is None or event.name == STUTTER:
        return frozenset()
    fired: list[Transition] = []
    successor(before, event, fired)
    return frozenset(fired)


def context_lines(before: Snapshot | None, after: Snapshot) -> list[str]:
    """``key = value`` for each context key the step set (every key for the first step).

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0, "k": "x"}, "initial": "a",
    ...     "states": {"a": {"on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}}})
    >>> s0 = m.initial_state()
    >>> context_lines(s0, m.transition(s0, "INC"))
    ['n = 1']
    """
    lines = []
    for key, value in changed_context(before, after).items():
        text = value_text(value)
        if len(text) > VALUE_WIDTH:
            text = text[: VALUE_WIDTH - 3] + "..."
        lines.append(f"{key} = {text}")
    return lines
