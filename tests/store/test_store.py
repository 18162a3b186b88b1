"""Durable actors on SQLite and PostgreSQL: load or start, one transaction per macrostep, outbox,
idempotency keys, leases, timers on the actor's clock."""

import json
import threading
import time

import pytest

from statecharts import Event, Machine, RealClock, SnapshotError, StatechartError, VirtualClock, assign, log, send
from statecharts.record import ActorRecord
from statecharts.store import Journal, LeaseError, open_store, replay
from statecharts.store.base import Commit

ORDER = {
    "id": "order",
    "context": {"items": 0, "paid": 0},
    "initial": "open",
    "states": {
        "open": {
            "entry": "opened",
            "on": {"ADD": {"actions": ["added", assign(items=lambda c, e: c["items"] + 1)]}, "PAY": "paying"},
        },
        "paying": {
            "after": {100: "open"},
            "on": {"OK": {"target": "paid", "actions": assign(paid=lambda c, e: e["amount"])}},
        },
        "paid": {"type": "final"},
    },
}


def order_machine(seen: list) -> Machine:
    return Machine(
        ORDER,
        actions={
            "opened": lambda c, e: seen.append(("opened", e.name)),
            "added": lambda c, e: seen.append(("added", c["items"])),
        },
    )


def test_an_actor_is_started_once_then_loaded_with_its_state(store_url):
    seen = []
    m = order_machine(seen)
    with m.interpret(store=open_store(store_url), id="order-42", clock=VirtualClock()) as actor:
        actor.send("ADD")
        actor.send("ADD")
    with m.interpret(store=open_store(store_url), id="order-42", clock=VirtualClock()) as again:
        assert again.state.context["items"] == 2 and again.state.value == "open"
    assert seen == [("opened", "xstate.init"), ("added", 0), ("added", 1)]  # entry ran once: loaded, not restarted


def test_every_macrostep_commits_its_event_and_snapshot_and_the_log_replays(store_url):
    m = order_machine([])
    clock = VirtualClock()
    with m.interpret(store=open_store(store_url), id="o1", clock=clock) as actor:
        actor.send("ADD")
        actor.send("PAY")
        clock.advance(100)  # the timer fires: its event is logged like any other
        actor.send("PAY")
        actor.send("OK", amount=5)
        final = actor.state
    journal = Journal(open_store(store_url), m, "o1")
    lines = journal.lines()
    assert [line["event"]["type"] for line in lines] == [
        "xstate.init",
        "ADD",
        "PAY",
        "xstate.after.100.order.paying",
        "PAY",
        "OK",
    ]
    assert lines[3]["delivered"] == [0] and [line["seq"] for line in lines] == list(range(6))
    assert replay(m, lines) == final and final.done


def test_effects_run_only_after_their_step_is_committed(store_url):
    store = open_store(store_url)
    committed_when_run = []
    m = Machine(
        ORDER,
        actions={"opened": lambda c, e: None, "added": lambda c, e: committed_when_run.append(len(store.lines("o2")))},
    )
    with m.interpret(store=store, id="o2", clock=VirtualClock()) as actor:
        actor.send("ADD")
        actor.send("ADD")
    assert committed_when_run == [2, 3]  # the ADD's own line was already in the log


def test_emitted_events_reach_their_handlers_only_after_their_step_is_committed(store_url):
    from statecharts import emit

    store = open_store(store_url)
    committed_when_emitted = []
    m = Machine({"id": "em", "initial": "a", "states": {"a": {"on": {"GO": {"actions": emit("WENT")}}}}})
    with m.interpret(store=store, id="e1", clock=VirtualClock()) as actor:
        actor.on("WENT", lambda event: committed_when_emitted.append(len(store.lines("e1"))))
        actor.send("GO")
        actor.send("GO")
    assert committed_when_emitted == [2, 3]  # the GO's own line was already in the log


def test_effects_of_a_step_committed_but_not_released_run_again_on_reopen(store_url):
    seen = []
    m = order_machine(seen)
    store = open_store(store_url)
    first = Journal(store, m, "o3")
    first.open()
    s0 = m.initial_state()
    first.commit(Event("xstate.init"), ActorRecord(s0))
    first.commit(Event("ADD"), ActorRecord(m.transition(s0, "ADD")))  # committed; the process dies here
    store.release("o3", first.owner, released=0)  # what an expired lease leaves
    with m.interpret(store=open_store(store_url), id="o3", clock=VirtualClock()) as actor:
        assert actor.state.context["items"] == 1
    assert seen == [("added", 0)]  # at least once: the ADD's effect ran on reopen


def test_an_idempotency_key_applies_an_event_at_most_once_across_processes(store_url):
    m = order_machine([])
    with m.interpret(store=open_store(store_url), id="o4", clock=VirtualClock()) as actor:
        first = actor.send("ADD", idempotency_key="k1")
        assert actor.send("ADD", idempotency_key="k1") == first
        actor.send("ADD", idempotency_key="k2")
    with m.interpret(store=open_store(store_url), id="o4", clock=VirtualClock()) as again:
        assert again.send("ADD", idempotency_key="k1").context["items"] == 1  # the stored result
        assert again.state.context["items"] == 2
    keys = [line["key"] for line in Journal(open_store(store_url), m, "o4").lines()]
    assert keys == [None, "k1", "k2"]


