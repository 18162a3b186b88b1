"""The SCXML run-to-completion rules, one test per rule, with exact configurations and order."""

import pytest

from statecharts import Event, EventlessLoopError, Machine, assign, raise_, state_in
from tests.core.helpers import leaves, mark, names, traced


def test_entry_is_in_document_order_from_the_outside_in():
    m = traced(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"initial": "a1", "states": {"a1": {"initial": "x", "states": {"x": {}}}}}},
        }
    )
    assert names(m.initial_state()) == ["enter:m", "enter:a", "enter:a1", "enter:x"]


def test_exit_is_in_reverse_document_order_then_transition_actions_then_entry():
    m = traced(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"initial": "a1", "states": {"a1": {}}, "on": {"GO": {"target": "b", "actions": mark("t")}}},
                "b": {"initial": "b1", "states": {"b1": {}}},
            },
        }
    )
    s = m.transition(m.initial_state(), "GO")
    assert names(s) == ["exit:a1", "exit:a", "t", "enter:b", "enter:b1"]


def test_parallel_regions_enter_in_document_order_and_exit_in_reverse():
    m = traced(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "type": "parallel",
                    "states": {
                        "r1": {"initial": "x", "states": {"x": {}}},
                        "r2": {"initial": "y", "states": {"y": {}}},
                    },
                    "on": {"OUT": "q"},
                },
                "q": {},
            },
        }
    )
    s0 = m.initial_state()
    assert names(s0)[1:] == ["enter:p", "enter:r1", "enter:x", "enter:r2", "enter:y"]
    assert names(m.transition(s0, "OUT")) == ["exit:y", "exit:r2", "exit:x", "exit:r1", "exit:p", "enter:q"]


def test_descendant_transition_preempts_ancestor_transition():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"initial": "a1", "on": {"E": "c"}, "states": {"a1": {"on": {"E": "a2"}}, "a2": {}}},
                "c": {},
            },
        }
    )
    assert m.transition(m.initial_state(), "E").value == {"a": "a2"}


def test_first_enabled_transition_in_document_order_wins():
    m = Machine(
        {
            "id": "m",
            "context": {"n": 5},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "E": [
                            {"target": "small", "guard": lambda c, e: c["n"] < 3},
                            {"target": "big", "guard": lambda c, e: c["n"] > 3},
                            {"target": "other"},
                        ]
                    }
                },
                "small": {},
                "big": {},
                "other": {},
            },
        }
    )
    assert m.transition(m.initial_state(), "E").value == "big"


def test_conflicting_transitions_in_regions_resolve_by_document_order():
    """Two regions both leave the parallel state: the first in document order wins."""
    m = Machine(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "type": "parallel",
                    "states": {
                        "r1": {"initial": "x", "states": {"x": {"on": {"E": "#m.one"}}}},
                        "r2": {"initial": "y", "states": {"y": {"on": {"E": "#m.two"}}}},
                    },
                },
                "one": {},
                "two": {},
            },
        }
    )
    assert m.transition(m.initial_state(), "E").value == "one"


def test_non_conflicting_transitions_in_regions_all_fire():
    m = Machine(
        {
            "id": "m",
            "type": "parallel",
            "states": {
                "r1": {"initial": "x", "states": {"x": {"on": {"E": "x2"}}, "x2": {}}},
                "r2": {"initial": "y", "states": {"y": {"on": {"E": "y2"}}, "y2": {}}},
            },
        }
    )
    assert m.transition(m.initial_state(), "E").value == {"r1": "x2", "r2": "y2"}


def test_transition_between_regions_exits_and_reenters_the_parallel_state():
    m = traced(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "type": "parallel",
                    "states": {
                        "r1": {"initial": "x", "states": {"x": {"on": {"E": "#m.p.r2.y2"}}}},
                        "r2": {"initial": "y", "states": {"y": {}, "y2": {}}},
                    },
                }
            },
        }
    )
    s = m.transition(m.initial_state(), "E")
    assert s.value == {"p": {"r1": "x", "r2": "y2"}}
    assert names(s) == [
        "exit:y",
        "exit:r2",
        "exit:x",
        "exit:r1",
        "exit:p",
        "enter:p",
        "enter:r1",
        "enter:x",
        "enter:r2",
        "enter:y2",
    ]


def test_targetless_handler_on_parallel_state_runs_alongside_a_region_handler():
    m = Machine(
        {
            "id": "m",
            "context": {"log": ()},
            "type": "parallel",
            "on": {"E": {"actions": assign(log=lambda c, e: c["log"] + ("parallel",))}},
            "states": {
                "r1": {
                    "initial": "x",
                    "states": {
                        "x": {"on": {"E": {"target": "x2", "actions": assign(log=lambda c, e: c["log"] + ("r1",))}}},
                        "x2": {},
                    },
                },
                "r2": {"initial": "y", "states": {"y": {}}},
            },
        }
    )
    s = m.transition(m.initial_state(), "E")
    assert s.value == {"r1": "x2", "r2": "y"} and s.context["log"] == ("r1", "parallel")


