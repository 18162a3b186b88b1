"""The cached static step (`Machine.static_step`) equals the full macrostep on random charts."""

from __future__ import annotations

import random
from typing import Any

from statecharts import Event, Machine, assign
from statecharts.check.successor import take

EVENTS = ("A", "B", "C", "D")


def random_chart(rng: random.Random) -> dict[str, Any]:
    """Nested compound and parallel states; transitions with and without guards, actions,
    entry/exit actions, history and final states, eventless transitions."""
    names: list[str] = []

    def node(depth: int, prefix: str) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        names.append(prefix)
        if depth < 2 and rng.random() < 0.5:
            kids = {f"{prefix}{i}": node(depth + 1, f"{prefix}{i}") for i in range(rng.randint(2, 3))}
            spec["states"] = kids
            if rng.random() < 0.3:
                spec["type"] = "parallel"
            else:
                spec["initial"] = next(iter(kids))
                if rng.random() < 0.2:
                    kids[f"{prefix}h"] = {"type": "history", "history": rng.choice(["shallow", "deep"])}
        elif rng.random() < 0.1:
            spec["type"] = "final"
        if rng.random() < 0.15:
            spec["entry"] = assign(n=lambda c, e: c["n"] + 1)
        if rng.random() < 0.1:
            spec["exit"] = assign(n=lambda c, e: c["n"] - 1)
        return spec

    root: dict[str, Any] = {
        "id": "r",
        "context": {"n": 0},
        "initial": "s0",
        "states": {f"s{i}": node(0, f"s{i}") for i in range(3)},
    }
    ids = list(names)

    def add(spec: dict[str, Any]) -> None:
        if spec.get("type") in ("history", "final"):
            return
        on: dict[str, Any] = {}
        for event in rng.sample(EVENTS, rng.randint(0, 3)):
            target = "#r." + ".".join(path_of[rng.choice(ids)])
            kind = rng.random()
            even = {"guard": lambda c, e: c["n"] % 2 == 0}
            count = {"actions": assign(n=lambda c, e: c["n"] + 1)}
            if kind < 0.1:
                on[event] = {"target": target, **even}
            elif kind < 0.2:
                on[event] = {"target": target, **count}
            elif kind < 0.35:
                on[event] = [{"target": target, **even, **count}, {"target": target}]
            elif kind < 0.45:
                on[event] = {**even, **count}  # targetless
            else:
                on[event] = target
        if on:
            spec["on"] = on
        if rng.random() < 0.05:
            spec["always"] = {
                "target": "#r." + ".".join(path_of[rng.choice(ids)]),
                "guard": lambda c, e: c["n"] > 3,
                "actions": assign(n=0),
            }
        for kid in spec.get("states", {}).values():
            add(kid)

    path_of: dict[str, list[str]] = {}

    def paths(states: dict[str, Any], prefix: list[str]) -> None:
        for key, spec in states.items():
            path_of[key] = [*prefix, key]
            paths(spec.get("states", {}), [*prefix, key])

    paths(root["states"], [])
    ids = [n for n in ids if n in path_of]
    for spec in root["states"].values():
        add(spec)
    return root


def test_static_step_equals_the_full_macrostep_on_random_charts() -> None:
    rng = random.Random(20)
    static_hits = 0
    for _ in range(150):
        machine = Machine(random_chart(rng))
        events = [rng.choice(EVENTS) for _ in range(40)]
        for _ in range(2):  # the second pass reads the cache
            s = machine.initial_state()
            for name in events:
                event = Event(name)
                static_hits += machine.static_step(s, event) is not None
                fast, full = machine.transition(s, event), take(s, event, None)
                assert fast.key() == full.key()
                assert fast.event == full.event or s.status != "active"  # done: macrostep keeps the old event
                assert [e.action for e in fast.effects] == [e.action for e in full.effects]
                s = fast
    assert static_hits > 1000  # the cache took part, and not only in trivial charts
