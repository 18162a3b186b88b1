"""Every docstring example in the library and the machines runs (the style promises it)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import machines
import statecharts
from tests.doctest_namespace import module_examples, shared_examples

MODULES = sorted(
    name
    for package in (statecharts, machines)
    for _, name, _ in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not name.endswith("__main__")  # runs the command line when imported
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(
        module,
        extraglobs={**shared_examples(), **module_examples(name)},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert failures == 0
