"""Every built-in action and guard receives the params of its ``{"type": name, "params": ...}``
reference wherever xstate v5 passes them (``fn(context, event, params)``), in a dict chart and in
JSON read by ``Machine.from_json``, in both semantics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from statecharts import Event, Machine, assign, log, raise_
from statecharts.actions import Emit, cancel, emit, send_to, spawn_child, stop_child

SEMANTICS = ("scxml", "xstate")

CONFIG: dict[str, Any] = {
    "id": "m",
    "context": {"n": 0, "m": 0},
    "initial": "a",
    "states": {
        "a": {
            "entry": [{"type": "later", "params": {"what": "TICK", "ms": 300, "id": "tick"}}],
            "on": {
                "GO": {
                    "guard": {"type": "atLeast", "params": {"min": 0}},
                    "actions": [
                        {"type": "add", "params": {"by": 5}},
                        {"type": "setM", "params": {"m": 3}},
                        {"type": "shout", "params": {"what": "PING"}},
                        {"type": "say", "params": {"text": "hi"}},
                        {"type": "tell", "params": {"to": "w1", "what": "PONG", "ms": 250}},
                        {"type": "drop", "params": {"id": "tick"}},
                        {"type": "announce", "params": {"what": "SAVED"}},
                    ],
                },
                "BLOCKED": {
                    "guard": {"type": "atLeast", "params": {"min": 1}},
                    "actions": [{"type": "add", "params": {"by": 100}}],
                },
                "PING": {"actions": assign(n=lambda c, e: c["n"] * 10)},
            },
        }
    },
}


def implementations(said: list[Any]) -> dict[str, Any]:
    return {
        "actions": {
            "add": assign(n=lambda c, e, p: c["n"] + p["by"]),
            "setM": assign(lambda c, e, p: {"m": p["m"]}),
            "shout": raise_(lambda c, e, p: {"type": p["what"]}),
            "say": log(lambda c, e, p: said.append(p["text"]) or p["text"]),
            "later": raise_(lambda c, e, p: {"type": p["what"]}, delay=lambda c, e, p: p["ms"], id="tick"),
            "tell": send_to(
                lambda c, e, p: p["to"], lambda c, e, p: {"type": p["what"]}, delay=lambda c, e, p: p["ms"]
            ),
            "drop": cancel(lambda c, e, p: p["id"]),
            "announce": emit(lambda c, e, p: {"type": p["what"], "n": c["n"]}),
        },
        "guards": {"atLeast": lambda c, e, p: c["n"] >= p["min"]},
    }


def machines(said: list[Any]) -> list[Machine]:
    """The chart as a dict config and as JSON text through ``from_json``, in each semantics."""
    text = json.dumps(
        {
            **CONFIG,
            "states": {
                "a": {
                    **CONFIG["states"]["a"],
                    "on": {k: v for k, v in CONFIG["states"]["a"]["on"].items() if k != "PING"}
                    | {"PING": {"actions": [{"type": "times10"}]}},
                }
            },
        }
    )
    json_impls = implementations(said)
    json_impls["actions"]["times10"] = assign(n=lambda c, e: c["n"] * 10)
    return [
        m
        for semantics in SEMANTICS
        for m in (
            Machine(CONFIG, semantics=semantics, **implementations(said)),
            Machine.from_json(text, semantics=semantics, **json_impls),
        )
    ]


def test_assign_raise_send_to_cancel_log_emit_and_guards_receive_their_params() -> None:
    said: list[Any] = []
    for machine in machines(said):
        s = machine.initial_state()
        assert [(p.id, p.delay, p.event.name) for p in s.pending] == [("tick", 300.0, "TICK")]  # raise's delay
        s = machine.transition(s, "GO")
        # add 5, then the raised PING (from params) multiplies by 10; the guard read min=0
        assert (s.context["n"], s.context["m"]) == (50, 3)
        # send_to's target, event and delay came from params; cancel's id too (TICK withdrawn)
        assert [(p.to, p.delay, p.event.name) for p in s.pending] == [("w1", 250.0, "PONG")]
        emitted = [e.action.resolve(e.context, e.event) for e in s.effects if isinstance(e.action, Emit)]
        assert emitted == [Event("SAVED", n=5)]
        assert machine.transition(s, "BLOCKED").context["n"] == 150  # now n=50 is at least min=1
    assert said == []  # log messages resolve when the interpreter runs them, not in transition()


def test_log_resolves_its_message_with_params_when_the_interpreter_runs_it() -> None:
    said: list[Any] = []
    for machine in machines(said):
        actor = machine.interpret().start()
        actor.send("GO")
    assert said == ["hi"] * 4


def test_a_guard_with_params_blocks_when_its_params_say_so() -> None:
    for machine in machines([]):
        s = machine.transition(machine.initial_state(), "BLOCKED")
        assert s.context["n"] == 0  # n=0 is not at least min=1


def test_dynamic_params_are_a_function_of_context_and_event() -> None:
    """xstate's ``params: ({context, event}) => ...``, for actions and guards (dict charts only)."""
    m = Machine(
        {
            "id": "m",
            "context": {"n": 1},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "GO": {
                            "guard": {"type": "atLeast", "params": lambda c, e: {"min": e["need"]}},
                            "actions": {"type": "add", "params": lambda c, e: {"by": c["n"] * e["need"]}},
                        }
                    }
                }
            },
        },
        **implementations([]),
    )
    s = m.transition(m.initial_state(), Event("GO", need=1))
    assert s.context["n"] == 2
    assert m.transition(s, Event("GO", need=3)).context["n"] == 2  # 2 < 3: blocked


