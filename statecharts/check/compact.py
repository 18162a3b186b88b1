"""The compact state graph: the full walk's states, index and edges in a few hundred bytes a state.

`explore(..., compact=True)` stores each state as one flat tuple, ``(rest id, *context values)``
(`StateKeys`: what is not the context is one small int per distinct configuration, history and
status), with the tuple values of its context shared between states (`StoredStates`); a snapshot
is rebuilt when asked for (`StoredStates.__getitem__`). The index from key to state number is an
open-addressing table of 32-bit state numbers over those tuples (`KeyIndex`, no dict entry and
no int object per state), the edges two flat arrays with a start and a count per state
(`EdgeTable`), and parent, event and depth are `array` columns. The graph reads as the default
one does: ``graph.states[i]``, ``graph.edges[i]``, ``graph.index.get(key)``.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterator, Sequence
from typing import Any, overload

from statecharts.chart import StateNode
from statecharts.check.kernel import StateKeys
from statecharts.state import Snapshot


def flat(key: tuple[int, tuple[Any, ...]]) -> tuple[Any, ...]:
    """A `StateKeys` key ``(rest, values)`` as the compact graph's one tuple ``(rest, *values)``.

    >>> flat((3, (1, "a")))
    (3, 1, 'a')
    """
    return (key[0], *key[1])


class StoredStates(Sequence[Snapshot]):
    """The states of a compact graph, in discovery order: per state its flat key; a snapshot is
    rebuilt from it on access (equal to the one stored, `StateKeys.restore`).

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0, "seen": ()}, "initial": "a", "states": {"a": {}}})
    >>> states = StoredStates(StateKeys(("n", "seen")), m)
    >>> s = m.initial_state({"n": 1, "seen": (1, 2)})
    >>> key = states.key_of(s); states.append(key) == key, states[0] == s, len(states), key
    (True, True, 1, (0, 1, (1, 2)))
    """

    def __init__(self, keys: StateKeys, machine: Any) -> None:
        self.keys, self.machine = keys, machine
        self.stored: list[tuple[Any, ...]] = []
        self._shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def key_of(self, snapshot: Snapshot) -> tuple[Any, ...]:
        """The snapshot's flat key."""
        return (self.keys.rest(snapshot), *self.keys.context(snapshot.context))  # type: ignore[misc]

    def append(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        """Store a new state's key, its tuple values shared with equal ones stored before (of the
        same element types: ``(1,)`` and ``(True,)`` are equal but not shared); the key stored."""
        shared = self._shared
        values = list(key)
        changed = False
        for n in range(1, len(values)):
            value = values[n]
            if type(value) is tuple:
                found = shared.setdefault(value, value)
                if found is not value and all(type(a) is type(b) for a, b in zip(found, value, strict=True)):
                    values[n] = found
                    changed = True
        if changed:
            key = tuple(values)
        self.stored.append(key)
        return key

    def __len__(self) -> int:
        return len(self.stored)

    @overload
    def __getitem__(self, i: int) -> Snapshot: ...

    @overload
    def __getitem__(self, i: slice) -> list[Snapshot]: ...

    def __getitem__(self, i: int | slice) -> Snapshot | list[Snapshot]:
        if isinstance(i, slice):
            return [self._restore(key) for key in self.stored[i]]
        return self._restore(self.stored[i])

    def __iter__(self) -> Iterator[Snapshot]:
        for key in self.stored:
            yield self._restore(key)

    def _restore(self, key: tuple[Any, ...]) -> Snapshot:
        return self.keys.restore(self.machine, (key[0], key[1:]))

    def configurations(self) -> set[frozenset[StateNode]]:
        """The configurations of the states stored (without rebuilding a snapshot)."""
        rests = {key[0] for key in self.stored}
        by_id = list(self.keys.rests)
        return {by_id[rest][0] for rest in rests}


class KeyIndex:
    """State number by key, over the keys of `StoredStates`: open addressing with linear probing
    in an ``array('i')`` kept at most two thirds full (about 6-12 bytes a state).

    >>> keys = [(0, 1), (0, 2)]
    >>> index = KeyIndex(keys); index[(0, 1)] = 0; index[(0, 2)] = 1
    >>> index.get((0, 2)), index.get((0, 3)), (0, 1) in index, len(index)
    (1, None, True, 2)
    """

    def __init__(self, keys: list[tuple[Any, ...]]) -> None:
        self.keys = keys
        self.table = array("i", [-1]) * 1024
        self.mask = 1023
        self.size = 0

    def get(self, key: Hashable, default: int | None = None) -> int | None:
        keys, table, mask = self.keys, self.table, self.mask
        slot = hash(key) & mask
        while True:
            i = table[slot]
            if i < 0:
                return default
            if keys[i] == key:
                return i
            slot = (slot + 1) & mask

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return self.size

    def __setitem__(self, key: Hashable, i: int) -> None:
        """Index a key not indexed yet as state ``i`` (``keys[i]`` is it, or equal to it)."""
        if 3 * (self.size + 1) > 2 * len(self.table):
            self._grow()
        table, mask = self.table, self.mask
        slot = hash(key) & mask
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = i
        self.size += 1

    def _grow(self) -> None:
        size = 2 * len(self.table)
        table = array("i", [-1]) * size
        mask = size - 1
        for i in range(self.size):
            slot = hash(self.keys[i]) & mask
            while table[slot] >= 0:
                slot = (slot + 1) & mask
            table[slot] = i
        self.table, self.mask = table, mask


class EdgeTable:
    """The edges of a compact graph: per state a start and a count into two flat arrays (event
    index, target state); ``table[i]`` is state ``i``'s edges as ``[(event, target), ...]``.
    Rows are added empty (`append`) and filled once, in state order (`fill`).

    >>> edges = EdgeTable(); edges.append([]); edges.append([])
    >>> edges.fill(0, [(0, 1), (2, 0)]); edges[0], edges[1], len(edges), edges.total
    ([(0, 1), (2, 0)], [], 2, 2)
    """

    def __init__(self) -> None:
        self.starts = array("q")
        self.counts = array("I")
        self.events = array("i")
        self.targets = array("i")

    def append(self, row: list[tuple[int, int]]) -> None:
        if row:
            raise ValueError("EdgeTable rows are added empty and filled with `fill`")
        self.starts.append(0)
        self.counts.append(0)

    def fill(self, i: int, row: list[tuple[int, int]]) -> None:
        self.starts[i] = len(self.targets)
        self.counts[i] = len(row)
        for e, j in row:
            self.events.append(e)
            self.targets.append(j)

    @property
    def total(self) -> int:
        """The number of edges."""
        return len(self.targets)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> list[tuple[int, int]]:
        start = self.starts[i]
        end = start + self.counts[i]
        return list(zip(self.events[start:end], self.targets[start:end], strict=True))

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for i in range(len(self.starts)):
            yield self[i]
