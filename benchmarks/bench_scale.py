"""The walk's modes side by side in one run: full state graph (default and compact), fingerprint walk
on 1 and N workers.

    python3 benchmarks/bench_scale.py --size 3x4 --rounds 2 --workers 2

Each run is a child process (so its peak resident memory, ru_maxrss of it and of its workers,
is its own); the modes are interleaved round by round, because the machine is shared. Memory per
state is (peak - the interpreter with the model loaded) / distinct states: ``peak`` is the largest
ru_maxrss of the run's own process and of its workers (one process, not their sum), ``base`` the
process's ru_maxrss after the model is built and its initial states computed, before the walk.

CPU s is the CPU time (user + system) of the run's process and its workers together. For the
``--workers`` walk, "path s" is its critical path in CPU seconds: the driver's own CPU time plus,
for each round of calls the driver makes to all the workers at once (store, expand, receive),
the CPU time of the slowest worker in that round. It is the wall time the walk would take with a
core per process and nothing else running, which a shared machine cannot show; "1 proc CPU s /
path s" is then the speedup over one process on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, resource, sys, tempfile, time
sys.path.insert(0, {root!r})
from machines.cluster_update import model
from statecharts.check import check
from statecharts.check import fingerprints as walk
from statecharts.check.fingerprints import check_fingerprints
log = tempfile.mkdtemp(prefix="bench-scale-")
dispatch = walk._dispatch
def timed(partition, method, args):  # each worker's CPU time per call, in call order
    t0 = time.process_time()
    try:
        return dispatch(partition, method, args)
    finally:
        with open(os.path.join(log, str(partition.part)), "a") as out:
            out.write(f"{{time.process_time() - t0}}\\n")
walk._dispatch = timed
m = model({workers}, {requests})
m.initial_states()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu0 = time.perf_counter(), time.process_time()
if {mode!r} == "full":
    report = check(m, temporal=False)
elif {mode!r} == "compact":
    report = check(m, temporal=False, compact=True)
else:
    report = check_fingerprints(m, workers={parts})
seconds = time.perf_counter() - start
driver = time.process_time() - cpu0
children = resource.getrusage(resource.RUSAGE_CHILDREN)
rounds = [[float(x) for x in open(os.path.join(log, f))] for f in os.listdir(log)] if {parts} > 1 else []
path = driver + sum(max(r) for r in zip(*rounds)) if rounds else driver
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({{"states": report.distinct_states, "transitions": report.transitions, "ok": report.ok,
                  "seconds": seconds, "cpu": driver + children.ru_utime + children.ru_stime, "path": path,
                  "peak_mb": peak / 1024, "base_mb": base / 1024,
                  "bytes_per_state": (peak - base) * 1024 / report.distinct_states,
                  "sent_per_state": (report.fingerprints or {{}}).get("bytes_sent_per_state", 0)}}))
"""


def run(mode: str, workers: int, requests: int, parts: int = 1) -> dict:
    code = CHILD.format(root=str(ROOT), mode=mode, workers=workers, requests=requests, parts=parts)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="3x4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--modes",
        default="full,compact,fingerprints,workers",
        help="which of full, compact, fingerprints (1 process), workers (--workers processes)",
    )
    args = parser.parse_args()
    w, r = (int(x) for x in args.size.split("x"))
    chosen = args.modes.split(",")
    modes = [
        (mode, parts)
        for mode, parts, name in (
            ("full", 1, "full"),
            ("compact", 1, "compact"),
            ("fingerprints", 1, "fingerprints"),
            ("fingerprints", args.workers, "workers"),
        )
        if name in chosen
    ]
    print(f"os.cpu_count() = {os.cpu_count()}")
    print(
        f"{'round':<6} {'mode':<22} {'states':>9} {'transitions':>11} {'seconds':>8} {'CPU s':>6} {'path s':>6} "
        f"{'peak MB':>8} {'B/state':>8} {'sent B/state':>12} {'load before':>11}"
    )
    best: dict[str, float] = {}
    speedups: list[str] = []
    for round_ in range(1, args.rounds + 1):
        one_cpu = None
        for mode, parts in modes:
            label = mode if mode != "fingerprints" else f"fingerprints, {parts} proc"
            load = os.getloadavg()[0]
            out = run(mode, w, r, parts)
            best[label] = min(best.get(label, float("inf")), out["seconds"])
            print(
                f"{round_:<6} {label:<22} {out['states']:>9} {out['transitions']:>11} {out['seconds']:>8.2f} "
                f"{out['cpu']:>6.1f} {out['path']:>6.1f} {out['peak_mb']:>8.0f} {out['bytes_per_state']:>8.0f} "
                f"{out['sent_per_state']:>12.1f} {load:>11.1f}",
                flush=True,
            )
            if mode == "fingerprints" and parts == 1:
                one_cpu = out["cpu"]
            elif mode == "fingerprints" and one_cpu is not None:
                speedups.append(f"round {round_}: {one_cpu / out['path']:.2f}x")
    print(f"best of {args.rounds}: " + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in best.items()))
    if speedups:
        print(f"1 proc CPU s / {args.workers} proc path s: " + ", ".join(speedups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
