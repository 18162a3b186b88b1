"""The cluster-update chart against UpdateCluster.tla: state space, behaviours, verdicts."""

from __future__ import annotations

import pytest

from machines.cluster_update import make, model
from statecharts import ConfigError, Event, Machine, state_in
from statecharts.check import check, explore
from tests.models import tla_reference


def as_tla(s) -> tuple:
    """A snapshot as the spec's variables (the reference's state tuple)."""
    c, v = s.context, s.value
    requests = tuple((v["requests"][f"r{i + 1}"], c["reqV"][i]) for i in range(len(c["reqV"])))
    workers = tuple((v["workers"][f"w{i + 1}"], c["workerV"][i]) for i in range(len(c["workerV"])))
    return (
        c["confOK"],
        c["reqCounter"],
        c["lastVOK"],
        c["toApply"],
        v["cluster"],
        c["clusterV"],
        requests,
        workers,
        c["clusterUpdating"],
    )


def start(workers=2, requests=2, conf_ok=True):
    m = model(workers=workers, requests=requests)
    return m.machine, m.machine.initial_state({"confOK": conf_ok})


def run(machine, state, *events):
    for name, data in events:
        state = machine.transition(state, Event(name, data))
    return state


# -- the state space is the spec's ----------------------------------------------------------------
@pytest.mark.parametrize("workers,requests", [(1, 1), (2, 2), (2, 3), (3, 2)])
def test_reachable_states_are_exactly_the_specs(workers, requests):
    graph = explore(model(workers=workers, requests=requests))
    assert {as_tla(s) for s in graph.states} == tla_reference.reachable(workers, requests)
    assert len(graph.states) == len(tla_reference.reachable(workers, requests))


@pytest.mark.parametrize("workers,requests,states", [(1, 1, 14), (2, 2, 212), (2, 3, 2909), (3, 3, 3938)])
def test_distinct_state_counts_match_the_reference(workers, requests, states):
    report = check(model(workers=workers, requests=requests), temporal=False)
    assert report.distinct_states == states and report.complete


def test_every_successor_is_a_spec_step_and_every_spec_step_a_successor():
    graph = explore(model(workers=2, requests=2))
    for i, s in enumerate(graph.states):
        ours = {as_tla(graph.states[t]) for _, t in graph.edges[i]}
        assert ours == set(tla_reference.next_states(as_tla(s))) - {as_tla(s)}


def test_lock_false_reaches_states_the_locked_spec_does_not():
    bounded = explore(
        model(workers=2, requests=1, lock=False),
        __import__("statecharts.check", fromlist=["Bounds"]).Bounds(max_depth=8),
    )
    assert {as_tla(s) for s in bounded.states} - tla_reference.reachable(2, 1, lock=True)


# -- behaviours of the spec, step by step ---------------------------------------------------------
def test_submitting_out_of_order_rejects_the_older_request():
    machine, s = start()
    s = run(machine, s, ("SUBMIT", {"r": 1}), ("SUBMIT", {"r": 2}), ("PUSH", {"r": 2}), ("PUSH", {"r": 1}))
    assert s.value["requests"] == {"r1": "rejected", "r2": "valid"}
    assert s.context["toApply"] == 2 and s.context["reqV"] == (1, 2)


def test_a_failed_apply_with_no_newer_version_rolls_back_to_lastVOK_plus_10_which_always_works():
    machine, s = start(workers=1, requests=1)
    s = run(
        machine,
        s,
        ("SUBMIT", {"r": 1}),
        ("PUSH", {"r": 1}),
        ("SPAWN", {"w": 1}),
        ("APPLY_START", {"w": 1}),
        ("APPLY_FINISH", {"w": 1, "ok": False}),
    )
    assert s.value["cluster"] == "failed" and s.context["toApply"] == 10 and s.context["lastVOK"] == 0
    s = run(machine, s, ("SPAWN", {"w": 1}), ("APPLY_START", {"w": 1}))
    assert s.context["workerV"] == (10,) and s.value["cluster"] == "partial"
    rolled_back = run(machine, s, ("APPLY_FINISH", {"w": 1, "ok": False}))  # ok is FALSE, yet it works
    assert rolled_back.value["cluster"] == "idle" and rolled_back.context["lastVOK"] == 10
    assert rolled_back.context["toApply"] == rolled_back.context["lastVOK"]


def test_confOK_false_never_leaves_the_cluster_idle():
    graph = explore(model(workers=2, requests=2))
    not_ok = [s for s in graph.states if not s.context["confOK"]]
    assert not_ok and all(s.value["cluster"] == "idle" for s in not_ok)
    assert any(s.value["cluster"] != "idle" for s in graph.states if s.context["confOK"])


