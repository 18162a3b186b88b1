"""The walker's explored state graph as a Graphviz diagram (what TLC's ``-dump dot`` writes).

One node per distinct state, numbered in discovery order and labelled with its active states and
its context; one edge per transition, labelled with its event. Initial states have a bold border;
the states of a counterexample (``highlight``) are filled, and the edges between consecutive
highlighted states are drawn bold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import graphviz

from statecharts.check.graph import StateGraph
from statecharts.check.trace import event_text, leaves, states_text
from statecharts.render.dot import FONT, LINE, plain_label

HIGHLIGHT = "#ffe08a"
MAX_DRAWN_STATES = 2000  # beyond this, dot's layout takes minutes: write .dot, not an image


def state_graph(graph: StateGraph, highlight: Sequence[int] = (), *, rankdir: str = "TB") -> graphviz.Digraph:
    """The explored graph as a `graphviz.Digraph` (render it with `statecharts.render.render`).

    >>> from statecharts import Machine
    >>> from statecharts.check import Model, events, explore
    >>> m = Machine({"id": "lamp", "initial": "off", "context": {"n": 0}, "states": {
    ...     "off": {"on": {"FLIP": "on"}}, "on": {"on": {"FLIP": "off"}}}})
    >>> g = explore(Model(m, alphabet=events("FLIP")))
    >>> source = state_graph(g, highlight=[0, 1]).source
    >>> source.count(" -> "), "FLIP" in source, "n=0" in source, source.count(HIGHLIGHT)
    (2, True, True, 2)
    """
    dot = graphviz.Digraph(str(graph.model.name or graph.model.machine.id) + "_states")
    dot.attr(rankdir=rankdir, fontname=FONT)
    dot.attr("node", shape="box", style="rounded", fontname=FONT, fontsize="10", color=LINE)
    dot.attr("edge", fontname=FONT, fontsize="9", color=LINE)
    marked = set(highlight)
    initial = set(graph.initial)
    for i, snapshot in enumerate(graph.states):
        lines = [f"#{i}  {states_text(leaves(snapshot))}"]
        lines += [f"{key}={value!r}" for key, value in snapshot.context.items()]
        attrs: dict[str, Any] = {"label": plain_label(lines, left=True)}
        if i in marked:
            attrs["style"], attrs["fillcolor"] = "rounded,filled", HIGHLIGHT
        if i in initial:
            attrs["penwidth"] = "2"
        dot.node(f"s{i}", **attrs)
    path_edges = set(zip(highlight, highlight[1:], strict=False))
    for i, out in enumerate(graph.edges):
        for e, j in out:
            attrs = {"label": plain_label([event_text(graph.events[e])])}
            if (i, j) in path_edges:
                attrs["penwidth"] = "2.5"
            dot.edge(f"s{i}", f"s{j}", **attrs)
    return dot
