"""The fingerprint walk: TLC's way past memory, on one core or many. Only a 64-bit fingerprint of
each state stays in memory (sorted numpy arrays, `statecharts.check.fpset`: 8 bytes a state, 8
more per state of a level while it is merged in); the states of each breadth-first level and
their parent links go to files on disk as they are found, the level being expanded is read back
from its file chunk by chunk, and a trace is rebuilt from the links by re-walking from an
initial state, as TLC does. Besides the fingerprints, memory holds what grows with the chart's
configurations, not its states: the configurations themselves, and the compiled steps of those
in use (`BoundedStepCompiler`: at most ``2 * CONFIGURATIONS`` configurations' worth).

With ``workers=N`` the states are partitioned among N processes (forked, so they share the chart
and Python's hash seed): each expands the states it owns, level by level, and sends each
successor it does not own to its owner (TLC's distributed mode). A state's owner is its
configuration's (`partition_scheme`): the states of a configuration, and so the steps compiled
for it, stay in one process; a chart with too few configurations to share out is partitioned
by state fingerprint instead. A level is expanded in slices; in each, a partition with more than
its share of the slice's states lends the rest to the others (`share_out`, `Partition.lend`: work
sharing, so that no worker waits for the slowest at the end of a slice), which expand them and
send their successors to the owners. The counts,
verdicts and traces are those of one process: each level's states are kept in the single-process
walk's breadth-first order (see `bfs_ranks`), so a state's parent link and a level's first
violation are the ones one process records.

It decides invariants and deadlock (temporal properties need the state graph: use `check`), on
concrete states (the model's symmetry is not applied). Two different states with the same
fingerprint would make the walk miss the second; the report gives TLC's estimate of that
probability, ``n * (g - n) / 2**64`` for ``n`` distinct states found among ``g`` generated.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
import time
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from statecharts.chart import StateNode
from statecharts.check.checkpoint import CHECKPOINT_SECONDS, load_checkpoint, save_checkpoint, walk_identity
from statecharts.check.fpset import FingerprintSet
from statecharts.check.graph import (
    Bounds,
    Expander,
    ExpandError,
    collect_young,
    collector_paused,
    evaluate,
    step_predicate,
    unhandled_error_function,
)
from statecharts.check.kernel import ConfigurationSteps, StateKeys, StepCompiler
from statecharts.check.model import Model, refuse_actor_system
from statecharts.check.trace import Trace, TraceStep
from statecharts.check.walker import Report, Result
from statecharts.errors import ConfigError, StatechartError
from statecharts.state import Snapshot

CHUNK = 4_096  # states per pickled chunk of a level file (at most CHUNK + BATCH - 1 in one)
BATCH = 4_096  # candidate successors checked against the fingerprint set at once
# States of a level each partition expands between two looks of the driver at the clock and at
# Ctrl-C: a checkpoint within a level comes between two such slices (with several partitions,
# each slice's successors go to their owners before the next slice; `Walk._expand_level`)
SLICE = 2_048
SHARE_LEAST = 32  # `share_out`: fewer states than this a partition keeps rather than lends
# Configurations whose compiled steps a partition keeps: `BoundedStepCompiler` holds the last
# CONFIGURATIONS used and up to CONFIGURATIONS more (UpdateCluster 3x5: 8,623 configurations,
# at most about 2,100 in one level, about 2.5-3.7 KB each compiled; 21,336 compilations instead
# of 8,623, and 37 bytes a state instead of 54: benchmarks/README.md)
CONFIGURATIONS = 1_536
FINGERPRINT_BITS = 64
Found = tuple[Any, int, int, int]  # a successor for an outbox: its key, its parent's place, the event, its order
# States one partition lends another to expand (`Partition.lend`): the lender, the position of the
# first in its level file, their ranks (`bfs_ranks`) and their keys (`Partition.dumps`)
Lent = tuple[int, int, np.ndarray, bytes]
# A state's place: its position in its partition's level file times the partitions, plus the partition.
# A state's order, with several partitions: its parent's rank (`bfs_ranks`) times the alphabet's
# size plus the event's index, or, for an initial state, its index among the initial states.
NOTED = -3  # `Partition.lookup`: a successor noted, to be checked against the fingerprints in a batch
LINK = np.dtype([("parent", "<i8"), ("via", "<i4")])  # a state's record in its level's links file
# `partition_scheme`: a chart that has fewer than this many configurations per partition (counted
# statically, an upper bound on those reachable) is partitioned by state fingerprint instead
CONFIGURATIONS_PER_PART = 64
BY_CONFIGURATION, BY_STATE = "configuration", "state"


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's optimistic estimate of the probability that two states shared a fingerprint.

    >>> collision_probability(1_301_772, 3_530_000)
    1.6e-07
    """
    return float(f"{distinct * max(generated - distinct, 0) / 2.0**FINGERPRINT_BITS:.2g}")


def chart_configurations(node: StateNode, cap: int) -> int:
    """How many configurations the chart below ``node`` has at most, counted from its tree (a
    compound state's children add up, a parallel state's regions multiply), up to ``cap``.

    >>> from statecharts.compile import compile_chart
    >>> chart = compile_chart({"id": "m", "type": "parallel", "states": {
    ...     "r": {"initial": "a", "states": {"a": {}, "b": {}, "c": {}}},
    ...     "s": {"initial": "x", "states": {"x": {}, "y": {"initial": "y1", "states": {"y1": {}, "y2": {}}}}}}})
    >>> chart_configurations(chart.root, 100), chart_configurations(chart.root, 5)
    (9, 5)
    """
    if not node.children:
        return 1
    if node.type == "parallel":
        product = 1
        for child in node.children:
            product = min(product * chart_configurations(child, cap), cap)
        return product
    return min(sum(chart_configurations(child, cap) for child in node.children), cap)


def configuration_digest(configuration: frozenset[StateNode]) -> int:
    """A 64-bit digest of a configuration, the same in every process, run and machine (of its
    states' ids): by configuration, a state's owner is this modulo the partitions.

    >>> from statecharts import Machine
    >>> light = Machine({"id": "light", "initial": "green", "states": {"green": {}, "red": {}}})
    >>> configuration_digest(light.initial_state().configuration_nodes)
    17330844099625079443
    """
    ids = "\n".join(sorted(node.id for node in configuration))
    return int.from_bytes(hashlib.blake2b(ids.encode(), digest_size=8).digest(), "little")


def partition_scheme(machine: Any, parts: int) -> str:
    """How a walk in ``parts`` partitions assigns each state its owner, the same in every process:
    by its configuration (``"configuration"``: the states of a configuration, and the steps
    compiled for it, stay in one partition, and so does every successor that only assigns), or,
    for a chart with fewer than `CONFIGURATIONS_PER_PART` configurations a partition, too few to
    share the states out evenly, by its fingerprint (``"state"``).

    >>> from statecharts import Machine
    >>> light = Machine({"id": "light", "initial": "green", "states": {"green": {}, "red": {}}})
    >>> partition_scheme(light, 2)
    'state'
    """
    if parts == 1:
        return BY_STATE
    wanted = CONFIGURATIONS_PER_PART * parts
    return BY_CONFIGURATION if chart_configurations(machine.chart.root, wanted) >= wanted else BY_STATE


def bfs_ranks(orders: list[np.ndarray]) -> list[np.ndarray]:
    """Each partition's new states of a level (their orders, ascending in each partition), ranked
    among all of them: the rank is the position at which the single-process walk numbers the
    state within its level. That walk discovers a level's states in the order of their first
    (parent's rank, event index), so a rank is the position of the state's least order, which is
    the order its owner keeps (the owner takes a level's candidates in ascending order).

    >>> [r.tolist() for r in bfs_ranks([np.array([3, 10]), np.array([0, 4, 11])])]
    [[1, 3], [0, 2, 4]]
    """
    merged = np.concatenate(orders) if orders else np.empty(0, dtype=np.int64)
    ranks = np.empty(merged.size, dtype=np.int64)
    ranks[np.argsort(merged, kind="stable")] = np.arange(merged.size, dtype=np.int64)
    return np.split(ranks, np.cumsum([o.size for o in orders])[:-1])