def test_a_plain_function_action_taking_params_gets_none_without_them() -> None:
    """As xstate passes ``params`` undefined to an action referenced by name only."""
    seen: list[Any] = []
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"actions": ["note", {"type": "note", "params": {"k": 1}}]}}}},
        },
        actions={"note": lambda c, e, p: seen.append(p)},
    )
    m.interpret().start().send("GO")
    assert seen == [None, {"k": 1}]


@pytest.mark.asyncio
async def test_emit_and_stop_child_receive_params_in_the_runtime() -> None:
    child = Machine({"id": "child", "initial": "on", "states": {"on": {}}})
    parent = Machine.from_json(
        json.dumps(
            {
                "id": "p",
                "initial": "a",
                "states": {
                    "a": {
                        "entry": [{"type": "spawn"}],
                        "on": {
                            "SAVE": {"actions": {"type": "announce", "params": {"what": "SAVED"}}},
                            "KILL": {"actions": {"type": "kill", "params": {"id": "c1"}}},
                        },
                    }
                },
            }
        ),
        actions={
            "spawn": spawn_child("child", id="c1"),
            "announce": emit(lambda c, e, p: {"type": p["what"]}),
            "kill": stop_child(lambda c, e, p: p["id"]),
        },
        services={"child": child},
        semantics="xstate",
    )
    heard: list[str] = []
    async with parent.interpret_async() as actor:
        actor.on("*", lambda e: heard.append(e.name))
        await actor.send("SAVE")
        c1 = actor.children["c1"]
        await actor.send("KILL")
        assert "c1" not in actor.children and c1.status == "stopped"
    assert heard == ["SAVED"]


def test_a_delayed_raise_reads_and_writes_as_xstate_json() -> None:
    """``{"type": "xstate.raise", "event": ..., "delay": ..., "id": ...}``: xstate's raise(event, {delay, id})."""
    text = json.dumps(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {
                    "entry": {"type": "xstate.raise", "event": {"type": "PING"}, "delay": 100, "id": "p"},
                    "on": {"PING": "b", "STOP": {"actions": {"type": "xstate.cancel", "sendId": "p"}}},
                },
                "b": {},
            },
        }
    )
    for semantics in SEMANTICS:
        m = Machine.from_json(text, semantics=semantics)
        s = m.initial_state()
        assert [(p.id, p.delay, p.event.name) for p in s.pending] == [("p", 100.0, "PING")]
        assert m.transition(s, "STOP").pending == ()
        assert m.to_json()["states"]["a"]["entry"] == {
            "type": "xstate.raise",
            "event": {"type": "PING"},
            "delay": 100,
            "id": "p",
        }
