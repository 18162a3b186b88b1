"""Bad input is a clear error from the library's own hierarchy, naming what and where."""

from __future__ import annotations

import math

import pytest

from statecharts import ConfigError, EventError, Machine, MalformedEventError, SnapshotError
from statecharts.interop import from_json, to_json
from statecharts.scxml import load

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


@pytest.mark.parametrize(
    "config,kwargs,message",
    [
        ({"id": "m", "initial": "a", "states": {"a": {"entry": 5}}}, {}, "m.a: entry: an action is"),
        (
            {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "guard": 5}}}}},
            {},
            "m.a: on.GO.guard: a guard is",
        ),
        ({"id": "m", "initial": "a", "states": {"a": {}}}, {"guards": 5}, "guards= must map names"),
        ({"id": "m", "context": [1], "initial": "a", "states": {"a": {}}}, {}, "'context' must be a dict"),
        (
            {"id": "m", "initial": "h", "states": {"a": {}, "h": {"type": "history"}}},
            {},
            "history state without a default",
        ),
        (
            {"id": "m", "initial": "a", "states": {"a": {"after": {math.inf: "b"}}, "b": {}}},
            {},
            "milliseconds from 0 to",
        ),
        ({"id": "m", "initial": "a", "states": {"a": {"after": {-5: "b"}}, "b": {}}}, {}, "milliseconds from 0 to"),
        (
            {"id": "m", "initial": "a", "states": {"a": {"after": {"d": "b"}}, "b": {}}},
            {"delays": {"d": "soon"}},
            "unknown delay 'soon'",
        ),
        (
            {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "reenter": "yes"}}}}},
            {},
            "m.a: on.GO.reenter: 'reenter' is true or false",
        ),
        ({"id": "m", "initial": "a", "states": {"a": {"on": {5: "a"}}}}, {}, "event names are strings"),
        ({"id": "m", "initial": "a", "states": {"a": {"onDone": "a"}}}, {}, "'onDone' on a atomic state"),
        ({"id": "m", "initial": "a", "states": {"a": {"tags": 5}}}, {}, "'tags' are strings"),
        ({"id": "m", "initial": "a", "states": {"a": {"description": 5}}}, {}, "'description' is text"),
    ],
)
def test_a_malformed_chart_is_a_config_error_naming_the_path(config, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        Machine(config, **kwargs)


def test_a_delay_function_returning_nonsense_is_an_execution_error_not_a_dead_timer():
    from statecharts import VirtualClock

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"after": {"d": "b"}, "on": {"error.execution": "failed"}}, "b": {}, "failed": {}},
        },
        delays={"d": lambda c, e: "soon"},
    )
    actor = m.interpret(clock=VirtualClock()).start()
    assert actor.state.value == "failed"


@pytest.mark.parametrize(
    "change,message",
    [
        ({"configuration": 5}, "malformed"),
        ({"configuration": [[1]]}, "malformed"),
        ({"context": 5}, "malformed"),
        ({"configuration": []}, "root 'm' is not active"),
        ({"configuration": ["m", "m.a", "m.b"]}, "2 of its children are active"),
        ({"configuration": ["m.a"]}, "root 'm' is not active"),
        ({"status": "bogus"}, "status: 'bogus'"),
        ({"history": {"m.a": ["m.b"]}}, "'m.a' is not a history state"),
        ({"pending": [{"id": None, "delay": "x", "event": "GO"}]}, "delay 'x'"),
    ],
)
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
    with pytest.raises(ConfigError, match=r"chart\.json: line 1, column 53: m\.a: on\.GO\.target: unknown target 'zz'"):
        Machine.from_json(path)
    with pytest.raises(ConfigError, match="not NoneType"):
        Machine.from_json(None)  # type: ignore[arg-type]


def test_an_unhashable_initial_context_is_named_before_walking():
    from statecharts.check import Model, check

    with pytest.raises(ConfigError, match="initial context key 'x' \\(bytearray\\) is not hashable"):
        check(Model(Machine({"id": "m", "context": {"x": bytearray(b"1")}, "initial": "a", "states": {"a": {}}})))


def _nested(levels: int) -> dict:
    config: dict = {}
    inner = config
    for _ in range(levels):
        inner["initial"] = "s"
        inner["states"] = {"s": {}}
        inner = inner["states"]["s"]
    return {"id": "m", **config}


HUGE_LIST: list = []
for _ in range(5000):
    HUGE_LIST = [HUGE_LIST]
