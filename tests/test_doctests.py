"""Every docstring example in the library and the machines runs (the style promises it)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import machines
import statecharts
from tests.scxml.examples import example_step

MODULES = sorted(
    name
    for package in (statecharts, machines)
    for _, name, _ in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not name.endswith("__main__")  # runs the command line when imported
)


#: Names a module's examples use that the library does not define (set-ups kept out of it).
EXTRA_GLOBALS = {"statecharts.scxml.executable": {"example_step": example_step}}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(
        module, extraglobs=EXTRA_GLOBALS.get(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert failures == 0
