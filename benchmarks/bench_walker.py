"""The walker's speed and memory, side by side with xstate/graph in one run.

    python3 benchmarks/bench_walker.py            # everything (node part skipped without node)
    python3 benchmarks/bench_walker.py --no-node

1. The bounded counter pair (two counters 0..50, INC/DEC each: 2,601 states): our walker's
   breadth-first exploration (which yields a shortest path to every state) against xstate/graph's
   ``getShortestPaths`` on the same machine, in states per second. Target: at least 3x xstate.
2. The cluster-update machine (machines/cluster_update.py): a complete check of every invariant
   (and deadlock) at 3 workers x 3 and x 4 requests, and the full check with the temporal
   properties; target: 3 x 4 invariants in under 5 s on one core. Memory per stored state is
   measured with tracemalloc in a separate run (tracing slows the walk down).
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machines.cluster_update import model as cluster_model  # noqa: E402
from statecharts import Machine, assign  # noqa: E402
from statecharts.check import Model, check, events, explore  # noqa: E402

XSTATE_DIR = Path(__file__).resolve().parent / "xstate"


def counter_pair(top: int = 50) -> Model:
    """Two bounded counters, as in xstate/graph's examples."""
    machine = Machine(
        {
            "id": "counters",
            "context": {"a": 0, "b": 0},
            "on": {
                "INC_A": {"guard": "a_below", "actions": "inc_a"},
                "DEC_A": {"guard": "a_above", "actions": "dec_a"},
                "INC_B": {"guard": "b_below", "actions": "inc_b"},
                "DEC_B": {"guard": "b_above", "actions": "dec_b"},
            },
        },
        guards={
            "a_below": lambda c, e: c["a"] < top,
            "a_above": lambda c, e: c["a"] > 0,
            "b_below": lambda c, e: c["b"] < top,
            "b_above": lambda c, e: c["b"] > 0,
        },
        actions={
            "inc_a": assign(a=lambda c, e: c["a"] + 1),
            "dec_a": assign(a=lambda c, e: c["a"] - 1),
            "inc_b": assign(b=lambda c, e: c["b"] + 1),
            "dec_b": assign(b=lambda c, e: c["b"] - 1),
        },
    )
    return Model(
        machine,
        alphabet=events("INC_A") + events("DEC_A") + events("INC_B") + events("DEC_B"),
        name=f"counter pair 0..{top}",
    )


def best_of(repeat: int, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def xstate_graph(top: int, repeat: int) -> dict | None:
    if shutil.which("node") is None:
        print("  xstate/graph: skipped (node not found)")
        return None
    if not (XSTATE_DIR / "node_modules" / "@xstate" / "graph").exists():
        try:
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--silent"],
                cwd=XSTATE_DIR,
                check=True,
                timeout=300,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"  xstate/graph: skipped (npm install failed: {exc})")
            return None
    done = subprocess.run(
        ["node", "graph_bench.mjs", str(top), str(repeat)], cwd=XSTATE_DIR, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        print(f"  xstate/graph: failed: {done.stderr.strip()[:300]}")
        return None
    return json.loads(done.stdout)


def memory_per_state(model: Model) -> tuple[int, float]:
    gc.collect()
    tracemalloc.start()
    graph = explore(model)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(graph.states), current / len(graph.states)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the counter pair")
    parser.add_argument("--no-node", action="store_true")
    args = parser.parse_args()

    print(
        f"1. bounded counter pair 0..50 (2,601 states): shortest paths to every state; {args.rounds} rounds, "
        f"ours then xstate in each (the machine is shared: interleaving keeps a busy moment from favouring "
        f"one side), best of {args.repeat} per side and round"
    )
    first_s, _ = best_of(1, lambda: explore(counter_pair(50)))
    ours_best, peer_best, peer_first, states = float("inf"), float("inf"), None, 0
    for round_ in range(1, args.rounds + 1):
        ours_s, graph = best_of(args.repeat, lambda: explore(counter_pair(50)))
        states = len(graph.states)
        ours_best = min(ours_best, ours_s)
        line = f"  round {round_}: ours {ours_s:.3f} s"
        peer = None if args.no_node else xstate_graph(50, args.repeat)
        if peer is not None:
            if peer_first is None:
                peer_first = peer["first"]
            peer_best = min(peer_best, peer["seconds"])
            line += f", xstate/graph {peer['seconds']:.3f} s ({peer['states']} states): {peer['seconds'] / ours_s:.1f}x"
        print(line)
    print(
        f"  ours  explore:                 {states:>6} states, first {first_s:.3f} s, best {ours_best:.3f} s "
        f"= {states / ours_best:>9,.0f} states/s"
    )
    if peer_first is not None:
        print(
            f"  xstate/graph getShortestPaths: {states:>6} states, first {peer_first:.3f} s, "
            f"best {peer_best:.3f} s = {states / peer_best:>9,.0f} states/s"
        )
        print(
            f"  ratio ours / xstate: first runs {peer_first / first_s:.1f}x, best runs "
            f"{peer_best / ours_best:.1f}x (target >= 3x)"
        )

    print("\n2. cluster-update machine (UpdateCluster.tla)")
    print(
        f"  {'size':<6} {'what':<22} {'states':>8} {'transitions':>12} {'depth':>6} {'seconds':>8} "
        f"{'states/s':>10}  verdicts"
    )
    for workers, requests in ((3, 3), (3, 4)):
        for label, kwargs in (("invariants+deadlock", {"temporal": False}), ("all properties", {})):
            seconds, report = best_of(
                1 if (workers, requests) == (3, 4) else args.repeat,
                lambda w=workers, r=requests, k=kwargs: check(cluster_model(w, r), **k),
            )
            verdicts = ", ".join(f"{r.name}={'ok' if r.holds else 'FAIL'}" for r in report.results)
            print(
                f"  {workers}x{requests:<4} {label:<22} {report.distinct_states:>8} {report.transitions:>12} "
                f"{report.depth:>6} {seconds:>8.2f} {report.distinct_states / seconds:>10,.0f}  {verdicts}"
            )
    for workers, requests in ((3, 3), (3, 4)):
        states, per_state = memory_per_state(cluster_model(workers, requests))
        print(
            f"  {workers}x{requests} memory: {per_state:,.0f} bytes per stored state "
            f"({states} states, graph and snapshots, tracemalloc)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
