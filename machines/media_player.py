"""The seed's media player: three orthogonal regions (playback, volume, fullscreen).

>>> s = machine.transition(machine.transition(machine.initial_state(), "PLAY"), "MUTE")
>>> s.value
{'playback': 'playing', 'volume': 'muted', 'fullscreen': 'windowed'}
"""

from statecharts import Machine

config = {
    "id": "mediaPlayer",
    "type": "parallel",
    "states": {
        "playback": {
            "initial": "stopped",
            "states": {
                "stopped": {"on": {"PLAY": "playing"}},
                "playing": {"on": {"PAUSE": "paused", "STOP": "stopped"}},
                "paused": {"on": {"PLAY": "playing", "STOP": "stopped"}},
            },
        },
        "volume": {
            "initial": "normal",
            "states": {
                "muted": {"on": {"UNMUTE": "normal"}},
                "normal": {"on": {"MUTE": "muted"}},
            },
        },
        "fullscreen": {
            "initial": "windowed",
            "states": {
                "windowed": {"on": {"FULLSCREEN": "fullscreen"}},
                "fullscreen": {"on": {"EXIT_FULLSCREEN": "windowed"}},
            },
        },
    },
}

machine = Machine(config)
