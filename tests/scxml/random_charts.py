"""Hypothesis strategies for random SCXML documents: nested and parallel states, history,
eventless transitions, raised events and transitions that conflict across regions.

Eventless transitions and raises are bounded by counters in the datamodel, so every document
settles."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

EVENTS = ("a", "b", "c")


@dataclass
class Node:
    id: str
    kind: str  # state, parallel, final, history
    children: list[Node] = field(default_factory=list)
    history: str = "shallow"


@st.composite
def trees(draw: st.DrawFn, max_depth: int = 3) -> Node:
    counter = iter(range(1000))

    def build(depth: int, kind: str) -> Node:
        if kind == "parallel" and depth >= max_depth:
            kind = "state"
        node = Node(f"s{next(counter)}", kind)
        if kind == "final":
            return node
        if depth < max_depth and (kind == "parallel" or draw(st.booleans())):
            count = draw(st.integers(2, 3))
            for index in range(count):
                if kind == "parallel":
                    child_kind = "state"
                else:
                    kinds = ("state", "state", "parallel", "final")
                    child_kind = draw(st.sampled_from(kinds)) if index else "state"
                child = build(depth + 1, child_kind)
                if kind == "parallel" and not child.children:  # regions are compound
                    child.children = [build(depth + 2, "state"), build(depth + 2, "state")]
                node.children.append(child)
            if kind == "state" and draw(st.booleans()):
                node.children.append(
                    Node(f"h{next(counter)}", "history", history=draw(st.sampled_from(("shallow", "deep"))))
                )
        return node

    return build(0, "state")


def all_nodes(node: Node) -> list[Node]:
    return [node, *(n for c in node.children for n in all_nodes(c))]


@st.composite
def documents(draw: st.DrawFn, with_defaults: bool = True) -> str:
    """An SCXML document (python datamodel) as text; ``with_defaults`` gives every history state
    its default transition (SCXML requires one; without it the parent's initial state is used)."""
    root = draw(trees())
    nodes = all_nodes(root)
    targets = [n.id for n in nodes if n is not root]
    sources = [n for n in nodes if n.kind in ("state", "parallel") and n is not root]
    transitions: dict[str, list[str]] = {n.id: [] for n in nodes}
    for source in draw(st.lists(st.sampled_from(sources), min_size=1, max_size=8)) if sources else []:
        event = draw(st.sampled_from((*EVENTS, "")))
        target = draw(st.sampled_from(targets + [""]))
        inside = {n.id for n in all_nodes(source)} - {source.id}
        kind = draw(st.sampled_from(("external", "internal"))) if target in inside else "external"
        raise_event = draw(st.sampled_from((*EVENTS, "", "", "")))
        attrs = f' type="{kind}"'
        if target:
            attrs += f' target="{target}"'
        body = ""
        if event:
            attrs += f' event="{event}"'
        else:  # eventless: at most 4 firings per run
            attrs += ' cond="Var1 &lt; 4"'
            body += '<assign location="Var1" expr="Var1 + 1"/>'
        if raise_event:
            body += (
                f'<if cond="Var2 &lt; 4"><assign location="Var2" expr="Var2 + 1"/><raise event="{raise_event}"/></if>'
            )
        if not target and not body:
            body = '<assign location="Var3" expr="Var3 + 1"/>'
        transitions[source.id].append(f"<transition{attrs}>{body}</transition>")

    def render(node: Node, parent: Node | None = None) -> str:
        if node.kind == "history":
            assert parent is not None
            default = parent.children[0].id if with_defaults else ""
            body = f'<transition target="{default}"/>' if default else ""
            return f'<history id="{node.id}" type="{node.history}">{body}</history>'
        inner = "".join(transitions[node.id]) + "".join(render(c, node) for c in node.children)
        return f'<{node.kind} id="{node.id}">{inner}</{node.kind}>'

    head = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python" version="1.0">'
        '<datamodel><data id="Var1" expr="0"/><data id="Var2" expr="0"/><data id="Var3" expr="0"/>'
        "</datamodel>"
    )
    return head + render(root) + "</scxml>"
