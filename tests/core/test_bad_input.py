"""Bad input is a clear error from the library's own hierarchy, naming what and where."""

from __future__ import annotations

import math

import pytest

from statecharts import ConfigError, EventError, Machine, MalformedEventError

SIMPLE = {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}


@pytest.mark.parametrize("event", [None, 5, "", {"x": 1}, {"type": 5}, ["GO"], b"GO"])
def test_something_that_is_not_an_event_is_an_event_error_and_changes_nothing(event):
    m = Machine(SIMPLE)
    s = m.initial_state()
    with pytest.raises(MalformedEventError):
        m.transition(s, event)
    assert issubclass(MalformedEventError, EventError) and s.value == "a"


def test_transition_needs_a_snapshot():
    with pytest.raises(EventError, match="takes a Snapshot"):
        Machine(SIMPLE).transition({"value": "a"}, "GO")  # type: ignore[arg-type]


@pytest.mark.parametrize("config,kwargs,message", [
    ({"id": "m", "initial": "a", "states": {"a": {"entry": 5}}}, {}, "m.a: entry: an action is"),
    ({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "guard": 5}}}}}, {},
     "m.a: on.GO.guard: a guard is"),
    ({"id": "m", "initial": "a", "states": {"a": {}}}, {"guards": 5}, "guards= must map names"),
    ({"id": "m", "context": [1], "initial": "a", "states": {"a": {}}}, {}, "'context' must be a dict"),
    ({"id": "m", "initial": "h", "states": {"a": {}, "h": {"type": "history"}}}, {},
     "history state without a default"),
    ({"id": "m", "initial": "a", "states": {"a": {"after": {math.inf: "b"}}, "b": {}}}, {}, "finite number"),
    ({"id": "m", "initial": "a", "states": {"a": {"after": {-5: "b"}}, "b": {}}}, {}, "finite number"),
    ({"id": "m", "initial": "a", "states": {"a": {"after": {"d": "b"}}, "b": {}}}, {"delays": {"d": "soon"}},
     "unknown delay 'soon'"),
    ({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "reenter": "yes"}}}}}, {},
     "m.a: on.GO.reenter: 'reenter' is true or false"),
    ({"id": "m", "initial": "a", "states": {"a": {"on": {5: "a"}}}}, {}, "event names are strings"),
    ({"id": "m", "initial": "a", "states": {"a": {"onDone": "a"}}}, {}, "'onDone' on a atomic state"),
    ({"id": "m", "initial": "a", "states": {"a": {"tags": 5}}}, {}, "'tags' are strings"),
    ({"id": "m", "initial": "a", "states": {"a": {"description": 5}}}, {}, "'description' is text"),
])
def test_a_malformed_chart_is_a_config_error_naming_the_path(config, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        Machine(config, **kwargs)


def test_a_delay_function_returning_nonsense_is_an_execution_error_not_a_dead_timer():
    from statecharts import VirtualClock
    m = Machine({"id": "m", "initial": "a", "states": {
        "a": {"after": {"d": "b"}, "on": {"error.execution": "failed"}}, "b": {}, "failed": {}}},
        delays={"d": lambda c, e: "soon"})
    actor = m.interpret(clock=VirtualClock()).start()
    assert actor.state.value == "failed"


@pytest.mark.parametrize("change,message", [
    ({"configuration": 5}, "malformed"),
    ({"configuration": [[1]]}, "malformed"),
    ({"context": 5}, "malformed"),
    ({"configuration": []}, "root 'm' is not active"),
    ({"configuration": ["m", "m.a", "m.b"]}, "2 of its children are active"),
    ({"configuration": ["m.a"]}, "root 'm' is not active"),
    ({"status": "bogus"}, "status: 'bogus'"),
    ({"history": {"m.a": ["m.b"]}}, "'m.a' is not a history state"),
    ({"pending": [{"id": None, "delay": "x", "event": "GO"}]}, "delay 'x'"),
])
def test_a_corrupt_snapshot_is_a_snapshot_error_naming_the_problem(change, message):
    from statecharts import SnapshotError

    m = Machine(SIMPLE)
    data = {**m.initial_state().to_json(), **change}
    with pytest.raises(SnapshotError, match=message):
        m.restore(data)


def test_interpret_refuses_a_foreign_snapshot_a_bad_clock_and_a_bad_context():
    from statecharts import SnapshotError

    m, other = Machine(SIMPLE), Machine({**SIMPLE, "id": "other"})
    with pytest.raises(SnapshotError, match="snapshot of machine 'other'"):
        m.interpret(state=other.initial_state())
    with pytest.raises(ConfigError, match="schedule"):
        m.interpret(clock=5)
    with pytest.raises(ConfigError, match="takes a dict"):
        m.interpret(context=5)


def test_from_json_names_the_file_of_a_semantic_error(tmp_path):
    import json

    path = tmp_path / "chart.json"
    path.write_text(json.dumps({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "zz"}}}}))
    with pytest.raises(ConfigError, match=r"chart\.json: m\.a: on\.GO\.target: unknown target 'zz'"):
        Machine.from_json(path)
    with pytest.raises(ConfigError, match="not NoneType"):
        Machine.from_json(None)  # type: ignore[arg-type]


def test_an_unhashable_initial_context_is_named_before_walking():
    from statecharts.check import Model, check

    with pytest.raises(ConfigError, match="initial context key 'x' \\(list\\) is not hashable"):
        check(Model(Machine({"id": "m", "context": {"x": [1]}, "initial": "a", "states": {"a": {}}})))
