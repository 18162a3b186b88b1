"""Ctrl-C during a ``check --workers N`` walk (SIGINT to the whole process group, as a terminal
sends it) stops the walk with the partial report and exit status 130, no traceback, its workers
gone; the checkpoint it leaves resumes to the complete result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.check.interrupting import interrupt_at_level

ROOT = Path(__file__).resolve().parents[2]
CHECK = [
    sys.executable,
    "-m",
    "statecharts",
    "check",
    "machines.cluster_update",
    "-p",
    "workers=3",
    "-p",
    "requests=4",
    "--no-temporal",
    "--json",
]


def test_ctrl_c_during_a_workers_walk_prints_the_partial_report_and_resume_completes_it(tmp_path):
    folder = tmp_path / "run"
    walk = interrupt_at_level(
        [*CHECK, "--workers", "2", "--checkpoint", str(folder)], ROOT, lambda: [folder / "checkpoint.json"]
    )
    assert walk.returncode == 130 and "Traceback" not in walk.stderr, walk.stderr
    partial = json.loads(walk.stdout)
    assert not partial["complete"] and partial["fingerprints"]["interrupted"]
    assert 0 < partial["distinct_states"] < 65_970 and f"the checkpoint in {folder}" in partial["stopped_by"]
    resumed = subprocess.run(
        [*CHECK, "--workers", "2", "--resume", str(folder)], cwd=ROOT, text=True, capture_output=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert (json.loads(resumed.stdout)["distinct_states"], json.loads(resumed.stdout)["complete"]) == (65_970, True)
