"""Root settings: the shared docstring-example names (tests/doctest_namespace.py) in pytest's
``doctest_namespace``, so ``pytest --doctest-modules statecharts/algorithm.py`` runs the examples
as tests/test_doctests.py does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.doctest_namespace import module_examples, shared_examples


@pytest.fixture(autouse=True)
def _shared_doctest_names(doctest_namespace: dict[str, Any], request: pytest.FixtureRequest) -> None:
    doctest_namespace.update(shared_examples())
    test = getattr(request.node, "dtest", None)  # a docstring example: its module's own names too
    if test is not None:
        doctest_namespace.update(module_examples(test.globs.get("__name__", "")))
