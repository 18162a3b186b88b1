"""The walker: an explicit-state model checker over the chart's own semantics."""

from statecharts.check.model import Fairness, Model
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

__all__ = [
    "Always", "AlwaysEventually", "Eventually", "EventuallyAlways", "Fairness", "LeadsTo", "Model",
    "TemporalProperty", "always", "always_eventually", "eventually", "eventually_always", "leads_to",
]
