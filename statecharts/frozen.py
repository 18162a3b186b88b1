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
        for key, value in dict.items(self):  # the values are immutable too (lists, dicts, sets inside)
            if type(value) not in SHARED:
                dict.__setitem__(self, key, frozen(value))

    @classmethod
    def of_frozen(cls, data: dict[str, Any]) -> FrozenDict:
        """A FrozenDict of ``data``, whose values are frozen already (each one as `frozen` leaves
        it): nothing is checked again (the walker's compiled assigns freeze what they assign).

        >>> FrozenDict.of_frozen({"n": 1, "xs": (1, 2)})
        FrozenDict({'n': 1, 'xs': (1, 2)})
        """
        made = dict.__new__(FrozenDict)
        dict.update(made, data)
        made._hash = None
        return made

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
        data = dict(self)  # its values are frozen already: only the new ones need freezing
        for given in (updates, fields):
            if given:
                for key, value in given.items():
                    data[key] = value if type(value) in SHARED else frozen(value)
        return FrozenDict.of_frozen(data)

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


class FrozenList(list[Any]):
    """A list that cannot change (its items frozen too): reads, ``+``, ``==`` and JSON as a list.

    >>> xs = FrozenList([1, [2]])
    >>> xs + [3], xs == [1, [2]], hash(xs) == hash(FrozenList([1, [2]]))
    ([1, [2], 3], True, True)
    >>> xs.append(4)
    Traceback (most recent call last):
    TypeError: FrozenList is immutable: build a new list (xs + [item])
    """

    __slots__ = ()

    def __init__(self, items: Any = (), /) -> None:
        list.__init__(self, (v if type(v) in SHARED else frozen(v) for v in items))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("FrozenList is immutable: build a new list (xs + [item])")

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = clear = sort = reverse = __iadd__ = (
        __imul__
    ) = _immutable  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))

    def __copy__(self) -> FrozenList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenList:
        return self


SHARED = frozenset({str, int, float, bool, bytes, type(None), FrozenDict, FrozenList, frozenset})


def frozen(value: Any) -> Any:
    """A value that no one can change: dicts become FrozenDicts, lists FrozenLists, sets
    frozensets, recursively (other objects are kept as they are). Snapshot contexts hold these.

    >>> frozen({"a": [1, {2}]})
    FrozenDict({'a': [1, frozenset({2})]})
    """
    kind = type(value)
    if kind in SHARED:
        return value
    if kind is tuple:  # the same tuple when nothing inside changes (snapshots share their values)
        for v in value:
            if type(v) not in SHARED and frozen(v) is not v:
                return tuple(x if type(x) in SHARED else frozen(x) for x in value)
        return value
    if kind is dict:
        return FrozenDict(value)
    if kind is list:
        return FrozenList(value)
    if isinstance(value, (FrozenDict, FrozenList)):  # subclasses: frozen already
        return value
    if isinstance(value, Mapping):
        return FrozenDict(value)
    if isinstance(value, list):
        return FrozenList(value)
    if isinstance(value, (set, frozenset)):
        return frozenset(frozen(v) for v in value)
    return value


def thawed(value: Any, mapping: type[dict[str, Any]] = dict) -> Any:
    """A private, mutable copy of a frozen value (the way into code that may change it: FrozenDicts
    become ``mapping``, FrozenLists lists, recursively).

    >>> thawed(frozen({"a": [1, {"b": (2, [3])}]}))
    {'a': [1, {'b': (2, [3])}]}
    """
    kind = type(value)
    if kind in (str, int, float, bool, bytes, type(None), frozenset):
        return value
    if isinstance(value, Mapping):
        return mapping({k: thawed(v, mapping) for k, v in value.items()})
    if isinstance(value, list):
        return [thawed(v, mapping) for v in value]
    if kind is tuple:
        return tuple(thawed(v, mapping) for v in value)
    if isinstance(value, set):
        return {thawed(v, mapping) for v in value}
    return value


def writable(value: Any) -> Any:
    """A shallow copy that can be changed: a FrozenList becomes a list, a FrozenDict a dict (other
    values are copied with `copy.copy`). Copy-on-write code changes this, never the original.

    >>> xs = FrozenList([1, [2]])
    >>> ys = writable(xs); ys[0] = 5
    >>> ys, xs, type(writable(FrozenDict(a=1))).__name__
    ([5, [2]], [1, [2]], 'dict')
    """
    if isinstance(value, FrozenList):
        return list(value)
    if isinstance(value, FrozenDict):
        return dict(value)
    return copy.copy(value)
