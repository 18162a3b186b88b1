"""The pytest plugin: one short test function checks a chart exhaustively or randomly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from statecharts.pytest_plugin import ChartCheck, NotChecked
from statecharts.testing import Disagreement, InvariantViolation, PropertyViolation
from tests.testing.cluster_sut import ClusterAdapter

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_registers_the_plugin_as_a_pytest11_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["pytest11"] == {"statecharts": "statecharts.pytest_plugin"}


def test_exhaustive_check_passes_a_sound_chart_and_returns_the_walk_figures():
    report = ChartCheck().exhaustively("machines.cluster_update", workers=2, requests=2, conf_ok=True)
    assert report.ok and report.complete and report.distinct_states == 173


def test_exhaustively_checks_what_the_check_command_checks_deadlock_and_temporal_properties_too():
    report = ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, conf_ok=True)
    kinds = {r.name: r.kind for r in report.results}
    assert kinds["deadlock"] == "deadlock" and kinds["Converges"] == "temporal" and "NoConcurrentUpdateW" in kinds
    with pytest.raises(PropertyViolation, match="Converges: VIOLATED"):  # conf_ok unset: Converges fails
        ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1)


def test_exhaustively_says_what_it_was_told_to_leave_out():
    with pytest.warns(NotChecked, match="not checked: temporal properties Converges, EveryReqIsDecided"):
        report = ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, temporal=False)
    assert report.ok and "Converges" not in {r.name for r in report.results}
    with pytest.warns(NotChecked, match=r"not checked: deadlock$"):
        ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, conf_ok=True, deadlock=False)


def test_exhaustive_check_fails_with_the_shortest_counterexample():
    with pytest.raises(PropertyViolation, match="NoConcurrentUpdateW: VIOLATED") as caught:
        ChartCheck().exhaustively(
            "machines.cluster_update", workers=2, requests=1, lock=False, max_states=2000, complete=False
        )
    assert len(caught.value.report.result("NoConcurrentUpdateW").trace) == 7  # 6 events


def test_exhaustive_check_fails_a_walk_stopped_by_a_bound_unless_told():
    with pytest.raises(PropertyViolation, match="INCOMPLETE"):
        ChartCheck().exhaustively("machines.cluster_update", workers=2, requests=2, max_states=50)


@pytest.mark.slow
def test_random_and_conformance_checks_find_the_planted_bug():
    check = ChartCheck(max_examples=100, max_steps=30)
    check.randomly("machines.cluster_update", ClusterAdapter(), workers=1, requests=1)
    with pytest.raises(Disagreement):
        check.randomly("machines.cluster_update", ClusterAdapter(planted_bug=True), workers=1, requests=1)
    assert check.conforms("machines.cluster_update", ClusterAdapter(), workers=2, requests=1).ok
    with pytest.raises(Disagreement):
        check.conforms("machines.cluster_update", ClusterAdapter(planted_bug=True), workers=2, requests=1)
    with pytest.raises(InvariantViolation):
        check.randomly("machines.cluster_update", workers=2, requests=1, lock=False)


USER_TESTS = """
from machines.cluster_update import model

def test_cluster_invariants_for_every_state(chart_check):
    chart_check.exhaustively("machines.cluster_update", workers=2, requests=2, conf_ok=True)

def test_cluster_safety_only(chart_check):
    chart_check.exhaustively("machines.cluster_update", workers=2, requests=2, temporal=False)

def test_cluster_invariants_on_random_walks(chart_check):
    chart_check.randomly(model(workers=3, requests=2))

def test_unlocked_cluster(chart_check):
    chart_check.randomly("machines.cluster_update", workers=2, requests=1, lock=False)
"""


def test_a_user_writes_one_short_test_function_with_the_fixture(tmp_path):
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "statecharts.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "--chart-examples",
            "20",
            "--chart-steps",
            "15",
            "test_user.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "3 passed, 1 failed" in out or "1 failed, 3 passed" in out, out
    assert (
        "NotChecked: chart_check.exhaustively(cluster_update(workers=2, requests=2, lock=True)): not checked: " in out
    )
    assert "FAILED test_user.py::test_unlocked_cluster" in out
    assert "invariant NoConcurrentUpdateW is violated" in out
