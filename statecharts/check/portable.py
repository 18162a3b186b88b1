"""Fingerprints that are the same in every process and on every machine, for a partitioned walk
whose partitions do not share one Python process's ``hash`` (it is seeded per process, and hashes
``None`` and state nodes by address): the Ray walk, and a ``--workers`` walk resumed by another
process from its checkpoint (the states' owners must be those that stored them).

A state's fingerprint is a 64-bit BLAKE2b digest of a canonical encoding of its key: state nodes
by id, sets and mappings sorted, ``True``, ``1`` and ``1.0`` alike (they are equal in Python, so
they are one state in every other walk).
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
from collections.abc import Mapping
from typing import Any

from statecharts.chart import StateNode
from statecharts.check.fingerprints import Partition
from statecharts.errors import ConfigError
from statecharts.event import Event


def canonical(value: Any) -> Any:
    """``value`` as nested tuples of plain data that `marshal` encodes the same in every process:
    equal values (as Python compares them) give equal encodings.

    >>> canonical((True, 2.0, None, frozenset({"b", "a"})))
    (1, 2, None, ('#set', ('a', 'b')))
    >>> from statecharts.frozen import FrozenDict
    >>> canonical(FrozenDict(b=1, a=(1.5,))) == canonical(FrozenDict(a=(1.5,), b=True))
    True
    """
    kind = type(value)
    if kind is int or kind is str or value is None:
        return value
    if kind is tuple or kind is list:
        return tuple(map(canonical, value))
    if kind is bool:
        return int(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if isinstance(value, StateNode):
        return ("#node", value.id)
    if isinstance(value, Event):
        return ("#event", value.name, canonical(dict(value.data or {})))
    if isinstance(value, (frozenset, set)):
        return ("#set", tuple(sorted((canonical(v) for v in value), key=_encode)))
    if isinstance(value, Mapping):
        items = ((canonical(k), canonical(v)) for k, v in value.items())
        return ("#map", tuple(sorted(items, key=lambda kv: _encode(kv[0]))))
    if isinstance(value, (int, str, bytes, tuple)):  # subclasses: IntEnum, StrEnum, named tuples
        return (f"#{kind.__qualname__}", value if not isinstance(value, tuple) else tuple(map(canonical, value)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (f"#{kind.__qualname__}", tuple(canonical(getattr(value, f.name)) for f in dataclasses.fields(value)))
    text = repr(value)
    if " at 0x" in text:
        raise ConfigError(
            f"a state holds {text}, which has no value the same on every machine: the Ray walk "
            f"fingerprints states by value (use plain data, tuples, FrozenDict, dataclasses)",
            key="ray",
        )
    return (f"#{kind.__qualname__}", text)


def _encode(value: Any) -> bytes:
    return marshal.dumps(value, 0)  # version 0: no references, no interning flags (the same bytes everywhere)


def digest(value: Any) -> int:
    """A signed 64-bit fingerprint of ``value``, the same in every process (BLAKE2b of its canonical form).

    >>> digest((None, "a", 1)) == digest((None, "a", True)), digest(("a",)) == digest(("b",))
    (True, False)
    """
    data = hashlib.blake2b(_encode(canonical(value)), digest_size=8).digest()
    return int.from_bytes(data, "little", signed=True)


CACHED_PARTS = 1 << 16  # `StablePartition`: canonical forms of context values kept (then forgotten)


class StablePartition(Partition):
    """A `Partition` whose fingerprints are the same on every machine (see `digest`). The canonical
    forms of the values in a context are cached by value (equal values have one canonical form,
    so a cache hit is exact), which makes a fingerprint about as cheap as a lookup per value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts_seen: dict[Any, Any] = {}

    def rest_fingerprint(self, rest: tuple[Any, ...]) -> int:
        return digest(rest)

    def fingerprint(self, key: Any) -> int:
        rest: int = key[0]
        values = key[1]
        if rest >= len(self.rest_fps):
            self._sync_rests()
        if type(values) is tuple:
            seen = self.parts_seen
            try:
                form: Any = tuple(map(seen.__getitem__, values))
            except KeyError:
                if len(seen) > CACHED_PARTS:
                    seen.clear()
                for value in values:
                    if value not in seen:
                        seen[value] = canonical(value)
                form = tuple(map(seen.__getitem__, values))
        else:
            form = canonical(values)
        data = hashlib.blake2b(_encode((self.rest_fps[rest], form)), digest_size=8).digest()
        return int.from_bytes(data, "little", signed=True)
