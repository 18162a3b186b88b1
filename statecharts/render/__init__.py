"""Diagrams of charts: Graphviz DOT/SVG/PNG/PDF, Mermaid text, highlighted snapshots and traces.

>>> from statecharts import Machine
>>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
>>> to_dot(m).source.startswith("digraph m {")
True
>>> to_mermaid(m).splitlines()[0]
'stateDiagram-v2'
"""

from statecharts.render.dot import to_dot
from statecharts.render.mermaid import to_mermaid
from statecharts.render.output import GraphvizNotFoundError, RenderError, render
from statecharts.render.trace import render_trace, trace_steps, trace_to_mermaid

__all__ = [
    "GraphvizNotFoundError",
    "RenderError",
    "render",
    "render_trace",
    "to_dot",
    "to_mermaid",
    "trace_steps",
    "trace_to_mermaid",
]
