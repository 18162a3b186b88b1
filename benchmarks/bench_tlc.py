"""The walker against TLC on UpdateCluster.tla, side by side in one run.

    python3 benchmarks/bench_tlc.py                                  # 2x3, 3x3, 3x4
    python3 benchmarks/bench_tlc.py --sizes 3x5,5x5 --liveness 3x5 --baseline
    python3 benchmarks/bench_tlc.py --sizes 3x5,5x5 --liveness "" --no-tlc2 --one-core

For each size: distinct states (which must be equal), and seconds for a complete check of the
invariants (TLC's time is wall-clock including JVM start-up, with 1 and 2 TLC workers), then the
liveness properties that hold under the spec's fairness. Ours runs in a child process each time,
which reports its own peak resident memory (ru_maxrss). ``--baseline`` also runs ours with
Python's cyclic garbage collector left on during the walk (the walker pauses it), in the same
run, to show what the pause buys.

Both sides check the same invariants, the spec's three (``INVARIANTS``). Ours also checks for
deadlocks (outside the clean end states, `machines.cluster_update.is_clean_end`); TLC runs with
``-deadlock`` (no deadlock check), since the spec's clean end states have no successors. So TLC
does a little less work per state than ours.

TLC with one worker still runs its parallel collector and JIT compiler on other cores, so its CPU
seconds exceed its wall seconds on a machine with more than one. ``--one-core`` pins both sides
to a single CPU, the literal "one core" comparison; the CPU columns compare the work either way.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.models.tlc_runner import run_tlc  # noqa: E402

LIVE = ("NoPartialUpdateTermination", "EveryReqIsProcessed", "EveryReqIsDecided")
# the three invariants ours checks (the spec's two [] requirements as state predicates, UCCheck in tlc_runner)
INVARIANTS = ("TypeInvariants", "NoConcurrentUpdateInv", "NoConcurrentUpdateWInv")

CHILD = """
import contextlib, json, resource, sys, time
sys.path.insert(0, {root!r})
from machines.cluster_update import model
from statecharts.check import check, graph
if {collector_on!r}:
    graph.collector_paused = contextlib.nullcontext
m = model({workers}, {requests})
if {live!r}:
    m = type(m)(**{{**m.__dict__, "properties": {{k: v for k, v in m.properties.items() if k in {live!r}}}}})
start = time.perf_counter()
report = check(m, temporal={temporal!r}, compact={compact!r})
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"states": report.distinct_states, "seconds": seconds, "ok": report.ok,
                  "cpu": usage.ru_utime + usage.ru_stime,
                  "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def ours(
    workers: int, requests: int, *, live: tuple[str, ...] = (), collector_on: bool = False, compact: bool = False
) -> dict:
    code = CHILD.format(
        root=str(ROOT),
        workers=workers,
        requests=requests,
        live=live,
        temporal=bool(live),
        collector_on=collector_on,
        compact=compact,
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def tlc(workers: int, requests: int, **kwargs: Any) -> tuple[Any, float]:
    """TLC's result and the CPU seconds its JVM used (all its threads: compiler, collector, workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_tlc(workers, requests, timeout=3600, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def sizes(text: str) -> list[tuple[int, int]]:
    return [(int(w), int(r)) for w, r in (part.split("x") for part in text.split(",") if part)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2x3,3x3,3x4", help="workers x requests for the invariants")
    parser.add_argument("--liveness", default="2x3,3x3", help="sizes for the liveness check")
    parser.add_argument("--baseline", action="store_true", help="also run ours with the collector on")
    parser.add_argument("--no-tlc2", action="store_true", help="skip TLC with 2 workers")
    parser.add_argument("--compact", action="store_true", help="ours with the compact state graph (check --compact)")
    parser.add_argument(
        "--one-core",
        action="store_true",
        help="pin both sides to one CPU: TLC's collector and JIT compiler then share its worker's core",
    )
    args = parser.parse_args()
    if args.one_core and not hasattr(os, "sched_setaffinity"):
        parser.error("--one-core needs os.sched_setaffinity (Linux); this system has none")
    if args.one_core:  # the children (ours, TLC's JVM) inherit the affinity; the JVM sizes its threads by it
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"both sides pinned to CPU {cpu}")
    if run_tlc(1, 1) is None:
        print("TLC cannot run here (no java, or tla2tools.jar could not be fetched): skipped")
        return 0
    print(
        f"{'size':<5} {'what':<12} {'ours':>9} {'TLC':>9}  {'ours s':>7} {'MB':>6} {'TLC s (1w)':>10} "
        f"{'TLC s (2w)':>10}  {'TLC/ours':>8}  {'gc on s':>7}  {'CPU s ours / TLC 1w':>20}"
    )
    for workers, requests in sizes(args.sizes):
        mine = ours(workers, requests, compact=args.compact)
        one, one_cpu = tlc(workers, requests, invariants=INVARIANTS)
        two = None if args.no_tlc2 else run_tlc(workers, requests, invariants=INVARIANTS, tlc_workers=2, timeout=3600)
        base = ours(workers, requests, collector_on=True) if args.baseline else None
        assert one is not None
        same = "" if mine["states"] == one.distinct_states else "  DIFFERENT"
        print(
            f"{workers}x{requests:<3} {'invariants':<12} {mine['states']:>9} {one.distinct_states:>9}  "
            f"{mine['seconds']:>7.2f} {mine['mb']:>6.0f} {one.seconds:>10.2f} "
            f"{two.seconds if two else float('nan'):>10.2f}  {one.seconds / mine['seconds']:>7.2f}x  "
            f"{base['seconds'] if base else float('nan'):>7.2f}  {mine['cpu']:>9.1f} / {one_cpu:<8.1f}{same}",
            flush=True,
        )
    for workers, requests in sizes(args.liveness):
        mine = ours(workers, requests, live=LIVE, compact=args.compact)
        theirs, theirs_cpu = tlc(workers, requests, invariants=INVARIANTS, properties=LIVE)
        base = ours(workers, requests, live=LIVE, collector_on=True) if args.baseline else None
        assert theirs is not None
        verdict = (
            "all hold"
            if mine["ok"] and not theirs.violated
            else f"ours ok={mine['ok']}, TLC violated={theirs.violated}"
        )
        same = "" if mine["states"] == theirs.distinct_states else "  DIFFERENT"
        print(
            f"{workers}x{requests:<3} {'liveness':<12} {mine['states']:>9} {theirs.distinct_states:>9}  "
            f"{mine['seconds']:>7.2f} {mine['mb']:>6.0f} {theirs.seconds:>10.2f} {'':>10}  "
            f"{theirs.seconds / mine['seconds']:>7.2f}x  {base['seconds'] if base else float('nan'):>7.2f}  "
            f"{mine['cpu']:>9.1f} / {theirs_cpu:<8.1f}  {verdict}{same}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
