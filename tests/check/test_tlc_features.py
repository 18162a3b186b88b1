"""What a TLC user expects of the walker: coverage per transition, action constraints, action
properties, a walk from given states."""

from __future__ import annotations

import re

import pytest

from statecharts import Machine, assign
from statecharts.check import Model, check, events, explore
from statecharts.errors import ConfigError, PredicateError

COUNTER = Machine(
    {
        "id": "counter",
        "context": {"n": 0},
        "initial": "on",
        "states": {
            "on": {
                "on": {
                    "INC": {"guard": lambda c, e: c["n"] < 3, "actions": assign(n=lambda c, e: c["n"] + 1)},
                    "DEC": {"guard": lambda c, e: c["n"] > 0, "actions": assign(n=lambda c, e: c["n"] - 1)},
                    "RESET": {"actions": assign(n=0)},
                }
            }
        },
    }
)


def counter(**kw) -> Model:
    return Model(COUNTER, alphabet=events("INC") + events("DEC") + events("RESET"), **kw)


def rows(report) -> dict[str, tuple[int, int]]:
    return {a.transition.split("--")[1]: (a.taken, a.found) for a in report.coverage.actions}


def test_coverage_counts_steps_taken_and_new_states_found_per_transition():
    report = check(counter())
    # INC is taken in n=0,1,2 and finds every new state; DEC in n=1,2,3 finds none;
    # RESET is taken in all four states (in n=0 it changes nothing, still a step that fired)
    assert rows(report) == {"INC": (3, 3), "DEC": (3, 0), "RESET": (4, 0)}
    data = report.to_json()["coverage"]["actions"]
    assert [(a["taken"], a["found"]) for a in data] == [(3, 3), (3, 0), (4, 0)]
    assert "coverage:" in report.format(actions=True) and "coverage:" not in report.format()


def test_new_states_found_add_up_to_the_states_reached():
    from machines.cluster_update import model

    report = check(model(2, 2), temporal=False)
    graph = report.graph
    assert sum(a.found for a in report.coverage.actions) >= report.distinct_states - len(graph.initial)
    assert all(a.taken >= a.found for a in report.coverage.actions)
    assert {a.transition for a in report.coverage.actions if a.taken == 0} == set(
        report.coverage.transitions_never_taken
    )


def test_an_action_constraint_prunes_the_steps_it_refuses():
    # no step may go up by one from 2: n=3 becomes unreachable
    below = counter(action_constraint=lambda s, e, t: not (e.name == "INC" and s.context["n"] == 2))
    graph = explore(below)
    assert sorted(s.context["n"] for s in graph.states) == [0, 1, 2]
    assert check(below).coverage.transitions_never_taken == ()


def test_an_action_property_is_checked_on_every_step_with_a_shortest_trace():
    steps_by_one = {"steps by one": lambda s, e, t: abs(t.context["n"] - s.context["n"]) <= 1}
    report = check(counter(action_properties=steps_by_one))
    result = report.result("steps by one")
    assert result.kind == "action" and not result.holds
    # the shortest behaviour with a jump of 2: INC, INC, RESET
    assert [step.event.name for step in result.trace.steps[1:]] == ["INC", "INC", "RESET"]
    assert [step.snapshot.context["n"] for step in result.trace.steps] == [0, 1, 2, 0]
    assert check(counter(action_properties={"no skip": lambda s, e, t: t.context["n"] <= 3})).ok


def test_stuttering_steps_are_not_asked_by_an_action_property():
    # RESET in n=0 changes nothing: [][P]_vars allows it whatever P says
    report = check(counter(action_properties={"never RESET to 0": lambda s, e, t: e.name != "RESET"}))
    trace = report.result("never RESET to 0").trace
    assert [step.event.name for step in trace.steps[1:]] == ["INC", "RESET"]


def test_an_action_property_that_raises_names_itself_and_the_step():
    with pytest.raises(PredicateError, match=r"action property 'bad' raised KeyError: 'm' on Event\('INC'\)"):
        check(counter(action_properties={"bad": lambda s, e, t: t.context["m"]}))


def test_step_predicates_must_be_callables():
    with pytest.raises(ConfigError, match="action_constraint must be a function of"):
        counter(action_constraint=3)
    with pytest.raises(ConfigError, match="'p' must be a predicate fn"):
        counter(action_properties={"p": 3})


