"""Snapshots are values: immutable, hashable, readable, and lossless through JSON."""

import json

import pytest

from statecharts import FrozenDict, Machine, SnapshotError, assign

PLAYER = {
    "id": "player",
    "context": {"plays": 0, "tags": ("a",)},
    "initial": "on",
    "states": {
        "on": {
            "initial": "stopped",
            "tags": ["powered"],
            "on": {"OFF": "off"},
            "states": {
                "stopped": {
                    "on": {"PLAY": {"target": "playing", "actions": assign(plays=lambda c, e: c["plays"] + 1)}}
                },
                "playing": {
                    "initial": "normal",
                    "after": {5000: "stopped"},
                    "on": {"STOP": "stopped"},
                    "states": {"normal": {"on": {"FAST": "fast"}}, "fast": {}},
                },
                "hist": {"type": "history", "history": "deep"},
            },
        },
        "off": {"on": {"ON": "on.hist"}},
    },
}


def test_equal_snapshots_are_equal_and_hash_alike():
    m = Machine(PLAYER)
    a = m.transition(m.initial_state(), "PLAY")
    b = m.transition(m.initial_state(), "PLAY")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


def test_snapshot_context_is_immutable():
    s = Machine(PLAYER).initial_state()
    assert isinstance(s.context, FrozenDict)
    with pytest.raises(TypeError):
        s.context["plays"] = 3  # type: ignore[index]


def test_value_configuration_matches_and_tags():
    m = Machine(PLAYER)
    s = m.transition(m.initial_state(), "PLAY")
    assert s.value == {"on": {"playing": "normal"}}
    assert s.configuration == ("player", "player.on", "player.on.playing", "player.on.playing.normal")
    assert s.matches("on.playing") and s.matches("on") and not s.matches("off")
    assert s.has_tag("powered") and not s.has_tag("loud")


def test_can_tells_whether_an_event_would_be_taken():
    m = Machine(PLAYER)
    s = m.initial_state()
    assert s.can("PLAY") and s.can("OFF") and not s.can("STOP")


def test_json_round_trip_keeps_history_pending_and_context_types():
    m = Machine(PLAYER)
    s = m.initial_state()
    for e in ("PLAY", "FAST", "OFF"):
        s = m.transition(s, e)
    s = m.transition(s, "ON")
    text = s.dumps()
    back = m.restore(json.loads(text))
    assert back == s
    assert back.context["tags"] == ("a",)
    assert back.history and back.history == s.history
    assert [p.event.name for p in back.pending] == [p.event.name for p in s.pending]
    assert m.transition(back, "STOP") == m.transition(s, "STOP")


def test_restoring_a_snapshot_of_another_machine_names_the_state():
    other = Machine({"id": "x", "initial": "zz", "states": {"zz": {}}})
    with pytest.raises(SnapshotError, match="snapshot of machine 'x' cannot be restored into 'player'"):
        Machine(PLAYER).restore(other.initial_state().to_json())
    data = other.initial_state().to_json() | {"machine": "player"}
    with pytest.raises(SnapshotError, match="no state 'x' in machine 'player'"):
        Machine(PLAYER).restore(data)


def test_restoring_malformed_json_names_the_position():
    with pytest.raises(SnapshotError, match="line 1 column"):
        Machine(PLAYER).restore("{nope")


def test_frozen_dict_deep_copies_its_values_and_stays_frozen_under_union():
    import copy

    from statecharts import Event, FrozenDict

    fd = FrozenDict(items=[1])
    deep = copy.deepcopy(fd)
    with pytest.raises(TypeError, match="immutable"):
        deep["items"].append(2)
    assert fd["items"] == [1] and deep == fd
    assert isinstance(fd | {"n": 1}, FrozenDict) and isinstance({"n": 1} | fd, FrozenDict)
    assert fd.copy() is fd
    assert FrozenDict(x=1) == Event("E", {"x": 1}) and FrozenDict(x=1) == {"x": 1}


