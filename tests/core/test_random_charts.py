"""Random dict charts (nested, parallel, history, cross-region and self targets, ``reenter``):
every configuration reached is legal (W3C 3.11, as `restore` checks it) and round-trips through
``dumps``/``restore``. Derandomized (tests/conftest.py), so CI sees the same charts every run."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statecharts import Machine
from statecharts.state import check_configuration

EVENTS = ("A", "B", "C")


@st.composite
def dict_charts(draw: st.DrawFn) -> dict[str, Any]:
    """A chart dict whose transitions point anywhere (``#id`` targets), parallel root included."""
    ids: list[str] = []
    specs: dict[str, dict[str, Any]] = {}

    def build(path: str, depth: int, kind: str) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        specs[path] = spec
        if kind == "final":
            spec["type"] = "final"
            return spec
        if kind == "parallel" or (depth < 3 and draw(st.booleans())):
            count = draw(st.integers(1, 3))
            children: dict[str, Any] = {}
            for index in range(count):
                child_kind = (
                    "state"
                    if kind == "parallel" or index == 0
                    else draw(st.sampled_from(("state", "state", "parallel", "final")))
                )
                if depth >= 2 and child_kind == "parallel":
                    child_kind = "state"
                key = f"s{len(specs)}"
                children[key] = build(f"{path}.{key}", depth + 1, child_kind)
                ids.append(f"{path}.{key}")
            if draw(st.booleans()):
                key = f"h{len(specs)}"
                children[key] = {"type": "history", "history": draw(st.sampled_from(("shallow", "deep")))}
                ids.append(f"{path}.{key}")
            spec["states"] = children
            if kind == "parallel":
                spec["type"] = "parallel"
            else:
                spec["initial"] = next(iter(children))
        return spec

    root = build("m", 0, draw(st.sampled_from(("state", "parallel"))))
    for path, spec in specs.items():
        if spec.get("type") == "final" or path == "m" and not ids:
            continue
        on: dict[str, Any] = {}
        for event in draw(st.lists(st.sampled_from(EVENTS), max_size=2, unique=True)):
            target = draw(st.sampled_from([path, *ids]))
            on[event] = {"target": f"#{target}", "reenter": draw(st.booleans())}
        if on:
            spec["on"] = on
    return {"id": "m", **root}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(dict_charts(), st.lists(st.sampled_from(EVENTS), max_size=8))
def test_every_reached_configuration_is_legal_and_round_trips(chart: dict[str, Any], events: list[str]) -> None:
    m = Machine(chart)
    s = m.initial_state()
    for event in [None, *events]:
        if event is not None:
            s = m.transition(s, event)
        check_configuration(m, s.configuration_nodes)
        assert m.restore(s.dumps()) == s


def test_a_parallel_state_targeting_its_own_descendant_keeps_every_region():
    """SCXML: a parallel source is no transition domain; the state is left and re-entered."""
    m = Machine(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "type": "parallel",
                    "on": {"GO": "#m.p.r1.b"},
                    "states": {
                        "r1": {"initial": "a", "states": {"a": {}, "b": {}}},
                        "r2": {"initial": "x", "states": {"x": {}, "y": {}}, "on": {"Y": ".y"}},
                    },
                }
            },
        }
    )
    s = m.transition(m.transition(m.initial_state(), "Y"), "GO")
    assert s.value == {"p": {"r1": "b", "r2": "x"}}
    assert m.transition(m.initial_state(), {"type": "GO"}).value == {"p": {"r1": "b", "r2": "x"}}


def test_a_cross_region_transition_under_a_parallel_root_keeps_every_region():
    m = Machine(
        {
            "id": "m",
            "type": "parallel",
            "states": {
                "a": {"initial": "a1", "states": {"a1": {"on": {"GO": "#m.b.b2"}}, "a2": {}}},
                "b": {"initial": "b1", "states": {"b1": {}, "b2": {}}},
            },
        }
    )
    s = m.transition(m.initial_state(), "GO")
    assert s.value == {"a": "a1", "b": "b2"}
    assert m.restore(s.dumps()) == s


def test_a_history_transition_enters_under_the_domain_it_exited_from():
    """The exits record the parallel state's history; the entry must not then pick a lower domain."""
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"A": "p"}},
                "p": {
                    "type": "parallel",
                    "states": {
                        "r": {"initial": "x", "states": {"x": {"on": {"B": {"target": "#m.p.h", "reenter": True}}}}},
                        "h": {"type": "history", "history": "deep"},
                    },
                },
            },
        }
    )
    s = m.transition(m.transition(m.initial_state(), "A"), "B")
    assert s.value == {"p": {"r": "x"}}
    assert m.restore(s.dumps()) == s