def test_a_walk_from_given_states_reaches_only_what_follows_them():
    from_two = COUNTER.transition(COUNTER.transition(COUNTER.initial_state(), "INC"), "INC")
    report = check(counter(invariants={"never 0": lambda s: s.context["n"] != 0}), initial=[from_two])
    assert report.distinct_states == 4  # 2, then 3, 1 and 0
    trace = report.result("never 0").trace
    assert trace.steps[0].snapshot.context["n"] == 2 and [s.event.name for s in trace.steps[1:]] == ["RESET"]


# -- simulation ------------------------------------------------------------------------------


def test_simulation_with_a_seed_is_reproducible_and_finds_a_reachable_violation():
    from statecharts.check.simulate import simulate

    model = counter(invariants={"below 3": lambda s: s.context["n"] < 3})
    first, again = simulate(model, depth=20, traces=30, seed=5), simulate(model, depth=20, traces=30, seed=5)
    assert first.to_json() | {"seconds": 0, "states_per_second": 0} == again.to_json() | {
        "seconds": 0,
        "states_per_second": 0,
    }
    result = first.result("below 3")
    assert not result.holds and result.trace[-1].snapshot.context["n"] == 3
    assert all(step.event.name in ("INC", "DEC", "RESET") for step in result.trace.steps[1:])
    assert first.complete is False and first.stopped_by.endswith("seed 5")


def test_simulation_never_claims_more_than_the_behaviours_it_tried():
    from statecharts.check.simulate import simulate

    report = simulate(counter(invariants={"at most 3": lambda s: s.context["n"] <= 3}), depth=10, traces=5, seed=1)
    assert report.result("at most 3").holds and "not exhaustive" in report.result("at most 3").note
    assert not report.complete and "INCOMPLETE" in report.format()
    assert {r.kind for r in report.results} == {"invariant", "deadlock"}  # temporal properties: not checked


def test_an_unbroken_simulated_invariant_reads_as_one_remark_not_two():
    from statecharts.check.simulate import simulate

    report = simulate(counter(invariants={"at most 3": lambda s: s.context["n"] <= 3}), depth=10, traces=5, seed=1)
    line = next(line for line in report.format().splitlines() if "at most 3" in line)
    assert line.endswith("(INCOMPLETE: not proved; not broken in 5 random behaviours, not exhaustive)"), line
    assert line.count("(") == 1


def test_simulation_reports_a_deadlock_like_the_walk():
    from statecharts.check.simulate import simulate

    stuck = Machine({"id": "stuck", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    report = simulate(Model(stuck, alphabet=events("GO")), depth=5, traces=2, seed=0)
    assert not report.result("deadlock").holds and report.result("deadlock").trace[-1].snapshot.value == "b"


# -- the check command's modes --------------------------------------------------------------


def run_check(capsys, *args):
    from statecharts.cli import main

    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


CLUSTER = ("machines.cluster_update", "-p", "workers=2", "-p", "requests=2")


def test_check_simulate_prints_its_seed_and_the_same_seed_gives_the_same_json(capsys):
    import json

    code, out, _ = run_check(capsys, *CLUSTER, "--simulate", "--depth", "15", "--traces", "20", "--seed", "3", "--json")
    again = json.loads(
        run_check(capsys, *CLUSTER, "--simulate", "--depth", "15", "--traces", "20", "--seed", "3", "--json")[1]
    )
    report = json.loads(out)
    assert code == 0 and report["complete"] is False
    assert "seed 3; temporal properties not checked" in report["stopped_by"]
    assert report["distinct_states"] == again["distinct_states"] and report["depth"] == again["depth"]
    code, out, _ = run_check(capsys, *CLUSTER, "--simulate", "--traces", "2")
    assert "seed" in out and code == 0 and "temporal properties not checked (NoPartialUpdateTermination" in out


def test_check_coverage_prints_the_table_and_json_always_has_it(capsys):
    import json

    code, out, _ = run_check(capsys, *CLUSTER, "--no-temporal", "--coverage")
    assert code == 0 and "coverage:" in out and "new states" in out
    data = json.loads(run_check(capsys, *CLUSTER, "--no-temporal", "--json")[1])
    assert sum(a["found"] for a in data["coverage"]["actions"]) >= data["distinct_states"] - 1


def cluster_behaviour():
    """A behaviour of the 2x2 cluster: the counterexample to Converges (a lasso; its steps)."""
    from machines.cluster_update import model

    return check(model(2, 2)).result("Converges").trace.steps[1:]


def test_replay_accepts_a_behaviour_of_the_model_in_both_log_formats(capsys, tmp_path):
    import json

    steps = cluster_behaviour()
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"type": s.event.name, **s.event.data}) + "\n" for s in steps))
    code, out, _ = run_check(capsys, *CLUSTER, "--replay", str(plain))
    assert code == 0 and f"{len(steps)} events followed" in out and "is a behaviour of the model" in out
    inspected = tmp_path / "inspection.jsonl"
    records = [{"actor": "cluster", "kind": "started"}]
    records += [{"event": {"type": s.event.name, **s.event.data}, "snapshot": s.snapshot.to_json()} for s in steps]
    inspected.write_text("".join(json.dumps(r) + "\n" for r in records))
    data = json.loads(run_check(capsys, *CLUSTER, "--replay", str(inspected), "--json")[1])
    assert data["ok"] and data["steps"] == len(steps) and data["skipped"] == 1


