"""Testing with charts: model-based test paths, hypothesis walks, one-call checks for pytest.

- `Adapter`, `run_paths`, `replay`, `Disagreement`: run the chart's test paths against the real
  system (`statecharts.check.paths` makes the paths).
- `event_sequences`, `chart_state_machine`, `check_randomly`, `InvariantViolation`: hypothesis
  (imported on first use; ``hypothesis`` is in the ``[test]`` extra).
- `assert_invariants`, `assert_invariants_randomly`, `assert_conforms`: one call per test; the
  pytest plugin's ``chart_check`` fixture offers the same.

>>> from statecharts.testing import assert_invariants
>>> assert_invariants("machines.cluster_update", workers=1, requests=1).ok
True
"""

from __future__ import annotations

from typing import Any

from statecharts.testing.checks import (
    PropertyViolation,
    assert_conforms,
    assert_invariants,
    assert_invariants_randomly,
    load_model,
)
from statecharts.testing.model_based import Adapter, Conformance, Disagreement, next_steps, replay, run_paths

_HYPOTHESIS = ("InvariantViolation", "chart_state_machine", "check_randomly", "event_sequences", "events_in")

__all__ = [
    "Adapter",
    "Conformance",
    "Disagreement",
    "PropertyViolation",
    "assert_conforms",
    "assert_invariants",
    "assert_invariants_randomly",
    "load_model",
    "next_steps",
    "replay",
    "run_paths",
    *_HYPOTHESIS,
]


def __getattr__(name: str) -> Any:
    """The hypothesis helpers, imported when first asked for."""
    if name in _HYPOTHESIS:
        from statecharts.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'statecharts.testing' has no attribute {name!r}")
