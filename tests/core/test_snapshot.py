"""Snapshots are values: immutable, hashable, readable, and lossless through JSON."""

import json

import pytest

from statecharts import FrozenDict, Machine, SnapshotError, assign

PLAYER = {
    "id": "player", "context": {"plays": 0, "tags": ("a",)}, "initial": "on",
    "states": {
        "on": {"initial": "stopped", "tags": ["powered"], "on": {"OFF": "off"}, "states": {
            "stopped": {"on": {"PLAY": {"target": "playing",
                                        "actions": assign(plays=lambda c, e: c["plays"] + 1)}}},
            "playing": {"initial": "normal", "after": {5000: "stopped"}, "on": {"STOP": "stopped"},
                        "states": {"normal": {"on": {"FAST": "fast"}}, "fast": {}}},
            "hist": {"type": "history", "history": "deep"}}},
        "off": {"on": {"ON": "on.hist"}}},
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
