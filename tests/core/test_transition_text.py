"""How a compiled transition reads in reports: the same delay text as the diagrams."""

from __future__ import annotations

import pytest

from statecharts import Machine
from statecharts.render.labels import event_label
from statecharts.text import format_delay


def delayed(delay_key: object) -> Machine:
    return Machine({"id": "m", "initial": "a", "states": {"a": {"after": {delay_key: "b"}}, "b": {}}})


@pytest.mark.parametrize(
    "delay, text",
    [
        (5000, "5s"),
        ("5000", "5s"),
        (500, "500ms"),
        (1500, "1.5s"),
        (1234, "1234ms"),
        (0, "0ms"),
        (2.5, "2.5ms"),
        ("slow", "slow"),
    ],
)
def test_delays_read_in_seconds_from_one_second_and_in_ms_below(delay, text):
    assert format_delay(delay) == text


def test_a_delay_function_reads_as_its_name():
    def backoff(context: object, event: object) -> int:
        return 100

    assert format_delay(backoff) == "backoff"


@pytest.mark.parametrize("delay_key", [5000, "5000"])
def test_describe_shows_a_delayed_transition_as_the_diagram_does(delay_key):
    transition = delayed(delay_key).get_state("m.a").transitions[0]
    assert transition.describe() == "m.a --after 5s--> m.b"
    assert transition.event_label == event_label(transition) == "after 5s"


def test_describe_names_events_always_and_targetless_transitions():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": "b", "PING": {"actions": []}}, "always": {"target": "b", "guard": "never"}},
                "b": {},
            },
        },
        guards={"never": lambda c, e: False},
    )
    assert [t.describe() for t in m.get_state("m.a").transitions] == [
        "m.a --GO--> m.b",
        "m.a --PING--> -",
        "m.a --always--> m.b",
    ]
