"""Load on a served machine: N concurrent clients x M events against one `python -m statecharts serve`
process (SQLite store) on loopback; exactly-once and exact final contexts are checked, then p50/p99
latency and requests per second printed.

    python3 benchmarks/bench_serve.py --clients 50 --events 200

The server runs in its own process (started and stopped here), so the clients (asyncio streams,
one keep-alive connection each, in this process) do not share its interpreter lock. ``--sync each``
runs the server with one fsync per commit instead of group commit, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statecharts.serve.load import drive  # noqa: E402
from statecharts.serve.server import serving_process  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--retry", type=int, default=10, help="re-send every Nth key (0: never)")
    parser.add_argument(
        "--sync",
        choices=("group", "each"),
        default="group",
        help="the server's --sync: one fsync shared by concurrent requests, or one per commit",
    )
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-serve-")
    store = os.path.join(folder, "serve.db")
    with serving_process("machines.counter", "--store", store, "--sync", args.sync) as url:
        load = asyncio.run(drive(url, args.clients, args.events, retry=args.retry))
    print(f"--sync {args.sync}: {load.summary()}")
    problems = load.problems()
    for problem in problems[:10]:
        print("PROBLEM:", problem)
    print("exactly once, final contexts exact" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
