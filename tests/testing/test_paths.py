"""Test paths from the state graph: state cover, transition cover, simple paths."""

from __future__ import annotations

import pytest

from machines.cluster_update import model
from statecharts.check import Bounds, explore
from statecharts.check.paths import (
    PathsError,
    TestPath,
    shortest_paths,
    simple_paths,
    state_cover,
    transition_cover,
)
from statecharts.check.successor import successor


@pytest.fixture(scope="module")
def graph():
    return explore(model(workers=2, requests=2))


def assert_valid(path: TestPath, initial_states) -> None:
    """The path starts in an initial state and each expected snapshot is the chart's next one."""
    assert path.initial in initial_states
    for before, step in zip(path.trace.steps, path.trace.steps[1:], strict=False):
        assert step.snapshot == before.snapshot.machine.transition(before.snapshot, step.event)
        assert step.snapshot != before.snapshot  # no stutter steps in a test path


def test_shortest_paths_reach_each_state_in_its_breadth_first_depth(graph):
    paths = shortest_paths(graph)
    assert len(paths) == len(graph.states) == 212
    for i, path in enumerate(paths):
        assert path.final == graph.states[i]
        assert len(path) == graph.depth[i]
    for path in paths[::17]:
        assert_valid(path, graph.states[:2])


def test_state_cover_visits_every_reachable_state_with_fewer_paths(graph):
    paths = state_cover(graph)
    visited = {step.snapshot for p in paths for step in p.trace}
    assert visited == set(graph.states)
    assert len(paths) < len(graph.states)
    for path in paths:
        assert_valid(path, graph.states[:2])


def test_edge_cover_takes_every_edge_of_the_state_graph(graph):
    paths = transition_cover(graph, of="edges")
    taken = {
        (graph.find(a.snapshot), b.event, graph.find(b.snapshot))
        for p in paths
        for a, b in zip(p.trace.steps, p.trace.steps[1:], strict=False)
    }
    edges = {(i, graph.events[e], j) for i, out in enumerate(graph.edges) for e, j in out}
    assert taken == edges and len(edges) == 382
    for path in paths:
        assert_valid(path, graph.states[:2])


def test_transition_cover_fires_every_chart_transition_the_walk_fires():
    m = model(workers=2, requests=2)
    graph = explore(m)  # coverage on: graph.fired holds every chart transition the walk took
    paths = transition_cover(graph, of="transitions")
    fired = []
    for p in paths:
        for a, b in zip(p.trace.steps, p.trace.steps[1:], strict=False):
            successor(a.snapshot, b.event, fired)
    assert set(fired) == graph.fired
    assert len(paths) <= 8 and sum(len(p) for p in paths) < 60  # far fewer steps than the edge cover


def test_cover_paths_are_split_at_max_length(graph):
    paths = transition_cover(graph, of="edges", max_length=15)
    assert max(len(p) for p in paths) <= 15
    taken = sum(1 for p in paths for _ in p.events)
    assert taken >= 382


def brute_force_simple_paths(graph, is_target, max_length):
    """Every simple path by plain depth-first search, no pruning: the reference."""
    out = []

    def dfs(i, events, seen):
        if is_target(i):
            out.append(tuple(events))
            return
        if len(events) == max_length:
            return
        for e, j in graph.edges[i]:
            if j not in seen:
                dfs(j, [*events, graph.events[e]], seen | {j})

    for s in graph.initial:
        dfs(s, [], {s})
    return out


def test_simple_paths_are_exactly_the_paths_a_plain_search_finds(graph):
    failed = graph.model.machine.get_state("#cluster.failed")
    paths = list(simple_paths(graph, "#cluster.failed", max_length=9))
    reference = brute_force_simple_paths(graph, lambda i: failed in graph.states[i].configuration_nodes, 9)
    assert sorted(map(repr, (p.events for p in paths))) == sorted(map(repr, reference))
    assert len(paths) == len(reference) > 10
    for p in paths:
        states = [step.snapshot for step in p.trace]
        assert len(set(states)) == len(states)  # simple
        assert p.final.matches("#cluster.failed")
        assert not any(s.matches("#cluster.failed") for s in states[:-1])  # stops at the first
        assert len(p) <= 9


def test_simple_paths_take_predicates_a_start_and_a_limit(graph):
    def rolled_back(s):
        return s.context["lastVOK"] == 10

    def failed(s):
        return s.matches("#cluster.failed")

    paths = list(simple_paths(graph, rolled_back, start=failed, max_length=3, limit=4))
    assert len(paths) == 4
    for p in paths:
        assert p.final.context["lastVOK"] == 10
        assert_valid(p, graph.states[:2])  # prefixed by a shortest path to the start: runnable
        starts = [k for k, step in enumerate(p.trace) if step.snapshot.matches("#cluster.failed")]
        assert starts and len(p) - starts[0] <= 3


def test_simple_paths_beyond_the_distance_bound_are_none(graph):
    assert list(simple_paths(graph, "#cluster.failed", max_length=4)) == []


def test_paths_refuse_a_symmetry_reduced_graph():
    reduced = explore(model(workers=2, requests=2), symmetry=True)
    with pytest.raises(PathsError, match="symmetry"):
        state_cover(reduced)


def test_paths_of_a_bounded_walk_cover_the_explored_part_only():
    m = model(workers=2, requests=1, lock=False)  # an unbounded state space
    graph = explore(m, Bounds(max_states=300))
    paths = state_cover(graph)
    assert not graph.complete and paths
    assert {s.snapshot for p in paths for s in p.trace} <= set(graph.states)


def test_a_path_prints_as_a_test_description():
    path = next(simple_paths(model(workers=1, requests=1), "#cluster.failed", max_length=5))
    text = path.format()
    assert text.splitlines()[0] == "simple path to #cluster.failed"
    assert "given the initial state: requests.r1=waiting, workers.w1=waiting, cluster=idle" in text
    assert "confOK=True" in text
    assert "  5. APPLY_FINISH(w=1, ok=False) -> workers.w1=waiting, cluster=failed; toApply=10" in text
    assert repr(path).startswith("TestPath(SUBMIT(r=1), PUSH(r=1)")
    data = path.to_json()
    assert data["steps"][0]["event"] is None
    assert data["steps"][-1]["data"] == {"w": 1, "ok": False}


def test_a_counterexample_trace_prints_active_states_as_a_test_path_does():
    path = next(simple_paths(model(workers=1, requests=1), "#cluster.failed", max_length=5))
    lines = path.trace.format().splitlines()
    assert lines[0] == "0. initial: requests.r1=waiting, workers.w1=waiting, cluster=idle"
    assert lines[-1] == "5. APPLY_FINISH(w=1, ok=False) -> requests.r1=valid, workers.w1=waiting, cluster=failed"
