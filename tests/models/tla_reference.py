"""An independent reading of UpdateCluster.tla's Init and Next, in plain Python (no statecharts).

A state is the tuple of the spec's variables; the chart's snapshots are mapped onto it to check
that the walker explores exactly the spec's state space.
"""

from __future__ import annotations

from collections.abc import Iterator

# (confOK, reqCounter, lastVOK, toApply, cluster.st, cluster.v, requests, workers, clusterUpdating)
# with requests / workers tuples of (st, v)
State = tuple


def init(workers: int, requests: int) -> list[State]:
    return [
        (conf_ok, 0, 0, 0, "idle", 0, (("waiting", None),) * requests, (("waiting", None),) * workers, False)
        for conf_ok in (False, True)
    ]


def next_states(s: State, lock: bool = True) -> Iterator[State]:
    conf_ok, counter, last_vok, to_apply, cst, cv, reqs, wks, updating = s
    for r, (st, v) in enumerate(reqs):
        if st == "waiting":  # Submit(r)
            yield (
                conf_ok,
                counter + 1,
                last_vok,
                to_apply,
                cst,
                cv,
                _set(reqs, r, ("submitted", counter + 1)),
                wks,
                updating,
            )
        if st == "submitted":  # PushToPending(r)
            if to_apply < v:
                yield (conf_ok, counter, last_vok, v, cst, cv, _set(reqs, r, ("valid", v)), wks, updating)
            else:
                yield (conf_ok, counter, last_vok, to_apply, cst, cv, _set(reqs, r, ("rejected", v)), wks, updating)
    for w, (st, v) in enumerate(wks):
        if (
            st == "waiting" and to_apply != last_vok and (not lock or not updating) and cst in ("idle", "failed")
        ):  # SpawnWorker(w)
            yield (conf_ok, counter, last_vok, to_apply, cst, cv, reqs, _set(wks, w, ("starting", to_apply)), True)
        if st == "starting":  # ApplyStart(w)
            if v >= to_apply and conf_ok:
                yield (conf_ok, counter, last_vok, to_apply, "partial", v, reqs, _set(wks, w, ("working", v)), updating)
            else:
                yield (conf_ok, counter, last_vok, to_apply, cst, cv, reqs, _set(wks, w, ("waiting", None)), False)
        if st == "working":  # ApplyFinish(w), \E ok \in BOOLEAN
            for ok in (False, True):
                back = _set(wks, w, ("waiting", None))
                if ok or v == last_vok + 10:
                    yield (conf_ok, counter, v, to_apply, "idle", cv, reqs, back, False)
                elif v < to_apply:
                    yield (conf_ok, counter, last_vok, to_apply, "failed", cv, reqs, back, False)
                else:
                    yield (conf_ok, counter, last_vok, last_vok + 10, "failed", cv, reqs, back, False)


def reachable(workers: int, requests: int, lock: bool = True) -> set[State]:
    """Every reachable state, breadth first."""
    seen = set(init(workers, requests))
    frontier = list(seen)
    while frontier:
        new = []
        for s in frontier:
            for t in next_states(s, lock):
                if t not in seen:
                    seen.add(t)
                    new.append(t)
        frontier = new
    return seen


def _set(values: tuple, i: int, value: object) -> tuple:
    return values[:i] + (value,) + values[i + 1 :]
