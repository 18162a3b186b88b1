"""The README's set-up commands and the packaging: what a new user runs on a fresh clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def main_job() -> str:
    """The README's first set-up command (the main job)."""
    block = re.search(r"## Set up and run.*?```sh\n(.*?)```", README, flags=re.S)
    assert block is not None
    return next(line for line in block.group(1).splitlines() if line.startswith("bash .ci/install"))


def test_the_main_job_exits_with_the_checks_verdict(tmp_path: Path) -> None:
    command = main_job()
    assert command.startswith("bash .ci/install && ")
    # already installed here: run the rest with this interpreter, the diagrams into a scratch folder
    rest = command.removeprefix("bash .ci/install && ").replace(".venv/bin/python", sys.executable)
    rest = rest.replace("statecharts diagrams", f"statecharts diagrams --out {tmp_path}")
    done = subprocess.run(["bash", "-c", rest], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # Converges is violated at confOK = FALSE (see the README)
    assert "Converges: VIOLATED" in done.stdout
    assert (tmp_path / "cluster_update.dot").is_file()


def test_ci_run_calls_the_readme_test_command_in_the_virtual_environment() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash .ci/install && .venv/bin/python -m pytest -q" in ci
    assert "bash .ci/install && .venv/bin/python" in README


def test_ci_install_runs_every_part_with_the_environments_python(tmp_path: Path) -> None:
    # a copy of .ci/ over an existing .venv whose python only logs what it is asked
    shutil.copytree(ROOT / ".ci", tmp_path / ".ci", ignore=shutil.ignore_patterns("*.sh"))
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name in ("python", "python3"):
        (venv_bin / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls"\n', encoding="utf-8")
        (venv_bin / name).chmod(0o755)
    (tmp_path / ".ci" / "install.d" / "probe.sh").write_text(
        f'echo "PY=$PY" >> "{tmp_path}/calls"\npython3 -m pip install something\n', encoding="utf-8"
    )
    (tmp_path / ".ci" / "install.d" / "broken.sh").write_text("exit 3\n", encoding="utf-8")
    done = subprocess.run(["bash", str(tmp_path / ".ci" / "install")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # a part that fails says so and the others still run
    assert "broken.sh failed (exit 3)" in done.stderr
    calls = (tmp_path / "calls").read_text(encoding="utf-8").splitlines()
    assert calls == [
        "python -m pip install --quiet --disable-pip-version-check -e .[test]",
        f"PY={tmp_path}/.venv/bin/python",
        "python3 -m pip install something",
    ]


def test_graphviz_part_without_a_package_manager_says_how_and_does_not_fail(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # a PATH with the basics but neither dot nor any package manager
    bin_dir.mkdir()
    for tool in ("bash", "id", "true"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    done = subprocess.run(
        [str(bin_dir / "bash"), str(ROOT / ".ci" / "install.d" / "graphviz.sh")],
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "Graphviz 'dot' is not installed" in done.stderr and "apt-get install graphviz" in done.stderr


def test_the_wheel_installs_statecharts_and_no_top_level_machines_package() -> None:
    setuptools = pytest.importorskip("setuptools")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    packages = setuptools.find_packages(where=str(ROOT), include=find["include"], exclude=find.get("exclude", ()))
    assert "statecharts" in packages and "statecharts.check" in packages
    assert not [p for p in packages if p.split(".")[0] != "statecharts"], packages


def test_the_test_data_is_inside_the_repository() -> None:
    from tests.conformance.w3c import SUITE
    from tests.models.tlc_runner import SPEC

    for path in (SPEC, SUITE / "manifest.xml", SUITE / "LICENSE", SUITE / "LICENSE-W3C", SUITE / "corrected"):
        assert path.exists() and ROOT in path.resolve().parents, path
    for test_file in (ROOT / "tests").rglob("*.py"):  # nothing reads ../shared any more
        if test_file != Path(__file__).resolve():
            assert '"shared"' not in test_file.read_text(encoding="utf-8"), test_file
