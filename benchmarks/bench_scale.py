"""The walk's modes side by side in one run: full state graph (default and compact), fingerprint walk
on 1 and N workers.

    python3 benchmarks/bench_scale.py --size 3x4 --rounds 2 --workers 2

Each run is a child process (so its peak resident memory, ru_maxrss of it and of its workers,
is its own); the modes are interleaved round by round, because the machine is shared. Memory per
state is (peak - the interpreter with the model loaded) / distinct states.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from machines.cluster_update import model
from statecharts.check import check
from statecharts.check.fingerprints import check_fingerprints
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
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({{"states": report.distinct_states, "transitions": report.transitions, "ok": report.ok,
                  "seconds": seconds, "cpu": time.process_time() - cpu0, "peak_mb": peak / 1024, "base_mb": base / 1024,
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
    print(
        f"{'round':<6} {'mode':<22} {'states':>9} {'transitions':>11} {'seconds':>8} {'CPU s':>6} {'peak MB':>8} "
        f"{'B/state':>8} {'sent B/state':>12}"
    )
    best: dict[str, float] = {}
    for round_ in range(1, args.rounds + 1):
        for mode, parts in modes:
            label = mode if mode != "fingerprints" else f"fingerprints, {parts} proc"
            out = run(mode, w, r, parts)
            best[label] = min(best.get(label, float("inf")), out["seconds"])
            print(
                f"{round_:<6} {label:<22} {out['states']:>9} {out['transitions']:>11} {out['seconds']:>8.2f} "
                f"{out['cpu']:>6.1f} {out['peak_mb']:>8.0f} {out['bytes_per_state']:>8.0f} "
                f"{out['sent_per_state']:>12.1f}",
                flush=True,
            )
    print(f"best of {args.rounds}: " + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in best.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
