"""rolling_update refines cluster_update (the spec's abstract controller), checked by the walker."""

from __future__ import annotations

import pytest

from machines import cluster_update
from machines.rolling_update import model, refinement_mapping
from statecharts.check import abstract_state, refines


@pytest.fixture(scope="module")
def abstract():
    return cluster_update.model(workers=1, requests=1)


@pytest.mark.parametrize("nodes", [1, 2, 3])
def test_every_step_of_the_rolling_update_is_a_cluster_update_step_or_a_stutter(abstract, nodes):
    result = refines(model(nodes=nodes), abstract, refinement_mapping(abstract.machine, nodes))
    assert result.holds and result.complete, result.format()
    assert result.steps > result.stutters > 0  # both kinds occur: the check is not vacuous


def test_the_mapping_reaches_every_abstract_action(abstract):
    to_abstract = refinement_mapping(abstract.machine, 2)
    from statecharts.check import explore

    graph = explore(model(nodes=2))
    images = {to_abstract(s) for s in graph.states}
    values = {(a.value["requests"]["r1"], a.value["workers"]["w1"], a.value["cluster"]) for a in images}
    assert {
        ("waiting", "waiting", "idle"),
        ("submitted", "waiting", "idle"),
        ("valid", "starting", "idle"),
        ("valid", "working", "partial"),
        ("valid", "starting", "failed"),
    } <= values
    assert {a.context["lastVOK"] for a in images} == {0, 1, 10}


def test_a_revert_that_can_fail_is_not_a_refinement_and_the_trace_shows_it(abstract):
    result = refines(model(nodes=2, stable_healthy=False), abstract, refinement_mapping(abstract.machine, 2))
    assert not result.holds and result.trace is not None
    last = result.trace.steps[-1]
    assert last.snapshot.value["deployment"] == "revert_failed"
    assert result.abstract_from.value["workers"]["w1"] == "working" and result.abstract_from.context["toApply"] == 10
    assert "neither an abstract step nor a stutter" in result.format()


def test_a_broken_mapping_fails_with_the_shortest_trace(abstract):
    right = refinement_mapping(abstract.machine, 2)

    def forgets_the_rollback(s):  # toApply stays the new version after a failure
        a = right(s)
        if a.context["toApply"] == 10 and a.value["cluster"] == "failed":
            return abstract_state(
                abstract.machine, ["#r1.valid", "#w1.waiting", "#cluster.failed"], {**a.context, "toApply": 1}
            )
        return a

    result = refines(model(nodes=2), abstract, forgets_the_rollback)
    assert not result.holds
    assert [step.event.name for step in result.trace.steps[1:]] == [
        "DEPLOY",
        "EVALUATE",
        "PLACE",
        "ALLOC_STOPPED",
        "ALLOC_UNHEALTHY",
    ]
    assert result.abstract_to.context["toApply"] == 1


def test_an_initial_state_that_maps_outside_the_abstract_initial_states_fails(abstract):
    right = refinement_mapping(abstract.machine, 2)
    result = refines(
        model(nodes=2),
        abstract,
        lambda s: abstract_state(
            abstract.machine, ["#r1.valid", "#w1.waiting", "#cluster.idle"], dict(right(s).context)
        ),
    )
    assert not result.holds and len(result.trace.steps) == 1 and "initial state" in result.reason


def test_a_mapping_that_returns_no_abstract_snapshot_is_a_config_error(abstract):
    from statecharts import ConfigError

    with pytest.raises(ConfigError, match="must return a snapshot of 'clusterUpdate'"):
        refines(model(nodes=1), abstract, lambda s: s)


def test_a_bounded_walk_never_reports_that_the_refinement_holds(abstract):
    from statecharts.check import Bounds

    result = refines(model(nodes=2), abstract, refinement_mapping(abstract.machine, 2), Bounds(max_depth=3))
    assert not result.holds and not result.complete and result.trace is None
    assert "stopped early" in result.format()


def test_one_worker_per_allocation_refines_for_a_single_allocation():
    from machines.rolling_update import per_allocation_mapping

    abstract = cluster_update.model(workers=1, requests=1)
    result = refines(model(nodes=1), abstract, per_allocation_mapping(abstract.machine, 1))
    assert result.holds and result.complete, result.format()
    assert (result.states, result.steps, result.stutters) == (15, 27, 10)  # the module docstring's figures


@pytest.mark.parametrize("nodes", [2, 3])
def test_one_worker_per_allocation_fails_at_the_second_allocations_place_because_lastvok_is_the_version(nodes):
    from machines.rolling_update import per_allocation_mapping

    abstract = cluster_update.model(workers=nodes, requests=1)
    result = refines(model(nodes=nodes), abstract, per_allocation_mapping(abstract.machine, nodes))
    assert not result.holds and result.complete
    assert [(step.event.name, dict(step.event.data or {})) for step in result.trace.steps[1:]] == [
        ("DEPLOY", {"version": 1}),
        ("EVALUATE", {}),
        ("PLACE", {"n": 1}),
        ("ALLOC_STOPPED", {"n": 1}),
        ("ALLOC_HEALTHY", {"n": 1}),
        ("xstate.after.min_healthy_time.a1.placed.settling", {}),
        ("PLACE", {"n": 2}),
    ]
    before = result.abstract_from
    assert before.context["lastVOK"] == before.context["toApply"] == 1  # SpawnWorker needs toApply # lastVOK
    assert result.abstract_to.value["workers"]["w2"] == "starting"
    # and the spec really has no such step: no abstract event leads from `before` to the image
    assert all(abstract.machine.transition(before, e) != result.abstract_to for e in abstract.alphabet)
