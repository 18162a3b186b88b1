"""A model of at least 10^7 states, checked completely: TLC's count, then ours (fingerprint walk).

    python3 benchmarks/bench_big.py --workers 1 --requests 6 --procs 2     # about 1.3e7 states

TLC runs first (1 worker, its own disk-backed fingerprint set), then ours in a child process
with ``check --fingerprints`` (invariants and deadlock), reporting seconds and peak resident
memory (ru_maxrss). The two runs are sequential so that neither slows the other.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.models.tlc_runner import run_tlc  # noqa: E402

CHILD = """
import json, resource, sys, tempfile, time
sys.path.insert(0, {root!r})
from machines.cluster_update import model
from statecharts.check.fingerprints import check_fingerprints
m = model({workers}, {requests})
start = time.perf_counter()
report = check_fingerprints(m, workers={procs})
seconds = time.perf_counter() - start
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"states": report.distinct_states, "transitions": report.transitions, "depth": report.depth,
                  "seconds": seconds, "ok": report.ok, "fingerprints": report.fingerprints,
                  "cpu": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
                  "mb": max(own.ru_maxrss, kids.ru_maxrss) / 1024}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--procs", type=int, default=1, help="processes of the fingerprint walk")
    parser.add_argument("--no-tlc", action="store_true")
    args = parser.parse_args()
    if not args.no_tlc:
        tlc = run_tlc(args.workers, args.requests, timeout=7200)
        if tlc is None:
            print("TLC cannot run here: skipped")
        else:
            print(
                f"TLC 1 worker: {tlc.distinct_states:,} distinct states, {tlc.states_generated:,} generated, "
                f"depth {tlc.depth}, {tlc.seconds:.0f} s, violated={tlc.violated}",
                flush=True,
            )
    code = CHILD.format(root=str(ROOT), workers=args.workers, requests=args.requests, procs=args.procs)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-2000:])
        return 1
    ours = json.loads(done.stdout)
    print(
        f"ours --fingerprints: {ours['states']:,} distinct states, {ours['transitions']:,} transitions, depth "
        f"{ours['depth']}, {ours['seconds']:.0f} s wall, {ours['cpu']:.0f} CPU s, peak "
        f"{ours['mb']:,.0f} MB per process ({ours['mb'] * 2**20 / ours['states']:.0f} bytes a state), "
        f"ok={ours['ok']}, "
        f"{json.dumps(ours['fingerprints'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
