"""Graphviz DOT: structure, labels, highlighting and determinism."""

from __future__ import annotations

import re
import subprocess

import pytest

from statecharts import Machine, assign, log, not_, send, state_in
from statecharts.render import to_dot
from statecharts.render.labels import transition_label

KITCHEN = {
    "id": "kitchen",
    "initial": "off",
    "context": {"n": 0},
    "states": {
        "off": {"on": {"POWER": "on", "PING": {"actions": log("ping")}, "BREAK": "broken"}},
        "on": {
            "type": "parallel",
            "on": {"POWER": "off", "TICK": {"actions": assign(n=lambda c, e: c["n"] + 1)}},
            "states": {
                "heater": {
                    "initial": "idle",
                    "states": {
                        "idle": {"on": {"HEAT": {"target": "heating", "guard": "doorClosed"}}},
                        "heating": {
                            "entry": "startHeater",
                            "exit": "stopHeater",
                            "after": {"5000": "idle"},
                            "on": {"OPEN": "#kitchen.on.door.open"},
                        },
                        "hist": {"type": "history", "history": "deep"},
                    },
                },
                "door": {
                    "initial": "closed",
                    "states": {
                        "closed": {"on": {"OPEN": "open", "A": {"actions": "beep"}, "B": {"actions": "beep"}}},
                        "open": {
                            "on": {"CLOSE": "closed"},
                            "always": {"target": "closed", "guard": not_(state_in("#kitchen.on.heater.idle"))},
                        },
                    },
                },
            },
        },
        "broken": {"type": "final"},
    },
}


def kitchen() -> Machine:
    return Machine(
        KITCHEN,
        guards={"doorClosed": lambda c, e: True},
        actions={"startHeater": lambda c, e: None, "stopHeater": lambda c, e: None, "beep": lambda c, e: None},
    )


def edge_lines(source: str, tail: str, head: str) -> list[str]:
    return [
        line.strip()
        for line in source.splitlines()
        if line.strip().startswith(f'"{tail}" -> "{head}"') or line.strip().startswith(f"{tail} -> {head}")
    ]


def test_compound_states_are_clusters_and_parallel_regions_are_dashed():
    source = to_dot(kitchen()).source
    assert 'subgraph "cluster_kitchen.on"' in source
    region = re.search(r'subgraph "cluster_kitchen.on.heater" \{\n\s*(.*)', source).group(1)
    assert 'style="rounded,dashed"' in region
    parallel = re.search(r'subgraph "cluster_kitchen.on" \{\n\s*(.*)', source).group(1)
    assert "dashed" not in parallel


def test_initial_final_and_history_shapes():
    source = to_dot(kitchen()).source
    assert re.search(r'"kitchen.on.heater__initial" \[label="" color=black shape=point', source)
    assert edge_lines(source, "kitchen.on.heater__initial", "kitchen.on.heater.idle")
    assert re.search(r'"kitchen.broken" \[.*shape=doublecircle', source)
    assert re.search(r'"kitchen.on.heater.hist" \[label="H\*"', source)


def test_edges_into_and_out_of_a_cluster_attach_to_its_border():
    source = to_dot(kitchen()).source
    into = edge_lines(source, "kitchen.off", "kitchen.on.heater__initial")
    assert into and 'lhead="cluster_kitchen.on"' in into[0]
    out = edge_lines(source, "kitchen.on.heater__initial", "kitchen.off")
    assert out and 'ltail="cluster_kitchen.on"' in out[0]


def test_every_edge_endpoint_is_a_declared_node():
    source = to_dot(kitchen()).source
    declared = set(re.findall(r'^\s*("?[\w.]+"?) \[', source, flags=re.M))
    for tail, head in re.findall(r'^\s*("?[\w.]+"?) -> ("?[\w.]+"?)', source, flags=re.M):
        assert tail in declared and head in declared, (tail, head)


def test_eventless_edges_are_dashed_and_delayed_edges_read_after():
    source = to_dot(kitchen()).source
    door = edge_lines(source, "kitchen.on.door.open", "kitchen.on.door.closed")
    always = [e for e in door if "always" in e]
    assert always and "style=dashed" in always[0]
    assert 'label="after 5s"' in edge_lines(source, "kitchen.on.heater.heating", "kitchen.on.heater.idle")[0]
    assert "xstate.after" not in source and "send" not in source


def test_edge_between_regions_does_not_constrain_their_layout():
    source = to_dot(kitchen()).source
    edge = edge_lines(source, "kitchen.on.heater.heating", "kitchen.on.door.open")[0]
    assert "constraint=false" in edge and "label=OPEN" in edge


