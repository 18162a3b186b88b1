"""A parent's persisted snapshot holds its children's, recursively, with their timers' due times:
restoring re-creates the children with their state and resumes every timer with the time that
remained (a virtual clock: exact to the millisecond)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from statecharts import Machine, VirtualClock, assign
from statecharts.actions import send_parent, send_to, spawn_child
from statecharts.errors import SnapshotError
from statecharts.record import RECORD_VERSION

pytestmark = pytest.mark.asyncio

CHILD = Machine(
    {
        "id": "child",
        "context": {"n": 0},
        "initial": "a",
        "states": {
            "a": {"after": {100: "b"}, "on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}},
            "b": {"entry": send_parent("CHILD_TIMED_OUT")},
        },
    }
)

PARENT = Machine(
    {
        "id": "parent",
        "context": {"heard": 0},
        "initial": "on",
        "states": {
            "on": {
                "invoke": {"src": "child", "id": "kid"},
                "on": {
                    "SPAWN": {"actions": spawn_child("child", id="sp")},
                    "INC": {"actions": [send_to("kid", "INC"), send_to("sp", "INC")]},
                    "CHILD_TIMED_OUT": {"actions": assign(heard=lambda c, e: c["heard"] + 1)},
                },
            }
        },
    },
    services={"child": CHILD},
)


def saved(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data))  # what a store keeps: JSON text


async def test_a_childs_timer_resumes_with_the_time_that_remained() -> None:
    clock = VirtualClock()
    async with PARENT.interpret_async(clock=clock) as actor:
        await clock.advance(70)  # 30 ms of 100 left
        data = saved(actor.persisted_snapshot())
    assert data["version"] == RECORD_VERSION and data["children"]["kid"]["timers"] == [{"pending": 0, "due": 100.0}]
    clock.advance(10)  # the process is down for 10 ms (no actor on the clock: advance is synchronous)
    async with PARENT.interpret_async(clock=clock, state=data) as again:
        kid = again.children["kid"]
        await clock.advance(19)
        assert kid.state.value == "a" and again.state.context["heard"] == 0
        await clock.advance(1)
        assert kid.state.value == "b" and again.state.context["heard"] == 1


async def test_children_are_recreated_with_their_state_recursively() -> None:
    grandparent = Machine(
        {"id": "top", "initial": "on", "states": {"on": {"invoke": {"src": "parent", "id": "mid"}}}},
        services={"parent": PARENT},
    )
    clock = VirtualClock()
    async with grandparent.interpret_async(clock=clock) as actor:
        mid = actor.children["mid"]
        mid.post("SPAWN")
        mid.post("INC")
        mid.post("INC")
        await actor.system.settled()
        await clock.advance(40)
        data = saved(actor.persisted_snapshot())
    assert set(data["children"]["mid"]["children"]) == {"kid", "sp"}
    assert data["children"]["mid"]["children"]["sp"]["src"] == "child"
    async with grandparent.interpret_async(clock=clock, state=data) as again:
        mid = again.children["mid"]
        assert {cid: c.state.context["n"] for cid, c in mid.children.items()} == {"kid": 2, "sp": 2}
        await clock.advance(59)
        assert {c.state.value for c in mid.children.values()} == {"a"}
        await clock.advance(1)  # both children's timers: due at 100 on the clock
        assert {c.state.value for c in mid.children.values()} == {"b"}
        assert mid.state.context["heard"] == 2


async def test_timers_already_due_on_restore_fire_at_once_in_due_order() -> None:
    order: list[str] = []
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {
                    "after": {
                        30: {"actions": lambda c, e: order.append("30")},
                        10: {"actions": lambda c, e: order.append("10")},
                        50: "b",
                    }
                },
                "b": {"entry": lambda c, e: order.append("b")},
            },
        }
    )
    clock = VirtualClock()
    async with m.interpret_async(clock=clock) as actor:
        await clock.advance(5)
        data = saved(actor.persisted_snapshot())
    clock.advance(100)
    async with m.interpret_async(clock=clock, state=data) as again:
        await again.system.settled()
        assert order == ["10", "30", "b"] and again.state.value == "b"


async def test_a_record_of_another_machine_is_a_snapshot_error_naming_both() -> None:
    clock = VirtualClock()
    async with CHILD.interpret_async(clock=clock) as actor:
        data = saved(actor.persisted_snapshot())
    with pytest.raises(SnapshotError, match="machine 'child' cannot be restored into 'parent'"):
        PARENT.interpret_async(state=data)
    with pytest.raises(SnapshotError, match="version 99 of machine 'child' is not known"):
        CHILD.interpret_async(state=data | {"version": 99})


async def test_without_a_clock_a_restored_timer_counts_the_wall_time_the_process_was_down() -> None:
    import asyncio
    import time

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {600: "b"}}, "b": {}}})
    async with m.interpret_async() as actor:  # timers on the loop; due times on the wall clock
        data = saved(actor.persisted_snapshot())
    await asyncio.sleep(0.4)  # down for 400 ms of the 600
    async with m.interpret_async(state=data) as again:
        resumed = time.monotonic()
        await again.wait_for(lambda s: s.matches("b"), timeout=5)
        waited = time.monotonic() - resumed
    assert waited < 0.45  # about 200 ms; a timer restarted in full would wait 600


async def test_a_version_1_record_restarts_every_invocation_of_its_active_states() -> None:
    clock = VirtualClock()
    async with PARENT.interpret_async(clock=clock) as actor:
        data = saved(actor.persisted_snapshot())
    old = data | {"version": 1, "invocations": [], "children": {}}  # what the asyncio store wrote before
    async with PARENT.interpret_async(clock=clock, state=old) as again:
        assert set(again.children) == {"kid"} and again.children["kid"].state.value == "a"