def test_eventless_transitions_run_before_internal_events():
    m = Machine(
        {
            "id": "m",
            "context": {"log": ()},
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": raise_("NEXT")}}},
                "b": {"always": {"target": "c", "actions": assign(log=lambda c, e: c["log"] + ("always",))}},
                "c": {"on": {"NEXT": {"target": "d", "actions": assign(log=lambda c, e: c["log"] + ("next",))}}},
                "d": {},
            },
        }
    )
    s = m.transition(m.initial_state(), "GO")
    assert s.value == "d" and s.context["log"] == ("always", "next")


def test_internal_events_are_processed_in_order_before_the_next_external_event():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": [raise_("ONE"), raise_("TWO")]}}},
                "b": {"on": {"ONE": "c", "TWO": "x"}},
                "c": {"on": {"TWO": "d", "ONE": "x"}},
                "d": {},
                "x": {},
            },
        }
    )
    assert m.transition(m.initial_state(), "GO").value == "d"


def test_guards_see_the_context_of_the_current_microstep():
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": assign(n=1)}}},
                "b": {"always": [{"target": "one", "guard": lambda c, e: c["n"] == 1}, {"target": "other"}]},
                "one": {},
                "other": {},
            },
        }
    )
    assert m.transition(m.initial_state(), "GO").value == "one"


def test_done_state_event_carries_the_final_states_output():
    m = Machine(
        {
            "id": "m",
            "context": {"result": None},
            "initial": "work",
            "states": {
                "work": {
                    "initial": "step",
                    "states": {
                        "step": {"on": {"FINISH": "end"}},
                        "end": {"type": "final", "output": lambda c, e: {"value": 42}},
                    },
                    "onDone": {"target": "done", "actions": assign(result=lambda c, e: e.data["value"])},
                },
                "done": {},
            },
        }
    )
    s = m.transition(m.initial_state(), "FINISH")
    assert s.value == "done" and s.context["result"] == 42


def test_parallel_state_is_done_when_every_region_is_final():
    m = Machine(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {
                    "type": "parallel",
                    "onDone": "after",
                    "states": {
                        "r1": {"initial": "a", "states": {"a": {"on": {"A": "af"}}, "af": {"type": "final"}}},
                        "r2": {"initial": "b", "states": {"b": {"on": {"B": "bf"}}, "bf": {"type": "final"}}},
                    },
                },
                "after": {},
            },
        }
    )
    s = m.transition(m.initial_state(), "A")
    assert s.value == {"p": {"r1": "af", "r2": "b"}}
    assert m.transition(s, "B").value == "after"


def test_top_level_final_state_ends_the_machine_with_output():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"END": "z"}}, "z": {"type": "final", "output": {"answer": 1}}},
        }
    )
    s = m.transition(m.initial_state(), "END")
    assert s.done and s.status == "done" and s.output == {"answer": 1}
    assert m.transition(s, "END") == s


def test_shallow_history_restores_the_last_child():
    m = Machine(
        {
            "id": "m",
            "initial": "on",
            "states": {
                "on": {
                    "initial": "a",
                    "on": {"OFF": "off"},
                    "states": {
                        "a": {"on": {"NEXT": "b"}},
                        "b": {"initial": "b1", "states": {"b1": {"on": {"DEEP": "b2"}}, "b2": {}}},
                        "hist": {"type": "history"},
                    },
                },
                "off": {"on": {"ON": "on.hist"}},
            },
        }
    )
    s = m.initial_state()
    for e in ("NEXT", "DEEP", "OFF", "ON"):
        s = m.transition(s, e)
    assert s.value == {"on": {"b": "b1"}}


def test_deep_history_restores_the_whole_subtree():
    m = Machine(
        {
            "id": "m",
            "initial": "on",
            "states": {
                "on": {
                    "initial": "a",
                    "on": {"OFF": "off"},
                    "states": {
                        "a": {"on": {"NEXT": "b"}},
                        "b": {"initial": "b1", "states": {"b1": {"on": {"DEEP": "b2"}}, "b2": {}}},
                        "hist": {"type": "history", "history": "deep"},
                    },
                },
                "off": {"on": {"ON": "on.hist"}},
            },
        }
    )
    s = m.initial_state()
    for e in ("NEXT", "DEEP", "OFF", "ON"):
        s = m.transition(s, e)
    assert s.value == {"on": {"b": "b2"}}


