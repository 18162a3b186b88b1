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
    for line in ("invariant answers follow jobs: holds", "invariant idle workers queue nothing: holds",
                 "deadlock  deadlock: holds", "temporal  every job is answered: holds"):
        assert line in out


def test_a_job_a_busy_worker_drops_is_a_lasso_and_a_deadlock_naming_the_actors(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.dispatch", "-p", "queues=false", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "deadlock  deadlock: VIOLATED" in out and "temporal  every job is answered: VIOLATED" in out
    assert "env -> dispatch: SUBMIT" in out and "dispatch -> w1: JOB" in out and "w1 -> dispatch: DONE(by='w1')" in out
    assert "<- cycle starts here" in out and "(stutter for ever)" in out


def test_json_gives_each_step_its_sender_receiver_and_every_actors_state() -> None:
    done = subprocess.run([sys.executable, "-m", "statecharts", "check", "machines.dispatch", "-p", "queues=false",
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
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
    assert {(s["sender"], s["receiver"], s["event"]) for s in steps} >= {("dispatch", "w1", "JOB"),
                                                                         ("w1", "dispatch", "DONE")}
    last = steps[-1]
    assert set(last["actors"]) == {"dispatch", "w1", "w2"} and last["in_flight"] == []
    assert last["actors"]["dispatch"]["context"]["submitted"] - last["actors"]["dispatch"]["context"]["answered"] == 1


@pytest.mark.parametrize("flags, said", [
    (["--simulate"], "simulate (--simulate) follows one machine"),
    (["--fingerprints", "--no-temporal"], "the fingerprint walk (--fingerprints) follows one machine"),
    (["--symmetry"], "without symmetry"),
    (["--graph-out", "g.dot"], "--graph-out: 'dispatch' starts child machines"),
    (["--coverage"], "--coverage: 'dispatch' starts child machines"),
])
def test_flags_that_follow_one_machine_are_refused_with_exit_2(flags: list[str], said: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.dispatch", "--no-progress", *flags]) == 2
    captured = capsys.readouterr()
    assert said in captured.err and "holds" not in captured.out
