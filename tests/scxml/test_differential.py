"""Differential tests against python-statemachine (which also loads SCXML).

Same document, same events: the configurations must agree after each event. Where the two
disagree, the W3C algorithm decides, and a test here pins the answer it gives:

- W3C tests 401 (``<assign>`` without ``location``: python-statemachine raises KeyError instead of
  raising ``error.execution``), 557, 558, 561 (XML content as data: it does not parse it), 577
  (``<send>`` to the Basic HTTP processor without a target: no ``error.communication``).
- ``type="internal"`` on a transition whose targets are not descendants of its source: it refuses
  the document; W3C 3.13 says such a transition behaves as an external one.
- Two random charts (pinned below): an internal transition in one region that preempts an
  external one from another region leaving the parallel state (W3C D.2 removeConflictingTransitions:
  the earlier transition in document order wins), and an eventless loop that re-enters a state
  through a history value recorded during the same macrostep; python-statemachine ends elsewhere.
- A transition to a ``<history>`` without a default transition (not valid SCXML; we enter the
  parent's initial state, as xstate does): it leaves the history's parent out of the
  configuration, which is then not a legal configuration (W3C 3.11).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statecharts.scxml import load
from tests.conformance.test_w3c import XFAIL
from tests.conformance.w3c import SUITE, manifest, run
from tests.scxml.helpers import doc, states
from tests.scxml.random_charts import EVENTS, documents

statemachine_io = pytest.importorskip("statemachine.io")

PSM_DEVIATES = {"401", "557", "558", "561", "577"}  # python-statemachine does not reach 'pass'


def psm_configuration(machine: object) -> set[str]:
    return {s.id for s in machine.configuration}  # type: ignore[attr-defined]


def psm_start(source: str, *, path: bool = False) -> object:
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if path:
                return statemachine_io.load(source, trusted=True)()
            return statemachine_io.load(source, format="scxml")()
    finally:
        logging.disable(logging.NOTSET)


SYNCHRONOUS = [
    t
    for t in (manifest() if SUITE.exists() else [])
    if not t.manual and t.id not in XFAIL and not re.search(r"delay|<invoke", t.path.read_text(encoding="utf-8-sig"))
]


@pytest.mark.parametrize("test", [pytest.param(t, id=f"test{t.id}") for t in SYNCHRONOUS])
def test_w3c_document_ends_where_python_statemachine_ends_unless_it_deviates(test: object) -> None:
    ours = run(test.path)  # type: ignore[attr-defined]
    try:
        theirs = psm_configuration(psm_start(str(test.path), path=True))  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - python-statemachine rejects the document
        theirs = set()
    assert ours == "pass"
    if test.id in PSM_DEVIATES:  # type: ignore[attr-defined]
        assert theirs != {"pass"}
    else:
        assert theirs == {"pass"}


# derandomize: the same 200 charts in every run, so CI does not turn red on a newly drawn chart
# where python-statemachine deviates (two such charts are pinned below with the W3C answer)
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(documents(), st.lists(st.sampled_from(EVENTS), max_size=6))
def test_random_chart_configurations_agree_after_every_event(text: str, events: list[str]) -> None:
    machine = load(text)
    other = psm_start(text)
    snapshot = machine.initial_state()
    assert states(machine, snapshot.configuration) == psm_configuration(other)
    for event in events:
        snapshot = machine.transition(snapshot, event)
        other.send(event)  # type: ignore[attr-defined]
        assert states(machine, snapshot.configuration) == psm_configuration(other), (text, events)


def test_internal_transition_to_a_non_descendant_behaves_as_external() -> None:
    text = doc(
        '<datamodel><data id="n" expr="0"/></datamodel>'
        '<state id="a"><onexit><assign location="n" expr="n + 1"/></onexit>'
        '<transition event="go" type="internal" target="b"/></state><state id="b"/>'
    )
    machine = load(text)
    snapshot = machine.transition(machine.initial_state(), "go")
    assert states(machine, snapshot.configuration) == {"b"} and snapshot.context["n"] == 1
    with pytest.raises(Exception):  # noqa: B017 - python-statemachine refuses the document
        psm_start(text)


def test_history_without_default_keeps_a_legal_configuration() -> None:
    text = doc(
        '<datamodel><data id="n" expr="0"/></datamodel><state id="s0"><state id="s1">'
        '<transition cond="n &lt; 1" target="h"><assign location="n" expr="n + 1"/></transition>'
        '<state id="s2"/><state id="s3"/></state><history id="h" type="deep"/></state>'
    )
    machine = load(text)
    snapshot = machine.initial_state()
    assert snapshot.context["n"] == 1
    assert states(machine, snapshot.configuration) == {"s0", "s1", "s2"}


RAISE_A = '<if cond="Var2 &lt; 4"><assign location="Var2" expr="Var2 + 1"/><raise event="a"/></if>'
DATA = '<datamodel><data id="Var1" expr="0"/><data id="Var2" expr="0"/></datamodel>'


def test_an_earlier_internal_transition_in_one_region_preempts_a_conflicting_one_in_another() -> None:
    # on "a", s4's internal transition (exit set {s5}) comes first in document order; s7's external
    # transition to s1 exits the whole parallel state s3, so it conflicts and is removed (W3C D.2)
    text = doc(
        DATA + '<state id="s0"><state id="s1">'
        f'<transition type="external" target="s1" event="a">{RAISE_A}</transition>'
        f'<state id="s2"><transition type="external" target="s3" event="c">{RAISE_A}</transition></state>'
        f'<parallel id="s3"><state id="s4"><transition type="internal" target="s5" event="a">{RAISE_A}'
        '</transition><state id="s5"/><state id="s6"/></state>'
        f'<state id="s7"><transition type="external" target="s1" event="a">{RAISE_A}</transition>'
        '<state id="s8"/><state id="s9"/></state></parallel></state></state>'
    )
    machine = load(text)
    snapshot = machine.transition(machine.initial_state(), "c")
    assert states(machine, snapshot.configuration) == {"s0", "s1", "s3", "s4", "s5", "s7", "s8"}
    assert snapshot.context["Var2"] == 4


def test_an_eventless_loop_comes_back_through_the_history_it_recorded() -> None:
    # s1 -> s9 (eventless) records h6 = {s3} on leaving s2; s9 -> h6 restores s3; twice each,
    # until Var1 = 4 stops both; the raised "a" events then re-enter s1 and end in s3 again
    text = doc(
        DATA + '<state id="s0"><state id="s1">'
        f'<transition type="external" target="s1" event="a">{RAISE_A}</transition>'
        '<transition type="external" target="s9" cond="Var1 &lt; 4"><assign location="Var1" '
        f'expr="Var1 + 1"/>{RAISE_A}</transition>'
        '<state id="s2"><state id="s3"/><state id="s4"/><history id="h6" type="shallow">'
        '<transition target="s3"/></history></state></state>'
        '<state id="s9"><transition type="external" target="h6" cond="Var1 &lt; 4">'
        f'<assign location="Var1" expr="Var1 + 1"/>{RAISE_A}</transition></state></state>'
    )
    machine = load(text)
    snapshot = machine.initial_state()
    assert states(machine, snapshot.configuration) == {"s0", "s1", "s2", "s3"}
    assert (snapshot.context["Var1"], snapshot.context["Var2"]) == (4, 4)
