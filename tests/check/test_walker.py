"""The walker's exploration: shortest traces, stutters, deadlocks, bounds, coverage, symmetry."""

from __future__ import annotations

import pytest

from machines.cluster_update import model as cluster_model
from statecharts import EventlessLoopError, Machine, StatechartError, and_, assign, or_, payload
from statecharts.check import Bounds, Model, check, configuration_predicate, events, explore
from statecharts.check.graph import UnhashableStateError, WalkError

COUNTER = Machine(
    {
        "id": "counter",
        "context": {"n": 0},
        "initial": "on",
        "states": {
            "on": {
                "on": {
                    "INC": {"guard": lambda c, e: c["n"] < 5, "actions": assign(n=lambda c, e: c["n"] + 1)},
                    "DEC": {"guard": lambda c, e: c["n"] > 0, "actions": assign(n=lambda c, e: c["n"] - 1)},
                    "RESET": {"actions": assign(n=0)},
                }
            }
        },
    }
)


def counter(**kw):
    return Model(COUNTER, alphabet=events("INC") + events("DEC") + events("RESET"), **kw)


def test_breadth_first_gives_the_shortest_trace_to_a_violation():
    report = check(counter(invariants={"below 4": lambda s: s.context["n"] < 4}))
    result = report.result("below 4")
    assert not result.holds
    assert [step.event.name for step in result.trace.steps[1:]] == ["INC"] * 4
    assert result.trace[0].event is None and result.trace[-1].snapshot.context["n"] == 4


def test_an_event_that_changes_nothing_is_a_stutter_not_an_edge():
    graph = explore(counter())
    assert len(graph.states) == 6
    # RESET in n=0 and DEC in n=0 change nothing: state 0 has only INC
    assert [graph.events[e].name for e, _ in graph.edges[0]] == ["INC"]
    assert graph.transitions == 5 + 5 + 5  # INC (0..4), DEC (1..5), RESET (1..5)


def test_statistics_are_reported():
    report = check(counter())
    assert (report.distinct_states, report.transitions, report.depth, report.complete) == (6, 15, 5, True)
    assert report.seconds >= 0 and report.states_per_second > 0


def test_a_state_without_successors_is_a_deadlock_with_its_trace():
    machine = Machine({"id": "d", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    result = check(Model(machine, alphabet=events("GO"))).result("deadlock")
    assert not result.holds and result.trace[-1].snapshot.matches("b") and len(result.trace) == 2


def test_a_final_state_or_a_declared_terminal_state_is_no_deadlock():
    final = Machine({"id": "f", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}}})
    assert check(Model(final, alphabet=events("GO"))).result("deadlock").holds
    plain = Machine({"id": "p", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    assert check(Model(plain, alphabet=events("GO"), terminal=lambda s: s.matches("b"))).result("deadlock").holds


def test_a_constraint_keeps_states_but_does_not_expand_them():
    graph = explore(counter(constraint=lambda s: s.context["n"] < 2))
    assert sorted(s.context["n"] for s in graph.states) == [0, 1, 2]
    assert graph.complete


@pytest.mark.parametrize("bounds,reason", [(Bounds(max_states=3), "state bound"), (Bounds(max_depth=2), "depth bound")])
def test_a_bounded_walk_stops_cleanly_says_so_and_still_reports(bounds, reason):
    report = check(
        counter(invariants={"small": lambda s: s.context["n"] < 2}),
        max_states=bounds.max_states,
        max_depth=bounds.max_depth,
    )
    assert not report.complete and reason in report.stopped_by
    assert not report.result("small").holds  # found before the bound
    assert "INCOMPLETE" in report.format()


def test_a_time_bound_stops_an_infinite_walk():
    report = check(cluster_model(workers=2, requests=1, lock=False), max_seconds=0.3, temporal=False)
    assert not report.complete and "time bound" in report.stopped_by


def test_coverage_names_states_never_active_and_transitions_never_taken():
    machine = Machine(
        {
            "id": "c",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": "b", "NEVER": {"target": "c", "guard": lambda c, e: False}}},
                "b": {},
                "c": {},
            },
        }
    )
    report = check(Model(machine, alphabet=events("GO") + events("NEVER"), terminal=lambda s: True))
    assert report.coverage.states_never_active == ("c.c",)
    assert report.coverage.transitions_never_taken == ("c.a --NEVER--> c.c",)


def test_a_chart_that_cannot_settle_is_an_error_naming_the_state_and_event():
    machine = Machine(
        {"id": "loop", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"always": "c"}, "c": {"always": "b"}}}
    )
    with pytest.raises(WalkError, match="GO") as caught:
        explore(Model(machine, alphabet=events("GO")))
    assert isinstance(caught.value.__cause__, EventlessLoopError)