CYCLIC_META: dict = {}
CYCLIC_META["self"] = CYCLIC_META
ONE = {"id": "m", "initial": "a", "states": {"a": {}}}


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Machine(_nested(600)), ConfigError, "states nest deeper than 200 levels"),
        (
            lambda: Machine({"id": "m", "initial": "a", "states": {"a": {"after": {10**400: "a"}}}}),
            ConfigError,
            r"m\.a: after\.<a huge number>: a delay must be a number of milliseconds",
        ),
        (
            lambda: Machine({"id": "m", "initial": "a", "states": {"a": {"after": {"³": "a"}}}}),
            ConfigError,
            r"m\.a: after\.³: unknown delay",
        ),
        (
            lambda: Machine(
                {
                    "id": "m",
                    "initial": "a",
                    "states": {"a": {"initial": "x", "states": {"x": {}, "h": {"type": "history", "target": "h"}}}},
                }
            ),
            ConfigError,
            r"m\.a\.h: target: history default",
        ),
        (
            lambda: Machine(
                {
                    "id": "m",
                    "initial": "a",
                    "states": {
                        "a": {"invoke": [{"src": lambda c, e: 1, "id": "i"}, {"src": lambda c, e: 2, "id": "i"}]}
                    },
                }
            ),
            ConfigError,
            r"m\.a: invoke\[1\]\.id: duplicate invoke id 'i'",
        ),
        (lambda: Machine({"id": "m", "initial": ["a"], "states": {"a": {}}}), ConfigError, "m: initial: 'initial' is"),
        (
            lambda: load(
                '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a">'
                + "".join(
                    f'<state id="{s}"><invoke id="i"><content><scxml><final id="f"/></scxml></content></invoke></state>'
                    for s in "ab"
                )
                + "</scxml>"
            ),
            ConfigError,
            "<invoke>: duplicate invoke id 'i' \\(also in state 'a'\\)",
        ),
        (
            lambda: Machine(ONE).restore(
                '{"configuration": ["m", "m.a"], "context": {"x": ' + "[" * 100000 + "]" * 100000 + "}}"
            ),
            SnapshotError,
            "nest too deep",
        ),
        (
            lambda: Machine(ONE).restore('{"configuration": ["m", "m.a"], "context": {"x": ' + "1" * 5000 + "}}"),
            SnapshotError,
            "more than 4,300 digits",
        ),
        (
            lambda: Machine({**ONE, "context": {"x": 10**5000}}).initial_state().dumps(),
            SnapshotError,
            "cannot be written as JSON: an integer has more than 4,300 digits",
        ),
        (
            lambda: Machine({**ONE, "context": {"x": HUGE_LIST}}).initial_state(),
            ConfigError,
            "m: context: .*nests too deep",
        ),
        (lambda: to_json(Machine({**ONE, "meta": CYCLIC_META})), ConfigError, "refers to itself"),
        (
            lambda: from_json('{"id": "m", "meta": ' + "[" * 100000 + "]" * 100000 + "}"),
            ConfigError,
            "JSON nested too deep",
        ),
        (
            lambda: load('<?xml version="1.0" encoding="no-such"?><scxml xmlns="http://www.w3.org/2005/07/scxml"/>'),
            ConfigError,
            "unknown encoding: no-such",
        ),
        (
            lambda: load(
                '<scxml xmlns="http://www.w3.org/2005/07/scxml">' + "<state>" * 600 + "</state>" * 600 + "</scxml>"
            ),
            ConfigError,
            "SCXML elements nest deeper than 200 levels",
        ),
    ],
    ids=[
        "nesting",
        "after-huge",
        "after-superscript",
        "history-default-itself",
        "duplicate-invoke-id",
        "initial-list",
        "duplicate-scxml-invoke-id",
        "deep-snapshot-json",
        "huge-int-snapshot",
        "huge-int-dumps",
        "deep-context",
        "cyclic-meta",
        "deep-xstate-json",
        "xml-encoding",
        "deep-scxml",
    ],
)
def test_hostile_input_raises_the_documented_error_naming_where(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("delay", ["1e300s", "NaNs", "infms"])
def test_an_scxml_send_delay_no_timer_can_wait_raises_error_execution(delay):
    m = load(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><onentry>'
        f'<send event="t" delay="{delay}"/></onentry><transition event="error.execution" target="b"/></state>'
        '<state id="b"/></scxml>'
    )
    s = m.initial_state()
    assert (s.value, s.pending) == ("b", ())


def test_a_send_delay_no_timer_can_wait_raises_error_execution():
    from statecharts import send

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"entry": send("T", delay=lambda c, e: 1e300), "on": {"error.execution": "b"}}, "b": {}},
        }
    )
    s = m.initial_state()
    assert (s.value, s.pending) == ("b", ())
