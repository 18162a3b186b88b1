"""``statecharts diagrams [--out diagrams] [--check]``: the diagrams/ folder, one SVG and DOT per machine.

Every module of the ``machines`` package (except ``__init__`` and private ones) is drawn from its
``model()`` factory at its default parameters when it has one, else from its ``machine``.
``--check`` writes nothing: it lists the files that are missing or differ and exits 1. DOT files
and the README are compared byte for byte; an SVG only has to exist, because its bytes depend on
the installed Graphviz version.
"""

from __future__ import annotations

import argparse
import pkgutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from statecharts.cli.loading import UsageError, import_module, resolve_machine
from statecharts.machine import Machine
from statecharts.render.dot import to_dot
from statecharts.render.output import pipe

PACKAGE = "machines"
GENERATED = (".dot", ".svg")
README_HEAD = """\
# Diagrams

Generated from the machines in `machines/` by

    python -m statecharts diagrams

Do not edit these files by hand: run that command after changing a machine or the renderer, and
commit the result. `python -m statecharts diagrams --check` (and the test
`tests/render/test_diagrams_folder.py`) fails while a committed `.dot` file differs from what the
code draws. Each machine has a `.dot` (Graphviz source, compared byte for byte) and an `.svg`
(drawn by Graphviz `dot`; only its presence is checked, since its bytes depend on the Graphviz
version). A module with a `model()` factory is drawn at the factory's default parameters.
"""


def add_parser(sub: Any) -> None:
    """Add the ``diagrams`` subcommand to the CLI's subparsers.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["diagrams", "--check"])
    >>> args.out, args.check, args.handler is run
    ('diagrams', True, True)
    """
    parser = sub.add_parser(
        "diagrams",
        help="regenerate (or --check) the diagrams/ folder",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--out", default="diagrams", metavar="DIR", help="folder to write (default diagrams)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when files are stale")
    parser.add_argument("--package", default=PACKAGE, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def main(argv: Sequence[str] | None = None) -> int:
    """``statecharts diagrams ...`` as a function: the exit status.

    >>> import tempfile
    >>> main(["--check", "--out", tempfile.mkdtemp()])
    stale: .../README.md (missing)
    ...
    run `python -m statecharts diagrams` to regenerate them
    1
    """
    from statecharts.cli import main as cli_main

    return cli_main(["diagrams", *(argv or [])])


def machine_names(package: str = PACKAGE) -> list[str]:
    """The public modules of the machines package that define a ``model`` factory or a ``machine``,
    sorted (a machine's service modules, such as the rolling update's agent, are not drawn).

    >>> "media_player" in machine_names(), "rolling_agent" in machine_names()
    (True, False)
    """
    try:
        pkg = import_module(package)
    except UsageError as exc:
        raise UsageError(
            f"{exc}: run `diagrams` from the repository's root (its machines/ folder is not installed with the package)"
        ) from None
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    return [
        name
        for name in names
        if any(hasattr(import_module(f"{package}.{name}"), attr) for attr in ("model", "machine"))
    ]


def load_machine(name: str, package: str = PACKAGE) -> Machine:
    """The machine of ``machines.<name>``: from ``model()`` at its defaults, else ``machine``.

    >>> load_machine("media_player").id
    'mediaPlayer'
    """

    machine, _ = resolve_machine(f"{package}.{name}", {})
    return machine


def expected_text(package: str = PACKAGE) -> dict[str, str]:
    """File name -> contents of every text file in the folder (the DOTs and the README).

    >>> files = expected_text()
    >>> "media_player.dot" in files and "README.md" in files
    True
    """
    files: dict[str, str] = {}
    for name in machine_names(package):
        files[f"{name}.dot"] = dot_source(load_machine(name, package))
    files["README.md"] = readme(machine_names(package))
    return files


def dot_source(machine: Machine) -> str:
    """The DOT text written for a machine (with a trailing newline).

    >>> text = dot_source(load_machine("fetch"))
    >>> text.startswith("digraph fetch {"), text.endswith("}\\n")
    (True, True)
    """
    source = to_dot(machine).source
    return source if source.endswith("\n") else source + "\n"


def readme(names: Sequence[str]) -> str:
    """The folder's README: how to regenerate it, then each machine's SVG.

    >>> text = readme(["fetch"])
    >>> text.startswith("# Diagrams"), "![fetch](fetch.svg)" in text
    (True, True)
    """
    sections = [README_HEAD]
    for name in names:
        sections.append(f"## {name}\n\nSource: `machines/{name}.py`\n\n![{name}]({name}.svg)\n")
    return "\n".join(sections)


def stale_files(out: Path, package: str = PACKAGE) -> list[str]:
    """What ``--check`` reports: missing or differing files, and generated files of no machine.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> for file, text in expected_text().items():
    ...     _ = (out / file).write_text(text, encoding="utf-8")
    >>> _ = (out / "gone.dot").write_text("digraph {}")
    >>> stale_files(out)
    ['auth.svg (missing)', ..., 'gone.dot (no machine module machines.gone)']
    """
    texts = expected_text(package)
    stale = []
    for file, text in texts.items():
        path = out / file
        if not path.is_file():
            stale.append(f"{file} (missing)")
        elif path.read_text(encoding="utf-8") != text:
            stale.append(f"{file} (differs)")
    names = machine_names(package)
    for name in names:
        if not (out / f"{name}.svg").is_file():
            stale.append(f"{name}.svg (missing)")
    stale.extend(f"{path.name} (no machine module {package}.{path.stem})" for path in orphans(out, names))
    return stale


def orphans(out: Path, names: list[str]) -> list[Path]:
    """Generated files in ``out`` whose machine module is gone.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> for name in ("fetch.svg", "gone.svg", "notes.txt"):
    ...     _ = (out / name).write_text("")
    >>> [path.name for path in orphans(out, ["fetch"])]
    ['gone.svg']
    """
    return [path for path in sorted(out.glob("*")) if path.suffix in GENERATED and path.stem not in names]


def run(args: argparse.Namespace) -> int:
    """Regenerate the folder, or with ``--check`` list its stale files; the exit status.

    >>> run(argparse.Namespace(out="no/such/folder", check=True, package="machines"))
    Traceback (most recent call last):
        ...
    statecharts.cli.loading.UsageError: no/such/folder: no such folder (run `python -m statecharts diagrams` first)
    """
    out = Path(args.out)
    if args.check:
        if not out.is_dir():
            raise UsageError(f"{out}: no such folder (run `python -m statecharts diagrams` first)")
        stale = stale_files(out, args.package)
        for line in stale:
            print(f"stale: {out / line}")
        if stale:
            print("run `python -m statecharts diagrams` to regenerate them")
            return 1
        print(f"{out}: up to date")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    names = machine_names(args.package)
    for file, text in expected_text(args.package).items():
        (out / file).write_text(text, encoding="utf-8")
    for name in names:
        graph = to_dot(load_machine(name, args.package))
        (out / f"{name}.svg").write_bytes(pipe(graph, "svg", where=f"{out / name}.svg"))
        print(f"wrote {out / name}.dot, {out / name}.svg")
    for path in orphans(out, names):
        path.unlink()
        print(f"removed {path} (no machine module {args.package}.{path.stem})")
    return 0
