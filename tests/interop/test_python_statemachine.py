"""python-statemachine classes read into our machines: structure, guards, callbacks, errors,
and the differential rule: both libraries reach the same configurations on the same events."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statemachine import HistoryState, State, StateChart, StateMachine

from machines import media_player as seed_media_player
from statecharts import ConfigError, Machine
from statecharts.interop import from_python_statemachine, python_statemachine_config
from tests.interop.psm_charts import Features, MediaPlayer


def psm_configuration(sm: StateChart) -> set[str]:
    return {s.id for s in sm.configuration}


def our_configuration(machine: Machine, snapshot: object) -> set[str]:
    return set(snapshot.configuration) - {machine.id}  # type: ignore[attr-defined]


# -- structure -------------------------------------------------------------------------------


def test_media_player_regions_become_a_parallel_state_with_psm_ids():
    machine = from_python_statemachine(MediaPlayer)
    assert machine.get_state("#player").type == "parallel"
    assert machine.initial_state().value == {
        "player": {"playback": "stopped", "volume": "normal", "fullscreen": "windowed"}
    }


def test_converted_media_player_behaves_as_the_seed_media_player():
    ours = from_python_statemachine(MediaPlayer)
    seed = seed_media_player.machine
    a, b = ours.initial_state(), seed.initial_state()
    for event in ["PLAY", "MUTE", "FULLSCREEN", "PAUSE", "UNMUTE", "EXIT_FULLSCREEN", "PLAY", "STOP"]:
        a, b = ours.transition(a, event), seed.transition(b, event)
        value = dict(a.value["player"])
        value["fullscreen"] = {"full_screen": "fullscreen"}.get(value["fullscreen"], value["fullscreen"])
        assert value == b.value


def test_converted_media_player_renders_to_dot():
    render = pytest.importorskip("statecharts.render")
    dot = render.to_dot(from_python_statemachine(MediaPlayer))
    source = dot if isinstance(dot, str) else getattr(dot, "source", str(dot))
    for name in ("playback", "volume", "fullscreen", "PLAY", "EXIT_FULLSCREEN"):
        assert name in source


def test_converted_media_player_walks_to_twelve_states():
    check = pytest.importorskip("statecharts.check")
    if not hasattr(check, "check"):
        pytest.skip("the walker is not there yet")
    report = check.check(check.Model(from_python_statemachine(MediaPlayer)))
    assert report.distinct_states == 3 * 2 * 2


def test_history_final_and_eventless_states_are_carried_over():
    machine = from_python_statemachine(Features)
    assert machine.get_state("#h").history_type == "deep"
    assert machine.get_state("#done").type == "final"
    assert [t.eventless for t in machine.get_state("#paused").transitions] == [False, False, True]
    assert dict(machine.initial_state().context) == {"count": 0, "limit": 3, "allowed": True}


# -- guards ------------------------------------------------------------------------------------


def test_boolean_expression_condition_becomes_a_guard_tree():
    machine = from_python_statemachine(Features)
    start = machine.get_state("#idle").transitions[0]
    assert start.guard is not None and start.guard.name == "(allowed && !saturated)"


class Guarded(StateChart):
    ready = False
    a = State(initial=True)
    b = State()
    c = State()
    go = a.to(b, cond="In('a') and ready") | a.to(c, unless="ready")
    back = b.to(a, cond=lambda event_data: True) | c.to(a)


def test_in_expression_becomes_state_in_and_unless_negates():
    machine = from_python_statemachine(Guarded)
    to_b, to_c = machine.get_state("#a").transitions
    assert to_b.guard.name == "(in(#a) && ready)"
    assert to_c.guard.name == "!ready"
    assert machine.transition(machine.initial_state(), "go").value == "c"
    assert machine.transition(machine.initial_state({"ready": True}), "go").value == "b"


def test_callable_condition_stays_a_callable():
    machine = from_python_statemachine(Guarded)
    guard = machine.get_state("#b").transitions[0].guard
    assert guard is not None and guard.name.startswith("lambda@")
    s = machine.transition(machine.initial_state({"ready": True}), "go")
    assert machine.transition(s, "back").value == "a"


def test_given_guards_replace_the_class_conditions():
    machine = from_python_statemachine(Guarded, guards={"ready": lambda context, event: event.get("ok", False)})
    assert machine.transition(machine.initial_state(), "go", ok=True).value == "b"


def test_method_conditions_read_the_context_and_the_event_data():
    class Vault(StateChart):
        limit = 10
        locked = State(initial=True)
        opened = State()
        open = locked.to(opened, cond="fits") | opened.to(locked)

        def fits(self, amount: int = 0) -> bool:
            return bool(amount <= self.limit)

    machine = from_python_statemachine(Vault)
    assert machine.transition(machine.initial_state(), "open", amount=11).value == "locked"
    assert machine.transition(machine.initial_state(), "open", amount=5).value == "opened"


# -- callbacks -------------------------------------------------------------------------------


def test_callbacks_update_the_context_like_the_model():
    class Counter(StateChart):
        n = 0
        entered = 0
        idle = State(initial=True)
        inc = idle.to.itself(on="add")

        def add(self, by: int = 1) -> None:
            self.n += by

        def on_enter_idle(self) -> None:
            self.entered += 1

    machine = from_python_statemachine(Counter)
    s = machine.transition(machine.transition(machine.initial_state(), "inc", by=2), "inc")
    assert (s.context["n"], s.context["entered"]) == (3, 3)
    sm = Counter()
    sm.send("inc", by=2)
    sm.send("inc")
    assert (sm.n, sm.entered) == (3, 3)


def test_statemachine_self_transitions_do_not_reenter():
    class Old(StateMachine):
        entered = 0
        idle = State(initial=True)
        again = idle.to.itself()

        def on_enter_idle(self) -> None:
            self.entered += 1

    machine = from_python_statemachine(Old)
    assert machine.transition(machine.initial_state(), "again").context["entered"] == 1


# -- what cannot be carried over -------------------------------------------------------------


def test_validators_are_a_config_error_naming_state_and_transition():
    class Checked(StateChart):
        a = State(initial=True)
        b = State(final=True)
        go = a.to(b, validators="must_pass")

        def must_pass(self) -> None:
            pass

    with pytest.raises(ConfigError) as info:
        from_python_statemachine(Checked)
    assert info.value.path == "Checked.a" and "go -> b" in str(info.value.key)
    assert "validators (must_pass)" in str(info.value)


def test_condition_naming_nothing_is_a_config_error():
    class Typo(StateChart):
        a = State(initial=True)
        b = State(final=True)
        go = a.to(b, cond="redy")

    with pytest.raises(ConfigError, match=r"Typo\.a: transition go -> b: condition 'redy' names nothing"):
        from_python_statemachine(Typo)


def test_comparison_condition_is_a_config_error():
    class Compare(StateChart):
        n = 1
        a = State(initial=True)
        b = State(final=True)
        go = a.to(b, cond="n > 0")

    with pytest.raises(ConfigError, match="'n > 0' cannot be carried over"):
        from_python_statemachine(Compare)


def test_invoke_is_a_config_error_naming_the_state():
    class Invoking(StateChart):
        a = State(initial=True, invoke=lambda: 1)
        b = State(final=True)
        go = a.to(b)

    with pytest.raises(ConfigError, match=r"Invoking\.a: invoke: invoked services"):
        from_python_statemachine(Invoking)


def test_not_a_python_statemachine_class_is_a_config_error():
    with pytest.raises(ConfigError, match="is not a python-statemachine"):
        from_python_statemachine(dict)


def test_config_keeps_names_for_named_things():
    config, guards, actions = python_statemachine_config(Features)
    assert {"allowed", "saturated"} <= set(guards) and {"bump", "flip"} <= set(actions)
    assert config["states"]["paused"]["on"]["wake"] == "#h"


# -- the differential rule ---------------------------------------------------------------------


def _differential(cls: type, events: list[str]) -> None:
    machine = from_python_statemachine(cls)
    sm = cls()
    snapshot = machine.initial_state()
    assert our_configuration(machine, snapshot) == psm_configuration(sm)
    for event in events:
        sm.send(event)
        snapshot = machine.transition(snapshot, event)
        assert our_configuration(machine, snapshot) == psm_configuration(sm), event
        for key, value in snapshot.context.items():
            assert getattr(sm, key) == value, (event, key)
        assert snapshot.done == sm.is_terminated


MEDIA_EVENTS = ["PLAY", "PAUSE", "STOP", "MUTE", "UNMUTE", "FULLSCREEN", "EXIT_FULLSCREEN", "NOPE"]
FEATURE_EVENTS = ["start", "advance", "rewind", "pause", "suspend", "wake", "lock", "nope"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(MEDIA_EVENTS), max_size=25))
def test_both_libraries_reach_the_same_media_player_configurations(events):
    _differential(MediaPlayer, events)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(FEATURE_EVENTS), max_size=25))
def test_both_libraries_reach_the_same_configurations_with_history_guards_and_final(events):
    _differential(Features, events)


class Shallow(StateChart):
    class outer(State.Compound):
        class inner(State.Compound):
            x = State(initial=True)
            y = State()
            flip = x.to(y) | y.to(x)

        other = State()
        h = HistoryState()
        swap = inner.to(other) | other.to(inner)

    away = State()
    leave = outer.to(away)
    back = away.to(outer.h)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["flip", "swap", "leave", "back"]), max_size=20))
def test_both_libraries_agree_on_shallow_history(events):
    _differential(Shallow, events)
