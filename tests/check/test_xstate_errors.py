"""In ``semantics="xstate"`` a throwing action or guard leaves the actor's status ``"error"``
(xstate's actor error, no ``error.execution``): the walker's built-in "no step raises" counts each
such step as a violation, with a shortest trace to the first, in the full walk and in the
fingerprint walk."""

from __future__ import annotations

from pathlib import Path

from statecharts import Machine, assign
from statecharts.check import Model, check
from statecharts.check.model import events


def counter(semantics: str = "xstate") -> Machine:
    """INC counts to 2; the third INC's action divides by zero; BAD's guard raises at once from b."""
    return Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {
                    "on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1 if c["n"] < 2 else 1 // 0)}, "GO": "b"}
                },
                "b": {"on": {"BAD": {"target": "a", "guard": "sensor"}}},
            },
        },
        guards={"sensor": lambda c, e: {}["missing"]},
        semantics=semantics,
    )


def test_a_step_that_sets_status_error_violates_no_step_raises_with_a_shortest_trace() -> None:
    report = check(Model(counter(), alphabet=(*events("INC"), *events("GO"), *events("BAD"))))
    result = report.result("no step raises")
    assert result.holds is False
    # the shortest: GO then BAD (the guard raises); INC x3 is longer
    assert [str(step.event.name) if step.event else None for step in result.trace.steps] == [None, "GO", "BAD"]
    assert result.trace.steps[-1].snapshot.status == "error"
    assert "guard sensor" in result.note and "KeyError" in result.note and "status is 'error'" in result.note
    assert result.note.startswith("4 steps raised")  # BAD from b with n = 0, 1, 2, and the third INC
    assert report.ok is False


def test_the_initial_state_failing_is_a_violation_too() -> None:
    m = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"entry": "boom", "on": {"GO": "b"}}, "b": {}}},
        actions={"boom": assign(lambda c, e: 1 // 0)},
        semantics="xstate",
    )
    result = check(Model(m, alphabet=events("GO"))).result("no step raises")
    assert result.holds is False and len(result.trace.steps) == 1
    assert result.trace.steps[0].snapshot.status == "error"


def test_a_chart_that_never_raises_holds_in_xstate_mode() -> None:
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {"a": {"on": {"INC": {"actions": assign(n=lambda c, e: (c["n"] + 1) % 3)}}}},
        },
        semantics="xstate",
    )
    report = check(Model(m, alphabet=events("INC")))
    assert report.ok and all(r.name != "no step raises" for r in report.results)


def test_the_fingerprint_walk_reports_the_same_violation(tmp_path: Path) -> None:
    from statecharts.check.fingerprints import check_fingerprints

    model = Model(counter(), alphabet=(*events("INC"), *events("GO"), *events("BAD")))
    result = check_fingerprints(model, directory=tmp_path).result("no step raises")
    assert result.holds is False
    assert [step.event.name if step.event else None for step in result.trace.steps] == [None, "GO", "BAD"]
    assert result.trace.steps[-1].snapshot.status == "error"
