"""Child machines the actor tests of both runtimes share (the asyncio actor and the threaded interpreter)."""

from __future__ import annotations

from typing import Any

from statecharts import Machine, assign
from statecharts.actions import send_parent, send_to

ADDER = Machine(
    {
        "id": "adder",
        "context": lambda input: {"a": input["a"], "b": input["b"]},
        "initial": "adding",
        "states": {"adding": {"always": "done"}, "done": {"type": "final"}},
        "output": lambda c, e: {"sum": c["a"] + c["b"]},
    }
)

LOGGER = Machine(
    {
        "id": "logger",
        "context": {"lines": ()},
        "initial": "on",
        "states": {"on": {"on": {"LOG": {"actions": assign(lines=lambda c, e: (*c["lines"], e["line"]))}}}},
    }
)  # keeps the ``line`` of every LOG it is sent

PONGER = Machine(
    {
        "id": "ponger",
        "context": {"pongs": 0},
        "initial": "ready",
        "states": {
            "ready": {"on": {"PING": {"actions": [assign(pongs=lambda c, e: c["pongs"] + 1), send_parent("PONG")]}}}
        },
    }
)


def pinger(rounds: int) -> Machine:
    """A parent that invokes `PONGER` as ``ponger`` and plays ``rounds`` round trips from START,
    then reaches its final state ``finished``."""
    return Machine(
        {
            "id": "pinger",
            "context": {"pongs": 0},
            "initial": "playing",
            "states": {
                "playing": {
                    "invoke": {"src": "ponger", "id": "ponger"},
                    "on": {
                        "START": {"actions": send_to("ponger", "PING")},
                        "PONG": [
                            {
                                "guard": lambda c, e: c["pongs"] + 1 >= rounds,
                                "target": "finished",
                                "actions": assign(pongs=lambda c, e: c["pongs"] + 1),
                            },
                            {"actions": [assign(pongs=lambda c, e: c["pongs"] + 1), send_to("ponger", "PING")]},
                        ],
                    },
                },
                "finished": {"type": "final"},
            },
        },
        services={"ponger": PONGER},
    )


def echo_chart(service: Any) -> Machine:
    """A parent that invokes ``service`` as ``echo`` (input ``{"prefix": ">"}``): ``SAY`` goes to
    it, what it sends back (``ECHO``) is collected in ``heard``, ``OFF`` exits (``ON`` re-enters)."""
    return Machine(
        {
            "id": "parent",
            "context": {"heard": ()},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "echo", "id": "echo", "input": {"prefix": ">"}},
                    "on": {
                        "SAY": {"actions": send_to("echo", lambda c, e: {"type": "SAY", "text": e["text"]})},
                        "ECHO": {"actions": assign(heard=lambda c, e: (*c["heard"], e["text"]))},
                        "OFF": "off",
                    },
                },
                "off": {"on": {"ON": "on"}},
            },
        },
        services={"echo": service},
    )
