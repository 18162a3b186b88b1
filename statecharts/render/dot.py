"""Graphviz DOT for a compiled chart, optionally with a snapshot's active configuration filled.

Compound states are clusters, the regions of a parallel state are dashed clusters side by side,
each compound state's initial state gets an arrow from a small filled dot, final states are double
circles, history states ``H``/``H*``. Edges are labelled ``EVENT [guard] / actions``; eventless
edges are dashed and ``always``, delayed ones read ``after 5s``. Edges to or from a compound state
attach to its cluster's border (``compound=true`` with ``lhead``/``ltail``). Targetless transitions
of a state with several of them, and every targetless or inward transition of a compound state,
are listed inside the state instead of drawn as loops. Output depends only on the chart (document
order, ids from state ids), so diagrams diff cleanly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from dataclasses import dataclass, field

import graphviz

from statecharts.chart import Chart, StateNode, Transition
from statecharts.machine import Machine
from statecharts.render.labels import actions_label, history_label, state_lines, transition_label
from statecharts.state import Snapshot

FONT = "Helvetica"
ACTIVE_FILL = "#ffd966"
ACTIVE_CLUSTER_FILL = "#fff4cc"
ACTIVE_LINE = "#b45f06"
TAKEN_MARK = "\u25b6 "  # before a listed transition that a trace step took
INACTIVE_FILL = "white"
LINE = "#333333"
EDGE_LABEL_WIDTH = 28
LOOPS_MAX = 1  # a state with more targetless transitions than this lists them instead


def to_dot(
    machine: Machine,
    snapshot: Snapshot | None = None,
    *,
    rankdir: str = "TB",
    edge_labels: bool = True,
) -> graphviz.Digraph:
    """The chart as a `graphviz.Digraph`; ``snapshot`` fills its active states.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "light", "initial": "green",
    ...              "states": {"green": {"on": {"TIMER": "yellow"}}, "yellow": {}}})
    >>> source = to_dot(m, m.initial_state()).source
    >>> '"light.green" -> "light.yellow" [label=TIMER]' in source
    True
    """
    graph = graphviz.Digraph(name=_safe_id(machine.id))
    graph.attr(compound="true", rankdir=rankdir, fontname=FONT, fontsize="12", nodesep="0.35", ranksep="0.45")
    graph.attr("node", fontname=FONT, fontsize="11", color=LINE)
    graph.attr("edge", fontname=FONT, fontsize="9", color=LINE, arrowsize="0.7")
    drawing = Drawing(
        machine.chart, frozenset(snapshot.configuration_nodes) if snapshot else None, edge_labels=edge_labels
    )
    drawing.draw(graph)
    return graph


@dataclass
class Drawing:
    """Draws one chart into a graph; ``prefix`` keeps ids apart when a trace draws it many times.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
    >>> g = graphviz.Digraph()
    >>> Drawing(m.chart, prefix="s0_").draw(g)
    >>> '"s0_m.a__initial" -> "s0_m.a.x"' in g.source
    True
    """

    chart: Chart
    active: Collection[StateNode] | None = None
    prefix: str = ""
    edge_labels: bool = True
    taken: Collection[Transition] = ()  # transitions a trace step took: drawn bold, marked in lists
    node_ids: list[str] = field(default_factory=list)
    _edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _ids: dict[StateNode, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        taken: set[str] = set()
        for node in self.chart.nodes:
            base = self.prefix + _safe_id(node.id)
            name = base
            while name in taken:
                name = f"{base}_{node.order}"
            taken.add(name)
            self._ids[node] = name

    # -- ids and endpoints ----------------------------------------------------------------------
    def node_id(self, node: StateNode) -> str:
        """The DOT id of a state's node: its (prefixed) id, made safe for DOT.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> Drawing(m.chart, prefix="s1_").node_id(m.get_state("m.a.x"))
        's1_m.a.x'
        """
        return self._ids[node]

    def cluster_name(self, node: StateNode) -> str:
        """The subgraph name of a compound or parallel state (``cluster_`` makes dot draw a box).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> Drawing(m.chart).cluster_name(m.get_state("m.a"))
        'cluster_m.a'
        """
        return "cluster_" + self._ids[node]

    def initial_id(self, node: StateNode) -> str:
        """The id of the small filled dot that points at a compound state's initial child.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> Drawing(m.chart).initial_id(m.get_state("m.a"))
        'm.a__initial'
        """
        return self._ids[node] + "__initial"

    def is_cluster(self, node: StateNode) -> bool:
        """A compound or parallel state is drawn as a box around its children.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> d = Drawing(m.chart)
        >>> d.is_cluster(m.get_state("m.a")), d.is_cluster(m.get_state("m.b"))
        (True, False)
        """
        return node.is_compound or node.is_parallel

    def endpoint(self, node: StateNode) -> tuple[str, StateNode]:
        """The drawn node an edge to or from ``node`` uses, and the innermost state holding it.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> d = Drawing(m.chart)
        >>> d.endpoint(m.get_state("m.a")), d.endpoint(m.get_state("m.b"))
        (('m.a__initial', <StateNode m.a>), ('m.b', <StateNode m>))
        """
        if node.is_compound:
            return self.initial_id(node), node
        if node.is_parallel:
            return self.endpoint(node.children[0])
        return self.node_id(node), node.parent or node

    # -- drawing --------------------------------------------------------------------------------
    def draw(self, graph: graphviz.Digraph) -> None:
        """Add the chart's clusters, nodes and edges to ``graph``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> g = graphviz.Digraph()
        >>> Drawing(m.chart).draw(g)
        >>> 'subgraph "cluster_m.a"' in g.source and '"m.b" [label=b' in g.source
        True
        """
        self.state(graph, self.chart.root)
        for tail, head, attrs in self._edges:
            graph.edge(tail, head, **attrs)

    def ties(self) -> list[tuple[str, str]]:
        """(anchor, node) for each drawn state no edge touches, the anchor being its parent's entry.

        A trace strip ties them in with invisible edges so that each step stays one component.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> d = Drawing(m.chart)
        >>> d.draw(graphviz.Digraph())
        >>> d.ties()
        [('m__initial', 'm.b')]
        """
        touched = {end for tail, head, _ in self._edges for end in (tail, head)}
        pairs = []
        for node in self.chart.nodes:
            name = self._ids[node]
            if node.parent is None or name not in self.node_ids or name in touched:
                continue
            parent = node.parent
            anchor = self.hub_id(parent) if parent.is_parallel else self.initial_id(parent)
            if anchor not in self.node_ids:  # a parallel state with one region has no hub
                anchor = self.endpoint(parent.children[0])[0]
            if anchor != name:
                pairs.append((anchor, name))
        return pairs

    def is_active(self, node: StateNode) -> bool:
        """The state is in the snapshot's configuration (never, when none is drawn).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> a, b = m.get_state("m.a"), m.get_state("m.b")
        >>> d = Drawing(m.chart, active={a})
        >>> d.is_active(a), d.is_active(b), Drawing(m.chart).is_active(a)
        (True, False, False)
        """
        return self.active is not None and node in self.active

    def state(self, graph: graphviz.Digraph, node: StateNode) -> None:
        """Draw one state into ``graph``: a cluster, a history circle or a leaf box.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> g = graphviz.Digraph()
        >>> Drawing(m.chart).state(g, m.get_state("m.b"))
        >>> print(g.source.splitlines()[1].strip())
        "m.b" [label=b fillcolor=white shape=box style="rounded,filled"]
        """
        if self.is_cluster(node):
            self.cluster(graph, node)
        elif node.is_history:
            self.history(graph, node)
        else:
            self.leaf(graph, node)

    def cluster(self, graph: graphviz.Digraph, node: StateNode) -> None:
        """Draw a compound or parallel state as a box with its initial dot, children and histories.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> g = graphviz.Digraph()
        >>> Drawing(m.chart).cluster(g, m.get_state("m.a"))
        >>> 'subgraph "cluster_m.a"' in g.source and '"m.a__initial" [label=""' in g.source
        True
        """
        listed = []
        for t in node.transitions:
            inward = [x for x in t.targets if x is node or x.is_descendant_of(node)]
            mark = TAKEN_MARK if t in self.taken else ""
            if not t.targets:
                listed.append(mark + self.label(t, inline=True))
            elif inward:
                names = ", ".join(".".join(x.path[len(node.path) :]) or x.key for x in inward)
                listed.append(f"{mark}{self.label(t, inline=True)} \u2192 {names}")
            outward = [x for x in t.targets if x not in inward]
            for target in outward:
                self.transition_edge(t, target)
        region = node.parent is not None and node.parent.is_parallel
        style = ["rounded"]
        if region:
            style.append("dashed")
        attrs = {
            "label": state_label(node.key, state_lines(node) + listed),
            "style": "",
            "color": LINE,
            "labeljust": "l",
            "fontname": FONT,
            "fontsize": "12",
            "penwidth": "1",
        }
        if self.active is not None:
            style.append("filled")
            attrs["fillcolor"] = ACTIVE_CLUSTER_FILL if self.is_active(node) else INACTIVE_FILL
            if self.is_active(node):
                attrs["color"] = ACTIVE_LINE
                attrs["penwidth"] = "1.5"
        attrs["style"] = ",".join(style)
        with graph.subgraph(name=self.cluster_name(node)) as sub:
            sub.attr(**attrs)
            if node.is_compound and node.initial is not None:
                initial = self.initial_id(node)
                sub.node(initial, label="", shape="point", width="0.12", color="black")
                self.node_ids.append(initial)
                for target in node.initial.targets:
                    self.edge(initial, node, target, _actions_only(node.initial))
            if node.is_parallel and len(node.children) > 1:
                self.order_regions(sub, node)
            for child in node.children:
                self.state(sub, child)
            for history in node.histories:
                self.history(sub, history)

    def order_regions(self, graph: graphviz.Digraph, node: StateNode) -> None:
        """Keep a parallel state's regions side by side in document order.

        Graphviz places sibling clusters in an order of its own; an invisible hub with invisible
        edges to each region's entry, in document order, pins them left to right.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "p", "type": "parallel", "states": {"r1": {}, "r2": {}}})
        >>> d = Drawing(m.chart)
        >>> d.order_regions(graphviz.Digraph(), m.chart.root)
        >>> [(tail, head) for tail, head, _ in d._edges]
        [('p__regions', 'p.r1'), ('p__regions', 'p.r2')]
        """
        hub = self.hub_id(node)
        graph.node(hub, label="", shape="point", style="invis", width="0", height="0")
        self.node_ids.append(hub)
        for child in node.children:
            self._edges.append((hub, self.region_entry(child), {"style": "invis"}))

    def hub_id(self, node: StateNode) -> str:
        """The id of the invisible point that keeps a parallel state's regions in order.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "p", "type": "parallel", "states": {"r1": {}, "r2": {}}})
        >>> Drawing(m.chart).hub_id(m.chart.root)
        'p__regions'
        """
        return self._ids[node] + "__regions"

    def region_entry(self, node: StateNode) -> str:
        """Where a region's ordering edge ends: a nested parallel state's own hub, else its entry.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> Drawing(m.chart).region_entry(m.get_state("m.a"))
        'm.a__initial'
        """
        if node.is_parallel and len(node.children) > 1:
            return self.hub_id(node)
        return self.endpoint(node)[0]

    def leaf(self, graph: graphviz.Digraph, node: StateNode) -> None:
        """Draw an atomic or final state as a box or a double circle, queueing its edges.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}}})
        >>> g = graphviz.Digraph()
        >>> Drawing(m.chart).leaf(g, m.get_state("m.b"))
        >>> "shape=doublecircle" in g.source
        True
        """
        targetless = [t for t in node.transitions if not t.targets]
        listed = (
            [(TAKEN_MARK if t in self.taken else "") + self.label(t, inline=True) for t in targetless]
            if len(targetless) > LOOPS_MAX
            else []
        )
        for t in node.transitions:
            if t.targets or not listed:
                for target in t.targets or (node,):
                    self.transition_edge(t, target)
        attrs = {"label": state_label(node.key, state_lines(node) + listed)}
        style = ["filled"]
        if node.is_final:
            attrs.update(shape="doublecircle", fontsize="10", width="0.3", margin="0.02")
        else:
            attrs["shape"] = "box"
            style.insert(0, "rounded")
        attrs["style"] = ",".join(style)
        attrs["fillcolor"] = INACTIVE_FILL
        if self.is_active(node):
            attrs.update(fillcolor=ACTIVE_FILL, color=ACTIVE_LINE, penwidth="2")
        graph.node(self.node_id(node), **attrs)
        self.node_ids.append(self.node_id(node))

    def history(self, graph: graphviz.Digraph, node: StateNode) -> None:
        """Draw a history state as an ``H``/``H*`` circle with a dotted edge to its default.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}, "h": {"type": "history", "target": "a"}}})
        >>> g = graphviz.Digraph()
        >>> d = Drawing(m.chart)
        >>> d.history(g, m.get_state("m.h"))
        >>> '"m.h" [label=H' in g.source, d._edges
        (True, [('m.h', 'm.a', {'style': 'dotted'})])
        """
        graph.node(
            self.node_id(node),
            label=history_label(node),
            shape="circle",
            width="0.32",
            fixedsize="true",
            fontsize="10",
            style="filled",
            fillcolor=INACTIVE_FILL,
        )
        self.node_ids.append(self.node_id(node))
        default = node.history_default
        if default is not None:
            for target in default.targets:
                self.edge(self.node_id(node), node.parent or node, target, _actions_only(default), {"style": "dotted"})

    def label(self, t: Transition, *, inline: bool = False) -> str:
        """A transition's label: wrapped for an edge, on one line when listed inside a state.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {"5000": "b"}}, "b": {}}})
        >>> Drawing(m.chart).label(m.get_state("m.a").transitions[0])
        'after 5s'
        """
        return transition_label(t, wrap=0 if inline else EDGE_LABEL_WIDTH)

    def transition_edge(self, t: Transition, target: StateNode) -> None:
        """Queue the edge of transition ``t`` to ``target``: dashed if eventless, bold if taken.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"always": "b"}, "b": {}}})
        >>> d = Drawing(m.chart)
        >>> d.transition_edge(m.get_state("m.a").transitions[0], m.get_state("m.b"))
        >>> d._edges
        [('m.a', 'm.b', {'style': 'dashed', 'label': 'always'})]
        """
        tail, tail_owner = self.endpoint(t.source)
        extra: dict[str, str] = {}
        if t.eventless:
            extra["style"] = "dashed"
        if t in self.taken:
            extra.update(color=ACTIVE_LINE, penwidth="2.5", fontcolor=ACTIVE_LINE)
        if self.is_cluster(t.source) and not _inside(self.endpoint(target)[1], t.source):
            extra["ltail"] = self.cluster_name(t.source)
        self.edge(tail, tail_owner, target, self.label(t), extra)

    def edge(
        self, tail: str, tail_owner: StateNode, target: StateNode, label: str, extra: dict[str, str] | None = None
    ) -> None:
        """Queue an edge from ``tail`` to ``target``, clipped at cluster borders, with ``label``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}, "b": {}}})
        >>> d = Drawing(m.chart)
        >>> d.edge("m.b", m.chart.root, m.get_state("m.a"), "BACK")
        >>> d._edges
        [('m.b', 'm.a__initial', {'lhead': 'cluster_m.a', 'xlabel': 'BACK'})]
        """
        head = self.node_id(target) if target.is_history else self.endpoint(target)[0]
        attrs = dict(extra or {})
        if self.is_cluster(target) and not _inside(tail_owner, target):
            attrs["lhead"] = self.cluster_name(target)
        if _across_regions(tail_owner, target):
            attrs["constraint"] = "false"  # let orthogonal regions keep their own layout
        if self.edge_labels and label:
            # an edge clipped at a cluster border gets an xlabel: dot places a plain label on the
            # unclipped path, often inside the cluster, away from the drawn line
            clipped = "lhead" in attrs or "ltail" in attrs
            attrs["xlabel" if clipped else "label"] = plain_label([label])
        self._edges.append((tail, head, attrs))


def _actions_only(t: Transition) -> str:
    """The label of an initial or history-default transition: only its actions, if any."""
    acts = actions_label(t.actions)
    return f"/ {acts}" if acts else ""


def _across_regions(owner: StateNode, target: StateNode) -> bool:
    """An edge from inside ``owner`` to ``target`` joins two regions of one parallel state."""
    common = next((a for a in (owner, *owner.ancestors) if a is target or target.is_descendant_of(a)), None)
    return common is not None and common.is_parallel and common is not target


def _inside(owner: StateNode, cluster: StateNode) -> bool:
    """A node whose innermost holding state is ``owner`` lies inside ``cluster``'s box."""
    return owner is cluster or owner.is_descendant_of(cluster)


def _safe_id(text: str) -> str:
    """A DOT id without the ``:`` that Graphviz reads as a port separator."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", text)


def plain_label(lines: list[str], *, left: bool = False) -> str:
    """A plain-text DOT label: backslashes escaped, lines joined by ``\\n`` (``\\l`` if ``left``).

    >>> print(plain_label(["a", "b"], left=True))
    a\\lb\\l
    """
    end = "\\l" if left else "\\n"
    text = end.join(line.replace("\\", "\\\\").replace("\n", end) for line in lines)
    return graphviz.nohtml(text + end if left else text)


def state_label(title: str, lines: list[str]) -> str:
    """The state's name alone, or an HTML table: the name in bold, a rule, then the lines.

    >>> state_label("idle", [])
    'idle'
    >>> state_label("idle", ["entry / log"])
    '<<TABLE ...<B>idle</B>...entry / log...</TABLE>>'
    """
    if not lines:
        return plain_label([title])
    rows = "".join(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9">{html.escape(line)}</FONT></TD></TR>' for line in lines)
    return (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        f"<TR><TD><B>{html.escape(title)}</B></TD></TR><HR/>{rows}</TABLE>>"
    )
