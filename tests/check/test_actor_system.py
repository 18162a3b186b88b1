"""The walker over an actor system: children's snapshots are part of the state, messages between
actors interleave in every order that keeps each sender/receiver pair in order, and a bug that
only shows in the interleaving of two children is found with its shortest trace."""

from __future__ import annotations

import pytest

from statecharts import Machine, assign
from statecharts.actions import send_parent, send_to, spawn_child
from statecharts.check.actors import SystemState, check_actors
from statecharts.errors import ConfigError


def teller(read_modify_write: bool) -> Machine:
    """A child that adds one to the bank's balance: by reading it and writing back the read value
    plus one (racy), or by asking the bank to increment (safe)."""
    if read_modify_write:
        return Machine(
            {
                "id": "teller",
                "context": lambda input: {"me": input},
                "initial": "reading",
                "states": {
                    "reading": {
                        "entry": send_parent(lambda c, e: {"type": "READ", "from": c["me"]}),
                        "on": {
                            "VALUE": {
                                "target": "done",
                                "actions": send_parent(lambda c, e: {"type": "WRITE", "v": e["v"] + 1}),
                            }
                        },
                    },
                    "done": {"type": "final"},
                },
            }
        )
    return Machine(
        {
            "id": "teller",
            "context": lambda input: {"me": input},
            "initial": "adding",
            "states": {"adding": {"entry": send_parent("INC"), "always": "done"}, "done": {"type": "final"}},
        }
    )


def bank(child: Machine) -> Machine:
    return Machine(
        {
            "id": "bank",
            "context": {"balance": 0, "writes": 0},
            "initial": "open",
            "states": {
                "open": {
                    "invoke": [
                        {"src": "teller", "id": "t1", "input": "t1"},
                        {"src": "teller", "id": "t2", "input": "t2"},
                    ],
                    "on": {
                        "READ": {
                            "actions": send_to(
                                lambda c, e: e["from"], lambda c, e: {"type": "VALUE", "v": c["balance"]}
                            )
                        },
                        "WRITE": {"actions": assign(balance=lambda c, e: e["v"], writes=lambda c, e: c["writes"] + 1)},
                        "INC": {
                            "actions": assign(
                                balance=lambda c, e: c["balance"] + 1, writes=lambda c, e: c["writes"] + 1
                            )
                        },
                    },
                }
            },
        },
        services={"teller": child},
    )


def no_lost_update(state: SystemState) -> bool:
    context = state.actor("bank").context  # type: ignore[union-attr]
    return context["balance"] == context["writes"]


def test_walker_finds_the_lost_update_only_the_interleaving_of_two_children_shows() -> None:
    report = check_actors(bank(teller(read_modify_write=True)), invariants={"no lost update": no_lost_update})
    assert report.violated == "no lost update" and report.complete
    steps = [(s.sender, s.receiver, s.event.name if s.event else None) for s in report.trace]
    # shortest: both READs answered before either WRITE lands: 2 reads, 2 values, 2 writes
    assert len(steps) == 1 + 6 and steps[0] == (None, "bank", None)
    names = [name for _, _, name in steps[1:]]
    assert names.index("WRITE") > max(i for i, n in enumerate(names) if n == "VALUE")
    assert report.trace[-1].state.actor("bank").context["balance"] == 1  # type: ignore[union-attr]
    assert "violated after 6 steps" in report.format()


def test_walker_proves_the_safe_version_over_every_interleaving() -> None:
    report = check_actors(bank(teller(read_modify_write=False)), invariants={"no lost update": no_lost_update})
    assert report.ok and report.complete and report.states > 3
    final = check_actors(
        bank(teller(read_modify_write=False)),
        invariants={"not both done": lambda s: s.actor("bank").context["balance"] < 2},
    )
    assert final.violated == "not both done"
    assert final.trace[-1].state.actor("t1") is None and final.trace[-1].state.actor("t2") is None


