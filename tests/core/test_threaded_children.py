"""The threaded interpreter runs child machines: invoked (onDone gets the child's output, onError its
failure, stopped when its state exits), spawned and stopped, messages between actors in order,
emitted events, the actor system, records holding children; on a RealClock and a VirtualClock."""

import threading

import pytest

from statecharts import Machine, RealClock, VirtualClock, assign
from statecharts.actions import emit, forward_to, send_parent, send_to, spawn_child, stop_child
from statecharts.record import ActorRecord
from tests.actor_charts import ADDER, LOGGER, PONGER, pinger

CLOCKS = [pytest.param(RealClock, id="real"), pytest.param(VirtualClock, id="virtual")]
ROUNDS = 10_000


@pytest.mark.parametrize("clock", CLOCKS)
def test_a_parent_and_child_ping_pong_ten_thousand_round_trips_with_nothing_lost(clock):
    m = pinger(ROUNDS)
    actor = m.interpret(clock=clock()).start()
    child = actor.children["ponger"]
    child_pongs: list[int] = []
    child.subscribe(lambda s: child_pongs.append(s.context["pongs"]))
    assert actor.send("START").value == "finished"
    assert actor.state.context["pongs"] == ROUNDS and child.state.context["pongs"] == ROUNDS
    assert not child.running and actor.children == {}  # stopped when its state exited
    child_thread = [t for t in threading.enumerate() if t.name == "ponger-runtime"]
    for thread in child_thread:
        thread.join(5)  # (RealClock) the child's listener calls queued before it stopped have run
    assert child_pongs == list(range(1, ROUNDS + 1))  # every PING seen once, in order
    actor.stop()


@pytest.mark.parametrize("clock", CLOCKS)
def test_a_childs_output_reaches_on_done_and_its_failure_on_error(clock):
    broken = Machine(
        {"id": "broken", "context": lambda input: {"n": input["missing"]}, "initial": "a", "states": {"a": {}}}
    )
    m = Machine(
        {
            "id": "parent",
            "context": {"sum": None, "error": None},
            "initial": "adding",
            "states": {
                "adding": {
                    "invoke": {
                        "src": "adder",
                        "id": "add",
                        "input": lambda c, e: {"a": 2, "b": 3},
                        "onDone": {"target": "failing", "actions": assign(sum=lambda c, e: e["sum"])},
                    }
                },
                "failing": {
                    "invoke": {
                        "src": broken,  # a Machine inline
                        "id": "broken",
                        "input": {},
                        "onError": {"target": "done", "actions": assign(error=lambda c, e: repr(e["error"]))},
                    }
                },
                "done": {},
            },
        },
        services={"adder": ADDER},
    )
    actor = m.interpret(clock=clock()).start()
    assert actor.state.value == "done"
    assert actor.state.context["sum"] == 5 and "missing" in actor.state.context["error"]
    assert actor.children == {} and actor.system.get("add") is None
    actor.stop()


@pytest.mark.parametrize("clock", CLOCKS)
def test_an_invoked_child_stops_when_its_state_exits_and_a_spawned_one_when_the_parent_stops(clock):
    m = Machine(
        {
            "id": "parent",
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "ponger", "id": "invoked"},
                    "entry": spawn_child("ponger", id="spawned"),
                    "on": {"OFF": "off"},
                },
                "off": {},
            },
        },
        services={"ponger": PONGER},
    )
    actor = m.interpret(clock=clock()).start()
    invoked, spawned = actor.children["invoked"], actor.children["spawned"]
    assert invoked.running and spawned.running and actor.system.get("spawned") is spawned
    actor.send("OFF")
    assert not invoked.running and spawned.running and list(actor.children) == ["spawned"]
    actor.stop()
    assert not spawned.running and actor.children == {} and actor.system.get("spawned") is None


