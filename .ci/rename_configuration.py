"""One spelling of "configuration" (issue 14): the rename, as a script the integrator can re-run.

The set of active states is SCXML's *configuration*. A snapshot shows it as state ids
(``Snapshot.configuration``, public and unchanged, as sismic's ``Interpreter.configuration``);
every object that holds it as `StateNode` objects now calls it ``configuration_nodes``:

- ``Snapshot.nodes``          -> ``Snapshot.configuration_nodes`` (``nodes`` stays as a deprecated alias)
- ``Step.config``             -> ``Step.configuration_nodes`` (the macrostep's mutable set)
- ``Step.nodes()``            -> ``Step.frozen_configuration_nodes()`` (the same, frozen and cached)
- ``Probe.nodes_``            -> ``Probe.configuration_nodes``
- ``CompiledStep.nodes``      -> ``CompiledStep.configuration_nodes`` (the walker's compiled step)

``Chart.nodes`` (every node of the chart), ``Machine.config`` (the chart definition, as xstate's
``machine.config``) and the models' ``nodes`` knob (cluster nodes) are other ideas and keep their
names. The script is idempotent: run it after merging a branch that still writes the old names,
then ``ruff format`` the files it lists.

    python .ci/rename_configuration.py          # rewrites the files, prints those it changed
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("statecharts", "tests", "benchmarks", "machines", "docs")
FILES = ("README.md", "CONTRIBUTING.md")

#: Names whose ``.nodes`` is a snapshot's (or a compiled step's) configuration, in every file.
SNAPSHOT_RECEIVERS = r"snapshot|s|s0|state|other|was|compiled|after|before"

EVERYWHERE: list[tuple[str, str]] = [
    (r"\bstep\.nodes\(\)", "step.frozen_configuration_nodes()"),
    (r"\bstep\.config\b", "step.configuration_nodes"),  # a `Step` (never a chart's definition)
    (rf"\b({SNAPSHOT_RECEIVERS})\.nodes\b(?!\()", r"\1.configuration_nodes"),
    (r"(\)|\])\.nodes\b(?!\()", r"\1.configuration_nodes"),  # initial_state().nodes, states[i].nodes
]

#: Rules for one file (where ``self`` or a parameter is the object renamed).
PER_FILE: dict[str, list[tuple[str, str]]] = {
    "statecharts/state.py": [
        (r"\bself\.nodes\b", "self.configuration_nodes"),
        (r'^(\s+)"nodes",$', r'\1"configuration_nodes",'),
        (r"^(\s+)nodes: frozenset\[StateNode\],$", r"\1configuration_nodes: frozenset[StateNode],"),
        (r"= nodes$", "= configuration_nodes"),
        (
            r"event: Event \| None = None, nodes: frozenset\[StateNode\] \| None = None",
            "event: Event | None = None, configuration_nodes: frozenset[StateNode] | None = None",
        ),
        (
            r"self\.configuration_nodes if nodes is None else nodes,",
            "self.configuration_nodes if configuration_nodes is None else configuration_nodes,",
        ),
        (r"self\.sequence if nodes is None else \(\),", "self.sequence if configuration_nodes is None else (),"),
    ],
    "statecharts/algorithm.py": [
        (r"\bself\.config\b", "self.configuration_nodes"),
        (r'^(\s+)"config",$', r'\1"configuration_nodes",'),
        (r"\bdef nodes\(self\)", "def frozen_configuration_nodes(self)"),
        (r"\bself\.nodes_\b", "self.configuration_nodes"),
        (r'"nodes_"', '"configuration_nodes"'),
    ],
    "statecharts/check/kernel.py": [
        (r"\bself\.nodes = nodes\b", "self.configuration_nodes = nodes"),
        (r'"transitions", "nodes", "assigns"', '"transitions", "configuration_nodes", "assigns"'),
        (r"\bstep\.nodes\b(?!\()", "step.configuration_nodes"),
    ],
}


def rewrite(path: Path) -> bool:
    """Apply the rules to one file; true when it changed."""
    text = path.read_text()
    relative = path.relative_to(ROOT).as_posix()
    new = text
    for pattern, replacement in EVERYWHERE + PER_FILE.get(relative, []):
        new = re.sub(pattern, replacement, new, flags=re.MULTILINE)
    if new == text:
        return False
    path.write_text(new)
    return True


def main() -> int:
    paths = [ROOT / f for f in FILES] + [
        p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*")) if p.suffix in (".py", ".md")
    ]
    here = Path(__file__).resolve()
    for path in paths:
        if path.is_file() and path.resolve() != here and rewrite(path):
            print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
