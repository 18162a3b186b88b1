"""``check --replay`` takes a durable actor's stored event log as it is (Journal lines)."""

from __future__ import annotations

import asyncio
import json

from statecharts import Machine, VirtualClock, assign
from statecharts.check import Model, events
from statecharts.check.replay import replay
from statecharts.store import SqliteStore


def kettle() -> Model:
    """HEAT starts a 100 ms timer that boils; a guarded 50 ms timer that never passes fires and changes nothing."""
    machine = Machine(
        {
            "id": "kettle",
            "context": {"boils": 0},
            "initial": "cold",
            "states": {
                "cold": {"on": {"HEAT": "heating"}},
                "heating": {
                    "after": {
                        50: {"target": "cold", "guard": lambda c, e: False},
                        100: {"target": "cold", "actions": assign(boils=lambda c, e: c["boils"] + 1)},
                    }
                },
            },
        }
    )
    timers = tuple(e for e in machine.events if e.startswith("xstate.after."))
    return Model(
        machine,
        alphabet=(*events("HEAT"), *(e for t in timers for e in events(t))),
        invariants={"few boils": lambda s: s.context["boils"] < 2},
    )


def stored_log(model: Model, tmp_path, heats: int) -> list[str]:
    store = SqliteStore(str(tmp_path / "kettle.db"))

    async def main() -> None:
        clock = VirtualClock()
        async with model.machine.interpret_async(store=store, id="k1", clock=clock) as actor:
            for _ in range(heats):
                await actor.send("HEAT")
                await clock.advance(100)

    asyncio.run(main())
    return store.lines("k1")


def test_a_stored_log_with_fired_timers_is_a_behaviour_and_its_start_is_not_a_step(tmp_path):
    model = kettle()
    lines = stored_log(model, tmp_path, 1)
    assert [json.loads(line)["event"]["type"] for line in lines] == [
        "xstate.init",
        "HEAT",
        "xstate.after.50.kettle.heating",
        "xstate.after.100.kettle.heating",
    ]
    assert json.loads(lines[2])["delivered"] == [0]  # the guarded timer left the state, nothing else changed
    report = replay(model, lines)
    assert report.ok and report.steps == 3 and report.states[0].value == "cold", report.format()


def test_a_stored_log_that_breaks_an_invariant_names_the_line(tmp_path):
    report = replay(kettle(), stored_log(kettle(), tmp_path, 2))
    assert report.refused is None and report.broken == {"few boils": 7}


def test_a_stored_log_whose_start_is_not_an_initial_state_is_refused(tmp_path):
    lines = stored_log(kettle(), tmp_path, 1)
    start = json.loads(lines[0])
    start["snapshot"]["context"]["boils"] = 5
    report = replay(kettle(), [json.dumps(start), *lines[1:]])
    assert report.refused == (1, "xstate.init", "the logged start is not an initial state of the model")