def check_fingerprints(
    model: Model,
    *,
    directory: str | Path | None = None,
    bounds: Bounds | None = None,
    deadlock: bool = True,
    workers: int = 1,
    resume: bool = False,
    checkpoint_every: float | None = CHECKPOINT_SECONDS,
) -> Report:
    """Walk ``model`` breadth first keeping only fingerprints in memory, in ``workers`` processes;
    decide its invariants and deadlock. ``directory`` holds the level files (a temporary folder,
    removed after, when not given); it also holds a checkpoint, at the start of each level and
    within a level every ``checkpoint_every`` seconds (None: at level starts only), from which
    ``resume=True`` continues to the result of an uninterrupted walk (the same model and workers).
    Ctrl-C stops the walk after the slice of the level in expansion (a second Ctrl-C at once), with
    a checkpoint there and a partial report whose ``fingerprints`` say ``interrupted`` and name the
    checkpoint. The report's ``fingerprints`` gives
    the bytes a state takes in the fingerprint arrays (8 more per state of a level while it is
    merged in), the states generated, the collision probability, the bytes sent between workers,
    how states were given to them (``partition``, see `partition_scheme`) and the per-level
    imbalance (``level_imbalance``: per level, how many more states the largest partition held
    than the mean, weighted by the level's states). The level files are pickles, read back as
    written: resume only a ``directory`` this library's walks wrote (a pickle planted there runs code).

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
    refuse_actor_system(model.machine, "the fingerprint walk (--fingerprints, --workers, --checkpoint, --resume)")
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}", key="workers")
    if checkpoint_every is not None and checkpoint_every < 0:
        raise ConfigError(f"checkpoint_every must be 0 seconds or more, not {checkpoint_every}", key="checkpoint")
    with tempfile.TemporaryDirectory(prefix="statecharts-fp-") as scratch, collector_paused():
        folder = Path(directory) if directory is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if resume and directory is None:
            raise ConfigError("resume needs the directory of an earlier walk", key="resume")
        # a checkpoint another process may resume: the states' owners must be the same there, which
        # Python's per-process hash does not promise (one partition owns every state, whatever its hash)
        portable = directory is not None and workers > 1
        if portable:
            from statecharts.check.portable import StablePartition
        walk = Walk(
            model,
            folder,
            bounds or Bounds(),
            deadlock,
            workers,
            resume,
            partition=StablePartition if portable else None,
            checkpoint_every=checkpoint_every,
        )
        walk.kept = directory is not None
        report = walk.run()
        if directory is not None:
            assert report.fingerprints is not None
            report.fingerprints["folder"] = str(folder)
        return report


@dataclass
class LevelResult:
    """What a partition found expanding one level."""

    generated: int = 0
    transitions: int = 0
    broken: dict[str, int] = field(default_factory=dict)  # invariant -> fingerprint (first in the level)
    stuck: int | None = None  # the first deadlocked state's fingerprint
    cut: bool = False  # some state was not expanded (depth bound)
    raised: int = 0  # steps in which a guard or action raised and nothing took error.execution
    first_raised: tuple[int, int, str] | None = None  # (place of the state, event index, what raised)
    # with several partitions, where the first of each of these comes in the single-process order
    ranks: dict[str, int] = field(default_factory=dict)  # invariant -> rank of its first violation
    stuck_rank: int = 0
    raised_order: int = 0  # the first step that raised: rank of its state times the alphabet size plus the event
    outboxes: list[bytes] = field(default_factory=list)  # per partition: the successors it owns (`Partition.pack`)
    lent: list[tuple[int, Lent]] = field(default_factory=list)  # states read ahead for others (`Partition.lend`)
    expanded: int = 0  # the states this partition checked (its own and borrowed ones)
    seconds: float = 0.0  # and the CPU seconds that took it, for `share_out`


class Partition:
    """The states whose fingerprint is ``part`` modulo ``parts``: the fingerprints seen
    (`FingerprintSet`, 8 bytes a state) and the level files: ``states-P-D.pkl`` (pickled chunks of
    ``(rest, context values)``, state nodes as ids, so that another process can read them) and
    ``links-P-D.bin`` (per state, in the same order, a `LINK` record: its parent's place and the
    event index). The level being expanded is read back from its file chunk by chunk, and the
    next one is written as it is found: successors are gathered in batches, their fingerprints
    checked against the set a batch at a time, and the new ones appended to the files at once:
    one process holds no level in memory (with workers, the successors wait in outboxes, one per
    owner and this partition's own too, for the level's exchange: an owner takes a level's
    candidates in the single-process walk's order, see `receive_level`)."""

    def __init__(
        self, model: Model, folder: Path, part: int, parts: int, deadlock: bool, max_depth: int | None
    ) -> None:
        self.model, self.folder, self.part, self.parts = model, folder, part, parts
        self.deadlock, self.max_depth = deadlock, max_depth
        self.machine = model.machine
        self.alphabet = tuple(model.events())
        initial = model.initial_states()
        self.keys = StateKeys(tuple(initial[0].context) if initial else ())
        allowed = (
            None
            if model.action_constraint is None
            else step_predicate("action constraint", "action_constraint", model.action_constraint)
        )
        compiler = BoundedStepCompiler(self.machine, self.alphabet, CONFIGURATIONS)
        self.expander = Expander(compiler, self.keys, False, None, {}, allowed)
        self.unhandled = unhandled_error_function(self.machine)
        self.raised = 0  # this level's steps that raised, and the first of them (see LevelResult)
        self.first_raised: tuple[int, int, str] | None = None
        self.raised_order = 0
        self.seen = FingerprintSet()
        self.noted: list[tuple[int, Hashable]] = []  # successors of the state being expanded, in edge order
        self.fp = 0  # the state being expanded, its place and its rank in the level (`bfs_ranks`)
        self.here = 0
        self.rank = 0
        # the batch of candidates for the next level: fingerprints, keys, parent places, events
        self.batch_fps: list[int] = []
        self.batch_keys: list[Hashable] = []
        self.batch_parents: list[int] = []
        self.batch_vias: list[int] = []
        self.orders: list[int] = []  # with several partitions: the orders of the level's new states, in file order
        self.ranks: np.ndarray = np.empty(0, dtype=np.int64)  # and the ranks of the level being expanded
        self.own: dict[int, Found] = {}  # the successors this partition owns, found in the level's expansion
        self.reading: Iterator[Any] = iter(())  # the level being expanded, from its file
        self.reading_depth = -1
        self.read = 0  # its states taken so far (expanded here or lent and expanded there, in file order)
        self.pulled = 0  # its states read from the file so far: ``read``, ``ahead``, then those lent
        self.ahead: list[Any] = []  # read ahead (`lend`): the keys of the next slice's states kept here
        self.expanded = 0  # the states of the level expanded here (this partition's and borrowed ones)
        self.next_collect = 0
        self.orders_saved = 0  # of ``orders``, those in the level's orders file (`checkpoint`)
        self.writing = 0  # the level whose files are being written, and what is written of it
        self.written = 0
        self.chunk: list[Hashable] = []
        self.states_file: Any = None
        self.links_file: Any = None
        self.rest_fps: list[int] = []  # per rest id of `keys`: a hash that is the same in every worker
        self.rests: list[tuple[Any, ...]] = []
        self.scheme = partition_scheme(self.machine, parts)
        self.rest_owners: list[int] = []  # per rest id, by configuration: the partition that owns its states
        self.outbox: list[dict[int, Found]] = [{} for _ in range(parts)]  # per owner, by fingerprint: the first found
        self.nodes = {n.id: n for n in self.machine.states}
        self.rest_pickles: dict[int, bytes] = {}  # `_rest_table`: per rest id, the rest pickled
        self.rest_by_pickle: dict[bytes, int] = {}  # and back (a rest from another process, too)
        self.token = os.urandom(8)  # `pack`: this partition as a sender, unlike any other
        self.told: list[set[int]] = [set() for _ in range(parts)]  # per owner: the rest ids sent it
        self.heard: dict[bytes, dict[int, int]] = {}  # per sender: its rest ids -> this process's

    def fingerprint(self, key: Any) -> int:
        """The key's fingerprint, the same in every worker (the rest's own hash, not its local id)."""
        rest: int = key[0]
        values: Any = key[1]
        if rest >= len(self.rest_fps):
            self._sync_rests()
        return hash((self.rest_fps[rest], values))

    def _sync_rests(self) -> None:
        """Catch up with the rests `keys` numbered since (the newest are at the end of its dict)."""
        known, new = len(self.rests), []  # type: tuple[int, list[tuple[Any, ...]]]
        for r in reversed(self.keys.rests):
            if len(new) == len(self.keys.rests) - known:
                break
            new.append(r)
        new.reverse()
        self.rests.extend(new)
        self.rest_fps.extend(self.rest_fingerprint(r) for r in new)
        if self.scheme == BY_CONFIGURATION:
            self.rest_owners.extend(configuration_digest(r[0]) % self.parts for r in new)

    def owner(self, fingerprint: int, key: Any) -> int:
        """The partition that owns the state of ``key`` (its ``fingerprint``), by `partition_scheme`."""
        if self.scheme == BY_CONFIGURATION:
            if key[0] >= len(self.rest_owners):
                self._sync_rests()
            return self.rest_owners[key[0]]
        return fingerprint % self.parts

    def rest_fingerprint(self, rest: tuple[Any, ...]) -> int:
        """A rest's part of the fingerprints (its hash: the same in forked workers)."""
        return hash(rest)

    def lookup(self, key: Hashable) -> int | None:
        """For `Expander`: 0 for the state being expanded; `NOTED` for any other (noted in
        ``noted``: `expand` pairs it with the event of its edge; no snapshot is built)."""
        h = self.fingerprint(key)
        if h == self.fp:
            return 0
        self.noted.append((h, key))
        return NOTED

    def add(self, after: Snapshot, parent: int, via: int, depth: int, key: Hashable) -> int:
        """For `Expander`: note a successor of the state being expanded, as `lookup` does."""
        if self.unhandled is not None and (what := self.unhandled(after)) is not None:
            self.raised += 1  # reported by the verdict, never silently a stutter
            order = self.rank * len(self.alphabet) + via  # the least in the slice (see `expand`)
            if self.first_raised is None or order < self.raised_order:
                self.first_raised, self.raised_order = (self.here, via, what), order
        return self.lookup(self.keys.of(after) if key is None else key)  # type: ignore[return-value]

    def _candidate(self, h: int, key: Hashable, parent: int, via: int) -> None:
        self.batch_fps.append(h)
        self.batch_keys.append(key)
        self.batch_parents.append(parent)
        self.batch_vias.append(via)
        if len(self.batch_fps) >= BATCH:
            self._flush()

    def receive_level(self, boxes: list[bytes]) -> None:
        """The level's successors this partition owns (or the initial states): those it found and
        those in the other partitions' outboxes (`pack`), taken in ascending order, so that the
        first of each state is the one the single-process walk discovers first (its parent link)
        and the level file is in that walk's order. Each outbox is in ascending order already;
        one stable sort of their orders merges them."""
        self._flush()
        found = [_columns(self.own), *(self.unpack(data) for data in boxes if data)]
        self.own = {}
        fps = np.concatenate([f[0] for f in found])
        orders = np.concatenate([f[4] for f in found])
        by_order = np.argsort(orders, kind="stable")
        keys = [k for f in found for k in f[1]]
        keys = [keys[n] for n in by_order.tolist()]
        parents = np.concatenate([f[2] for f in found])[by_order]
        vias = np.concatenate([f[3] for f in found])[by_order]
        fps, orders = fps[by_order], orders[by_order]
        for at in range(0, len(keys), BATCH):
            end = at + BATCH
            ordered = orders[at:end] if self.parts > 1 else None
            self._add(fps[at:end], keys[at:end], parents[at:end], vias[at:end], ordered)

    def _rest_id(self, rest: tuple[Any, ...]) -> int:
        rests = self.keys.rests
        rid = rests.get(rest)
        if rid is None:
            rid = rests[rest] = len(rests)
        return rid

    def _flush(self) -> None:
        """The batch's new states (in the order found) to the files of the level being written."""
        if not self.batch_fps:
            return
        fps, keys, parents, vias = self.batch_fps, self.batch_keys, self.batch_parents, self.batch_vias
        self.batch_fps, self.batch_keys, self.batch_parents, self.batch_vias = [], [], [], []
        self._add(np.array(fps, dtype=np.int64), keys, np.array(parents), np.array(vias), None)

    def _add(
        self, fps: np.ndarray, keys: list[Any], parents: np.ndarray, vias: np.ndarray, orders: np.ndarray | None
    ) -> None:
        """Candidates in order: the new ones (their fingerprint not seen) to the level's files,
        their ``orders`` (with several partitions) kept for `level_orders`."""
        kept = np.flatnonzero(self.seen.add(fps))
        if not kept.size:
            return
        if self.states_file is None:
            self.states_file = open(self.folder / f"states-{self.part}-{self.writing}.pkl", "wb")  # noqa: SIM115
            self.links_file = open(self.folder / f"links-{self.part}-{self.writing}.bin", "wb")  # noqa: SIM115
        links = np.empty(kept.size, dtype=LINK)
        links["parent"] = parents[kept]
        links["via"] = vias[kept]
        if orders is not None:
            self.orders.extend(orders[kept].tolist())
        self.links_file.write(links.tobytes())
        chunk = self.chunk
        chunk.extend([keys[n] for n in kept.tolist()])
        if len(chunk) >= CHUNK:
            self.states_file.write(self.dumps(chunk, 0))
            self.chunk = []
        self.written += kept.size

    def store(self, depth: int) -> int:
        """Close the level being written (``depth``): its files are complete and its fingerprints
        join the stored ones; the number of its states. The next level is written from now on."""
        for handle in self._written_out():
            handle.close()
        self.states_file = self.links_file = None
        count = self.written
        if not count:  # no file from an interrupted walk stays for a resumed one to read
            (self.folder / f"states-{self.part}-{depth}.pkl").unlink(missing_ok=True)
            (self.folder / f"links-{self.part}-{depth}.bin").unlink(missing_ok=True)
        self.seen.commit()
        self.writing, self.written = depth + 1, 0
        return count

    def _written_out(self) -> list[Any]:
        """Every state found of the level being written in its files (the batch checked, the chunk
        pickled); the files open."""
        self._flush()
        if self.chunk:
            self.states_file.write(self.dumps(self.chunk, 0))
            self.chunk = []
        return [handle for handle in (self.states_file, self.links_file) if handle is not None]

    def level_orders(self) -> np.ndarray:
        """The orders of the states of the level just stored, in file order (ascending)."""
        orders, self.orders, self.orders_saved = np.array(self.orders, dtype=np.int64), [], 0
        return orders

    def set_ranks(self, depth: int, ranks: np.ndarray) -> None:
        """The ranks (`bfs_ranks`) of this partition's states of level ``depth``, kept for its
        expansion and in ``ranks-P-D.bin`` for a resumed walk."""
        self.ranks = ranks
        ranks.astype("<i8").tofile(self.folder / f"ranks-{self.part}-{depth}.bin")

    def expand(
        self,
        depth: int,
        upto: int,
        stop: int | None = None,
        borrowed: Iterable[Lent] = (),
        lend: Iterable[tuple[int, int, int]] = (),
        inboxes: list[bytes] | None = None,
    ) -> LevelResult:
        """Check and expand the next slice of the current level's states (read back from its
        file): those the single-process walk numbers below ``upto`` (their rank, `bfs_ranks`).
        With work shared out (`share_out`): only those before position ``stop``, the others
        having been lent; then the ``borrowed`` states of other partitions (`lend`); then the
        states ``lend`` names read ahead for the next slice and lent (``LevelResult.lent``).
        ``inboxes``: first, the previous slice's successors this partition owns from the others
        (`receive_level`)."""
        model, keys, result, began = self.model, self.keys, LevelResult(), time.process_time()
        if inboxes is not None:
            self.receive_level(inboxes)
        invariants = list(model.invariants.items())
        noted, parts, outbox = self.noted, self.parts, self.outbox
        owners = self.rest_owners if self.scheme == BY_CONFIGURATION else None
        if self.reading_depth != depth:
            self._open(depth)
        size = len(self.alphabet)
        start, end = self.read, upto if parts == 1 else int(np.searchsorted(self.ranks, upto))
        mine = end if stop is None else stop
        states: Iterator[tuple[Any, int, int]] = zip(
            self._take(start, mine),
            range(start * parts + self.part, max(mine, start) * parts + self.part, parts),
            range(start, mine) if parts == 1 else self.ranks[start:mine].tolist(),
            strict=True,
        )
        for owner, first, ranks, data in borrowed:  # other partitions' states, in their own rank order
            taken = self._load(io.BytesIO(data), 0)
            heres = range(first * parts + owner, (first + len(taken)) * parts + owner, parts)
            states = itertools.chain(states, zip(taken, heres, ranks.tolist(), strict=True))
        next_collect, count = self.next_collect, self.expanded
        # own states come first, then borrowed ones, each in rank order: the first of anything in
        # this slice (a violation, an owner's candidate) is kept by its least rank, not by arrival
        for count, (key, here, rank) in enumerate(states, self.expanded + 1):  # noqa: B007 - kept after
            fp = self.fingerprint(key)
            s = keys.restore(self.machine, key)
            for name, predicate in invariants:
                if (name not in result.broken or rank < result.ranks[name]) and not evaluate(
                    "invariant", name, predicate, s
                ):
                    result.broken[name] = here
                    result.ranks[name] = rank
            if self.max_depth is not None and depth >= self.max_depth:
                result.cut = True
                continue
            if model.constraint is not None and not evaluate("constraint", "constraint", model.constraint, s):
                continue
            if s.status != "active":
                continue
            if count >= next_collect:
                collect_young()
                next_collect += 1 << 17
            out: list[tuple[int, int]] = []
            loops: set[int] = set()
            self.fp, self.here, self.rank = fp, here, rank
            try:
                self.expander.expand(0, s, depth + 1, self.lookup, self.add, _minus_two, out, loops)
            except ExpandError as exc:
                raise StatechartError(
                    f"{exc.cause} (while walking event {self.alphabet[exc.event]!r} in "
                    f"state {s.value!r}, context {dict(s.context)!r})"
                ) from exc.cause
            if noted:  # each NOTED edge, in order, is one noted state
                found = iter(noted)
                for e, j in out:
                    if j == NOTED:
                        h, successor = next(found)
                        if parts == 1:
                            self._candidate(h, successor, here, e)
                        else:  # its owner (this partition too) takes the level's candidates in order
                            box = outbox[h % parts if owners is None else owners[successor[0]]]  # type: ignore[index]
                            order = rank * size + e
                            kept = box.get(h)
                            if kept is None or order < kept[3]:
                                box[h] = (successor, here, e, order)
                noted.clear()
            result.generated += len(out) + len(loops)
            result.transitions += len(out)
            if (
                self.deadlock
                and (result.stuck is None or rank < result.stuck_rank)
                and not out
                and not loops
                and (model.terminal is None or not evaluate("terminal", "terminal", model.terminal, s))
            ):
                result.stuck, result.stuck_rank = here, rank
        result.expanded, self.expanded = count - self.expanded, count
        if mine < end and self.pulled < end:
            raise ValueError(f"partition {self.part}: states {mine}..{end} of level {depth} were not lent")
        self.read, self.next_collect = max(start, end), next_collect
        self._flush()
        result.raised, result.first_raised, result.raised_order = self.raised, self.first_raised, self.raised_order
        self.raised, self.first_raised = 0, None
        if parts > 1:
            self.own = outbox[self.part]
        result.outboxes = [b"" if k == self.part else self.pack(box, k) for k, box in enumerate(self.outbox)]
        self.outbox = [{} for _ in range(self.parts)]
        result.lent = self.lend(depth, lend)
        result.seconds = time.process_time() - began
        return result

    def _open(self, depth: int) -> None:
        """Start reading level ``depth`` from the first of its states."""
        self.reading, self.reading_depth, self.read, self.pulled = self._read(depth), depth, 0, 0
        self.ahead, self.expanded, self.next_collect = [], 0, 1 << 17

    def _take(self, start: int, stop: int) -> Iterable[Any]:
        """The keys of this partition's states ``start`` (``read``) to ``stop`` of the level in
        expansion: those read ahead first, then from the file (without reading one more)."""
        wanted = stop - start
        if wanted <= 0:
            return ()
        head = self.ahead[:wanted]
        del self.ahead[:wanted]
        rest = wanted - len(head)
        if not rest:
            return head
        if self.pulled != start + len(head):
            raise ValueError(f"partition {self.part}: state {start + len(head)} of the level was lent, not kept")
        self.pulled += rest
        return itertools.chain(head, itertools.islice(self.reading, rest))

    def lend(self, depth: int, ranges: Iterable[tuple[int, int, int]]) -> list[tuple[int, Lent]]:
        """Read ahead in level ``depth`` up to the end of ``ranges`` (borrower, first, stop: this
        partition's states by position, all beyond the slice being expanded) and lend each range
        to its borrower: per range the borrower and what it expands them from (`Lent`). The states
        before the first range stay here, read ahead, for the next slice; `expand` skips the
        lent ones (its ``stop``)."""
        ranges = list(ranges)
        if not ranges:
            return []
        if self.reading_depth != depth:
            self._open(depth)
        top = max(stop for _, _, stop in ranges)
        if top > self.pulled:
            if self.pulled != self.read + len(self.ahead):
                raise ValueError(f"partition {self.part}: lending past states lent before")
            self.ahead.extend(itertools.islice(self.reading, top - self.pulled))
            self.pulled = top
        base, lent = self.read, []
        for borrower, first, stop in ranges:
            taken = self.ahead[first - base : stop - base]
            ranks = np.arange(first, stop) if self.parts == 1 else self.ranks[first:stop]
            lent.append((borrower, (self.part, first, ranks, self.dumps(taken, 0))))
        del self.ahead[min(first for _, first, _ in ranges) - base :]
        return lent

    def _read(self, depth: int, part: int | None = None) -> Iterator[tuple[int, Any]]:
        """The keys of a level file, in order (this partition's, or ``part``'s)."""
        path = self.folder / f"states-{self.part if part is None else part}-{depth}.pkl"
        if not path.exists():
            return  # this partition owns no state of the level
        with open(path, "rb") as source:
            while True:
                try:
                    yield from self._load(source, 0)
                except EOFError:
                    return

    def key_at(self, depth: int, place: int) -> Any:
        """The key of the state at ``place`` in level ``depth`` (read from its file)."""
        part, position = place % self.parts, place // self.parts
        for n, key in enumerate(self._read(depth, part)):
            if n == position:
                return key
        raise ConfigError(f"no state {position} in {self.folder}/states-{part}-{depth}.pkl", key="fingerprints")

    def reload(self, depth: int) -> tuple[int, int]:
        """After a restart: the fingerprints of levels ``0..depth`` from their files (``depth`` is
        the level to expand next); the number of states of that level, and of all of them."""
        levels = [self._fingerprints(d) for d in range(depth + 1)]
        self.seen = FingerprintSet(np.concatenate(levels))
        self.writing, self.written = depth + 1, 0
        ranks = self.folder / f"ranks-{self.part}-{depth}.bin"
        if self.parts > 1:
            self.ranks = np.fromfile(ranks, dtype="<i8") if ranks.exists() else np.empty(0, dtype=np.int64)
        return int(levels[-1].size), sum(int(level.size) for level in levels)

    def resume(self, depth: int, files: dict[str, int]) -> tuple[int, int]:
        """After a restart within level ``depth``, from a checkpoint's ``files`` (see `checkpoint`):
        the next level's files cut back to what the checkpoint counts (a crash may have left more,
        or half a record), the fingerprints reloaded with those of the next level's states written,
        its files open to be written on, and the level's file read on from the first state not
        expanded. As `reload`: the number of states of level ``depth``, and of levels ``0..depth``."""
        written, following = files["written"], depth + 1
        self._cut(self._path("states", following), files["states"])
        self._cut(self._path("links", following), written * LINK.itemsize)
        if self.parts > 1:
            self._cut(self._path("orders", following), written * 8)
        counts = self.reload(depth)
        found = self._fingerprints(following)
        if found.size != written:
            raise ConfigError(
                f"cannot resume from {self.folder}: {self._path('states', following).name} holds {found.size} "
                f"states, its checkpoint counts {written} (the folder was changed since)",
                key="resume",
            )
        self.seen.add(found)
        self.written = written
        if written:
            self.states_file = open(self._path("states", following), "ab")  # noqa: SIM115
            self.links_file = open(self._path("links", following), "ab")  # noqa: SIM115
            if self.parts > 1:
                self.orders = np.fromfile(self._path("orders", following), dtype="<i8").tolist()
                self.orders_saved = written
        self._open(depth)
        self.reading = itertools.islice(self.reading, files["read"], None)
        self.read = self.pulled = self.expanded = files["read"]
        return counts

    def checkpoint(self) -> dict[str, int]:
        """Make what this partition has written of the next level durable (its pending batch and
        chunk written, its files synced, with several partitions the orders of its new states
        appended to ``orders-P-D.bin``) and say where it is, for a checkpoint within a level: the
        states of the level in expansion it has ``read``, those of the next it has ``written``,
        and the bytes of their ``states`` file."""
        for handle in self._written_out():
            handle.flush()
            os.fsync(handle.fileno())
        if self.parts > 1 and len(self.orders) > self.orders_saved:
            with open(self._path("orders", self.writing), "ab" if self.orders_saved else "wb") as out:
                np.array(self.orders[self.orders_saved :], dtype="<i8").tofile(out)
                out.flush()
                os.fsync(out.fileno())
            self.orders_saved = len(self.orders)
        states = 0 if self.states_file is None else self.states_file.tell()
        return {"read": self.read, "written": self.written, "states": states}

    def _path(self, kind: str, depth: int) -> Path:
        return self.folder / f"{kind}-{self.part}-{depth}.{'pkl' if kind == 'states' else 'bin'}"

    def _cut(self, path: Path, size: int) -> None:
        """Cut a level file back to ``size`` bytes (a file a checkpoint counts nothing of goes)."""
        if not size:
            path.unlink(missing_ok=True)
            return
        there = path.stat().st_size if path.exists() else 0
        if there < size:
            raise ConfigError(
                f"cannot resume from {self.folder}: {path.name} has {there} bytes, its checkpoint counts "
                f"{size} (the folder was changed since)",
                key="resume",
            )
        os.truncate(path, size)

    def _fingerprints(self, depth: int) -> np.ndarray:
        """The fingerprints of this partition's states of level ``depth``, read from its file; a
        `ConfigError` when the file is damaged."""
        try:
            return np.fromiter((self.fingerprint(key) for key in self._read(depth)), dtype=np.int64)
        except (pickle.UnpicklingError, AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"cannot resume from {self.folder}: {self._path('states', depth).name} is damaged ({exc!r})",
                key="resume",
            ) from exc

    def _rest_table(self, rids: Iterable[int]) -> list[tuple[int, bytes]]:
        """The rests of ``rids``, each pickled once per process (state nodes as their ids)."""
        pickled, table = self.rest_pickles, []
        for rid in rids:
            data = pickled.get(rid)
            if data is None:
                if rid >= len(self.rests):
                    self._sync_rests()
                out = io.BytesIO()
                _NodePickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(self.rests[rid])
                data = pickled[rid] = out.getvalue()
                self.rest_by_pickle[data] = rid
            table.append((rid, data))
        return table

    def _local_rests(self, table: list[tuple[int, bytes]]) -> dict[int, int]:
        """A `_rest_table` (of this or another process) as rest ids there -> rest ids here: a rest
        seen before is known by its pickle, the others are unpickled."""
        known, local = self.rest_by_pickle, {}
        for rid, data in table:
            mine = known.get(data)
            if mine is None:
                unpickler = pickle.Unpickler(io.BytesIO(data))
                unpickler.persistent_load = self.nodes.__getitem__  # type: ignore[assignment]
                mine = known[data] = self._rest_id(unpickler.load())
            local[rid] = mine
        return local

    def dumps(self, entries: list[Any], rest_at: int) -> bytes:
        """Entries (tuples with a local rest id at ``rest_at``) for a file or another worker: first
        the rests they use (`_rest_table`), then the entries as plain data."""
        out = io.BytesIO()
        pickle.dump(self._rest_table({entry[rest_at] for entry in entries}), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(entries, out, protocol=pickle.HIGHEST_PROTOCOL)
        return out.getvalue()

    def _load(self, source: Any, rest_at: int) -> list[Any]:
        """One `dumps` from ``source``, its rests turned into this process's rest ids."""
        table = self._local_rests(pickle.load(source))
        entries: list[Any] = pickle.load(source)
        if all(rid == local for rid, local in table.items()):  # written by this process: ids unchanged
            return entries
        return [entry[:rest_at] + (table[entry[rest_at]],) + entry[rest_at + 1 :] for entry in entries]

    def pack(self, box: dict[int, Found], owner: int) -> bytes:
        """An outbox for partition ``owner``, in columns: who sends it (``token``) and the rests
        its keys use that this partition has not sent that owner before (`_rest_table`), then the
        fingerprints, rest ids, context values, parent places, events and orders (numpy arrays but
        for the values). Outboxes reach their owner in the order packed, each once."""
        if not box:
            return b""
        fps, keys, parents, vias, orders = _columns(box)
        rids, values = zip(*keys, strict=True)
        told = self.told[owner]
        new = set(rids) - told
        told.update(new)
        out = io.BytesIO()
        pickle.dump((self.token, self._rest_table(new)), out, protocol=pickle.HIGHEST_PROTOCOL)
        columns = (fps, np.array(rids, dtype=np.int32), values, parents, vias, orders)
        pickle.dump(columns, out, protocol=pickle.HIGHEST_PROTOCOL)
        return out.getvalue()

    def unpack(self, data: bytes) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray, np.ndarray]:
        """`pack`'s columns, with this process's rest ids in the keys."""
        source = io.BytesIO(data)
        sender, rests = pickle.load(source)
        table = self.heard.setdefault(sender, {})  # the sender's rest ids, as told so far
        table.update(self._local_rests(rests))
        fps, rids, values, parents, vias, orders = pickle.load(source)
        theirs, at = np.unique(rids, return_inverse=True)
        mine = np.array([table[rid] for rid in theirs.tolist()], dtype=np.int64)[at]
        return fps, list(zip(mine.tolist(), values, strict=True)), parents, vias, orders


class BoundedStepCompiler(StepCompiler):
    """A `StepCompiler` that keeps the compiled steps of at most ``2 * limit`` configurations, so
    that they do not outgrow the fingerprints: the ``limit`` last used (``_configurations``) and
    the ``limit`` used before them (``older``). A configuration found among the older moves to
    the young; when the young reach ``limit`` they become the older, and the older are dropped
    (compiled again when a state of theirs comes back).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "m", "initial": "a", "states": {
    ...     "a": {"on": {"GO": "b"}}, "b": {"on": {"GO": "c"}}, "c": {"on": {"GO": "a"}}}})
    >>> compiler = BoundedStepCompiler(m, tuple(events("GO")), 2)
    >>> s = m.initial_state()
    >>> first = compiler.configuration(s.configuration_nodes)
    >>> compiler.configuration(s.configuration_nodes) is first  # kept while used
    True
    >>> for _ in range(6):  # a, b, c, a, ...: never more than 2 * 2 configurations kept
    ...     s = m.transition(s, "GO")
    ...     kept = compiler.configuration(s.configuration_nodes)
    ...     assert len(compiler._configurations) + len(compiler.older) <= 4
    >>> s.value, kept.settled, [steps.event.name for steps in kept.events]
    ('a', True, ['GO'])
    """

    def __init__(self, machine: Any, alphabet: tuple[Any, ...], limit: int) -> None:
        super().__init__(machine, alphabet)
        self.limit = limit
        self.older: dict[frozenset[StateNode], ConfigurationSteps] = {}

    def configuration(self, nodes: frozenset[StateNode]) -> ConfigurationSteps:
        young = self._configurations
        found = young.get(nodes)
        if found is None:
            found = self.older.pop(nodes, None)
            if found is None:
                found = self._compile(nodes)
            young[nodes] = found
            if len(young) >= self.limit:
                self.older, self._configurations = young, {}
        return found


def share_out(
    counts: list[int], costs: list[float] | None = None, least: int | None = None
) -> list[tuple[int, int, int]]:
    """Given each partition's states in a slice and what a state costs each (seconds, measured:
    equal when not given), who lends whom how many states so that each spends about the mean:
    (lender, borrower, states), none below ``least`` states (`SHARE_LEAST`). A state lent costs
    its lender nothing and its borrower that borrower's cost, so two partitions' times meet when
    ``(t_lender - t_borrower) / (cost_lender + cost_borrower)`` states move.

    >>> share_out([300, 100]), share_out([100, 130]), share_out([600, 0, 0])
    ([(0, 1, 100)], [], [(0, 1, 200), (0, 2, 200)])
    >>> share_out([500, 100, 300, 300])
    [(0, 1, 200)]
    >>> share_out([300, 100], [1.0, 1.5])  # the borrower is slower: both spend 240 after 60, not 100
    [(0, 1, 60)]
    >>> share_out([1, 0, 0], [10.0, 1.0, 1.0], least=1)  # never more than the lender has
    [(0, 1, 1)]
    """
    least = SHARE_LEAST if least is None else least
    costs = costs or [1.0] * len(counts)
    times = [n * c for n, c in zip(counts, costs, strict=True)]
    mean = sum(times) / len(times)
    surplus = [max(t - mean, 0.0) for t in times]
    left = list(counts)  # a lender lends no more states than it has
    shares = []
    for borrower, t in enumerate(times):
        wanted = mean - t
        for lender in sorted(range(len(counts)), key=lambda p: -surplus[p]):
            given = min(wanted, surplus[lender])
            states = min(round(2 * given / (costs[lender] + costs[borrower])), left[lender])
            if states < least:
                break
            shares.append((lender, borrower, states))
            left[lender] -= states
            surplus[lender] -= given
            wanted -= given
    return sorted(shares)


def _borrowed(lent: list[list[tuple[int, Lent]]], parts: int) -> list[list[Lent]]:
    """The states the partitions lent (`Partition.lend`, per lender), per borrower."""
    borrowed: list[list[Lent]] = [[] for _ in range(parts)]
    for ranges in lent:
        for borrower, states in ranges:
            borrowed[borrower].append(states)
    return borrowed


def _note(first: dict[str, tuple[int, list[Any]]], what: str, rank: int, found: list[Any]) -> None:
    """Keep ``found`` as the level's first ``what`` when its rank comes before the one kept."""
    if what not in first or rank < first[what][0]:
        first[what] = (rank, found)


def _columns(box: dict[int, Found]) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray, np.ndarray]:
    """An outbox as columns: fingerprints, keys, parent places, events, orders."""
    if not box:
        empty = np.empty(0, dtype=np.int64)
        return empty, [], empty, empty, empty
    keys, parents, vias, orders = zip(*box.values(), strict=True)
    fps = np.fromiter(box, dtype=np.int64, count=len(box))
    return fps, list(keys), np.array(parents, dtype=np.int64), np.array(vias, dtype=np.int32), np.array(orders)


