"""`StateGraph.shortest_route`: the one breadth-first search that test paths and lassos share."""

from __future__ import annotations

from itertools import pairwise

import pytest

from machines.cluster_update import model as cluster_model
from statecharts.check import explore


@pytest.fixture(scope="module")
def graph():
    return explore(cluster_model(workers=2, requests=1))


def is_route(graph, route) -> bool:
    return route[0][0] is None and all((e, j) in graph.edges[i] for (_, i), (e, j) in pairwise(route))


def test_a_route_from_the_initial_states_is_as_short_as_the_breadth_first_depth(graph):
    for target in range(len(graph.states)):
        route = graph.shortest_route(graph.initial, lambda i, t=target: i == t)
        assert route is not None and is_route(graph, route) and route[-1][1] == target
        assert route[0][1] in graph.initial and len(route) - 1 == graph.depth[target]


def test_a_route_stops_at_the_first_goal_and_a_source_meeting_it_is_a_route_of_no_steps(graph):
    start = graph.initial[0]
    assert graph.shortest_route([start], lambda i: True) == [(None, start)]
    deep = max(graph.depth) - 1
    route = graph.shortest_route(graph.initial, lambda i: graph.depth[i] >= deep)
    assert route is not None and is_route(graph, route) and len(route) - 1 == deep


def test_a_route_steps_only_within_the_region_and_is_none_when_the_goal_is_cut_off(graph):
    start = graph.initial[0]
    far = max(range(len(graph.states)), key=lambda i: graph.depth[i])
    region = {i for i in range(len(graph.states)) if graph.depth[i] < graph.depth[far]}
    assert graph.shortest_route([start], lambda i: i == far, within=region) is None
    near = graph.edges[start][0][1]
    route = graph.shortest_route([start], lambda i: i == near, within=region)
    assert route == [(None, start), graph.edges[start][0]]
    assert graph.shortest_route([], lambda i: True) is None


@pytest.mark.parametrize("compact", [False, True])
def test_the_walk_records_its_dead_ends_and_configurations_as_the_graph_has_them(compact):
    """`StateGraph.dead_ends` and `configurations` (read by the deadlock check and the coverage
    instead of a pass over every state) are what the stored graph says."""
    from statecharts import Machine, assign
    from statecharts.check.model import Model, events

    stuck = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": assign(n=lambda c, e: c["n"] + 1)}}},
                "b": {"on": {"GO": [{"target": "a", "guard": lambda c, e: c["n"] < 3}, {"target": "d"}], "STAY": {}}},
                "c": {},
                "d": {},
            },
        }
    )
    for model in (Model(stuck, alphabet=events("GO") + events("STAY")), cluster_model(2, 2)):
        g = explore(model, compact=compact)
        expected = [
            i
            for i in range(len(g.states))
            if g.expanded[i] and not g.edges[i] and i not in g.self_loops and g.states[i].status == "active"
        ]
        assert g.dead_ends == expected
        assert model.machine is not stuck or [g.states[i].value for i in expected] == ["d"]
        union = set().union(*(g.states[i].configuration_nodes for i in range(len(g.states))))
        assert g.active_nodes() == union
        assert (g.configurations is None) == compact
