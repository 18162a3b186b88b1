"""Seconds to compile wide charts: N sibling states, each with a transition to the next.

Compiling must grow linearly with the number of states (issue 23 measured 324 s for 100,000
siblings when every target lookup scanned the siblings). The ratio column compares each size with
the smallest one in the same run: linear growth keeps it near the ratio of the sizes.

    python3 benchmarks/bench_compile.py [--sizes 10000 50000 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from statecharts import Machine  # noqa: E402


def wide_chart(n: int) -> dict[str, Any]:
    """``n`` sibling states in a ring: ``s{i}`` goes to ``s{i+1}`` on ``GO``."""
    return {"id": "m", "initial": "s0", "states": {f"s{i}": {"on": {"GO": f"s{(i + 1) % n}"}} for i in range(n)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000, 100000])
    args = parser.parse_args(argv)
    first: float | None = None
    print(f"{'states':>8} {'compile s':>10} {'ratio':>7}")
    for n in args.sizes:
        config = wide_chart(n)
        start = time.perf_counter()
        machine = Machine(config)
        seconds = time.perf_counter() - start
        assert machine.transition(machine.initial_state(), "GO").value == "s1"
        first = first or seconds
        print(f"{n:>8} {seconds:>10.2f} {seconds / first:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
