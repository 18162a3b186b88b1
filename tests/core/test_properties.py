"""Property tests: random event sequences keep configurations legal and JSON lossless."""

from hypothesis import given, settings
from hypothesis import strategies as st

from machines import fetch, media_player, user
from statecharts import Machine, Snapshot, assign

HISTORY_CHART = Machine(
    {
        "id": "h",
        "context": {"n": 0},
        "initial": "on",
        "states": {
            "on": {
                "initial": "a",
                "on": {"OFF": "off", "INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}},
                "states": {
                    "a": {"on": {"NEXT": "p"}},
                    "p": {
                        "type": "parallel",
                        "on": {"BACK": "a"},
                        "states": {
                            "r1": {"initial": "x", "states": {"x": {"on": {"T": "y"}}, "y": {"on": {"T": "x"}}}},
                            "r2": {"initial": "u", "states": {"u": {"on": {"U": "v"}}, "v": {"type": "final"}}},
                        },
                    },
                    "deep": {"type": "history", "history": "deep"},
                },
            },
            "off": {"on": {"ON": "on.deep", "RESET": "on"}},
        },
    }
)

MACHINES = [fetch.machine, user.machine, media_player.machine, HISTORY_CHART]


def assert_legal(snapshot: Snapshot) -> None:
    active = snapshot.configuration_nodes
    root = snapshot.machine.chart.root
    assert root in active
    for node in active:
        if node.parent is not None:
            assert node.parent in active, f"{node.id} active without its parent"
        if node.type == "compound":
            assert sum(1 for c in node.children if c in active) == 1, f"{node.id} needs exactly one child"
        if node.type == "parallel":
            assert all(c in active for c in node.children), f"{node.id} needs every region"


@st.composite
def machine_and_events(draw):
    machine = draw(st.sampled_from(MACHINES))
    names = list(machine.events) + ["UNKNOWN"]
    return machine, draw(st.lists(st.sampled_from(names), max_size=30))


@settings(max_examples=150, deadline=None)
@given(machine_and_events())
def test_random_event_sequences_never_produce_an_illegal_configuration(case):
    machine, events = case
    state = machine.initial_state()
    assert_legal(state)
    for e in events:
        state = machine.transition(state, e)
        assert_legal(state)


@settings(max_examples=150, deadline=None)
@given(machine_and_events())
def test_json_round_trip_is_lossless_after_any_sequence(case):
    machine, events = case
    state = machine.initial_state()
    for e in events:
        state = machine.transition(state, e)
        back = machine.restore(state.dumps())
        assert back == state and hash(back) == hash(state)
        assert machine.transition(back, "NEXT") == machine.transition(state, "NEXT")