def test_child_output_reaches_the_parent_as_done_invoke() -> None:
    adder = Machine(
        {
            "id": "adder",
            "context": lambda input: dict(input),
            "initial": "a",
            "states": {"a": {"always": "done"}, "done": {"type": "final"}},
            "output": lambda c, e: {"sum": c["x"] + c["y"]},
        }
    )
    parent = Machine(
        {
            "id": "p",
            "context": {"sum": None},
            "initial": "wait",
            "states": {
                "wait": {
                    "invoke": {
                        "src": "adder",
                        "id": "add",
                        "input": {"x": 2, "y": 3},
                        "onDone": {"target": "ready", "actions": assign(sum=lambda c, e: e["sum"])},
                    }
                },
                "ready": {},
            },
        },
        services={"adder": adder},
    )
    report = check_actors(parent, invariants={"never ready": lambda s: not s.actor("p").matches("ready")})
    assert report.violated == "never ready" and report.trace[-1].state.actor("p").context["sum"] == 5


def test_spawned_children_and_the_alphabet_are_explored() -> None:
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
            "id": "p",
            "initial": "on",
            "states": {
                "on": {"entry": spawn_child("counter", id="w"), "on": {"BUMP": {"actions": send_to("w", "INC")}}}
            },
        },
        services={"counter": counter},
    )
    report = check_actors(parent, alphabet=["BUMP"], invariants={"w below 2": lambda s: s.actor("w").context["n"] < 2})
    assert report.violated == "w below 2" and len(report.trace) == 1 + 4  # BUMP, BUMP, INC, INC (shortest)


def test_search_cut_short_claims_nothing() -> None:
    counter = Machine(
        {
            "id": "p",
            "context": {"n": 0},
            "initial": "on",
            "states": {"on": {"on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}},
        }
    )
    report = check_actors(counter, alphabet=["INC"], invariants={"any": lambda s: True}, max_states=50)
    assert not report.ok and not report.complete and report.violated is None
    assert "cut short" in report.format()


def test_function_services_are_not_modelled_and_say_so() -> None:
    m = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "load"}}}}, services={"load": lambda i, e: 1}
    )
    with pytest.raises(ConfigError, match="child machines only"):
        check_actors(m)


def test_check_of_a_model_walks_the_actor_system_and_finds_the_same_shortest_trace() -> None:
    from statecharts.check import Model, check

    report = check(Model(bank(teller(read_modify_write=True)), invariants={"no lost update": no_lost_update}))
    result = report.result("no lost update")
    assert not result.holds and result.trace is not None and len(result.trace) == 1 + 6
    assert result.trace.steps[-1].snapshot.context["balance"] == 1  # the root's snapshot, as for one chart
    assert report.complete and report.actors is not None and report.actors["actors"] == ["bank", "t1", "t2"]


def test_deadlock_is_a_quiet_system_outside_its_declared_end_states() -> None:
    safe = bank(teller(read_modify_write=False))
    stuck = check_actors(safe, deadlock=True)
    assert stuck.violated == "deadlock"
    assert stuck.trace[-1].state.in_flight == 0 and stuck.trace[-1].state.actor("t1") is None
    declared = check_actors(safe, deadlock=True, end=lambda s: s.actor("bank").context["writes"] == 2)
    assert declared.ok and declared.complete


def test_an_invariant_over_an_actor_that_never_runs_is_not_checked_and_not_ok() -> None:
    report = check_actors(
        bank(teller(read_modify_write=False)),
        invariants={"t3 polite": lambda s: s.actor("t3") is None or s.actor("t3").matches("done")},
    )
    assert report.complete and not report.ok and report.violated is None
    assert report.unchecked == ("invariant 't3 polite' reads actor 't3', running in no state reached",)
    assert report.format().startswith("not checked: invariant 't3 polite' reads actor 't3'")
    # the safe tellers finish as they start (their entry step reaches a final state): never running either
    safe = check_actors(bank(teller(read_modify_write=False)), invariants={"t1": lambda s: s.actor("t1") is None})
    assert safe.unchecked and not safe.ok
    racy = check_actors(
        bank(teller(read_modify_write=True)),
        invariants={"t1 is t1": lambda s: s.actor("t1") is None or s.actor("t1").context["me"] == "t1"},
    )
    assert racy.ok and not racy.unchecked