def test_user_keys_that_look_like_json_tags_round_trip_as_dicts():
    m = Machine(
        {
            "id": "m",
            "context": {"a": {"__tuple__": [1, 2]}, "b": {"__set__": [3]}, "c": {"__items__": []}},
            "initial": "s",
            "states": {"s": {}},
        }
    )
    s = m.initial_state()
    back = m.restore(s.dumps())
    assert back == s and back.context["a"] == {"__tuple__": [1, 2]} and back.context["b"] == {"__set__": [3]}


def test_a_pending_send_with_a_non_dict_payload_round_trips():
    from statecharts import send

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"entry": [send({"type": "PING"}, delay=500), send("X", delay=100)]}},
        }
    )
    s = m.initial_state()
    data = s.to_json()
    data["pending"][1]["data"] = [1, 2]  # what an SCXML <send> of a list or a donedata value leaves
    back = m.restore(data)
    assert back.pending[1].event.data == (1, 2)
    assert m.restore(back.dumps()) == back


def test_scxml_pending_events_keep_origin_sendid_kind_and_invokeid():
    from statecharts.scxml import load

    m = load(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><onentry>'
        '<send event="tick" id="t1" delay="1s"><content expr="[1, 2]"/></send></onentry></state></scxml>'
    )
    s = m.initial_state()
    back = m.restore(s.dumps())
    before, after = s.pending[0].event, back.pending[0].event
    assert [(e.sendid, e.origin, e.kind, e.invokeid, e.payload) for e in (before, after)] == [
        ("t1", before.origin, "external", None, [1, 2])
    ] * 2 and before.origin
    assert back == s


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(status="done"), "status: 'done' but the configuration is not a top-level final state"),
        (lambda d: d.update(configuration=["player", "player.end"]), "status: 'active' but the configuration is a top"),
        (
            lambda d: d.update(history={"player.on.hist": ["player.off"]}),
            "remembers 'player.off', which is not a child",
        ),
        (lambda d: d["pending"].append({"id": "x", "delay": float("nan"), "event": "E"}), "delay nan is not"),
        (lambda d: d["pending"].append({"id": "x", "delay": float("inf"), "event": "E"}), "delay inf is not"),
        (lambda d: d["pending"].append({"id": "x", "delay": 1e300, "event": "E"}), "delay 1e[+]300 is not"),
        (
            lambda d: d["pending"].append({"id": "x", "delay": 1, "event": "E", "fields": {"kind": "x"}}),
            "keeps no event fields",
        ),
    ],
)
def test_a_tampered_snapshot_is_refused_naming_the_problem(change, problem):
    m = Machine(
        {
            "id": "player",
            "initial": "on",
            "states": {
                "on": {"initial": "a", "states": {"a": {}, "hist": {"type": "history"}}},
                "off": {},
                "end": {"type": "final"},
            },
        }
    )
    data = m.initial_state().to_json()
    change(data)
    with pytest.raises(SnapshotError, match=problem):
        m.restore(json.loads(json.dumps(data)))


def test_frozen_nested_context_is_written_as_plain_json():
    m = Machine({"id": "m", "context": {"cfg": {"a": [1, {"b": 2}]}}, "initial": "s", "states": {"s": {}}})
    s = m.initial_state()
    assert s.to_json()["context"] == {"cfg": {"a": [1, {"b": 2}]}}
    assert m.restore(s.dumps()) == s


def test_configuration_nodes_are_the_configuration_and_nodes_is_a_deprecated_alias():
    m = Machine(PLAYER)
    legacy = m.transition(m.initial_state(), "PLAY")
    assert tuple(n.id for n in sorted(legacy.configuration_nodes, key=lambda n: n.order)) == legacy.configuration
    with pytest.warns(DeprecationWarning, match="Snapshot.nodes is deprecated: use Snapshot.configuration_nodes"):
        assert legacy.nodes is legacy.configuration_nodes
