"""``python -m statecharts check``: the JSON report, the exit codes, the errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from statecharts.cli import main


def run_check(capsys, *args):
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_has_the_promised_fields_and_exit_1_on_a_violation(capsys):
    code, out, _ = run_check(capsys, "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--json")
    report = json.loads(out)
    assert code == 1  # Converges is violated (confOK = FALSE never converges)
    assert report["distinct_states"] == 212 and report["transitions"] == 382
    assert report["depth"] == 13 and report["complete"] is True and report["seconds"] >= 0
    by_name = {r["name"]: r for r in report["results"]}
    assert set(by_name) >= {
        "TypeInvariants",
        "NoConcurrentUpdate",
        "NoConcurrentUpdateW",
        "deadlock",
        "NoPartialUpdateTermination",
        "EveryReqIsProcessed",
        "EveryReqIsDecided",
        "Converges",
    }
    assert {r["kind"] for r in report["results"]} == {"invariant", "deadlock", "temporal"}
    assert by_name["NoConcurrentUpdateW"] == {
        "name": "NoConcurrentUpdateW",
        "kind": "invariant",
        "holds": True,
        "verdict": "holds",
        "trace": None,
    }
    lasso = by_name["Converges"]
    assert lasso["holds"] is False and 0 <= lasso["cycle_start"] < len(lasso["trace"])
    assert lasso["trace"][0]["event"] is None
    assert lasso["trace"][1]["event"] == "SUBMIT" and lasso["trace"][1]["data"] == {"r": 1}
    assert set(lasso["trace"][1]) >= {"event", "data", "configuration", "context"}


def test_exit_0_when_every_property_holds(capsys):
    code, out, _ = run_check(capsys, "machines.cluster_update", "-p", "workers=1", "-p", "requests=1", "--no-temporal")
    assert code == 0 and "1 distinct" not in out and "14 distinct states" in out


def test_no_fairness_turns_liveness_into_stuttering_lassos(capsys):
    code, out, _ = run_check(capsys, "machines.cluster_update", "--no-fairness", "--json")
    report = json.loads(out)
    result = next(r for r in report["results"] if r["name"] == "NoPartialUpdateTermination")
    assert code == 1 and report["fairness"] is False
    assert not result["holds"] and result["trace"][-1]["stutter"] is True


def test_symmetry_flag_reports_what_it_saved(capsys):
    code, out, _ = run_check(capsys, "machines.cluster_update", "--symmetry", "--no-temporal", "--json")
    report = json.loads(out)
    assert code == 0 and report["distinct_states"] == 72
    assert report["symmetry"]["represented"] == 212 and report["symmetry"]["saved"] == 140


def test_max_states_gives_an_incomplete_run(capsys):
    code, out, _ = run_check(
        capsys, "machines.cluster_update", "-p", "lock=false", "--max-states", "500", "--no-temporal", "--json"
    )
    report = json.loads(out)
    assert report["complete"] is False and "500" in report["stopped_by"]


def test_the_report_writes_its_counts_with_thousands_separators(capsys):
    code, out, _ = run_check(capsys, "machines.cluster_update", "-p", "workers=2", "-p", "requests=3", "--no-temporal")
    assert code == 0 and "2,909 distinct states, 6,330 transitions, depth 15" in out


def test_a_bare_machine_module_is_walked_over_its_event_names(capsys):
    code, out, _ = run_check(capsys, "machines.media_player", "--json")
    assert code == 0 and json.loads(out)["distinct_states"] == 12


@pytest.mark.parametrize(
    "args,message",
    [
        (["machines.nope"], "no module named 'machines.nope'"),
        (["machines.cluster_update:modle"], "did you mean 'model'"),
        (["machines.cluster_update", "-p", "worker=2"], "did you mean 'workers'"),
        (["machines.cluster_update", "-p", "workers=x"], "takes int values"),
        (["machines.cluster_update", "-p", "workers=0"], "at least one worker"),
        (["machines.cluster_update", "-p", "workers"], "NAME=VALUE"),
        (["machines.cluster_update", "--max-states", "0"], "must be positive"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_2(capsys, args, message):
    code, out, err = run_check(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_the_module_entry_point_runs_as_a_program():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "statecharts",
            "check",
            "machines.cluster_update",
            "-p",
            "workers=1",
            "-p",
            "requests=1",
            "--no-temporal",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "14 distinct states" in done.stdout


def test_trace_out_draws_the_first_counterexample_in_trace_order(capsys, tmp_path):
    out = tmp_path / "lasso.dot"
    code, printed, _ = run_check(
        capsys,
        "machines.cluster_update",
        "-p",
        "workers=1",
        "-p",
        "requests=1",
        "--no-fairness",
        "--trace-out",
        str(out),
    )
    source = out.read_text()
    assert code == 1 and "NoPartialUpdateTermination" in printed
    assert "packmode=array_i1" in source and "(stutter for ever)" in source  # pack in input order
    lines = [line.strip() for line in source.splitlines()]
    steps = [index for index, line in enumerate(lines) if line.startswith("subgraph cluster_step")]
    assert [lines[index] for index in steps] == [f"subgraph cluster_step{step} {{" for step in range(6)]
    assert all(lines[index - 1] == "{" for index in steps)  # each in an anonymous subgraph: see render_trace


def test_trace_out_with_nothing_violated_says_so(capsys, tmp_path):
    code, _, err = run_check(
        capsys,
        "machines.cluster_update",
        "-p",
        "workers=1",
        "-p",
        "requests=1",
        "--no-temporal",
        "--trace-out",
        str(tmp_path / "none.svg"),
    )
    assert code == 0 and "no counterexample" in err and not (tmp_path / "none.svg").exists()


def test_a_file_that_cannot_be_written_is_a_clear_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["diagrams", "--out", str(blocker / "sub")])
    _, err = capsys.readouterr()
    assert code == 2 and "error:" in err and "Traceback" not in err


def test_graph_out_writes_every_state_and_transition_with_the_counterexample_filled(capsys, tmp_path):
    out = tmp_path / "states.dot"
    code, printed, _ = run_check(
        capsys,
        "machines.cluster_update",
        "-p",
        "workers=1",
        "-p",
        "requests=1",
        "--no-fairness",
        "--graph-out",
        str(out),
    )
    source = out.read_text()
    nodes = [
        line
        for line in source.splitlines()
        if line.strip().startswith("s") and "[label=" in line and " -> " not in line
    ]
    assert code == 1 and "wrote the state graph (14 states, the counterexample to" in printed
    assert len(nodes) == 14 and source.count(" -> ") == 14  # 1x1: 14 states, 14 transitions (TLC's count)
    assert "SUBMIT(r=1)" in source and "toApply=0" in source
    filled = [line for line in nodes if "fillcolor" in line]
    assert 2 <= len(filled) <= 6 and "penwidth=2.5" in source  # the lasso's states and steps


@pytest.mark.dot
def test_graph_out_renders_an_image_of_a_small_graph(capsys, tmp_path):
    out = tmp_path / "states.svg"
    code, _, _ = run_check(capsys, "machines.fetch", "--graph-out", str(out))
    assert code == 0 and out.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--graph-out", "states.txt"], "unknown format '.txt'"),
        (["--graph-out", " "], "needs a file name"),
        (
            ["-p", "workers=3", "-p", "requests=3", "--no-temporal", "--graph-out", "states.svg"],
            "3,938 states are too many to lay out as an image",
        ),
    ],
)
def test_graph_out_bad_input_is_a_clear_error(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_check(capsys, "machines.cluster_update", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "states.svg").exists()
