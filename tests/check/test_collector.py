"""The walk pauses Python's cyclic garbage collector and collects its young objects now and then
(statecharts/check/graph.py): the collector is restored after, cyclic garbage that the model's
own code makes is still freed, and a model that makes none is not traversed at every round."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from statecharts import Machine, assign
from statecharts.check import check, explore, graph
from statecharts.check.graph import QUIET_ROUNDS, YoungCollections, collector_paused
from statecharts.check.model import Model, events


def test_the_collector_is_restored_after_a_walk_even_one_that_raises() -> None:
    counter = Machine({"id": "c", "context": {"n": 0}, "on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}})
    assert gc.isenabled()
    check(Model(counter, alphabet=events("INC")), max_states=100)
    assert gc.isenabled() and gc.get_freeze_count() == 0

    def broken(s: Any) -> bool:
        raise RuntimeError("invariant fails")

    with pytest.raises(Exception, match="invariant fails"):
        check(Model(counter, alphabet=events("INC"), invariants={"broken": broken}), max_states=100)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_caller_that_turned_the_collector_off_finds_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_after_a_collection_that_finds_no_cyclic_garbage_most_rounds_only_freeze() -> None:
    gc.collect()
    rounds = YoungCollections()
    try:
        collected = [rounds() for _ in range(2 * QUIET_ROUNDS + 1)]
    finally:
        gc.unfreeze()
    quiet = [True] + [False] * (QUIET_ROUNDS - 1)
    assert collected == quiet + quiet + [True]


def test_a_collection_that_finds_cyclic_garbage_makes_every_round_collect_until_one_finds_none() -> None:
    def garbage() -> None:
        cycle: list[Any] = []
        cycle.append(cycle)

    gc.collect()
    rounds = YoungCollections()
    try:
        assert [rounds() for _ in range(QUIET_ROUNDS)] == [True] + [False] * (QUIET_ROUNDS - 1)
        garbage()
        assert rounds()  # the round that finds it
        for _ in range(3):
            garbage()
            assert rounds()  # garbage was found in the last round: this one collects again
        assert rounds()  # the one that found the last cycle
        assert not rounds()  # found none: quiet again
    finally:
        gc.unfreeze()


def test_a_walk_frees_the_cyclic_garbage_its_model_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph, "FIRST_COLLECTION", 64)
    monkeypatch.setattr(graph, "COLLECT_EVERY", 64)
    made, freed = [0], [0]

    def cyclic_guard(context: Any, event: Any) -> bool:
        node: dict[str, Any] = {}
        node["self"] = node  # a reference cycle: only the cyclic collector frees it
        holder = Holder(node)
        made[0] += 1
        weakref.finalize(holder, lambda: freed.__setitem__(0, freed[0] + 1))
        node["holder"] = holder
        return True

    counter = Machine(
        {
            "id": "c",
            "context": {"n": 0},
            "on": {"INC": {"guard": cyclic_guard, "actions": assign(n=lambda c, e: c["n"] + 1)}},
        }
    )
    g = explore(Model(counter, alphabet=events("INC")), graph.Bounds(max_states=2_000))
    assert len(g.states) == 2_000
    assert made[0] >= 1_999
    assert freed[0] >= made[0] - 2 * 64  # all but those made since the last collection
    gc.collect()


class Holder:
    def __init__(self, node: dict[str, Any]) -> None:
        self.node = node
