"""The threaded interpreter calls its listeners on one documented thread: with a `RealClock`, the
runtime thread ``"<machine id>-runtime"``, in macrostep order, and ``send`` returns once its own
listeners have run."""

import asyncio
import threading

from statecharts import Machine, RealClock, VirtualClock, send

FLOW = {
    "id": "threads",
    "initial": "idle",
    "states": {
        "idle": {"on": {"GO": "waiting"}},
        "waiting": {"after": {10: "computing"}},
        "computing": {"invoke": {"src": "compute", "id": "compute", "onDone": "fetching"}},
        "fetching": {"invoke": {"src": "fetch", "id": "fetch", "onDone": "posted"}},
        "posted": {"on": {"LAST": "done"}},
        "done": {"type": "final"},
    },
}


async def fetch(context, event):
    await asyncio.sleep(0.01)
    return "fetched"


def test_every_listener_call_from_send_timers_services_and_post_is_on_the_runtime_thread_in_order():
    m = Machine(FLOW, services={"compute": lambda c, e: 6 * 7, "fetch": fetch})
    actor = m.interpret()
    seen: list[tuple[str, str]] = []
    finished = threading.Event()

    def listener(snapshot):
        seen.append((str(snapshot.value), threading.current_thread().name))
        if snapshot.status == "done":
            finished.set()

    actor.subscribe(listener)
    actor.start()
    actor.send("GO")
    actor.wait_for(lambda s: s.matches("posted"), timeout=5)
    actor.post("LAST")
    assert finished.wait(5)
    actor.stop()
    values = ["idle", "waiting", "computing", "fetching", "posted", "done"]
    assert seen == [(value, "threads-runtime") for value in values]


def test_send_and_start_return_once_their_listeners_have_run():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"GO": "a"}}}})
    actor = m.interpret(clock=RealClock())
    seen: list[str] = []
    actor.subscribe(lambda s: seen.append(s.value))
    actor.start()
    assert seen == ["a"]
    for n in range(50):
        actor.send("GO")
        assert len(seen) == n + 2 and seen[-1] == actor.state.value
    actor.stop()


def test_listeners_hear_the_macrosteps_of_many_sending_threads_one_at_a_time_in_macrostep_order():
    counter = Machine(
        {"id": "count", "initial": "on", "states": {"on": {"on": {"INC": {"target": "on", "reenter": True}}}}}
    )
    actor = counter.interpret().start()
    seen: list[int] = []
    inside = []
    names: set[str] = set()

    def listener(snapshot):
        inside.append(1)
        assert len(inside) == 1  # never two listener calls at once
        names.add(threading.current_thread().name)
        seen.append(snapshot.sequence)
        inside.pop()

    actor.subscribe(listener)
    threads = [threading.Thread(target=lambda: [actor.send("INC") for _ in range(100)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    actor.stop()
    assert names == {"count-runtime"}
    assert len(seen) == 400 and seen == sorted(seen)


def test_a_listener_may_send_to_its_actor_and_those_listener_calls_follow_after_it_returns():
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"BACK": "a"}}},
        }
    )
    actor = m.interpret()
    calls: list[tuple[str, str]] = []

    def bouncing(snapshot):
        calls.append(("bouncing", snapshot.value))
        if snapshot.value == "b":
            after = actor.send("BACK")  # from the runtime thread: no deadlock
            calls.append(("sent", after.value))

    actor.subscribe(bouncing)
    actor.subscribe(lambda s: calls.append(("second", s.value)))
    actor.start()
    del calls[:]
    actor.send("GO")
    assert calls == [
        ("bouncing", "b"),
        ("sent", "a"),  # the event is processed at once, its listeners wait for this call to end
        ("second", "b"),
        ("bouncing", "a"),
        ("second", "a"),
    ]
    actor.stop()


def test_wait_for_on_another_thread_does_not_block_a_send_waiting_for_its_listeners():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"GO": "c"}}, "c": {}}})
    actor = m.interpret().start()
    reached: list[str] = []
    waiter = threading.Thread(target=lambda: reached.append(actor.wait_for(lambda s: s.matches("c"), 5).value))
    waiter.start()
    heard: list[str] = []
    in_b = threading.Event()

    def slow(snapshot):  # holds the runtime thread until the other thread has seen 'b'
        heard.append(snapshot.value)
        if snapshot.value == "b":
            in_b.set()

    actor.subscribe(slow)
    actor.send("GO")
    assert in_b.is_set()
    actor.send("GO")
    waiter.join(5)
    assert reached == ["c"] and heard == ["b", "c"]
    actor.stop()


def test_a_listener_that_raises_is_isolated_on_the_runtime_thread_too(caplog):
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"GO": "a"}}}})
    actor = m.interpret().start()
    seen: list[str] = []

    def broken(snapshot):
        raise RuntimeError("listener bug")

    actor.subscribe(broken)
    actor.subscribe(lambda s: seen.append(s.value))
    with caplog.at_level("ERROR", logger="statecharts"):
        actor.send("GO")
        actor.send("GO")
    assert seen == ["b", "a"] and "listener bug" in caplog.text
    actor.stop()


def test_with_a_virtual_clock_listeners_run_on_the_thread_driving_the_interpreter():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": "b"}},
                "b": {"after": {10: "c"}},
                "c": {"invoke": {"src": "one", "id": "one", "onDone": "d"}},
                "d": {"entry": send("LAST", delay=0), "on": {"LAST": "e"}},
                "e": {"on": {"POST": "f"}},
                "f": {},
            },
        },
        services={"one": lambda c, e: 1},
    )
    clock = VirtualClock()
    names: list[tuple[str, str]] = []
    actor = m.interpret(clock=clock)
    actor.subscribe(lambda s: names.append((s.value, threading.current_thread().name)))

    def drive():
        actor.start()
        actor.send("GO")
        clock.advance(10)
        actor.post("POST")
        clock.advance(0)

    driver = threading.Thread(target=drive, name="driver")
    driver.start()
    driver.join(5)
    assert names == [(value, "driver") for value in ("a", "b", "c", "d", "e", "f")]
