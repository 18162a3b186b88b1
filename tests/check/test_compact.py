"""The compact state graph (statecharts/check/compact.py) is the default graph in less memory: the
same states in the same order, edges, parents, self-loops, coverage, verdicts and shortest traces."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from machines.cluster_update import model as cluster_model
from statecharts import EventlessLoopError, Machine, assign
from statecharts.check import Bounds, Model, check, events, explore
from statecharts.check.compact import StoredStates
from statecharts.check.graph import StateGraph, UnhashableStateError, WalkError
from tests.check.test_kernel import charts


def graph_summary(graph: StateGraph) -> tuple[Any, ...]:
    return (
        list(graph.states),
        [list(out) for out in graph.edges],
        list(graph.parent),
        list(graph.via),
        list(graph.depth),
        [bool(x) for x in graph.expanded],
        graph.initial,
        graph.self_loops,
        graph.transitions,
        graph.taken,
        graph.found,
        graph.raised,
        graph.complete,
        graph.stopped_by,
        graph.active_nodes(),
    )


def report_summary(report: Any) -> tuple[Any, ...]:
    return (
        report.distinct_states,
        report.transitions,
        report.depth,
        report.complete,
        report.stopped_by,
        [
            (r.name, r.holds, r.note, None if r.trace is None else [(s.event, s.snapshot) for s in r.trace.steps])
            for r in report.results
        ],
        report.coverage,
    )


# derandomized (tests/conftest.py): the same charts in every run
@settings(max_examples=80, deadline=None)
@given(charts())
def test_compact_graph_of_random_charts_is_the_default_graph(model: Model) -> None:
    try:
        expected = explore(model)
    except (WalkError, EventlessLoopError) as exc:  # a raised B that a B transition raises again
        with pytest.raises(type(exc)):
            explore(model, compact=True)
        return
    compact = explore(model, compact=True)
    assert isinstance(compact.states, StoredStates)
    assert graph_summary(compact) == graph_summary(expected)
    assert all(compact.find(s) == i for i, s in enumerate(expected.states))


@settings(max_examples=30, deadline=None)
@given(charts())
def test_compact_check_of_random_charts_gives_the_same_verdicts_and_shortest_traces(model: Model) -> None:
    checked = Model(
        model.machine,
        alphabet=model.alphabet,
        invariants={"x below 2": lambda s: s.context["x"] < 2, "y stays 0": lambda s: s.context["y"] == 0},
    )
    try:
        expected = check(checked)
    except (WalkError, EventlessLoopError):
        return
    assert report_summary(check(checked, compact=True)) == report_summary(expected)


def test_compact_check_of_the_cluster_model_gives_the_same_verdicts_traces_and_lassos() -> None:
    base = cluster_model(2, 3)
    broken = {**base.invariants, "fewer than 2 requests": lambda s: s.context["reqCounter"] < 2}
    m = Model(**{**base.__dict__, "invariants": broken})
    expected, compact = check(m), check(m, compact=True)
    assert report_summary(compact) == report_summary(expected)
    assert not compact.result("fewer than 2 requests").holds and compact.distinct_states == 2909
    assert any(r.kind == "temporal" for r in compact.results)


def test_a_bounded_compact_walk_stops_where_the_default_one_does() -> None:
    m = cluster_model(2, 3)
    for bounds in (Bounds(max_states=500), Bounds(max_depth=4)):
        assert graph_summary(explore(m, bounds, compact=True)) == graph_summary(explore(m, bounds))


def test_tuple_values_are_shared_only_with_equal_tuples_of_the_same_element_types() -> None:
    pair = Machine(
        {
            "id": "pair",
            "context": {"a": (1,), "b": 0},
            "initial": "p",
            "states": {
                "p": {"on": {"SWAP": {"target": "q", "actions": assign(a=0, b=lambda c, e: (True,))}}},
                "q": {"on": {"BACK": {"target": "p", "actions": assign(a=lambda c, e: (1,), b=0)}}},
            },
        }
    )
    graph = explore(Model(pair, alphabet=events("SWAP") + events("BACK")), compact=True)
    first, second = graph.states[0], graph.states[1]
    assert (first.context["a"], second.context["b"]) == ((1,), (True,))
    assert type(second.context["b"][0]) is bool and graph.edges[1] == [(1, 0)]


def test_an_unhashable_context_is_named_in_the_compact_walk_too() -> None:
    bag = Machine(
        {
            "id": "bag",
            "context": {"items": ()},
            "initial": "open",
            "states": {"open": {"on": {"ADD": {"actions": assign(items=lambda c, e: bytearray(b"1"))}}}},
        }
    )
    with pytest.raises(UnhashableStateError, match="'items' \\(bytearray\\)"):
        explore(Model(bag, alphabet=events("ADD")), compact=True)


def test_check_compact_flag_reports_what_the_default_graph_does(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from statecharts.cli import main

    args = ["check", "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--json"]
    code = main(args)
    default = json.loads(capsys.readouterr().out)
    assert main([*args, "--compact"]) == code
    compact = json.loads(capsys.readouterr().out)
    assert compact["distinct_states"] == default["distinct_states"] == 212
    assert compact["results"] == default["results"]
