"""Every docstring example in the library and the machines runs (the style promises it)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import machines
import statecharts
from tests.doctest_namespace import shared_examples
from tests.scxml.examples import example_step

MODULES = sorted(
    name
    for package in (statecharts, machines)
    for _, name, _ in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not name.endswith("__main__")  # runs the command line when imported
)


#: Names one module's examples use beside the shared ones (set-ups kept out of the library).
EXTRA_GLOBALS = {"statecharts.scxml.executable": {"example_step": example_step}}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(
        module,
        extraglobs={**shared_examples(), **EXTRA_GLOBALS.get(name, {})},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert failures == 0
