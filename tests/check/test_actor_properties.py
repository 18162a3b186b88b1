"""`check` of a chart that starts child machines decides the model's properties on its actor
system: temporal properties under fairness on deliveries (the liveness checker of one chart, on
the system's graph), deadlock of the system, traces that say which actor took which event, and
never "holds" about an actor that never ran or a walk that follows one machine."""

from __future__ import annotations

import pytest

from statecharts import Machine, assign, send
from statecharts.actions import send_parent, send_to
from statecharts.check import Fairness, Model, SystemState, check, deliveries, events, eventually, explore, leads_to
from statecharts.check.simulate import simulate
from statecharts.check.system import ActorStep
from statecharts.errors import ConfigError
from statecharts.event import Event


def server(drops_when_busy: bool) -> Machine:
    """A child that answers each REQUEST with ANSWER after a step of work (a message to itself);
    a request that comes while it works is queued, or (``drops_when_busy``) dropped."""
    answer = send_parent("ANSWER")
    busy: dict[str, object] = {
        "WORKED": [
            {
                "guard": lambda c, e: c["queued"] > 0,
                "target": "busy",
                "reenter": True,
                "actions": [answer, assign(queued=lambda c, e: c["queued"] - 1)],
            },
            {"target": "idle", "actions": answer},
        ]
    }
    if not drops_when_busy:
        busy["REQUEST"] = {"actions": assign(queued=lambda c, e: c["queued"] + 1)}
    return Machine(
        {
            "id": "server",
            "context": {"queued": 0},
            "initial": "idle",
            "states": {"idle": {"on": {"REQUEST": "busy"}}, "busy": {"entry": send("WORKED"), "on": busy}},
        }
    )


def client(drops_when_busy: bool, requests: int = 2) -> Machine:
    """The root: the environment ASKs (up to ``requests`` times); each ask is a REQUEST to the server."""
    return Machine(
        {
            "id": "client",
            "context": {"asked": 0, "answered": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": "server", "id": "srv"},
                    "on": {
                        "ASK": {
                            "guard": lambda c, e: c["asked"] < requests,
                            "actions": [send_to("srv", "REQUEST"), assign(asked=lambda c, e: c["asked"] + 1)],
                        },
                        "ANSWER": {"actions": assign(answered=lambda c, e: c["answered"] + 1)},
                    },
                }
            },
        },
        services={"server": server(drops_when_busy)},
    )


def waiting(s: SystemState) -> bool:
    root = s.actor("client")
    assert root is not None
    return bool(root.context["asked"] > root.context["answered"])


ANSWERED = {"every request is answered": leads_to(waiting, lambda s: not waiting(s))}


def test_every_request_is_answered_holds_under_weak_fairness_on_deliveries() -> None:
    report = check(
        Model(
            client(drops_when_busy=False),
            alphabet=events("ASK"),
            properties=ANSWERED,
            fairness=[deliveries()],
            terminal=lambda s: not waiting(s),
        )
    )
    assert report.ok and report.complete, report.format()
    assert report.actors is not None and report.actors["actors"] == ["client", "srv"]
    assert [r.name for r in report.results] == ["deadlock", "every request is answered"]


def test_without_fairness_a_request_may_wait_for_ever_and_the_lasso_says_so() -> None:
    report = check(
        Model(
            client(drops_when_busy=False),
            alphabet=events("ASK"),
            properties=ANSWERED,
            fairness=[deliveries()],
            terminal=lambda s: not waiting(s),
        ),
        fairness=False,
    )
    result = report.result("every request is answered")
    assert not result.holds and result.trace is not None
    assert result.trace.steps[-1].stutter and waiting(result.trace.steps[-1].system)  # type: ignore[attr-defined]


