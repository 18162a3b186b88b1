"""The threaded interpreter's inspection records (`Interpreter.inspect`, ``interpret(inspect=...)``)
are the asyncio actor's: the same chart and events under both runtimes give the same record stream,
and a JSON-lines log of them is one ``check --replay`` reads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from statecharts import Machine, VirtualClock, assign
from statecharts.actions import emit, send_parent, send_to
from statecharts.cli import main as cli_main
from statecharts.inspection import KINDS, dumps, loads

WORKER = Machine(
    {
        "id": "worker",
        "context": lambda input: {"jobs": 0, "limit": input["limit"]},
        "initial": "idle",
        "states": {
            "idle": {
                "on": {
                    "JOB": {
                        "target": "busy",
                        "actions": assign(jobs=lambda c, e: c["jobs"] + 1),
                    }
                }
            },
            "busy": {
                "after": {100: [{"target": "finished", "guard": lambda c, e: c["jobs"] >= c["limit"]}, "idle"]},
                "exit": send_parent(lambda c, e: {"type": "WORKED", "jobs": c["jobs"]}),
            },
            "finished": {"type": "final"},
        },
        "output": lambda c, e: {"jobs": c["jobs"]},
    }
)

BOSS = Machine(
    {
        "id": "boss",
        "context": {"reports": (), "total": None},
        "initial": "working",
        "states": {
            "working": {
                "invoke": {
                    "src": "worker",
                    "id": "w1",
                    "input": lambda c, e: {"limit": 2},
                    "onDone": {"target": "closed", "actions": assign(total=lambda c, e: e["jobs"])},
                },
                "on": {
                    "ASSIGN": {"actions": send_to("w1", "JOB")},
                    "WORKED": {"actions": [assign(reports=lambda c, e: (*c["reports"], e["jobs"])), emit("REPORT")]},
                },
            },
            "closed": {"on": {"REOPEN": "working"}},
        },
    },
    services={"worker": WORKER},
)

#: application events and clock advances (``@advance``), the same for both runtimes
SCRIPT: list[dict[str, Any]] = [
    {"type": "ASSIGN"},
    {"type": "@advance", "ms": 100},
    {"type": "ASSIGN"},
    {"type": "NOTHING"},
    {"type": "@advance", "ms": 100},
    {"type": "REOPEN"},
    {"type": "ASSIGN"},
]


def threaded_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    clock = VirtualClock()
    actor = BOSS.interpret(clock=clock, id="boss", inspect=records.append).start()
    for step in SCRIPT:
        if step["type"] == "@advance":
            clock.advance(step["ms"])
        else:
            actor.send(step)
    actor.stop()
    return records


def asyncio_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []

    async def main() -> None:
        clock = VirtualClock()
        async with BOSS.interpret_async(clock=clock, id="boss", inspect=records.append) as actor:
            for step in SCRIPT:
                if step["type"] == "@advance":
                    await clock.advance(step["ms"])
                else:
                    await actor.send(step)

    asyncio.run(main())
    return records


def test_threaded_and_asyncio_inspection_records_are_the_same() -> None:
    threaded, awaited = threaded_records(), asyncio_records()
    kinds = {r["kind"] for r in threaded}
    assert kinds == set(KINDS)  # every kind is exercised: created, received, microstep, snapshot, emitted, stopped
    assert {r["actor"] for r in threaded} == {"boss", "w1"}
    assert [r["seq"] for r in threaded] == list(range(1, len(threaded) + 1))
    assert threaded == awaited  # nothing ignored: same records, same order, same sequence numbers


def test_a_child_actor_is_recorded_with_its_parent_and_its_output() -> None:
    records = threaded_records()
    created = [r for r in records if r["kind"] == "actor.created"]
    assert created[:2] == [
        {"seq": created[0]["seq"], "kind": "actor.created", "actor": "boss", "parent": None, "src": "boss"},
        {"seq": created[1]["seq"], "kind": "actor.created", "actor": "w1", "parent": "boss", "src": "worker"},
    ]
    stopped = [(r["actor"], r["status"]) for r in records if r["kind"] == "actor.stopped"]
    assert stopped == [("w1", "done"), ("w1", "stopped"), ("boss", "stopped")]
    done = next(r for r in records if r["kind"] == "snapshot" and r["actor"] == "w1" and r["status"] == "done")
    assert done["output"] == {"jobs": 2}
    received = [r for r in records if r["kind"] == "event.received" and r["actor"] == "boss"]
    assert [(r["event"]["type"], r["source"]) for r in received][:3] == [
        ("ASSIGN", None),
        ("WORKED", "w1"),
        ("ASSIGN", None),
    ]


def test_a_system_wide_inspector_and_an_actor_inspector_hear_the_same_records() -> None:
    system_wide: list[dict[str, Any]] = []
    clock = VirtualClock()
    actor = BOSS.interpret(clock=clock, inspect=system_wide.append).start()
    later: list[dict[str, Any]] = []
    stop = actor.children["w1"].inspect(later.append)  # a child's inspect: the whole system's records
    actor.send("ASSIGN")
    clock.advance(100)
    stop()
    actor.send("ASSIGN")
    assert later == [r for r in system_wide if later[0]["seq"] <= r["seq"] <= later[-1]["seq"]]
    assert later[0]["seq"] > 1 and system_wide[-1]["seq"] > later[-1]["seq"]  # from inspect() to stop()
    assert {r["actor"] for r in later} == {"boss", "w1"}


def test_an_inspector_that_raises_is_logged_and_the_actor_goes_on(caplog: Any) -> None:
    def broken(record: dict[str, Any]) -> None:
        raise RuntimeError("inspector down")

    actor = BOSS.interpret(clock=VirtualClock(), inspect=broken).start()
    assert actor.send("ASSIGN").context["reports"] == ()
    assert "inspector" in caplog.text and "inspector down" in caplog.text


COUNTER = "machines.counter"


def counter_log(tmp_path: Any, events: list[dict[str, Any]]) -> Any:
    from machines.counter import machine

    lines: list[str] = []
    actor = machine.interpret(clock=VirtualClock(), inspect=lambda r: lines.append(dumps(r))).start()
    for event in events:
        actor.send(event)
    actor.stop()
    assert all(loads(line)["kind"] in KINDS for line in lines)
    log = tmp_path / "threaded.jsonl"
    log.write_text("".join(line + "\n" for line in lines))
    return log


def test_check_replay_accepts_a_log_of_threaded_inspection_records(tmp_path: Any, capsys: Any) -> None:
    events = [{"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 1}, {"type": "STOP"}]
    log = counter_log(tmp_path, events)
    code = cli_main(["check", COUNTER, "--replay", str(log), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"] and report["steps"] == len(events)


def test_check_replay_names_the_invariant_a_threaded_log_breaks(tmp_path: Any, capsys: Any) -> None:
    events = [{"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}]
    log = counter_log(tmp_path, events)
    code = cli_main(["check", COUNTER, "-p", "limit=3", "--replay", str(log), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code != 0 and not report["ok"]
    assert "below limit" in json.dumps(report)
