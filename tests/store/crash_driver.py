"""The process the crash test kills: drives a durable actor with the events it receives.

`serve` runs in a child process (a multiprocessing forkserver child: a real process, killed with
SIGKILL, but forked from a server that has imported everything, so a restart takes milliseconds).
It says ``ready``, then for each number N received sends ``ADD(i=N)`` with idempotency key
``eN`` and answers N once `send` has returned (the acknowledgement). The chart's timers run on
the real clock; its ``note`` action appends N to the effects file (one write per line, so a kill
never leaves half a line).
"""

from __future__ import annotations

import os
from multiprocessing.connection import Connection

from statecharts import Machine, RealClock, assign, send
from statecharts.store import open_store


def crash_machine(effects_file: str | None = None) -> Machine:
    """Events ADD(i) append i to ``seen``; in ``busy`` a 2 ms TICK and a 5 ms timeout run on the clock."""

    def note(context: object, event: dict) -> None:
        if effects_file is not None:
            fd = os.open(effects_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{event['i']}\n".encode())
            finally:
                os.close(fd)

    add = [assign(seen=lambda c, e: (*c["seen"], e["i"])), "note"]
    return Machine(
        {
            "id": "crash",
            "context": {"seen": (), "ticks": 0},
            "initial": "idle",
            "states": {
                "idle": {"on": {"ADD": {"target": "busy", "actions": add}}},
                "busy": {
                    "entry": send("TICK", delay=2),
                    "after": {5: "idle"},
                    "on": {"ADD": {"actions": add}, "TICK": {"actions": assign(ticks=lambda c, e: c["ticks"] + 1)}},
                },
            },
        },
        actions={"note": note},
    )


def serve(conn: Connection, url: str, actor_id: str, effects_file: str) -> None:
    """Open the actor, say ``ready``, then apply each received ``i`` and acknowledge it; ``quit``
    waits for the timers to settle, stops the actor and says ``bye``."""
    machine = crash_machine(effects_file)
    actor = machine.interpret(store=open_store(url), id=actor_id, clock=RealClock(), lease_ttl=30).start()
    conn.send("ready")
    while True:
        message = conn.recv()
        if message == "quit":
            actor.wait_for(lambda s: s.matches("idle") and not s.pending, timeout=10)
            actor.stop()
            conn.send("bye")
            return
        actor.send("ADD", i=message, idempotency_key=f"e{message}")
        conn.send(message)