def test_a_request_the_busy_child_drops_is_found_with_a_lasso_and_a_system_deadlock() -> None:
    report = check(
        Model(
            client(drops_when_busy=True),
            alphabet=events("ASK"),
            properties=ANSWERED,
            fairness=[deliveries()],
            terminal=lambda s: not waiting(s),
        )
    )
    result = report.result("every request is answered")
    assert not result.holds and result.trace is not None and result.trace.cycle_start is not None
    steps = result.trace.steps
    assert all(isinstance(step, ActorStep) for step in steps)
    taken = [(s.sender, s.receiver, s.event.name) for s in steps[1:] if isinstance(s, ActorStep) and s.event]
    # shortest: ask twice before the server takes the first request; the second finds it busy
    assert taken == [
        (None, "client", "ASK"),
        (None, "client", "ASK"),
        ("client", "srv", "REQUEST"),
        ("client", "srv", "REQUEST"),
        ("srv", "srv", "WORKED"),
        ("srv", "client", "ANSWER"),
    ]
    last = steps[-1]
    assert last.stutter and isinstance(last, ActorStep) and last.system.in_flight == 0 and waiting(last.system)
    deadlock = report.result("deadlock")
    assert not deadlock.holds and deadlock.trace is not None and len(deadlock.trace) == len(steps) - 1
    text = report.format()
    assert "client -> srv: REQUEST => client=on, srv=busy" in text and "(stutter for ever)" in text


def pinger_system() -> Machine:
    """Two children: ``pinger`` plays ping-pong with the root for ever; ``quitter`` sends QUIT once."""
    pinger = Machine(
        {
            "id": "pinger",
            "initial": "on",
            "states": {"on": {"entry": send_parent("PING"), "on": {"PONG": {"actions": send_parent("PING")}}}},
        }
    )
    quitter = Machine({"id": "quitter", "initial": "on", "states": {"on": {"entry": send_parent("QUIT")}}})
    return Machine(
        {
            "id": "root",
            "initial": "playing",
            "states": {
                "playing": {
                    "invoke": [{"src": pinger, "id": "p"}, {"src": quitter, "id": "q"}],
                    "on": {"PING": {"actions": send_to("p", "PONG")}, "QUIT": "stopped"},
                },
                "stopped": {"type": "final"},
            },
        }
    )


def test_weak_fairness_on_every_delivery_lets_no_message_wait_for_ever() -> None:
    quits = {"quits": eventually(lambda s: s.actor("root").matches("stopped"))}  # type: ignore[union-attr]
    assert check(Model(pinger_system(), properties=quits, fairness=[deliveries()])).ok


def test_fairness_on_the_ping_pong_only_is_a_cycle_where_quit_waits_for_ever() -> None:
    quits = {"quits": eventually(lambda s: s.actor("root").matches("stopped"))}  # type: ignore[union-attr]
    report = check(
        Model(pinger_system(), properties=quits, fairness=[Fairness("weak", "PING"), Fairness("weak", "PONG")])
    )
    trace = report.result("quits").trace
    assert trace is not None and trace.cycle_start is not None and not trace.steps[-1].stutter
    cycle = [s for s in trace.steps[trace.cycle_start + 1 :] if isinstance(s, ActorStep)]
    assert {(s.sender, s.receiver, s.event.name if s.event else None) for s in cycle} == {
        ("p", "root", "PING"),
        ("root", "p", "PONG"),
    }
    assert ("q", "root") in dict(trace.steps[-1].system.channels)  # type: ignore[attr-defined]
    assert "(back to step" in report.format()


def test_a_property_over_an_actor_that_never_runs_is_not_checked_and_does_not_hold() -> None:
    model = Model(
        client(drops_when_busy=False),
        alphabet=events("ASK"),
        fairness=[deliveries()],
        terminal=lambda s: not waiting(s),
        invariants={
            "typo": lambda s: s.actor("server") is None or s.actor("server").matches("idle"),
            "real": lambda s: s.actor("srv") is None or s.actor("srv").context["queued"] < 2,
        },
        properties={"typo idles": eventually(lambda s: s.actor("srv2") is None)},
    )
    report = check(model)
    assert report.result("real").holds
    for name, actor in (("typo", "'server'"), ("typo idles", "'srv2'")):
        result = report.result(name)
        assert not result.holds and result.note.startswith("not checked") and actor in result.note
    assert "invariant typo: NOT CHECKED (not checked: it reads actor 'server'" in report.format()
    assert not report.ok


