"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code, capsys):
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    text = README.read_text(encoding="utf-8")
    test_command = (
        "bash .ci/install && .venv/bin/python -m pytest -q --cov=statecharts --cov-branch --cov-fail-under=87"
    )
    assert test_command in text and ".venv/bin/python -m statecharts check machines.cluster_update" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
