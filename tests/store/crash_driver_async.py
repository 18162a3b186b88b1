"""The process the asyncio crash test kills: drives a durable asyncio actor tree (a parent and an
invoked child, both with timers on the real clock) with the events it receives.

`serve` runs in a forkserver child process, like `tests.store.crash_driver.serve`: it says
``ready``, then for each number N received sends ``ADD(i=N)`` with idempotency key ``eN`` to the
parent and answers N once `send` has returned (the acknowledgement). The parent hands each N to
its child as ``JOB``; the child sends ``DONE`` back. Both ``note`` actions append to the effects
file (``p N`` and ``c N``, one write per line).
"""

from __future__ import annotations

import asyncio
import os
from multiprocessing.connection import Connection
from typing import Any

from statecharts import Machine, assign, send, send_parent, send_to
from statecharts.store import open_store


def _noter(effects_file: str | None, who: str) -> Any:
    def note(context: object, event: dict) -> None:
        if effects_file is not None:
            fd = os.open(effects_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{who} {event['i']}\n".encode())
            finally:
                os.close(fd)

    return note


def worker_machine(effects_file: str | None = None) -> Machine:
    """JOB(i) appends i to ``done``, says DONE(i) to the parent and rests after 3 ms on the clock."""
    job = [
        assign(done=lambda c, e: (*c["done"], e["i"])),
        "note",
        send_parent(lambda c, e: {"type": "DONE", "i": e["i"]}),
    ]
    return Machine(
        {
            "id": "worker",
            "context": {"done": ()},
            "initial": "resting",
            "states": {
                "resting": {"on": {"JOB": {"target": "working", "actions": job}}},
                "working": {"after": {3: "resting"}, "on": {"JOB": {"actions": job}}},
            },
        },
        actions={"note": _noter(effects_file, "c")},
    )


def tree_machine(effects_file: str | None = None) -> Machine:
    """ADD(i) appends i to ``seen`` and hands it to the child ``w``; in ``busy`` a 2 ms TICK and a
    5 ms timeout run on the clock; DONE(i) from the child appends i to ``done``."""
    add = [
        assign(seen=lambda c, e: (*c["seen"], e["i"])),
        "note",
        send_to("w", lambda c, e: {"type": "JOB", "i": e["i"]}),
    ]
    return Machine(
        {
            "id": "tree",
            "context": {"seen": (), "done": (), "ticks": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "worker", "id": "w"},
                    "initial": "idle",
                    "on": {"DONE": {"actions": assign(done=lambda c, e: (*c["done"], e["i"]))}},
                    "states": {
                        "idle": {"on": {"ADD": {"target": "busy", "actions": add}}},
                        "busy": {
                            "entry": send("TICK", delay=2),
                            "after": {5: "idle"},
                            "on": {
                                "ADD": {"actions": add},
                                "TICK": {"actions": assign(ticks=lambda c, e: c["ticks"] + 1)},
                            },
                        },
                    },
                }
            },
        },
        actions={"note": _noter(effects_file, "p")},
        services={"worker": worker_machine(effects_file)},
    )


def settled(actor: Any) -> bool:
    """Nothing left to happen: the parent idle, the child resting, no timers, nothing queued."""
    child = actor.children.get("w")
    return (
        actor.state.matches("on.idle")
        and not actor.state.pending
        and child is not None
        and child.state.matches("resting")
        and not child.state.pending
        and not actor._mailbox
        and not child._mailbox
    )


def serve(conn: Connection, url: str, actor_id: str, effects_file: str) -> None:
    """Open the actor tree, say ``ready``, then apply each received ``i`` and acknowledge it;
    ``quit`` waits for the timers to settle, stops the actor and says ``bye``."""
    asyncio.run(_serve(conn, url, actor_id, effects_file))


async def _serve(conn: Connection, url: str, actor_id: str, effects_file: str) -> None:
    machine = tree_machine(effects_file)
    actor = machine.interpret_async(store=open_store(url), id=actor_id, lease_ttl=30)
    await actor.start()
    conn.send("ready")
    loop = asyncio.get_running_loop()
    while True:
        message = await loop.run_in_executor(None, conn.recv)  # the loop (timers) runs meanwhile
        if message == "quit":
            for _ in range(2000):
                if settled(actor):
                    break
                await asyncio.sleep(0.005)
            await actor.stop()
            conn.send("bye")
            return
        await actor.send("ADD", i=message, idempotency_key=f"e{message}")
        conn.send(message)
