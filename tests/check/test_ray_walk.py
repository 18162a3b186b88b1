"""The fingerprint walk on a Ray cluster (three nodes on loopback, started once for the module)
finds what the single-process walk finds: the same states, steps, depth, verdicts and traces,
step for step; interrupted and resumed from its checkpoint, it reaches the same result."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from machines.cluster_update import model as cluster_model
from statecharts import Machine
from statecharts.check import Bounds, Model, check, events
from statecharts.check.portable import digest
from statecharts.errors import ConfigError
from tests.check.interrupting import interrupt_at_level

pytestmark = pytest.mark.slow  # a three-node Ray cluster starts for the module

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # Ray's switch to bind every node to 127.0.0.1
NODE = {"num_cpus": 1, "object_store_memory": 80 * 2**20}


@pytest.fixture(scope="module")
def cluster():
    """A head and two worker nodes of one CPU each on 127.0.0.1; this process connected to it."""
    saved = {key: os.environ.get(key) for key in LOOPBACK}
    os.environ.update(LOOPBACK)  # before Ray is imported: it reads the switch then
    try:
        try:
            import ray
            from ray.cluster_utils import Cluster
        except ImportError:
            pytest.skip("Ray is not installed: pip install 'statecharts[ray]' (or bash .ci/install.d/ray.sh)")
        started = time.monotonic()
        nodes = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
        try:
            for _ in range(2):
                nodes.add_node(**NODE)
            nodes.wait_for_nodes(timeout=90)
            assert time.monotonic() - started < 120, "the local Ray cluster took over two minutes to start"
            ray.init(address=nodes.address, log_to_driver=False)
            assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}, ray.nodes()
            yield nodes.address
        finally:
            gc.collect()  # the tests' object references die while Ray's core worker still runs
            ray.shutdown()
            nodes.shutdown()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def verdicts(report):
    return (
        report.distinct_states,
        report.transitions,
        report.depth,
        report.complete,
        [(r.name, r.holds, r.trace and len(r.trace)) for r in report.results],
    )


def steps(report):
    """The verdicts with each trace step for step."""
    return [(r.name, r.holds, r.trace and [(s.event, s.snapshot) for s in r.trace.steps]) for r in report.results]


def assert_real_steps(model, trace):
    steps = zip(trace, trace[1:], strict=False)
    assert all(model.machine.transition(a.snapshot, b.event) == b.snapshot for a, b in steps)
    assert trace[0].snapshot in model.initial_states()


def broken_update_cluster(workers: int, requests: int) -> Model:
    base = cluster_model(workers, requests)
    return Model(
        **{
            **base.__dict__,
            "properties": {},
            "invariants": {**base.invariants, "fewer than 2 requests": lambda s: s.context["reqCounter"] < 2},
        }
    )


@pytest.mark.parametrize("size", [(2, 2), (2, 3)])
def test_the_ray_walk_finds_the_single_process_counts_verdicts_and_shortest_traces(cluster, size):
    from statecharts.check.ray_walk import check_ray

    m = broken_update_cluster(*size)
    one, spread = check(m), check_ray(m)
    assert verdicts(spread) == verdicts(one)
    assert steps(spread) == steps(one)  # the trace one process records, not only one as short
    trace = spread.result("fewer than 2 requests").trace
    assert_real_steps(m, trace)
    assert len(trace) == 3 and trace[-1].snapshot.context["reqCounter"] == 2
    ray = spread.fingerprints["ray"]
    assert (ray["nodes"], ray["partitions"]) == (3, 3)
    assert spread.fingerprints["partition"] == "configuration"  # owners by a digest of the state ids, on every node
    assert (
        0
        < ray["bytes_between_nodes"]
        <= ray["bytes_between_partitions"]
        == spread.fingerprints["bytes_sent_between_workers"]
    )


def test_without_the_lock_the_ray_walk_finds_the_single_process_counterexample_step_for_step(cluster):
    from statecharts.check.ray_walk import check_ray

    m = Model(**{**cluster_model(2, 3, lock=False).__dict__, "properties": {}})
    one, spread = check(m, max_depth=10), check_ray(m, bounds=Bounds(max_depth=10))
    assert not one.result("NoConcurrentUpdateW").holds
    assert (verdicts(spread), steps(spread)) == (verdicts(one), steps(one))


def test_a_ray_walk_resumed_from_its_checkpoint_reaches_the_single_process_result(cluster, tmp_path):
    from statecharts.check.ray_walk import check_ray

    m = broken_update_cluster(2, 3)
    bounded = check_ray(m, directory=tmp_path / "run", bounds=Bounds(max_depth=4))
    assert not bounded.complete and json.loads((tmp_path / "run" / "checkpoint.json").read_text())["depth"] == 4
    assert {p.name for p in (tmp_path / "run").glob("states-*-4.pkl")} == {f"states-{n}-4.pkl" for n in range(3)}
    with pytest.raises(ConfigError, match="workers 3 there, 2 here"):
        check_ray(m, workers=2, directory=tmp_path / "run", resume=True)
    with pytest.raises(
        ConfigError, match=r"model 'cluster_update\(workers=2, requests=3.* there, 'cluster_update\(workers=3"
    ):
        check_ray(broken_update_cluster(3, 3), directory=tmp_path / "run", resume=True)
    resumed = check_ray(m, directory=tmp_path / "run", resume=True)  # three partitions, as checkpointed
    one = check(m)
    assert (verdicts(resumed), steps(resumed)) == (verdicts(one), steps(one))
    assert resumed.fingerprints["ray"]["nodes"] == 3


def test_a_ray_walk_resumed_from_a_checkpoint_within_a_level_reaches_the_single_process_result(
    cluster, tmp_path, monkeypatch
):
    from statecharts.check import fingerprints
    from statecharts.check.ray_walk import check_ray

    monkeypatch.setattr(fingerprints, "SLICE", 16)  # the driver's: 48 states a slice in three partitions
    m, run, saved = broken_update_cluster(2, 3), tmp_path / "run", []
    real = fingerprints.save_checkpoint

    def save(folder: Path, progress: dict, durable: bool) -> None:
        saved.append(json.loads(json.dumps(progress)))
        real(folder, progress, durable)

    monkeypatch.setattr(fingerprints, "save_checkpoint", save)
    check_ray(m, directory=run, checkpoint_every=0.0)  # a checkpoint after every slice
    real(run, next(c for c in saved if c["depth"] == 8 and c.get("level", {}).get("upto", 0) > 48))
    resumed, one = check_ray(m, directory=run, resume=True), check(m)
    assert (verdicts(resumed), steps(resumed)) == (verdicts(one), steps(one))


def test_the_ray_walk_finds_the_same_deadlock_and_raising_step_as_one_process(cluster):
    from statecharts.check.ray_walk import check_ray

    def sensor(context, event):
        raise RuntimeError("no sensor")

    stuck = Machine(
        {
            "id": "stuck",
            "initial": "a",
            "context": {"n": None},
            "states": {
                "a": {"on": {"GO": "b", "SKIP": "c", "PROBE": {"target": "d", "guard": sensor}}},
                "b": {"on": {"GO": "c"}},
                "c": {"on": {"BACK": "a"}},
                "d": {},
            },
        }
    )
    m = Model(
        stuck,
        alphabet=events("GO") + events("SKIP") + events("BACK") + events("PROBE"),
        action_constraint=lambda s, e, t: e.name != "BACK",
    )
    one, spread = check(m), check_ray(m, workers=2)
    assert verdicts(spread) == verdicts(one)
    assert [step.snapshot.value for step in spread.result("deadlock").trace] == ["a", "c"]
    assert "RuntimeError: no sensor" in spread.result("no step raises").note


def test_check_ray_on_the_command_line_reports_the_single_process_counts(cluster):
    env = {**os.environ, **LOOPBACK, "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable,
        "-m",
        "statecharts",
        "check",
        "machines.cluster_update",
        "-p",
        "workers=2",
        "-p",
        "requests=2",
        "--no-temporal",
        "--json",
    ]
    done = subprocess.run([*args, "--ray", cluster], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    spread = json.loads(done.stdout)
    assert (spread["distinct_states"], spread["transitions"], spread["depth"]) == (212, 382, 13)
    assert spread["fingerprints"]["ray"]["nodes"] == 3 and spread["fingerprints"]["ray"]["bytes_per_state"] > 0
    refused = subprocess.run(  # a resume from a folder without a checkpoint
        [*args, "--ray", cluster, "--resume", str(ROOT / "tests")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "no readable checkpoint.json" in refused.stderr


def test_ctrl_c_during_a_ray_walk_prints_the_partial_report(cluster, tmp_path):
    env = {**os.environ, **LOOPBACK, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}  # the driver's level folder
    command = [
        sys.executable,
        "-m",
        "statecharts",
        "check",
        "machines.cluster_update",
        "-p",
        "workers=3",
        "-p",
        "requests=4",
        "--no-temporal",
        "--json",
        "--ray",
        cluster,
    ]
    walk = interrupt_at_level(command, ROOT, lambda: tmp_path.glob("*/checkpoint.json"), env=env)
    assert walk.returncode == 130 and "Traceback" not in walk.stderr, walk.stderr
    partial = json.loads(walk.stdout)
    assert not partial["complete"] and partial["fingerprints"]["interrupted"]
    assert 0 < partial["distinct_states"] < 65_970 and "no checkpoint kept" in partial["stopped_by"]


def test_ctrl_c_during_a_checkpointed_ray_walk_and_resume_reach_the_single_process_counts(cluster, tmp_path):
    env = {**os.environ, **LOOPBACK, "PYTHONPATH": str(ROOT)}
    run = tmp_path / "run"
    command = [sys.executable, "-m", "statecharts", "check", "machines.cluster_update", "-p", "workers=3"]
    command += ["-p", "requests=4", "--no-temporal", "--json", "--ray", cluster]
    walk = interrupt_at_level([*command, "--checkpoint", str(run)], ROOT, lambda: [run / "checkpoint.json"], env=env)
    assert walk.returncode == 130 and "Traceback" not in walk.stderr, walk.stderr
    partial = json.loads(walk.stdout)
    assert partial["fingerprints"]["interrupted"]
    assert f"the checkpoint in {run} is {partial['fingerprints']['checkpoint']}" in partial["stopped_by"]
    saved = json.loads((run / "checkpoint.json").read_text())
    assert 3 <= saved["depth"] < 9, saved["depth"]
    if "level" in saved:  # Ctrl-C within a level of more than a slice (6,144 states in three partitions)
        assert partial["fingerprints"]["checkpoint"].startswith(f"within level {saved['depth']}: ")
    bad = subprocess.run(
        [*command, "--workers", "2", "--resume", str(run)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "workers 3 there, 2 here" in bad.stderr, bad.stderr
    done = subprocess.run(
        [*command, "--resume", str(run), "--max-depth", "9"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    resumed, one = (
        json.loads(done.stdout),
        check(Model(**{**cluster_model(3, 4).__dict__, "properties": {}}), max_depth=9),
    )
    assert (resumed["distinct_states"], resumed["transitions"], resumed["depth"]) == (
        one.distinct_states,
        one.transitions,
        one.depth,
    )
    verdicts_there = [(r["name"], r["verdict"]) for r in one.to_json()["results"]]
    assert [(r["name"], r["verdict"]) for r in resumed["results"]] == verdicts_there


def test_without_ray_the_ray_flag_says_how_to_install_it(monkeypatch, capsys):
    from statecharts.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert (
        main(
            [
                "check",
                "machines.cluster_update",
                "-p",
                "workers=1",
                "-p",
                "requests=1",
                "--no-temporal",
                "--ray",
                "auto",
            ]
        )
        == 2
    )
    assert "pip install 'statecharts[ray]'" in capsys.readouterr().err


def test_an_address_nothing_answers_on_is_a_clear_error_at_once_not_a_wait(capsys):
    pytest.importorskip("ray", reason="pip install 'statecharts[ray]' (or bash .ci/install.d/ray.sh)")
    from statecharts.cli import main

    started = time.monotonic()
    assert main(["check", "machines.fetch", "--ray", "127.0.0.1:1"]) == 2
    assert "cannot reach the Ray cluster at '127.0.0.1:1'" in capsys.readouterr().err
    assert time.monotonic() - started < 30  # Ray itself would wait about a minute, then retry


def test_auto_with_a_cluster_that_has_gone_is_a_clear_error_at_once_not_minutes_of_retries():
    pytest.importorskip("ray", reason="pip install 'statecharts[ray]' (or bash .ci/install.d/ray.sh)")
    import socket

    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # "auto" is RAY_ADDRESS, else the cluster `ray start` started last (a file in Ray's temporary
    # folder, which a cluster some other process runs on this machine overrides): RAY_ADDRESS here
    env = {**os.environ, "RAY_ADDRESS": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "statecharts", "check", "machines.fetch", "--no-temporal", "--ray", "auto"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 2, done.stderr
    # Ray names this machine's own address for 127.0.0.1: the port is the one given
    assert re.search(
        rf"cannot reach the Ray cluster at '[^']+:{port}' \(auto: RAY_ADDRESS, or the cluster", done.stderr
    )
    assert "`ray start --head`" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 60


def test_state_fingerprints_are_the_same_in_another_process():
    m = broken_update_cluster(1, 1)
    states = [m.machine.transition(s, "SUBMIT", r=1) for s in m.initial_states()]
    keys = [
        (tuple(sorted(n.id for n in s.configuration_nodes)), s.history, s.pending, s.status, tuple(s.context.values()))
        for s in states
    ]
    here = [digest(key) for key in keys]
    code = (
        "import sys; from statecharts.check.portable import digest; keys = eval(sys.stdin.read()); "
        "print([digest(k) for k in keys])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        input=repr(keys),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONHASHSEED": "random"},
    )
    assert there.returncode == 0, there.stderr
    assert json.loads(there.stdout) == here and len(set(here)) == len(here)
