"""The names every docstring example may use without setting them up: one shared example chart.

tests/test_doctests.py hands them to each module's examples, and the root conftest.py puts them in
pytest's ``doctest_namespace`` (for ``pytest --doctest-modules statecharts/...``). A docstring
that uses one says what it is on first use (``>>> light  # the shared example chart: ...``).
"""

from __future__ import annotations

from typing import Any

from statecharts import Machine

#: A traffic light whose red phase has two steps for pedestrians: red.walk, then red.wait on TIMER
#: (the inner transition wins over red's own TIMER), then green on TIMER.
LIGHT = {
    "id": "light",
    "initial": "red",
    "states": {
        "red": {
            "initial": "walk",
            "on": {"TIMER": "green"},
            "states": {"walk": {"on": {"TIMER": "wait"}}, "wait": {}},
        },
        "green": {},
    },
}


def module_examples(module: str) -> dict[str, Any]:
    """Names one module's examples use beside the shared ones (set-ups kept out of the library).

    >>> sorted(module_examples("statecharts.scxml.executable")), module_examples("statecharts.machine")
    (['example_step'], {})
    """
    if module == "statecharts.scxml.executable":
        from tests.scxml.examples import example_step

        return {"example_step": example_step}
    return {}


def shared_examples() -> dict[str, Any]:
    """A fresh namespace for one module's examples (a new Machine: its caches start empty).

    >>> shared_examples()["light"].initial_state().value
    {'red': 'walk'}
    """
    return {"light": Machine(LIGHT)}
