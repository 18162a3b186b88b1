"""xstate / Stately JSON in and out: round trips on the seed machines, xstate's vocabulary, the
errors, and (when node is here) xstate itself reaching the same values on the same events."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from machines import auth, fetch, media_player, user
from statecharts import ConfigError, Machine, VirtualClock, and_, assign, cancel, log, not_, raise_, send
from statecharts.guards import state_in

SEEDS = {"fetch": fetch, "user": user, "media_player": media_player}
XSTATE_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "xstate"


def sequences(machine: Machine, count: int = 6, length: int = 30, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    names = list(machine.events) + ["UNKNOWN"]
    return [[rng.choice(names) for _ in range(length)] for _ in range(count)]


def values(machine: Machine, events: list[str]) -> list[object]:
    s = machine.initial_state()
    seen = [s.value]
    for e in events:
        s = machine.transition(s, e)
        seen.append(s.value)
    return seen


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_machine_round_trips_through_json_text(name):
    machine = SEEDS[name].machine
    text = json.dumps(machine.to_json())
    again = Machine.from_json(text)
    assert again.to_json() == machine.to_json()
    for events in sequences(machine):
        assert values(again, events) == values(machine, events)


def test_auth_round_trips_with_its_named_guards_actions_and_service():
    data = auth.machine.to_json()
    assert data["states"]["authenticating"]["invoke"]["src"] == "authenticate"
    again = Machine.from_json(
        json.dumps(data), guards=auth.guards, actions=auth.actions, services={"authenticate": auth.demo_authenticate}
    )
    assert again.to_json() == data
    actor = again.interpret(clock=VirtualClock()).start()
    for _ in range(4):
        actor.send("LOGIN", username="ada", password="wrong")
    assert actor.state.value == "error" and actor.state.context["retries"] == 3
    actor.send("RESET")
    assert actor.send("LOGIN", username="ada", password="secret").context["user"] == "ada"


def test_from_json_reads_a_file_only_from_a_pathlib_path(tmp_path):
    path = tmp_path / "fetch.json"
    path.write_text(json.dumps(fetch.machine.to_json()))
    assert Machine.from_json(path).to_json() == fetch.machine.to_json()
    with pytest.raises(ConfigError, match="a str is JSON text"):
        Machine.from_json(str(path))


def test_builtin_actions_and_guard_combinators_round_trip():
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "context": {"n": 0, "tags": ("x", "y")},
            "states": {
                "a": {
                    "entry": [send("TICK", delay=100, id="tick"), log("entered", label="a")],
                    "exit": [cancel("tick")],
                    "on": {
                        "GO": {
                            "target": "b",
                            "guard": and_("ok", not_(state_in("#m.a"))),
                            "actions": [raise_("INNER", k=1), assign(n=5)],
                        }
                    },
                },
                "b": {"on": {"INNER": {"actions": "count"}}},
            },
        },
        guards={"ok": lambda c, e: True},
        actions={"count": assign(n=lambda c, e: c["n"] + 1)},
    )
    data = machine.to_json()
    assert data["states"]["a"]["on"]["GO"]["guard"] == {
        "type": "xstate.and",
        "guards": ["ok", {"type": "xstate.not", "guards": [{"type": "xstate.stateIn", "stateValue": "#m.a"}]}],
    }
    assert data["states"]["a"]["entry"][0] == {
        "type": "xstate.sendTo",
        "event": {"type": "TICK"},
        "delay": 100,
        "id": "tick",
    }
    assert data["context"] == {"n": 0, "tags": ["x", "y"]}
    again = Machine.from_json(
        json.dumps(data), guards={"ok": lambda c, e: True}, actions={"count": assign(n=lambda c, e: c["n"] + 1)}
    )
    assert again.to_json() == data


def test_inline_callable_is_a_config_error_naming_state_and_key():
    machine = Machine(
        {"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "actions": lambda c, e: None}}}}}
    )
    with pytest.raises(ConfigError) as info:
        machine.to_json()
    assert (info.value.path, info.value.key) == ("m.a", "on.GO.actions")
    assert "placeholders=True" in str(info.value)


def test_placeholders_write_inline_callables_by_name():
    def shout(context, event):
        return None

    machine = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": [shout]}}})
    assert machine.to_json(placeholders=True)["states"]["a"]["entry"] == [{"type": "shout"}]


# -- xstate's vocabulary -------------------------------------------------------------------------


def test_stately_export_with_params_after_always_and_invoke_by_src():
    text = json.dumps(
        {
            "id": "door",
            "initial": "closed",
            "types": {},
            "version": "1",
            "states": {
                "closed": {
                    "on": {
                        "OPEN": {
                            "target": "#door.opening",
                            "guard": {"type": "isAllowed", "params": {"role": "admin"}},
                            "actions": [{"type": "track", "params": {"what": "open"}}],
                        }
                    }
                },
                "opening": {"invoke": {"src": {"type": "motor"}, "id": "motor", "onDone": {"target": "opened"}}},
                "opened": {"after": {"5000": "closing"}},
                "closing": {"always": [{"target": "closed"}]},
            },
        }
    )
    seen = []
    machine = Machine.from_json(
        text,
        guards={"isAllowed": lambda c, e, params: e.get("role") == params["role"]},
        actions={"track": lambda c, e, params: seen.append((e.name, params["what"]))},
        services={"motor": lambda c, e: "ok"},
    )
    clock = VirtualClock()
    actor = machine.interpret(clock=clock).start()
    assert actor.send("OPEN", role="guest").value == "closed"
    assert actor.send("OPEN", role="admin").value == "opened"
    clock.advance(5000)
    assert actor.state.value == "closed" and seen == [("OPEN", "open")]


def test_xstate_v4_spellings_are_accepted():
    machine = Machine.from_json(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "cond": "ok"}}},
                "b": {"on": {"": "c"}},
                "c": {"type": "final"},
            },
        },
        guards={"ok": lambda c, e: True},
    )
    assert machine.transition(machine.initial_state(), "GO").done


def test_bad_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "m",\n  "states": {,}\n}')
    with pytest.raises(ConfigError, match=r"broken\.json: line 3, column 14: Expecting property name"):
        Machine.from_json(path)


def test_bad_json_text_names_line_and_column_as_a_chart_mistake_in_it_does():
    with pytest.raises(ConfigError, match=r"^<string>: line 2, column 13: Expecting property name"):
        Machine.from_json('{"id": "m",\n "states": {,}}')


def test_unknown_named_guard_in_json_is_a_config_error():
    with pytest.raises(ConfigError, match=r"m\.a: on\.GO\.guard: unknown guard 'ok'"):
        Machine.from_json(
            '{"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {"target": "a", "guard": "ok"}}}}}'
        )


# -- xstate itself (node) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def xstate_replay() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed")
    if not (XSTATE_DIR / "node_modules" / "xstate").is_dir():
        try:
            done = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund"],
                cwd=XSTATE_DIR,
                capture_output=True,
                text=True,
                timeout=180,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install of xstate timed out (no network?)")
        if done.returncode != 0:
            pytest.skip(f"npm install of xstate failed (no network?): {done.stderr[-300:]}")
    return XSTATE_DIR / "replay.mjs"


@pytest.mark.parametrize("semantics", ["scxml", "xstate"])
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_xstate_reaches_the_same_values_on_the_same_events(xstate_replay, name, semantics):
    machine = SEEDS[name].machine
    machine = Machine(machine.config, semantics=semantics, **machine.implementations)
    runs = sequences(machine)
    done = subprocess.run(
        ["node", str(xstate_replay)],
        input=json.dumps({"config": machine.to_json(), "sequences": runs}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)["values"]
    for events, expected in zip(runs, theirs, strict=True):
        assert values(machine, events) == expected


def auth_sequences(count: int = 6, length: int = 25, seed: int = 11) -> list[list[dict]]:
    rng = random.Random(seed)
    choices = [
        {"type": "LOGIN", "username": "ada", "password": "secret"},
        {"type": "LOGIN", "username": "bob", "password": "wrong"},
        {"type": "LOGOUT"},
        {"type": "RESET"},
        {"type": "UNKNOWN"},
    ]
    return [[rng.choice(choices) for _ in range(length)] for _ in range(count)]


def test_xstate_runs_the_auth_machine_with_its_service_like_we_do(xstate_replay):
    """The seed's auth machine (invoked service, guards, retries) in xstate and in our interpreter."""
    machine = auth.machine
    runs = auth_sequences()
    done = subprocess.run(
        ["node", str(xstate_replay.parent / "replay_auth.mjs")],
        input=json.dumps({"config": machine.to_json(), "sequences": runs}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)["runs"]
    for events, expected in zip(runs, theirs, strict=True):
        actor = machine.interpret(clock=VirtualClock()).start()
        seen = [[actor.state.value, _auth_context(actor.state)]]
        for event in events:
            data = {k: v for k, v in event.items() if k != "type"}
            actor.send(event["type"], **data)
            seen.append([actor.state.value, _auth_context(actor.state)])
        assert seen == expected, events


def _auth_context(snapshot) -> dict:
    return {
        "user": snapshot.context["user"],
        "retries": snapshot.context["retries"],
        "error": snapshot.context["error"],
    }


def test_payload_guards_round_trip_through_json():
    from statecharts import Event, payload

    machine = Machine(
        {
            "id": "p",
            "initial": "a",
            "states": {
                "a": {
                    "on": {"GO": [{"target": "b", "guard": payload(w=1)}, {"target": "c", "guard": and_(payload(w=2))}]}
                },
                "b": {},
                "c": {},
            },
        }
    )
    data = machine.to_json()
    assert data["states"]["a"]["on"]["GO"][0]["guard"] == {"type": "statecharts.payload", "params": {"w": 1}}
    again = Machine.from_json(json.dumps(data))
    for w, expected in ((1, "b"), (2, "c"), (3, "a")):
        assert again.transition(again.initial_state(), Event("GO", w=w)).value == expected
