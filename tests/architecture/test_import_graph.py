"""Imports go one way: no module imports a layer above its own, and no two parts of the package
import each other. Computed from the source (`tests.architecture.imports`), so a function-level or
``TYPE_CHECKING`` import counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.architecture.imports import LAYERS, Import, imports, layer, modules, package

#: Upward imports that remain, each with why; the ChartIndex split of issue 14 removes the first two
#: groups. `test_no_allowance_is_stale` fails when one disappears, so this list only shrinks.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("statecharts.algorithm", "statecharts.machine"): "annotations: the algorithm is typed against Machine",
    ("statecharts.state", "statecharts.machine"): "annotations: Snapshot.machine is typed Machine",
    ("statecharts.state", "statecharts.queries"): "Snapshot.enabled_events / Snapshot.get_meta, sugar over queries",
    # the public doors users know, kept as one-line sugar over the layers above (imported when called)
    ("statecharts.machine", "statecharts.interpreter"): "Machine.interpret",
    ("statecharts.machine", "statecharts.runtime.actor"): "Machine.interpret_async",
    ("statecharts.machine", "statecharts.store.durable"): "Machine.interpret(store=...)",
    ("statecharts.machine", "statecharts.store.actor"): "Machine.interpret_async(store=...)",
    ("statecharts.machine", "statecharts.interop.xstate_json"): "Machine.from_json / Machine.to_json",
}

#: Doors may be imported only when called (inside a function) or for annotations.
DOORS = {pair for pair, why in ALLOWED_UPWARD.items() if pair[0] == "statecharts.machine"}


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
    """``import statecharts.machine`` loads no interpreter, runtime, store or interop module: the
    doors import them inside the method (or for annotations, under ``TYPE_CHECKING``)."""
    path = modules()["statecharts.machine"]
    tree = ast.parse(path.read_text())
    top_level: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            top_level.append(node.module)
        elif isinstance(node, ast.Import):
            top_level.extend(alias.name for alias in node.names)
    opened = sorted({m for m in top_level for _, door in DOORS if m == door})
    assert not opened, f"statecharts/machine.py imports {opened} at import time"


def test_the_layers_name_no_module_twice() -> None:
    names = [name for names in LAYERS for name in names]
    assert len(names) == len(set(names))
