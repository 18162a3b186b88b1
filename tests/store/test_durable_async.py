"""Durable asyncio actors: `machine.interpret_async(store=..., id=...)` commits through `Journal`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from statecharts import Machine, assign
from statecharts.errors import ConfigError
from statecharts.store import Journal, LeaseError, SqliteStore, open_store, replay


def counter(seen: list[Any] | None = None) -> Machine:
    def effect(context: Any, event: Any) -> None:
        if seen is not None:
            seen.append(len(Journal(store_of[0], machine, "c").lines()) if store_of else None)

    store_of: list[SqliteStore] = []
    machine = Machine({"id": "counter", "context": {"n": 0}, "initial": "on", "states": {"on": {"on": {
        "ADD": {"actions": [assign(n=lambda c, e: c["n"] + e["by"]), effect]}}}}})
    machine._test_store = store_of  # type: ignore[attr-defined]
    return machine


def test_restart_from_the_store_reaches_the_same_snapshot(store_url: str) -> None:
    m = counter()

    async def main() -> tuple[Any, Any]:
        async with m.interpret_async(store=open_store(store_url), id="c") as actor:
            for by in (1, 2, 3):
                await actor.send("ADD", by=by)
            first = actor.state
        async with m.interpret_async(store=open_store(store_url), id="c") as again:
            return first, again.state

    first, second = asyncio.run(main())
    assert second == first and second.context["n"] == 6
    lines = Journal(open_store(store_url), m, "c").lines()
    assert [line["event"]["type"] for line in lines] == ["xstate.init", "ADD", "ADD", "ADD"]
    assert replay(m, lines) == second


def test_a_repeated_idempotency_key_is_applied_once(tmp_path: Path) -> None:
    m = counter()

    async def main() -> tuple[int, int, int]:
        async with m.interpret_async(store=SqliteStore(tmp_path / "b.db"), id="c") as actor:
            one = await actor.send("ADD", idempotency_key="k1", by=5)
            two = await actor.send("ADD", idempotency_key="k1", by=5)
            both = await asyncio.gather(actor.send("ADD", idempotency_key="k2", by=1),
                                        actor.send("ADD", idempotency_key="k2", by=1))
            return one.context["n"], two.context["n"], actor.state.context["n"] + 0 * len(both)

    assert asyncio.run(main()) == (5, 5, 6)


def test_effects_run_after_their_step_is_committed(tmp_path: Path) -> None:
    seen: list[Any] = []
    m = counter(seen)
    store = SqliteStore(tmp_path / "c.db")
    m._test_store.append(store)  # type: ignore[attr-defined]

    async def main() -> None:
        async with m.interpret_async(store=store, id="c") as actor:
            await actor.send("ADD", by=1)

    asyncio.run(main())
    assert seen == [2]  # the ADD line (after xstate.init) was in the store when the effect ran


def test_a_second_owner_of_a_durable_actor_is_refused(tmp_path: Path) -> None:
    m = counter()
    path = tmp_path / "d.db"

    async def main() -> None:
        async with m.interpret_async(store=SqliteStore(path), id="c"):
            with pytest.raises(LeaseError):
                m.interpret_async(store=SqliteStore(path), id="c")

    asyncio.run(main())


def test_a_durable_actor_needs_an_id(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="needs id="):
        counter().interpret_async(store=SqliteStore(tmp_path / "e.db"))
    with pytest.raises(ConfigError, match="context="):
        counter().interpret_async(store=SqliteStore(tmp_path / "e.db"), id="x", input=3)
