"""What the docstring examples of `statecharts.scxml.executable` run on (handed to them by
tests/test_doctests.py), kept out of the library."""

from __future__ import annotations

from statecharts.algorithm import Step
from statecharts.machine import Machine
from statecharts.scxml.datamodel import Datamodel
from statecharts.scxml.executable import Document


def example_step() -> tuple[Step, Document]:
    """A step in a one-state machine whose context is ``x=1, items=[1, 2, 3]``, and a document
    with the restricted datamodel.

    >>> step, doc = example_step()
    >>> dict(step.context), doc.datamodel.trusted
    ({'x': 1, 'items': [1, 2, 3]}, False)
    """
    s = Machine({"id": "m", "context": {"x": 1, "items": [1, 2, 3]}}).initial_state()
    return Step(s.machine, s, s.context, None), Document(Datamodel(), "m")
