"""The rolling-update chart: Nomad's documented behaviour per knob, and the walker's verdicts."""

from __future__ import annotations

import pytest

from machines.rolling_update import View, model
from statecharts import Event
from statecharts.check import check


def start(**knobs):
    m = model(**knobs)
    return m, m.initial_states()[0]


def run(m, s, *steps):
    for step in steps:
        name, data = (step, {}) if isinstance(step, str) else step
        s = m.machine.transition(s, Event(name, data))
    return s


def timer(m, delay, region):
    return next(e.name for e in m.alphabet if e.name.startswith(f"xstate.after.{delay}.{region}"))


def replace(m, s, n, healthy=True):
    """One allocation through stop, start, health check and min_healthy_time."""
    s = run(m, s, ("PLACE", {"n": n}), ("ALLOC_STOPPED", {"n": n}))
    if not healthy:
        return run(m, s, ("ALLOC_UNHEALTHY", {"n": n}))
    return run(m, s, ("ALLOC_HEALTHY", {"n": n}), timer(m, "min_healthy_time", f"a{n}."))


def view(s, nodes):
    return View.of(s, nodes)


def deploy(m, s, version=1):
    return run(m, s, ("DEPLOY", {"version": version}), "EVALUATE")


# -- each knob, as Nomad documents it ------------------------------------------------------------
def test_a_deployment_replaces_every_allocation_and_makes_its_version_stable():
    m, s = start(nodes=2)
    s = deploy(m, s)
    s = replace(m, replace(m, s, 1), 2)
    assert view(s, 2) == View(("healthy", "healthy"), "successful")
    assert s.context["allocs"] == (1, 1) and s.context["stable"] == 1


def test_max_parallel_bounds_the_allocations_in_transition():
    for mp, second in ((1, "running"), (2, "stopping")):
        m, s = start(nodes=3, max_parallel=mp)
        s = run(m, deploy(m, s), ("PLACE", {"n": 1}), ("PLACE", {"n": 2}))
        assert view(s, 3).allocs[1] == second


def test_min_healthy_time_must_pass_before_an_allocation_counts_as_healthy():
    m, s = start(nodes=1)
    s = run(m, deploy(m, s), ("PLACE", {"n": 1}), ("ALLOC_STOPPED", {"n": 1}), ("ALLOC_HEALTHY", {"n": 1}))
    assert view(s, 1) == View(("settling",), "running")
    assert view(run(m, s, timer(m, "min_healthy_time", "a1")), 1) == View(("healthy",), "successful")


def test_healthy_deadline_marks_a_slow_allocation_unhealthy_and_fails_the_deployment():
    m, s = start(nodes=2, auto_revert=False)
    s = run(m, deploy(m, s), ("PLACE", {"n": 1}), ("ALLOC_STOPPED", {"n": 1}), timer(m, "healthy_deadline", "a1"))
    assert view(s, 2) == View(("unhealthy", "running"), "failed")


def test_progress_deadline_fails_the_deployment_and_starts_only_with_the_first_allocation():
    m, s = start(nodes=2, auto_revert=False)
    s = run(m, deploy(m, s), ("PLACE", {"n": 1}))
    assert not any(e.name.startswith("xstate.after.progress_deadline") for e in (p.event for p in s.pending))
    s = run(m, s, ("ALLOC_STOPPED", {"n": 1}), timer(m, "progress_deadline", "deployment.running"))
    assert view(s, 2).deployment == "failed"


def test_auto_revert_redeploys_the_last_stable_version_after_a_failure():
    m, s = start(nodes=2)
    s = replace(m, deploy(m, s), 1, healthy=False)
    assert view(s, 2).deployment == "reverting" and s.context["version"] == 0 and s.context["reverts"] == 1
    s = replace(m, s, 1)
    assert view(s, 2) == View(("healthy", "running"), "reverted") and s.context["allocs"] == (0, 0)


def test_without_auto_revert_a_failed_deployment_stays_failed_on_mixed_versions():
    m, s = start(nodes=2, auto_revert=False)
    s = replace(m, deploy(m, s), 1, healthy=False)
    assert view(s, 2) == View(("unhealthy", "running"), "failed") and s.context["allocs"] == (1, 0)


def test_a_canary_deployment_replaces_canaries_first_and_waits_for_promotion():
    m, s = start(nodes=3, max_parallel=2, canary=1)
    s = run(m, deploy(m, s), ("PLACE", {"n": 1}), ("PLACE", {"n": 2}))
    assert view(s, 3).allocs == ("stopping", "running", "running")  # only the canary
    s = run(m, s, ("ALLOC_STOPPED", {"n": 1}), ("ALLOC_HEALTHY", {"n": 1}), timer(m, "min_healthy_time", "a1"))
    assert view(s, 3).deployment == "paused"
    assert run(m, s, ("PLACE", {"n": 2})) == s
    s = run(m, s, "PROMOTE", ("PLACE", {"n": 2}), ("PLACE", {"n": 3}))
    assert view(s, 3) == View(("healthy", "stopping", "stopping"), "promoted")


def test_auto_promote_promotes_once_the_canaries_are_healthy():
    m, s = start(nodes=2, canary=1, auto_promote=True)
    s = replace(m, deploy(m, s), 1)
    assert view(s, 2).deployment == "promoted"


