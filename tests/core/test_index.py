"""`ChartIndex`: the lookups and caches below the algorithm."""

from __future__ import annotations

import random
import sys
import threading
import time
import traceback

import pytest

from statecharts import Machine, algorithm, assign, index
from statecharts.index import ChartIndex


def grid_machine() -> Machine:
    """Two regions of four states each, with guards and assigns: many (configuration, event) keys."""
    region = {
        "initial": "s0",
        "states": {
            f"s{i}": {
                "on": {
                    "NEXT": f"s{(i + 1) % 4}",
                    "BACK": f"s{(i - 1) % 4}",
                    "INC": {"guard": lambda c, e: c["n"] < 50, "actions": assign(n=lambda c, e: c["n"] + 1)},
                }
            }
            for i in range(4)
        },
    }
    return Machine(
        {
            "id": "grid",
            "type": "parallel",
            "context": {"n": 0},
            "states": {"left": region, "right": {**region, "on": {"SKIP": ".s2"}}},
        }
    )


def test_the_algorithm_sees_the_index_not_the_facade() -> None:
    m = grid_machine()
    assert isinstance(m, ChartIndex)
    assert m.initial_state().machine is m  # at run time the index is the Machine itself


def run(machine: Machine, seed: int, steps: int) -> list[tuple[object, int]]:
    rng = random.Random(seed)
    s = machine.initial_state()
    seen = []
    for _ in range(steps):
        s = machine.transition(s, rng.choice(("NEXT", "BACK", "INC", "SKIP")))
        seen.append((s.value, s.context["n"]))
    return seen


@pytest.mark.xfail(
    strict=False,
    reason="an open bug: twice on CI (2026-12-06 and 2026-12-07, with coverage, deep in the suite) a "
    "thread's walk on the shared machine left the one its own machine gives; not reproduced here in "
    "over 200 runs (with and without coverage, 1 to 50 us switching). Kept running so that it says "
    "where when it happens again.",
)
def test_the_caches_are_safe_under_concurrent_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads share one machine whose caches are cleared every few entries (a bound of 2):
    every thread sees exactly what a machine of its own gives, and nothing raises.

    The threads switch every 50 microseconds, a hundred times the default rate. (At one
    microsecond this test once never finished on CI, so it is bounded now: a thread still
    running after a minute fails the test with its stack.)"""
    monkeypatch.setattr(index, "SELECTION_CACHE_SIZE", 2)
    monkeypatch.setattr(algorithm, "SELECTION_CACHE_SIZE", 2)
    shared = grid_machine()
    expected = {seed: run(grid_machine(), seed, 800) for seed in range(8)}
    results: dict[int, list[tuple[object, int]]] = {}
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            results[seed] = run(shared, seed, 800)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,), daemon=True) for seed in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(5e-5)
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
    finally:
        sys.setswitchinterval(interval)
    stuck = [t for t in threads if t.is_alive()]
    frames = sys._current_frames()
    assert not stuck, [
        ("".join(traceback.format_stack(frames[t.ident])) if t.ident in frames else t.name) for t in stuck
    ]
    assert not errors, errors
    # the first step where a thread's walk left its own machine's, said in one line: pytest's
    # diff of eight lists of 800 pairs ran for over ten minutes on CI
    wrong = [
        (seed, step, got, want)
        for seed in range(8)
        for step, (got, want) in enumerate(zip(results[seed], expected[seed], strict=True))
        if got != want
    ]
    assert not wrong, f"{len(wrong)} steps differ; the first (seed, step, got, expected): {wrong[0]}"
