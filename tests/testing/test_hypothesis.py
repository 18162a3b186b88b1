"""Hypothesis walks: valid event sequences, invariants and agreement checked after every step."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from machines.cluster_update import model
from statecharts import Machine
from statecharts.check import Model, events
from statecharts.testing import (
    Disagreement,
    InvariantViolation,
    chart_state_machine,
    check_randomly,
    event_sequences,
    next_steps,
)
from tests.testing.cluster_sut import ClusterAdapter

CLUSTER = model(workers=2, requests=2)
SETTINGS = settings(max_examples=40, derandomize=True, database=None, deadline=None)


@SETTINGS
@given(event_sequences(CLUSTER, max_length=25))
def test_drawn_sequences_are_walks_of_the_chart_that_change_something_each_step(path):
    assert path.initial in CLUSTER.initial_states()
    for before, step in zip(path.trace.steps, path.trace.steps[1:], strict=False):
        assert step.event in CLUSTER.alphabet  # payloads from the model's domains
        assert step.snapshot == CLUSTER.machine.transition(before.snapshot, step.event)
        assert step.snapshot != before.snapshot
    if len(path) < 25:  # a shorter walk drew a shorter length or stopped where nothing moves
        assert len(path) <= 25


@SETTINGS
@given(event_sequences(CLUSTER, min_length=5, max_length=5))
def test_drawn_sequences_replay_on_the_correct_controller(path):
    from statecharts.testing import replay

    replay(path, ClusterAdapter())


def test_next_steps_are_the_events_that_change_the_snapshot():
    s = CLUSTER.initial_states()[0]
    assert [e for e, _ in next_steps(CLUSTER, s)] == list(events("SUBMIT", r=[1, 2]))


def test_random_walks_agree_with_the_correct_controller():
    check_randomly(model(workers=2, requests=2), ClusterAdapter, max_examples=60, max_steps=30)


@pytest.mark.slow
def test_random_walks_find_the_planted_bug_and_shrink_it_to_a_short_walk():
    with pytest.raises(Disagreement) as caught:
        check_randomly(
            model(workers=1, requests=1), lambda: ClusterAdapter(planted_bug=True), max_examples=100, max_steps=30
        )
    failure = caught.value
    last = failure.path.events[-1]
    assert (last.name, last["ok"]) == ("APPLY_FINISH", False)
    assert len(failure.path) == 8  # the shortest walk that shows it
    assert failure.expected["cluster"] == "idle" and failure.observed["cluster"] == "failed"


def test_random_walks_check_the_models_invariants():
    unlocked = model(workers=2, requests=1, lock=False)  # SpawnWorker ignores the lock
    with pytest.raises(InvariantViolation, match="NoConcurrentUpdateW") as caught:
        check_randomly(unlocked, max_examples=100, max_steps=20)
    path = caught.value.path
    assert sum(v == "working" for v in path.final.value["workers"].values()) == 2
    assert len(path) <= 8


def test_a_walk_restarts_where_no_event_changes_anything():
    m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}}})
    runs = []

    class Counting(ClusterAdapter):
        def reset(self, initial):
            runs.append(initial)

        def send(self, event):
            pass

        def observe(self):
            return "?"

        def expected(self, snapshot):
            return "?"

    check_randomly(Model(m, alphabet=events("GO")), Counting, max_examples=3, max_steps=6)
    assert len(runs) > 3  # walks went on after reaching the final state


def test_the_state_machine_class_runs_as_a_unittest_case():
    walk = chart_state_machine(model(workers=1, requests=1))
    assert walk.__name__ == "ChartWalk_clusterUpdate"
    walk.TestCase.settings = settings(max_examples=5, derandomize=True, database=None, deadline=None)
    result = walk.TestCase("runTest").run()
    assert result.wasSuccessful()