def test_replay_names_the_first_step_the_model_does_not_allow(capsys, tmp_path):
    import json

    steps = cluster_behaviour()
    records = [{"event": {"type": s.event.name, **s.event.data}, "snapshot": s.snapshot.to_json()} for s in steps]
    records[2]["snapshot"] = steps[0].snapshot.to_json()  # the log says the third step went elsewhere
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, out, _ = run_check(capsys, *CLUSTER, "--replay", str(log), "--json")
    data = json.loads(out)
    assert code == 1 and data["steps"] == 2 and data["refused"]["line"] == 3
    assert "differs from the logged snapshot" in data["refused"]["reason"]
    log.write_text('{"type": "SUBMIT", "r": 1}\n{"type": "SUBMIT", "r": 9}\n')
    data = json.loads(run_check(capsys, *CLUSTER, "--replay", str(log), "--json")[1])
    assert data["refused"] == {"line": 2, "event": "SUBMIT", "reason": "not in the model's alphabet"}


def test_replay_reports_every_invariant_broken_along_the_way():
    from statecharts.check.replay import replay

    model = counter(
        invariants={
            "below 2": lambda s: s.context["n"] < 2,
            "below 3": lambda s: s.context["n"] < 3,
            "never 9": lambda s: s.context["n"] != 9,
        }
    )
    result = replay(
        model,
        [
            '{"type": "INC"}',
            '{"type": "DEC"}',
            '{"type": "INC"}',
            '{"type": "INC"}',
            '{"type": "INC"}',
            '{"type": "INC"}',
        ],
    )
    assert result.refused is None and result.steps == 6 and result.stutters == 1  # the last INC: n stays 3
    assert result.broken == {"below 2": 4, "below 3": 5}


def test_a_malformed_log_line_is_an_error_naming_the_line(capsys, tmp_path):
    log = tmp_path / "bad.jsonl"
    log.write_text('{"type": "SUBMIT", "r": 1}\n{"type": \n')
    code, _, err = run_check(capsys, *CLUSTER, "--replay", str(log))
    assert code == 2 and "bad.jsonl line 2: not JSON" in err


def test_check_from_snapshots_walks_only_what_follows_them(capsys, tmp_path):
    import json

    from machines.cluster_update import model

    steps = cluster_behaviour()
    start = steps[3].snapshot
    snaps = tmp_path / "now.jsonl"
    snaps.write_text(start.dumps() + "\n")
    data = json.loads(run_check(capsys, *CLUSTER, "--no-temporal", "--from", str(snaps), "--json")[1])
    fresh = model(2, 2)
    ours = check(fresh, temporal=False, initial=[fresh.machine.restore(start.dumps())])
    assert data["distinct_states"] == ours.distinct_states
    assert 0 < data["distinct_states"] < 212
    snaps.write_text(start.dumps() + "\n" + '{"configuration": ["clusterUpdate", "nowhere"]}\n')
    code, _, err = run_check(capsys, *CLUSTER, "--from", str(snaps))
    assert code == 2 and re.search(r"now.jsonl line 2: .*no state 'nowhere'", err)
    code, _, err = run_check(capsys, *CLUSTER, "--from", str(snaps), "--simulate")
    assert code == 2 and "--simulate and --from cannot be used together" in err


