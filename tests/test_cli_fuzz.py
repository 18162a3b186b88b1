"""Fuzzed command lines: every argument vector ends in exit 0, 1 or 2 with a message, never a traceback.

Derandomized (tests/conftest.py): the same command lines in every run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statecharts.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["check"] * 4 + ["run"] * 3 + ["render"] * 2 + ["paths"] * 2 + ["diagrams", "nope", "", "--version", "-h"]
GOOD = [
    "machines.fetch",
    "machines.auth",
    "machines.cluster_update",
    "machines.media_player",
    "chart.json",
    "chart.scxml",
    "chart.py",
]
TARGETS = GOOD * 4 + [
    "machines.nope",
    "machines.fetch:machien",
    "machines.fetch:machine",
    "os:getcwd",
    "",
    ".x",
    "machines.",
    "chart.json",
    "chart.scxml",
    "chart.py",
    "broken.json",
    "broken.scxml",
    "broken.py",
    "missing.py",
    "missing.json",
    "-p",
]
NUMBERS = ["0", "-1", "nan", "inf", "3", "2.5", "1e9", "", "x"]
OPTIONS = {  # an option and the values it may be given
    "-p": ["workers=1", "workers=x", "requests=1", "conf_ok=yes", "conf_ok=none", "lock=false", "w=", "=", "nope=1"],
    "--max-states": NUMBERS,
    "--max-depth": NUMBERS,
    "--max-seconds": NUMBERS,
    "--max-memory": NUMBERS,
    "--max-length": NUMBERS,
    "--limit": NUMBERS,
    "--trace-out": ["x.svg", "x.mmd", "x.txt", "", "x.dot"],
    "--graph-out": ["g.dot", "g.svg", "g", " "],
    "--trace-property": ["Converges", "deadlock", "zzz", "no step raises"],
    "-o": ["out.dot", "out.png", "out", "out.mmd", ""],
    "--state": ["initial", "{}", "[1]", '{"value": "zz"}'],
    "--rankdir": ["LR", "XX"],
    "--cover": ["states", "edges", "nope"],
    "--to": ["loading", "zz", "b"],
}
FLAGS = [
    "--json",
    "--no-fairness",
    "--symmetry",
    "--no-temporal",
    "--no-progress",
    "--strict",
    "--brief",
    "--check",
    "--bogus",
    "--",
    "-",
]
EVENTS = [
    "GO",
    "FETCH",
    "FETCH:a=1",
    ":x",
    "LOGIN:username",
    "LOGIN:username=ada,password=secret",
    "+5",
    "+x",
    "+-1",
    "é",
    "\x00",
    "PLAY",
]
TOKENS = st.one_of(
    st.sampled_from(FLAGS).map(lambda flag: [flag]),
    st.sampled_from(EVENTS).map(lambda e: [e]),
    st.sampled_from(sorted(OPTIONS)).flatmap(
        lambda option: st.sampled_from(OPTIONS[option]).map(lambda value: [option, value])
    ),
)
FILES = {
    "chart.json": '{"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}',
    "chart.scxml": '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a" datamodel="python">'
    '<state id="a"><transition event="GO" target="b"/></state><final id="b"/></scxml>',
    "chart.py": "from statecharts import Machine\n"
    'machine = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})\n',
    "broken.json": '{"id": "m", "initial": "zz", "states": {',
    "broken.scxml": "<scxml><state id=",
    "broken.py": "def model(:\n",
}


SUBPARSERS = next(a.choices for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(COMMANDS),
    target=st.sampled_from(TARGETS),
    groups=st.lists(TOKENS, max_size=5),
    own_options_only=st.booleans(),
)
def test_any_command_line_exits_0_1_or_2_with_a_message_and_no_traceback(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    target: str,
    groups: list[list[str]],
    own_options_only: bool,
) -> None:
    monkeypatch.chdir(workdir)  # whatever a command writes lands here
    monkeypatch.syspath_prepend(str(ROOT))
    if own_options_only and command in SUBPARSERS:  # half the time, only options the command has
        known = SUBPARSERS[command]._option_string_actions
        groups = [g for g in groups if not g[0].startswith("-") or g[0] in known]
    argv = [command, target, *(token for group in groups for token in group)]
    if command == "check":
        argv[2:2] = ["--max-states", "300"]  # the walk stays small (a later --max-states wins)
    if command == "diagrams":
        argv += ["--check", "--out", str(workdir / "diagrams")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    said = err.getvalue()
    assert code in (0, 1, 2), (argv, code, said)
    assert "Traceback" not in said + out.getvalue(), (argv, said)
    if code == 2:
        assert "error" in said, (argv, said)
    sys.modules.pop("chart", None)
    sys.modules.pop("broken", None)
