"""The fingerprint walk: TLC's way past memory. Only a 64-bit fingerprint of each state stays in
memory (a sorted numpy array, 8 bytes a state, plus sets for the levels being worked on); the
states of each breadth-first level and their parent links go to files on disk, and a trace is
rebuilt from the links by re-walking from an initial state, as TLC does.

It decides invariants and deadlock (temporal properties need the state graph: use `check`), on
concrete states (the model's symmetry is not applied). Two
different states with the same fingerprint would make the walk miss the second; the report gives
TLC's estimate of that probability, ``n * (g - n) / 2**64`` for ``n`` distinct states found among
``g`` generated.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from statecharts.check.graph import (
    Bounds,
    Expander,
    ExpandError,
    collect_young,
    collector_paused,
    evaluate,
    step_predicate,
)
from statecharts.check.kernel import StateKeys, StepCompiler
from statecharts.check.model import Model
from statecharts.check.trace import Trace, TraceStep
from statecharts.check.walker import Report, Result
from statecharts.errors import ConfigError, StatechartError
from statecharts.state import Snapshot

CHUNK = 20_000  # states per pickled chunk of a level file
FINGERPRINT_BITS = 64


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's optimistic estimate of the probability that two states shared a fingerprint.

    >>> collision_probability(1_301_772, 3_530_000)
    1.6e-07
    """
    return float(f"{distinct * max(generated - distinct, 0) / 2.0 ** FINGERPRINT_BITS:.2g}")


def check_fingerprints(model: Model, *, directory: str | Path | None = None, bounds: Bounds | None = None,
                       deadlock: bool = True) -> Report:
    """Walk ``model`` breadth first keeping only fingerprints in memory; decide its invariants and
    deadlock. ``directory`` holds the level files (a temporary folder, removed after, when not
    given). The report's ``fingerprints`` gives the bytes a state takes in the fingerprint array
    (the levels being expanded take more, for a while), the states generated and the collision
    probability.

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import events
    >>> jar = Machine({"id": "jar", "context": {"n": 0}, "initial": "open", "states": {"open": {"on": {
    ...     "ADD": {"guard": lambda c, e: c["n"] < 5, "actions": assign(n=lambda c, e: c["n"] + 1)},
    ...     "SEAL": "sealed"}}, "sealed": {"type": "final"}}})
    >>> report = check_fingerprints(Model(jar, alphabet=events("ADD") + events("SEAL"),
    ...                                   invariants={"below 4": lambda s: s.context["n"] < 4}))
    >>> report.distinct_states, report.transitions, report.complete
    (12, 11, True)
    >>> [step.snapshot.context["n"] for step in report.result("below 4").trace]
    [0, 1, 2, 3, 4]
    """
    with tempfile.TemporaryDirectory(prefix="statecharts-fp-") as scratch, collector_paused():
        folder = Path(directory) if directory is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        walk = FingerprintWalk(model, folder, bounds or Bounds(), deadlock)
        walk.keep = directory is not None
        return walk.run()