def test_an_unhashable_context_value_names_the_key():
    machine = Machine(
        {
            "id": "u",
            "context": {"items": ()},
            "initial": "a",
            "states": {"a": {"on": {"ADD": {"actions": assign(items=lambda c, e: bytearray(b"1"))}}}},
        }
    )
    with pytest.raises(UnhashableStateError, match="'items' \\(bytearray\\)"):
        explore(Model(machine, alphabet=events("ADD")))
    assert issubclass(UnhashableStateError, StatechartError)


def test_several_initial_contexts_are_all_explored():
    graph = explore(cluster_model(workers=1, requests=1))
    assert {graph.states[i].context["confOK"] for i in graph.initial} == {False, True}


def test_symmetry_keeps_verdicts_and_accounts_for_every_state():
    full = check(cluster_model(workers=3, requests=3), temporal=False)
    reduced = check(cluster_model(workers=3, requests=3), temporal=False, symmetry=True)
    assert reduced.distinct_states < full.distinct_states / 10
    assert reduced.symmetry["represented"] == full.distinct_states
    assert reduced.symmetry["saved"] == full.distinct_states - reduced.distinct_states
    assert [(r.name, r.holds) for r in reduced.results] == [(r.name, r.holds) for r in full.results]


def test_symmetry_finds_the_same_invariant_violation():
    reduced = check(cluster_model(workers=2, requests=1, lock=False), symmetry=True, temporal=False, max_states=2000)
    result = reduced.result("NoConcurrentUpdateW")
    assert not result.holds and len(result.trace) == 7


def test_symmetry_naming_a_region_the_chart_lacks_is_an_error():
    from statecharts.check import Symmetry

    with pytest.raises(StatechartError, match="'w9'"):
        explore(Model(COUNTER, symmetry=[Symmetry(("w9",))]), symmetry=True)


# -- the walker's shortcuts agree with machine.transition (found in review) ------------------------
def reachable_by_transition(model):
    """A plain BFS over machine.transition: what the walker must find."""
    seen = list(model.initial_states())
    for s in seen:
        for event in model.events():
            t = model.machine.transition(s, event)
            if t not in seen:
                seen.append(t)
    return seen


def boom(context, event):
    raise RuntimeError("guard failed")


@pytest.mark.parametrize(
    "name,config",
    [
        (
            "an eventless guard reads the external event",
            {"id": "m", "initial": "a", "states": {"a": {"always": {"target": "b", "guard": payload(x=1)}}, "b": {}}},
        ),
        (
            "an assign updater that returns nothing is an error.execution",
            {
                "id": "m",
                "context": {"n": 0},
                "initial": "a",
                "states": {
                    "a": {
                        "on": {
                            "GO": {"actions": assign(lambda c, e: None)},
                            "error.execution": {"actions": assign(n=99)},
                        }
                    }
                },
            },
        ),
        (
            "a raising guard before a payload guard in or_",
            {
                "id": "m",
                "initial": "a",
                "states": {
                    "a": {"on": {"GO": {"target": "b", "guard": or_(boom, payload(x=1))}, "error.execution": "err"}},
                    "b": {},
                    "err": {},
                },
            },
        ),
        (
            "a raising guard before a payload guard in and_",
            {
                "id": "m",
                "initial": "a",
                "states": {
                    "a": {"on": {"GO": {"target": "b", "guard": and_(boom, payload(x=1))}, "error.execution": "err"}},
                    "b": {},
                    "err": {},
                },
            },
        ),
    ],
)
def test_the_walker_reaches_exactly_what_machine_transition_reaches(name, config):
    noise = events("NOPE", x=[0, 1]) if "eventless" in name else ()  # heard only by eventless guards
    model = Model(Machine(config), alphabet=events("GO", x=[0, 1]) + noise)
    walked = explore(model).states
    assert set(walked) == set(reachable_by_transition(model)), name
    assert len(walked) > 1, name


