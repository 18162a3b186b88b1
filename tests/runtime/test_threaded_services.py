"""Callback services (`from_callback`) and async-generator services in the threaded interpreter:
with a RealClock on the runtime thread's event loop (``send_back`` from any thread, ``receive``,
cleanup and cancellation when the state exits), with a VirtualClock inline."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from statecharts import Machine, VirtualClock, assign
from statecharts.event import Event
from statecharts.runtime import from_callback
from statecharts.services import ServiceRef
from tests.actor_charts import echo_chart


class Probe:
    """What a callback service saw: the threads its parts ran on, and its cleanups."""

    def __init__(self, from_thread: bool = False) -> None:
        self.from_thread = from_thread  # its first send_back from a thread of its own (a RealClock)
        self.threads: dict[str, str] = {}
        self.cleanups = 0
        self.cleaned = threading.Event()

    def service(self) -> Any:
        def echo(send_back: Callable[..., None], receive: Callable[[Any], None], input: Any) -> Callable[[], None]:
            self.threads["start"] = threading.current_thread().name

            def on_event(event: Event) -> None:
                self.threads["receive"] = threading.current_thread().name
                send_back({"type": "ECHO", "text": input["prefix"] + event["text"]})

            receive(on_event)
            hello = {"type": "ECHO", "text": "hello"}
            if self.from_thread:  # (with a VirtualClock the driving thread holds the actors' lock meanwhile)
                worker = threading.Thread(target=send_back, args=(hello,), name="svc-worker")
                worker.start()
                worker.join()
            else:
                send_back(hello)

            def cleanup() -> None:
                self.threads["cleanup"] = threading.current_thread().name
                self.cleanups += 1
                self.cleaned.set()

            return cleanup

        return from_callback(echo)


def test_a_callback_service_with_a_real_clock_runs_on_the_runtime_thread() -> None:
    probe = Probe(from_thread=True)
    actor = echo_chart(probe.service()).interpret(id="p").start()
    try:
        actor.wait_for(lambda s: s.context["heard"] == ("hello",), timeout=5)  # send_back from another thread
        assert isinstance(actor.children["echo"], ServiceRef) and actor.system.get("echo") is actor.children["echo"]
        actor.send("SAY", text="hi")
        state = actor.wait_for(lambda s: len(s.context["heard"]) == 2, timeout=5)
        assert state.context["heard"] == ("hello", ">hi")
        actor.send("OFF")
        assert probe.cleaned.wait(5) and probe.cleanups == 1
        assert "echo" not in actor.children and actor.system.get("echo") is None
        assert probe.threads == {"start": "p-runtime", "receive": "p-runtime", "cleanup": "p-runtime"}
        actor.send("SAY", text="lost")  # nobody listens in "off"
        assert actor.state.context["heard"] == ("hello", ">hi")
    finally:
        actor.stop()


def test_a_callback_service_with_a_virtual_clock_runs_inline_and_is_cleaned_up_on_exit() -> None:
    probe = Probe()
    actor = echo_chart(probe.service()).interpret(clock=VirtualClock()).start()
    assert actor.state.context["heard"] == ("hello",)  # processed at once, no clock advance
    assert actor.send("SAY", text="a").context["heard"] == ("hello", ">a")
    assert actor.send("SAY", text="b").context["heard"] == ("hello", ">a", ">b")
    actor.send("OFF")
    assert probe.cleanups == 1 and "echo" not in actor.children
    actor.send("ON")  # re-entered: a new service, a new cleanup later
    assert actor.state.context["heard"] == ("hello", ">a", ">b", "hello")
    actor.stop()
    assert probe.cleanups == 2
    assert set(probe.threads.values()) == {threading.current_thread().name}


def test_a_callback_service_that_raises_is_the_parents_error_event() -> None:
    def broken(send_back: Any, receive: Any, input: Any) -> None:
        raise RuntimeError("no echo today")

    chart = Machine(
        {
            "id": "parent",
            "initial": "on",
            "states": {
                "on": {"invoke": {"src": "echo", "id": "echo", "onError": "failed"}},
                "failed": {},
            },
        },
        services={"echo": from_callback(broken)},
    )
    assert chart.interpret(clock=VirtualClock()).start().state.value == "failed"
    actor = chart.interpret().start()
    try:
        assert actor.wait_for(lambda s: s.matches("failed"), timeout=5).value == "failed"
    finally:
        actor.stop()


def _fails(input: Any, event: Event) -> None:
    raise RuntimeError("down")


class Ticks:
    """An async-generator service that yields TICK n for n in 1..count (pausing ``pause`` s
    between), noting whether it was cancelled."""

    def __init__(self, count: int, pause: float = 0.0) -> None:
        self.count = count
        self.pause = pause
        self.cancelled = threading.Event()
        self.threads: set[str] = set()

    async def __call__(self, input: Any, event: Event) -> AsyncIterator[dict[str, Any]]:
        self.threads.add(threading.current_thread().name)
        try:
            for n in range(1, self.count + 1):
                if self.pause:
                    await asyncio.sleep(self.pause)
                yield {"type": "TICK", "n": n}
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled.set()
            raise


def ticker_chart(ticks: Ticks) -> Machine:
    async def ticker(input: Any, event: Event) -> AsyncIterator[dict[str, Any]]:
        async for item in ticks(input, event):
            yield item

    return Machine(
        {
            "id": "ticker",
            "context": {"ticks": (), "done": False},
            "initial": "running",
            "states": {
                "running": {
                    "invoke": {
                        "src": "ticks",
                        "id": "ticks",
                        "onDone": {"target": "over", "actions": assign(done=lambda c, e: True)},
                    },
                    "on": {"TICK": {"actions": assign(ticks=lambda c, e: (*c["ticks"], e["n"]))}, "HALT": "halted"},
                },
                "halted": {},
                "over": {},
            },
        },
        services={"ticks": ticker},
    )


def test_an_async_generator_service_with_a_real_clock_sends_each_item_in_order() -> None:
    ticks = Ticks(50)
    actor = ticker_chart(ticks).interpret(id="t").start()
    try:
        state = actor.wait_for(lambda s: s.matches("over"), timeout=5)
        assert state.context == {"ticks": tuple(range(1, 51)), "done": True}
        assert ticks.threads == {"t-runtime"} and not ticks.cancelled.is_set()
    finally:
        actor.stop()


def test_an_async_generator_service_is_cancelled_when_its_state_exits() -> None:
    ticks = Ticks(10_000, pause=0.005)
    actor = ticker_chart(ticks).interpret().start()
    try:
        actor.wait_for(lambda s: len(s.context["ticks"]) >= 3, timeout=5)
        actor.send("HALT")
        assert ticks.cancelled.wait(5)
        heard = len(actor.state.context["ticks"])
        assert 3 <= heard < 10_000 and actor.state.value == "halted" and "ticks" not in actor.children
    finally:
        actor.stop()


def test_an_async_generator_service_is_cancelled_when_its_actor_stops() -> None:
    ticks = Ticks(10_000, pause=0.005)
    actor = ticker_chart(ticks).interpret().start()
    actor.wait_for(lambda s: len(s.context["ticks"]) >= 1, timeout=5)
    actor.stop()
    assert ticks.cancelled.wait(5)


def test_an_async_generator_service_with_a_virtual_clock_runs_to_its_end_at_start() -> None:
    ticks = Ticks(5)
    actor = ticker_chart(ticks).interpret(clock=VirtualClock()).start()
    assert actor.state.value == "over" and actor.state.context == {"ticks": (1, 2, 3, 4, 5), "done": True}
    assert ticks.threads == {threading.current_thread().name}


def test_services_have_the_same_inspection_records_under_both_runtimes() -> None:
    def run_threaded(chart: Machine, script: list[dict[str, Any]]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        actor = chart.interpret(clock=VirtualClock(), inspect=records.append).start()
        for event in script:
            actor.send(event)
        actor.stop()
        return records

    def run_asyncio(chart: Machine, script: list[dict[str, Any]]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []

        async def main() -> None:
            async with chart.interpret_async(clock=VirtualClock(), inspect=records.append) as actor:
                for event in script:
                    await actor.send(event)

        asyncio.run(main())
        return records

    echo = echo_chart(Probe().service())
    script = [{"type": "SAY", "text": "hi"}, {"type": "OFF"}, {"type": "ON"}]
    threaded = run_threaded(echo, script)
    assert threaded == run_asyncio(echo, script)
    # function services too (a coroutine service is left out: with a VirtualClock the threaded
    # interpreter runs it to its end as it starts, the asyncio actor as a task that SAY overtakes)
    for function in (lambda input, event: {"type": "ECHO", "text": "x"}, _fails):
        chart = echo_chart(function)
        assert run_threaded(chart, script) == run_asyncio(chart, script)
    assert ("actor.created", "echo") in [(r["kind"], r["actor"]) for r in threaded]
    assert [r["status"] for r in threaded if r["kind"] == "actor.stopped" and r["actor"] == "echo"] == [
        "stopped",
        "stopped",
    ]
