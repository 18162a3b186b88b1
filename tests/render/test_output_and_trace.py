"""Writing files, the missing-dot error, and trace strips."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import pytest

from statecharts import Event, Snapshot, StatechartError
from statecharts.render import GraphvizNotFoundError, RenderError, render, render_trace, trace_steps


@pytest.fixture
def player():
    from machines.media_player import machine

    return machine


@pytest.mark.dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_image_formats_go_through_dot(tmp_path, player, suffix, magic):
    path = render(player, tmp_path / f"p{suffix}")
    assert path.read_bytes().startswith(magic)


def test_text_formats_need_no_dot(tmp_path, player, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    assert render(player, tmp_path / "p.dot").read_text().startswith("digraph mediaPlayer {")
    assert render(player, tmp_path / "p.mmd").read_text().startswith("stateDiagram-v2")


def test_missing_dot_says_how_to_install_graphviz(tmp_path, player, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFoundError) as info:
        render(player, tmp_path / "p.svg")
    assert isinstance(info.value, StatechartError)
    assert "apt-get install graphviz" in str(info.value) and "brew install graphviz" in str(info.value)
    assert not (tmp_path / "p.svg").exists()


def test_unknown_suffix_is_an_error_naming_the_formats(tmp_path, player):
    with pytest.raises(RenderError, match=r"\.txt.*\.svg"):
        render(player, tmp_path / "p.txt")


def test_snapshot_highlight_reaches_the_file(tmp_path, player):
    snapshot = player.transition(player.initial_state(), "PLAY")
    text = render(player, tmp_path / "p.dot", snapshot=snapshot).read_text()
    assert '"mediaPlayer.playback.playing" [label=playing color="#b45f06" fillcolor="#ffd966"' in text


@dataclass
class Step:
    event: Event | None
    snapshot: Snapshot


def walk(machine, *names):
    state = machine.initial_state()
    steps = [(None, state)]
    for name in names:
        state = machine.transition(state, name)
        steps.append((Event(name), state))
    return steps


def test_trace_accepts_step_objects_pairs_and_steps_attribute(player):
    pairs = walk(player, "PLAY", "MUTE")
    objects = [Step(e, s) for e, s in pairs]

    class Trace:
        steps = objects

    for trace in (pairs, objects, Trace()):
        assert [s for _, s in trace_steps(trace)] == [s for _, s in pairs]


def test_trace_rejects_a_step_without_a_snapshot():
    with pytest.raises(TypeError, match="trace step 0"):
        trace_steps([object()])


def test_trace_strip_has_one_highlighted_diagram_per_step_in_order(player):
    graph = render_trace(walk(player, "PLAY", "MUTE"))
    source = graph.source
    assert [source.index(f"cluster_step{i}") for i in range(3)] == sorted(
        source.index(f"cluster_step{i}") for i in range(3)
    )
    assert 'label="0. (initial)\\l"' in source and 'label="1. PLAY\\l"' in source
    assert '"s2_mediaPlayer.volume.muted" [label=muted color="#b45f06" fillcolor="#ffd966"' in source
    assert "packmode=array_i1" in source


def test_trace_step_labels_show_payload_and_context_changes():
    from statecharts import Machine, assign

    m = Machine(
        {
            "id": "c",
            "context": {"n": 0},
            "initial": "a",
            "states": {"a": {"on": {"ADD": {"actions": assign(n=lambda c, e: c["n"] + e["by"])}}}},
        }
    )
    s0 = m.initial_state()
    s1 = m.transition(s0, Event("ADD", by=3))
    source = render_trace([(None, s0), (Event("ADD", by=3), s1)]).source
    assert "1. ADD(by=3)\\ln = 3\\l" in source


@pytest.mark.dot
def test_trace_strip_stacks_steps_top_to_bottom(player):
    source = render_trace(walk(player, "PLAY", "MUTE")).source
    plain = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True, check=True).stdout.decode()
    y = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts[0] == "node" and parts[1].endswith('.playback__initial"'):
            y[parts[1].strip('"').split("_")[0]] = float(parts[3])
    assert y["s0"] > y["s1"] > y["s2"]  # plain output has y growing upwards


def step_boxes(source: str) -> list[tuple[float, float]]:
    """Each step's box as drawn by dot: its left edge and its top (from the top of the drawing)."""
    import json

    drawn = json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True, check=True).stdout)
    boxes = {}
    for cluster in drawn.get("objects", []):
        if cluster.get("name", "").startswith("cluster_step"):
            left, _, _, top = map(float, cluster["bb"].split(","))
            boxes[int(cluster["name"].removeprefix("cluster_step"))] = (left, float(drawn["bb"].split(",")[3]) - top)
    return [boxes[index] for index in range(len(boxes))]


@pytest.mark.dot
@pytest.mark.parametrize("columns", [1, 2, 3])
def test_trace_strip_keeps_steps_of_different_sizes_in_order_row_by_row(columns):
    from machines.rolling_update import counterexample

    trace = counterexample()  # six steps whose diagrams differ in size (Graphviz 2.43's pack sorted them)
    boxes = step_boxes(render_trace(trace, columns=columns).source)
    assert len(boxes) == len(trace.steps) == 6
    rows = [boxes[start : start + columns] for start in range(0, len(boxes), columns)]
    for row in rows:
        assert [left for left, _ in row] == sorted(left for left, _ in row)  # left to right
        assert len({left for left, _ in row}) == len(row)
    for above, below in zip(rows, rows[1:], strict=False):
        assert max(top for _, top in above) < min(top for _, top in below)  # each row below the last


def test_a_trace_step_draws_the_transitions_it_took_in_bold():
    from statecharts import Machine, render

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b", "OTHER": "c"}}, "b": {}, "c": {}}})
    s0 = m.initial_state()
    source = render.render_trace([(None, s0), ("GO", m.transition(s0, "GO"))]).source
    taken = [line for line in source.splitlines() if "penwidth=2.5" in line]
    assert len(taken) == 1 and '"s1_m.a" -> "s1_m.b"' in taken[0]


def test_a_lasso_becomes_a_mermaid_sequence_with_a_loop(tmp_path):
    from statecharts.cli import main

    out = tmp_path / "lasso.mmd"
    assert (
        main(["check", "machines.cluster_update", "-p", "workers=1", "-p", "requests=1", "--trace-out", str(out)]) == 1
    )
    text = out.read_text()
    assert text.startswith("sequenceDiagram\n") and "participant workers" in text
    assert "events->>requests: 1. SUBMIT(r=1)" in text and "Note right of events: confOK = False" in text
    loop = text.index("loop for ever, back to step 2")
    assert text.index("2. PUSH(r=1)") < loop < text.index("3. SPAWN(w=1)") < text.rindex("    end")
