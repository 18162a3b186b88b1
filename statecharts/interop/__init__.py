"""Interop: python-statemachine classes in, xstate / Stately JSON in and out.

>>> from statecharts.interop import from_json, to_json
>>> m = from_json('{"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}}')
>>> to_json(m)["states"]["a"]
{'on': {'GO': 'b'}}
"""

from statecharts.interop.pystatemachine import from_python_statemachine, python_statemachine_config
from statecharts.interop.xstate_json import from_json, json_config, to_json

__all__ = ["from_json", "from_python_statemachine", "json_config", "python_statemachine_config", "to_json"]
