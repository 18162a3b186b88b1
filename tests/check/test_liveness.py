"""Temporal operators under fairness, on hand-made charts where each one holds and fails."""

from __future__ import annotations

import pytest

from statecharts import Machine
from statecharts.check import (
    Fairness,
    Model,
    always,
    always_eventually,
    check,
    events,
    eventually,
    eventually_always,
    leads_to,
)


def at(name):
    return lambda s: s.matches(name)


# a --GO--> b (b has no way out): reaching b needs GO to be taken
ONE_WAY = Machine({"id": "oneway", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
# a <-TOGGLE-> c, and GO from a only: GO is enabled on and off along the a/c cycle
FLICKER = Machine(
    {
        "id": "flicker",
        "initial": "a",
        "states": {"a": {"on": {"TOGGLE": "c", "GO": "b"}}, "c": {"on": {"TOGGLE": "a"}}, "b": {}},
    }
)
# a <-> b for ever: P = "in a" holds infinitely often but not for ever
PING = Machine(
    {
        "id": "ping",
        "initial": "a",
        "states": {"a": {"on": {"FLIP": "b"}}, "b": {"on": {"FLIP": "a", "STOP": "c"}}, "c": {}},
    }
)


def verdict(machine, prop, fairness=(), alphabet=None):
    model = Model(
        machine,
        alphabet=alphabet or tuple(events(n)[0] for n in machine.events),
        properties={"p": prop},
        fairness=fairness,
    )
    return check(model).result("p")


def test_eventually_fails_without_fairness_by_stuttering_before_the_goal():
    result = verdict(ONE_WAY, eventually(at("b")))
    assert not result.holds
    assert result.trace[-1].stutter and result.trace[-1].snapshot.matches("a")
    assert result.trace.cycle_start == 0


def test_eventually_holds_under_weak_fairness_of_the_only_way_there():
    assert verdict(ONE_WAY, eventually(at("b")), [Fairness("weak", "GO")]).holds


def test_weak_fairness_does_not_exclude_a_cycle_where_the_action_flickers():
    result = verdict(FLICKER, eventually(at("b")), [Fairness("weak", "GO"), Fairness("weak", "TOGGLE")])
    assert not result.holds
    cycle = result.trace.steps[result.trace.cycle_start :]
    assert {step.event.name for step in cycle if step.event} == {"TOGGLE"}
    assert result.trace[-1].snapshot == result.trace[result.trace.cycle_start].snapshot


def test_strong_fairness_excludes_the_flickering_cycle():
    fair = [Fairness("strong", "GO"), Fairness("weak", "TOGGLE")]
    assert verdict(FLICKER, eventually(at("b")), fair).holds


def test_strong_fairness_alone_still_allows_stuttering_where_nothing_else_is_fair():
    # with only SF(GO), the behaviour a -> c and stutter in c for ever is fair: GO is never
    # enabled in c
    result = verdict(FLICKER, eventually(at("b")), [Fairness("strong", "GO")])
    assert not result.holds and result.trace[-1].stutter and result.trace[-1].snapshot.matches("c")


def test_always_eventually_holds_on_a_fair_ping_pong_and_fails_when_it_may_stop():
    flip = [Fairness("weak", "FLIP")]
    assert not verdict(PING, always_eventually(at("a")), flip).holds  # STOP to c, then never a
    no_stop = events("FLIP")
    assert verdict(PING, always_eventually(at("a")), flip, alphabet=no_stop).holds
    assert not verdict(PING, always_eventually(at("a")), alphabet=no_stop).holds  # may stutter in b


def test_eventually_always_fails_on_a_fair_cycle_through_a_bad_state():
    result = verdict(PING, eventually_always(at("a")), [Fairness("weak", "FLIP")], alphabet=events("FLIP"))
    assert not result.holds
    assert any(step.snapshot.matches("b") for step in result.trace.steps[result.trace.cycle_start :])


def test_eventually_always_holds_only_when_strong_fairness_forces_the_sink():
    # STOP is enabled in b only: on the a/b ping-pong it is not continuously enabled, so weak
    # fairness allows flipping for ever; strong fairness does not
    weak = [Fairness("weak", "STOP"), Fairness("weak", "FLIP")]
    strong = [Fairness("strong", "STOP"), Fairness("weak", "FLIP")]
    assert not verdict(PING, eventually_always(at("c")), weak).holds
    assert verdict(PING, eventually_always(at("c")), strong).holds
    assert not verdict(PING, eventually_always(at("c")), [Fairness("weak", "FLIP")]).holds


def test_leads_to_holds_under_fairness_and_fails_without():
    prop = leads_to(at("b"), at("c"))
    fair = [Fairness("strong", "STOP"), Fairness("weak", "FLIP")]
    assert verdict(PING, prop, fair).holds
    result = verdict(PING, prop)
    assert not result.holds and result.trace[-1].stutter


def test_leads_to_is_vacuous_when_the_premise_never_holds():
    assert verdict(ONE_WAY, leads_to(lambda s: False, at("a"))).holds


def test_always_as_a_temporal_property_gives_a_shortest_trace():
    result = verdict(ONE_WAY, always(at("a")))
    assert not result.holds and [s.event.name if s.event else None for s in result.trace][:2] == [None, "GO"]


def test_fairness_per_payload_key_groups_events_into_one_action():
    # FINISH(w, ok): fairness per w must be satisfied by either ok; here ok=False loops back
    machine = Machine(
        {
            "id": "job",
            "initial": "working",
            "states": {
                "working": {"on": {"FINISH": [{"target": "done", "guard": lambda c, e: e["ok"]}, {"target": "retry"}]}},
                "retry": {"on": {"AGAIN": "working"}},
                "done": {},
            },
        }
    )
    alphabet = events("FINISH", ok=[True, False]) + events("AGAIN")
    per_action = [Fairness("weak", "FINISH", by=()), Fairness("weak", "AGAIN")]
    per_instance = [Fairness("weak", "FINISH"), Fairness("weak", "AGAIN")]
    # one action: the scheduler may pick ok=False for ever
    assert not verdict(machine, eventually(at("done")), per_action, alphabet).holds
    # per instance, FINISH(ok=True) is enabled infinitely often but not continuously: WF allows
    # the retry loop too
    assert not verdict(machine, eventually(at("done")), per_instance, alphabet).holds
    strong = [Fairness("strong", "FINISH"), Fairness("weak", "AGAIN")]
    assert verdict(machine, eventually(at("done")), strong, alphabet).holds


def test_terminal_states_stutter_for_ever():
    # b is final in the TLA+ sense: the behaviour stays there; <>[]b holds once b is reached fairly
    assert verdict(ONE_WAY, eventually_always(at("b")), [Fairness("weak", "GO")]).holds


def test_fairness_kind_is_validated():
    from statecharts import ConfigError

    with pytest.raises(ConfigError, match="weak"):
        Fairness("fair", "GO")
