"""The asyncio actor: send/state/snapshots/wait_for, async actions, services on the caller's loop,
timers on the loop and on a VirtualClock (pytest-asyncio: the runtime is asyncio-only)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from statecharts import Event, Machine, VirtualClock, assign
from statecharts.errors import ConfigError, StatechartError

pytestmark = pytest.mark.asyncio

TOGGLE = Machine(
    {
        "id": "toggle",
        "context": {"n": 0},
        "initial": "off",
        "states": {
            "off": {"on": {"FLIP": {"target": "on", "actions": assign(n=lambda c, e: c["n"] + 1)}}},
            "on": {"on": {"FLIP": "off"}},
        },
    }
)


async def test_send_returns_the_snapshot_after_the_macrostep() -> None:
    async with TOGGLE.interpret_async(id="t") as actor:
        after = await actor.send("FLIP")
        assert after.value == "on" and after.context["n"] == 1
        assert actor.state is after
        assert (await actor.send({"type": "FLIP"})).value == "off"
    assert actor.status == "stopped"
    with pytest.raises(StatechartError, match="which is stopped"):
        await actor.send("FLIP")


async def test_context_is_a_function_of_input() -> None:
    m = Machine({"id": "m", "context": lambda input: {"n": input["start"] * 2}, "initial": "a", "states": {"a": {}}})
    async with m.interpret_async(input={"start": 21}) as actor:
        assert actor.state.context["n"] == 42


async def test_async_action_is_awaited_before_the_next_event() -> None:
    order: list[str] = []

    async def slow_save(context: Any, event: Event) -> None:
        order.append(f"start {event.name}")
        await asyncio.sleep(0.01)
        order.append(f"end {event.name}")

    def note(context: Any, event: Event) -> None:
        order.append(f"sync {event.name}")

    m = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"SAVE": {"actions": ["save", "note"]}}}}},
        actions={"save": slow_save, "note": note},
    )
    async with m.interpret_async() as actor:
        actor.post("SAVE")
        actor.post("SAVE")
        await actor.send("SAVE")
    assert order == ["sync SAVE", "start SAVE", "end SAVE"] * 3


async def test_failing_async_action_becomes_error_execution() -> None:
    async def broken(context: Any, event: Event) -> None:
        raise ValueError("disk full")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"SAVE": {"actions": "broken"}, "error.execution": "failed"}}, "failed": {}},
        },
        actions={"broken": broken},
    )
    async with m.interpret_async() as actor:
        assert (await actor.send("SAVE")).value == "failed"


async def test_failing_sync_action_becomes_error_execution() -> None:
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"actions": lambda c, e: 1 / 0}, "error.execution": "failed"}}, "failed": {}},
        }
    )
    async with m.interpret_async() as actor:
        assert (await actor.send("GO")).value == "failed"


async def test_snapshots_stream_every_macrostep_until_stop() -> None:
    async with TOGGLE.interpret_async() as actor:
        seen: list[Any] = []

        async def watch() -> None:
            async for s in actor.snapshots():
                seen.append(s.value)

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0)
        await actor.send("FLIP")
        await actor.send("FLIP")
    await asyncio.wait_for(watcher, 1)
    assert seen == ["off", "on", "off"]


async def test_wait_for_returns_when_a_timer_fires_and_times_out_otherwise() -> None:
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {20: "b"}}, "b": {}}})
    async with m.interpret_async() as actor:
        assert (await actor.wait_for(lambda s: s.matches("b"), timeout=2)).value == "b"
        with pytest.raises(TimeoutError, match="did not reach"):
            await actor.wait_for(lambda s: s.matches("a"), timeout=0.01)


async def test_service_awaits_a_future_resolved_by_the_application_loop() -> None:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[int] = loop.create_future()

    async def fetch(input: Any, event: Event) -> int:
        return await answer  # a future of the caller's loop: no "attached to a different loop"

    m = Machine(
        {
            "id": "m",
            "initial": "loading",
            "states": {
                "loading": {
                    "invoke": {
                        "src": "fetch",
                        "onDone": {"target": "ready", "actions": assign(got=lambda c, e: e.data)},
                    }
                },
                "ready": {},
            },
        },
        services={"fetch": fetch},
    )
    async with m.interpret_async() as actor:
        loop.call_later(0.01, answer.set_result, 42)
        ready = await actor.wait_for(lambda s: s.matches("ready"), timeout=2)
    assert ready.context["got"] == 42


async def test_service_is_cancelled_when_its_state_exits() -> None:
    seen: list[str] = []
    started = asyncio.Event()

    async def forever(input: Any, event: Event) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    m = Machine(
        {
            "id": "m",
            "initial": "busy",
            "states": {"busy": {"invoke": {"src": "forever", "id": "job"}, "on": {"CANCEL": "idle"}}, "idle": {}},
        },
        services={"forever": forever},
    )
    async with m.interpret_async() as actor:
        await asyncio.wait_for(started.wait(), 1)
        assert list(actor.children) == ["job"]
        await actor.send("CANCEL")
        await asyncio.sleep(0)
        assert actor.children == {}
    assert seen == ["cancelled"]


async def test_failing_service_reaches_on_error() -> None:
    async def broken(input: Any, event: Event) -> None:
        raise RuntimeError("no route")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {
                    "invoke": {
                        "src": "broken",
                        "onError": {"target": "failed", "actions": assign(why=lambda c, e: str(e["error"]))},
                    }
                },
                "failed": {},
            },
        },
        services={"broken": broken},
    )
    async with m.interpret_async() as actor:
        failed = await actor.wait_for(lambda s: s.matches("failed"), timeout=2)
    assert failed.context["why"] == "no route"


async def test_virtual_clock_advances_inside_a_running_loop() -> None:
    clock = VirtualClock()
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "context": {"ticks": 0},
            "states": {
                "a": {"after": {100: {"target": "b", "actions": assign(ticks=lambda c, e: c["ticks"] + 1)}}},
                "b": {"after": {50: "c"}},
                "c": {},
            },
        }
    )
    async with m.interpret_async(clock=clock) as actor:
        await clock.advance(99)
        assert actor.state.value == "a"
        await clock.advance(60)  # 100 fires, b's 50 ms timer is set at 100 and fires at 150
        assert actor.state.value == "c" and actor.state.context["ticks"] == 1
    assert clock.settlers == [] and clock.advance(1) is None  # back to the synchronous clock


async def test_async_generator_service_streams_events_into_the_parent() -> None:
    async def numbers(input: Any, event: Event) -> Any:
        for n in range(input["count"]):
            yield {"type": "N", "n": n}

    m = Machine(
        {
            "id": "m",
            "context": {"total": 0},
            "initial": "a",
            "states": {
                "a": {
                    "invoke": {"src": "numbers", "input": {"count": 4}, "onDone": "done"},
                    "on": {"N": {"actions": assign(total=lambda c, e: c["total"] + e["n"])}},
                },
                "done": {"type": "final"},
            },
        },
        services={"numbers": numbers},
    )
    async with m.interpret_async() as actor:
        final = await actor.wait_for(lambda s: s.done, timeout=2)
    assert final.context["total"] == 0 + 1 + 2 + 3


async def test_raising_listener_is_logged_and_the_actor_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    async with TOGGLE.interpret_async() as actor:
        actor.subscribe(lambda s: 1 / 0)
        assert (await actor.send("FLIP")).value == "on"
    assert "listener" in caplog.text


async def test_actor_needs_machine_or_logic() -> None:
    from statecharts.runtime import AsyncActor

    with pytest.raises(ConfigError, match="not int"):
        AsyncActor(3)


async def test_wait_for_raises_when_the_actor_stops_first() -> None:
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"END": "z"}}, "b": {}, "z": {"type": "final"}}})
    async with m.interpret_async() as actor:
        waiting = asyncio.create_task(actor.wait_for(lambda s: s.matches("b"), timeout=5))
        await asyncio.sleep(0)
        await actor.send("END")
        with pytest.raises(StatechartError, match="stopped \\(done\\)"):
            await waiting
    assert actor.status == "done"


class CountingLogic:
    """Not a Machine: any object with the Logic methods runs as an actor (here it counts the
    macrosteps of a machine it wraps)."""

    def __init__(self, machine: Machine) -> None:
        self.machine, self.id, self.steps = machine, "counting", 0

    def initial_state(self, input: Any, execute: Any = None, observe: Any = None) -> Any:
        return self.machine.initial_state()

    def transition(self, snapshot: Any, event: Event, execute: Any = None, observe: Any = None) -> Any:
        self.steps += 1
        return self.machine.transition(snapshot, event)

    def restore(self, data: Any) -> Any:
        return self.machine.restore(data)

    def invocation(self, invoke_id: str) -> Any:
        return self.machine.chart.invokes[invoke_id]

    def service(self, name: str) -> Any:
        return self.machine.chart.services[name]


async def test_any_logic_runs_as_an_actor() -> None:
    from statecharts.runtime import AsyncActor

    logic = CountingLogic(TOGGLE)
    async with AsyncActor(logic, id="c") as actor:
        await actor.send("FLIP")
        await actor.send("FLIP")
    assert logic.steps == 2 and actor.state.value == "off" and actor.id == "c"


async def test_context_option_overrides_keys_and_bad_options_are_named() -> None:
    from statecharts.errors import SnapshotError

    async with TOGGLE.interpret_async(context={"n": 40}) as actor:
        assert (await actor.send("FLIP")).context["n"] == 41
    other = Machine({"id": "other", "initial": "x", "states": {"x": {}}})
    with pytest.raises(SnapshotError, match="machine 'toggle', not of 'other'"):
        TOGGLE.interpret_async(state=other.initial_state())
    with pytest.raises(ConfigError, match="context= takes a dict"):
        TOGGLE.interpret_async(context=[1])
    with pytest.raises(ConfigError, match="clock= needs schedule"):
        TOGGLE.interpret_async(clock=object())


async def test_restored_snapshot_resumes_with_its_timer_on_a_virtual_clock() -> None:
    clock = VirtualClock()
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"after": {100: "c"}}, "c": {}}})
    async with m.interpret_async(clock=clock) as actor:
        saved = (await actor.send("GO")).dumps()
    async with m.interpret_async(clock=clock, state=m.restore(saved)) as resumed:
        assert resumed.state.value == "b"
        await clock.advance(100)
        assert resumed.state.value == "c"


async def test_strict_actor_rejects_an_event_nothing_listens_for() -> None:
    from statecharts.errors import EventError

    async with TOGGLE.interpret_async(strict=True) as actor:
        with pytest.raises(EventError, match="'FLIPP' is not accepted .*did you mean 'FLIP'"):
            await actor.send("FLIPP")
        assert (await actor.send("FLIP")).value == "on"


async def test_async_callback_service_is_cancelled_when_its_state_exits() -> None:
    from statecharts.runtime import from_callback

    seen: list[str] = []

    async def ticker(send_back: Any, receive: Any, input: Any) -> None:
        try:
            while True:
                send_back("TICK")
                await asyncio.sleep(0.001)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    m = Machine(
        {
            "id": "m",
            "context": {"ticks": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "ticker", "id": "t"},
                    "on": {"TICK": {"actions": assign(ticks=lambda c, e: c["ticks"] + 1)}, "OFF": "off"},
                },
                "off": {},
            },
        },
        services={"ticker": from_callback(ticker)},
    )
    async with m.interpret_async() as actor:
        await actor.wait_for(lambda s: s.context["ticks"] >= 3, timeout=2)
        await actor.send("OFF")
        await asyncio.sleep(0.01)
        ticks = actor.state.context["ticks"]
        await asyncio.sleep(0.01)
        assert actor.state.context["ticks"] == ticks  # nothing arrives after the exit
    assert seen == ["cancelled"]
