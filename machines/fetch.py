"""The seed's fetch machine: idle -> loading -> success | error, with retry and reset.

>>> s = machine.transition(machine.initial_state(), "FETCH")
>>> machine.transition(s, "ERROR").value
'error'
"""

from statecharts import Machine

config = {
    "id": "fetch",
    "initial": "idle",
    "states": {
        "idle": {"on": {"FETCH": "loading"}},
        "loading": {"on": {"SUCCESS": "success", "ERROR": "error"}},
        "success": {"on": {"FETCH": "loading", "RESET": "idle"}},
        "error": {"on": {"RETRY": "loading", "RESET": "idle"}},
    },
}

machine = Machine(config)
