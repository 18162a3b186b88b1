"""``statecharts check`` of an actor-system model (machines/dispatch.py) reports as for one chart:
invariants, deadlock and temporal properties, each counterexample naming which actor took which
event, with ``--json``; and the flags that follow one machine are refused before any walk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from statecharts.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_dispatch_system_holds_every_property(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.dispatch", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "actors: dispatch, w1, w2" in out
    for line in (
        "invariant answers follow jobs: holds",
        "invariant idle workers queue nothing: holds",
        "deadlock  deadlock: holds",
        "temporal  every job is answered: holds",
    ):
        assert line in out


def test_a_job_a_busy_worker_drops_is_a_lasso_and_a_deadlock_naming_the_actors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "machines.dispatch", "-p", "queues=false", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "deadlock  deadlock: VIOLATED" in out and "temporal  every job is answered: VIOLATED" in out
    assert "env -> dispatch: SUBMIT" in out and "dispatch -> w1: JOB" in out and "w1 -> dispatch: DONE(by='w1')" in out
    assert "<- cycle starts here" in out and "(stutter for ever)" in out


def test_json_gives_each_step_its_sender_receiver_and_every_actors_state() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "statecharts", "check", "machines.dispatch", "-p", "queues=false", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["actors"]["actors"] == ["dispatch", "w1", "w2"]
    results = {r["name"]: r for r in data["results"]}
    assert results["answers follow jobs"]["holds"] and not results["every job is answered"]["holds"]
    lasso = results["every job is answered"]
    steps = lasso["trace"]
    assert lasso["cycle_start"] == len(steps) - 2 and steps[-1]["stutter"]
    assert (steps[0]["sender"], steps[0]["receiver"], steps[0]["event"]) == (None, None, None)
    assert (steps[1]["sender"], steps[1]["receiver"], steps[1]["event"]) == (None, "dispatch", "SUBMIT")
    assert {(s["sender"], s["receiver"], s["event"]) for s in steps} >= {
        ("dispatch", "w1", "JOB"),
        ("w1", "dispatch", "DONE"),
    }
    last = steps[-1]
    assert set(last["actors"]) == {"dispatch", "w1", "w2"} and last["in_flight"] == []
    assert last["actors"]["dispatch"]["context"]["submitted"] - last["actors"]["dispatch"]["context"]["answered"] == 1


@pytest.mark.parametrize(
    "flags, said",
    [
        (["--simulate"], "simulate (--simulate) follows one machine"),
        (["--fingerprints", "--no-temporal"], "the fingerprint walk (--fingerprints, --workers, --checkpoint"),
        (
            ["--workers", "2", "--no-temporal"],
            "(--fingerprints, --workers, --checkpoint, --resume) follows one machine",
        ),
        (["--symmetry"], "without symmetry"),
        (["--graph-out", "g.dot"], "--graph-out: 'dispatch' starts child machines"),
        (["--coverage"], "--coverage: 'dispatch' starts child machines"),
    ],
)
def test_flags_that_follow_one_machine_are_refused_with_exit_2(
    flags: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "machines.dispatch", "--no-progress", *flags]) == 2
    captured = capsys.readouterr()
    assert said in captured.err and "holds" not in captured.out


def test_trace_out_mmd_draws_the_counterexample_as_a_sequence_diagram_one_lifeline_per_actor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lost.mmd"
    assert (
        main(
            [
                "check",
                "machines.dispatch",
                "-p",
                "queues=false",
                "--no-progress",
                "--trace-out",
                str(out),
                "--trace-property",
                "every job is answered",
            ]
        )
        == 1
    )
    assert f"wrote the counterexample to every job is answered to {out}" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "sequenceDiagram",
        "    participant env",
        "    participant dispatch",
        "    participant w1",
        "    participant w2",
    ]
    assert "    env->>dispatch: 1. SUBMIT" in lines and "    w1->>dispatch: 8. DONE(by='w1')" in lines
    lost = lines.index("    dispatch->>w1: 5. JOB")  # the job the busy worker ignores
    assert lines[lost + 1] == "    Note over w1: nothing changed"
    assert lines[-1] == "    Note over dispatch,w2: 11. nothing happens, for ever"


def test_trace_out_as_an_image_is_refused_for_an_actor_system(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.dispatch", "--no-progress", "--trace-out", "cx.svg"]) == 2
    assert "--trace-out FILE.mmd draws one as a sequence diagram" in capsys.readouterr().err


BOSS = """
from statecharts import Machine, send_parent, send_to

worker = Machine({"id": "worker", "initial": "idle", "states": {
    "idle": {"on": {"JOB": {"target": "idle", "actions": send_parent("DONE")}}}}})
machine = Machine({"id": "boss", "initial": "waiting", "states": {
    "waiting": {"on": {"FIRE": {"target": "busy", "actions": send_to("w", "JOB")}}},
    "busy": {"on": {"DONE": "finished"}},
    "finished": {"on": {"RESET": "waiting"}},
}, "invoke": {"src": worker, "id": "w"}})
"""


def test_a_bare_machine_with_children_is_walked_over_its_own_event_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module with only a `machine` that starts children: the environment may send every event
    the root chart names (as for one chart), not nothing (which left the root deadlocked at once)."""
    chart = tmp_path / "boss.py"
    chart.write_text(BOSS)
    assert main(["check", str(chart), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "deadlock  deadlock: holds" in out
    assert "never active" not in out  # waiting, busy and finished were all reached
    assert "the environment sends boss: FIRE, RESET" in out  # DONE comes from its child: the report says so
