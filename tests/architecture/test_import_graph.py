"""Imports go one way: no module imports a layer above its own, and no two parts of the package
import each other. Computed from the source (`tests.architecture.imports`), so a function-level or
``TYPE_CHECKING`` import counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.architecture.imports import LAYERS, PACKAGE, Import, imports, layer, modules, package

#: The upward imports there are, each with why: doors kept as one-line sugar, imported when called.
#: `test_no_allowance_is_stale` fails when one disappears, so this list only shrinks.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("statecharts.state", "statecharts.queries"): "Snapshot.can / enabled_events / get_meta, sugar over queries",
    # the public doors users know, kept as one-line sugar over the layers above (imported when called)
    ("statecharts.machine", "statecharts.interpreter"): "Machine.interpret",
    ("statecharts.machine", "statecharts.runtime.actor"): "Machine.interpret_async",
    ("statecharts.machine", "statecharts.store.durable"): "Machine.interpret(store=...)",
    ("statecharts.machine", "statecharts.store.actor"): "Machine.interpret_async(store=...)",
    ("statecharts.machine", "statecharts.interop.xstate_json"): "Machine.from_json / Machine.to_json",
}

#: Doors may be imported only when called (inside a function) or for annotations.
DOORS = set(ALLOWED_UPWARD)


def upward() -> list[Import]:
    return [i for i in imports() if layer(i.imported) > layer(i.importer)]


def test_every_module_is_in_a_layer() -> None:
    for module in modules():
        layer(module)  # raises, naming the module, if it is in none


def test_no_module_imports_a_layer_above_its_own() -> None:
    offending = [str(i) for i in upward() if (i.importer, i.imported) not in ALLOWED_UPWARD]
    assert not offending, "imports against the layering (see LAYERS):\n" + "\n".join(offending)


def test_no_allowance_is_stale() -> None:
    present = {(i.importer, i.imported) for i in upward()}
    stale = [f"{a} -> {b}" for a, b in ALLOWED_UPWARD if (a, b) not in present]
    assert not stale, "remove from ALLOWED_UPWARD, the import is gone:\n" + "\n".join(stale)


def test_no_two_parts_of_the_package_import_each_other() -> None:
    uses: dict[str, dict[str, Import]] = defaultdict(dict)
    for i in imports():
        if (i.importer, i.imported) in ALLOWED_UPWARD or "statecharts" in (i.importer, i.imported):
            continue  # the facade is above everything by design; the allowances are listed above
        a, b = package(i.importer), package(i.imported)
        if a != b:
            uses[a].setdefault(b, i)
    cycles = [f"{uses[a][b]}  and  {uses[b][a]}" for a in uses for b in uses[a] if a < b and a in uses.get(b, {})]
    assert not cycles, "parts that import each other:\n" + "\n".join(cycles)


def test_the_doors_are_not_opened_at_import_time() -> None:
    """``import statecharts.machine`` loads no interpreter, runtime, store or interop module, and
    ``import statecharts.state`` no query: each door imports its module inside the method that
    opens it (or for annotations, under ``TYPE_CHECKING``)."""
    opened = []
    for importer, door in sorted(DOORS):
        tree = ast.parse(modules()[importer].read_text())
        for node in tree.body:  # module level only: not inside a function or an `if TYPE_CHECKING:`
            if isinstance(node, ast.ImportFrom) and node.module == door:
                opened.append(f"{importer} imports {door} at line {node.lineno}")
            elif isinstance(node, ast.Import) and any(alias.name == door for alias in node.names):
                opened.append(f"{importer} imports {door} at line {node.lineno}")
    assert not opened, "doors opened at import time:\n" + "\n".join(opened)


def test_the_layers_name_no_module_twice() -> None:
    names = [name for names in LAYERS for name in names]
    assert len(names) == len(set(names))


def test_the_compiler_leaves_every_check_of_a_chart_to_validate():
    """`statecharts.compile` builds; `statecharts.validate` raises each `ConfigError` (one job each)."""
    source = (PACKAGE / "compile.py").read_text()
    raises = [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Raise)]
    assert raises == [], f"statecharts/compile.py raises at lines {raises}: move the check to statecharts/validate.py"
