"""The seed's auth machine: an invoked ``authenticate`` service, guards, retries with a maximum.

The seed leaves ``authenticated`` and ``error`` undefined; here ``authenticated`` accepts
``LOGOUT`` and ``error`` accepts ``RESET`` (which clears the retry count). The service is a
parameter so applications pass their real one; the default accepts the password ``"secret"``.

>>> from statecharts import VirtualClock
>>> actor = machine.interpret(clock=VirtualClock()).start()
>>> actor.send("LOGIN", username="ada", password="secret").value
'authenticated'
>>> actor.state.context["user"]
'ada'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from statecharts import Event, Machine, assign


class AuthenticationFailed(Exception):
    """The default service's refusal."""


def demo_authenticate(context: Mapping[str, Any], event: Event) -> str:
    """Accept the password ``secret``; anything else fails."""
    if event.get("password") != "secret":
        raise AuthenticationFailed(f"bad password for {event.get('username')!r}")
    return str(event.get("username"))


config = {
    "id": "auth",
    "initial": "idle",
    "context": {"user": None, "retries": 0, "maxRetries": 3, "error": None},
    "states": {
        "idle": {"on": {"LOGIN": {"target": "authenticating", "actions": ["clearError"]}}},
        "authenticating": {
            "invoke": {
                "id": "authenticate",
                "src": "authenticate",
                "onDone": {"target": "authenticated", "actions": ["setUser"]},
                "onError": [
                    {"target": "error", "guard": "maxRetriesReached", "actions": ["setError"]},
                    {"target": "idle", "actions": ["incrementRetries", "setError"]},
                ],
            }
        },
        "authenticated": {"on": {"LOGOUT": {"target": "idle", "actions": ["clearUser"]}}},
        "error": {"on": {"RESET": {"target": "idle", "actions": ["resetRetries"]}}},
    },
}

guards = {"maxRetriesReached": lambda context, event: context["retries"] >= context["maxRetries"]}

actions = {
    "setUser": assign(user=lambda context, event: event.data),
    "setError": assign(error=lambda context, event: str(event["error"])),
    "incrementRetries": assign(retries=lambda context, event: context["retries"] + 1),
    "clearError": assign(error=None),
    "clearUser": assign(user=None),
    "resetRetries": assign(retries=0, error=None),
}


def make(authenticate: Callable[..., Any] = demo_authenticate) -> Machine:
    """The auth machine with a given ``authenticate(context, event)`` service."""
    return Machine(config, guards=guards, actions=actions, services={"authenticate": authenticate})


machine = make()
