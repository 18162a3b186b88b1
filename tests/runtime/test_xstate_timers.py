"""The asyncio actor keeps xstate's scheduler rule in ``semantics="xstate"``, as the threaded
interpreter does (tests/interop/test_xstate_semantics.py): one timer per send id, so a reused or
fired id leaves the older timers uncancellable, and they keep their due times."""

from __future__ import annotations

from typing import Any

import pytest

from statecharts import Event, Machine, assign, raise_
from statecharts.actions import cancel
from statecharts.interpreter import VirtualClock

pytestmark = pytest.mark.asyncio

CONFIG = {
    "id": "m",
    "context": {"log": ()},
    "initial": "a",
    "states": {
        "a": {
            "on": {
                "SET": {
                    "actions": raise_(lambda c, e: {"type": "TICK", "n": e["n"]}, delay=lambda c, e: e["ms"], id="t")
                },
                "STOP": {"actions": cancel("t")},
                "TICK": {"actions": assign(log=lambda c, e: (*c["log"], (e["n"], c["now"]())))},
            }
        }
    },
}


async def run(semantics: str, steps: list[Any]) -> tuple[Any, ...]:
    clock = VirtualClock()
    machine = Machine({**CONFIG, "context": {"log": (), "now": lambda: clock.now}}, semantics=semantics)
    async with machine.interpret_async(clock=clock) as actor:
        for step in steps:
            if isinstance(step, int):
                await clock.advance(step)
            else:
                await actor.send(step)
        return tuple(actor.state.context["log"])


async def test_a_reused_id_leaves_the_older_timer_firing_at_its_own_time() -> None:
    steps = [Event("SET", n=1, ms=100), Event("SET", n=2, ms=200), "STOP", 300]
    assert await run("xstate", steps) == ((1, 100.0),)
    assert await run("scxml", steps) == ()


async def test_a_fired_id_leaves_the_latest_timer_uncancellable() -> None:
    steps = [Event("SET", n=1, ms=100), Event("SET", n=2, ms=200), 150, "STOP", 100]
    assert await run("xstate", steps) == ((1, 100.0), (2, 200.0))
    assert await run("scxml", steps) == ((1, 100.0),)
