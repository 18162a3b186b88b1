"""The seed's user machine: a hierarchy where ``LOGOUT`` on the parent leaves any child.

>>> s = machine.transition(machine.initial_state(), "EDIT_PROFILE")
>>> s.value, machine.transition(s, "LOGOUT").value
({'authenticated': 'editingProfile'}, 'unauthenticated')
"""

from statecharts import Machine

config = {
    "id": "user",
    "initial": "authenticated",
    "states": {
        "authenticated": {
            "initial": "idle",
            "states": {
                "idle": {"on": {"EDIT_PROFILE": "editingProfile", "CHANGE_PASSWORD": "changingPassword"}},
                "editingProfile": {"on": {"SAVE": "saving", "CANCEL": "idle"}},
                "changingPassword": {"on": {"SAVE": "saving", "CANCEL": "idle"}},
                "saving": {"on": {"SUCCESS": "idle", "ERROR": "error"}},
                "error": {"on": {"RETRY": "saving", "DISMISS": "idle"}},
            },
            "on": {"LOGOUT": "unauthenticated"},
        },
        "unauthenticated": {"on": {"LOGIN": "authenticated"}},
    },
}

machine = Machine(config)
