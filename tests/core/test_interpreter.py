"""The interpreter: effects, delayed events, invoked services, listeners, threads, strict mode."""

import asyncio
import threading
import time

import pytest

from statecharts import Event, EventError, Interpreter, Machine, VirtualClock, assign, cancel, send

COUNTER = {
    "id": "counter",
    "context": {"n": 0},
    "initial": "on",
    "states": {"on": {"on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}},
}


def test_entry_exit_and_transition_effects_run_in_order():
    log = []
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"exit": "leaveA", "on": {"GO": {"target": "b", "actions": "move"}}},
                "b": {"entry": "enterB"},
            },
        },
        actions={
            "leaveA": lambda c, e: log.append("exit a"),
            "move": lambda c, e: log.append("move"),
            "enterB": lambda c, e: log.append(f"enter b after {e.name}"),
        },
    )
    actor = m.interpret().start()
    actor.send("GO")
    assert log == ["exit a", "move", "enter b after GO"]


def test_listeners_see_every_macrostep_until_unsubscribed():
    actor = Machine(COUNTER).interpret().start()
    seen = []
    unsubscribe = actor.subscribe(lambda s: seen.append(s.context["n"]))
    actor.send("INC")
    actor.send("INC")
    unsubscribe()
    actor.send("INC")
    assert seen == [1, 2] and actor.state.context["n"] == 3


def test_exception_in_an_action_becomes_error_execution():
    def explode(context, event):
        raise RuntimeError("disk full")

    m = Machine(
        {
            "id": "m",
            "context": {"why": None},
            "initial": "a",
            "states": {
                "a": {"on": {"SAVE": {"target": "saved", "actions": explode}}},
                "saved": {
                    "on": {"error.execution": {"target": "failed", "actions": assign(why=lambda c, e: str(e["error"]))}}
                },
                "failed": {},
            },
        }
    )
    actor = m.interpret().start()
    assert actor.send("SAVE").value == "failed"
    assert actor.state.context["why"] == "disk full"


def test_delayed_events_fire_on_the_virtual_clock_and_are_cancelled_on_exit():
    m = Machine(
        {
            "id": "light",
            "initial": "green",
            "states": {
                "green": {"after": {1000: "yellow"}, "on": {"PED": "walk"}},
                "yellow": {"after": {500: "red"}},
                "red": {},
                "walk": {},
            },
        }
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    clock.advance(999)
    assert actor.state.value == "green"
    clock.advance(1)
    assert actor.state.value == "yellow"
    clock.advance(500)
    assert actor.state.value == "red"
    actor2 = m.interpret(clock=clock).start()
    actor2.send("PED")
    clock.advance(5000)
    assert actor2.state.value == "walk" and clock.pending == 0


def test_send_with_delay_and_cancel_by_id():
    m = Machine(
        {
            "id": "m",
            "initial": "idle",
            "states": {
                "idle": {"on": {"ARM": {"target": "armed", "actions": send("BOOM", delay=100, id="fuse")}}},
                "armed": {"on": {"BOOM": "exploded", "DISARM": {"target": "idle", "actions": cancel("fuse")}}},
                "exploded": {},
            },
        }
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    actor.send("ARM")
    actor.send("DISARM")
    clock.advance(200)
    assert actor.state.value == "idle"
    actor.send("ARM")
    clock.advance(100)
    assert actor.state.value == "exploded"


def test_a_send_delay_written_as_a_digit_string_is_milliseconds():
    m = Machine(
        {
            "id": "m",
            "initial": "idle",
            "states": {
                "idle": {"on": {"ARM": {"target": "armed", "actions": send("BOOM", delay="100")}}},
                "armed": {"on": {"BOOM": "exploded", "error.execution": "broken"}},
                "exploded": {},
                "broken": {},
            },
        }
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    actor.send("ARM")
    clock.advance(99)
    assert actor.state.value == "armed"
    clock.advance(1)
    assert actor.state.value == "exploded"


def test_a_send_with_a_target_keeps_its_delay():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"actions": send("TICK", to="#_self", delay=100)}, "TICK": "b"}}, "b": {}},
        }
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    actor.send("GO")
    assert actor.state.value == "a" and [p.delay for p in actor.state.pending] == [100]
    clock.advance(100)
    assert actor.state.value == "b"


