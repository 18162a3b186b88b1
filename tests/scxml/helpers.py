"""Small helpers for the SCXML tests."""

from __future__ import annotations

from statecharts import VirtualClock
from statecharts.scxml import ScxmlMachine, ScxmlSession, load

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python" version="1.0"'


def doc(body: str, **attrs: str) -> str:
    """An SCXML document around ``body`` (attributes of <scxml> as keywords)."""
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"{HEAD}{extra}>{body}</scxml>"


def states(machine: ScxmlMachine, snapshot_configuration: tuple[str, ...]) -> set[str]:
    """The configuration without the document root."""
    return set(snapshot_configuration) - {machine.chart.root.id}


def run(machine: ScxmlMachine, *events: str, ms: float = 10_000) -> ScxmlSession:
    """Start a session on a virtual clock, send the events, let ``ms`` pass."""
    clock = VirtualClock()
    session = machine.interpret(clock=clock).start()
    for event in events:
        session.send(event)
        clock.advance(0)
    clock.advance(ms)
    return session


def run_text(text: str, *events: str, trusted: bool = False) -> ScxmlSession:
    return run(load(text, trusted=trusted), *events)
