"""Snapshot queries: enabled_events() and get_meta(); the py.typed marker ships with the package."""

from __future__ import annotations

from pathlib import Path

import statecharts
from statecharts import Machine, payload, state_in

CHART = Machine(
    {
        "id": "m",
        "context": {"n": 0},
        "type": "parallel",
        "states": {
            "door": {
                "initial": "closed",
                "states": {
                    "closed": {
                        "meta": {"icon": "lock"},
                        "on": {"OPEN": {"target": "open", "guard": state_in("#m.power.on")}},
                    },
                    "open": {"on": {"CLOSE": "closed"}},
                },
            },
            "power": {
                "initial": "off",
                "states": {
                    "off": {
                        "on": {
                            "ON": "on",
                            "BOOST": {"guard": payload(level=3)},
                            "BROKEN": {"guard": lambda c, e: 1 / 0},
                            "MAYBE": [{"guard": lambda c, e: e["x"] > 1}, {"guard": lambda c, e: c["n"] == 0}],
                        }
                    },
                    "on": {"on": {"OFF": "off"}},
                },
            },
        },
    }
)


def test_enabled_events_evaluate_guards_against_context_and_configuration() -> None:
    s = CHART.initial_state()
    names = {e.name: e.payload_dependent for e in s.enabled_events()}
    assert names == {"ON": False, "BOOST": True, "MAYBE": False}  # OPEN needs power on; BROKEN's guard raises
    on = CHART.transition(s, "ON")
    assert {e.name for e in on.enabled_events()} == {"OPEN", "OFF"}


def test_enabled_events_of_a_finished_machine_are_none() -> None:
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}}})
    assert m.transition(m.initial_state(), "GO").enabled_events() == ()


def test_get_meta_lists_active_states_with_meta() -> None:
    s = CHART.initial_state()
    assert s.get_meta() == {"m.door.closed": {"icon": "lock"}}
    assert CHART.transition(CHART.transition(s, "ON"), "OPEN").get_meta() == {}


def test_package_ships_a_py_typed_marker() -> None:
    assert (Path(statecharts.__file__).parent / "py.typed").is_file()
