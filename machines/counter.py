"""A counter behind a turnstile, the machine the service examples and tests serve.

``model(limit)`` checks the invariant "below limit" (``n <= limit``); with a small limit the walker
finds a counterexample, and a served actor that passes the limit records a violation.

>>> m = model(limit=3)
>>> s = m.machine.transition(m.machine.initial_state(), "START")
>>> m.machine.transition(s, "ADD", by=2).context["n"]
2
"""

from __future__ import annotations

from statecharts import Machine, assign
from statecharts.check import Model, events
from statecharts.state import Snapshot

machine = Machine(
    {
        "id": "counter",
        "context": {"n": 0},
        "initial": "idle",
        "states": {
            "idle": {"on": {"START": "counting"}},
            "counting": {
                "on": {
                    "ADD": {"actions": assign(n=lambda c, e: c["n"] + e["by"])},
                    "RESET": {"actions": assign(n=lambda c, e: 0)},
                    "STOP": "idle",
                }
            },
        },
    }
)


def model(limit: int = 1_000_000) -> Model:
    """The counter with the invariant ``n <= limit``; ADD carries ``by`` in 1 or 2."""

    def below_limit(s: Snapshot) -> bool:
        return bool(s.context["n"] <= limit)

    return Model(
        machine,
        alphabet=(*events("START"), *events("ADD", by=(1, 2)), *events("RESET"), *events("STOP")),
        invariants={"below limit": below_limit},
        name=f"counter(limit={limit})",
    )