def test_a_newer_version_while_starting_sends_the_worker_back_to_waiting():
    machine, s = start(workers=1, requests=2)
    s = run(
        machine,
        s,
        ("SUBMIT", {"r": 1}),
        ("PUSH", {"r": 1}),
        ("SPAWN", {"w": 1}),
        ("SUBMIT", {"r": 2}),
        ("PUSH", {"r": 2}),
    )
    assert s.value["workers"]["w1"] == "starting" and s.context["toApply"] == 2
    s = run(machine, s, ("APPLY_START", {"w": 1}))
    assert s.value["workers"]["w1"] == "waiting" and s.context["workerV"] == (None,)
    assert s.context["clusterUpdating"] is False and s.value["cluster"] == "idle"


def test_apply_start_moves_the_worker_and_the_cluster_in_one_step():
    machine, s = start(workers=2, requests=1)
    s = run(machine, s, ("SUBMIT", {"r": 1}), ("PUSH", {"r": 1}), ("SPAWN", {"w": 2}))
    s = run(machine, s, ("APPLY_START", {"w": 2}))
    assert s.value["workers"] == {"w1": "waiting", "w2": "working"}
    assert s.value["cluster"] == "partial" and s.context["clusterV"] == 1


def test_the_lock_stops_a_second_spawn_and_lock_false_allows_it():
    for lock, expected in ((True, "waiting"), (False, "starting")):
        m = model(workers=2, requests=1, lock=lock)
        s = m.machine.initial_state({"confOK": True})
        s = run(m.machine, s, ("SUBMIT", {"r": 1}), ("PUSH", {"r": 1}), ("SPAWN", {"w": 1}), ("SPAWN", {"w": 2}))
        assert s.value["workers"]["w2"] == expected


def test_an_event_for_another_entity_changes_nothing():
    machine, s = start()
    assert machine.transition(s, Event("PUSH", {"r": 1})) == s
    assert machine.transition(s, Event("APPLY_FINISH", {"w": 2, "ok": True})) == s


def test_the_specs_request_working_quirk_is_a_config_error():
    config = make(1, 1).config
    with pytest.raises(ConfigError, match=r"r1\.working.*did you mean 'w1\.working'"):
        Machine(
            {
                **config,
                "states": {
                    **config["states"],
                    "cluster": {
                        **config["states"]["cluster"],
                        "on": {"SPAWN": {"target": ".idle", "guard": state_in("#r1.working")}},
                    },
                },
            }
        )


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="workers=0"):
        model(workers=0)


# -- the walker's verdicts ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_2x2():
    return check(model(workers=2, requests=2))


def test_every_invariant_and_no_deadlock_hold_at_2x2(report_2x2):
    for name in ("TypeInvariants", "NoConcurrentUpdate", "NoConcurrentUpdateW", "deadlock"):
        assert report_2x2.result(name).holds, name


def test_under_fairness_the_cluster_never_ends_partially_updated(report_2x2):
    for name in ("NoPartialUpdateTermination", "EveryReqIsProcessed", "EveryReqIsDecided"):
        assert report_2x2.result(name).holds, name


def test_converges_fails_only_through_confOK_false(report_2x2):
    result = report_2x2.result("Converges")
    assert not result.holds and result.trace.cycle_start is not None
    assert all(step.snapshot.context["confOK"] is False for step in result.trace)
    assert result.trace[-1].snapshot == result.trace[result.trace.cycle_start].snapshot


def test_with_a_valid_configuration_every_liveness_property_holds_converges_included():
    report = check(model(workers=2, requests=2, conf_ok=True))
    assert report.distinct_states == 173 and report.ok


def test_without_fairness_a_worker_that_stops_leaves_the_cluster_partial():
    report = check(model(workers=2, requests=2), fairness=False)
    result = report.result("NoPartialUpdateTermination")
    assert not result.holds
    last = result.trace[-1]
    assert last.stutter and last.snapshot.value["cluster"] != "idle"


def test_coverage_shows_the_cluster_starting_state_is_never_entered(report_2x2):
    assert "cluster.starting" in report_2x2.coverage.states_never_active


def test_without_the_lock_two_workers_update_at_once_in_six_steps():
    report = check(model(workers=2, requests=1, lock=False), max_states=3000, temporal=False)
    result = report.result("NoConcurrentUpdateW")
    assert not report.complete and not result.holds
    assert [step.event.name if step.event else None for step in result.trace] == [
        None,
        "SUBMIT",
        "PUSH",
        "SPAWN",
        "SPAWN",
        "APPLY_START",
        "APPLY_START",
    ]
    assert list(result.trace[-1].snapshot.value["workers"].values()) == ["working", "working"]
