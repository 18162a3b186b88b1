"""Mermaid stateDiagram-v2 text."""

from __future__ import annotations

from statecharts import Machine
from statecharts.render import to_mermaid


def test_parallel_regions_are_separated_by_double_dash():
    from machines.media_player import machine

    text = to_mermaid(machine)
    body = text.split("state mediaPlayer {", 1)[1]
    assert body.index("state playback {") < body.index("--") < body.index("state volume {")
    assert body.count("\n        --\n") == 2


def test_composite_states_have_initial_arrows_and_unique_ids():
    from machines.media_player import machine

    text = to_mermaid(machine)
    assert "[*] --> stopped" in text and "[*] --> windowed" in text
    assert 'state "fullscreen" as fullscreen_fullscreen' in text
    assert "windowed --> fullscreen_fullscreen : FULLSCREEN" in text


def test_final_states_point_to_the_end_marker():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "z"}}, "z": {"type": "final"}}})
    assert "z --> [*]" in to_mermaid(m)


def test_transitions_are_written_in_their_composite_or_at_top_level_when_across():
    from machines.user import machine

    lines = to_mermaid(machine).splitlines()
    assert "        authenticated --> unauthenticated : LOGOUT" in lines
    assert "            idle --> editingProfile : EDIT_PROFILE" in lines
    across = Machine(
        {
            "id": "m",
            "type": "parallel",
            "states": {
                "a": {"initial": "x", "states": {"x": {"on": {"GO": "#m.b.z"}}}},
                "b": {"initial": "y", "states": {"y": {}, "z": {}}},
            },
        }
    )
    assert to_mermaid(across).splitlines()[-1] == "    x --> z : GO"


def test_snapshot_marks_active_states_with_a_class():
    from machines.media_player import machine

    text = to_mermaid(machine, machine.transition(machine.initial_state(), "PLAY"))
    assert "class playing,normal,windowed active" in text


def test_history_states_and_targetless_notes():
    m = Machine(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "initial": "a",
                    "on": {"TICK": {"actions": "count"}},
                    "states": {"a": {}, "h": {"type": "history", "history": "deep"}},
                }
            },
        },
        actions={"count": lambda c, e: None},
    )
    text = to_mermaid(m)
    assert 'state "H*" as h' in text
    assert "note right of p" in text and "TICK / count" in text
