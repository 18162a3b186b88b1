"""Actor records lose nothing: timers as due times, running invocations, mailbox, children, versions."""

import json
import time

import pytest

from statecharts import Event, Machine, RealClock, SnapshotError, VirtualClock, assign, send
from statecharts.record import ActorRecord

TIMER = {"id": "t", "initial": "a", "states": {"a": {"after": {100: "b"}}, "b": {}}}


def order_chart() -> Machine:
    """Two timers in one state; each appends its name to ``fired``."""
    note = {name: assign(fired=lambda c, e, n=name: (*c["fired"], n)) for name in ("slow", "fast")}
    return Machine(
        {
            "id": "two",
            "context": {"fired": ()},
            "initial": "a",
            "states": {
                "a": {
                    "entry": [send("SLOW", delay=80, id="slow"), send("FAST", delay=50, id="fast")],
                    "on": {"SLOW": {"actions": note["slow"]}, "FAST": {"actions": note["fast"]}},
                }
            },
        }
    )


def test_timer_saved_with_30_of_100_ms_left_fires_20_ms_after_restore_when_10_passed_meanwhile():
    m = Machine(TIMER)
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    clock.advance(70)
    saved = actor.record().dumps()
    actor.stop()
    clock.advance(10)
    again = m.interpret(clock=clock, record=ActorRecord.from_json(m, saved)).start()
    clock.advance(19)
    assert again.state.value == "a"
    clock.advance(1)
    assert again.state.value == "b" and clock.now == 100


def test_timers_due_while_down_fire_at_once_on_restore_in_due_order():
    m = order_chart()
    clock = VirtualClock()
    saved = m.interpret(clock=clock).start().record()
    assert sorted(saved.timers.values()) == [50.0, 80.0]
    later = VirtualClock()
    later.advance(500)
    actor = m.interpret(clock=later, record=ActorRecord.from_json(m, saved.to_json())).start()
    assert actor.state.context["fired"] == ("fast", "slow")  # no advance needed: both were due


def test_on_a_wall_clock_the_time_spent_down_counts():
    m = Machine(TIMER | {"states": {"a": {"after": {150: "b"}}, "b": {}}})
    actor = m.interpret(clock=RealClock()).start()
    saved = actor.record().dumps()
    actor.stop()
    time.sleep(0.2)
    again = m.interpret(clock=RealClock(), record=ActorRecord.from_json(m, saved)).start()
    assert again.state.value == "b"  # fired in start(): 150 ms had passed on the wall clock


def test_wall_clock_timer_not_yet_due_waits_only_for_what_remained():
    m = Machine(TIMER | {"states": {"a": {"after": {60_000: "b"}}, "b": {}}})
    actor = m.interpret(clock=RealClock()).start()
    data = actor.record().to_json()
    actor.stop()
    data["timers"][0]["due"] = RealClock().now + 50  # as if it had been saved 59.95 s ago
    again = m.interpret(clock=RealClock(), record=ActorRecord.from_json(m, data)).start()
    assert again.state.value == "a"
    assert again.wait_for(lambda s: s.matches("b"), timeout=5).value == "b"


def test_record_timers_do_not_change_snapshot_equality():
    m = Machine(TIMER)
    early, late = VirtualClock(), VirtualClock()
    late.advance(40)
    one = m.interpret(clock=early).start().record()
    two = m.interpret(clock=late).start().record()
    assert one.timers != two.timers and one.snapshot == two.snapshot


def test_running_invocations_are_restarted_and_finished_ones_are_not():
    calls = []

    def service(first, event):
        calls.append(first)
        return "ok"

    m = Machine(
        {
            "id": "inv",
            "initial": "w",
            "states": {
                "w": {
                    "invoke": [{"src": service, "id": "svc", "onDone": {"actions": assign(done=True)}}],
                    "on": {"GO": "x"},
                },
                "x": {},
            },
        }
    )
    actor = m.interpret(clock=VirtualClock()).start()  # sync services: finished at start
    saved = actor.record()
    assert saved.invocations == () and actor.state.context["done"] is True
    m.interpret(clock=VirtualClock(), record=saved).start()
    assert len(calls) == 1  # it had finished: not started again
    running = ActorRecord(saved.snapshot, invocations=("svc",))
    m.interpret(clock=VirtualClock(), record=ActorRecord.from_json(m, running.to_json())).start()
    assert len(calls) == 2


def test_mailbox_events_are_processed_after_restore():
    m = Machine(
        {
            "id": "mb",
            "context": {"n": 0},
            "initial": "a",
            "states": {"a": {"on": {"ADD": {"actions": assign(n=lambda c, e: c["n"] + e["by"])}}}},
        }
    )
    record = ActorRecord(m.initial_state(), mailbox=(Event("ADD", by=2), Event("ADD", by=3)))
    actor = m.interpret(record=ActorRecord.from_json(m, record.dumps())).start()
    assert actor.state.context["n"] == 5


def test_children_records_round_trip_recursively():
    parent = Machine({"id": "parent", "initial": "a", "states": {"a": {}}})
    child = Machine({"id": "child", "context": {"k": 1}, "initial": "c", "states": {"c": {"after": {5: "d"}}, "d": {}}})
    grandchild = ActorRecord(child.initial_state(), {0: 5.0}).to_json()
    middle = ActorRecord(child.initial_state(), {0: 7.0}, children={"g": grandchild}).to_json()
    record = ActorRecord(parent.initial_state(), children={"kid": middle})
    back = ActorRecord.from_json(parent, json.loads(record.dumps()), child_machine=lambda cid, data: child)
    assert back.children["kid"]["children"]["g"]["timers"] == [{"pending": 0, "due": 5.0}]
    broken = record.to_json()
    broken["children"]["kid"]["children"]["g"]["snapshot"]["configuration"] = ["child", "child.gone"]
    with pytest.raises(SnapshotError, match="no state 'child.gone' in machine 'child'"):
        ActorRecord.from_json(parent, broken, child_machine=lambda cid, data: child)


def test_unknown_versions_and_other_machines_are_snapshot_errors_naming_both():
    m = Machine(TIMER)
    data = m.interpret(clock=VirtualClock()).start().record().to_json()
    with pytest.raises(SnapshotError, match=r"record format version 3 of machine 't' is not known.*versions 1, 2"):
        ActorRecord.from_json(m, data | {"version": 3})
    assert ActorRecord.from_json(m, data | {"version": 1}).snapshot == ActorRecord.from_json(m, data).snapshot
    with pytest.raises(SnapshotError, match="actor record of machine 'shop' cannot be restored into 't'"):
        ActorRecord.from_json(m, data | {"machine": "shop"})
    with pytest.raises(SnapshotError, match=r"snapshot format version 7 of machine 't' is not known.*version 1"):
        m.restore(data["snapshot"] | {"version": 7})
    with pytest.raises(SnapshotError, match="timer 3 names no delayed pending send"):
        ActorRecord.from_json(m, data | {"timers": [{"pending": 3, "due": 1.0}]})
