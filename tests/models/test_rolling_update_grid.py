"""The rolling-update chart over a grid of update-stanza settings: state counts and verdicts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from machines.rolling_update import COUNTEREXAMPLE, counterexample, model
from statecharts.check import check
from statecharts.render import render_trace

ROOT = Path(__file__).resolve().parents[2]

# (nodes, max_parallel, canary, auto_revert) -> distinct states of the full walk (the module docstring's table)
STATES = {
    (2, 1, 0, True): 58,
    (2, 1, 0, False): 35,
    (2, 1, 1, True): 60,
    (2, 1, 1, False): 37,
    (2, 2, 0, True): 135,
    (2, 2, 0, False): 85,
    (2, 2, 1, True): 79,
    (2, 2, 1, False): 37,
    (3, 1, 0, True): 198,
    (3, 1, 0, False): 98,
    (3, 1, 1, True): 201,
    (3, 1, 1, False): 101,
    (3, 2, 0, True): 783,
    (3, 2, 0, False): 464,
    (3, 2, 1, True): 540,
    (3, 2, 1, False): 245,
    (4, 1, 0, True): 642,
    (4, 1, 0, False): 253,
    (4, 1, 1, True): 646,
    (4, 1, 1, False): 257,
}
# the largest settings: walked under allocation symmetry, invariants only (representatives counted)
SYMMETRIC = {(4, 2, 0, True): 523, (4, 2, 0, False): 301, (4, 2, 1, True): 401, (4, 2, 1, False): 183}
GRID = list(itertools.product((2, 3, 4), (1, 2), (0, 1), (True, False)))


def test_the_grid_is_every_setting_of_the_issue():
    assert sorted(STATES) + sorted(SYMMETRIC) == sorted(GRID) and len(GRID) == 24


@pytest.mark.parametrize("nodes,max_parallel,canary,auto_revert", GRID)
def test_every_property_holds_except_mixed_versions_without_auto_revert(nodes, max_parallel, canary, auto_revert):
    setting = (nodes, max_parallel, canary, auto_revert)
    m = model(nodes=nodes, max_parallel=max_parallel, canary=canary, auto_revert=auto_revert)
    if setting in SYMMETRIC:
        report = check(m, symmetry=True, temporal=False)
        assert report.distinct_states == SYMMETRIC[setting]
    else:
        report = check(m)
        assert report.distinct_states == STATES[setting]
        assert {r.name for r in report.results} >= {"DeploymentEnds", "RevertRestoresStable"}
    assert report.complete
    failing = {r.name for r in report.results if not r.holds}
    assert failing == (set() if auto_revert else {"NoMixedVersionsAtRest"})


def test_the_misconfiguration_trace_is_the_shortest_and_ends_on_two_versions_at_rest():
    trace = counterexample()
    last = trace.steps[-1].snapshot
    assert len(trace.steps) == 6 and last.value["deployment"] == "failed"
    assert set(last.context["allocs"]) == {0, 1}


def test_the_drawn_misconfiguration_trace_is_current():
    committed = ROOT / "diagrams" / "traces" / f"{COUNTEREXAMPLE}.dot"
    assert committed.read_text(encoding="utf-8") == render_trace(counterexample()).source, (
        "run `python -m machines.rolling_update diagrams/traces` and commit the result"
    )
    assert (committed.parent / f"{COUNTEREXAMPLE}.svg").is_file()
