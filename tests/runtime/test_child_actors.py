"""Child actors in dict charts: invoked and spawned machines, messaging between actors, emit,
the actor system, callback services, and the parent's snapshot holding its children's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from statecharts import Event, Machine, assign
from statecharts.actions import emit, forward_to, send_to, spawn_child, stop_child
from statecharts.runtime import from_callback
from statecharts.runtime.inspection import KINDS, dumps, loads
from tests.actor_charts import ADDER, LOGGER, PONGER, echo_chart, pinger

pytestmark = pytest.mark.asyncio


async def test_child_output_reaches_on_done() -> None:
    parent = Machine(
        {
            "id": "parent",
            "initial": "waiting",
            "states": {
                "waiting": {
                    "invoke": {
                        "src": "adder",
                        "id": "add",
                        "input": lambda c, e: {"a": 2, "b": 3},
                        "onDone": {"target": "ready", "actions": assign(result=lambda c, e: e["sum"])},
                    }
                },
                "ready": {},
            },
        },
        services={"adder": ADDER},
    )
    async with parent.interpret_async() as actor:
        ready = await actor.wait_for(lambda s: s.matches("ready"), timeout=2)
    assert ready.context["result"] == 5


async def test_inline_machine_as_src_runs_as_a_child() -> None:
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {
                "a": {
                    "invoke": {"src": PONGER, "id": "p"},
                    "on": {"GO": {"actions": send_to("p", "PING")}, "PONG": "b"},
                },
                "b": {},
            },
        }
    )
    async with parent.interpret_async() as actor:
        assert list(actor.children) == ["p"]
        await actor.send("GO")
        assert (await actor.wait_for(lambda s: s.matches("b"), timeout=2)).value == "b"
        assert actor.children == {}  # the child stopped when 'a' exited


async def test_child_failure_reaches_on_error() -> None:
    loops = Machine({"id": "loops", "initial": "x", "states": {"x": {"always": "y"}, "y": {"always": "x"}}})
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {
                "a": {
                    "invoke": {
                        "src": "loops",
                        "id": "child",
                        "onError": {"target": "failed", "actions": assign(why=lambda c, e: type(e["error"]).__name__)},
                    }
                },
                "failed": {},
            },
        },
        services={"loops": loops},
    )
    async with parent.interpret_async() as actor:
        failed = await actor.wait_for(lambda s: s.matches("failed"), timeout=2)
    assert failed.context["why"] == "EventlessLoopError"


async def test_ping_pong_ten_thousand_round_trips_lose_nothing() -> None:
    rounds = 10_000
    parent = pinger(rounds)
    async with parent.interpret_async() as actor:
        child_pongs: list[int] = []
        actor.children["ponger"].subscribe(lambda s: child_pongs.append(s.context["pongs"]))
        await actor.send("START")
        final = await actor.wait_for(lambda s: s.done, timeout=30)
    assert final.context["pongs"] == rounds
    assert child_pongs == list(range(1, rounds + 1))  # every PING seen once, in order


async def test_spawned_child_is_stopped_with_its_parent() -> None:
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "SPAWN": {"actions": spawn_child("ponger", id="w1")},
                        "PING": {"actions": forward_to("w1")},
                        "KILL": {"actions": stop_child("w1")},
                    }
                }
            },
        },
        services={"ponger": PONGER},
    )
    async with parent.interpret_async() as actor:
        await actor.send("SPAWN")
        child = actor.children["w1"]
        assert actor.system.get("w1") is child and child.running
        await actor.send("PING")
        await actor.system.settled()
        assert child.state.context["pongs"] == 1
    assert child.status == "stopped" and actor.system.get("w1") is None


async def test_stop_child_stops_only_that_child() -> None:
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "SPAWN": {"actions": spawn_child("ponger", id=lambda c, e: e["name"])},
                        "KILL": {"actions": stop_child(lambda c, e: e["name"])},
                    }
                }
            },
        },
        services={"ponger": PONGER},
    )
    async with parent.interpret_async() as actor:
        await actor.send("SPAWN", name="w1")
        await actor.send("SPAWN", name="w2")
        w1 = actor.children["w1"]
        await actor.send("KILL", name="w1")
        assert list(actor.children) == ["w2"] and w1.status == "stopped"


async def test_spawned_child_receives_input() -> None:
    child = Machine({"id": "child", "context": lambda input: {"seed": input}, "initial": "a", "states": {"a": {}}})
    parent = Machine(
        {
            "id": "parent",
            "context": {"seed": 7},
            "initial": "a",
            "states": {"a": {"entry": spawn_child("child", id="c", input=lambda c, e: c["seed"] * 6)}},
        },
        services={"child": child},
    )
    async with parent.interpret_async() as actor:
        assert actor.children["c"].state.context["seed"] == 42
        persisted = actor.persisted_snapshot()
    assert persisted["children"]["c"]["snapshot"]["context"] == {"seed": 42}
    json.dumps(persisted)


async def test_emit_reaches_listeners_by_type_and_wildcard() -> None:
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "SAVE": {
                            "actions": [
                                assign(n=lambda c, e: c["n"] + 1),
                                emit(lambda c, e: {"type": "SAVED", "n": c["n"]}),
                                emit("AUDIT"),
                            ]
                        }
                    }
                }
            },
        }
    )
    saved: list[Event] = []
    everything: list[str] = []
    async with m.interpret_async() as actor:
        actor.on("SAVED", saved.append)
        actor.on("*", lambda e: everything.append(e.name))
        await actor.send("SAVE")
    assert saved == [Event("SAVED", n=1)] and everything == ["SAVED", "AUDIT"]


async def test_system_get_finds_any_actor_and_send_to_reaches_it() -> None:
    logger = LOGGER
    worker = Machine(
        {
            "id": "worker",
            "initial": "on",
            "states": {
                "on": {"on": {"WORK": {"actions": send_to("audit", lambda c, e: {"type": "LOG", "line": "worked"})}}}
            },
        }
    )
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {
                "a": {
                    "entry": [spawn_child("logger", id="audit"), spawn_child("worker", id="w")],
                    "on": {"WORK": {"actions": forward_to("w")}},
                }
            },
        },
        services={"logger": logger, "worker": worker},
    )
    async with parent.interpret_async() as actor:
        await actor.send({"type": "GO"})
        await actor.send({"type": "WORK"})
        await actor.system.settled()
        audit = actor.system.get("audit")
        assert audit is actor.children["audit"]
        assert audit.state.context["lines"] == ("worked",)


async def test_send_to_an_unknown_actor_is_error_communication() -> None:
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"actions": send_to("nobody", "HI")}, "error.communication": "lost"}},
                "lost": {},
            },
        }
    )
    async with m.interpret_async() as actor:
        await actor.send("GO")
        assert (await actor.wait_for(lambda s: s.matches("lost"), timeout=1)).value == "lost"


async def test_callback_service_sends_back_and_receives() -> None:
    cleaned: list[str] = []

    def echo(send_back: Any, receive: Any, input: Any) -> Any:
        receive(lambda event: send_back({"type": "ECHO", "text": input["prefix"] + event["text"]}))
        return lambda: cleaned.append("cleanup")

    m = echo_chart(from_callback(echo))
    async with m.interpret_async() as actor:
        await actor.send("SAY", text="hi")
        await actor.system.settled()
        assert actor.state.context["heard"] == (">hi",)
        await actor.send("OFF")
    assert cleaned == ["cleanup"]


async def test_inspection_records_are_json_lines_with_a_monotonic_sequence() -> None:
    records: list[dict[str, Any]] = []
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "invoke": {"src": "ponger", "id": "p"},
            "states": {
                "a": {"on": {"GO": {"target": "b", "actions": send_to("p", "PING")}}},
                "b": {"on": {"PONG": "c"}},
                "c": {},
            },
        },
        services={"ponger": PONGER},
    )
    async with parent.interpret_async(id="root", inspect=records.append) as actor:
        await actor.send("GO")
        await actor.wait_for(lambda s: s.matches("c"), timeout=1)
    lines = [dumps(r) for r in records]
    assert [loads(line) for line in lines] == records
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert {r["kind"] for r in records} == set(KINDS) - {"emitted"}
    created = [(r["actor"], r["parent"]) for r in records if r["kind"] == "actor.created"]
    assert created == [("root", None), ("p", "root")]
    init = next(r for r in records if r["kind"] == "microstep" and r["actor"] == "root")
    assert init["event"]["type"] == "xstate.init" and init["entered"] == ["parent", "parent.a"]
    go = next(r for r in records if r["kind"] == "microstep" and r["event"]["type"] == "GO")
    assert go["exited"] == ["parent.a"] and go["entered"] == ["parent.b"]
    assert go["transitions"] == [{"source": "parent.a", "targets": ["parent.b"], "events": ["GO"]}]
    ping = next(r for r in records if r["kind"] == "event.received" and r["event"]["type"] == "PING")
    assert ping["actor"] == "p" and ping["source"] == "root"
    stopped = [r["actor"] for r in records if r["kind"] == "actor.stopped"]
    assert stopped == ["p", "root"]


async def test_children_are_listed_while_running() -> None:
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {"a": {"invoke": [{"src": "ponger", "id": "one"}, {"src": "ponger", "id": "two"}]}},
        },
        services={"ponger": PONGER},
    )
    async with parent.interpret_async() as actor:
        assert sorted(actor.children) == ["one", "two"]
        assert {a.id for a in actor.system.actors} == {"parent", "one", "two"}
    await asyncio.sleep(0)
    assert actor.children == {}


async def test_persisted_parent_resumes_with_its_children() -> None:
    counter = Machine(
        {
            "id": "counter",
            "context": {"n": 0},
            "initial": "on",
            "states": {"on": {"on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}},
        }
    )
    parent = Machine(
        {
            "id": "parent",
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "counter", "id": "inv"},
                    "on": {
                        "SPAWN": {"actions": spawn_child("counter", id="sp")},
                        "BUMP": {"actions": [send_to("inv", "INC"), send_to("sp", "INC"), send_to("sp", "INC")]},
                    },
                }
            },
        },
        services={"counter": counter},
    )
    async with parent.interpret_async() as actor:
        await actor.send("SPAWN")
        await actor.send("BUMP")
        saved = json.loads(json.dumps(actor.persisted_snapshot()))
    assert saved["children"]["sp"]["src"] == "counter"
    async with parent.interpret_async(state=saved) as resumed:
        assert {cid: c.state.context["n"] for cid, c in resumed.children.items()} == {"inv": 1, "sp": 2}
        await resumed.send("BUMP")
        assert {cid: c.state.context["n"] for cid, c in resumed.children.items()} == {"inv": 2, "sp": 4}


async def test_resume_from_data_without_a_snapshot_is_a_snapshot_error() -> None:
    from statecharts.errors import SnapshotError

    with pytest.raises(SnapshotError, match="an actor record"):
        PONGER.interpret_async(state={"children": {}})


async def test_event_log_replays_to_the_same_snapshots() -> None:
    """The JSON-lines log holds what a replay needs: the root's events from outside (source null),
    sent again to a fresh actor, give the same snapshot records for every actor."""
    parent = Machine(
        {
            "id": "parent",
            "context": {"pongs": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "ponger", "id": "p"},
                    "on": {
                        "GO": {"actions": send_to("p", "PING")},
                        "PONG": {"actions": assign(pongs=lambda c, e: c["pongs"] + 1)},
                        "SPAWN": {"actions": spawn_child("ponger", id=lambda c, e: e["name"])},
                        "PING": {"actions": send_to(lambda c, e: e["name"], "PING")},
                    },
                }
            },
        },
        services={"ponger": PONGER},
    )

    async def run(events: list[dict[str, Any]]) -> list[str]:
        lines: list[str] = []
        async with parent.interpret_async(inspect=lambda r: lines.append(dumps(r))) as actor:
            for event in events:
                await actor.send(event)
        return lines

    log = await run([{"type": "GO"}, {"type": "SPAWN", "name": "w"}, {"type": "PING", "name": "w"}, {"type": "GO"}])
    records = [loads(line) for line in log]
    outside = [
        {"type": r["event"]["type"], **(r["event"]["data"] or {})}
        for r in records
        if r["kind"] == "event.received" and r["actor"] == "parent" and r["source"] is None
    ]
    assert [e["type"] for e in outside] == ["GO", "SPAWN", "PING", "GO"]
    replayed = [loads(line) for line in await run(outside)]

    def snapshots(rs: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
        return [(r["actor"], r["value"], r["context"]) for r in rs if r["kind"] == "snapshot"]

    assert snapshots(replayed) == snapshots(records)
    assert snapshots(records)[-1] == ("parent", "on", {"pongs": 3})


async def test_child_finishing_on_its_own_timer_reaches_an_idle_parent() -> None:
    from statecharts import VirtualClock

    clock = VirtualClock()
    sleeper = Machine(
        {
            "id": "sleeper",
            "initial": "zz",
            "states": {"zz": {"after": {100: "up"}}, "up": {"type": "final"}},
            "output": lambda c, e: {"slept": 100},
        }
    )
    parent = Machine(
        {
            "id": "parent",
            "initial": "waiting",
            "states": {
                "waiting": {
                    "invoke": {
                        "src": "sleeper",
                        "id": "s",
                        "onDone": {"target": "awake", "actions": assign(slept=lambda c, e: e["slept"])},
                    }
                },
                "awake": {},
            },
        },
        services={"sleeper": sleeper},
    )
    async with parent.interpret_async(clock=clock) as actor:
        child = actor.children["s"]
        await clock.advance(100)
        assert actor.state.value == "awake" and actor.state.context["slept"] == 100
        assert child.status == "done" and actor.children == {}
