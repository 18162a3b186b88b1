"""Model-based testing: the hand-written controller against the cluster chart, by test paths."""

from __future__ import annotations

import pytest

from machines.cluster_update import model
from statecharts import Event
from statecharts.check import explore
from statecharts.check.paths import transition_cover
from statecharts.testing import Adapter, Disagreement, replay, run_paths
from tests.testing.cluster_sut import ClusterAdapter


@pytest.mark.parametrize(("workers", "requests"), [(1, 1), (2, 2), (3, 2)])
def test_the_correct_controller_agrees_with_the_chart_on_every_edge(workers, requests):
    m = model(workers=workers, requests=requests)
    result = run_paths(m, ClusterAdapter())
    assert result.ok, result.format()
    graph = explore(m)
    assert result.paths == result.planned == len(transition_cover(graph))
    assert result.steps >= graph.transitions  # every edge was taken (some twice, on the way)


def test_the_planted_bug_is_found_by_the_edge_cover_on_a_shortest_path():
    result = run_paths(model(workers=2, requests=2), ClusterAdapter(planted_bug=True))
    failure = result.failure
    assert failure is not None and not result.ok
    assert failure.path.events[-1] == Event("APPLY_FINISH", w=failure.path.events[-1]["w"], ok=False)
    assert len(failure.path) == failure.step == 8  # minimized: the shortest way to the rollback
    assert failure.expected["cluster"] == "idle" and failure.observed["cluster"] == "failed"
    assert failure.expected["lastVOK"] == 10 and failure.observed["lastVOK"] == 0
    text = result.format()
    assert "DISAGREEMENT" in text and "after step 8 (APPLY_FINISH(" in text and "chart expects:" in text
    with pytest.raises(Disagreement):
        result.raise_on_failure()


def test_the_chart_transition_cover_misses_the_bug_the_edge_cover_finds():
    # Rollback success and ok=True fire the same chart transition (guard `ok | v = RollbackVersion`):
    # covering chart transitions is not enough here; covering the state graph's edges is.
    m = model(workers=2, requests=2)
    assert run_paths(m, ClusterAdapter(planted_bug=True), cover="transitions").ok
    assert run_paths(m, ClusterAdapter(planted_bug=True), cover="states").ok
    assert not run_paths(m, ClusterAdapter(planted_bug=True), cover="edges").ok


def test_without_minimizing_the_disagreement_is_shown_on_the_path_that_met_it():
    result = run_paths(model(workers=2, requests=2), ClusterAdapter(planted_bug=True), minimize=False)
    assert result.failure is not None and len(result.failure.path) >= 8


class Raising(ClusterAdapter):
    def send(self, event: Event) -> None:
        if event.name == "PUSH":
            raise RuntimeError("queue is down")
        super().send(event)


def test_a_system_that_raises_is_a_disagreement_naming_the_step():
    result = run_paths(model(workers=1, requests=1), Raising())
    failure = result.failure
    assert failure is not None and isinstance(failure.error, RuntimeError)
    assert failure.step == 2 and failure.path.events[-1] == Event("PUSH", r=1)
    assert "raised RuntimeError('queue is down') after step 2 (PUSH(r=1))" in str(failure)


class WrongStart(ClusterAdapter):
    def observe(self):
        return {**super().observe(), "toApply": -1}


def test_a_disagreement_right_after_reset_is_reported_at_step_zero():
    m = model(workers=1, requests=1)
    path = transition_cover(m)[0]
    with pytest.raises(Disagreement, match="right after reset") as caught:
        replay(path, WrongStart())
    assert caught.value.step == 0 and len(caught.value.path) == 0


def test_an_adapter_must_say_how_to_reset_send_and_observe():
    with pytest.raises(NotImplementedError, match="Adapter.reset"):
        Adapter().reset(model(workers=1, requests=1).initial_states()[0])
