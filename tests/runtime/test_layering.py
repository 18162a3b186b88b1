"""The runtime sits above the core: machine.py does not import it at import time, and the
threaded interpreter names the asyncio runtime when asked to invoke a child machine."""

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


def test_threaded_interpreter_reports_a_child_machine_as_error_invoke_naming_interpret_async() -> None:
    child = Machine({"id": "child", "initial": "a", "states": {"a": {}}})
    parent = Machine(
        {
            "id": "parent",
            "initial": "a",
            "states": {"a": {"invoke": {"src": "child", "id": "kid", "onError": "failed"}}, "failed": {}},
        },
        services={"child": child},
    )
    seen: list[str] = []
    actor = parent.interpret(clock=VirtualClock())
    actor.subscribe(lambda s: seen.append(s.event.name if s.event else ""))
    actor.start()
    assert actor.state.value == "failed"
    assert "interpret_async" in str(actor.state.event["error"]) and seen[-1] == "xstate.error.actor.kid"


def test_diagram_labels_name_a_callable_send_to_target_deterministically() -> None:
    from statecharts import send_to
    from statecharts.render import to_mermaid

    def worker_of(context: object, event: object) -> str:
        return "w"

    m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"actions": send_to(worker_of, "PING")}}}}})
    assert "send PING to worker_of" in to_mermaid(m) and " at 0x" not in to_mermaid(m)