def test_a_state_where_events_fire_but_change_nothing_is_no_deadlock():
    machine = Machine({"id": "p", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"PING": "b"}}}})
    assert check(Model(machine, alphabet=events("GO") + events("PING"))).result("deadlock").holds


def test_states_cut_by_bounds_or_constraint_are_no_fair_place_to_stutter():
    from statecharts.check import Fairness, eventually

    def counter_model(**kw):
        return Model(
            COUNTER,
            alphabet=events("INC"),
            fairness=[Fairness("weak", "INC")],
            properties={"reach5": eventually(lambda s: s.context["n"] == 5)},
            **kw,
        )

    assert check(counter_model()).result("reach5").holds
    assert check(counter_model(), max_states=3).result("reach5").holds
    assert check(counter_model(), max_depth=2).result("reach5").holds
    constrained = check(counter_model(constraint=lambda s: s.context["n"] < 2)).result("reach5")
    assert constrained.holds and "expanded part" in constrained.note


def test_symmetry_over_regions_with_history_is_refused():
    from statecharts.check import Symmetry

    def region(w):
        return {
            "id": f"w{w}",
            "initial": "idle",
            "states": {
                "idle": {"on": {"GO": {"target": "busy.hist", "guard": payload(w=w)}}},
                "busy": {"initial": "a", "states": {"hist": {"type": "history"}, "a": {}}},
            },
        }

    machine = Machine({"id": "h", "type": "parallel", "states": {"w1": region(1), "w2": region(2)}})
    with pytest.raises(StatechartError, match="history state 'w1.busy.hist'"):
        check(Model(machine, alphabet=events("GO", w=[1, 2]), symmetry=[Symmetry(("w1", "w2"))]), symmetry=True)


@pytest.mark.parametrize("workers,requests", [(2, 2), (3, 2)])
def test_lassos_found_under_symmetry_are_replayed_on_real_states(workers, requests):
    m = cluster_model(workers=workers, requests=requests)
    trace = check(m, symmetry=True).result("Converges").trace
    machine = m.machine
    for before, step in zip(trace.steps, trace.steps[1:], strict=False):
        if not step.stutter:
            assert machine.transition(before.snapshot, step.event) == step.snapshot
    assert trace[-1].snapshot == trace[trace.cycle_start].snapshot


def test_a_model_names_its_mistakes():
    from statecharts import ConfigError
    from statecharts.check import Fairness, eventually

    with pytest.raises(ConfigError, match="alphabet\\[0\\]: no transition of 'counter' listens for 'INK'.*'INC'"):
        Model(COUNTER, alphabet=events("INK"))
    with pytest.raises(ConfigError, match="alphabet\\[0\\] is 5"):
        Model(COUNTER, alphabet=[5])
    with pytest.raises(ConfigError, match="'p' must be a temporal property.*eventually"):
        Model(COUNTER, properties={"p": lambda s: True})
    with pytest.raises(ConfigError, match="'i' must be a predicate"):
        Model(COUNTER, invariants={"i": 5})
    with pytest.raises(ConfigError, match="fairness\\[0\\]"):
        Model(COUNTER, fairness=["INC"])
    with pytest.raises(ConfigError, match="initial_contexts\\[0\\]"):
        Model(COUNTER, initial_contexts=[5])
    assert Model(COUNTER, alphabet=["INC"]).alphabet == events("INC")  # names are events
    assert Model(COUNTER, properties={"p": eventually(lambda s: True)}, fairness=[Fairness("weak", "INC")])


