"""Mermaid ``stateDiagram-v2`` text of a compiled chart (GitHub renders it in Markdown).

The root is a composite state named after the machine; compound states are composites with a
``[*]`` arrow to their initial state; the regions of a parallel state are separated by ``--``;
a final state gets an arrow to ``[*]``; history states are shown as ``H``/``H*`` states.
Transitions between states of one composite are written inside it, the others after the tree
(Mermaid draws those less tidily, but draws them). Targetless transitions of an atomic state are
self-loops; those of a composite state are a note. A snapshot's active atomic states get the
``active`` class.
"""

from __future__ import annotations

import re

from statecharts.chart import StateNode, Transition
from statecharts.machine import Machine
from statecharts.render.labels import history_label, transition_label
from statecharts.state import Snapshot

KEYWORDS = frozenset(
    {
        "state",
        "note",
        "direction",
        "class",
        "classDef",
        "end",
        "as",
        "left",
        "right",
        "of",
        "click",
        "style",
        "linkStyle",
        "default",
    }
)
ACTIVE_STYLE = "fill:#ffd966,stroke:#b45f06,stroke-width:2px"


def to_mermaid(machine: Machine, snapshot: Snapshot | None = None, *, direction: str | None = None) -> str:
    """The chart as Mermaid ``stateDiagram-v2`` text; ``snapshot`` marks its active states.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "light", "initial": "green",
    ...              "states": {"green": {"on": {"TIMER": "yellow"}}, "yellow": {"type": "final"}}})
    >>> print(to_mermaid(m))
    stateDiagram-v2
        state light {
            [*] --> green
            green
            yellow
            green --> yellow : TIMER
            yellow --> [*]
        }
    <BLANKLINE>
    """
    writer = _Writer(machine)
    lines = ["stateDiagram-v2"]
    if direction:
        lines.append(f"    direction {direction}")
    lines += writer.state(machine.chart.root, 1)
    lines += ["    " + line for line in writer.loose]
    if snapshot is not None:
        active = [writer.ids[n] for n in machine.chart.nodes if n in snapshot.configuration_nodes and n.is_atomic]
        lines.append(f"    classDef active {ACTIVE_STYLE}")
        if active:
            lines.append(f"    class {','.join(active)} active")
    return "\n".join(lines) + "\n"


class _Writer:
    def __init__(self, machine: Machine) -> None:
        self.chart = machine.chart
        self.loose: list[str] = []
        counts: dict[str, int] = {}
        for node in self.chart.nodes:
            counts[node.key] = counts.get(node.key, 0) + 1
        self.ids: dict[StateNode, str] = {}
        taken: set[str] = set()
        for node in self.chart.nodes:
            unique = counts[node.key] == 1 and _is_name(node.key) and node.key not in KEYWORDS
            base = node.key if unique else mermaid_id("_".join(node.path) or node.key)
            if base in KEYWORDS or base in taken:
                base = f"{base}_{node.order}"
            taken.add(base)
            self.ids[node] = base

    def state(self, node: StateNode, depth: int) -> list[str]:
        """The state's declaration; a composite's body declares its children, then their edges."""
        pad = "    " * depth
        name = self.ids[node]
        if node.is_history:
            return [f'{pad}state "{history_label(node)}" as {name}']
        if node.is_atomic:
            return [f'{pad}state "{mermaid_text(node.key)}" as {name}'] if name != node.key else [f"{pad}{name}"]
        lines = [f"{pad}state {name} {{"]
        inner = pad + "    "
        if node.is_compound and node.initial is not None:
            for target in node.initial.targets:
                lines.append(f"{inner}[*] --> {self.ids[target]}")
        for index, child in enumerate(node.children):
            if node.is_parallel and index:
                lines.append(f"{inner}--")
            lines += self.state(child, depth + 1)
            if node.is_parallel:
                lines += self.transitions(child, inner)
        for history in node.histories:
            lines += self.state(history, depth + 1)
        if not node.is_parallel:
            for child in node.children:
                lines += self.transitions(child, inner)
        lines.append(f"{pad}}}")
        if node.parent is None:
            lines += self.transitions(node, pad)
        return lines

    def transitions(self, node: StateNode, pad: str) -> list[str]:
        """Edges from ``node`` that stay in its parent go here; the others go to ``loose``."""
        lines = []
        notes = []
        name = self.ids[node]
        if node.is_final:
            lines.append(f"{pad}{name} --> [*]")
        for t in node.transitions:
            label = mermaid_text(transition_label(t))
            if not t.targets:
                if node.is_atomic:
                    lines.append(f"{pad}{name} --> {name} : {label}")
                else:
                    notes.append(label)
                continue
            for target in t.targets:
                line = f"{name} --> {self.ids[target]} : {label}"
                if _same_parent(t, target) and target is not node:
                    lines.append(pad + line)
                elif target is node and node.is_atomic:
                    lines.append(pad + line)
                else:
                    self.loose.append(line)
        if notes:
            lines.append(f"{pad}note right of {name}")
            lines += [f"{pad}    {note}" for note in notes]
            lines.append(f"{pad}end note")
        return lines


def _same_parent(t: Transition, target: StateNode) -> bool:
    return target.parent is t.source.parent


def _is_name(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None


def mermaid_id(text: str) -> str:
    """An identifier Mermaid accepts (``a.b-c`` -> ``a_b_c``).

    >>> mermaid_id("a.b-c")
    'a_b_c'
    """
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def mermaid_text(text: str) -> str:
    """Label text on one line, without the characters Mermaid reads as syntax.

    >>> mermaid_text("a; b #c")
    'a, b c'
    """
    return text.replace("\n", " ").replace('"', "'").replace(";", ",").replace("#", "")
