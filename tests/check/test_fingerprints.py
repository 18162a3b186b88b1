"""The fingerprint walk finds what the full walk finds: the same states, steps, depth, verdicts
and shortest traces, with only fingerprints in memory."""

from __future__ import annotations

import json
import os
import re

import pytest

from machines.cluster_update import model as cluster_model
from statecharts import Machine, assign
from statecharts.check import Bounds, Model, check, events
from statecharts.check.fingerprints import check_fingerprints, partition_scheme
from statecharts.errors import ConfigError


def summary(report):
    return (
        report.distinct_states,
        report.transitions,
        report.depth,
        report.complete,
        [
            (r.name, r.holds, None if r.trace is None else [(s.event, s.snapshot) for s in r.trace.steps])
            for r in report.results
        ],
    )


def test_fingerprint_walk_agrees_with_the_full_walk_including_shortest_traces():
    base = cluster_model(2, 3)
    broken = {
        **base.invariants,
        "fewer than 2 requests": lambda s: s.context["reqCounter"] < 2,
        "cluster never updated twice": lambda s: s.context["clusterV"] < 2,
    }
    m = Model(**{**base.__dict__, "invariants": broken, "properties": {}})
    full, fp = check(m), check_fingerprints(m)
    assert summary(fp) == summary(full)
    assert not fp.result("fewer than 2 requests").holds and fp.distinct_states == 2909
    assert fp.fingerprints["fingerprint_bytes_per_state"] == 8.0 and 0 < fp.fingerprints["collision_probability"] < 1e-9


def planted(workers: int, requests: int, lock: bool = True) -> Model:
    """UpdateCluster with two planted bugs, each with many shortest counterexamples."""
    base = cluster_model(workers, requests, lock=lock)
    broken = {
        **base.invariants,
        "fewer than 2 requests": lambda s: s.context["reqCounter"] < 2,
        "cluster never updated twice": lambda s: s.context["clusterV"] < 2,
    }
    return Model(**{**base.__dict__, "invariants": broken, "properties": {}})


@pytest.mark.parametrize(
    ("m", "bounds"),
    [
        (planted(2, 3), Bounds()),
        (Model(**{**cluster_model(2, 3, lock=False).__dict__, "properties": {}}), Bounds(None, 10)),
    ],
    ids=["planted bugs", "lock=false"],
)
def test_workers_partitioning_states_by_fingerprint_find_the_single_process_traces_step_for_step(m, bounds):
    full = check(m, max_depth=bounds.max_depth)
    assert sum(r.trace is not None for r in full.results) >= 1
    for workers in (2, 3):
        fp = check_fingerprints(m, workers=workers, bounds=bounds)
        assert summary(fp) == summary(full)  # counts, verdicts, and each trace the one a single process records
        assert fp.fingerprints["workers"] == workers and fp.fingerprints["bytes_sent_between_workers"] > 0


def test_workers_partition_a_chart_with_many_configurations_by_configuration_and_a_small_one_by_state(
    monkeypatch,
):
    from statecharts.check import fingerprints

    m = planted(2, 3)
    full = check(m)
    assert partition_scheme(m.machine, 2) == "configuration" and partition_scheme(m.machine, 1) == "state"
    by_configuration = check_fingerprints(m, workers=2)
    assert summary(by_configuration) == summary(full)
    assert by_configuration.fingerprints["partition"] == "configuration"
    assert 0 <= by_configuration.fingerprints["level_imbalance"] < 0.5
    monkeypatch.setattr(fingerprints, "CONFIGURATIONS_PER_PART", 10_000)  # 2,304 configurations: too few for 2
    assert partition_scheme(m.machine, 2) == "state"
    by_state = check_fingerprints(m, workers=2)
    assert summary(by_state) == summary(full) and by_state.fingerprints["partition"] == "state"


@pytest.mark.parametrize(("scheme", "per_part"), [("configuration", 64), ("state", 10_000)])
def test_partitioned_by_configuration_each_configuration_is_compiled_in_one_worker_only(
    monkeypatch, tmp_path, scheme, per_part
):
    from statecharts.check import fingerprints

    def compile_logged(self, nodes):  # each worker (a forked process) logs what it compiles
        with open(tmp_path / f"compiled-{os.getpid()}", "a") as log:
            log.write(" ".join(sorted(node.id for node in nodes)) + "\n")
        return compile_steps(self, nodes)

    compile_steps = fingerprints.BoundedStepCompiler._compile
    monkeypatch.setattr(fingerprints.BoundedStepCompiler, "_compile", compile_logged)
    monkeypatch.setattr(fingerprints, "CONFIGURATIONS_PER_PART", per_part)
    # no work sharing: a state lent to another worker has its configuration compiled there too
    monkeypatch.setattr(fingerprints, "SHARE_LEAST", 10**9)
    report = check_fingerprints(planted(2, 3), workers=2)
    assert report.fingerprints["partition"] == scheme and report.fingerprints["states_shared"] == 0
    first, second = (set(path.read_text().splitlines()) for path in tmp_path.iterdir())
    assert len(first) > 50 and len(second) > 50
    if scheme == "configuration":
        assert not first & second
    else:  # by state fingerprint, the states of a configuration are spread over both workers
        assert len(first & second) > len(first) / 2


