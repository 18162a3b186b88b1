"""The habits CONTRIBUTING.md promises, checked with the suite: formatted, lint-clean, typed.

Each runs the tool on the whole repository (as `pre-commit` does before a commit), so the README's
one test command covers them; a missing tool is a skip that says how to install it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["statecharts", "tests", "machines", "benchmarks"]


def tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed: pip install -e '.[test]' (or bash .ci/install)")
    return subprocess.run([sys.executable, "-m", name, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_the_code_is_formatted_by_ruff() -> None:
    done = tool("ruff", "format", "--check", *SOURCES)
    assert done.returncode == 0, f"run `ruff format {' '.join(SOURCES)}`:\n{done.stdout}{done.stderr}"


def test_ruff_finds_nothing() -> None:
    done = tool("ruff", "check", *SOURCES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_package() -> None:
    done = tool("mypy", "statecharts")  # the settings (disallow_untyped_defs, ...) are in pyproject.toml
    assert done.returncode == 0, done.stdout + done.stderr
