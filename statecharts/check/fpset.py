"""A set of 64-bit fingerprints at 8 bytes each: the fingerprint walk's record of the states seen.

Fingerprints live in sorted numpy arrays, never as Python objects: ``stored`` holds those of the
levels already written, ``fresh`` those of the level being built. `add` takes a batch of
candidates at once (vectorized: a sort and two binary searches per batch, no Python loop per
state) and says which are new; `commit` merges the level into ``stored`` when it is complete.
Memory is 8 bytes a fingerprint, and while a level is merged in, 8 more per state of the level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Fingerprints = npt.NDArray[np.int64]


def _member(sorted_values: Fingerprints, values: Fingerprints) -> npt.NDArray[np.bool_]:
    """Per value, whether it is in ``sorted_values`` (sorted ascending)."""
    if not sorted_values.size:
        return np.zeros(values.shape, dtype=np.bool_)
    at = np.searchsorted(sorted_values, values)
    np.minimum(at, sorted_values.size - 1, out=at)
    return sorted_values[at] == values  # type: ignore[no-any-return]


def _merge(sorted_values: Fingerprints, more: Fingerprints) -> Fingerprints:
    """``sorted_values`` with ``more`` (sorted, none of them in it) merged in, still sorted."""
    if not sorted_values.size:
        return more.copy()
    return np.insert(sorted_values, np.searchsorted(sorted_values, more), more)


class FingerprintSet:
    """The fingerprints seen: those of committed levels and those of the level being built.

    >>> seen = FingerprintSet()
    >>> seen.add(np.array([7, 3, 7, -1], dtype=np.int64)).tolist()  # the first 7 is new, the second not
    [True, True, False, True]
    >>> seen.add(np.array([3, 8], dtype=np.int64)).tolist(), len(seen), seen.fresh_count
    ([False, True], 4, 4)
    >>> seen.commit(); len(seen), seen.fresh_count, 8 in seen, 4 in seen
    (4, 0, True, False)
    """

    def __init__(self, stored: Fingerprints | None = None) -> None:
        self.stored: Fingerprints = np.empty(0, dtype=np.int64) if stored is None else np.unique(stored)
        self.fresh: Fingerprints = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.stored.size + self.fresh.size)

    def __contains__(self, fingerprint: int) -> bool:
        value = np.array([fingerprint], dtype=np.int64)
        return bool(_member(self.stored, value)[0] or _member(self.fresh, value)[0])

    @property
    def fresh_count(self) -> int:
        """Fingerprints added since the last `commit`."""
        return int(self.fresh.size)

    @property
    def nbytes(self) -> int:
        """The bytes the fingerprints take."""
        return int(self.stored.nbytes + self.fresh.nbytes)

    def add(self, batch: Fingerprints) -> npt.NDArray[np.bool_]:
        """Add a batch of fingerprints; per entry, whether it is new (seen neither before nor
        earlier in the batch)."""
        new = np.zeros(batch.shape, dtype=np.bool_)
        if not batch.size:
            return new
        unique, first = np.unique(batch, return_index=True)  # the first occurrence of each
        keep = ~_member(self.stored, unique)
        keep &= ~_member(self.fresh, unique)
        added = unique[keep]
        if added.size:
            new[first[keep]] = True
            self.fresh = _merge(self.fresh, added)
        return new

    def commit(self) -> None:
        """The level being built is complete: merge its fingerprints into the stored ones, in
        place (the array grows by ``realloc``, which moves no page of a large block on Linux, and
        a stable sort of its two sorted runs needs a buffer only as large as the level)."""
        if self.fresh.size:
            n = self.stored.size
            self.stored.resize(n + self.fresh.size, refcheck=False)  # no view of it is ever kept
            self.stored[n:] = self.fresh
            self.stored.sort(kind="stable")
            self.fresh = np.empty(0, dtype=np.int64)