def test_history_without_a_value_takes_its_default_target():
    m = Machine(
        {
            "id": "m",
            "initial": "off",
            "states": {
                "on": {"initial": "a", "states": {"a": {}, "b": {}, "h": {"type": "history", "target": "b"}}},
                "off": {"on": {"ON": "on.h"}},
            },
        }
    )
    assert m.transition(m.initial_state(), "ON").value == {"on": "b"}


def test_reenter_false_targeting_a_child_does_not_exit_the_source():
    m = traced(
        {"id": "m", "initial": "p", "states": {"p": {"initial": "a", "on": {"GO": ".b"}, "states": {"a": {}, "b": {}}}}}
    )
    assert names(m.transition(m.initial_state(), "GO")) == ["exit:a", "enter:b"]


def test_reenter_true_exits_and_reenters_the_source():
    m = traced(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {"initial": "a", "on": {"GO": {"target": ".b", "reenter": True}}, "states": {"a": {}, "b": {}}}
            },
        }
    )
    assert names(m.transition(m.initial_state(), "GO")) == ["exit:a", "exit:p", "enter:p", "enter:b"]


def test_self_transition_without_reenter_reenters_only_the_children():
    m = traced(
        {
            "id": "m",
            "initial": "p",
            "states": {"p": {"initial": "a", "on": {"RESET": "p"}, "states": {"a": {"on": {"N": "b"}}, "b": {}}}},
        }
    )
    s = m.transition(m.initial_state(), "N")
    s = m.transition(s, "RESET")
    assert s.value == {"p": "a"} and names(s) == ["exit:b", "enter:a"]


def test_scxml_external_self_transition_exits_and_reenters():
    m = traced(
        {
            "id": "m",
            "initial": "p",
            "states": {
                "p": {"initial": "a", "on": {"RESET": {"target": "p", "type": "external"}}, "states": {"a": {}}}
            },
        }
    )
    assert names(m.transition(m.initial_state(), "RESET")) == ["exit:a", "exit:p", "enter:p", "enter:a"]


def test_targetless_transition_exits_nothing():
    m = traced({"id": "m", "initial": "a", "states": {"a": {"on": {"PING": {"actions": mark("pong")}}}}})
    assert names(m.transition(m.initial_state(), "PING")) == ["pong"]


def test_event_descriptor_prefix_matching():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"error": "failed"}}, "failed": {}}})
    assert m.transition(m.initial_state(), "error.send.failed").value == "failed"
    assert m.transition(m.initial_state(), "errors").value == "a"


def test_wildcard_matches_every_event_after_specific_ones():
    m = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"KNOWN": "known", "*": "other"}}, "known": {}, "other": {}}}
    )
    assert m.transition(m.initial_state(), "KNOWN").value == "known"
    assert m.transition(m.initial_state(), "ANYTHING").value == "other"


def test_several_descriptors_on_one_transition():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"LEFT RIGHT": "moved"}}, "moved": {}}})
    assert m.transition(m.initial_state(), "RIGHT").value == "moved"


def test_multiple_targets_enter_parallel_regions():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": ["#m.p.r1.x2", "#m.p.r2.y2"]}}},
                "p": {
                    "type": "parallel",
                    "states": {
                        "r1": {"initial": "x", "states": {"x": {}, "x2": {}}},
                        "r2": {"initial": "y", "states": {"y": {}, "y2": {}}},
                        "r3": {"initial": "z", "states": {"z": {}}},
                    },
                },
            },
        }
    )
    assert m.transition(m.initial_state(), "GO").value == {"p": {"r1": "x2", "r2": "y2", "r3": "z"}}


def test_id_and_relative_targets():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"initial": "a1", "states": {"a1": {"on": {"JUMP": "#deep", "SIB": "a2"}}, "a2": {}}},
                "b": {"initial": "b1", "states": {"b1": {}, "b2": {"id": "deep"}}},
            },
        }
    )
    assert m.transition(m.initial_state(), "JUMP").value == {"b": "b2"}
    assert m.transition(m.initial_state(), "SIB").value == {"a": "a2"}


def test_state_in_guard_reads_the_active_configuration():
    m = Machine(
        {
            "id": "m",
            "type": "parallel",
            "states": {
                "light": {"initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}},
                "door": {
                    "initial": "shut",
                    "states": {
                        "shut": {"on": {"OPEN": {"target": "open", "guard": state_in("#m.light.on")}}},
                        "open": {},
                    },
                },
            },
        }
    )
    s = m.initial_state()
    assert m.transition(s, "OPEN").value["door"] == "shut"
    assert m.transition(m.transition(s, "FLIP"), "OPEN").value["door"] == "open"


def test_eventless_loop_raises_naming_the_states():
    m = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"always": "c"}, "c": {"always": "b"}}}
    )
    with pytest.raises(EventlessLoopError, match=r"m\.(b|c)"):
        m.transition(m.initial_state(), "GO")