class FingerprintWalk:
    """One fingerprint walk (see `check_fingerprints`): level files ``states-D.pkl`` (pickled
    chunks of state keys) and ``links-D.npy`` (fingerprint, parent fingerprint, event index)."""

    def __init__(self, model: Model, folder: Path, bounds: Bounds, deadlock: bool) -> None:
        self.model, self.folder, self.bounds, self.deadlock = model, folder, bounds, deadlock
        self.machine = model.machine
        self.alphabet = tuple(model.events())
        self.initial = model.initial_states()
        self.keys = StateKeys(tuple(self.initial[0].context) if self.initial else ())
        allowed = None if model.action_constraint is None else \
            step_predicate("action constraint", "action_constraint", model.action_constraint)
        self.expander = Expander(StepCompiler(self.machine, self.alphabet), self.keys, False, None, {}, allowed)
        self.seen = np.empty(0, dtype=np.int64)  # fingerprints of every level before the current one
        self.keep = False  # the level files stay after the walk (a folder the caller named)
        self.fp = 0  # the state being expanded, and the levels at hand (next, current, previous)
        self.level: dict[int, tuple[Hashable, int, int]] = {}
        self.current: set[int] = set()
        self.previous: set[int] = set()

    def run(self) -> Report:
        model, bounds, keys = self.model, self.bounds, self.keys
        invariants = list(model.invariants.items())
        broken: dict[str, tuple[int, int]] = {}  # invariant -> (level, fingerprint)
        stuck: tuple[int, int] | None = None
        start = time.perf_counter()
        deadline = None if bounds.max_seconds is None else start + bounds.max_seconds
        level: dict[int, tuple[Hashable, int, int]] = {}
        for snapshot in self.initial:
            key = keys.of(snapshot)
            level.setdefault(hash(key), (key, 0, -1))
        previous: set[int] = set()
        distinct = generated = transitions = depth = deepest = 0
        complete, stopped_by = True, None
        next_collect = 1 << 17
        while level:
            new = self._store(depth, level)
            if not new:
                break
            distinct += new
            deepest = depth
            current = set(fp for fp in level)  # noqa: C401 - the fingerprints of this level
            level = {}
            expanded_here = 0
            for fp, key in self._read(depth):
                s = keys.restore(self.machine, key)
                for name, predicate in invariants:
                    if name not in broken and not evaluate("invariant", name, predicate, s):
                        broken[name] = (depth, fp)
                if bounds.max_depth is not None and depth >= bounds.max_depth:
                    complete, stopped_by = False, f"depth bound {bounds.max_depth}"
                    continue
                if model.constraint is not None and not evaluate("constraint", "constraint", model.constraint, s):
                    continue
                if s.status != "active":
                    continue
                expanded_here += 1
                if expanded_here >= next_collect:
                    collect_young()
                    next_collect += 1 << 17
                out: list[tuple[int, int]] = []
                loops: set[int] = set()

                self.fp, self.level, self.current, self.previous = fp, level, current, previous
                try:
                    self.expander.expand(0, s, depth + 1, self.lookup, self.add, _minus_two, out, loops)
                except ExpandError as exc:
                    raise StatechartError(f"{exc.cause} (while walking event {self.alphabet[exc.event]!r} in "
                                          f"state {s.value!r}, context {dict(s.context)!r})") from exc.cause
                generated += len(out) + len(loops)
                transitions += len(out)
                if self.deadlock and stuck is None and not out and not loops and \
                        (model.terminal is None or not evaluate("terminal", "terminal", model.terminal, s)):
                    stuck = (depth, fp)
                if bounds.max_states is not None and distinct + len(level) >= bounds.max_states:
                    complete, stopped_by = False, f"state bound {bounds.max_states}"
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    complete, stopped_by = False, f"time bound {bounds.max_seconds} s"
                    break
            if not complete and stopped_by is not None and not stopped_by.startswith("depth"):
                self.seen = np.union1d(self.seen, np.fromiter(current, dtype=np.int64, count=len(current)))
                stored = self._store(depth + 1, level)  # what was found before the bound counts, as in `check`
                distinct += stored
                deepest = depth + 1 if stored else deepest
                break
            self.seen = np.union1d(self.seen, np.fromiter(current, dtype=np.int64, count=len(current)))
            previous = current
            depth += 1
        seconds = time.perf_counter() - start
        report = Report(model.name or self.machine.id, distinct, transitions,
                        deepest, complete, seconds, stopped_by=stopped_by)
        for name, _ in invariants:
            found = broken.get(name)
            report.results.append(Result(name, "invariant", found is None,
                                         None if found is None else self.trace(*found)))
        if self.deadlock:
            report.results.append(Result("deadlock", "deadlock", stuck is None,
                                         None if stuck is None else self.trace(*stuck)))
        report.fingerprints = {
            "fingerprint_bytes_per_state": round(self.seen.nbytes / max(distinct, 1), 1),
            "collision_probability": collision_probability(distinct, generated + len(self.initial)),
            "states_generated": generated + len(self.initial)}
        if self.keep:
            report.fingerprints["folder"] = str(self.folder)
        return report

    def lookup(self, key: Hashable) -> int | None:
        """For `Expander`: 0 for the state being expanded, -1 for another state known in the levels
        at hand, ``None`` for one to build and `add` (older levels are sifted out by `_store`)."""
        h = hash(key)
        if h == self.fp:
            return 0
        return -1 if h in self.level or h in self.current or h in self.previous else None

    def add(self, after: Snapshot, parent: int, via: int, depth: int, key: Hashable) -> int:
        """For `Expander`: note a successor of the state being expanded in the next level."""
        if key is None:
            key = self.keys.of(after)
        h = hash(key)
        if h == self.fp:
            return 0
        if h not in self.level and h not in self.current and h not in self.previous:
            self.level[h] = (key, self.fp, via)
        return -1

    def _store(self, depth: int, level: dict[int, tuple[Hashable, int, int]]) -> int:
        """Keep the level's states not seen before: their keys to ``states-D.pkl``, their links to
        ``links-D.npy``; the number kept. Dropped from ``level``: the states already seen."""
        fps = np.fromiter(level, dtype=np.int64, count=len(level))
        old = fps[np.isin(fps, self.seen, assume_unique=True)] if self.seen.size else fps[:0]
        for fp in old.tolist():
            del level[fp]
        links = np.empty(len(level), dtype=[("fp", np.int64), ("parent", np.int64), ("via", np.int32)])
        with open(self.folder / f"states-{depth}.pkl", "wb") as out:
            chunk: list[tuple[int, Hashable]] = []
            for n, (fp, (key, parent, via)) in enumerate(level.items()):
                links[n] = (fp, parent, via)
                chunk.append((fp, key))
                if len(chunk) >= CHUNK:
                    pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
                    chunk = []
            if chunk:
                pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
        np.save(self.folder / f"links-{depth}.npy", links)
        return len(level)

    def _read(self, depth: int) -> Iterator[tuple[int, Any]]:
        with open(self.folder / f"states-{depth}.pkl", "rb") as source:
            while True:
                try:
                    chunk = pickle.load(source)
                except EOFError:
                    return
                yield from chunk

    def trace(self, depth: int, fp: int) -> Trace:
        """The trace to the state with fingerprint ``fp`` at ``depth``: its parent links read back
        level by level, then re-walked from the initial state, each step checked against the next
        fingerprint (a mismatch would be a fingerprint collision: an error saying so)."""
        chain: list[tuple[int, int]] = []  # (event index, fingerprint), last first
        while depth > 0:
            links = np.load(self.folder / f"links-{depth}.npy")
            row = links[links["fp"] == fp][0]
            chain.append((int(row["via"]), fp))
            fp, depth = int(row["parent"]), depth - 1
        state = next(s for s in self.initial if hash(self.keys.of(s)) == fp)
        steps = [TraceStep(None, state)]
        for via, want in reversed(chain):
            event = self.alphabet[via]
            state = self.machine.transition(state, event)
            if hash(self.keys.of(state)) != want:
                raise ConfigError(f"rebuilding a trace: {event!r} from step {len(steps) - 1} does not lead to the "
                                  f"recorded fingerprint (a fingerprint collision, or a chart whose steps are not "
                                  f"deterministic)", key="fingerprints")
            steps.append(TraceStep(event, state))
        return Trace(tuple(steps))


def _minus_two() -> int:
    return -2  # `Expander` compares new states with this "size": the fingerprint walk counts no coverage