def test_fingerprint_walk_finds_the_same_deadlock_and_keeps_its_files_where_asked(tmp_path):
    stuck = Machine(
        {
            "id": "stuck",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": "b", "SKIP": "c"}},
                "b": {"on": {"GO": "c"}},
                "c": {"on": {"BACK": "a"}},
                "d": {},
            },
        }
    )
    m = Model(
        stuck,
        alphabet=events("GO") + events("SKIP") + events("BACK"),
        action_constraint=lambda s, e, t: e.name != "BACK",
    )
    fp = check_fingerprints(m, directory=tmp_path)
    assert summary(fp) == summary(check(m))
    assert [step.snapshot.value for step in fp.result("deadlock").trace] == ["a", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.json",
        "links-0-0.bin",
        "links-0-1.bin",
        "states-0-0.pkl",
        "states-0-1.pkl",
    ]


@pytest.mark.parametrize("bounds", [Bounds(max_depth=4), Bounds(max_states=100)])
def test_a_bounded_fingerprint_walk_says_it_is_incomplete(bounds):
    fp = check_fingerprints(cluster_model(2, 2), bounds=bounds)
    full = check(cluster_model(2, 2), max_depth=bounds.max_depth, max_states=bounds.max_states, temporal=False)
    assert not fp.complete and fp.stopped_by == full.stopped_by
    if bounds.max_depth is not None:
        assert (fp.distinct_states, fp.depth) == (full.distinct_states, full.depth)
    else:
        assert 100 <= fp.distinct_states < 212


