"""Test-wide settings.

Hypothesis runs derandomized by default, so CI sees the same examples every run and a red build
always means a change broke something. ``HYPOTHESIS_PROFILE=explore`` draws fresh, more numerous
examples to hunt for new counterexamples (and pins what it finds as explicit tests).
"""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dot: needs Graphviz's `dot` program (skipped, saying how to install it, when it is missing)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_ray_tests_last(items)
    if shutil.which("dot") is not None:
        return
    skip = pytest.mark.skip(
        reason="Graphviz 'dot' is not installed: run `bash .ci/install` as root, or "
        "`sudo apt-get install graphviz` (macOS: `brew install graphviz`)"
    )
    for item in items:
        if item.get_closest_marker("dot") is not None:
            item.add_marker(skip)


def run_ray_tests_last(items: list[pytest.Item]) -> None:
    """Move the tests that connect this process to a Ray cluster to the end of the run.

    ``ray.shutdown()`` leaves Ray's and gRPC's native threads in the process (a dozen: GCS client,
    event engine, core worker io), and they can call into Python. The tests after them then
    share the process with threads nobody owns; at the end, nothing else runs beside them."""
    ray = [item for item in items if item.path.name == "test_ray_walk.py"]
    if ray:
        items[:] = [item for item in items if item.path.name != "test_ray_walk.py"] + ray
