"""What a TLC user expects of the walker: coverage per transition, action constraints, action
properties, a walk from given states."""

from __future__ import annotations

import pytest

from statecharts import Machine, assign
from statecharts.check import Model, check, events, explore
from statecharts.errors import ConfigError, PredicateError

COUNTER = Machine({
    "id": "counter", "context": {"n": 0}, "initial": "on",
    "states": {"on": {"on": {
        "INC": {"guard": lambda c, e: c["n"] < 3, "actions": assign(n=lambda c, e: c["n"] + 1)},
        "DEC": {"guard": lambda c, e: c["n"] > 0, "actions": assign(n=lambda c, e: c["n"] - 1)},
        "RESET": {"actions": assign(n=0)},
    }}},
})


def counter(**kw) -> Model:
    return Model(COUNTER, alphabet=events("INC") + events("DEC") + events("RESET"), **kw)


def rows(report) -> dict[str, tuple[int, int]]:
    return {a.transition.split("--")[1]: (a.taken, a.found) for a in report.coverage.actions}


def test_coverage_counts_steps_taken_and_new_states_found_per_transition():
    report = check(counter())
    # INC is taken in n=0,1,2 and finds every new state; DEC in n=1,2,3 finds none;
    # RESET is taken in all four states (in n=0 it changes nothing, still a step that fired)
    assert rows(report) == {"INC": (3, 3), "DEC": (3, 0), "RESET": (4, 0)}
    data = report.to_json()["coverage"]["actions"]
    assert [(a["taken"], a["found"]) for a in data] == [(3, 3), (3, 0), (4, 0)]
    assert "coverage:" in report.format(actions=True) and "coverage:" not in report.format()


def test_new_states_found_add_up_to_the_states_reached():
    from machines.cluster_update import model

    report = check(model(2, 2), temporal=False)
    graph = report.graph
    assert sum(a.found for a in report.coverage.actions) >= report.distinct_states - len(graph.initial)
    assert all(a.taken >= a.found for a in report.coverage.actions)
    assert {a.transition for a in report.coverage.actions if a.taken == 0} == \
        set(report.coverage.transitions_never_taken)


def test_an_action_constraint_prunes_the_steps_it_refuses():
    # no step may go up by one from 2: n=3 becomes unreachable
    below = counter(action_constraint=lambda s, e, t: not (e.name == "INC" and s.context["n"] == 2))
    graph = explore(below)
    assert sorted(s.context["n"] for s in graph.states) == [0, 1, 2]
    assert check(below).coverage.transitions_never_taken == ()


def test_an_action_property_is_checked_on_every_step_with_a_shortest_trace():
    steps_by_one = {"steps by one": lambda s, e, t: abs(t.context["n"] - s.context["n"]) <= 1}
    report = check(counter(action_properties=steps_by_one))
    result = report.result("steps by one")
    assert result.kind == "action" and not result.holds
    # the shortest behaviour with a jump of 2: INC, INC, RESET
    assert [step.event.name for step in result.trace.steps[1:]] == ["INC", "INC", "RESET"]
    assert [step.snapshot.context["n"] for step in result.trace.steps] == [0, 1, 2, 0]
    assert check(counter(action_properties={"no skip": lambda s, e, t: t.context["n"] <= 3})).ok


def test_stuttering_steps_are_not_asked_by_an_action_property():
    # RESET in n=0 changes nothing: [][P]_vars allows it whatever P says
    report = check(counter(action_properties={"never RESET to 0": lambda s, e, t: e.name != "RESET"}))
    trace = report.result("never RESET to 0").trace
    assert [step.event.name for step in trace.steps[1:]] == ["INC", "RESET"]


def test_an_action_property_that_raises_names_itself_and_the_step():
    with pytest.raises(PredicateError, match=r"action property 'bad' raised KeyError: 'm' on Event\('INC'\)"):
        check(counter(action_properties={"bad": lambda s, e, t: t.context["m"]}))


def test_step_predicates_must_be_callables():
    with pytest.raises(ConfigError, match="action_constraint must be a function of"):
        counter(action_constraint=3)
    with pytest.raises(ConfigError, match="'p' must be a predicate fn"):
        counter(action_properties={"p": 3})


def test_a_walk_from_given_states_reaches_only_what_follows_them():
    from_two = COUNTER.transition(COUNTER.transition(COUNTER.initial_state(), "INC"), "INC")
    report = check(counter(invariants={"never 0": lambda s: s.context["n"] != 0}), initial=[from_two])
    assert report.distinct_states == 4  # 2, then 3, 1 and 0
    trace = report.result("never 0").trace
    assert trace.steps[0].snapshot.context["n"] == 2 and [s.event.name for s in trace.steps[1:]] == ["RESET"]
