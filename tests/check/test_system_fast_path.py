"""The actor-system walk's compiled steps (`statecharts.check.actors.ActorSteps`) change nothing
but its speed: the same states in the same breadth-first order, the same edges, verdicts and
shortest traces as the walk that takes every actor step as the full macrostep (``compiled=False``),
on machines/dispatch.py, on the planted interleaving bug and on random small systems."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from machines.dispatch import model as dispatch_model
from statecharts import Machine, assign, send
from statecharts.actions import send_parent, send_to, spawn_child, stop_child
from statecharts.check import Model, check
from statecharts.check.actors import ActorSteps, SystemGraph, SystemState, explore_system
from statecharts.check.graph import Bounds
from statecharts.check.system import check_system
from statecharts.event import Event
from tests.check.test_actor_system import bank, no_lost_update, teller


def walk(machine: Machine, alphabet: list[Event], compiled: bool, max_states: int | None = None) -> SystemGraph:
    return explore_system(
        machine, [SystemState.initial(machine)], alphabet, Bounds(max_states=max_states), compiled=compiled
    )


def assert_same_graph(fast: SystemGraph, full: SystemGraph) -> None:
    assert fast.states == full.states  # the same states, found in the same order
    for state in fast.states:  # each in its one form (so equal systems are equal states): sorted, no empty channel
        assert state.actors == tuple(sorted(state.actors)) and state.parents == tuple(sorted(state.parents))
        assert state.channels == tuple(sorted(state.channels)) and all(queued for _, queued in state.channels)
        assert hash(state) == hash(SystemState(state.actors, state.parents, state.channels))
    assert fast.edges == full.edges and fast.events == full.events
    assert (fast.parent, fast.via, fast.depth, fast.expanded) == (full.parent, full.via, full.depth, full.expanded)
    assert (fast.raised, fast.first_raised, fast.complete) == (full.raised, full.first_raised, full.complete)


def verdicts(report: Any) -> list[tuple[str, str, bool, str, str | None]]:
    """Every result with its note and its trace, as text (the report's own rendering)."""
    return [
        (r.name, r.kind, r.holds, r.note, None if r.trace is None else r.trace.format(context=True))
        for r in report.results
    ]


@pytest.mark.parametrize("queues", [True, False])
def test_dispatch_walks_the_same_graph_and_reports_the_same_verdicts_and_traces(queues: bool) -> None:
    model = dispatch_model(workers=2, jobs=4, queues=queues)
    fast, full = check_system(model), check_system(model, compiled=False)
    assert (fast.distinct_states, fast.transitions, fast.depth) == (full.distinct_states, full.transitions, full.depth)
    assert verdicts(fast) == verdicts(full)
    assert fast.ok is queues  # with queues=False the lost job is found, both ways
    alphabet = list(model.alphabet)
    assert_same_graph(walk(model.machine, alphabet, True), walk(model.machine, alphabet, False))


def test_dispatch_takes_every_actor_step_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken: on dispatch.py (sends and assigns only, after the children start) no
    actor step needs the full macrostep, which would go through `Machine.transition`."""
    full_steps: list[Event] = []
    transition = Machine.transition

    def counted(self: Machine, state: Any, event: Any, **data: Any) -> Any:
        full_steps.append(event)
        return transition(self, state, event, **data)

    monkeypatch.setattr(Machine, "transition", counted)
    model = dispatch_model(workers=2, jobs=3)
    assert check(model).ok and full_steps == []
    assert check_system(model, compiled=False).ok and len(full_steps) > 100


@pytest.mark.parametrize("racy", [True, False])
def test_the_planted_interleaving_bug_has_the_same_shortest_trace(racy: bool) -> None:
    machine = bank(teller(read_modify_write=racy))
    model = Model(machine, invariants={"no lost update": no_lost_update})
    fast, full = check_system(model), check_system(model, compiled=False)
    assert verdicts(fast) == verdicts(full) and fast.distinct_states == full.distinct_states
    assert fast.result("no lost update").holds is not racy
    assert_same_graph(walk(machine, [], True), walk(machine, [], False))


def test_a_step_with_an_effect_or_a_failing_guard_is_not_compiled() -> None:
    """A spawn, a final state or a guard that raises: `ActorSteps` leaves the step to the full
    macrostep (which starts the child, sends the done event, raises error.execution)."""
    kid = Machine({"id": "kid", "initial": "a", "states": {"a": {}}})
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "SPAWN": {"actions": spawn_child("kid", id="k")},
                        "FAIL": {"guard": lambda c, e: 1 // c["n"] > 0, "target": "b"},
                        "END": "b",
                    }
                },
                "b": {"type": "final"},
            },
        },
        services={"kid": kid},
    )
    s0, steps = m.initial_state(), ActorSteps()
    assert [steps.take(s0, Event(name)) for name in ("SPAWN", "FAIL", "END")] == [None, None, None]


# ---------------------------------------------------------------------------------------------
# random small systems: a parent invoking two children, messages both ways, assigns, guards that
# may raise, final children, spawns and stops; the same graph either way


def _guard(kind: str) -> Any:
    return {
        "none": None,
        "small": lambda c, e: c["n"] < 2,
        "raises at 0": lambda c, e: 1 // c["n"] > 0,
    }[kind]


def _actions(kinds: list[str], up: str) -> list[Any]:
    out: list[Any] = []
    for kind in kinds:
        if kind == "bump":
            out.append(assign(n=lambda c, e: (c["n"] + 1) % 3))
        elif kind == "tell":
            out.append(send_parent(lambda c, e: {"type": "B", "n": c["n"]}) if up == "parent" else send_to("c1", "A"))
        elif kind == "self":
            out.append(send("A"))
        elif kind == "other":
            out.append(send_to("c2" if up == "parent" else "nobody", "B"))
    return out


@st.composite
def systems(draw: st.DrawFn) -> tuple[Machine, list[Event]]:
    def transitions(names: list[str], up: str, listen: tuple[str, ...]) -> dict[str, Any]:
        on: dict[str, Any] = {}
        for event in draw(st.lists(st.sampled_from(listen), max_size=2, unique=True)):
            spec: dict[str, Any] = {
                "actions": _actions(draw(st.lists(st.sampled_from(("bump", "tell", "self", "other")), max_size=2)), up)
            }
            guard = _guard(draw(st.sampled_from(("none", "small", "raises at 0"))))
            if guard is not None:
                spec["guard"] = guard
            if draw(st.booleans()):
                spec["target"] = draw(st.sampled_from(names))
            on[event] = spec
        return on

    def child() -> Machine:
        names = [f"s{k}" for k in range(draw(st.integers(1, 3)))]
        states: dict[str, Any] = {}
        for name in names:
            states[name] = {"on": transitions([*names, "end"], "parent", ("A", "B"))}
            if draw(st.booleans()):
                states[name]["entry"] = _actions([draw(st.sampled_from(("bump", "tell", "self")))], "parent")
            if draw(st.integers(0, 3)) == 0:  # eventless, reading the event: the configuration is unsettled
                states[name]["always"] = {"guard": lambda c, e: getattr(e, "name", None) == "B", "target": "end"}
        states["end"] = {"type": "final"}
        return Machine({"id": "kid", "context": {"n": 0}, "initial": names[0], "states": states})

    kid, other = child(), child()
    on = transitions(["on", "off"], "children", ("B", "GO"))
    on["GO"] = {"actions": [send_to("c1", "A"), send_to("c2", "B"), assign(n=lambda c, e: (c["n"] + 1) % 3)]}
    if draw(st.booleans()):
        on["SPAWN"] = {
            "guard": lambda c, e: not c["spawned"],
            "actions": [spawn_child("kid", id="extra"), assign(spawned=True)],
        }
        on["STOP"] = {"guard": lambda c, e: c["spawned"], "actions": [stop_child("extra"), assign(spawned=False)]}
    parent = Machine(
        {
            "id": "p",
            "context": {"n": 0, "spawned": False},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": [{"src": "kid", "id": "c1"}, {"src": "other", "id": "c2"}],
                    "on": on,
                },
                "off": {"on": {"GO": "on"}},
            },
        },
        services={"kid": kid, "other": other},
    )
    alphabet = [Event(name) for name in ("GO", "SPAWN", "STOP") if name in on]
    return parent, alphabet


# derandomized (tests/conftest.py): the same systems in every run
@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(systems())
def test_random_systems_walk_the_same_graph_compiled_or_not(system: tuple[Machine, list[Event]]) -> None:
    machine, alphabet = system
    fast, full = walk(machine, alphabet, True, 200), walk(machine, alphabet, False, 200)
    assert_same_graph(fast, full)


def test_random_systems_reach_the_cases_the_fast_path_leaves_out() -> None:
    """The generator is not vacuous: its systems raise, finish children, send to nobody and spawn."""
    seen: set[str] = set()

    @settings(max_examples=50, deadline=None)
    @given(systems())
    def look(system: tuple[Machine, list[Event]]) -> None:
        graph = walk(*system, True, 200)
        seen.update(["raised"] if graph.raised else [])
        for state in graph.states:
            for _, queued in state.channels:
                seen.update(e.name.split(".")[0] for e in queued if e.name.startswith(("xstate", "error")))
            if state.actor("extra") is not None:
                seen.add("spawned")

    look()
    assert {"raised", "xstate", "error", "spawned"} <= seen


def test_a_model_of_dispatch_with_more_workers_agrees_too() -> None:
    model = dispatch_model(workers=3, jobs=3, queues=False)
    assert verdicts(check_system(model)) == verdicts(check_system(model, compiled=False))


def test_payload_events_compile_per_payload() -> None:
    """Each distinct message (name and data) has its own compiled steps: a guard on the payload
    is decided per message."""
    m = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "initial": "a",
            "states": {"a": {"on": {"B": {"guard": lambda c, e: e["n"] > 0, "actions": assign(n=1)}}}},
        }
    )
    s0, steps = m.initial_state(), ActorSteps()
    zero, one = steps.take(s0, Event("B", n=0)), steps.take(s0, Event("B", n=1))
    assert zero == (s0, ()) and one is not None and one[0].context["n"] == 1
