"""SCXML export: ``load(dump(m))`` reaches the same configurations on the same events."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from machines import auth, cluster_update, fetch, media_player, user
from statecharts import Event, Machine, assign, raise_, send, state_in
from statecharts.errors import ConfigError
from statecharts.scxml import dump, implementations, load


def _ids(machine: Machine, configuration: tuple[str, ...]) -> frozenset[str]:
    return frozenset(configuration) - {machine.chart.root.id}


def assert_same_behaviour(original: Machine, events: list[Event], limit: int = 400) -> int:
    """Breadth-first over the original's reachable snapshots (up to ``limit``), stepping both
    machines with the same events; configurations and context values must agree."""
    copy = load(dump(original), **implementations(original))
    start = (original.initial_state(), copy.initial_state())
    seen = {start[0]}
    queue = deque([start])
    while queue:
        a, b = queue.popleft()
        assert _ids(original, a.configuration) - {copy.chart.root.id} == _ids(copy, b.configuration) - {
            original.chart.root.id
        }
        assert {k: b.context[k] for k in a.context} == dict(a.context)
        for event in events:
            na, nb = original.transition(a, event), copy.transition(b, event)
            if na not in seen and len(seen) < limit:
                seen.add(na)
                queue.append((na, nb))
    return len(seen)


def _plain_events(machine: Machine) -> list[Event]:
    return [Event(name) for name in machine.events]


@pytest.mark.parametrize(
    "machine", [fetch.machine, user.machine, media_player.machine], ids=["fetch", "user", "media_player"]
)
def test_seed_machine_round_trips_through_scxml(machine: Machine) -> None:
    assert assert_same_behaviour(machine, _plain_events(machine)) > 3


def test_cluster_update_round_trips_with_its_named_guards_and_actions() -> None:
    machine = cluster_update.make(workers=2, requests=2)
    events = [Event(n, {"r": i}) for n in ("SUBMIT", "PUSH") for i in (1, 2)]
    events += [Event(n, {"w": i}) for n in ("SPAWN", "APPLY_START") for i in (1, 2)]
    events += [Event("APPLY_FINISH", {"w": i, "ok": ok}) for i in (1, 2) for ok in (True, False)]
    assert assert_same_behaviour(machine, events, limit=300) > 150  # every reachable state (confOK=True)


def test_invoked_services_are_refused_naming_the_state() -> None:
    with pytest.raises(ConfigError, match=r"auth.authenticating: invoked service 'authenticate'"):
        dump(auth.make())


def test_anonymous_callables_are_refused() -> None:
    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {"a": {"on": {"GO": {"target": "b", "guard": lambda c, e: True}}}, "b": {}},
        }
    )
    with pytest.raises(ConfigError, match="anonymous callable"):
        dump(m)


def test_built_in_actions_history_and_delays_export_as_scxml_elements() -> None:
    config: dict[str, Any] = {
        "id": "m",
        "initial": "a",
        "context": {"n": 0},
        "states": {
            "a": {
                "initial": "a1",
                "states": {"a1": {"on": {"NEXT": "a2"}}, "a2": {}, "h": {"type": "history"}},
                "entry": [assign(n=1), raise_("ENTERED")],
                "on": {"OUT": "b"},
                "after": {1000: "b"},
            },
            "b": {
                "on": {
                    "BACK": "a.h",
                    "PING": {"actions": [send("PONG")]},
                    "CHECK": {"target": "c", "guard": state_in("#m.b")},
                }
            },
            "c": {"type": "final"},
        },
    }
    machine = Machine(config)
    text = dump(machine)
    for fragment in (
        '<raise event="ENTERED"',
        '<assign location="n" expr="1"',
        '<history id="m.a.h"',
        'delay="1000ms"',
        "<cancel sendid=",
        "cond=\"In('m.b')\"",
        '<final id="m.c"',
    ):
        assert fragment in text
    assert_same_behaviour(machine, _plain_events(machine) + [Event("PONG")])
