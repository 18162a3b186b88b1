"""statecharts: xstate-style statecharts for Python, with SCXML semantics and a model checker.

>>> from statecharts import Machine
>>> m = Machine({"id": "light", "initial": "green",
...              "states": {"green": {"on": {"TIMER": "yellow"}}, "yellow": {}}})
>>> m.transition(m.initial_state(), "TIMER").value
'yellow'
"""

from statecharts.actions import (
    assign,
    cancel,
    emit,
    forward_to,
    log,
    raise_,
    send,
    send_parent,
    send_to,
    spawn_child,
    stop_child,
)
from statecharts.errors import (
    ConfigError,
    EventError,
    EventlessLoopError,
    MalformedEventError,
    PredicateError,
    SnapshotError,
    StatechartError,
)
from statecharts.event import Event
from statecharts.frozen import FrozenDict, FrozenList
from statecharts.guards import and_, not_, or_, payload, state_in
from statecharts.interpreter import Interpreter, RealClock, VirtualClock
from statecharts.machine import Machine
from statecharts.state import Effect, PendingSend, Snapshot
from statecharts.version import __version__ as __version__

__all__ = [
    "ConfigError",
    "Effect",
    "Event",
    "EventError",
    "EventlessLoopError",
    "FrozenDict",
    "FrozenList",
    "Interpreter",
    "MalformedEventError",
    "PredicateError",
    "Machine",
    "PendingSend",
    "RealClock",
    "Snapshot",
    "SnapshotError",
    "StatechartError",
    "VirtualClock",
    "and_",
    "assign",
    "cancel",
    "log",
    "not_",
    "or_",
    "payload",
    "raise_",
    "send",
    "state_in",
    "emit",
    "forward_to",
    "send_parent",
    "send_to",
    "spawn_child",
    "stop_child",
]