def test_named_delays_from_the_machine_options():
    m = Machine(
        {"id": "m", "context": {"wait": 300}, "initial": "a", "states": {"a": {"after": {"patience": "b"}}, "b": {}}},
        delays={"patience": lambda c, e: c["wait"]},
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    clock.advance(299)
    assert actor.state.value == "a"
    clock.advance(1)
    assert actor.state.value == "b"


def test_real_clock_fires_delayed_events():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {20: "b"}}, "b": {}}})
    actor = m.interpret().start()
    assert actor.wait_for(lambda s: s.matches("b"), timeout=2).value == "b"


def test_invoked_service_done_and_error_events():
    def lookup(context, event):
        if event["id"] < 0:
            raise KeyError("no such user")
        return {"name": f"user{event['id']}"}

    m = Machine(
        {
            "id": "m",
            "context": {"user": None, "error": None},
            "initial": "idle",
            "states": {
                "idle": {"on": {"LOAD": "loading"}},
                "loading": {
                    "invoke": {
                        "src": "lookup",
                        "id": "lookup",
                        "onDone": {"target": "ready", "actions": assign(user=lambda c, e: e.data["name"])},
                        "onError": {"target": "idle", "actions": assign(error=lambda c, e: repr(e["error"]))},
                    }
                },
                "ready": {},
            },
        },
        services={"lookup": lookup},
    )
    actor = m.interpret().start()
    actor.send("LOAD", id=7)
    assert actor.wait_for(lambda s: s.matches("ready")).context["user"] == "user7"
    actor2 = m.interpret().start()
    actor2.send("LOAD", id=-1)
    assert "no such user" in actor2.wait_for(lambda s: s.context["error"] is not None).context["error"]


def test_coroutine_service_is_cancelled_when_its_state_is_left():
    started, finished = threading.Event(), threading.Event()

    async def slow(context, event):
        started.set()
        await asyncio.sleep(0.3)
        finished.set()
        return "late"

    m = Machine(
        {
            "id": "m",
            "initial": "waiting",
            "states": {
                "waiting": {"invoke": {"src": slow, "id": "slow", "onDone": "done"}, "on": {"CANCEL": "cancelled"}},
                "done": {},
                "cancelled": {},
            },
        }
    )
    actor = m.interpret().start()
    assert started.wait(2)
    actor.send("CANCEL")
    time.sleep(0.5)
    assert actor.state.value == "cancelled" and not finished.is_set()
    actor.stop()


def test_sync_services_run_inline_on_the_virtual_clock():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"invoke": {"src": lambda c, e: 5, "id": "five", "onDone": "b"}}, "b": {}},
        }
    )
    assert m.interpret(clock=VirtualClock()).start().state.value == "b"


def test_send_is_safe_from_many_threads():
    actor = Machine(COUNTER).interpret().start()

    def hammer():
        for _ in range(5000):
            actor.send("INC")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert actor.state.context["n"] == 40_000


def test_unknown_event_is_ignored_by_default_and_rejected_in_strict_mode():
    m = Machine(COUNTER)
    relaxed = m.interpret().start()
    before = relaxed.state
    assert relaxed.send("DEC") == before
    strict = m.interpret(strict=True).start()
    before = strict.state
    with pytest.raises(EventError, match=r"'DEC' is not accepted .* \[counter, counter.on\]"):
        strict.send("DEC")
    assert strict.state is before


def test_events_sent_from_actions_run_after_the_current_macrostep():
    order = []
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": send("NEXT")}}},
                "b": {"entry": lambda c, e: order.append("entered b"), "on": {"NEXT": "c"}},
                "c": {"entry": lambda c, e: order.append("entered c")},
            },
        }
    )
    actor = m.interpret().start()
    assert actor.send("GO").value == "c" and order == ["entered b", "entered c"]


