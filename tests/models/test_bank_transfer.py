"""The seed's BankTransfer as a chart: behaviours step by step, and the walker's verdicts."""

from __future__ import annotations

import dataclasses

import pytest

from machines.bank_transfer import make, model
from statecharts import Event, Machine
from statecharts.check import check, explore


def run(machine, state, *steps):
    for name, data in steps:
        state = machine.transition(state, Event(name, data))
    return state


def balances(s):
    return s.context["account1"], s.context["account2"]


# -- behaviours, step by step ---------------------------------------------------------------------
def test_transfer_moves_the_amount_from_account1_to_account2_in_one_step():
    m = make()
    s = run(m, m.initial_state(), ("TRANSFER", {"t": 1, "amount": 30}), ("TRANSFER", {"t": 1, "amount": 70}))
    assert balances(s) == (0, 150)
    assert s.value == {"t1": "idle"} and s.context["amount"] == (0,)


@pytest.mark.parametrize("amount", [0, -5, 101])
def test_transfer_without_cover_or_of_no_money_changes_nothing(amount):
    m = make()
    s0 = m.initial_state()
    assert m.transition(s0, "TRANSFER", t=1, amount=amount) == s0


def test_non_atomic_transfer_holds_the_amount_until_commit():
    m = make(account1=10, account2=5, tellers=2, atomic=False)
    s = run(m, m.initial_state(), ("TRANSFER", {"t": 2, "amount": 4}))
    assert s.value == {"t1": "idle", "t2": "checked"} and s.context["amount"] == (0, 4)
    assert balances(s) == (10, 5)
    s = run(m, s, ("COMMIT", {"t": 2}))
    assert s.value == {"t1": "idle", "t2": "idle"} and balances(s) == (6, 9)


def test_two_tellers_checking_the_same_money_overdraw_account1():
    m = make(account1=10, account2=5, tellers=2, atomic=False)
    s = run(
        m,
        m.initial_state(),
        ("TRANSFER", {"t": 1, "amount": 8}),
        ("TRANSFER", {"t": 2, "amount": 7}),
        ("COMMIT", {"t": 1}),
        ("COMMIT", {"t": 2}),
    )
    assert balances(s) == (-5, 20)


def test_recheck_at_commit_aborts_the_second_transfer_and_moves_nothing():
    m = make(account1=10, account2=5, tellers=2, atomic=False, recheck=True)
    s = run(
        m,
        m.initial_state(),
        ("TRANSFER", {"t": 1, "amount": 8}),
        ("TRANSFER", {"t": 2, "amount": 7}),
        ("COMMIT", {"t": 1}),
    )
    assert balances(s) == (2, 13)
    s = run(m, s, ("COMMIT", {"t": 2}))
    assert balances(s) == (2, 13) and s.value == {"t1": "idle", "t2": "idle"}
    assert s.context["amount"] == (0, 0)


# -- the walker's verdicts ------------------------------------------------------------------------
def test_seed_spec_has_tlcs_101_states_and_every_property_holds():
    report = check(model())
    assert (report.distinct_states, report.transitions, report.depth, report.complete) == (101, 5050, 1, True)
    assert {s.context["account1"] for s in report.graph.states} == set(range(101))
    assert [(r.name, r.holds) for r in report.results] == [
        ("MoneyConserved", True),
        ("NoNegativeBalance", True),
        ("deadlock", True),
        ("CanTransfer", True),
    ]


def test_can_transfer_needs_fairness_without_it_init_stutters_for_ever():
    result = check(model(), fairness=False).result("CanTransfer")
    assert not result.holds
    trace = result.trace
    assert len(trace) == 2 and trace.cycle_start == 0 and trace[1].stutter
    assert balances(trace[0].snapshot) == (100, 50)


def test_an_empty_account1_is_a_deadlock_unless_declared_terminal():
    m = model(account1=3, account2=0)
    assert check(m).result("deadlock").holds
    result = check(dataclasses.replace(m, terminal=None)).result("deadlock")
    assert not result.holds
    steps = [(step.event and (step.event.name, step.event.data["amount"])) for step in result.trace]
    assert steps == [None, ("TRANSFER", 3)]
    assert balances(result.trace[-1].snapshot) == (0, 3)


def test_atomic_tellers_interleave_into_the_same_states_as_one():
    one, two = check(model(account1=10, account2=5)), check(model(account1=10, account2=5, tellers=2))
    assert one.distinct_states == two.distinct_states == 11
    assert two.ok


def test_walker_finds_the_shortest_overdraft_of_non_atomic_tellers():
    report = check(model(account1=10, account2=5, tellers=2, atomic=False))
    assert report.result("MoneyConserved").holds and report.result("CanTransfer").holds
    result = report.result("NoNegativeBalance")
    assert not result.holds
    trace = result.trace
    assert [step.event.name for step in trace.steps[1:]] == ["TRANSFER", "TRANSFER", "COMMIT", "COMMIT"]
    amounts = [step.event.data["amount"] for step in trace.steps[1:3]]
    assert sum(amounts) > 10
    assert trace[-1].snapshot.context["account1"] == 10 - sum(amounts) < 0


def test_recheck_at_commit_holds_every_property():
    report = check(model(account1=10, account2=5, tellers=2, atomic=False, recheck=True))
    assert report.ok and report.complete
    assert min(s.context["account1"] for s in report.graph.states) == 0


def test_symmetric_tellers_store_fewer_states_and_keep_the_verdicts():
    m = model(account1=6, account2=0, tellers=2, atomic=False, recheck=True)
    full, reduced = check(m, temporal=False), check(m, temporal=False, symmetry=True)
    assert reduced.distinct_states < full.distinct_states
    assert full.ok and reduced.ok


def test_default_model_is_small_and_render_ready():
    m = model()
    assert isinstance(m.machine, Machine)
    assert len(explore(m).states) == 101
    assert sorted(m.machine.events) == ["TRANSFER"]
    assert sorted(model(atomic=False).machine.events) == ["COMMIT", "TRANSFER"]


def test_a_model_needs_a_teller_and_non_negative_balances():
    with pytest.raises(ValueError, match="teller"):
        make(tellers=0)
    with pytest.raises(ValueError, match="account1=-1"):
        make(account1=-1)