def _tally(results: list[LevelResult], depth: int, level: dict[str, Any], progress: dict[str, Any]) -> None:
    """Count a slice's results into the walk's ``progress`` and the ``level``'s first violations."""
    firsts = level["firsts"]  # the level's first of each, in BFS order
    for result in results:
        progress["generated"] += result.generated
        progress["transitions"] += result.transitions
        for name, place in result.broken.items():
            _note(firsts, f"invariant {name}", result.ranks.get(name, 0), [name, depth, place])
        if result.stuck is not None:
            _note(firsts, "deadlock", result.stuck_rank, [depth, result.stuck])
        progress["raised"][0] += result.raised
        if result.first_raised is not None:
            _note(firsts, "raised", result.raised_order, [depth, *result.first_raised])
        if result.cut:
            level["cut"] = True


def _merge_firsts(progress: dict[str, Any], firsts: dict[str, Any]) -> None:
    """A level's first violations into the walk's, where it has none yet."""
    for what, (_, found) in firsts.items():
        if what.startswith("invariant "):
            progress["broken"].setdefault(found[0], found[1:])
        elif what == "deadlock" and progress["stuck"] is None:
            progress["stuck"] = found
        elif what == "raised" and progress["raised"][1] is None:
            progress["raised"][1] = found


def _where(depth: int, upto: int, size: int) -> str:
    """Where a checkpoint is, in a report.

    >>> _where(4, 0, 396), _where(8, 4_096, 8_032)
    ('at the start of level 4', 'within level 8: 4,096 of its 8,032 states expanded')
    """
    if not upto:
        return f"at the start of level {depth}"
    return f"within level {depth}: {upto:,} of its {size:,} states expanded"