def test_several_targetless_transitions_are_listed_inside_the_state():
    source = to_dot(kitchen()).source
    assert "A / beep" in source and "B / beep" in source
    assert not edge_lines(source, "kitchen.on.door.closed", "kitchen.on.door.closed")


def test_one_targetless_transition_is_a_loop():
    source = to_dot(kitchen()).source
    assert 'label="PING / log"' in edge_lines(source, "kitchen.off", "kitchen.off")[0]


def test_targetless_transitions_of_a_compound_state_are_listed_in_its_label():
    source = to_dot(kitchen()).source
    cluster = re.search(r'subgraph "cluster_kitchen.on" \{\n\s*(.*)', source).group(1)
    assert "TICK / assign(n)" in cluster


def test_entry_and_exit_actions_are_listed_without_the_after_timers():
    source = to_dot(kitchen()).source
    heating = re.search(r'"kitchen.on.heater.heating" \[label=(.*)', source).group(1)
    assert "entry / startHeater" in heating and "exit / stopHeater" in heating
    assert "cancel" not in heating


def test_named_guards_and_actions_show_their_names():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"target": "b", "guard": "ready", "actions": ["count"]}}}, "b": {}},
        },
        guards={"ready": lambda c, e: True},
        actions={"count": assign(n=1)},
    )
    assert transition_label(machine.get_state("m.a").transitions[0]) == "GO [ready] / count"


def test_inline_callables_get_a_readable_fallback():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {
                    "on": {"GO": {"target": "b", "guard": lambda c, e: True, "actions": [send("PING"), assign(k=2)]}}
                },
                "b": {},
            },
        }
    )
    label = transition_label(machine.get_state("m.a").transitions[0])
    assert re.fullmatch(r"GO \[lambda@test_dot\.py:\d+\] / send PING, assign\(k\)", label)


def test_long_labels_wrap_at_guard_operators():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "guard": "aVeryLongGuardName && anotherVeryLongGuardName"}}},
                "b": {},
            },
        },
        guards={"aVeryLongGuardName && anotherVeryLongGuardName": lambda c, e: True},
    )
    label = transition_label(machine.get_state("m.a").transitions[0], wrap=20)
    assert label.split("\n")[0] == "GO"


def test_snapshot_highlights_the_active_configuration():
    machine = kitchen()
    snapshot = machine.transition(machine.initial_state(), "POWER")
    source = to_dot(machine, snapshot).source
    idle = re.search(r'"kitchen.on.heater.idle" \[(.*)\]', source).group(1)
    heating = re.search(r'"kitchen.on.heater.heating" \[(.*)\]', source).group(1)
    assert 'fillcolor="#ffd966"' in idle and 'fillcolor="#ffd966"' not in heating
    on = re.search(r'subgraph "cluster_kitchen.on" \{\n\s*(.*)', source).group(1)
    assert 'fillcolor="#fff4cc"' in on


def test_output_is_deterministic():
    assert to_dot(kitchen()).source == to_dot(kitchen()).source


def test_regions_are_ordered_by_a_hub_in_document_order():
    from machines.media_player import machine

    source = to_dot(machine).source
    hub_edges = re.findall(r"mediaPlayer__regions -> \"mediaPlayer\.(\w+)__initial\"", source)
    assert hub_edges == ["playback", "volume", "fullscreen"]


@pytest.mark.dot
def test_media_player_regions_are_laid_out_side_by_side_in_order():
    from machines.media_player import machine

    plain = subprocess.run(
        ["dot", "-Tplain"], input=to_dot(machine).source.encode(), capture_output=True, check=True
    ).stdout.decode()
    x = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts[0] == "node" and parts[1].endswith('__initial"'):
            x[parts[1].split(".")[1].split("__")[0]] = float(parts[2])
    assert x["playback"] < x["volume"] < x["fullscreen"]


@pytest.mark.dot
def test_graphviz_lays_out_every_seed_machine_without_warnings():
    from statecharts.cli.diagrams import load_machine, machine_names

    for name in machine_names():
        result = subprocess.run(
            ["dot", "-Tsvg"], input=to_dot(load_machine(name)).source.encode(), capture_output=True, check=True
        )
        assert result.stderr == b"", (name, result.stderr)


def test_an_invocation_id_becomes_a_dot_id_without_a_port_separator():
    from statecharts.render.dot import _safe_id

    assert _safe_id("auth.authenticating:invocation[0]") == "auth.authenticating_invocation_0_"