def test_a_model_predicate_that_raises_names_itself_and_the_state():
    from statecharts import PredicateError
    from statecharts.check import eventually

    with pytest.raises(PredicateError, match="invariant 'boom' raised ZeroDivisionError.*state 'on'"):
        check(counter(invariants={"boom": lambda s: 1 / 0}))
    with pytest.raises(PredicateError, match="property 'p' raised KeyError"):
        check(counter(properties={"p": eventually(lambda s: s.context["x"])}))


def test_symmetry_context_keys_must_hold_one_value_per_region():
    from statecharts.check import Symmetry

    m = cluster_model(workers=2, requests=1)
    import dataclasses

    bad = dataclasses.replace(m, symmetry=[Symmetry(("w1", "w2"), context=("toApply",))])
    with pytest.raises(StatechartError, match="'toApply' must hold a tuple"):
        check(bad, symmetry=True)


def test_check_accepts_a_bare_machine():
    assert check(COUNTER).distinct_states == 6  # no alphabet: the chart's event names, without payload


def test_a_symmetry_group_of_different_regions_is_refused():
    from statecharts.check import Symmetry

    m = cluster_model(workers=1, requests=1)
    import dataclasses

    bad = dataclasses.replace(m, symmetry=[Symmetry(("w1", "r1"))])
    with pytest.raises(StatechartError, match="'w1' and 'r1' do not have the same states"):
        check(bad, symmetry=True)


def test_a_configuration_predicate_is_decided_once_per_configuration_and_finds_the_shortest_trace():
    lamp = Machine(
        {
            "id": "lamp",
            "context": {"n": 0},
            "initial": "off",
            "states": {
                "off": {"on": {"FLIP": {"target": "on", "actions": assign(n=lambda c, e: (c["n"] + 1) % 4)}}},
                "on": {"on": {"FLIP": {"target": "off", "actions": assign(n=lambda c, e: (c["n"] + 1) % 4)}}},
            },
        }
    )
    on = lamp.get_state("lamp.on")
    seen = []

    def dark(nodes):
        seen.append(nodes)
        return on not in nodes

    report = check(Model(lamp, alphabet=events("FLIP"), invariants={"dark": configuration_predicate(dark)}))
    assert report.distinct_states == 4 and len(seen) == 2  # 4 states, 2 configurations
    result = report.result("dark")
    assert not result.holds and [step.snapshot.value for step in result.trace] == ["off", "on"]


def test_states_reached_through_remembered_guards_and_assigns_match_the_generic_walk():
    # the full walk's new states of stored contexts (`Expander.add_new`) and its remembered tuple
    # selections (GO moves both regions) give the same graph as the compact walk, which stores
    # every state through `add`
    step = {"actions": assign(n=lambda c, e: (c["n"] + 1) % 3)}
    region = {
        "initial": "a",
        "states": {
            "a": {"on": {"GO": {"target": "b", **step}, "LEFT": "b"}},
            "b": {"on": {"GO": {"target": "a", **step}}},
        },
    }
    pair = Machine({"id": "pair", "type": "parallel", "context": {"n": 0}, "states": {"left": region, "right": region}})
    both = Model(pair, alphabet=events("GO") + events("LEFT"))
    full, compact = explore(both), explore(both, compact=True)
    assert len(full.states) == len(compact.states) == 6 and full.transitions == compact.transitions
    assert [s for s in full.states] == [compact.states[i] for i in range(len(compact.states))]
    assert [sorted(e) for e in full.edges] == [sorted(compact.edges[i]) for i in range(len(compact.states))]
    assert full.taken == compact.taken and full.found == compact.found
