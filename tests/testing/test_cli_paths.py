"""``statecharts paths``: test paths on the command line, as text or JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from statecharts.cli.paths import main


def test_paths_prints_a_transition_cover_as_test_descriptions(capsys):
    assert main(["machines.cluster_update", "-p", "workers=1", "-p", "requests=1"]) == 0
    out = capsys.readouterr().out
    assert out.count("path ") >= 3 and "given the initial state:" in out
    assert "5. APPLY_FINISH(w=1, ok=False) -> workers.w1=waiting, cluster=failed; toApply=10" in out
    assert out.rstrip().endswith("transition cover: 3 paths, 14 steps; state graph 14 states, 14 edges")


def test_paths_json_holds_each_step_with_event_payload_and_expected_snapshot(capsys):
    assert main(["machines.cluster_update", "--cover", "edges", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["states"] == 212 and data["edges"] == 382 and data["complete"]
    assert data["total_paths"] == len(data["paths"]) > 0
    taken = sum(len(p["steps"]) - 1 for p in data["paths"])
    assert taken == data["steps"] >= 382
    first = data["paths"][0]["steps"]
    assert first[0]["event"] is None and first[1]["event"] == "SUBMIT" and first[1]["data"] == {"r": 1}
    assert set(first[1]) >= {"configuration", "context", "value"}


def test_paths_state_cover_and_limit(capsys):
    assert main(["machines.cluster_update", "--cover", "states", "--limit", "2", "--brief"]) == 0
    out = capsys.readouterr().out
    assert "state cover: 2 of 78 paths" in out and "context:" not in out


def test_paths_to_a_state_lists_simple_paths(capsys):
    assert (
        main(
            [
                "machines.cluster_update",
                "-p",
                "workers=1",
                "-p",
                "requests=1",
                "--to",
                "#cluster.failed",
                "--max-length",
                "6",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "simple paths to #cluster.failed: 1 paths, 5 steps" in out


def test_paths_reports_bad_input_with_status_2(capsys):
    assert main(["machines.cluster_update", "--to", "#cluster.nowhere"]) == 2
    assert "has no state '#cluster.nowhere'" in capsys.readouterr().err
    assert main(["machines.fetch:config"]) == 2
    assert "neither a Machine nor a Model factory" in capsys.readouterr().err
    assert main(["machines.cluster_update", "-p", "size=3"]) == 2
    assert main(["machines.cluster_update", "--max-states", "0"]) == 2
    assert "--max-states must be positive" in capsys.readouterr().err


def test_paths_walks_a_bare_machine_over_its_event_names(capsys):
    assert main(["machines.fetch:machine"]) == 0
    assert "transition cover" in capsys.readouterr().out


def test_paths_runs_as_a_subcommand_of_python_m_statecharts():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "statecharts",
            "paths",
            "machines.cluster_update",
            "-p",
            "workers=1",
            "-p",
            "requests=1",
            "--cover",
            "states",
            "--brief",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "state cover: 3 paths" in done.stdout
