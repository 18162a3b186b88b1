"""Root settings: the shared docstring-example names (tests/doctest_namespace.py) in pytest's
``doctest_namespace``, so ``pytest --doctest-modules statecharts/algorithm.py`` runs the examples
as tests/test_doctests.py does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.doctest_namespace import shared_examples


@pytest.fixture(autouse=True)
def _shared_doctest_names(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace.update(shared_examples())
