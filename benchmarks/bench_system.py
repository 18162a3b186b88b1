"""The actor-system walk's speed and memory: ``check`` of machines/dispatch.py scaled up.

    python3 benchmarks/bench_system.py --workers 3 --jobs 10 --rounds 3 --baseline main
    python3 benchmarks/bench_system.py --full-macrostep          # this tree with the fast path off too

Each walk runs in a child process of its own (so its peak resident memory, ru_maxrss, is its own):
a complete ``check`` of ``machines.dispatch.model(workers, jobs)``, its invariants, deadlock and
the temporal property. Rows: this tree; with ``--full-macrostep`` this tree again with the system
walk's compiled steps off (every actor step the full macrostep); with ``--baseline REV`` the
package at git revision ``REV`` (a ``git archive`` of it). The rows are interleaved: each round
runs every row once, the order alternating, so load from other work falls on all of them alike.
A row reports the median over the rounds of the distinct states, seconds (the whole check, and
its exploration), states per second and peak RSS; ``seconds / this tree`` is the median of the
per-round ratios of its seconds to this tree's (above 1: slower than this tree).
Every row must find the same states and transitions, else the run fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {tree!r})
sys.path.insert(1, {root!r})
from machines.dispatch import model
from statecharts.check.system import check_system
options = {{"compiled": False}} if {full!r} else {{}}
m = model({workers}, {jobs})
start = time.perf_counter()
report = check_system(m, **options)
seconds = time.perf_counter() - start
print(json.dumps({{"states": report.distinct_states, "transitions": report.transitions, "seconds": seconds,
                  "explore": report.phases["explore"], "ok": report.ok,
                  "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_once(tree: Path, workers: int, jobs: int, full: bool) -> dict[str, Any]:
    code = CHILD.format(tree=str(tree), root=str(ROOT), workers=workers, jobs=jobs, full=full)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"the walk in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def archive(revision: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "statecharts"], capture_output=True, check=True)
    (into / "archive.tar").write_bytes(data.stdout)
    with tarfile.open(into / "archive.tar") as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV", help="also run the package at this git revision")
    parser.add_argument("--full-macrostep", action="store_true", help="also run this tree with compiled steps off")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        rows: dict[str, tuple[Path, bool]] = {"this tree": (ROOT, False)}
        if args.full_macrostep:
            rows["this tree, full macrostep"] = (ROOT, True)
        if args.baseline:
            rows[f"baseline {args.baseline}"] = (archive(args.baseline, Path(scratch)), False)
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in rows}
        for r in range(args.rounds):
            order = list(rows) if r % 2 == 0 else list(reversed(rows))
            for name in order:
                tree, full = rows[name]
                out = run_once(tree, args.workers, args.jobs, full)
                results[name].append(out)
                print(f"round {r + 1} {name}: {out['states']:,} states in {out['seconds']:.2f} s, {out['mb']:.0f} MB")
        counts = {(o["states"], o["transitions"], o["ok"]) for runs in results.values() for o in runs}
        if len(counts) != 1:
            raise SystemExit(f"the rows disagree on (states, transitions, ok): {counts}")
        first = next(iter(rows))
        print(
            f"\ndispatch(workers={args.workers}, jobs={args.jobs}): "
            f"{next(iter(counts))[0]:,} states, {args.rounds} rounds"
        )
        print("| row | seconds (check) | seconds (explore) | states/s | peak RSS MB | seconds / this tree |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, runs in results.items():
            seconds = statistics.median(o["seconds"] for o in runs)
            explore = statistics.median(o["explore"] for o in runs)
            rate = statistics.median(o["states"] / o["seconds"] for o in runs)
            mb = statistics.median(o["mb"] for o in runs)
            ratio = statistics.median(o["seconds"] / f["seconds"] for o, f in zip(runs, results[first], strict=True))
            print(f"| {name} | {seconds:.2f} | {explore:.2f} | {rate:,.0f} | {mb:.0f} | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