def test_an_eventless_guard_that_always_fails_is_a_loop_not_a_hang():
    # each round the failing guard raises error.execution, which nothing takes, and the
    # eventless transitions are selected again: the microstep bound must count those rounds too
    def broken(context, event):
        raise ValueError("boom")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": "b"}}, "b": {"always": {"guard": broken, "target": "a"}}},
        }
    )
    with pytest.raises(EventlessLoopError, match=r"active states: m\.b; last internal event: error\.execution"):
        m.transition(m.initial_state(), "GO")


def test_many_raised_events_that_nothing_takes_are_not_a_loop():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"target": "b", "actions": [raise_("NOBODY")] * 1200}}}, "b": {}},
        }
    )
    assert m.transition(m.initial_state(), "GO").value == "b"


def test_failing_guard_is_false_and_raises_error_execution():
    def broken(context, event):
        raise ValueError("boom")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "guard": broken}, "error.execution": "failed"}},
                "b": {},
                "failed": {},
            },
        }
    )
    assert m.transition(m.initial_state(), "GO").value == "failed"


def test_failing_assign_raises_error_execution_and_skips_the_rest_of_its_block():
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0, "after": False},
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": [assign(n=lambda c, e: 1 / 0), assign(after=True)]}}},
                "b": {"on": {"error.execution": "failed"}},
                "failed": {},
            },
        }
    )
    s = m.transition(m.initial_state(), "GO")
    assert s.value == "failed" and s.context["after"] is False


def test_unhandled_event_leaves_the_snapshot_equal():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    s = m.initial_state()
    assert m.transition(s, "NOPE") == s and hash(m.transition(s, "NOPE")) == hash(s)


def test_event_payload_reaches_guards_and_assigns():
    m = Machine(
        {
            "id": "m",
            "context": {"total": 0},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "ADD": {
                            "guard": lambda c, e: e["amount"] > 0,
                            "actions": assign(total=lambda c, e: c["total"] + e["amount"]),
                        }
                    }
                }
            },
        }
    )
    s = m.transition(m.initial_state(), Event("ADD", amount=5))
    s = m.transition(s, "ADD", amount=-3)
    s = m.transition(s, {"type": "ADD", "amount": 2})
    assert s.context["total"] == 7


def test_after_schedules_a_delayed_event_and_cancels_it_on_exit():
    m = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"after": {1000: "b"}, "on": {"SKIP": "c"}}, "b": {}, "c": {}}}
    )
    s = m.initial_state()
    assert [(p.delay, p.event.name) for p in s.pending] == [(1000.0, "xstate.after.1000.m.a")]
    assert m.transition(s, "SKIP").pending == ()
    assert m.transition(s, s.pending[0].event).value == "b"


def test_leaves_helper_lists_atomic_states():
    m = Machine({"id": "m", "type": "parallel", "states": {"r": {"initial": "x", "states": {"x": {}}}}})
    assert leaves(m.initial_state()) == ["x"]


def test_history_directly_in_a_parallel_state_without_default_enters_every_region_as_xstate_does():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": "p.h"}},
                "p": {
                    "type": "parallel",
                    "on": {"OUT": "#m.a"},
                    "states": {
                        "h": {"type": "history", "history": "deep"},
                        "r1": {"initial": "x", "states": {"x": {"on": {"NEXT": "y"}}, "y": {}}},
                        "r2": {"initial": "u", "states": {"u": {}}},
                    },
                },
            },
        }
    )
    s = m.transition(m.initial_state(), "GO")
    assert s.value == {"p": {"r1": "x", "r2": "u"}}
    s = m.transition(m.transition(m.transition(s, "NEXT"), "OUT"), "GO")  # now recorded
    assert s.value == {"p": {"r1": "y", "r2": "u"}}


def test_reaching_a_top_level_final_state_runs_the_remaining_exit_actions_in_order():
    """SCXML exitInterpreter and xstate: the final state's exit, then the root's; the value stays."""
    m = traced({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "f"}}, "f": {"type": "final"}}})
    s = m.transition(m.initial_state(), "GO")
    assert names(s) == ["exit:a", "enter:f", "exit:f", "exit:m"]
    assert (s.value, s.status) == ("f", "done")
    starts_final = traced({"id": "m", "initial": "f", "states": {"f": {"type": "final"}}})
    assert names(starts_final.initial_state()) == ["enter:m", "enter:f", "exit:f", "exit:m"]
