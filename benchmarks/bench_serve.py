"""Load on a served machine: N concurrent clients x M events against one `python -m statecharts serve`
process (SQLite store) on loopback; exactly-once and exact final contexts are checked, then p50/p99
latency and requests per second printed.

    python3 benchmarks/bench_serve.py --clients 50 --events 200

The server runs in its own process (started and stopped here), so the clients (httpx, asyncio, in
this process) do not share its interpreter lock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statecharts.serve.load import drive  # noqa: E402
from statecharts.serve.server import free_port  # noqa: E402


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            httpx.get(f"{url}/actors", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not answer at {url} within {timeout}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--retry", type=int, default=10, help="re-send every Nth key (0: never)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-serve-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "statecharts", "serve", "machines.counter", "--store",
                               os.path.join(folder, "serve.db"), "--port", str(port)], cwd=ROOT)
    try:
        wait_until_up(url, server)
        load = asyncio.run(drive(url, args.clients, args.events, retry=args.retry))
    finally:
        server.terminate()
        server.wait(10)
    print(load.summary())
    problems = load.problems()
    for problem in problems[:10]:
        print("PROBLEM:", problem)
    print("exactly once, final contexts exact" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
