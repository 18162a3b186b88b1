"""The package's import graph, read from the source with `ast` (no module is imported).

Every import counts: at module level, inside a function, and under ``if TYPE_CHECKING:``, since
each is a dependency a reader has to hold in mind.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "statecharts"


@dataclass(frozen=True)
class Import:
    """``importer`` imports ``imported`` at ``line`` (module names, dotted)."""

    importer: str
    imported: str
    line: int
    path: Path

    def __str__(self) -> str:
        return f"{self.path.relative_to(PACKAGE.parent)}:{self.line}: imports {self.imported}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports() -> Iterator[Import]:
    """Each import of a module of the package by another, resolved to the module it names."""
    known = modules()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    for importer, path in known.items():
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([base] if base else [])])
                # `from statecharts import algorithm` names the module statecharts.algorithm
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            else:
                continue
            for name in names:
                imported = resolve(name) if name.startswith("statecharts") else None
                if imported and imported != importer:
                    yield Import(importer, imported, node.lineno, path)


#: The layers, lowest first; a module belongs to the longest prefix that names it. A module may import
#: its own layer and the layers below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("statecharts.errors", "statecharts.frozen", "statecharts.limits", "statecharts.version", "statecharts.text"),
    ("statecharts.event",),
    ("statecharts.actions",),
    ("statecharts.guards", "statecharts.chart"),
    ("statecharts.validate",),
    ("statecharts.compile", "statecharts.index"),
    ("statecharts.state",),
    ("statecharts.algorithm",),
    ("statecharts.queries",),
    ("statecharts.machine", "statecharts.record", "statecharts.actor_core", "statecharts.inspection"),
    ("statecharts.services",),
    ("statecharts.interpreter", "statecharts.runtime", "statecharts.interop", "statecharts.scxml"),
    ("statecharts.check", "statecharts.render", "statecharts.store"),
    ("statecharts.serve",),
    ("statecharts.cli", "statecharts.testing", "statecharts.pytest_plugin", "statecharts.__main__"),
    ("statecharts",),  # the facade only (`from statecharts import Machine, ...`), not its submodules
)


def layer(module: str) -> int:
    """The index in `LAYERS` of the longest prefix naming ``module``."""
    best = max(
        (
            (len(name), index)
            for index, names in enumerate(LAYERS)
            for name in names
            if module == name or (name != "statecharts" and module.startswith(name + "."))
        ),
        default=None,
    )
    if best is None:
        raise LookupError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return best[1]


def package(module: str) -> str:
    """The first-level part of the package ``module`` belongs to: ``statecharts.check`` for
    ``statecharts.check.graph``, and a top-level module is its own part."""
    return ".".join(module.split(".")[:2])