def test_a_second_owner_gets_a_clear_error_until_the_lease_is_given_back_or_expires(store_url):
    m = order_machine([])
    actor = m.interpret(store=open_store(store_url), id="o5", clock=VirtualClock()).start()
    with pytest.raises(LeaseError, match=r"actor 'o5' is owned by .* \(its lease\); a second process cannot open it"):
        m.interpret(store=open_store(store_url), id="o5", clock=VirtualClock())
    actor.stop()
    m.interpret(store=open_store(store_url), id="o5", clock=VirtualClock()).start().stop()
    short = Journal(open_store(store_url), m, "o6", lease_ttl=0.05)
    short.open()
    time.sleep(0.1)
    taker = Journal(open_store(store_url), m, "o6")
    taker.open()  # expired: taken over
    with pytest.raises(LeaseError, match=r"actor 'o6': this process .* no longer owns it .*nothing was committed"):
        short.commit(Event("xstate.init"), ActorRecord(m.initial_state()))
    assert open_store(store_url).lines("o6") == []


def test_a_commit_for_a_step_number_already_taken_is_refused(store_url):
    m = order_machine([])
    store = open_store(store_url)
    journal = Journal(store, m, "o7")
    journal.open()
    journal.commit(Event("xstate.init"), ActorRecord(m.initial_state()))
    line = json.dumps({"seq": 0})
    with pytest.raises(LeaseError):
        store.commit("o7", journal.owner, Commit(0, line, ActorRecord(m.initial_state()).dumps(), None, -1), 30)
    assert len(store.lines("o7")) == 1


def test_timer_saved_with_30_of_100_ms_left_resumes_from_the_store(store_url):
    m = order_machine([])
    clock = VirtualClock()
    with m.interpret(store=open_store(store_url), id="o8", clock=clock) as actor:
        actor.send("PAY")  # due at 100 on this clock
        clock.advance(70)
    clock.advance(10)
    with m.interpret(store=open_store(store_url), id="o8", clock=clock) as again:
        clock.advance(19)
        assert again.state.value == "paying"
        clock.advance(1)
        assert again.state.value == "open" and clock.now == 100


def test_an_id_of_another_machine_is_a_snapshot_error_naming_both(store_url):
    m = order_machine([])
    m.interpret(store=open_store(store_url), id="o9", clock=VirtualClock()).start().stop()
    other = Machine({"id": "invoice", "initial": "a", "states": {"a": {}}})
    with pytest.raises(SnapshotError, match="actor 'o9' in the store is a 'order' machine, not 'invoice'"):
        other.interpret(store=open_store(store_url), id="o9")


def test_an_action_failing_after_commit_sends_error_execution_next(store_url):
    def boom(c, e):
        raise ValueError("card declined")

    m = Machine(
        {
            "id": "pay",
            "context": {"error": None},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "GO": {"actions": ["boom", log("after")]},
                        "error.execution": {"actions": assign(error=lambda c, e: str(e["error"]))},
                    }
                }
            },
        },
        actions={"boom": boom},
    )
    with m.interpret(store=open_store(store_url), id="p1", clock=VirtualClock()) as actor:
        assert actor.send("GO").context["error"] == "card declined"
    lines = Journal(open_store(store_url), m, "p1").lines()
    assert [line["event"]["type"] for line in lines] == ["xstate.init", "GO", "error.execution"]
    assert replay(m, lines).context["error"] == "card declined"  # the stored error keeps its message


@pytest.mark.parametrize("clock", [VirtualClock, RealClock])
def test_listeners_are_told_after_the_commit(store_url, clock):
    store = open_store(store_url)
    m = order_machine([])
    seen = []
    with m.interpret(store=store, id="l1", clock=clock()) as actor:
        actor.subscribe(lambda s: seen.append((s.context["items"], len(store.lines("l1")))))
        actor.send("ADD")
        assert seen == [(1, 2)]  # the ADD's line was committed when the listener heard of it


@pytest.mark.parametrize("clock", [VirtualClock, RealClock])
def test_a_step_that_cannot_be_committed_stops_the_actor_and_keeps_the_last_committed_one(store_url, clock):
    m = Machine(
        {
            "id": "bad",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "INC": {"actions": assign(n=lambda c, e: c["n"] + 1)},
                        "BREAK": {"actions": assign(n=lambda c, e: object())},
                    }
                }
            },
        }
    )
    actor = m.interpret(store=open_store(store_url), id="b1", clock=clock())
    heard = []
    actor.subscribe(lambda s: heard.append(s.context["n"]))
    actor.start()
    actor.send("INC")
    with pytest.raises(SnapshotError, match="cannot persist a value of type object"):
        actor.send("BREAK")
    assert not actor.running
    for runtime in [t for t in threading.enumerate() if t.name == "bad-runtime"]:
        runtime.join(5)  # (RealClock) the listener calls queued before the stop have run
    assert heard == [0, 1]  # not the step that was not committed
    with m.interpret(store=open_store(store_url), id="b1", clock=VirtualClock()) as again:  # lease given back
        assert again.state.context["n"] == 1


