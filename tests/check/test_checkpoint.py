"""Checkpoints within a breadth-first level (TLC's ``-checkpoint``): Ctrl-C, the checkpoint
interval or a crash stop the fingerprint walk inside a level, and ``resume`` continues from there
to the counts, verdicts and counterexamples, step for step, of a walk never stopped; a damaged,
foreign or missing checkpoint is refused, naming what is wrong."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from machines.cluster_update import model as cluster_model
from statecharts.check import Bounds, Model, check, fingerprints
from statecharts.check.fingerprints import check_fingerprints
from statecharts.errors import ConfigError
from tests.check.interrupting import interrupt_at_level
from tests.check.test_fingerprints import planted, summary

ROOT = Path(__file__).resolve().parents[2]


class CtrlC:
    """An invariant that presses Ctrl-C (SIGINT to the walk's driver, this process) at the 500th
    state its process checks (in level 6 of one process, 8 of two), once, in whichever worker
    process gets there first."""

    def __init__(self, marker: Path) -> None:
        self.driver, self.marker, self.checked = os.getpid(), marker, 0

    def __call__(self, s) -> bool:
        self.checked += 1
        if self.checked == 500:
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return True
            os.kill(self.driver, signal.SIGINT)
        return True


def interrupted_walk(tmp_path: Path, workers: int, monkeypatch) -> tuple[Model, Path]:
    """A walk of a model with planted bugs stopped by Ctrl-C within a level; the model and its folder."""
    monkeypatch.setattr(fingerprints, "SLICE", 16)  # levels of hundreds of states: many slices each
    monkeypatch.setattr(fingerprints, "SHARE_LEAST", 1)  # states lent between workers in most slices
    # shared out by state counts, not measured CPU time: which worker checks which state, and so
    # where `CtrlC` presses (within a level, not in its last slice), does not depend on timing
    monkeypatch.setattr(fingerprints.Walk, "_measure", lambda walk, results: None)
    m, folder = planted(2, 3), tmp_path / "run"
    pressing = Model(**{**m.__dict__, "invariants": {**m.invariants, "ctrl-c": CtrlC(tmp_path / "pressed")}})
    partial = check_fingerprints(pressing, directory=folder, workers=workers, checkpoint_every=None)
    saved = json.loads((folder / "checkpoint.json").read_text())
    assert partial.fingerprints["interrupted"] and not partial.complete
    assert 0 < saved["level"]["upto"] and saved["depth"] >= 6, saved
    where = f"within level {saved['depth']}: {saved['level']['upto']} of its"
    assert f"the checkpoint in {folder} is {where}" in partial.stopped_by
    # the partial report has the violations found so far (at depth 2), with the uninterrupted walk's traces
    broken = partial.result("fewer than 2 requests")
    assert not broken.holds and broken.trace == check(m).result("fewer than 2 requests").trace
    return m, folder


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_ctrl_c_checkpoints_within_the_level_and_resume_reaches_the_uninterrupted_result(
    tmp_path, monkeypatch, workers
):
    m, folder = interrupted_walk(tmp_path, workers, monkeypatch)
    resumed = check_fingerprints(m, directory=folder, workers=workers, resume=True)
    assert summary(resumed) == summary(check(m))
    assert resumed.fingerprints["checkpoint"] == "at the start of level 15"  # the last level's


@pytest.mark.parametrize("workers", [1, 2])
def test_checkpoints_every_interval_within_a_level_each_resumable(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(fingerprints, "SLICE", 16)
    monkeypatch.setattr(fingerprints, "SHARE_LEAST", 1)
    m, folder = planted(2, 3), tmp_path / "run"
    saved: list[dict] = []
    real = fingerprints.save_checkpoint

    def save(folder: Path, progress: dict, durable: bool) -> None:
        saved.append(json.loads(json.dumps(progress)))
        real(folder, progress, durable)

    monkeypatch.setattr(fingerprints, "save_checkpoint", save)
    walked = check_fingerprints(m, directory=folder, workers=workers, checkpoint_every=0.0)  # after every slice
    assert (walked.fingerprints["states_shared"] > 0) == (workers > 1)  # checkpoints with states lent, too
    within = [c for c in saved if "level" in c]
    assert len(within) > 50 and {c["depth"] for c in within} >= set(range(5, 12))
    # every one of them is a checkpoint a resume continues from: take one back, with the files as they were
    for kind in ("states", "links", "orders"):  # the files written after it are cut back
        for path in folder.glob(f"{kind}-*-9.*"):
            with open(path, "ab") as out:
                out.write(b"\x80 half a record")
    real(folder, next(c for c in within if c["depth"] == 8 and c["level"]["upto"] > 32))
    assert summary(check_fingerprints(m, directory=folder, workers=workers, resume=True)) == summary(check(m))


def test_a_crash_while_writing_a_checkpoint_leaves_the_previous_one_resumable(tmp_path, monkeypatch):
    m, folder = interrupted_walk(tmp_path, 2, monkeypatch)
    # the walk went on and crashed while it wrote its next checkpoint: the next level's files have
    # grown (half a record at the end), and half the new checkpoint is in its scratch file
    following = json.loads((folder / "checkpoint.json").read_text())["depth"] + 1
    for path in folder.glob(f"*-{following}.*"):  # states, links and orders files
        with open(path, "ab") as out:
            out.write(b"\x80\x05 the walk went on and then died in the middle of a rec")
    (folder / "checkpoint.json.tmp").write_text('{"depth": 8, "distinct": 9')
    resumed = check_fingerprints(m, directory=folder, workers=2, resume=True)
    assert summary(resumed) == summary(check(m))


def test_resume_refuses_a_missing_foreign_or_damaged_checkpoint(tmp_path, monkeypatch):
    m, folder = interrupted_walk(tmp_path, 1, monkeypatch)
    saved = (folder / "checkpoint.json").read_text()
    level, following = json.loads(saved)["level"]["files"][0], json.loads(saved)["depth"] + 1

    def refused(what: str, folder: Path = folder) -> None:
        with pytest.raises(ConfigError, match=what):
            check_fingerprints(m, directory=folder, resume=True)

    refused("cannot resume from .*nowhere: no readable checkpoint.json", tmp_path / "nowhere")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "checkpoint.json").write_text('{"name": "a build of something else"}')
    refused("is not a fingerprint walk's checkpoint, or is damaged \\(no 'depth'\\)", tmp_path / "foreign")
    (folder / "checkpoint.json").write_text(saved[: len(saved) // 2])  # torn: not written by save_checkpoint
    refused("no readable checkpoint.json")
    (folder / "checkpoint.json").write_text(saved)
    written = folder / f"states-0-{following}.pkl"
    whole = written.read_bytes()
    written.write_bytes(whole[: level["states"] - 10])
    refused(f"states-0-{following}.pkl has {level['states'] - 10} bytes, its checkpoint counts {level['states']}")
    written.write_bytes(whole)
    (folder / "states-0-2.pkl").write_bytes(b"not a pickle")
    refused("states-0-2.pkl is damaged \\(UnpicklingError")
    (folder / "states-0-2.pkl").unlink()
    counted = json.loads(saved)["distinct"]  # level 2 had 18 states
    refused(f"its level files hold {counted - 18} states up to level {following - 1}, its checkpoint counts {counted}")


def test_check_ctrl_c_checkpoints_within_a_level_and_resume_completes_it(tmp_path):
    """The command line: Ctrl-C in a level larger than a slice (levels 7 to 12 of UpdateCluster
    3x4 hold 5,760 to 9,036 states) writes a checkpoint within it; --resume completes the walk."""
    folder = tmp_path / "run"
    command = [sys.executable, "-m", "statecharts", "check", "machines.cluster_update", "-p", "workers=3"]
    command += ["-p", "requests=4", "--no-temporal", "--json", "--checkpoint-every", "0"]
    walk = interrupt_at_level([*command, "--checkpoint", str(folder)], ROOT, lambda: [folder / "checkpoint.json"], 8)
    assert walk.returncode == 130 and "Traceback" not in walk.stderr, walk.stderr
    partial, saved = json.loads(walk.stdout), json.loads((folder / "checkpoint.json").read_text())
    assert partial["fingerprints"]["interrupted"] and not partial["complete"]
    assert f"the checkpoint in {folder} is {partial['fingerprints']['checkpoint']}" in partial["stopped_by"]
    if "level" in saved:  # Ctrl-C came within a level (else between two, at the start of the next)
        assert partial["fingerprints"]["checkpoint"].startswith(f"within level {saved['depth']}: ")
    done = subprocess.run([*command, "--resume", str(folder)], cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    one = check(Model(**{**cluster_model(3, 4).__dict__, "properties": {}}))
    resumed = json.loads(done.stdout)
    assert (resumed["distinct_states"], resumed["transitions"], resumed["depth"], resumed["complete"]) == (
        one.distinct_states,
        one.transitions,
        one.depth,
        True,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_walk_killed_at_any_moment_resumes_from_its_last_checkpoint(tmp_path, workers):
    """SIGKILL (a crash: no handler runs) while checkpoints are written after every slice: the
    files may end in half a record, the scratch checkpoint may be half written."""
    folder = tmp_path / "run"
    command = [sys.executable, "-m", "statecharts", "check", "machines.cluster_update", "-p", "workers=3"]
    command += ["-p", "requests=4", "--no-temporal", "--json", "--workers", workers]
    killed = subprocess.Popen(
        [*command, "--checkpoint", str(folder), "--checkpoint-every", "0.00001"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_a_checkpoint_within_level(folder, 8, killed)
        orphans = children(killed.pid)
        killed.kill()
    finally:
        killed.kill()
        killed.wait(timeout=60)
    assert len(orphans) == (int(workers) if workers != "1" else 0)
    gone_within(orphans, 30)  # the workers end when their driver dies, however it dies
    done = subprocess.run([*command, "--resume", str(folder)], cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    assert (resumed["distinct_states"], resumed["transitions"], resumed["complete"]) == (65_970, 173_704, True)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def gone_within(pids: list[int], seconds: float) -> None:
    import time

    deadline = time.monotonic() + seconds
    left = pids
    while left and time.monotonic() < deadline:
        for pid in left:
            try:
                os.waitpid(pid, os.WNOHANG)  # not ours to reap: an orphan's parent is init
            except ChildProcessError:
                pass
        left = [pid for pid in left if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
        time.sleep(0.05)
    assert not left, f"worker processes {left} outlived their killed driver"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_for_a_checkpoint_within_level(folder: Path, depth: int, process: subprocess.Popen) -> None:
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the walk ended before it could be killed"
        try:
            saved = json.loads((folder / "checkpoint.json").read_text())
            if "level" in saved and saved["depth"] >= depth:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    raise AssertionError("no checkpoint within a level in two minutes")


def test_check_checkpoint_every_is_refused_without_a_folder_or_below_zero(capsys):
    from statecharts.cli import main

    args = ["check", "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--no-temporal"]
    assert main([*args, "--checkpoint-every", "5"]) == 2
    assert "--checkpoint-every needs --checkpoint DIR or --resume DIR" in capsys.readouterr().err
    assert main([*args, "--checkpoint", "run", "--checkpoint-every", "-1"]) == 2
    assert "--checkpoint-every must be 0 minutes or more, not -1.0" in capsys.readouterr().err
    assert main([*args, "--resume", str(ROOT / "tests")]) == 2
    assert "no readable checkpoint.json" in capsys.readouterr().err


def test_the_time_bound_stops_within_a_level_with_a_checkpoint_a_resume_continues(tmp_path, monkeypatch):
    monkeypatch.setattr(fingerprints, "SLICE", 1)  # the two initial states are two slices
    m, folder = planted(2, 3), tmp_path / "run"
    bounded = check_fingerprints(m, directory=folder, bounds=Bounds(max_seconds=0), checkpoint_every=None)
    saved = json.loads((folder / "checkpoint.json").read_text())
    assert not bounded.complete and bounded.stopped_by == "time bound 0 s"
    assert (saved["depth"], saved["level"]["upto"], bounded.fingerprints["checkpoint"]) == (
        0,
        1,
        "within level 0: 1 of its 2 states expanded",
    )
    found = saved["level"]["files"][0]["written"]  # level 1's states found so far count
    assert found > 0 and (bounded.distinct_states, bounded.depth) == (2 + found, 1)
    monkeypatch.setattr(fingerprints, "SLICE", 16)
    assert summary(check_fingerprints(m, directory=folder, resume=True)) == summary(check(m))
