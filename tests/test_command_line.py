"""The command line, honest and friendly: verdicts survive drawings, bounds stop cleanly with the
partial report, Ctrl-C is exit 130, files work as targets, ``run`` runs services and timers."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from statecharts.check import check
from statecharts.cli import main
from statecharts.cli.check import resident_mb
from statecharts.cli.loading import load_model

ROOT = Path(__file__).resolve().parent.parent
# a counter that never stops growing: an infinite state space (a marker file says the walk began)
COUNTER = textwrap.dedent("""
    from pathlib import Path
    from statecharts import Machine, assign
    from statecharts.check import Model, events

    machine = Machine({"id": "counter", "context": {"n": 0}, "initial": "on", "states": {"on": {"on": {
        "INC": {"actions": assign(n=lambda c, e: c["n"] + 1)},
        "DOUBLE": {"actions": assign(n=lambda c, e: c["n"] * 2 + 1)}}}}})

    def model(below: int = 10**9) -> Model:
        Path(__file__).with_suffix(".started").touch()
        return Model(machine, alphabet=events("INC") + events("DOUBLE"),
                     invariants={"small": lambda s: s.context["n"] < below})
""")


@pytest.fixture
def counter(tmp_path: Path) -> Path:
    path = tmp_path / "counter.py"
    path.write_text(COUNTER, encoding="utf-8")
    return path


def cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "statecharts", *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_ctrl_c_prints_the_partial_report_marked_incomplete_and_exits_130(counter: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "statecharts", "check", str(counter), "--no-progress"],
        cwd=counter.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not counter.with_suffix(".started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the walk is under way (its SIGINT handler is installed right after model())
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert "INCOMPLETE: interrupted (Ctrl-C)" in out
    assert "invariant small: no violation in the" in out and "(INCOMPLETE: not proved)" in out
    assert ": holds" not in out  # an interrupted walk proves nothing
    assert "Traceback" not in err and "interrupted" in err


def test_max_memory_stops_the_walk_cleanly_with_the_partial_report(
    counter: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    limit = resident_mb() + 25
    assert main(["check", str(counter), "--max-memory", f"{limit:.0f}", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"INCOMPLETE: stopped by memory bound {limit:,.0f} MB" in out


def test_check_has_a_memory_bound_by_default() -> None:
    from statecharts.cli.check import memory_limit_mb

    assert 0 < memory_limit_mb(None) <= 4096


def test_check_stops_an_unbounded_model_at_its_default_depth_bound_and_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the counter has no bound on n: without a default bound the walk would run to the memory bound
    # (here it would stop at the time bound instead, and say so)
    assert main(["check", "machines.counter", "--no-progress", "--max-seconds", "120"]) == 0
    out, err = capsys.readouterr()
    assert "depth 10000" in out and "INCOMPLETE: stopped by depth bound 10000" in out
    assert ": holds" not in out and "no violation in the 39,996 states explored (INCOMPLETE: not proved)" in out
    assert err.splitlines() == [
        "statecharts check: the walk stopped at the depth bound 10000 (the default) before the state graph "
        "was complete: a property not violated in the states explored is not proved; a state graph this "
        "deep usually means the model is unbounded (a counter with no limit): bound it (a model parameter, "
        "a guard) or raise the bound with --max-depth N"
    ]
    assert main(["check", "machines.counter", "--no-progress", "--max-depth", "20", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["stopped_by"] == "depth bound 20" and err == ""  # a bound the user set: no note
    assert main(["check", "machines.counter", "--no-progress", "-p", "limit=3"]) == 1  # a violation is found as before
    assert "invariant below limit: VIOLATED" in capsys.readouterr().out


def test_max_seconds_holds_while_the_model_is_built(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        textwrap.dedent("""
        import time
        def model():
            try:
                time.sleep(30)
            except Exception:  # a factory's own handler does not swallow the time bound
                pass
    """),
        encoding="utf-8",
    )
    started = time.monotonic()
    done = cli("check", "slow.py", "--max-seconds", "0.5", cwd=tmp_path)
    assert done.returncode == 2 and "--max-seconds 0.5 ran out while building the model" in done.stderr
    assert time.monotonic() - started < 20


def test_the_reported_seconds_include_every_phase(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.cluster_update", "-p", "workers=1", "-p", "requests=1", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report["phases"]) == {"build", "explore", "properties"}
    assert report["seconds"] == pytest.approx(sum(report["phases"].values()), abs=0.01)


def test_the_progress_bar_is_told_each_phase() -> None:
    phases: list[str] = []
    check(load_model("machines.cluster_update", {"workers": 1, "requests": 1}), phase=phases.append)
    assert phases[0] == "explore" and phases[1:] == [
        "temporal 1/4: NoPartialUpdateTermination",
        "temporal 2/4: EveryReqIsProcessed",
        "temporal 3/4: EveryReqIsDecided",
        "temporal 4/4: Converges",
    ]


def test_a_drawing_that_fails_after_a_violation_keeps_exit_1(
    counter: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "check",
            str(counter),
            "-p",
            "below=50",
            "--max-states",
            "2500",
            "--graph-out",
            str(tmp_path / "g.svg"),
            "--no-progress",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1 and "small: VIOLATED" in out and "too many to lay out" in err


def test_a_drawing_that_fails_when_all_holds_is_exit_2(
    counter: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["check", str(counter), "--max-states", "2500", "--graph-out", str(tmp_path / "g.svg"), "--no-progress"]
    )
    assert code == 2 and "too many to lay out" in capsys.readouterr().err


def test_an_image_without_dot_is_refused_before_the_walk(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "statecharts", "check", "machines.fetch", "--graph-out", str(tmp_path / "g.svg")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "'dot' program was not found" in done.stderr and done.stdout == ""


@pytest.mark.dot
def test_a_lasso_drawn_as_svg_marks_where_the_cycle_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "lasso.svg"
    assert (
        main(
            [
                "check",
                "machines.cluster_update",
                "-p",
                "workers=1",
                "-p",
                "requests=1",
                "--no-fairness",
                "--trace-out",
                str(out_file),
                "--trace-property",
                "EveryReqIsProcessed",
            ]
        )
        == 1
    )
    assert "wrote the counterexample to EveryReqIsProcessed" in capsys.readouterr().out
    svg = out_file.read_text(encoding="utf-8")
    assert "the cycle starts here" in svg and "then back to step" in svg


def test_trace_property_must_name_a_property_of_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.cluster_update", "--trace-out", "x.mmd", "--trace-property", "Converge"]) == 2
    assert "did you mean 'Converges'" in capsys.readouterr().err


def test_the_console_script_sees_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "mychart.py").write_text(
        "from statecharts import Machine\n"
        'machine = Machine({"id": "mine", "initial": "a", "states": {"a": {"type": "final"}}})\n',
        encoding="utf-8",
    )
    bin_dir = tmp_path / "bin"  # as pip writes it: the script's own folder is sys.path[0], not the cwd
    bin_dir.mkdir()
    (bin_dir / "statecharts").write_text(
        f"import sys\nsys.path.insert(1, {str(ROOT)!r})\nfrom statecharts.cli import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "mychart.py").write_text((tmp_path / "mychart.py").read_text(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(bin_dir / "statecharts"), "check", "mychart"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "model mychart" in done.stdout, done.stderr


@pytest.mark.parametrize(
    "name, text",
    [
        (
            "chart.py",
            'from statecharts import Machine\nmachine = Machine({"id": "m", "initial": "a", '
            '"states": {"a": {"on": {"GO": "b"}}, "b": {}}})\n',
        ),
        ("chart.json", '{"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}'),
        (
            "chart.scxml",
            '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a" datamodel="python">'
            '<state id="a"><transition event="GO" target="b"/></state><state id="b"/></scxml>',
        ),
    ],
)
def test_every_command_takes_a_chart_file(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    checked = cli("check", name, cwd=tmp_path)
    assert checked.returncode == 1 and "deadlock: VIOLATED" in checked.stdout, checked.stderr  # b is a dead end
    ran = cli("run", name, "GO", cwd=tmp_path)
    assert ran.returncode == 0 and '"b"' in ran.stdout.splitlines()[-1], ran.stderr
    drawn = cli("render", name, "-o", "m.dot", cwd=tmp_path)
    assert drawn.returncode == 0 and (tmp_path / "m.dot").is_file(), drawn.stderr
    paths = cli("paths", name, cwd=tmp_path)
    assert paths.returncode == 0 and "GO" in paths.stdout, paths.stderr


def test_run_executes_invoked_services(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "machines.auth", "LOGIN:username=ada,password=secret"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("xstate.done.actor.authenticate") and '"authenticated"' in last and "'user': 'ada'" in last


def test_run_executes_child_machines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "machines.dispatch", "SUBMIT", "SUBMIT"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["(initial)", "SUBMIT", "DONE(by='w1')", "SUBMIT", "DONE(by='w2')"]
    assert "'answered': 2" in lines[-1]


def test_run_fires_timers_on_a_virtual_clock(tmp_path: Path) -> None:
    (tmp_path / "light.py").write_text(
        'from statecharts import Machine\nmachine = Machine({"id": "light", "initial": "green", "states": {'
        '"green": {"after": {3000: "yellow"}}, "yellow": {"after": {1000: "red"}}, "red": {}}})\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    done = cli("run", "light.py", "+2999", "+1", "+5000", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    values = [line.split()[1] for line in done.stdout.splitlines()]
    assert values == ['"green"', '"green"', '"yellow"', '"red"'] and time.monotonic() - started < 20


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith("statecharts 0.")


def test_no_frozendict_in_human_output_or_json(tmp_path: Path) -> None:
    (tmp_path / "nested.py").write_text(
        textwrap.dedent("""
        from statecharts import Machine, assign
        from statecharts.check import Model, events
        from statecharts.frozen import FrozenDict

        machine = Machine({"id": "nest", "context": {"cfg": FrozenDict(a=1, b=FrozenDict(c=2)), "n": 0},
                           "initial": "on", "states": {"on": {"on": {"INC": {
                               "guard": lambda c, e: c["n"] < 2,
                               "actions": assign(n=lambda c, e: c["n"] + 1,
                                                 cfg=lambda c, e: FrozenDict(a=c["n"], b=FrozenDict(c=3)))}}}}})

        def model():
            return Model(machine, alphabet=events("INC"), invariants={"small": lambda s: s.context["n"] < 2})
    """),
        encoding="utf-8",
    )
    outputs = [
        cli("check", "nested.py", cwd=tmp_path),
        cli("check", "nested.py", "--json", cwd=tmp_path),
        cli("run", "nested.py", "INC", cwd=tmp_path),
        cli("paths", "nested.py", cwd=tmp_path),
        cli("check", "nested.py", "--trace-out", "t.mmd", cwd=tmp_path),
    ]
    for done in outputs:
        assert done.returncode in (0, 1) and "FrozenDict" not in done.stdout + done.stderr, done.args
    assert "cfg={'a': 0, 'b': {'c': 3}}" in outputs[0].stdout
    assert "FrozenDict" not in (tmp_path / "t.mmd").read_text(encoding="utf-8")


def test_diagrams_outside_the_repository_says_where_to_run_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagrams", "--package", "no_such_machines", "--out", str(tmp_path)]) == 2
    assert "run `diagrams` from the repository's root" in capsys.readouterr().err


def test_the_progress_bar_keeps_moving_within_a_long_phase() -> None:
    from statecharts.cli.check import ProgressBar

    out = io.StringIO()
    bar = ProgressBar(file=out)
    bar.phase("temporal 1/1: Converges")
    time.sleep(1.3)  # no news from the checker meanwhile
    bar.close()
    assert out.getvalue().count("temporal 1/1: Converges") >= 3  # set once, then redrawn by the ticker


def test_run_says_which_action_raised_on_which_event_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "machines.counter", "START", "ADD:by=x", "ADD:by=2"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].split()[:2] == ["ADD(by=2)", '"counting"']  # the run goes on after the error
    assert err.splitlines() == [
        "statecharts run: error: ADD(by='x'): action assign raised TypeError: unsupported operand type(s) "
        "for +: 'int' and 'str' (no transition takes error.execution)"
    ]


HANDLES_ERRORS = """
from statecharts import Machine, assign
machine = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {
    "a": {"on": {"ADD": {"actions": assign(n=lambda c, e: c["n"] + e["by"])}, "error.execution": "broken"}},
    "broken": {}}})
