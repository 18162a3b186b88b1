"""Immutable, hashable containers for context and event data."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


class FrozenDict(dict[str, Any]):
    """An immutable mapping that hashes by its items; ``set`` returns a new one.

    It is a `dict` underneath (reads run at C speed, which the walker's inner loop feels), with
    every mutating method refused.

    >>> c = FrozenDict({"n": 1})
    >>> c2 = c.set(n=2)
    >>> c["n"], c2["n"], c == FrozenDict(n=1), hash(c) == hash(FrozenDict(n=1))
    (1, 2, True, True)
    >>> c["n"] = 5
    Traceback (most recent call last):
    TypeError: FrozenDict is immutable: use .set(...) for a changed copy
    """

    __slots__ = ("_hash",)

    def __init__(self, items: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        dict.__init__(self, items or {}, **fields)
        self._hash: int | None = None

    def __hash__(self) -> int:  # type: ignore[override]
        h = self._hash
        if h is None:
            h = self._hash = hash(frozenset(self.items()))
        return h

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("FrozenDict is immutable: use .set(...) for a changed copy")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _immutable  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __eq__(self, other: object) -> bool:
        if type(other) is FrozenDict or isinstance(other, dict):
            return dict.__eq__(self, other)
        if isinstance(other, Mapping):  # an Event, another Mapping: compare as mappings
            return dict.__eq__(self, dict(other))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __or__(self, other: Any) -> FrozenDict:  # type: ignore[override]
        return self.set(other) if isinstance(other, Mapping) else NotImplemented

    def __ror__(self, other: Any) -> FrozenDict:  # type: ignore[override]
        return FrozenDict({**other, **self}) if isinstance(other, Mapping) else NotImplemented

    def copy(self) -> FrozenDict:  # type: ignore[override]
        """The dict itself: it cannot change, so a copy would be equal and useless.

        >>> d = FrozenDict({"n": 1})
        >>> d.copy() is d
        True
        """
        return self

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return FrozenDict({k: copy.deepcopy(v, memo) for k, v in self.items()})

    def set(self, updates: Mapping[str, Any] | None = None, /, **fields: Any) -> FrozenDict:
        """A copy with some keys replaced or added.

        >>> d = FrozenDict({"n": 1, "name": "x"})
        >>> d.set({"n": 2}, flag=True), d
        (FrozenDict({'n': 2, 'name': 'x', 'flag': True}), FrozenDict({'n': 1, 'name': 'x'}))
        """
        data = dict(self)
        if updates:
            data.update(updates)
        data.update(fields)
        return FrozenDict(data)

    def thaw(self) -> dict[str, Any]:
        """A plain, mutable dict copy.

        >>> plain = FrozenDict({"n": 1}).thaw()
        >>> plain["n"] = 2
        >>> plain, type(plain).__name__
        ({'n': 2}, 'dict')
        """
        return dict(self)

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def freeze(value: Any) -> Any:
    """Make a value hashable: dicts become FrozenDicts, lists tuples, sets frozensets.

    >>> freeze({"a": [1, {2}]})
    FrozenDict({'a': (1, frozenset({2}))})
    """
    if isinstance(value, FrozenDict):
        return value
    if isinstance(value, Mapping):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set):
        return frozenset(freeze(v) for v in value)
    return value