class _CtrlC:
    """Ctrl-C in the level loop, in the main thread: the first asks the walk to stop after the
    slice in expansion (`pressed`), with a checkpoint there; a second stops it at once
    (`KeyboardInterrupt`, the last checkpoint written stays). Elsewhere Ctrl-C is Python's."""

    def __init__(self) -> None:
        self.pressed = self.installed = False
        self.previous: Any = None

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            self.previous, self.installed = signal.signal(signal.SIGINT, self._press), True
        return self

    def _press(self, signum: int, frame: FrameType | None) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __exit__(self, *exc: object) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, signal.default_int_handler if self.previous is None else self.previous)


class _NodePickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> str | None:
        return obj.id if isinstance(obj, StateNode) else None


class Walk:
    """The level loop over the partitions (in this process for one, in forked processes for more,
    or in the processes ``pool`` starts: see `statecharts.check.ray_walk`); with ``resume``, it
    continues from the checkpoint in ``folder``."""

    def __init__(
        self,
        model: Model,
        folder: Path,
        bounds: Bounds,
        deadlock: bool,
        workers: int,
        resume: bool = False,
        pool: Any = None,
        partition: type[Partition] | None = None,
        checkpoint_every: float | None = CHECKPOINT_SECONDS,
    ) -> None:
        self.model, self.folder, self.bounds, self.deadlock, self.workers = model, folder, bounds, deadlock, workers
        self.resume = resume
        self.pool = pool  # (local partition) -> the partitions' driver; `_Workers` when not given
        self.partition = partition or Partition
        self.kept = True  # the level files and checkpoint outlive the walk (not a temporary folder)
        self.checkpoint_every = checkpoint_every  # seconds between checkpoints within a level (None: none)
        self.saved = ""  # where the last checkpoint is (`_where`)
        self.sent = 0
        self.stored = 0  # the states stored in this run, and per level the largest partition's share, summed
        self.largest = 0
        self.level_ranks: list[np.ndarray] = []  # with several partitions: the ranks of the level's states
        self.shared = 0  # states expanded by a partition that does not own them (`share_out`)
        self.costs: list[float] | None = None  # per partition, CPU seconds a state expanded, a moving average

    def run(self) -> Report:
        scheme = partition_scheme(self.model.machine, self.workers)
        identity = walk_identity(self.model, self.deadlock, self.workers, scheme)
        state = load_checkpoint(self.folder, identity) if self.resume else None
        local = self.partition(self.model, self.folder, 0, self.workers, self.deadlock, self.bounds.max_depth)
        workers = (
            _Workers(local, self.workers, self.folder, self.deadlock, self.bounds.max_depth, self.partition)
            if self.pool is None
            else self.pool(local)
        )
        try:
            with _CtrlC() as ctrl_c:  # once the workers are started: Ctrl-C is theirs to ignore
                return self._run(local, workers, identity, state, ctrl_c)
        finally:
            workers.close()  # after the traces: a pool may hold the level files they are rebuilt from

    def _run(
        self, local: Partition, workers: Any, identity: dict[str, Any], state: dict[str, Any] | None, ctrl_c: _CtrlC
    ) -> Report:
        model, bounds, parts = self.model, self.bounds, self.workers
        initial = model.initial_states()
        start = time.perf_counter()
        deadline = None if bounds.max_seconds is None else start + bounds.max_seconds
        progress: dict[str, Any] = {
            "depth": 0,
            "distinct": 0,
            "generated": len(initial),
            "transitions": 0,
            "deepest": 0,
            "broken": {},
            "stuck": None,
            "raised": [0, None],
            "workers": parts,
            "model": model.name or model.machine.id,
            "walk": identity,
        }
        level: dict[str, Any] = {"upto": 0, "firsts": {}}  # the level in expansion (see `checkpoint`)
        complete, stopped_by, stored, size = True, None, False, 0
        try:
            if state is None:
                starts: list[dict[int, Found]] = [{} for _ in range(parts)]
                for n, snapshot in enumerate(initial):
                    if local.unhandled is not None and (what := local.unhandled(snapshot)) is not None:
                        progress["raised"][0] += 1  # entering an initial state raised: as in the full walk
                        if progress["raised"][1] is None:
                            progress["raised"][1] = [-1, n, -1, what]
                    key = local.keys.of(snapshot)
                    h = local.fingerprint(key)
                    starts[local.owner(h, key)].setdefault(h, (key, -1, -1, n))
                workers.receive([local.pack(box, owner) for owner, box in enumerate(starts)])
            else:
                progress, stored = state, True
                level = progress.pop("level", None) or level
                size = self._reload(workers, progress, level.pop("files", None))
                self.saved = _where(progress["depth"], level["upto"], size)
            while True:
                depth = progress["depth"]
                if not stored:
                    size = self._store(workers, depth)
                    if not size:
                        break
                    progress["distinct"] += size
                    progress["deepest"] = depth
                    level = {"upto": 0, "firsts": {}}
                    self._save(progress, level, size)
                stored = False
                if ctrl_c.pressed:  # between two levels (each slice of one is expanded)
                    complete, stopped_by = False, self._interrupted(depth)
                    break
                method = "expand"
                if bounds.max_states is not None and progress["distinct"] >= bounds.max_states:
                    complete, stopped_by = False, f"state bound {bounds.max_states}"
                    method = "expand_no_successors"
                interrupted = self._expand_level(workers, method, depth, size, level, progress, ctrl_c, deadline)
                if level.get("cut"):
                    complete, stopped_by = False, f"depth bound {bounds.max_depth}"
                _merge_firsts(progress, level["firsts"])
                if interrupted is not None:  # within the level: what the next level has so far counts
                    complete, stopped_by = False, interrupted
                    break
                if stopped_by is not None and stopped_by.startswith("state"):
                    break
                progress["depth"] = depth + 1
                if deadline is not None and time.perf_counter() > deadline:
                    complete, stopped_by = False, f"time bound {bounds.max_seconds} s"
                    new = self._store(workers, depth + 1)  # what was found before the bound counts
                    progress["distinct"] += new
                    progress["deepest"] = depth + 1 if new else progress["deepest"]
                    self._save(progress, {"upto": 0, "firsts": {}}, new)
                    break
        except KeyboardInterrupt:  # a second Ctrl-C, or one raised where the walk runs in this process
            complete, stopped_by = False, self._interrupted(progress["depth"])
        report = Report(
            str(progress["model"]),
            progress["distinct"],
            progress["transitions"],
            progress["deepest"],
            complete,
            time.perf_counter() - start,
            stopped_by=stopped_by,
        )
        for name in model.invariants:
            found = progress["broken"].get(name)
            report.results.append(
                Result(name, "invariant", found is None, None if found is None else self.trace(workers, *found))
            )
        raised, first = progress.get("raised", [0, None])
        if first is not None:
            depth, place, via, what = first
            if depth < 0:  # entering initial state number ``place`` raised
                steps: tuple[TraceStep, ...] = (TraceStep(None, initial[place]),)
            else:
                trace = self.trace(workers, depth, place)
                event = local.alphabet[via]
                after = self.model.machine.transition(trace.steps[-1].snapshot, event)
                steps = (*trace.steps, TraceStep(event, after))
            plural = "step" if raised == 1 else "steps"
            report.results.append(
                Result("no step raises", "error", False, Trace(steps), f"{raised:,} {plural} raised; the first: {what}")
            )
        if self.deadlock:
            stuck = progress["stuck"]
            report.results.append(
                Result("deadlock", "deadlock", stuck is None, None if stuck is None else self.trace(workers, *stuck))
            )
        distinct, generated = progress["distinct"], progress["generated"]
        report.fingerprints = {
            "fingerprint_bytes_per_state": 8.0,
            "collision_probability": collision_probability(distinct, generated),
            "states_generated": generated,
            "workers": parts,
            "bytes_sent_between_workers": self.sent,
            "bytes_sent_per_state": round(self.sent / max(distinct, 1), 1),
            "partition": identity["partition"],
            "level_imbalance": round(self.largest * parts / max(self.stored, 1) - 1, 3),
            "states_shared": self.shared,
        }
        if stopped_by is not None and stopped_by.startswith("interrupted"):
            report.fingerprints["interrupted"] = True
        if self.kept and self.saved:
            report.fingerprints["checkpoint"] = self.saved
        return report

    def _expand_level(
        self,
        workers: Any,
        method: str,
        depth: int,
        size: int,
        level: dict[str, Any],
        progress: dict[str, Any],
        ctrl_c: _CtrlC,
        deadline: float | None,
    ) -> str | None:
        """Expand level ``depth`` (``size`` states) slice by slice from ``level["upto"]``: each
        slice the states the single-process walk numbers below the next bound, in every partition,
        and (with several) their successors to their owners, who write them in that walk's order;
        so between two slices, the next level's files hold every successor of the states below the
        bound, and a checkpoint there is one a resume continues from. A checkpoint is written every
        ``checkpoint_every`` seconds, and on Ctrl-C or the time bound, which stop the walk within
        the level (the reason returned; None: the level was expanded)."""
        parts, every, last = self.workers, self.checkpoint_every, time.monotonic()
        # with forked workers (`_Workers.shares_work`): work sharing (`share_out`), each slice's
        # states lent one slice ahead by the partitions that have more than their share; and a
        # slice's successors go to their owners with the next slice's call (``inboxes``), one
        # round a slice, not two (all of them before a checkpoint and at the end of the level)
        sharing = method == "expand" and parts > 1 and getattr(workers, "shares_work", False)
        inboxes: list[list[bytes]] | None = None
        stops: list[int | None] = [None] * parts
        borrowed: list[list[Lent]] = [[] for _ in range(parts)]
        if sharing and level["upto"] < size:  # the level's first slice (or the first after a resume)
            first = min(level["upto"] + SLICE * parts, size)
            stops, lends = self._plan(level["upto"], first)
            borrowed = _borrowed(workers.call_each("lend", [[depth, ranges] for ranges in lends]), parts)
        while level["upto"] < size:
            upto = min(level["upto"] + SLICE * parts, size)
            if sharing:
                following = min(upto + SLICE * parts, size)
                after, lends = self._plan(upto, following)
                self.shared += sum(len(ranks) for lent in borrowed for _, _, ranks, _ in lent)
                self.sent += sum(len(data) + ranks.nbytes for lent in borrowed for _, _, ranks, data in lent)
                calls = [
                    [depth, upto, stops[p], borrowed[p], lends[p], None if inboxes is None else inboxes[p]]
                    for p in range(parts)
                ]
                results = workers.call_each(method, calls)
                stops, borrowed = after, _borrowed([r.lent for r in results], parts)
                self._measure(results)
                inboxes = workers.route(results)
                self.sent += sum(len(box) for boxes in inboxes for box in boxes)
            else:
                results = workers.call(method, depth, upto)
                if method == "expand":
                    self.sent += workers.exchange(results)
            _tally(results, depth, level, progress)
            level["upto"] = upto
            pressed, late = ctrl_c.pressed, deadline is not None and time.perf_counter() > deadline
            resumable = self.kept and method == "expand" and not level.get("cut")  # nothing left unexpanded
            due = resumable and every is not None and time.monotonic() - last >= every
            if inboxes is not None and (upto == size or pressed or late or due):
                workers.deliver(inboxes)
                inboxes = None
            if upto == size:
                return None
            if pressed or late or due:
                files = workers.call("checkpoint")
                if resumable:
                    self._save(progress, level, size, files)
                    last = time.monotonic()
                if pressed or late:
                    found = sum(f["written"] for f in files)  # the next level's states found so far
                    progress["distinct"] += found
                    progress["deepest"] = depth + 1 if found else depth
                    return self._interrupted(depth) if pressed else f"time bound {self.bounds.max_seconds} s"
        return None

    def _measure(self, results: list[LevelResult]) -> None:
        """Fold each partition's CPU seconds a state in a slice into its moving average ``costs``
        (when every partition expanded enough states to tell)."""
        if all(r.expanded >= SHARE_LEAST for r in results):
            if self.costs is None:  # the first measure
                self.costs = [r.seconds / r.expanded for r in results]
            else:
                self.costs = [0.8 * c + 0.2 * r.seconds / r.expanded for c, r in zip(self.costs, results, strict=True)]

    def _plan(self, lo: int, hi: int) -> tuple[list[int | None], list[list[tuple[int, int, int]]]]:
        """Who lends whom which states of the slice of ranks ``lo`` to ``hi`` (`share_out`): per
        partition, where its own states of the slice stop (None: it lends none) and the ranges
        (borrower, first, stop) of its level file it lends, from the end of its slice."""
        parts = self.workers
        stops: list[int | None] = [None] * parts
        lends: list[list[tuple[int, int, int]]] = [[] for _ in range(parts)]
        if hi <= lo:
            return stops, lends
        starts = [int(np.searchsorted(r, lo)) for r in self.level_ranks]
        ends = [int(np.searchsorted(r, hi)) for r in self.level_ranks]
        shares = share_out([e - s for s, e in zip(starts, ends, strict=True)], self.costs)
        for lender in range(parts):
            mine = [(borrower, n) for giver, borrower, n in shares if giver == lender]
            if not mine:
                continue
            at = ends[lender] - sum(n for _, n in mine)
            stops[lender] = at
            for borrower, n in mine:
                lends[lender].append((borrower, at, at + n))
                at += n
        return stops, lends

    def _reload(self, workers: Any, progress: dict[str, Any], files: list[dict[str, int]] | None) -> int:
        """Each partition's fingerprints from its files, for a resume at the start of level
        ``progress["depth"]`` or within it (``files``: the checkpoint's, per partition); the
        number of states of that level. A `ConfigError` when the files do not hold the states the
        checkpoint counts."""
        depth = progress["depth"]
        if files is None:
            counts = workers.call("reload", depth)
        else:
            counts = workers.call_each("resume", [[depth, entry] for entry in files])
        if self.workers > 1:
            self.level_ranks = workers.call("level_ranks")
        held = sum(total for _, total in counts)
        if held != progress["distinct"]:
            raise ConfigError(
                f"cannot resume from {self.folder}: its level files hold {held} states up to level {depth}, "
                f"its checkpoint counts {progress['distinct']} (the folder was changed since)",
                key="resume",
            )
        return sum(size for size, _ in counts)

    def _save(
        self, progress: dict[str, Any], level: dict[str, Any], size: int, files: list[dict[str, int]] | None = None
    ) -> None:
        """The checkpoint at the start of level ``progress["depth"]`` (of ``size`` states), or
        within it with the partitions' ``files`` (`Partition.checkpoint`)."""
        within = {"upto": level["upto"], "firsts": level["firsts"], "files": files}
        save_checkpoint(self.folder, progress if files is None else {**progress, "level": within}, self.kept)
        self.saved = _where(progress["depth"], 0 if files is None else level["upto"], size)

    def _interrupted(self, depth: int) -> str:
        """The report's reason for a walk stopped by Ctrl-C at ``depth``, naming its checkpoint."""
        if not self.kept:
            where = "no checkpoint kept (--checkpoint DIR keeps one)"
        else:
            where = f"the checkpoint in {self.folder} is {self.saved}" if self.saved else "no checkpoint written yet"
        return f"interrupted (Ctrl-C) at depth {depth}; {where}"

    def _store(self, workers: Any, depth: int) -> int:
        """Close level ``depth`` in every partition; with several, rank its states (`bfs_ranks`)
        before a checkpoint can say the level is complete. The number of its states."""
        counts = workers.call("store", depth)
        new = sum(counts)
        self.stored += new
        self.largest += max(counts)
        if new and self.workers > 1:
            ranks = self.level_ranks = bfs_ranks(workers.call("level_orders"))
            workers.call_each("set_ranks", [[depth, r] for r in ranks])
        return int(new)

    def trace(self, workers: Any, depth: int, place: int) -> Trace:
        """The trace to the state at ``place`` of level ``depth``: its parent links read back level
        by level (``workers.link``), then re-walked from the initial state, each step checked
        against the key stored for it (``workers.key_at``; a mismatch would be a fingerprint
        collision)."""
        chain: list[tuple[int, int, int]] = []  # (event index, depth, place), last first
        while depth > 0:
            parent, via = workers.link(depth, place)
            chain.append((via, depth, place))
            place, depth = parent, depth - 1
        local: Partition = workers.local
        machine, keys = self.model.machine, local.keys
        first = workers.key_at(0, place)
        state = next(s for s in self.model.initial_states() if keys.of(s) == first)
        steps = [TraceStep(None, state)]
        for via, d, at in reversed(chain):
            event = local.alphabet[via]
            state = machine.transition(state, event)
            if keys.of(state) != workers.key_at(d, at):
                raise ConfigError(
                    f"rebuilding a trace: {event!r} from step {len(steps) - 1} does not lead to the "
                    f"recorded state (a fingerprint collision, or a chart whose steps are not "
                    f"deterministic)",
                    key="fingerprints",
                )
            steps.append(TraceStep(event, state))
        return Trace(tuple(steps))