"""


def test_run_notes_an_error_the_chart_takes_itself_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "handles.py"
    chart.write_text(HANDLES_ERRORS, encoding="utf-8")
    assert main(["run", str(chart), "ADD:by=x"]) == 0
    out, err = capsys.readouterr()
    assert '"broken"' in out.splitlines()[-1]
    assert err.startswith("statecharts run: note: ADD(by='x'): action assign raised TypeError: ")
    assert err.rstrip().endswith("; the chart takes error.execution") and len(err.splitlines()) == 1


def test_run_with_xstate_semantics_reports_the_actor_error_once_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "xstate_chart.py"
    chart.write_text(
        HANDLES_ERRORS.replace(', "error.execution": "broken"', "")
        + 'machine = Machine(machine.config, semantics="xstate")\n',
        encoding="utf-8",
    )
    assert main(["run", str(chart), "ADD:by=x", "ADD:by=1"]) == 1  # the second event meets an actor in error
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("statecharts run: error: ADD(by='x'): ")
    assert "status is 'error'" in err


def test_paths_stops_an_infinite_model_at_its_default_bound_and_says_how_to_raise_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["paths", "machines.counter", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "statecharts paths: the walk stopped at the depth bound 100 (the default) before the state graph was "
        "complete: the paths cover the explored part only; raise the bound with --max-depth N"
    ]
    assert out.splitlines()[-1].endswith("(INCOMPLETE: depth bound 100)")
    assert main(["paths", "machines.counter", "--max-depth", "1000", "--max-states", "50", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["stopped_by"] == "state bound 50" and "(the default)" not in err
    assert err.rstrip().endswith("raise the bound with --max-states N")


def test_paths_of_a_bounded_model_fit_the_default_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", "machines.cluster_update", "-p", "workers=3", "-p", "requests=3", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["complete"] is True and json.loads(out)["states"] == 3938 and err == ""


def test_paths_shows_progress_on_a_terminal() -> None:
    import fcntl
    import pty
    import struct
    import termios

    # about 2 s of walking (400,000 states: the walker takes about 0.5 s for 100,000 on a quiet
    # machine): the progress bar first shows after one second
    argv = ["paths", "machines.counter", "--max-depth", "1000000", "--max-states", "400000", "--limit", "1"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the terminal, 100 columns wide (tqdm draws nothing in 0)
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "statecharts", *argv])
    said = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        said += chunk
    _, status = os.waitpid(pid, 0)
    text = said.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert " states [" in text and "states/s]" in text  # the tqdm line: states so far, elapsed time, rate
    assert "INCOMPLETE: state bound 400000" in text


def test_a_misspelt_option_shows_the_subcommands_usage_and_the_option_it_is_close_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "machines.counter", "--max-stats", "5"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("usage: statecharts check [-h]")
    assert err.splitlines()[-1] == (
        "statecharts check: error: unrecognized arguments: --max-stats 5 (did you mean '--max-states'?)"
    )
    with pytest.raises(SystemExit):
        main(["run", "machines.counter", "START", "--jsno"])
    err = capsys.readouterr().err
    assert err.startswith("usage: statecharts run [-h]") and err.rstrip().endswith("(did you mean '--json'?)")
    with pytest.raises(SystemExit):
        main(["paths", "machines.counter", "--frobnicate"])
    assert capsys.readouterr().err.splitlines()[-1] == "statecharts paths: error: unrecognized arguments: --frobnicate"


def test_help_after_a_model_lists_its_parameters_with_types_and_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "machines.cluster_update", "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0 and out.startswith("usage: statecharts check")
    assert out.rstrip().endswith(
        "parameters of machines.cluster_update:model (-p NAME=VALUE):\n"
        "  workers   int          default 2\n"
        "  requests  int          default 2\n"
        "  lock      bool         default true\n"
        "  conf_ok   bool | None  default none"
    )
    for command in ("paths", "run", "render", "serve"):  # every command that takes -p
        with pytest.raises(SystemExit):
            main([command, "machines.counter", "--help"])
        assert capsys.readouterr().out.rstrip().endswith("  limit  int  default 1000000"), command


def test_help_without_a_model_says_how_to_list_a_models_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "'statecharts check MODULE[:FACTORY] --help' lists the model's parameters" in " ".join(out.split())
    assert out.rstrip().endswith(
        "A model's parameters: statecharts check MODULE[:FACTORY] --help (the model first, then --help)."
    )


def test_help_with_a_models_parameters_into_a_closed_pipe_exits_0_without_a_traceback() -> None:
    """``check MODEL --help | head -1``: the reader goes away before the help is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "statecharts", "check", "machines.cluster_update", "--help"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the process has started writing: every write is a broken pipe
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr


def test_run_notes_an_event_no_transition_listens_for_with_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "machines.counter", "STRAT"]) == 0  # ignored, as SCXML ignores it; --strict refuses it
    err = capsys.readouterr().err
    assert "no transition of machine 'counter' listens for 'STRAT' (did you mean 'START'?)" in err