def test_a_walk_from_a_snapshot_of_another_machine_is_refused():
    from machines.cluster_update import model

    with pytest.raises(ConfigError, match="belongs to machine"):
        check(counter(), initial=[model(2, 2).initial_states()[0]])


def test_each_coverage_row_names_one_transition_even_when_transitions_describe_alike(capsys):
    from machines.leader_election import make

    chart = make(3)  # each node's HEARTBEAT transitions differ only in their guards
    transitions = [t for n in chart.states for t in n.transitions]
    assert len({t.describe() for t in transitions}) < len(transitions)
    report = check(Model(chart, alphabet=events("HEARTBEAT", l=[1], v=[2]) + events("TIMEOUT", n=[1])))
    labels = [a.transition for a in report.coverage.actions]
    assert len(labels) == len(set(labels)) == len(transitions)
    assert len(set(report.coverage.transitions_never_taken)) == len(report.coverage.transitions_never_taken)
    assert "n1 --HEARTBEAT--> n1.follower [4 of 4]" in labels and "n1.follower --TIMEOUT--> n1.candidate" in labels
    table = report.format(actions=True)
    assert "[k of n]: the k-th of n transitions with the same source, trigger and targets" in table
    code, out, _ = run_check(capsys, "machines.leader_election", "--no-temporal", "--coverage")
    rows = out[out.index("coverage:") :].splitlines()[2:-1]
    assert code == 0 and len(rows) == len(set(rows)) == len(transitions)


# -- an option a mode would not use is refused, never silently ignored -----------------------

UNLOCKED = ("machines.cluster_update", "-p", "workers=2", "-p", "requests=1", "-p", "lock=false")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("--depth", "5"),
            "--depth goes with --simulate (random behaviours); the exhaustive walk's depth bound is --max-depth N",
        ),
        (("--traces", "3", "--seed", "1"), "--traces and --seed go with --simulate"),
        (("--no-temporal", "--fingerprints", "--symmetry"), "--fingerprints does not use --symmetry: drop it"),
        (
            ("--no-temporal", "--workers", "2", "--coverage", "--graph-out", "g.dot"),
            "--workers does not use --coverage, --graph-out: drop them",
        ),
        (("--simulate", "--max-states", "50"), "--simulate does not use --max-states: drop it"),
        (("--replay", "log.jsonl", "--max-depth", "3"), "--replay does not use --max-depth: drop it"),
        (("--simulate", "--workers", "2"), "--simulate and --workers cannot be used together"),
        (
            ("--checkpoint", "run"),
            "--checkpoint checks invariants and deadlock only (the fingerprint walk): add --no-temporal",
        ),
    ],
)
def test_an_option_the_chosen_mode_would_not_use_is_refused_naming_it(capsys, tmp_path, monkeypatch, args, said):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_check(capsys, *CLUSTER, *args)
    assert code == 2 and said in err and not out
    assert not (tmp_path / "run").exists() and not (tmp_path / "g.dot").exists()


@pytest.mark.parametrize("mode", [("--simulate", "--seed", "1"), ("--fingerprints", "--no-temporal")])
def test_simulate_and_fingerprints_draw_their_counterexample_with_trace_out(capsys, tmp_path, mode):
    drawn = tmp_path / "cx.mmd"
    code, out, _ = run_check(capsys, *UNLOCKED, *mode, "--trace-out", str(drawn))
    assert code == 1 and f"wrote the counterexample to NoConcurrentUpdateW to {drawn}" in out
    assert drawn.read_text().startswith("sequenceDiagram") and "APPLY_START" in drawn.read_text()


def test_simulate_stops_at_max_seconds(capsys):
    code, out, _ = run_check(
        capsys, *CLUSTER, "--simulate", "--traces", "100000000", "--seed", "1", "--max-seconds", "0.3"
    )
    behaviours = int(re.search(r"INCOMPLETE: simulation: (\d+) behaviours", out).group(1))
    assert code == 0 and 0 < behaviours < 100_000_000