class _Workers:
    """Partition 0 in this process when there is one; otherwise one forked process per partition,
    driven over pipes (``call`` runs a `Partition` method in every one)."""

    shares_work = True  # the driver may have partitions lend each other states (`share_out`)

    def __init__(
        self,
        local: Partition,
        parts: int,
        folder: Path,
        deadlock: bool,
        max_depth: int | None,
        partition: type[Partition] = Partition,
    ) -> None:
        self.local, self.parts = local, parts
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        if parts > 1:
            context = multiprocessing.get_context("fork")
            # Ctrl-C is the parent's: SIGINT stays blocked until each child ignores it (`_serve`),
            # so a Ctrl-C while the workers start reaches the parent only, once they have started
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                for part in range(parts):
                    mine, theirs = context.Pipe()
                    # the child closes the parent's ends it inherits (its own pipe's and those of the
                    # workers before it): when the parent dies, even by SIGKILL, its recv ends
                    inherited = (*self.pipes, mine)
                    process = context.Process(
                        target=_serve,
                        args=(partition, local.model, folder, part, parts, deadlock, max_depth, theirs, inherited),
                        daemon=True,
                    )
                    process.start()
                    theirs.close()
                    self.pipes.append(mine)
                    self.processes.append(process)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def call(self, method: str, *args: Any) -> list[Any]:
        if not self.pipes:
            return [_dispatch(self.local, method, args)]
        for pipe in self.pipes:
            pipe.send((method, args))
        answers = [pipe.recv() for pipe in self.pipes]
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return answers

    def receive(self, inboxes: list[bytes]) -> None:
        if not self.pipes:
            self.local.receive_level(inboxes)
            return
        self.call_each("receive_bytes", [[box] for box in inboxes])

    def call_each(self, method: str, per_part: list[list[Any]]) -> list[Any]:
        """Run ``method`` in every partition with its own arguments; their answers."""
        if not self.pipes:
            return [_dispatch(self.local, method, tuple(per_part[0]))]
        for pipe, args in zip(self.pipes, per_part, strict=True):
            pipe.send((method, tuple(args)))
        answers = [pipe.recv() for pipe in self.pipes]
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return answers

    def exchange(self, results: list[LevelResult]) -> int:
        """Route each partition's outboxes to their owners; the bytes sent."""
        if not self.pipes:
            return 0
        inboxes = self.route(results)
        self.deliver(inboxes)
        return sum(len(b) for boxes in inboxes for b in boxes)

    def route(self, results: list[LevelResult]) -> list[list[bytes]]:
        """Per owner, the outboxes the other partitions filled for it."""
        return [
            [results[sender].outboxes[owner] for sender in range(self.parts) if sender != owner]
            for owner in range(self.parts)
        ]

    def deliver(self, inboxes: list[list[bytes]]) -> None:
        """Hand each partition its inboxes (`route`): it takes them and the successors it owns."""
        self.call_each("receive_many", [[boxes] for boxes in inboxes])

    def link(self, depth: int, place: int) -> tuple[int, int]:
        """The parent's place and the event index of the state at ``place`` in level ``depth``."""
        return read_link(self.local.folder, place % self.parts, depth, place // self.parts)

    def key_at(self, depth: int, place: int) -> Any:
        return self.local.key_at(depth, place)

    def close(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("stop", ()))
            except OSError:
                pass
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def read_link(folder: Path, part: int, depth: int, position: int) -> tuple[int, int]:
    """The parent's place and the event index of state ``position`` of partition ``part``'s level ``depth``."""
    row = np.fromfile(folder / f"links-{part}-{depth}.bin", dtype=LINK, count=1, offset=position * LINK.itemsize)[0]
    return int(row["parent"]), int(row["via"])


def _dispatch(partition: Partition, method: str, args: tuple[Any, ...]) -> Any:
    if method == "store":
        return partition.store(*args)
    if method == "expand":
        return partition.expand(*args)
    if method == "expand_no_successors":  # the state bound: check the level, expand nothing more
        saved, partition.max_depth = partition.max_depth, -1
        try:
            result = partition.expand(*args)
        finally:
            partition.max_depth = saved
        result.cut, result.outboxes = False, []
        return result
    if method == "reload":
        return partition.reload(*args)
    if method == "resume":
        return partition.resume(*args)
    if method == "checkpoint":
        return partition.checkpoint()
    if method == "receive_bytes":
        partition.receive_level([args[0]])
        return None
    if method == "receive_many":
        partition.receive_level(list(args[0]))
        return None
    if method == "level_orders":
        return partition.level_orders()
    if method == "level_ranks":
        return partition.ranks
    if method == "lend":
        return partition.lend(*args)
    if method == "set_ranks":
        return partition.set_ranks(*args)
    raise ValueError(method)


def _serve(
    partition_type: type[Partition],
    model: Model,
    folder: Path,
    part: int,
    parts: int,
    deadlock: bool,
    max_depth: int | None,
    pipe: Connection,
    inherited: tuple[Connection, ...] = (),
) -> None:
    import gc

    for end in inherited:  # the parent's ends: held here, they would keep `pipe` from ever ending
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by `_Workers` while forking
    gc.disable()
    partition = partition_type(model, folder, part, parts, deadlock, max_depth)
    while True:
        try:
            method, args = pipe.recv()
        except EOFError:  # the parent is gone (killed): nothing will ask this partition again
            return
        if method == "stop":
            return
        try:
            answer = _dispatch(partition, method, args)
        except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
            answer = exc
        pipe.send(answer)


def _minus_two() -> int:
    return -2  # `Expander` compares new states with this "size": the fingerprint walk counts no coverage