@pytest.mark.parametrize("clock", CLOCKS)
def test_send_to_forward_to_stop_child_emit_and_system_get_between_threaded_actors(clock):
    logger = LOGGER
    worker = Machine(
        {
            "id": "worker",
            "initial": "on",
            "states": {
                "on": {
                    "on": {
                        "WORK": {
                            "actions": [
                                send_to("audit", lambda c, e: {"type": "LOG", "line": f"job {e['n']}"}),
                                send_parent(lambda c, e: {"type": "DONE", "n": e["n"]}),
                            ]
                        }
                    }
                }
            },
        }
    )
    m = Machine(
        {
            "id": "boss",
            "context": {"done": ()},
            "initial": "on",
            "states": {
                "on": {
                    "entry": [spawn_child("logger", id="audit"), spawn_child("worker", id="w")],
                    "on": {
                        "WORK": {"actions": forward_to("w")},
                        "DONE": {
                            "actions": [
                                assign(done=lambda c, e: (*c["done"], e["n"])),
                                emit(lambda c, e: {"type": "FINISHED", "n": e["n"]}),
                            ]
                        },
                        "FIRE": {"actions": stop_child("w")},
                        "NOBODY": {"actions": send_to("nobody", "HELLO")},
                        "error.communication": {"actions": emit(lambda c, e: {"type": "LOST", "to": e["target"]})},
                    },
                }
            },
        },
        services={"logger": logger, "worker": worker},
    )
    actor = m.interpret(clock=clock(), id="boss")
    emitted: list[tuple[str, object, str]] = []
    actor.on("*", lambda e: emitted.append((e.name, e.data, threading.current_thread().name)))
    actor.start()
    for n in range(1, 4):
        actor.send("WORK", n=n)
    assert actor.state.context["done"] == (1, 2, 3)
    assert actor.system.get("audit").state.context["lines"] == ("job 1", "job 2", "job 3")
    assert actor.system.get("boss") is actor and set(actor.children) == {"audit", "w"}
    actor.send("FIRE")
    assert set(actor.children) == {"audit"} and actor.system.get("w") is None
    actor.send("WORK", n=4)  # forwarded to a stopped child: an error.communication
    actor.send("NOBODY")
    handler_thread = "boss-runtime" if clock is RealClock else threading.current_thread().name
    assert emitted == [
        ("FINISHED", {"n": 1}, handler_thread),
        ("FINISHED", {"n": 2}, handler_thread),
        ("FINISHED", {"n": 3}, handler_thread),
        ("LOST", {"to": "w"}, handler_thread),
        ("LOST", {"to": "nobody"}, handler_thread),
    ]
    actor.stop()


@pytest.mark.parametrize("clock", CLOCKS)
def test_a_childs_timer_runs_on_the_shared_clock_and_its_message_reaches_the_parent(clock):
    ticker = Machine(
        {
            "id": "ticker",
            "initial": "a",
            "states": {"a": {"after": {20: {"target": "b", "actions": send_parent("TICKED")}}}, "b": {}},
        }
    )
    m = Machine(
        {
            "id": "parent",
            "initial": "waiting",
            "states": {"waiting": {"invoke": {"src": ticker, "id": "t"}, "on": {"TICKED": "ticked"}}, "ticked": {}},
        }
    )
    used = clock()
    actor = m.interpret(clock=used).start()
    if isinstance(used, VirtualClock):
        used.advance(20)
    assert actor.wait_for(lambda s: s.matches("ticked"), timeout=5).value == "ticked"
    actor.stop()


def test_a_record_holds_the_children_and_a_restored_parent_resumes_them_with_their_timers():
    worker = Machine(
        {
            "id": "worker",
            "context": {"n": 0},
            "initial": "busy",
            "states": {
                "busy": {
                    "on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}},
                    "after": {100: {"target": "idle", "actions": send_parent("IDLE")}},
                },
                "idle": {},
            },
        }
    )
    m = Machine(
        {
            "id": "parent",
            "context": {"idle": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "worker", "id": "kid"},
                    "on": {
                        "SPAWN": {"actions": spawn_child("worker", id="extra")},
                        "INC": {"actions": [send_to("kid", "INC"), send_to("extra", "INC")]},
                        "IDLE": {"actions": assign(idle=lambda c, e: c["idle"] + 1)},
                    },
                }
            },
        },
        services={"worker": worker},
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    actor.send("SPAWN")
    actor.send("INC")
    clock.advance(70)
    data = actor.record().to_json()
    actor.stop()
    assert data["invocations"] == ["kid"] and set(data["children"]) == {"kid", "extra"}
    assert data["children"]["extra"]["src"] == "worker" and data["children"]["kid"]["timers"] == [
        {"pending": 0, "due": 100.0}
    ]
    again = m.interpret(clock=clock, record=ActorRecord.from_json(m, data)).start()
    assert {cid: c.state.context["n"] for cid, c in again.children.items()} == {"kid": 1, "extra": 1}
    clock.advance(29)
    assert again.state.context["idle"] == 0
    clock.advance(1)
    assert again.state.context["idle"] == 2  # both timers resumed with the 30 ms that remained
    again.stop()


@pytest.mark.parametrize("clock", CLOCKS)
def test_a_message_relayed_along_a_chain_of_three_hundred_actors_arrives_without_deep_recursion(clock):
    relay = Machine(
        {
            "id": "relay",
            "context": lambda input: {"next": input},
            "initial": "on",
            "states": {"on": {"on": {"BATON": {"actions": send_to(lambda c, e: c["next"], "BATON")}}}},
        }
    )
    m = Machine(
        {
            "id": "chain",
            "initial": "waiting",
            "states": {
                "waiting": {
                    "entry": [
                        spawn_child("relay", id=f"r{i}", input=f"r{i + 1}" if i < 299 else "chain") for i in range(300)
                    ],
                    "on": {"GO": {"actions": send_to("r0", "BATON")}, "BATON": "arrived"},
                },
                "arrived": {},
            },
        },
        services={"relay": relay},
    )
    used = clock()
    actor = m.interpret(clock=used).start()
    actor.send("GO")
    if isinstance(used, VirtualClock):
        assert actor.state.value == "waiting"  # past 32 actors deep, the relay goes on from the clock
        used.advance(0)
    assert actor.wait_for(lambda s: s.matches("arrived"), timeout=5).value == "arrived"
    actor.stop()
