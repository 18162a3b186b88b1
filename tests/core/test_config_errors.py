"""Every mistake in a chart is a ConfigError naming the state path and the key."""

import pytest

from statecharts import ConfigError, Machine, state_in


def error(config, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Machine(config, **kwargs)
    return info.value


def test_unknown_target_names_state_path_and_key_with_suggestion():
    e = error({"id": "m", "initial": "idle", "states": {"idle": {"on": {"GO": "runing"}}, "running": {}}})
    assert e.path == "m.idle" and e.key == "on.GO.target"
    assert "unknown target 'runing'" in str(e) and "did you mean 'running'" in str(e)


def test_missing_initial_lists_the_children():
    e = error({"id": "m", "states": {"a": {}, "b": {}}})
    assert e.key == "initial" and "a, b" in str(e)


def test_foreign_initial_is_rejected():
    e = error({"id": "m", "initial": "c", "states": {"a": {}, "b": {}}})
    assert e.key == "initial" and "not a child" in str(e)


def test_duplicate_ids_are_rejected():
    e = error({"id": "m", "initial": "a", "states": {"a": {"id": "x"}, "b": {"id": "x"}}})
    assert "duplicate state id 'x'" in str(e) and e.path == "m.b"


def test_unknown_state_key_suggests_the_right_one():
    e = error({"id": "m", "intial": "a", "states": {"a": {}}})
    assert e.key == "intial" and "did you mean 'initial'" in str(e)


def test_unknown_transition_key_points_to_xstate_v5_name():
    e = error({"id": "m", "initial": "a", "states": {"a": {"on": {"E": {"target": "a", "cond": "g"}}}}})
    assert "use 'guard'" in str(e) and e.key == "on.E.cond"


def test_unknown_guard_name():
    e = error(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"E": {"guard": "isOk"}}}}},
        guards={"isOK": lambda c, e: True},
    )
    assert "unknown guard 'isOk'" in str(e) and "did you mean 'isOK'" in str(e)


def test_unknown_action_name():
    e = error({"id": "m", "initial": "a", "states": {"a": {"entry": "greet"}}})
    assert e.path == "m.a" and e.key == "entry" and "unknown action 'greet'" in str(e)


def test_state_in_of_a_missing_state():
    e = error(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"E": {"target": "b", "guard": state_in("#m.c")}}}, "b": {}}}
    )
    assert "state_in('#m.c'): no such state" in str(e)


def test_history_outside_a_compound_state():
    e = error(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"states": {"h": {"type": "history"}}, "type": "compound", "initial": "h"}},
        }
    )
    assert "history" in str(e)


def test_transitions_on_a_final_state():
    e = error({"id": "m", "initial": "a", "states": {"a": {"type": "final", "on": {"E": "a"}}}})
    assert e.path == "m.a" and "final state cannot have transitions" in str(e)


def test_unknown_delay_name():
    e = error({"id": "m", "initial": "a", "states": {"a": {"after": {"slow": "a"}}}})
    assert "unknown delay 'slow'" in str(e) and e.key == "after.slow"


def test_unknown_service_name():
    e = error({"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "fetchUser"}}}})
    assert "unknown service 'fetchUser'" in str(e)


def test_targets_in_the_same_region_cannot_be_entered_together():
    e = error({"id": "m", "initial": "a", "states": {"a": {"on": {"E": {"target": ["b", "c"]}}}, "b": {}, "c": {}}})
    assert "cannot be active together" in str(e)


def test_context_only_on_the_root():
    e = error({"id": "m", "initial": "a", "states": {"a": {"context": {}}}})
    assert e.key == "context"


def test_mistakes_in_several_states_are_reported_together_the_first_as_before():
    first_only = {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "zz"}}, "b": {}, "c": {}}}
    alone = error(first_only)
    mistakes = {
        **first_only,
        "states": {
            "a": {"on": {"GO": "zz", "STOP": "yy"}},  # a state's second mistake is not looked at
            "b": {"entry": "nope"},
            "c": {"after": {"soon": "a"}},
        },
    }
    e = error(mistakes)
    assert (e.path, e.key, e.reason) == (alone.path, alone.key, alone.reason)
    assert str(e).splitlines() == [
        str(alone),
        "  also m.b: entry: unknown action 'nope'",
        "  also m.c: after.soon: unknown delay 'soon'",
    ]
    assert [(other.path, other.key) for other in e.also] == [("m.b", "entry"), ("m.c", "after.soon")]


def test_a_mistake_in_the_tree_of_states_stops_the_check_there():
    e = error({"id": "m", "initial": "a", "states": {"a": {"typo": 1}, "b": {"entyr": []}}})
    assert e.path == "m.a" and e.also == () and "entyr" not in str(e)
