"""The Ray walk's cost per state: a local cluster (a head and two worker nodes of one CPU each, on
127.0.0.1), UpdateCluster at the given sizes, side by side with the fingerprint walk in this
process (same counts asserted).

    python3 benchmarks/bench_ray.py --sizes 2x3 3x3 3x4

Printed per size: states, seconds (the Ray walk without the cluster's start), and the bytes the
walk serialised per distinct state: outboxes between partitions, the part of it between different
nodes (what crosses the network on a real cluster), the levels' results sent to the driver, and
the levels' orders sent to the driver and their ranks sent back (the single-process BFS order).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # every node on 127.0.0.1

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from machines.cluster_update import model  # noqa: E402
from statecharts.check.fingerprints import check_fingerprints  # noqa: E402
from statecharts.check.ray_walk import check_ray  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["2x3", "3x3", "3x4"], help="workers x requests")
    parser.add_argument("--nodes", type=int, default=3, help="nodes of one CPU each (the head is one)")
    args = parser.parse_args()
    node = {"num_cpus": 1, "object_store_memory": 100 * 2**20}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    try:
        for _ in range(args.nodes - 1):
            cluster.add_node(**node)
        cluster.wait_for_nodes(timeout=120)
        ray.init(address=cluster.address, log_to_driver=False)
        print(f"ray {ray.__version__}, {args.nodes} nodes on 127.0.0.1")
        print(
            "size  states     one process s  ray s   between partitions B/state  between nodes B/state  "
            "to driver B/state  ranking B/state"
        )
        for size in args.sizes:
            workers, requests = (int(n) for n in size.split("x"))
            m = model(workers, requests)
            started = time.perf_counter()
            one = check_fingerprints(m)
            alone = time.perf_counter() - started
            started = time.perf_counter()
            spread = check_ray(m)
            seconds = time.perf_counter() - started
            assert (spread.distinct_states, spread.transitions, spread.ok) == (
                one.distinct_states,
                one.transitions,
                one.ok,
            ), size
            r = spread.fingerprints["ray"] if spread.fingerprints else {}
            n = spread.distinct_states
            print(
                f"{size:5} {n:<10,} {alone:<14.1f} {seconds:<7.1f} {r['bytes_between_partitions'] / n:<27.1f} "
                f"{r['bytes_between_nodes'] / n:<22.1f} {r['bytes_to_driver'] / n:<18.2f} {r['bytes_ranking'] / n:.1f}"
            )
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main()
