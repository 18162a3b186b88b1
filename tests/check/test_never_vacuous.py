"""The checker never passes vacuously: it refuses what it cannot check and says when a verdict is empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from statecharts import Machine, assign
from statecharts.check import Model, check, events, eventually, leads_to
from statecharts.cli import main
from statecharts.errors import ConfigError

GATE = Machine(
    {"id": "gate", "initial": "shut", "states": {"shut": {"on": {"OPEN": "open"}}, "open": {"on": {"SHUT": "shut"}}}}
)


def test_a_parameter_value_of_the_wrong_type_is_exit_2_naming_the_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "machines.cluster_update", "-p", "conf_ok=yes"]) == 2
    err = capsys.readouterr().err
    assert "parameter 'conf_ok' takes bool or None values" in err and "'yes'" in err


def test_a_parameter_annotated_optional_takes_none_and_its_type() -> None:
    assert (
        main(
            [
                "check",
                "machines.cluster_update",
                "-p",
                "workers=1",
                "-p",
                "requests=1",
                "-p",
                "conf_ok=none",
                "--no-progress",
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "check",
                "machines.cluster_update",
                "-p",
                "workers=1",
                "-p",
                "requests=1",
                "-p",
                "conf_ok=true",
                "--no-progress",
            ]
        )
        == 0
    )


def test_a_model_with_no_initial_state_is_an_error() -> None:
    with pytest.raises(ConfigError, match="has no initial state"):
        check(Model(GATE, initial_contexts=()))


def test_a_guard_that_always_raises_is_reported_not_a_stutter() -> None:
    def sensor(context: object, event: object) -> bool:
        raise RuntimeError("no sensor")

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b", "guard": sensor}}}, "b": {}}})
    report = check(Model(m, alphabet=events("GO")))
    raised = report.result("no step raises")
    assert not report.ok and not raised.holds and "RuntimeError: no sensor" in raised.note
    assert raised.trace is not None and [s.event.name if s.event else None for s in raised.trace] == [None, "GO"]


def test_a_chart_that_takes_error_execution_itself_is_not_reported() -> None:
    def sensor(context: object, event: object) -> bool:
        raise RuntimeError("no sensor")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "guard": sensor}, "error.execution": "failed"}},
                "b": {},
                "failed": {},
            },
        }
    )
    report = check(Model(m, alphabet=events("GO"), terminal=lambda s: s.matches("failed")))
    assert report.ok and [r.name for r in report.results] == ["deadlock"]


def test_leads_to_whose_premise_never_holds_says_it_is_vacuous() -> None:
    report = check(
        Model(
            GATE,
            alphabet=events("OPEN") + events("SHUT"),
            properties={"jam ~> open": leads_to(lambda s: False, lambda s: s.matches("open"))},
        )
    )
    assert "vacuous" in report.result("jam ~> open").note


def test_a_temporal_property_or_deadlock_on_no_expanded_state_says_so() -> None:
    report = check(
        Model(
            GATE,
            alphabet=events("OPEN"),
            constraint=lambda s: False,
            properties={"opens": eventually(lambda s: s.matches("open"))},
        )
    )
    assert "evaluated on no state" in report.result("opens").note
    assert "evaluated on no state" in report.result("deadlock").note


def test_an_entry_assign_that_raises_in_the_initial_state_is_reported() -> None:
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {"a": {"entry": assign(n=lambda c, e: 1 // c["n"]), "on": {"GO": "a"}}},
        }
    )
    raised = check(Model(m, alphabet=events("GO"))).result("no step raises")
    assert not raised.holds and "ZeroDivisionError" in raised.note and raised.trace is not None
    assert len(raised.trace) == 1


def test_check_of_a_model_with_no_initial_state_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.py").write_text(
        "from statecharts import Machine\nfrom statecharts.check import Model\n"
        'def model():\n    return Model(Machine({"id": "m", "initial": "a", "states": {"a": {}}}), '
        "initial_contexts=())\n",
        encoding="utf-8",
    )
    assert main(["check", str(tmp_path / "empty.py"), "--no-progress"]) == 2
    assert "has no initial state" in capsys.readouterr().err


def test_a_stop_within_a_long_temporal_property_leaves_it_out_and_names_it() -> None:
    from statecharts.check import always_eventually

    counter = Machine(
        {
            "id": "c",
            "context": {"n": 0},
            "initial": "on",
            "states": {
                "on": {
                    "on": {"INC": {"guard": lambda c, e: c["n"] < 9000, "actions": assign(n=lambda c, e: c["n"] + 1)}}
                }
            },
        }
    )
    in_temporal: list[str] = []
    report = check(
        Model(
            counter,
            alphabet=events("INC"),
            properties={"returns to zero": always_eventually(lambda s: s.context["n"] == 0)},
        ),
        phase=lambda name: in_temporal.append(name) if name.startswith("temporal") else None,
        stop=lambda: "stopped for the test" if in_temporal else None,
    )
    assert in_temporal and not report.complete and [r.name for r in report.results] == ["deadlock"]
    assert report.stopped_by == "stopped for the test; temporal properties not checked: returns to zero"


def test_a_raising_guard_is_a_violation_with_the_trace_to_the_step_and_the_note_naming_it() -> None:
    def sensor(context: object, event: object) -> bool:
        raise RuntimeError("no sensor")

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "b", "guard": sensor}}}, "b": {}}})
    raised = check(Model(m, alphabet=events("GO"))).result("no step raises")
    assert not raised.holds and raised.trace is not None and len(raised.trace) == 2
    assert raised.note == (
        "1 step raised; the first: guard sensor of <Transition m.a --GO--> m.b> raised RuntimeError: no sensor "
        "(no transition takes error.execution)"
    )
