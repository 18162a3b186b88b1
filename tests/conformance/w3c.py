"""Running one W3C IRP test document in place: load it, start it on a virtual clock, let time pass
until the top-level final state is reached (or nothing is left to wait for)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from statecharts import VirtualClock
from statecharts.scxml import load


def _find_suite() -> Path:
    """The vendored copy ``tests/conformance/w3c-python`` (``STATECHARTS_W3C_SUITE`` overrides)."""
    override = os.environ.get("STATECHARTS_W3C_SUITE")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "w3c-python"


SUITE = _find_suite()
STEP_MS = 50.0
LIMIT_MS = 60_000.0


@dataclass(frozen=True)
class W3CTest:
    id: str
    path: Path
    conformance: str
    manual: bool


def manifest() -> list[W3CTest]:
    """Every test document of the suite, with its conformance from the manifest; a document in
    ``corrected/`` replaces the one of the same name."""
    tree = ET.parse(SUITE / "manifest.xml")
    info: dict[str, tuple[str, bool]] = {}
    for test in tree.iter("test"):
        info[str(test.get("id"))] = (str(test.get("conformance")), test.get("manual") == "true")
    tests = []
    corrected = {path.name: path for path in SUITE.glob("corrected/test*.scxml")}
    for path in sorted(SUITE.glob("*/*/test*.scxml")):
        path = corrected.get(path.name, path)  # the conversion's two bugs, fixed as the ECMAScript originals
        test_id = path.stem[len("test") :]
        if "sub" in test_id:
            continue
        base = test_id.rstrip("abc")
        conformance, manual = info.get(base, ("optional", False))
        tests.append(W3CTest(test_id, path, conformance, manual))
    return tests


def needs_trust(path: Path) -> bool:
    """The document runs code or reads files: ``<script>``, ``src``/``srcexpr``, calls of its own
    functions (test 452, 453)."""
    text = path.read_text(encoding="utf-8-sig")
    return any(word in text for word in ("<script", " src=", "srcexpr=", "testobject()", "var1(2)"))


def run(path: Path, trusted: bool = True) -> str:
    """The id of the top-level final state reached ('pass', 'fail'), or a description."""
    machine = load(path, trusted=trusted)
    clock = VirtualClock()
    session = machine.interpret(clock=clock).start()
    try:
        while session.state.status == "active" and clock.now < LIMIT_MS:
            if not clock.pending:
                break
            clock.advance(STEP_MS)
        state = session.state
        if state.status == "done":
            finals = [n.id for n in state.configuration_nodes if n.parent is machine.chart.root and n.type == "final"]
            return finals[0] if finals else "done"
        return f"stuck in {state.configuration}"
    finally:
        session.stop()