def test_restored_snapshot_resumes_pending_delayed_events():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {100: "b"}}, "b": {}}})
    saved = m.interpret(clock=VirtualClock()).start().state.dumps()
    clock = VirtualClock()
    actor = m.interpret(clock=clock, state=m.restore(saved)).start()
    clock.advance(100)
    assert actor.state.value == "b"


def test_stopped_interpreter_refuses_events():
    actor = Machine(COUNTER).interpret().start()
    actor.stop()
    with pytest.raises(Exception, match="not running"):
        actor.send("INC")


class Recording(Interpreter):
    """Logs every extension hook call: the names and arguments pinned below are API."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = []

    def execute(self, effect):
        self.log.append(("execute", effect.action.name, effect.event.name))
        super().execute(effect)

    def deliver(self, send):
        self.log.append(("deliver", send.event.name, send.to, send.delay))
        if send.to != "#_outbox":
            super().deliver(send)

    def on_start(self, snapshot):
        self.log.append(("on_start", snapshot.value, snapshot.event.name))

    def on_macrostep_done(self, snapshot):
        self.log.append(("on_macrostep_done", snapshot.value, snapshot.status))


HOOKED = {
    "id": "m",
    "initial": "a",
    "states": {
        "a": {
            "entry": "hello",
            "on": {"GO": {"target": "b", "actions": [send("OUT", to="#_outbox"), send("TICK", delay=100)]}},
        },
        "b": {"on": {"TICK": "c"}},
        "c": {"type": "final"},
    },
}


def test_extension_hooks_are_called_with_effects_sends_and_snapshots_in_a_fixed_order():
    clock = VirtualClock()
    actor = Recording(Machine(HOOKED, actions={"hello": lambda c, e: None}), clock=clock)
    actor.subscribe(lambda s: actor.log.append(("listener", s.value)))
    actor.start()
    assert actor.log == [
        ("execute", "hello", "xstate.init"),
        ("on_start", "a", "xstate.init"),
        ("listener", "a"),
        ("on_macrostep_done", "a", "active"),
    ]
    del actor.log[:]
    actor.send("GO")
    assert actor.log == [
        ("execute", "send", "GO"),
        ("execute", "send", "GO"),
        ("deliver", "OUT", "#_outbox", 0),
        ("listener", "b"),
        ("on_macrostep_done", "b", "active"),
    ]
    del actor.log[:]
    clock.advance(100)
    assert actor.log == [("deliver", "TICK", None, 100.0), ("listener", "c"), ("on_macrostep_done", "c", "done")]


def test_on_macrostep_done_gets_the_macrostep_result_while_state_has_dropped_the_delivered_sends():
    seen = []

    class Watching(Recording):  # (its deliver swallows #_outbox sends)
        def on_macrostep_done(self, snapshot):
            seen.append(([p.event.name for p in snapshot.pending], [p.event.name for p in self.state.pending]))

    actor = Watching(Machine(HOOKED, actions={"hello": lambda c, e: None}), clock=VirtualClock()).start()
    actor.send("GO")
    assert seen == [([], []), (["OUT", "TICK"], ["TICK"])]


def test_on_start_runs_for_a_restored_snapshot_before_its_due_sends_go_out():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": send("PING", to="#_outbox")}}})
    actor = Recording(m, state=m.initial_state(), clock=VirtualClock()).start()
    assert actor.log == [
        ("on_start", "a", "xstate.init"),
        ("deliver", "PING", "#_outbox", 0),
        ("on_macrostep_done", "a", "active"),
    ]


def test_an_event_enqueued_by_a_hook_runs_after_the_macrostep_in_the_same_send():
    class FollowUp(Interpreter):
        def on_macrostep_done(self, snapshot):
            if snapshot.matches("b"):
                self.enqueue(Event("NEXT"))

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"NEXT": "c"}}, "c": {}}})
    assert FollowUp(m).start().send("GO").value == "c"


def test_a_posted_event_waits_for_the_clock_and_is_dropped_once_stopped():
    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    actor.post("GO")
    assert actor.state.value == "a" and clock.pending == 1
    clock.advance(0)
    assert actor.state.value == "b"
    actor.stop()
    actor.post("GO")
    assert clock.pending == 0


def test_reaching_a_top_level_final_state_runs_the_final_and_root_exit_actions():
    log = []
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "entry": "hello",
            "exit": "bye",
            "states": {"a": {"on": {"GO": "f"}}, "f": {"type": "final", "exit": "leaveF"}},
        },
        actions={
            "hello": lambda c, e: log.append("enter m"),
            "bye": lambda c, e: log.append("exit m"),
            "leaveF": lambda c, e: log.append("exit f"),
        },
    )
    actor = m.interpret().start()
    actor.send("GO")
    assert log == ["enter m", "exit f", "exit m"]
    assert actor.state.status == "done"


def test_a_listener_that_raises_is_logged_and_the_others_and_the_queue_go_on(caplog):
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"target": "b", "actions": "again"}}}, "b": {"on": {"BACK": "a"}}},
        },
        actions={"again": lambda c, e: actor.send("BACK")},
    )
    actor = m.interpret()
    seen = []

    def broken(snapshot):
        raise RuntimeError("listener bug")

    actor.subscribe(broken)
    actor.subscribe(lambda s: seen.append(s.value))
    actor.start()
    with caplog.at_level("ERROR", logger="statecharts"):
        actor.send("GO")  # queues BACK from inside the macrostep
    assert seen == ["a", "b", "a"]
    assert actor.state.value == "a"
    assert "listener" in caplog.text and "listener bug" in caplog.text


def test_with_a_virtual_clock_every_listener_call_is_on_the_callers_thread():
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"after": {10: "b"}},
                "b": {"invoke": {"src": lambda c, e: 1, "id": "one", "onDone": "c"}},
                "c": {},
            },
        }
    )
    clock = VirtualClock()
    names: set[str] = set()
    actor = m.interpret(clock=clock)
    actor.subscribe(lambda s: names.add(threading.current_thread().name))
    actor.start()
    clock.advance(10)
    assert actor.state.value == "c" and names == {threading.current_thread().name}


def test_stop_ends_the_runtime_thread():
    m = Machine({"id": "ends", "initial": "a", "states": {"a": {"after": {1: "b"}}, "b": {}}})
    actor = m.interpret().start()
    actor.wait_for(lambda s: s.matches("b"), timeout=5)
    runtime = [t for t in threading.enumerate() if t.name == "ends-runtime"]
    assert len(runtime) == 1
    actor.stop()
    runtime[0].join(2)
    assert not runtime[0].is_alive()


def test_an_async_action_runs_to_its_end_before_the_macrostep_goes_on():
    order: list[str] = []

    async def save(context, event):
        await asyncio.sleep(0)
        order.append(f"saved {event.name}")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": "save"}}},
                "b": {"entry": lambda c, e: order.append("in b")},
            },
        },
        actions={"save": save},
    )
    actor = m.interpret().start()
    assert actor.send("GO").value == "b" and order == ["saved GO", "in b"]


def test_an_async_action_that_raises_or_runs_inside_a_loop_becomes_error_execution():
    async def fail(context, event):
        raise RuntimeError("disk full")

    m = Machine(
        {
            "id": "m",
            "context": {"error": None},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "GO": {"actions": "act"},
                        "error.execution": {"actions": assign(error=lambda c, e: str(e["error"]))},
                    }
                }
            },
        },
        actions={"act": fail},
    )
    assert m.interpret().start().send("GO").context["error"] == "disk full"

    async def inside_a_loop() -> str:
        return m.interpret().start().send("GO").context["error"]

    assert "interpret_async" in asyncio.run(inside_a_loop())