def test_a_stored_actor_the_changed_chart_cannot_restore_is_a_snapshot_error_naming_it(store_url):
    m = order_machine([])
    with m.interpret(store=open_store(store_url), id="c1", clock=VirtualClock()) as actor:
        actor.send("PAY")
    changed = Machine(
        {
            **ORDER,
            "states": {k: v for k, v in ORDER["states"].items() if k != "paying"} | {"open": {"on": {"PAY": "paid"}}},
        }
    )
    with pytest.raises(SnapshotError, match="actor 'c1': snapshot configuration: no state 'order.paying'"):
        changed.interpret(store=open_store(store_url), id="c1", clock=VirtualClock())
    with m.interpret(store=open_store(store_url), id="c1", clock=VirtualClock()) as again:  # nothing lost
        assert again.state.value == "paying"


def test_a_stopped_durable_actor_is_reopened_not_restarted(store_url):
    m = order_machine([])
    actor = m.interpret(store=open_store(store_url), id="s1", clock=VirtualClock()).start()
    actor.stop()
    with pytest.raises(StatechartError, match=r"actor 's1' was stopped .* machine.interpret\(store=..., id='s1'\)"):
        actor.start()


def test_a_timer_sending_to_another_actor_leaves_the_log_replayable(store_url):
    m = Machine(
        {
            "id": "child",
            "initial": "a",
            "states": {"a": {"entry": send("PING", to="#_parent", delay=10), "on": {"GO": "b"}}, "b": {}},
        }
    )
    clock = VirtualClock()
    with m.interpret(store=open_store(store_url), id="t1", clock=clock) as actor:
        clock.advance(10)  # the timer fires: its send leaves (no parent: error.communication comes back)
        actor.send("GO")
        final = actor.state
    lines = Journal(open_store(store_url), m, "t1").lines()
    assert lines[1]["delivered"] == [0] and replay(m, lines) == final


def test_an_invocation_running_at_the_last_commit_is_restarted_on_reopen(store_url):
    import threading

    gate, calls = threading.Event(), []

    def job(context, event):
        calls.append(event.name)
        gate.wait(5)
        return "built"

    m = Machine(
        {
            "id": "deploy",
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "working"}},
                "working": {"invoke": {"src": job, "id": "job", "onDone": "done"}},
                "done": {},
            },
        }
    )
    actor = m.interpret(store=open_store(store_url), id="d1", clock=VirtualClock(), sync_services=False).start()
    actor.send("START")
    assert json.loads(open_store(store_url).lines("d1")[-1])["event"]["type"] == "START"
    actor.stop()  # the service had not finished: the store says it was running
    gate.set()
    with m.interpret(store=open_store(store_url), id="d1", clock=VirtualClock(), sync_services=False) as again:
        assert again.wait_for(lambda s: s.matches("done"), timeout=5).value == "done"
    assert len(calls) == 2
    lines = Journal(open_store(store_url), m, "d1").lines()
    assert lines[-1]["event"] == {"type": "xstate.done.actor.job", "data": "built"}


def test_a_durable_threaded_actor_reopens_with_its_child_machine(store_url):
    from statecharts.actions import send_to
    from tests.actor_charts import PONGER

    m = Machine(
        {
            "id": "p",
            "context": {"pongs": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "ponger", "id": "kid"},
                    "on": {
                        "GO": {"actions": send_to("kid", "PING")},
                        "PONG": {"actions": assign(pongs=lambda c, e: c["pongs"] + 1)},
                    },
                }
            },
        },
        services={"ponger": PONGER},
    )
    with m.interpret(store=open_store(store_url), id="k1", clock=VirtualClock()) as actor:
        actor.send("GO")
        actor.send("GO")
    with m.interpret(store=open_store(store_url), id="k1", clock=VirtualClock()) as again:
        assert again.children["kid"].state.context["pongs"] == 2
        assert again.send("GO").context["pongs"] == 3 and again.children["kid"].state.context["pongs"] == 3


def _open_at_once(path: str, barrier) -> None:
    from statecharts.store.sqlite import SqliteStore

    barrier.wait()
    SqliteStore(path, timeout=10).close()


def test_processes_opening_one_new_sqlite_file_at_once_all_succeed(tmp_path):
    """Switching a new file to WAL mode does not wait on SQLite's busy timeout; the store retries.
    Without the retry, 0 to 5 rounds in 40 failed here with "database is locked"."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    failed = []
    for round_ in range(100):
        path = str(tmp_path / f"new-{round_}.db")
        barrier = context.Barrier(6)
        processes = [context.Process(target=_open_at_once, args=(path, barrier)) for _ in range(6)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(30)
        failed += [round_ for process in processes if process.exitcode != 0]
    assert failed == []