def test_what_the_system_walk_does_not_decide_is_refused() -> None:
    chart = client(drops_when_busy=False)
    with pytest.raises(ConfigError, match="action_properties is not supported"):
        check(Model(chart, action_properties={"calm": lambda a, e, b: True}))
    with pytest.raises(ConfigError, match="fairness selects deliveries"):
        check(Model(chart, alphabet=events("ASK"), fairness=[Fairness("weak", Event("ASK"))]))
    with pytest.raises(ConfigError, match="without symmetry"):
        check(Model(chart), symmetry=True)


@pytest.mark.parametrize("walk", ["simulate", "explore", "ray"])
def test_a_walk_that_follows_one_machine_refuses_a_chart_with_child_machines(walk: str) -> None:
    from statecharts.check.ray_walk import check_ray  # refuses before it imports Ray

    model = Model(client(drops_when_busy=False), alphabet=events("ASK"))
    with pytest.raises(ConfigError, match="starts child machines .*invoke 'srv'"):
        {
            "simulate": lambda: simulate(model, depth=3, traces=1),
            "explore": lambda: explore(model),
            "ray": lambda: check_ray(model, "127.0.0.1:1"),
        }[walk]()


def test_the_first_violation_is_on_a_shortest_trace_as_for_one_chart() -> None:
    report = check(
        Model(
            client(drops_when_busy=False),
            alphabet=events("ASK"),
            invariants={"never two asked": lambda s: s.actor("client").context["asked"] < 2},
        )
    )  # type: ignore[union-attr]
    trace = report.result("never two asked").trace
    assert trace is not None and [s.event.name if s.event else None for s in trace.steps] == [None, "ASK", "ASK"]


def test_a_child_whose_guard_raises_is_reported_not_a_lost_message() -> None:
    def sensor(context: object, event: object) -> bool:
        raise RuntimeError("no sensor")

    child = Machine(
        {"id": "probe", "initial": "idle", "states": {"idle": {"on": {"READ": {"guard": sensor, "target": "idle"}}}}}
    )
    root = Machine(
        {
            "id": "root",
            "context": {"polls": 0},
            "initial": "on",
            "states": {
                "on": {
                    "invoke": {"src": child, "id": "probe"},
                    "on": {
                        "POLL": {
                            "guard": lambda c, e: c["polls"] < 2,
                            "actions": [send_to("probe", "READ"), assign(polls=lambda c, e: c["polls"] + 1)],
                        }
                    },
                }
            },
        }
    )
    report = check(Model(root, alphabet=events("POLL"), invariants={"any": lambda s: True}))
    raised = report.result("no step raises")
    assert not raised.holds and not report.ok
    assert "actor 'probe': guard sensor" in raised.note and "RuntimeError: no sensor" in raised.note
    assert raised.trace is not None
    assert [
        (s.sender, s.receiver, s.event.name if s.event else None)
        for s in raised.trace.steps  # type: ignore[attr-defined]
    ] == [(None, None, None), (None, "root", "POLL"), ("root", "probe", "READ")]


def test_a_lasso_through_a_real_cycle_is_a_loop_block_in_the_sequence_diagram() -> None:
    from statecharts.render import trace_to_mermaid

    quits = {"quits": eventually(lambda s: s.actor("root").matches("stopped"))}  # type: ignore[union-attr]
    report = check(
        Model(pinger_system(), properties=quits, fairness=[Fairness("weak", "PING"), Fairness("weak", "PONG")])
    )
    assert trace_to_mermaid(report.result("quits").trace).splitlines()[5:] == [
        "    loop for ever, back to step 0",
        "        p->>root: 1. PING",
        "        root->>p: 2. PONG",
        "    end",
    ]


def test_a_deadlock_excused_by_a_terminal_over_an_actor_that_never_runs_is_not_checked() -> None:
    report = check(
        Model(client(drops_when_busy=True), alphabet=events("ASK"), terminal=lambda s: s.actor("server") is None)
    )  # the child's id is "srv"
    deadlock = report.result("deadlock")
    assert not deadlock.holds and deadlock.note.startswith("not checked: its terminal reads actor 'server'")
    assert "deadlock  deadlock: NOT CHECKED" in report.format()
