"""The runtime sits above the core: machine.py does not import it at import time, and the
threaded interpreter names the asyncio runtime when asked to invoke actor logic that is not a Machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from statecharts import Machine, VirtualClock

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_core_does_not_import_the_runtime() -> None:
    code = (
        "import sys, statecharts, statecharts.machine, statecharts.state; "
        "print(sorted(m for m in sys.modules if m.startswith('statecharts.runtime')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_threaded_interpreter_runs_a_child_machine_and_names_interpret_async_for_other_actor_logic() -> None:
    class Logic:  # actor logic that is not a Machine: only the asyncio runtime runs it
        id = "logic"

        def initial_state(self, input: object, execute: object = None, observe: object = None) -> object: ...

        def transition(
            self, snapshot: object, event: object, execute: object = None, observe: object = None
        ) -> object: ...

        def invocation(self, invoke_id: str) -> object: ...

    child = Machine({"id": "child", "initial": "a", "states": {"a": {}}})
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {
                "a": {"invoke": {"src": "child", "id": "kid"}, "on": {"NEXT": "b"}},
                "b": {"invoke": {"src": "logic", "id": "other", "onError": "failed"}},
                "failed": {},
            },
        },
        services={"child": child, "logic": Logic()},
    )
    actor = parent.interpret(clock=VirtualClock()).start()
    assert actor.children["kid"].state.value == "a"
    actor.send("NEXT")
    assert actor.state.value == "failed" and actor.children == {}
    assert "interpret_async" in str(actor.state.event["error"])


def test_diagram_labels_name_a_callable_send_to_target_deterministically() -> None:
    from statecharts import send_to
    from statecharts.render import to_mermaid

    def worker_of(context: object, event: object) -> str:
        return "w"

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"actions": send_to(worker_of, "PING")}}}}})
    assert "send PING to worker_of" in to_mermaid(m) and " at 0x" not in to_mermaid(m)
