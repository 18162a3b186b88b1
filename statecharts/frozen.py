"""Immutable, hashable containers for context and event data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class FrozenDict(Mapping[str, Any]):
    """An immutable mapping that hashes by its items; ``set`` returns a new one.

    >>> c = FrozenDict({"n": 1})
    >>> c2 = c.set(n=2)
    >>> c["n"], c2["n"], c == FrozenDict(n=1), hash(c) == hash(FrozenDict(n=1))
    (1, 2, True, True)
    """

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        data = dict(items or {})
        data.update(fields)
        self._items = data
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(frozenset(self._items.items()))
        return h

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def set(self, updates: Mapping[str, Any] | None = None, /, **fields: Any) -> FrozenDict:
        """A copy with some keys replaced or added."""
        data = dict(self._items)
        if updates:
            data.update(updates)
        data.update(fields)
        return FrozenDict(data)

    def thaw(self) -> dict[str, Any]:
        """A plain, mutable dict copy."""
        return dict(self._items)

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"


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
