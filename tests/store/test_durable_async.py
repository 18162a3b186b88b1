"""Durable asyncio actors: `machine.interpret_async(store=..., id=...)` commits through `Journal`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from statecharts import Machine, VirtualClock, assign
from statecharts.actions import send_to, spawn_child
from statecharts.errors import ConfigError
from statecharts.store import Journal, LeaseError, SqliteStore, open_store, replay, replay_actors


def counter(seen: list[Any] | None = None) -> Machine:
    def effect(context: Any, event: Any) -> None:
        if seen is not None:
            seen.append(len(Journal(store_of[0], machine, "c").lines()) if store_of else None)

    store_of: list[SqliteStore] = []
    machine = Machine(
        {
            "id": "counter",
            "context": {"n": 0},
            "initial": "on",
            "states": {"on": {"on": {"ADD": {"actions": [assign(n=lambda c, e: c["n"] + e["by"]), effect]}}}},
        }
    )
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
            both = await asyncio.gather(
                actor.send("ADD", idempotency_key="k2", by=1), actor.send("ADD", idempotency_key="k2", by=1)
            )
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


TICKER = Machine(
    {
        "id": "ticker",
        "context": {"n": 0},
        "initial": "a",
        "states": {"a": {"after": {100: "b"}, "on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}, "b": {}},
    }
)


def tree(sent_to_child: list[int] | None = None) -> Machine:
    def seen(context: Any, event: Any) -> None:
        if sent_to_child is not None:
            sent_to_child.append(len(Journal(tree_store[0], parent, "p").lines()))

    tree_store: list[SqliteStore] = []
    child = Machine(
        {
            "id": "ticker",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {"after": {100: "b"}, "on": {"INC": {"actions": [assign(n=lambda c, e: c["n"] + 1), seen]}}},
                "b": {},
            },
        }
    )
    parent = Machine(
        {
            "id": "parent",
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "ticker", "id": "kid"},
                    "on": {
                        "SPAWN": {"actions": spawn_child("ticker", id="sp")},
                        "INC": {"actions": [send_to("kid", "INC"), send_to("sp", "INC")]},
                    },
                }
            },
        },
        services={"ticker": child},
    )
    parent._test_store = tree_store  # type: ignore[attr-defined]
    return parent


def test_a_restarted_tree_has_its_children_with_their_state_and_timers(tmp_path: Path) -> None:
    m = tree()
    path = tmp_path / "t.db"

    async def main() -> tuple[dict[str, int], list[str], dict[str, str]]:
        clock = VirtualClock()
        async with m.interpret_async(store=SqliteStore(path), id="p", clock=clock) as actor:
            await actor.send("SPAWN")
            await actor.send("INC")
            await actor.send("INC")
            await clock.advance(60)  # 40 ms of 100 left for both children
        clock.advance(10)  # the process is down for 10 ms
        async with m.interpret_async(store=SqliteStore(path), id="p", clock=clock) as again:
            counts = {cid: c.state.context["n"] for cid, c in again.children.items()}
            await clock.advance(29)
            before = [c.state.value for c in again.children.values()]
            await clock.advance(1)
            return counts, before, {cid: c.state.value for cid, c in again.children.items()}

    counts, before, after = asyncio.run(main())
    assert counts == {"kid": 2, "sp": 2} and before == ["a", "a"] and after == {"kid": "b", "sp": "b"}
    lines = Journal(SqliteStore(path), m, "p").lines()
    assert {line["actor"] for line in lines} == {"p", "kid", "sp"}
    replayed = replay_actors(m, lines, {"kid": TICKER, "sp": TICKER})
    assert replayed["kid"].value == "b" and replayed["sp"].context["n"] == 2


def test_a_send_to_a_child_leaves_after_the_parents_step_is_committed(tmp_path: Path) -> None:
    lines_seen: list[int] = []
    m = tree(lines_seen)
    store = SqliteStore(tmp_path / "o.db")
    m._test_store.append(store)  # type: ignore[attr-defined]

    async def main() -> None:
        async with m.interpret_async(store=store, id="p", clock=VirtualClock()) as actor:
            await actor.send("SPAWN")
            await actor.send("INC")

    asyncio.run(main())
    # lines: init p, init kid, SPAWN, init sp, INC of p (committed before its sends leave), then each
    # child's INC: its action runs once its own line is stored
    assert lines_seen == [6, 7]
    lines = Journal(store, m, "p").lines()
    assert [(line["actor"], line["event"]["type"]) for line in lines[4:]] == [
        ("p", "INC"),
        ("kid", "INC"),
        ("sp", "INC"),
    ]


def test_effects_of_a_committed_step_not_released_run_again_on_restart(tmp_path: Path) -> None:
    ran: list[int] = []
    m = Machine(
        {
            "id": "counter",
            "context": {"n": 0},
            "initial": "on",
            "states": {
                "on": {
                    "on": {
                        "ADD": {"actions": [assign(n=lambda c, e: c["n"] + e["by"]), lambda c, e: ran.append(e["by"])]}
                    }
                }
            },
        }
    )
    path = tmp_path / "r.db"

    async def crash() -> None:
        actor = m.interpret_async(store=SqliteStore(path), id="c")
        await actor.start()
        await actor.send("ADD", by=1)
        await actor.send("ADD", by=2)
        journal = actor.journal  # the process dies after committing ADD(2): its effects count as not released
        journal.store.release("c", journal.owner, released=journal.seq - 1)

    async def restart() -> int:
        async with m.interpret_async(store=SqliteStore(path), id="c") as again:
            return int(again.state.context["n"])

    asyncio.run(crash())
    assert ran == [1, 2]
    assert asyncio.run(restart()) == 3 and ran == [1, 2, 2]  # ADD(2)'s action again, ADD(1)'s not
