"""The committed diagrams/ folder matches what the code draws (regenerate: python -m statecharts diagrams)."""

from __future__ import annotations

from pathlib import Path

import pytest

from statecharts.cli.diagrams import expected_text, machine_names

DIAGRAMS = Path(__file__).resolve().parents[2] / "diagrams"
HINT = "stale diagrams/: run `python -m statecharts diagrams` and commit the result"


@pytest.mark.parametrize("file, text", sorted(expected_text().items()))
def test_committed_diagram_text_matches_the_code(file, text):
    path = DIAGRAMS / file
    assert path.is_file(), f"diagrams/{file} is missing; {HINT}"
    assert path.read_text(encoding="utf-8") == text, f"diagrams/{file} differs; {HINT}"


@pytest.mark.parametrize("name", machine_names())
def test_every_machine_has_a_committed_svg(name):
    assert (DIAGRAMS / f"{name}.svg").is_file(), f"diagrams/{name}.svg is missing; {HINT}"
