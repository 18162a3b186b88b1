"""The walker's compiled steps (statecharts/check/kernel.py) change its speed, never its graph.

The oracle is the uncompiled walk: every event of the alphabet in every reachable state through
`statecharts.check.successor.successor`, which selects transitions itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from statecharts import EventlessLoopError, FrozenDict, Machine, and_, assign, not_, or_, payload, raise_, state_in
from statecharts.check import Bounds, check, explore
from statecharts.check.graph import WalkError
from statecharts.check.kernel import StateKeys, StepCompiler
from statecharts.check.model import Model, events
from statecharts.check.successor import successor
from tests.scxml.random_charts import EVENTS, documents

Walk = tuple[set[Any], set[tuple[Any, int, Any]], set[Any], set[Any], dict[Any, int], dict[Any, int]]


def reference_walk(model: Model, max_states: int | None = None) -> Walk:
    """States, edges (as snapshot pairs), self-loop states, fired transitions, and per transition
    the steps that took it and the new states they found (TLC's coverage), uncompiled
    (``max_states``: stop expanding as `explore` does, once that many states are stored)."""
    alphabet = tuple(model.events())
    states = list(dict.fromkeys(model.initial_states()))
    seen = set(states)
    edges, loops, taken, found = set(), set(), Counter[Any](), Counter[Any]()
    for s in states:  # grows while we walk: breadth first
        if max_states is not None and len(states) >= max_states:
            break
        for e, event in enumerate(alphabet):
            fired: list[Any] = []
            t = successor(s, event, fired)
            if t is None:
                continue
            taken.update(fired)
            if t == s:
                loops.add(s)
                continue
            edges.add((s, e, t))
            if t not in seen:
                found.update(fired)
                seen.add(t)
                states.append(t)
    return seen, edges, loops, set(taken), dict(taken), dict(found)


def compiled_walk(model: Model, max_states: int | None = None) -> Walk:
    graph = explore(model, Bounds(max_states=max_states))
    states = graph.states
    edges = {(states[i], e, states[j]) for i, out in enumerate(graph.edges) for e, j in out}
    assert len(edges) == graph.transitions
    assert len(set(states)) == len(states), "one state stored twice"
    found = {t: n for t, n in graph.found.items() if n}
    return set(states), edges, {states[i] for i in graph.self_loops}, graph.fired, dict(graph.taken), found


def boom(c: Any, e: Any) -> bool:
    if c["x"] == 1:
        raise ValueError("guard fails at x == 1")
    return True


GUARDS: dict[str, Callable[[str], Any]] = {
    "none": lambda other: None,
    "context": lambda other: lambda c, e: c["x"] < 2,
    "in": lambda other: state_in(other),
    "not in": lambda other: not_(state_in(other)),
    "payload": lambda other: payload(v=1),
    "and": lambda other: and_(state_in(other), lambda c, e: c["y"] != 1),
    "or": lambda other: or_(lambda c, e: c["x"] == 2, payload(v=0)),
    "raises": lambda other: boom,
    "raises first": lambda other: and_(boom, state_in(other)),
}

ACTIONS: dict[str, Any] = {
    "none": [],
    "x": [assign(x=lambda c, e: (c["x"] + 1) % 3)],
    "y": [assign(y=lambda c, e: (c["y"] + 1) % 2)],
    "both": [assign(x=lambda c, e: (c["x"] + 2) % 3), assign(y=lambda c, e: 1 - c["y"])],
    "updater": [assign(lambda c, e: {"x": c["y"], "y": c["x"] % 2})],
    "new key": [assign(z=lambda c, e: c.get("z", 0) + 1 if c.get("z", 0) < 1 else 0)],
    "drop key": [assign(lambda c, e: {"x": 0})],
    "raises": [assign(x=lambda c, e: 1 // (c["x"] - 1) % 3)],
    "settle": [assign(y=1)],
    "raise B": [raise_("B")],
}


ENTRY_EXIT = ("none", "none", "x", "y", "new key", "raises", "raise B")


@st.composite
def charts(draw: st.DrawFn) -> Model:
    """A parallel root with two or three regions of two or three states (one may be compound,
    with a history state; one may be final); transitions with every kind of guard and assign,
    targeted or not, sometimes eventless; entry and exit actions that assign, fail or raise."""
    region_count = draw(st.integers(2, 3))
    leaves = {f"r{r}": [f"s{r}{k}" for k in range(draw(st.integers(2, 3)))] for r in range(region_count)}
    all_leaves = [f"{r}.{s}" for r, names in leaves.items() for s in names]
    regions: dict[str, Any] = {}
    for region, names in leaves.items():
        compound = names[1] if draw(st.booleans()) else None
        final = names[-1] if draw(st.booleans()) and names[-1] != compound else None
        targets = list(names) + ([f"{compound}.c1", f"{compound}.h"] if compound else [])
        states: dict[str, Any] = {}
        for name in names:
            if name == final:
                states[name] = {"type": "final"}
                continue
            on: dict[str, list[dict[str, Any]]] = {}
            for _ in range(draw(st.integers(0, 3))):
                event = draw(st.sampled_from(("A", "B", "always")))
                spec: dict[str, Any] = {"actions": draw(st.sampled_from(sorted(ACTIONS)))}
                kind = draw(st.sampled_from(sorted(GUARDS)))
                if event == "always" and kind.startswith("raises"):
                    kind = "context"  # a guard failing on every round of eventless selection is a loop
                guard = GUARDS[kind](draw(st.sampled_from(all_leaves)))
                if event == "always":  # eventless: gated by y == 0 and setting y, so every macrostep settles
                    guard = and_(lambda c, e: c["y"] == 0, guard) if guard is not None else (lambda c, e: c["y"] == 0)
                    spec["actions"] = "settle"
                if guard is not None:
                    spec["guard"] = guard
                if draw(st.booleans()):
                    spec["target"] = draw(st.sampled_from(targets))
                on.setdefault(event, []).append(spec)
            state: dict[str, Any] = {
                "entry": ACTIONS[draw(st.sampled_from(ENTRY_EXIT))],
                "exit": ACTIONS[draw(st.sampled_from(ENTRY_EXIT))],
            }
            always = on.pop("always", None)
            if on:
                state["on"] = {k: [{**s, "actions": ACTIONS[s["actions"]]} for s in v] for k, v in on.items()}
            if always:
                state["always"] = [{**s, "actions": ACTIONS[s["actions"]]} for s in always]
            if name == compound:
                state["initial"] = "c0"
                state["states"] = {
                    "c0": {"on": {"A": "c1"}, "entry": ACTIONS[draw(st.sampled_from(ENTRY_EXIT))]},
                    "c1": {"on": {"B": "c0"}},
                    "h": {"type": "history", "history": draw(st.sampled_from(("shallow", "deep")))},
                }
            states[name] = state
        regions[region] = {"initial": names[0], "states": states}
    machine = Machine({"id": "k", "type": "parallel", "context": {"x": 0, "y": 0}, "states": regions})
    alphabet = [e for e in events("A", v=[0, 1]) + events("B") if machine.listens_for(e.name)]
    assume(alphabet)
    return Model(machine, alphabet=alphabet)


# derandomized (tests/conftest.py): the same charts in every run
@settings(max_examples=300, deadline=None)
@given(charts())
def test_compiled_walk_finds_the_same_states_edges_self_loops_and_coverage_as_the_uncompiled(model: Model) -> None:
    try:
        expected = reference_walk(model)
    except EventlessLoopError:  # a raised B that a B transition raises again: the walk names it too
        with pytest.raises(WalkError) as caught:
            explore(model)
        assert isinstance(caught.value.__cause__, EventlessLoopError)
        return
    assert compiled_walk(model) == expected


def counters(top: int) -> Model:
    machine = Machine(
        {
            "id": "c",
            "context": {"a": 0, "b": 0},
            "on": {
                "INC_A": {"guard": lambda c, e: c["a"] < top, "actions": assign(a=lambda c, e: c["a"] + 1)},
                "INC_B": {"guard": lambda c, e: c["b"] < top, "actions": assign(b=lambda c, e: c["b"] + 1)},
                "RESET": {"actions": assign(a=0, b=0)},
            },
        }
    )
    return Model(machine, alphabet=events("INC_A") + events("INC_B") + events("RESET"))


def test_an_assign_only_step_back_to_a_known_state_is_an_edge_and_a_reset_to_itself_a_self_loop() -> None:
    graph = explore(counters(2))
    assert len(graph.states) == 9 and graph.transitions == 6 * 2 + 8  # INC_A, INC_B, RESET edges
    assert 0 in graph.self_loops  # RESET in the initial state fires and changes nothing


def test_state_in_guards_are_decided_per_configuration() -> None:
    machine = Machine(
        {
            "id": "m",
            "type": "parallel",
            "context": {"n": 0},
            "states": {
                "p": {"initial": "off", "states": {"off": {"on": {"GO": "on"}}, "on": {}}},
                "q": {
                    "initial": "a",
                    "states": {
                        "a": {
                            "on": {
                                "BUMP": {
                                    "guard": state_in("p.on"),
                                    "actions": assign(n=lambda c, e: min(c["n"] + 1, 2)),
                                }
                            }
                        }
                    },
                },
            },
        }
    )
    graph = explore(Model(machine, alphabet=events("GO") + events("BUMP")))
    assert sorted(s.context["n"] for s in graph.states) == [0, 0, 1, 2]


def test_a_guard_subclass_deciding_itself_from_the_configuration_is_decided_per_configuration() -> None:
    # `Guard.specialize(event, in_state)` is the hook the walker compiles with; a guard of its own
    # kind may answer from the configuration without naming the states it reads: its chain must
    # not be reused in another configuration
    from dataclasses import dataclass

    from statecharts.guards import Guard

    @dataclass(frozen=True, eq=False)
    class PowerOn(Guard):
        name = "power on"

        def test(self, context: Any, event: Any, in_state: Callable[[str], bool]) -> bool:
            return in_state("#on")

        def specialize(self, event: Any, in_state: Callable[[str], bool] | None = None) -> Any:
            return self if in_state is None else in_state("#on")

    machine = Machine(
        {
            "id": "m",
            "type": "parallel",
            "context": {"n": 0},
            "states": {
                "p": {
                    "initial": "off",
                    "states": {"off": {"on": {"GO": "on"}}, "on": {"id": "on", "on": {"GO": "off"}}},
                },
                "q": {
                    "initial": "a",
                    "states": {
                        "a": {
                            "on": {"BUMP": {"guard": PowerOn(), "actions": assign(n=lambda c, e: min(c["n"] + 1, 2))}}
                        }
                    },
                },
            },
        }
    )
    model = Model(machine, alphabet=events("GO") + events("BUMP"))
    assert compiled_walk(model) == reference_walk(model)
    assert len(explore(model).states) == 6


def test_configurations_with_the_same_chains_for_an_event_share_one_picker() -> None:
    """`EventSteps.pick` is one closure per event and compiled chains, not one per configuration
    (the fingerprint walk keeps thousands of configurations; a closure each cost 4 bytes a state
    at UpdateCluster 3x5); a guard that reads the configuration keeps a picker of its own."""
    m = Machine(
        {
            "id": "m",
            "type": "parallel",
            "context": {"n": 0},
            "states": {
                "p": {"initial": "a", "states": {"a": {"on": {"FLIP": "b"}}, "b": {"on": {"FLIP": "a"}}}},
                "q": {
                    "initial": "x",
                    "states": {
                        "x": {"on": {"INC": {"guard": lambda c, e: c["n"] < 2, "actions": assign(n=1)}}},
                    },
                },
            },
        }
    )
    compiler = StepCompiler(m, (*events("FLIP"), *events("INC")))
    s = m.initial_state()
    first = {steps.event.name: steps for steps in compiler.configuration(s.configuration_nodes).events}
    flipped = m.transition(s, "FLIP")
    second = {steps.event.name: steps for steps in compiler.configuration(flipped.configuration_nodes).events}
    assert first["INC"].pick is second["INC"].pick  # q.x's chain in p.a and in p.b
    assert first["FLIP"].pick is not second["FLIP"].pick  # p.a's chain and p.b's differ
    assert first["INC"].select({"n": 0}) is not None and first["INC"].select({"n": 5}) == ()


def test_a_raising_guard_still_raises_error_execution_in_the_walk() -> None:
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "context": {"x": 1},
            "states": {
                "a": {"on": {"GO": {"guard": boom, "target": "b"}, "error.execution": "failed"}},
                "b": {},
                "failed": {},
            },
        }
    )
    graph = explore(Model(machine, alphabet=events("GO")))
    assert [s.value for s in graph.states] == ["a", "failed"]


def test_a_raising_assign_still_raises_error_execution_in_the_walk() -> None:
    machine = Machine(
        {
            "id": "m",
            "initial": "a",
            "context": {"x": 1},
            "states": {
                "a": {"on": {"GO": {"actions": assign(x=lambda c, e: 1 // 0)}, "error.execution": "failed"}},
                "failed": {},
            },
        }
    )
    graph = explore(Model(machine, alphabet=events("GO")))
    assert [s.value for s in graph.states] == ["a", "failed"]


def test_a_context_that_gains_a_key_is_a_different_state() -> None:
    machine = Machine(
        {
            "id": "m",
            "context": {"n": 0},
            "on": {
                "ADD": {"actions": assign(extra=lambda c, e: 1)},
                "DROP": {"actions": assign(lambda c, e: {"n": 0})},
            },
        }
    )
    graph = explore(Model(machine, alphabet=events("ADD") + events("DROP")))
    assert [dict(s.context) for s in graph.states] == [{"n": 0}, {"n": 0, "extra": 1}]


def test_an_unhashable_context_from_an_assign_only_step_is_named() -> None:
    machine = Machine(
        {"id": "m", "context": {"n": 0}, "on": {"GO": {"actions": assign(n=lambda c, e: bytearray(b"1"))}}}
    )
    with pytest.raises(Exception, match="context key 'n' \\(bytearray\\) is not hashable"):
        explore(Model(machine, alphabet=events("GO")))


def test_state_keys_are_equal_exactly_for_equal_contexts() -> None:
    keys = StateKeys(("a", "b"))
    assert keys.context({"a": 1, "b": 2}) == keys.context(FrozenDict(b=2, a=1))
    assert keys.context({"a": 1, "b": 2}) != keys.context({"a": 1, "b": 2, "c": 3})
    assert keys.context({"a": 1, "c": 2}) != keys.context({"a": 1, "b": 2})
    assert keys.context({"a": 1, "c": 2}) == keys.context(FrozenDict(c=2, a=1))
    assert StateKeys(("a",)).context({"a": FrozenDict(a=1)}) != StateKeys(("a",)).context(FrozenDict(a=1))


def test_the_cluster_graph_is_the_uncompiled_graph() -> None:
    from machines.cluster_update import model

    cluster = model(workers=2, requests=2)
    assert compiled_walk(cluster) == reference_walk(cluster)
    assert check(cluster).ok is False  # Converges, as before


def test_an_scxml_condition_reading_the_configuration_is_evaluated_in_each_configuration() -> None:
    # a cond is opaque to the compiler (In() inside an expression): its compiled chain must not be
    # reused in another configuration
    from statecharts.scxml import load

    machine = load("""<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python" version="1.0">
      <datamodel><data id="n" expr="0"/></datamodel>
      <parallel id="top">
        <state id="p" initial="off">
          <state id="off"><transition event="FLIP" target="on"/></state>
          <state id="on"><transition event="FLIP" target="off"/></state>
        </state>
        <state id="q">
          <transition event="BUMP" cond="In('on') and n &lt; 2"><assign location="n" expr="n + 1"/></transition>
          <transition event="DROP" cond="In('off') and n &gt; 0"><assign location="n" expr="n - 1"/></transition>
        </state>
      </parallel></scxml>""")
    model = Model(machine, alphabet=events("FLIP") + events("BUMP") + events("DROP"))

    def seen(walk: Any) -> tuple[set[Any], set[Any]]:  # each walk starts a new session: compare what counts
        def state(s: Any) -> tuple[Any, ...]:
            return s.configuration, s.context["n"]

        return {state(s) for s in walk[0]}, {(state(a), e, state(b)) for a, e, b in walk[1]}

    states, edges = seen(compiled_walk(model))
    assert (states, edges) == seen(reference_walk(model))
    assert len(states) == 6 and len(edges) == 10


# derandomized (tests/conftest.py); SCXML's executable content never compiles, but its `cond`s are
# opaque guards that read the configuration (In()), and its documents have history, raised events
# and eventless transitions: the compiled selection must agree there too
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
def test_compiled_walk_agrees_with_the_uncompiled_on_random_scxml_documents(text: str) -> None:
    from statecharts.scxml import load

    machine = load(text)
    names = [e for e in EVENTS if machine.listens_for(e)]
    assume(names)
    model = Model(machine, alphabet=[e for name in names for e in events(name)])

    def seen(walk: Any) -> tuple[set[Any], set[Any], set[Any]]:  # each walk starts a new session
        def state(s: Any) -> tuple[Any, ...]:
            history = tuple((h.id, tuple(sorted(n.id for n in v))) for h, v in s.history)
            return s.configuration, tuple(s.context[f"Var{k}"] for k in (1, 2, 3)), history, s.status

        return (
            {state(s) for s in walk[0]},
            {(state(a), e, state(b)) for a, e, b in walk[1]},
            {state(s) for s in walk[2]},
        )

    assert seen(compiled_walk(model, 150)) == seen(reference_walk(model, 150))
