"""The fingerprint set (statecharts/check/fpset.py) says "new" exactly where a Python set would, and
the fingerprint walk built on it finds the full walk's counts and verdicts on random charts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from statecharts import EventlessLoopError
from statecharts.check import Model, check
from statecharts.check.fingerprints import check_fingerprints
from statecharts.check.fpset import FingerprintSet, _member
from statecharts.check.graph import WalkError
from tests.check.test_kernel import charts

FINGERPRINTS = st.integers(-(2**63), 2**63 - 1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.one_of(st.integers(-20, 20), FINGERPRINTS), max_size=30), max_size=8),
    st.sets(st.integers(0, 7)),
)
def test_a_fingerprint_is_new_once_whatever_the_batches_and_levels(batches: list[list[int]], commits: set[int]) -> None:
    seen, reference = FingerprintSet(), set()
    for n, batch in enumerate(batches):
        new = seen.add(np.array(batch, dtype=np.int64)).tolist()
        expected = []
        for fp in batch:
            expected.append(fp not in reference)
            reference.add(fp)
        assert new == expected
        if n in commits:
            seen.commit()
        assert len(seen) == len(reference) and all(fp in seen for fp in batch)
    assert seen.nbytes == 8 * len(reference)


@settings(max_examples=40, deadline=None)
@given(charts())
def test_the_fingerprint_walk_of_random_charts_finds_the_full_walks_counts_and_verdicts(model: Model) -> None:
    checked = Model(
        model.machine,
        alphabet=model.alphabet,
        invariants={"x below 2": lambda s: s.context["x"] < 2, "y stays 0": lambda s: s.context["y"] == 0},
    )
    try:
        full = check(checked)
    except (WalkError, EventlessLoopError):
        return
    fp = check_fingerprints(checked)
    assert (fp.distinct_states, fp.transitions, fp.depth, fp.complete) == (
        full.distinct_states,
        full.transitions,
        full.depth,
        full.complete,
    )
    assert [(r.name, r.holds, r.note, r.trace and len(r.trace)) for r in fp.results] == [
        (r.name, r.holds, r.note, r.trace and len(r.trace)) for r in full.results
    ]


def test_member_says_per_value_whether_it_is_in_the_sorted_array():
    sorted_values = np.array([2, 5, 9], dtype=np.int64)
    assert _member(sorted_values, np.array([1, 5, 9, 10], dtype=np.int64)).tolist() == [False, True, True, False]
    assert _member(np.array([], dtype=np.int64), np.array([1], dtype=np.int64)).tolist() == [False]
