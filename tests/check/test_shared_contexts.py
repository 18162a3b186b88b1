"""The full walk stores each distinct context once (`statecharts.check.kernel.SharedContexts`) and
remembers, per context, what a configuration's guards chose and where a compiled step's assigns
lead: a guard or assign runs once per context, event and chains, not once per state, and the graph
is the one the compact walk (which remembers nothing) gives."""

from __future__ import annotations

from typing import Any

import pytest

from machines.cluster_update import model as cluster_model
from statecharts import Machine, assign
from statecharts.check import check, explore
from statecharts.check.graph import Expander
from statecharts.check.kernel import SharedContexts, StateKeys, StepCompiler
from statecharts.check.model import Model, events
from tests.check.test_compact import graph_summary, report_summary


def _pair_model(calls: list[Any]) -> Model:
    """Two independent regions: ``lamp`` (flipped by FLIP, so each context is reached in two
    configurations) and ``counter``, whose guard reads the event's payload and counts its calls."""

    def below(context: Any, event: Any) -> bool:
        calls.append((context["n"], event.data["by"]))
        return bool(context["n"] + event.data["by"] <= 3)

    machine = Machine(
        {
            "id": "pair",
            "type": "parallel",
            "context": {"n": 0},
            "states": {
                "lamp": {"initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {"on": {"FLIP": "off"}}}},
                "counter": {
                    "initial": "run",
                    "states": {
                        "run": {
                            "on": {"ADD": {"guard": below, "actions": assign(n=lambda c, e: c["n"] + e.data["by"])}}
                        }
                    },
                },
            },
        }
    )
    return Model(machine, alphabet=events("FLIP") + events("ADD", by=[1, 2]))


def test_a_guard_that_reads_the_payload_is_remembered_per_event_and_context() -> None:
    calls: list[Any] = []
    m = _pair_model(calls)
    graph = explore(m)
    assert len(graph.states) == 8  # n in 0..3, lamp off or on
    # each (n, by) once, though every context is expanded in two configurations
    assert sorted(calls) == sorted({(n, by) for n in range(4) for by in (1, 2)})
    remembered = len(calls)
    calls.clear()
    assert graph_summary(explore(m, compact=True)) == graph_summary(graph)
    assert len(calls) == 2 * remembered  # the compact walk remembers nothing


def test_states_with_equal_contexts_share_one_context_object() -> None:
    graph = explore(cluster_model(2, 2))
    contexts = {s.context for s in graph.states}
    assert len({id(s.context) for s in graph.states}) == len(contexts) < len(graph.states)
    assert all(graph.find(s) == i for i, s in enumerate(graph.states))


def test_the_cluster_check_with_remembered_steps_is_the_compact_check() -> None:
    m = cluster_model(2, 3)
    broken = {**m.invariants, "at most 2 requests": lambda s: s.context["reqCounter"] <= 2}
    checked = Model(**{**m.__dict__, "invariants": broken})
    expected = check(checked, compact=True)
    assert report_summary(check(checked)) == report_summary(expected)
    assert not expected.result("at most 2 requests").holds


def test_expanding_a_state_of_shared_contexts_without_its_context_is_refused() -> None:
    """The memories are indexed by the state's context id: an `Expander` that was not told it
    refuses, rather than reading another context's remembered choices."""
    model = _pair_model([])
    s = model.machine.initial_state()
    keys = StateKeys(tuple(s.context))
    shared = SharedContexts(keys)
    expander = Expander(StepCompiler(model.machine, tuple(model.events()), shared), keys, False, None, {}, None, shared)
    with pytest.raises(TypeError, match="here_states"):
        expander.expand(0, s, 1, lambda key: None, lambda *a: 0, lambda: 1, [], set())
