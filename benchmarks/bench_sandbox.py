"""The SCXML Python datamodel's costs: expression evaluation (trusted and untrusted), ``<assign>``
beside a large variable, and the W3C suite's run time.

- ``expressions``: a mix of W3C-style expressions evaluated N times through
  `Datamodel.evaluate`, trusted (``eval``) and untrusted (the sandbox's AST interpreter);
- ``assign``: a document whose ``onentry`` runs 100 ``<assign location="k" expr="k + 1"/>``
  beside a 100,000-element list, started R times (the old datamodel deep-copied the list on
  every assign);
- ``w3c``: every runnable W3C test under the restricted evaluator, once.

    python3 benchmarks/bench_sandbox.py [--evaluations 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statecharts.event import Event  # noqa: E402
from statecharts.scxml import load  # noqa: E402
from statecharts.scxml.datamodel import Datamodel  # noqa: E402

EXPRESSIONS = (
    "Var1 + 1",
    "Var1 == 2 and Var2 != 'x'",
    "_event.data.aParam",
    "len(items) > 2",
    "[v * 2 for v in items if v > 1]",
    "In('s0') or Var1 < 0",
    "'%s-%d' % (Var2, Var1)",
    "f'{Var2}:{Var1}'",
    "sorted(items)[0]",
    "{'k': Var1, 'j': items[1]}",
)


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_expressions(evaluations: int, repeat: int) -> dict[str, float]:
    context = {"Var1": 1, "Var2": "text", "items": [1, 2, 3, 4]}
    event = Event("go", aParam=5)
    results = {}
    for label, trusted in (("trusted", True), ("untrusted", False)):
        dm = Datamodel(trusted=trusted)

        def run(dm: Datamodel = dm) -> None:
            for i in range(evaluations):
                dm.evaluate(EXPRESSIONS[i % len(EXPRESSIONS)], context, event, lambda ref: ref == "s0")

        results[label] = evaluations / best(repeat, run)
    return results


def assign_document(assigns: int = 100, size: int = 100_000) -> str:
    body = '<assign location="k" expr="k + 1"/>' * assigns
    return (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a" datamodel="python">'
        f'<datamodel><data id="k" expr="0"/><data id="big" expr="list(range({size}))"/></datamodel>'
        f'<state id="a"><onentry>{body}</onentry></state></scxml>'
    )


def bench_assign(repeat: int) -> dict[str, float]:
    results = {}
    for label, trusted in (("trusted", True), ("untrusted", False)):
        machine = load(assign_document(), trusted=trusted)

        def run(machine: object = machine) -> None:
            state = machine.initial_state()  # type: ignore[attr-defined]
            assert state.context["k"] == 100, state.context["k"]

        results[label] = best(repeat, run)
    return results


def bench_w3c() -> tuple[int, float]:
    tests_dir = Path(__file__).resolve().parents[1] / "tests"
    sys.path.insert(0, str(tests_dir.parent))
    from tests.conformance.w3c import manifest, needs_trust, run

    runnable = [t for t in manifest() if not needs_trust(t.path) and not t.manual]
    start = time.perf_counter()
    for test in runnable:
        try:
            run(test.path, trusted=False)
        except Exception:  # noqa: BLE001 - a failing test still counts its time
            pass
    return len(runnable), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evaluations", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for label, rate in bench_expressions(args.evaluations, args.repeat).items():
        print(f"expressions {label:9}: {rate:12,.0f} evaluations/s")
    for label, seconds in bench_assign(args.repeat).items():
        print(f"100 assigns beside a 100,000-element list, {label:9}: {seconds * 1000:9.1f} ms")
    count, seconds = bench_w3c()
    print(f"W3C suite, {count} runnable tests, restricted evaluator: {seconds:.2f} s")


if __name__ == "__main__":
    main()
