"""Both runtimes on one core (`statecharts.actor_core`): the same chart driven through the threaded
interpreter and the asyncio actor gives the same snapshots, static steps (the cached ones that run
no effect) included, and timers set before a static step still fire after it."""

from __future__ import annotations

import pytest

from statecharts import Event, Machine, VirtualClock, assign, send_to
from statecharts.actor_core import Timers, static_step_of

EVENTS = ["INC", "INC", "GO", "INC", "BACK", "INC", "PING", "INC", "GO", "INC", "INC", "BACK"]


def chart() -> Machine:
    log: list[str] = []
    return Machine(
        {
            "id": "mixed",
            "context": {"n": 0, "log": 0},
            "initial": "idle",
            "states": {
                "idle": {
                    "after": {1000: "timedOut"},
                    "on": {
                        "INC": {"guard": lambda c, e: c["n"] < 100, "actions": assign(n=lambda c, e: c["n"] + 1)},
                        "GO": "busy",
                        "PING": {"actions": send_to("mixed", "INC")},
                    },
                },
                "busy": {
                    "entry": "note",
                    "on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 10)}, "BACK": "idle", "GO": "idle"},
                },
                "timedOut": {"type": "final"},
            },
        },
        actions={"note": lambda c, e: log.append(e.name)},
    )


@pytest.mark.asyncio
async def test_the_threaded_and_asyncio_runtimes_take_the_same_steps_static_ones_included() -> None:
    machine = chart()
    threaded_clock, async_clock = VirtualClock(), VirtualClock()
    threaded = machine.interpret(clock=threaded_clock).start()
    threaded_seen = [threaded.send(e).key() for e in EVENTS]
    async with machine.interpret_async(clock=async_clock) as actor:
        async_seen = [(await actor.send(e)).key() for e in EVENTS]
        assert async_seen == threaded_seen
        assert actor.state.context["n"] == threaded.state.context["n"] == 35
        threaded_clock.advance(1000)
        await async_clock.advance(1000)
        assert actor.state.value == threaded.state.value == "timedOut"
    threaded.stop()


@pytest.mark.asyncio
async def test_a_timer_set_before_static_steps_still_fires_after_them() -> None:
    machine = chart()
    first = machine.initial_state()
    assert static_step_of(machine)(first, Event("INC")) is not None  # INC in idle is a static step
    b = None
    clock = VirtualClock()
    async with machine.interpret_async(clock=clock) as actor:
        for _ in range(5):
            b = await actor.send("INC")
        assert b is not None and b.pending == actor.state.pending and len(b.pending) == 1
        await clock.advance(1000)
        assert actor.state.value == "timedOut"


def test_timers_cancel_the_timer_of_a_send_that_left_pending() -> None:
    machine = chart()
    clock = VirtualClock()
    timers = Timers(clock.schedule, clock.cancel, lambda: clock.now)
    first = machine.initial_state()
    fired: list[object] = []
    _, due = timers.adopt(first, (), fired.append)
    assert due == [] and len(timers) == 1 and clock.pending == 1
    busy = machine.transition(first, "GO")  # leaving idle cancels its after-timer
    _, due = timers.adopt(busy, first.pending, fired.append)
    assert due == [] and len(timers) == 0 and clock.pending == 0 and fired == []
