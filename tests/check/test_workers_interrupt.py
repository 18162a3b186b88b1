"""Ctrl-C during a ``check --workers N`` walk (SIGINT to the whole process group, as a terminal
sends it) stops the walk with the partial report and exit status 130, no traceback, its workers
gone; the checkpoint it leaves resumes to the complete result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = [sys.executable, "-m", "statecharts", "check", "machines.cluster_update", "-p", "workers=3", "-p", "requests=4",
         "--no-temporal", "--json"]


def test_ctrl_c_during_a_workers_walk_prints_the_partial_report_and_resume_completes_it(tmp_path):
    folder = tmp_path / "run"
    walk = subprocess.Popen([*CHECK, "--workers", "2", "--checkpoint", str(folder)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and walk.poll() is None:  # well into the walk: level 3 reached
            try:
                if json.loads((folder / "checkpoint.json").read_text())["depth"] >= 3:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        assert walk.poll() is None, "the walk ended before it could be interrupted"
        os.killpg(walk.pid, signal.SIGINT)
        out, err = walk.communicate(timeout=60)
    finally:
        if walk.poll() is None:
            os.killpg(walk.pid, signal.SIGKILL)
    assert walk.returncode == 130 and "Traceback" not in err, err
    partial = json.loads(out)
    assert not partial["complete"] and partial["fingerprints"]["interrupted"]
    assert 0 < partial["distinct_states"] < 65_970 and f"the checkpoint in {folder}" in partial["stopped_by"]
    resumed = subprocess.run([*CHECK, "--workers", "2", "--resume", str(folder)], cwd=ROOT, text=True,
                             capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert (json.loads(resumed.stdout)["distinct_states"], json.loads(resumed.stdout)["complete"]) == (65_970, True)
