"""Where a chart mistake is in a JSON chart file: the line and column of each object key, and the key
a `ConfigError`'s state path and key name.

Python's json module gives values without positions, so `key_positions` reads the text again (its
strings and scalars through `json.JSONDecoder.raw_decode`) and records where each key and each array
item starts, by its path from the root. `error_position` follows an error's state path (``j.a``: the
root's ``states`` -> ``a``) and key (``on.GO[1].target``) down those paths as far as they go.

>>> text = '{"id": "j", "initial": "a", "states": {\\n  "a": {\\n    "on": {"GO": {"target": "c"}}}}}'
>>> error_position(text, ConfigError("unknown target 'c'", path="j.a", key="on.GO.target"))
(3, 19)
"""

from __future__ import annotations

import json
from bisect import bisect_right

from statecharts.errors import ConfigError

#: A place in parsed JSON: object keys and array indexes from the root.
JsonPath = tuple[str | int, ...]
#: Line and column, both from 1 (as `json.JSONDecodeError` counts them).
Position = tuple[int, int]

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def key_positions(text: str) -> dict[JsonPath, Position]:
    """The line and column of each object key and array item of JSON ``text``, by its path.

    A key given twice is where it was last given (the value `json.loads` keeps); text that is not
    JSON gives the positions read before the fault.

    >>> positions = key_positions('{"id": "m",\\n "on": {"GO": ["b",\\n   {"target": "c"}]}}')
    >>> positions[("on",)], positions[("on", "GO", 1)], positions[("on", "GO", 1, "target")]
    ((2, 2), (3, 4), (3, 5))
    >>> key_positions('{"a": [1, 2}')
    {('a',): (1, 2), ('a', 0): (1, 8), ('a', 1): (1, 11)}
    """
    reader = _Reader(text)
    try:
        reader.value(reader.skip(0), ())
    except (ValueError, IndexError, RecursionError):
        pass  # not JSON (or nested past Python's stack): what was read before is still right
    return reader.positions


class _Reader:
    """One pass over JSON text, recording `positions` as it goes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.positions: dict[JsonPath, Position] = {}
        self.line_starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]

    def position(self, index: int) -> Position:
        line = bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def skip(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in _WHITESPACE:
            index += 1
        return index

    def expect(self, index: int, chars: str) -> str:
        if self.text[index] not in chars:
            raise ValueError(f"expected one of {chars!r} at {index}")
        return self.text[index]

    def value(self, index: int, path: JsonPath) -> int:
        """Read the value at ``index`` (no whitespace before it); the index after it."""
        if self.text[index] == "{":
            return self.members(self.skip(index + 1), path, "}")
        if self.text[index] == "[":
            return self.members(self.skip(index + 1), path, "]")
        return _DECODER.raw_decode(self.text, index)[1]

    def members(self, index: int, path: JsonPath, close: str) -> int:
        """Read an object's members (``close`` is ``}``) or an array's items (``]``) up to ``close``."""
        if self.text[index] == close:
            return index + 1
        count = 0
        while True:
            step: str | int = count
            if close == "}":
                self.expect(index, '"')
                key, end = _DECODER.raw_decode(self.text, index)
                self.positions[(*path, key)] = self.position(index)
                step = key
                index = self.skip(end)
                self.expect(index, ":")
                index = self.skip(index + 1)
            else:
                self.positions[(*path, count)] = self.position(index)
            index = self.skip(self.value(index, (*path, step)))
            if self.expect(index, "," + close) == close:
                return index + 1
            index = self.skip(index + 1)
            count += 1


def error_position(text: str, error: ConfigError) -> Position | None:
    """Where in the JSON chart ``text`` (a plain xstate config) the ``error`` points: the deepest key
    its state path and then its key reach; None when they reach no key.

    >>> text = '{"id": "j", "initial": "a",\\n "states": {"a": {"entyr": []}}}'
    >>> error_position(text, ConfigError("unknown key 'entyr'", path="j.a", key="entyr"))
    (2, 19)
    >>> error_position(text, ConfigError("no such key", path="j.a.b", key="on"))
    (2, 13)
    >>> [error_position(text, ConfigError("x", path=path)) for path in ("j", "j.zz", "other.a")]
    [None, None, None]
    """
    try:
        root = json.loads(text)
    except (ValueError, RecursionError):
        return None
    root_id = root.get("id") if isinstance(root, dict) else None
    root_id = root_id if isinstance(root_id, str) else "(machine)"
    path = error.path or ""
    if path != root_id and not path.startswith(root_id + "."):
        return None
    positions = key_positions(text)
    node: JsonPath = ()
    for name in path[len(root_id) + 1 :].split(".") if path != root_id else ():
        if (*node, "states", name) not in positions:
            return positions.get(node)  # the deepest state found (none at the root)
        node = (*node, "states", name)
    return positions.get(_follow_key(positions, node, error.key or ""))


def _follow_key(positions: dict[JsonPath, Position], node: JsonPath, key: str) -> JsonPath:
    """``node``'s descendant as far as ``key`` (``on.GO[1].target``) names existing keys: an event
    name may hold dots, so at each step the longest key of the file that fits is taken."""
    rest = key
    while rest:
        step: str | int | None = None
        if rest.startswith("["):
            index, _, rest = rest[1:].partition("]")
            step = int(index) if index.isdigit() else None
        else:
            children = [p[-1] for p in positions if len(p) == len(node) + 1 and p[: len(node)] == node]
            fitting = [c for c in children if isinstance(c, str) and (rest == c or rest.startswith((c + ".", c + "[")))]
            step = max(fitting, key=len, default=None)
            rest = rest[len(step) :] if step is not None else rest
        if step is None or (*node, step) not in positions:
            return node
        node = (*node, step)
        rest = rest.removeprefix(".")
    return node