def test_node_lost_marks_a_placed_allocation_unhealthy():
    m, s = start(nodes=2, auto_revert=False)
    s = run(m, deploy(m, s), ("PLACE", {"n": 1}), ("ALLOC_STOPPED", {"n": 1}), ("NODE_LOST", {"n": 1}))
    assert view(s, 2).allocs[0] == "unhealthy"


def test_only_newer_versions_are_deployed_and_nothing_is_placed_outside_a_deployment():
    m, s = start(nodes=2, versions=(1, 2))
    assert run(m, s, ("PLACE", {"n": 1})) == s
    s = replace(m, replace(m, deploy(m, s, 2), 1), 2)
    assert run(m, s, ("DEPLOY", {"version": 1})) == s
    assert view(s, 2).deployment == "successful" and s.context["stable"] == 2


def test_bad_knobs_are_refused_with_a_config_error_naming_them():
    from statecharts import ConfigError

    with pytest.raises(ConfigError, match="canary=3"):
        model(nodes=2, canary=3)
    with pytest.raises(ConfigError, match="versions"):
        model(versions=(0,))


# -- the walker's verdicts ----------------------------------------------------------------------
def test_every_property_holds_for_the_default_update_stanza():
    report = check(model(nodes=3))
    assert report.complete and all(r.holds for r in report.results), [r.name for r in report.results if not r.holds]


def test_the_walk_is_not_vacuous_every_allocation_and_deployment_state_is_reached():
    report = check(model(nodes=3, canary=1), temporal=False)
    assert report.coverage is not None
    # revert_failed needs a stable version that fails, which stable_healthy (the default) rules out
    assert report.coverage.states_never_active == ("deployment.revert_failed",)
    assert not [t for t in report.coverage.transitions_never_taken if t.startswith("a")]
    assert check(model(nodes=2, canary=1, stable_healthy=False), temporal=False).coverage.states_never_active == ()


def test_a_revert_waits_for_the_replacement_in_flight_when_the_progress_deadline_fires():
    m, s = start(nodes=2)
    s = run(m, replace(m, deploy(m, s), 1), ("PLACE", {"n": 2}), timer(m, "progress_deadline", "deployment.running"))
    assert view(s, 2) == View(("healthy", "stopping"), "failed")
    s = run(m, s, ("ALLOC_STOPPED", {"n": 2}), ("ALLOC_HEALTHY", {"n": 2}), timer(m, "min_healthy_time", "a2"))
    assert view(s, 2) == View(("healthy", "healthy"), "reverting") and s.context["version"] == 0


@pytest.mark.parametrize("ignored,property_name", [("canary", "CanaryFirst"), ("max_parallel", "MaxParallel")])
def test_a_scheduler_that_ignores_a_knob_is_caught_by_its_property(ignored, property_name):
    import dataclasses

    from machines.rolling_update import Knobs, make, make_properties
    from statecharts.check import Model

    wanted = Knobs(nodes=3, max_parallel=1 if ignored == "max_parallel" else 2, canary=1 if ignored == "canary" else 0)
    scheduler = dataclasses.replace(wanted, **{ignored: 0 if ignored == "canary" else 2})  # the knob, forgotten
    real = model(nodes=3, max_parallel=scheduler.max_parallel, canary=scheduler.canary)
    invariants, _ = make_properties(wanted)
    planted = Model(make(scheduler), alphabet=real.alphabet, invariants=invariants)
    result = check(planted, temporal=False).result(property_name)
    assert not result.holds and [s.event.name for s in result.trace.steps[1:]] == [
        "DEPLOY",
        "EVALUATE",
        "PLACE",
        "PLACE",
    ]


def test_a_revert_that_may_start_with_a_healthy_allocation_loses_availability_when_stable_fails_too():
    planted = check(model(nodes=2, stable_healthy=False, unhealthy_first=False), temporal=False)
    trace = planted.result("Availability").trace
    assert trace is not None and len(trace.steps) == 13
    assert View.of(trace.steps[-1].snapshot, 2) == View(("unhealthy", "unhealthy"), "revert_failed")
    fixed = check(model(nodes=2, stable_healthy=False), temporal=False)
    assert fixed.result("Availability").holds and not fixed.result("NoMixedVersionsAtRest").holds


def test_the_scheduler_replaces_unhealthy_allocations_first():
    m, s = start(nodes=2)
    s = replace(m, replace(m, deploy(m, s), 1), 2, healthy=False)
    assert view(s, 2) == View(("healthy", "unhealthy"), "reverting")
    assert run(m, s, ("PLACE", {"n": 1})) == s  # the healthy one waits
    assert view(run(m, s, ("PLACE", {"n": 2})), 2).allocs == ("healthy", "stopping")


def test_an_allocation_turning_healthy_restarts_the_progress_deadline():
    from statecharts.actions import Send

    m, s = start(nodes=2)
    s = run(m, deploy(m, s), ("PLACE", {"n": 1}), ("ALLOC_STOPPED", {"n": 1}), ("ALLOC_HEALTHY", {"n": 1}))
    s = run(m, s, timer(m, "min_healthy_time", "a1"))
    resent = [e.action.id for e in s.effects if isinstance(e.action, Send)]
    assert resent == ["xstate.after.progress_deadline.deployment.running.progressing"]