def test_check_fingerprints_flag_reports_the_same_counts_and_refuses_temporal_properties(capsys):
    from statecharts.cli import main

    args = ["check", "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--json"]
    assert main([*args, "--fingerprints", "--no-temporal"]) == 0
    fp = json.loads(capsys.readouterr().out)
    assert main([*args, "--no-temporal"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert (
        (fp["distinct_states"], fp["transitions"], fp["depth"])
        == (full["distinct_states"], full["transitions"], full["depth"])
        == (212, 382, 13)
    )
    assert fp["fingerprints"]["states_generated"] >= 382
    assert main([*args, "--workers", "2"]) == 2  # --workers is the fingerprint walk in N processes
    assert "--workers checks invariants and deadlock only (the fingerprint walk)" in capsys.readouterr().err
    assert main([*args, "--workers", "2", "--no-temporal"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert (two["distinct_states"], two["transitions"], two["fingerprints"]["workers"]) == (212, 382, 2)
    assert two["fingerprints"]["partition"] == "configuration" and two["fingerprints"]["level_imbalance"] >= 0
    assert main([a for a in args if a != "--json"] + ["--workers", "2", "--no-temporal"]) == 0
    text = capsys.readouterr().out
    assert "workers: 2 partitions, states given out by configuration; per level the largest partition held" in text
    assert main([*args[:-1], "-p", "workers=1", "-p", "requests=1", "--workers", "2", "--no-temporal"]) == 0
    assert "workers: 2 partitions, states given out by state fingerprint; per level" in capsys.readouterr().out
    assert main([*args, "--fingerprints"]) == 2
    assert (
        "--fingerprints checks invariants and deadlock only (the fingerprint walk): add --no-temporal"
        in capsys.readouterr().err
    )


class Interrupt:
    """An invariant that presses Ctrl-C once, the first time it meets a state with 2 requests."""

    def __init__(self) -> None:
        self.pressed = False

    def __call__(self, s) -> bool:
        if not self.pressed and s.context["reqCounter"] == 2:
            self.pressed = True
            raise KeyboardInterrupt
        return True


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_leaves_a_checkpoint_and_resume_reaches_the_same_result(tmp_path, workers):
    base = cluster_model(2, 3)
    plain = Model(**{**base.__dict__, "properties": {}})
    press = Interrupt()
    interrupted = check_fingerprints(
        Model(**{**plain.__dict__, "invariants": {**plain.invariants, "ok": press}}), directory=tmp_path, workers=1
    )
    assert press.pressed and not interrupted.complete and interrupted.fingerprints["interrupted"]
    assert "interrupted (Ctrl-C)" in interrupted.stopped_by and interrupted.distinct_states < 2909
    if workers == 2:  # a checkpoint is resumed with the workers it was made with
        with pytest.raises(ConfigError, match="workers 1 there, 2 here"):
            check_fingerprints(plain, directory=tmp_path, workers=2, resume=True)
        return
    resumed = check_fingerprints(plain, directory=tmp_path, resume=True)
    assert summary(resumed) == summary(check_fingerprints(plain)) == summary(check(plain))


def test_a_partitioned_walk_resumed_from_its_checkpoint_finds_the_single_process_traces(tmp_path):
    m = planted(2, 3)
    bounded = check_fingerprints(m, directory=tmp_path, workers=3, bounds=Bounds(max_depth=4))
    assert not bounded.complete and (tmp_path / "ranks-0-4.bin").exists()
    resumed = check_fingerprints(m, directory=tmp_path, workers=3, resume=True)
    assert summary(resumed) == summary(check(m))


def test_a_resume_with_another_model_parameters_partitions_or_more_checks_is_refused(tmp_path):
    m = planted(2, 2)
    check_fingerprints(m, directory=tmp_path, workers=2, deadlock=False, bounds=Bounds(max_depth=3))
    refusals = [
        (planted(2, 3), 2, False, "model 'cluster_update(workers=2, requests=2"),
        (planted(2, 2), 3, False, "workers 2 there, 3 here"),
        (planted(2, 2), 2, True, "deadlock False there, True here"),
        (Model(**{**m.__dict__, "invariants": {**m.invariants, "new": bool}}), 2, False, "invariants ['new'] not"),
        (Model(**{**m.__dict__, "alphabet": m.alphabet[:-1]}), 2, False, "a different alphabet"),
    ]
    for other, workers, deadlock, what in refusals:
        with pytest.raises(ConfigError, match=re.escape(what)):
            check_fingerprints(other, directory=tmp_path, workers=workers, deadlock=deadlock, resume=True)
    fewer = Model(**{**m.__dict__, "invariants": {"fewer than 2 requests": m.invariants["fewer than 2 requests"]}})
    resumed = check_fingerprints(fewer, directory=tmp_path, workers=2, deadlock=False, resume=True)
    assert resumed.complete and not resumed.result("fewer than 2 requests").holds  # checking less is sound


def test_a_resume_with_another_partition_scheme_is_refused(monkeypatch, tmp_path):
    from statecharts.check import fingerprints

    m = planted(2, 2)
    monkeypatch.setattr(fingerprints, "CONFIGURATIONS_PER_PART", 10_000)  # by state fingerprint
    check_fingerprints(m, directory=tmp_path, workers=2, bounds=Bounds(max_depth=3))
    monkeypatch.undo()  # by configuration: the owners of the stored states would not be theirs
    with pytest.raises(ConfigError, match="partition 'state' there, 'configuration' here"):
        check_fingerprints(m, directory=tmp_path, workers=2, resume=True)


def test_check_resume_continues_a_checkpointed_walk(capsys, tmp_path):
    from statecharts.cli import main

    args = ["check", "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--no-temporal", "--json"]
    assert main([*args, "--checkpoint", str(tmp_path / "run"), "--max-depth", "5"]) == 0
    bounded = json.loads(capsys.readouterr().out)
    assert not bounded["complete"] and (tmp_path / "run" / "checkpoint.json").exists()
    assert main([*args, "--resume", str(tmp_path / "run")]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert (resumed["distinct_states"], resumed["transitions"], resumed["complete"]) == (212, 382, True)
    assert main([*args, "--resume", str(tmp_path / "nothing")]) == 2
    assert "no readable checkpoint.json" in capsys.readouterr().err


def test_check_checkpoint_refuses_a_folder_that_holds_a_checkpoint_already(capsys, tmp_path):
    from statecharts.cli import main

    args = ["check", "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--no-temporal"]
    assert main([*args, "--checkpoint", str(tmp_path / "run"), "--max-depth", "5"]) == 0
    saved = (tmp_path / "run" / "checkpoint.json").read_text()
    capsys.readouterr()
    assert main([*args, "-p", "lock=false", "--checkpoint", str(tmp_path / "run")]) == 2
    out, err = capsys.readouterr()
    assert not out and f"--checkpoint {tmp_path / 'run'}: the folder holds a checkpoint already" in err
    assert f"continue that walk with --resume {tmp_path / 'run'}" in err
    assert (tmp_path / "run" / "checkpoint.json").read_text() == saved


@pytest.mark.parametrize("workers", [1, 2])
def test_a_step_that_raised_is_violated_no_step_raises_in_the_fingerprint_walk_as_in_the_full_walk(workers):
    def sensor(context, event):
        raise RuntimeError("no sensor")

    m = Machine(
        {
            "id": "m",
            "initial": "a",
            "states": {
                "a": {"on": {"GO": {"target": "b", "guard": sensor}, "NEXT": "c"}},
                "b": {},
                "c": {"on": {"GO": "a"}},
            },
        }
    )
    model = Model(m, alphabet=events("GO") + events("NEXT"), terminal=lambda s: True)
    full, fp = check(model), check_fingerprints(model, workers=workers)
    assert summary(fp) == summary(full)
    raised = fp.result("no step raises")
    assert not raised.holds and "2 steps raised" not in raised.note and "RuntimeError: no sensor" in raised.note
    assert [step.event.name if step.event else None for step in raised.trace.steps] == [None, "GO"]


def test_the_collision_probability_is_tlcs_estimate_in_the_text_and_json_reports(capsys):
    from statecharts.cli import main

    args = ["check", "machines.cluster_update", "-p", "workers=2", "-p", "requests=2", "--no-temporal"]
    assert main([*args, "--fingerprints", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["fingerprints"]
    n, g = 212, figures["states_generated"]
    assert g > n and figures["collision_probability"] == float(f"{n * (g - n) / 2**64:.2g}") > 0
    assert main([*args, "--fingerprints"]) == 0
    text = capsys.readouterr().out
    assert f"probability of a fingerprint collision {figures['collision_probability']:.2g}" in text
    assert f"{g:,} states generated" in text


def one_configuration_lattice(size: int) -> Model:
    """A chart with 196 configurations (partitioned by configuration up to 3 workers) whose walk stays in one:
    every state has the same owner. Three counters stepped up to ``size`` make levels of up to
    hundreds of states; an invariant breaks at depth 2 * size, and the corner deadlocks."""
    counters = ("x", "y", "z")
    fourteen = {f"s{n}": {} for n in range(14)}
    machine = Machine(
        {
            "id": "lattice",
            "type": "parallel",
            "context": {c: 0 for c in counters},
            "states": {
                "a": {"initial": "s0", "states": fourteen},
                "b": {"initial": "s0", "states": fourteen},
                "count": {
                    "on": {
                        f"INC_{c.upper()}": {
                            "guard": lambda ctx, e, c=c: ctx[c] < size,
                            "actions": assign(**{c: lambda ctx, e, c=c: ctx[c] + 1}),
                        }
                        for c in counters
                    }
                },
            },
        }
    )
    return Model(
        machine,
        alphabet=events("INC_X") + events("INC_Y") + events("INC_Z"),
        invariants={"below the diagonal": lambda s: s.context["x"] + s.context["y"] < 2 * size},
    )


@pytest.mark.parametrize("workers", [2, 3])
def test_a_level_one_partition_owns_is_expanded_by_every_worker_with_the_single_process_result(
    monkeypatch, tmp_path, workers
):
    """Work sharing: a partition with more than its share of a slice lends the rest to the others,
    which expand them and send the successors to their owners; the parent links, and so the
    traces, stay those of the single-process walk."""
    from statecharts.check import fingerprints

    m = one_configuration_lattice(9)
    assert partition_scheme(m.machine, workers) == "configuration"
    monkeypatch.setattr(fingerprints, "SLICE", 4)  # levels of up to 75 states: many slices each
    monkeypatch.setattr(fingerprints, "SHARE_LEAST", 1)
    real, log = fingerprints._dispatch, tmp_path / "expanded"

    def dispatch(partition, method, args):
        answer = real(partition, method, args)
        if method == "expand":
            with open(log, "a") as out:
                out.write(f"{partition.part} {answer.expanded}\n")
        return answer

    monkeypatch.setattr(fingerprints, "_dispatch", dispatch)  # in each forked worker: (partition, states) a slice
    shared = check_fingerprints(m, workers=workers)
    expanded = [tuple(int(n) for n in line.split()) for line in log.read_text().splitlines()]
    one = check_fingerprints(m, workers=1)
    assert summary(shared) == summary(one) == summary(check(m, temporal=False))
    assert one.distinct_states == 1000 and not one.result("below the diagonal").holds
    assert not one.result("deadlock").holds and one.result("deadlock").trace.steps[-1].snapshot.context == {
        "x": 9,
        "y": 9,
        "z": 9,
    }
    assert shared.fingerprints["level_imbalance"] == workers - 1  # one partition holds every level
    # every worker expanded states (all of them another partition's but for the owner's)
    assert {part for part, n in expanded if n} == set(range(workers))
    assert 0 < shared.fingerprints["states_shared"] < 1000
    assert sum(n for _, n in expanded) == 1000
