"""The seed's TLA+ ``BankTransfer``, as a statechart.

Source: the ``BankTransfer`` module of the seed ``../shared/seeds/000_d42acd957c4d3df2.txt``::

    VARIABLES account1, account2
    Init == account1 = 100 /\\ account2 = 50
    Transfer(amount) == /\\ amount > 0 /\\ account1 >= amount
                        /\\ account1' = account1 - amount /\\ account2' = account2 + amount
    Next == \\E amount \\in 1..account1 : Transfer(amount)
    MoneyConserved == account1 + account2 = 150
    CanTransfer == <>(account1 /= 100)

and its "Example Bug Discovery": with *concurrent* transfers whose check (``account1 >= amount``)
and update are not atomic, account1 can go negative; the fix re-checks at the update
(``account1' >= 0``).

The chart is a parallel root with one region per teller ``t1 .. tN`` (a transfer in progress):
``idle --TRANSFER {t, amount}--> checked --commit--> idle``. The accounts are context.

==================  ====================================================================
``account1``        ``context["account1"]``
``account2``        ``context["account2"]``
``amount``          the ``TRANSFER`` payload (the spec's ``\\E amount``), one event per value of
                    the model's domain (default ``1..account1``, as ``Next`` says); teller
                    ``t`` holds it in ``context["amount"][t - 1]`` between check and commit
==================  ====================================================================

- ``atomic=True`` (the default: the seed's ``Transfer``): the commit is an eventless transition,
  so the check and the update happen in one macrostep; the walker never stores ``checked``, and
  with one teller it finds exactly TLC's 101 states (``account1`` in ``0..100``).
- ``atomic=False``: the commit waits for ``COMMIT {t}``, so another teller can check the same
  money in between: ``NoNegativeBalance`` fails with two tellers (the seed's race).
- ``atomic=False, recheck=True``: the seed's fix; ``COMMIT`` re-checks ``account1 >= amount``
  and otherwise aborts the transfer (``checked -> idle``, nothing moved).

Properties: ``MoneyConserved`` (``account1 + account2`` is the initial total), ``NoNegativeBalance``
and the temporal ``CanTransfer`` (``<>(account1 /= initial account1)``), checked under weak
fairness of ``TRANSFER`` (as one action: TLA+'s ``WF_vars(Next)``) and of each teller's
``COMMIT``. The seed's ``Spec`` has no fairness, so TLC finds ``CanTransfer`` violated by the
behaviour that stutters in ``Init`` for ever; the walker finds the same lasso with
``check(model(), fairness=False)``. When ``account1`` is 0 no transfer is enabled: TLC would call
that a deadlock; here it is the model's declared terminal state (all money moved, tellers idle).

>>> m = model()
>>> s = m.initial_states()[0]
>>> s = m.machine.transition(s, "TRANSFER", t=1, amount=30)
>>> s.context["account1"], s.context["account2"], s.value
(70, 80, {'t1': 'idle'})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from statecharts import Event, Machine, Snapshot, and_, payload
from statecharts.actions import Assign
from statecharts.check import Fairness, Model, Symmetry, events, eventually

Context = Mapping[str, Any]


def _replace(values: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return values[:index] + (value,) + values[index + 1 :]


def covered(context: Context, event: Event) -> bool:
    """``amount > 0 /\\ account1 >= amount`` (the check of ``Transfer``).

    >>> covered({"account1": 5}, Event("TRANSFER", t=1, amount=5)), covered({"account1": 4},
    ...     Event("TRANSFER", t=1, amount=5))
    (True, False)
    """
    amount = event.data["amount"]
    return bool(amount > 0 and context["account1"] >= amount)


covered.__name__ = "amount > 0 & account1 >= amount"


def _teller_region(t: int, atomic: bool, recheck: bool) -> dict[str, Any]:
    """Region ``t<t>``: one transfer at a time, check then commit."""
    i = t - 1
    about = payload(t=t)
    take = Assign({"amount": lambda c, e: _replace(c["amount"], i, e.data["amount"])}, name="hold amount")

    def move(context: Context, event: Event) -> dict[str, Any]:
        amount = context["amount"][i]
        return {
            "account1": context["account1"] - amount,
            "account2": context["account2"] + amount,
            "amount": _replace(context["amount"], i, 0),
        }

    commit = Assign(move, name="account1 -= amount; account2 += amount")
    abort = Assign({"amount": lambda c, e: _replace(c["amount"], i, 0)}, name="drop amount")

    def still_covered(context: Context, event: Event) -> bool:
        return bool(context["account1"] >= context["amount"][i])

    still_covered.__name__ = "account1 >= amount"

    if atomic:
        checked: dict[str, Any] = {"always": {"target": "idle", "actions": commit}}
    elif recheck:
        checked = {
            "on": {
                "COMMIT": [
                    {"target": "idle", "guard": and_(about, still_covered), "actions": commit},
                    {"target": "idle", "guard": about, "actions": abort},
                ]
            }
        }
    else:
        checked = {"on": {"COMMIT": {"target": "idle", "guard": about, "actions": commit}}}
    return {
        "id": f"t{t}",
        "initial": "idle",
        "states": {
            "idle": {"on": {"TRANSFER": {"target": "checked", "guard": and_(about, covered), "actions": take}}},
            "checked": checked,
        },
    }


def make(
    account1: int = 100, account2: int = 50, tellers: int = 1, atomic: bool = True, recheck: bool = False
) -> Machine:
    """The chart: ``tellers`` concurrent transfers over two accounts.

    >>> make().initial_state().configuration
    ('bankTransfer', 't1', 't1.idle')
    """
    if tellers < 1:
        raise ValueError(f"need at least one teller, got tellers={tellers}")
    if account1 < 0 or account2 < 0:
        raise ValueError(f"balances start non-negative, got account1={account1}, account2={account2}")
    return Machine(
        {
            "id": "bankTransfer",
            "type": "parallel",
            "context": {"account1": account1, "account2": account2, "amount": (0,) * tellers},
            "states": {f"t{t}": _teller_region(t, atomic, recheck) for t in range(1, tellers + 1)},
        }
    )


def make_invariants(total: int) -> dict[str, Callable[[Snapshot], bool]]:
    """``MoneyConserved`` and ``NoNegativeBalance``.

    >>> inv = make_invariants(150)
    >>> s = make().initial_state()
    >>> inv["MoneyConserved"](s), inv["NoNegativeBalance"](s)
    (True, True)
    """

    def money_conserved(s: Snapshot) -> bool:
        return bool(s.context["account1"] + s.context["account2"] == total)

    def no_negative_balance(s: Snapshot) -> bool:
        return bool(s.context["account1"] >= 0 and s.context["account2"] >= 0)

    return {"MoneyConserved": money_conserved, "NoNegativeBalance": no_negative_balance}


def model(
    account1: int = 100,
    account2: int = 50,
    tellers: int = 1,
    atomic: bool = True,
    recheck: bool = False,
    amounts: Iterable[int] | None = None,
) -> Model:
    """Everything the walker needs (``amounts`` defaults to ``1..account1``, the spec's domain).

    >>> m = model()
    >>> len(m.alphabet), sorted(m.invariants), sorted(m.properties)
    (100, ['MoneyConserved', 'NoNegativeBalance'], ['CanTransfer'])
    """
    machine = make(account1, account2, tellers, atomic, recheck)
    domain = tuple(range(1, account1 + 1)) if amounts is None else tuple(amounts)
    ts = range(1, tellers + 1)
    alphabet = events("TRANSFER", t=ts, amount=domain)
    if not atomic:
        alphabet += events("COMMIT", t=ts)
    start = account1

    def can_transfer(s: Snapshot) -> bool:
        return bool(s.context["account1"] != start)

    def all_moved(s: Snapshot) -> bool:
        # no transfer is enabled any more (account1 below every amount) and no teller is mid-way
        c = s.context
        return all(a > c["account1"] for a in domain) and not any(c["amount"])

    fairness = [Fairness("weak", "TRANSFER", by=())]
    if not atomic:
        fairness.append(Fairness("weak", "COMMIT", by=("t",)))
    flags = "" if atomic else f", atomic=False, recheck={recheck}"
    return Model(
        machine=machine,
        alphabet=alphabet,
        invariants=make_invariants(account1 + account2),
        properties={"CanTransfer": eventually(can_transfer)},
        fairness=tuple(fairness),
        terminal=all_moved,
        symmetry=(Symmetry(tuple(f"t{t}" for t in ts), context=("amount",)),),
        name=f"bank_transfer(account1={account1}, account2={account2}, tellers={tellers}{flags})",
    )
