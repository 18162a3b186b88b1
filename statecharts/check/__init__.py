"""The walker: an explicit-state model checker over the chart's own semantics.

>>> from statecharts import Machine
>>> from statecharts.check import Model, check, events
>>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}}})
>>> check(Model(m, alphabet=events("GO"))).ok
True
"""

from statecharts.check.actors import SystemState, check_actors
from statecharts.check.graph import Bounds, StateGraph, explore
from statecharts.check.model import Fairness, Model, configuration_predicate, events
from statecharts.check.properties import (
    Always,
    AlwaysEventually,
    Eventually,
    EventuallyAlways,
    LeadsTo,
    TemporalProperty,
    always,
    always_eventually,
    eventually,
    eventually_always,
    leads_to,
)
from statecharts.check.refinement import Refinement, abstract_state, refines
from statecharts.check.symmetry import Symmetry
from statecharts.check.system import deliveries
from statecharts.check.trace import Trace, TraceStep
from statecharts.check.walker import Coverage, Report, Result, check

__all__ = [
    "Always",
    "AlwaysEventually",
    "Bounds",
    "Coverage",
    "Eventually",
    "EventuallyAlways",
    "Fairness",
    "LeadsTo",
    "Model",
    "Refinement",
    "Report",
    "Result",
    "StateGraph",
    "Symmetry",
    "SystemState",
    "TemporalProperty",
    "Trace",
    "TraceStep",
    "abstract_state",
    "always",
    "always_eventually",
    "check",
    "check_actors",
    "configuration_predicate",
    "deliveries",
    "eventually",
    "eventually_always",
    "events",
    "explore",
    "leads_to",
    "refines",
]
