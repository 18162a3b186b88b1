"""Write diagrams to files: ``.dot``/``.gv``/``.mmd`` as text, ``.svg``/``.png``/``.pdf`` through ``dot``."""

from __future__ import annotations

import os
from pathlib import Path

import graphviz

from statecharts.errors import StatechartError
from statecharts.machine import Machine
from statecharts.render.dot import to_dot
from statecharts.render.mermaid import to_mermaid
from statecharts.state import Snapshot

TEXT_FORMATS = (".dot", ".gv", ".mmd")
IMAGE_FORMATS = (".svg", ".png", ".pdf")
INSTALL_HINT = (
    "install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS), 'dnf install graphviz' (Fedora) or see https://graphviz.org/download/; "
    ".dot and .mmd output work without it"
)


class GraphvizNotFoundError(StatechartError):
    """The Graphviz ``dot`` program is not installed (or not on PATH).

    >>> import graphviz
    >>> saved = os.environ["PATH"]
    >>> os.environ["PATH"] = ""
    >>> try:
    ...     pipe(graphviz.Digraph(), "svg", where="m.svg")
    ... except GraphvizNotFoundError as exc:
    ...     print(exc)
    ... finally:
    ...     os.environ["PATH"] = saved
    m.svg: the Graphviz 'dot' program was not found on PATH; install Graphviz: ...
    """


class RenderError(StatechartError):
    """A diagram could not be written: unknown format, or ``dot`` failed.

    >>> from statecharts import Machine
    >>> render(Machine({"id": "m", "initial": "a", "states": {"a": {}}}), "m.txt")
    Traceback (most recent call last):
        ...
    statecharts.render.output.RenderError: m.txt: unknown diagram format '.txt' (use one of .dot, ...)
    """


def render(
    diagram: Machine | graphviz.Digraph,
    path: str | os.PathLike[str],
    *,
    snapshot: Snapshot | None = None,
    rankdir: str = "TB",
) -> Path:
    """Write a machine's diagram (or a graph from `to_dot`/`render_trace`) to ``path``.

    The format comes from the suffix: ``.dot``/``.gv`` (DOT text), ``.mmd`` (Mermaid text),
    ``.svg``, ``.png``, ``.pdf`` (through Graphviz ``dot``).

    >>> import tempfile, pathlib
    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> out = render(m, pathlib.Path(tempfile.mkdtemp()) / "m.mmd")
    >>> out.read_text().splitlines()[0]
    'stateDiagram-v2'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in TEXT_FORMATS + IMAGE_FORMATS:
        raise RenderError(
            f"{target}: unknown diagram format {suffix or '(no suffix)'!r} "
            f"(use one of {', '.join(TEXT_FORMATS + IMAGE_FORMATS)})"
        )
    if suffix == ".mmd":
        if not isinstance(diagram, Machine):
            raise RenderError(
                f"{target}: Mermaid output needs a Machine (for a trace, use "
                f"trace_to_mermaid), not a {type(diagram).__name__}"
            )
        target.write_text(to_mermaid(diagram, snapshot), encoding="utf-8")
        return target
    graph = to_dot(diagram, snapshot, rankdir=rankdir) if isinstance(diagram, Machine) else diagram
    if suffix in (".dot", ".gv"):
        target.write_text(graph.source, encoding="utf-8")
        return target
    target.write_bytes(pipe(graph, suffix[1:], where=str(target)))
    return target


def pipe(graph: graphviz.Digraph, fmt: str, *, where: str = "diagram") -> bytes:
    """Run ``dot -T<fmt>`` on the graph; a missing ``dot`` is a `GraphvizNotFoundError`.

    >>> import graphviz
    >>> pipe(graphviz.Digraph(), "svg")[:5] in (b"<?xml", b"<svg ")
    True
    """
    try:
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"{where}: the Graphviz 'dot' program was not found on PATH; {INSTALL_HINT}"
        ) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode(errors="replace").strip() if isinstance(exc.stderr, bytes) else exc.stderr
        raise RenderError(f"{where}: dot failed: {stderr}") from None
