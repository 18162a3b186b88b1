"""``statecharts render`` and ``statecharts diagrams``."""

from __future__ import annotations

import json
import shutil

import pytest

from statecharts.cli import diagrams as cli_diagrams
from statecharts.cli import render as cli


@pytest.mark.dot
def test_render_writes_the_format_of_the_suffix(tmp_path, capsys):
    out = tmp_path / "player.svg"
    assert cli.main(["machines.media_player", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert "wrote" in capsys.readouterr().out


def test_render_state_initial_highlights_the_initial_snapshot(tmp_path):
    out = tmp_path / "player.dot"
    assert cli.main(["machines.media_player", "-o", str(out), "--state", "initial"]) == 0
    assert '"mediaPlayer.playback.stopped" [label=stopped color="#b45f06"' in out.read_text()


def test_render_state_value_json(tmp_path):
    out = tmp_path / "player.mmd"
    assert cli.main(["machines.media_player", "-o", str(out), "--state", '{"volume": "muted"}']) == 0
    assert "class stopped,muted,windowed active" in out.read_text()


def test_render_state_snapshot_json_file(tmp_path):
    from machines.user import machine

    snapshot = machine.transition(machine.initial_state(), "LOGOUT")
    state_file = tmp_path / "s.json"
    state_file.write_text(json.dumps(snapshot.to_json()))
    out = tmp_path / "user.dot"
    assert cli.main(["machines.user", "-o", str(out), "--state", str(state_file)]) == 0
    assert '"user.unauthenticated" [label=unauthenticated color="#b45f06"' in out.read_text()


def test_render_bad_state_names_the_state_and_its_children(tmp_path, capsys):
    assert cli.main(["machines.user", "-o", str(tmp_path / "u.dot"), "--state", '{"nope": null}']) == 2
    err = capsys.readouterr().err
    assert "has no child 'nope'" in err and "authenticated" in err


def test_render_bad_module_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["machines.nope", "-o", str(tmp_path / "x.svg")]) == 2
    assert "no module named 'machines.nope'" in capsys.readouterr().err


@pytest.mark.dot
def test_diagrams_writes_then_checks_clean(tmp_path, capsys):
    out = tmp_path / "diagrams"
    assert cli_diagrams.main(["--out", str(out)]) == 0
    for name in cli_diagrams.machine_names():
        assert (out / f"{name}.dot").is_file() and (out / f"{name}.svg").is_file()
        assert f"![{name}]({name}.svg)" in (out / "README.md").read_text()
    assert cli_diagrams.main(["--out", str(out), "--check"]) == 0


@pytest.mark.dot
def test_diagrams_check_lists_stale_missing_and_orphan_files(tmp_path, capsys):
    out = tmp_path / "diagrams"
    cli_diagrams.main(["--out", str(out)])
    (out / "fetch.dot").write_text("digraph old {}\n")
    (out / "user.svg").unlink()
    shutil.copy(out / "auth.dot", out / "gone.dot")
    capsys.readouterr()
    assert cli_diagrams.main(["--out", str(out), "--check"]) == 1
    report = capsys.readouterr().out
    assert "fetch.dot (differs)" in report and "user.svg (missing)" in report
    assert "gone.dot (no machine module machines.gone)" in report


@pytest.mark.parametrize("command", ["render", "diagrams"])
def test_subcommands_are_registered(command):
    from statecharts.cli import build_parser

    assert command in build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
