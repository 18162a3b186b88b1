"""Fuzzing the library's inputs: config dicts, xstate JSON, SCXML documents, random and tampered
snapshot JSON. Only the documented errors (`StatechartError` and its kinds) may escape, and what is
accepted works: it starts, takes events, and its snapshots round-trip. Derandomized and bounded, so
CI sees the same inputs every run in a few seconds (``HYPOTHESIS_PROFILE=explore`` hunts wider)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statecharts import ConfigError, Machine, SnapshotError, StatechartError
from statecharts.interop import from_json
from statecharts.scxml import load
from statecharts.state import check_configuration
from statecharts.validate import STATE_KEYS

FUZZ = settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
EVENTS = ("A", "B", "xstate.init", "done.state.m", "*")
#: Every key a state may hold, then keys of transitions and invokes and names that are no key.
KEYS = (*STATE_KEYS, "reenter", "guard", "actions", "src", "params", "a", "b", "c", "A", "B", "__tuple__", "")
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=True),
    st.sampled_from(
        (
            "a",
            "b",
            "c",
            "#m.a",
            ".b",
            "a.b",
            "parallel",
            "final",
            "history",
            "compound",
            "atomic",
            "deep",
            "1000",
            "³",
            "A",
            "",
            "#m",
        )
    ),
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=25,
)


def exercise(m: Machine) -> None:
    """A machine that loaded: it starts, takes events, and every snapshot is legal and round-trips."""
    s = m.initial_state()
    for name in EVENTS[:3]:
        check_configuration(m, s.configuration_nodes)
        assert m.restore(s.dumps()).dumps() == s.dumps()  # text: a NaN in the context is not equal to itself
        s = m.transition(s, name)


@st.composite
def chart_dicts(draw: st.DrawFn) -> Any:
    """Mostly chart-shaped dicts (states with transitions between them), with noise anywhere."""
    keys = draw(st.lists(st.sampled_from(("a", "b", "c")), min_size=1, max_size=3, unique=True))
    states: dict[str, Any] = {}
    for key in keys:
        spec: dict[str, Any] = {}
        if draw(st.booleans()):
            spec["on"] = {draw(st.sampled_from(EVENTS)): draw(st.one_of(st.sampled_from(keys), JSONISH))}
        if draw(st.integers(0, 3)) == 0:
            spec[draw(st.sampled_from(KEYS))] = draw(JSONISH)
        states[key] = spec
    chart: dict[str, Any] = {"id": "m", "initial": keys[0], "states": states}
    if draw(st.integers(0, 2)) == 0:
        chart[draw(st.sampled_from(KEYS))] = draw(JSONISH)
    return chart


@FUZZ
@given(st.one_of(chart_dicts(), JSONISH))
def test_config_dicts_load_or_raise_config_error(config: Any) -> None:
    try:
        m = Machine(config)
    except ConfigError:
        return
    try:
        exercise(m)
    except StatechartError:
        pass


@FUZZ
@given(st.one_of(chart_dicts(), JSONISH).map(lambda c: json.dumps(c)), st.sampled_from(("", "]", "x", "\x00")))
def test_xstate_json_loads_or_raises_config_error(text: str, tail: str) -> None:
    try:
        m = from_json(text + tail)
    except ConfigError:
        return
    try:
        exercise(m)
    except StatechartError:
        pass


ELEMENTS = (
    "state",
    "parallel",
    "final",
    "history",
    "transition",
    "onentry",
    "onexit",
    "raise",
    "send",
    "assign",
    "log",
    "if",
    "else",
    "foreach",
    "datamodel",
    "data",
    "initial",
    "invoke",
    "content",
    "param",
    "cancel",
    "script",
    "donedata",
)
ATTRS = (
    "id",
    "initial",
    "event",
    "target",
    "cond",
    "type",
    "expr",
    "location",
    "delay",
    "array",
    "item",
    "label",
    "src",
    "sendid",
    "idlocation",
    "namelist",
    "name",
)
VALUES = (
    "a",
    "b",
    "a b",
    "1",
    "x",
    "x + 1",
    "'s'",
    "1/0",
    "[1]",
    "5s",
    "internal",
    "deep",
    "go",
    "*",
    "In('a')",
    "__import__('os')",
    "",
    "<",
    "&amp;",
)


@st.composite
def scxml_texts(draw: st.DrawFn) -> str:
    def element(depth: int) -> str:
        tag = draw(st.sampled_from(ELEMENTS))
        attrs = "".join(
            f' {a}="{draw(st.sampled_from(VALUES))}"'
            for a in draw(st.lists(st.sampled_from(ATTRS), max_size=3, unique=True))
        )
        inner = "".join(element(depth + 1) for _ in range(draw(st.integers(0, 2 if depth < 3 else 0))))
        return f"<{tag}{attrs}>{inner}</{tag}>"

    body = "".join(element(0) for _ in range(draw(st.integers(1, 3))))
    head = draw(st.sampled_from(('<?xml version="1.0"?>', '<?xml version="1.0" encoding="no-such"?>', "")))
    return f'{head}<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python">{body}</scxml>'


@FUZZ
@given(scxml_texts())
def test_scxml_documents_load_or_raise_config_error(text: str) -> None:
    try:
        m = load(text)
    except ConfigError:
        return
    try:
        exercise(m)
    except StatechartError:
        pass


PLAYER = Machine(
    {
        "id": "m",
        "context": {"n": 0, "xs": [1]},
        "initial": "p",
        "states": {
            "p": {
                "type": "parallel",
                "on": {"A": "#m.q"},
                "states": {
                    "r1": {
                        "initial": "x",
                        "states": {"x": {"after": {"1000": "y"}}, "y": {}, "h": {"type": "history"}},
                    },
                    "r2": {"initial": "u", "states": {"u": {"on": {"B": "v"}}, "v": {}}},
                },
            },
            "q": {"on": {"B": "p.r1.h"}},
            "f": {"type": "final"},
        },
    }
)
SNAPSHOT_KEYS = ("machine", "configuration", "context", "history", "pending", "status", "output")
STATE_IDS = tuple(n.id for n in PLAYER.chart.nodes) + ("m.nope", "")


@st.composite
def tampered_snapshots(draw: st.DrawFn) -> Any:
    data = PLAYER.transition(PLAYER.initial_state(), draw(st.sampled_from(("A", "B")))).to_json()
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(SNAPSHOT_KEYS))
        data[key] = draw(
            st.one_of(
                JSONISH,
                st.lists(st.sampled_from(STATE_IDS), max_size=6),
                st.dictionaries(
                    st.sampled_from(STATE_IDS), st.lists(st.sampled_from(STATE_IDS), max_size=2), max_size=2
                ),
                st.lists(
                    st.fixed_dictionaries(
                        {"id": st.sampled_from(("t", None)), "delay": SCALARS, "event": SCALARS},
                        optional={"data": JSONISH, "fields": JSONISH},
                    ),
                    max_size=2,
                ),
                st.sampled_from(("active", "done")),
            )
        )
    return data


@FUZZ
@given(st.one_of(tampered_snapshots(), JSONISH))
def test_random_and_tampered_snapshots_restore_or_raise_snapshot_error(data: Any) -> None:
    text = json.dumps(data)
    for given_data in (data, text):
        try:
            s = PLAYER.restore(given_data)
        except SnapshotError:
            continue
        check_configuration(PLAYER, s.configuration_nodes)
        assert PLAYER.restore(s.dumps()).dumps() == s.dumps()
        try:
            PLAYER.transition(s, "B")
        except StatechartError:
            pass
