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
by state fingerprint instead. The counts,
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
import multiprocessing
import pickle
import signal
import tempfile
import time
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from statecharts.chart import StateNode
from statecharts.check.checkpoint import load_checkpoint, save_checkpoint, walk_identity
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
# Configurations whose compiled steps a partition keeps: `BoundedStepCompiler` holds the last
# CONFIGURATIONS used and up to CONFIGURATIONS more (UpdateCluster 3x5: 8,623 configurations,
# at most about 2,100 in one level, about 2.5-3.7 KB each compiled; 21,336 compilations instead
# of 8,623, and 37 bytes a state instead of 54: benchmarks/README.md)
CONFIGURATIONS = 1_536
FINGERPRINT_BITS = 64
Found = tuple[Any, int, int, int]  # a successor for an outbox: its key, its parent's place, the event, its order
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
) -> Report:
    """Walk ``model`` breadth first keeping only fingerprints in memory, in ``workers`` processes;
    decide its invariants and deadlock. ``directory`` holds the level files (a temporary folder,
    removed after, when not given); it also holds a checkpoint at the start of each level, from
    which ``resume=True`` continues (the same model and workers; Ctrl-C stops the walk with a
    partial report whose ``fingerprints`` say ``interrupted``). The report's ``fingerprints`` gives
    the bytes a state takes in the fingerprint arrays (8 more per state of a level while it is
    merged in), the states generated, the collision probability, the bytes sent between workers,
    how states were given to them (``partition``, see `partition_scheme`) and the per-level
    imbalance (``level_imbalance``: per level, how many more states the largest partition held
    than the mean, weighted by the level's states).

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
    refuse_actor_system(model.machine, "the fingerprint walk (--fingerprints)")
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}", key="workers")
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
        # with several partitions: the orders of the level's new states, in file order
        self.orders: list[np.ndarray] = []
        self.ranks: np.ndarray = np.empty(0, dtype=np.int64)  # and the ranks of the level being expanded
        self.own: dict[int, Found] = {}  # the successors this partition owns, found in the level's expansion
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
            if self.first_raised is None:
                self.first_raised = (self.here, via, what)
                self.raised_order = self.rank * len(self.alphabet) + via
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
            self.orders.append(orders[kept])
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
        self._flush()
        if self.chunk:
            self.states_file.write(self.dumps(self.chunk, 0))
            self.chunk = []
        for handle in (self.states_file, self.links_file):
            if handle is not None:
                handle.close()
        self.states_file = self.links_file = None
        count = self.written
        if not count:  # no file from an interrupted walk stays for a resumed one to read
            (self.folder / f"states-{self.part}-{depth}.pkl").unlink(missing_ok=True)
            (self.folder / f"links-{self.part}-{depth}.bin").unlink(missing_ok=True)
        self.seen.commit()
        self.writing, self.written = depth + 1, 0
        return count

    def level_orders(self) -> np.ndarray:
        """The orders of the states of the level just stored, in file order (ascending)."""
        orders = np.concatenate(self.orders) if self.orders else np.empty(0, dtype=np.int64)
        self.orders = []
        return orders

    def set_ranks(self, depth: int, ranks: np.ndarray) -> None:
        """The ranks (`bfs_ranks`) of this partition's states of level ``depth``, kept for its
        expansion and in ``ranks-P-D.bin`` for a resumed walk."""
        self.ranks = ranks
        ranks.astype("<i8").tofile(self.folder / f"ranks-{self.part}-{depth}.bin")

    def expand(self, depth: int) -> LevelResult:
        """Check and expand the current level's states (read back from its file)."""
        model, keys, result = self.model, self.keys, LevelResult()
        invariants = list(model.invariants.items())
        noted, part, parts, outbox = self.noted, self.part, self.parts, self.outbox
        owners = self.rest_owners if self.scheme == BY_CONFIGURATION else None
        next_collect = 1 << 17
        ranks, size = self.ranks, len(self.alphabet)
        for count, key in enumerate(self._read(depth), 1):
            fp, here = self.fingerprint(key), (count - 1) * parts + part
            rank = count - 1 if parts == 1 else int(ranks[count - 1])
            s = keys.restore(self.machine, key)
            for name, predicate in invariants:
                if name not in result.broken and not evaluate("invariant", name, predicate, s):
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
                            if h not in box:
                                box[h] = (successor, here, e, rank * size + e)
                noted.clear()
            result.generated += len(out) + len(loops)
            result.transitions += len(out)
            if (
                self.deadlock
                and result.stuck is None
                and not out
                and not loops
                and (model.terminal is None or not evaluate("terminal", "terminal", model.terminal, s))
            ):
                result.stuck, result.stuck_rank = here, rank
        self._flush()
        result.raised, result.first_raised, result.raised_order = self.raised, self.first_raised, self.raised_order
        self.raised, self.first_raised = 0, None
        if parts > 1:
            self.own = outbox[part]
        result.outboxes = [b"" if k == self.part else self.pack(box) for k, box in enumerate(self.outbox)]
        self.outbox = [{} for _ in range(self.parts)]
        return result

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

    def reload(self, depth: int) -> int:
        """After a restart: the fingerprints of levels ``0..depth`` from their files (``depth`` is
        the level to expand next); the number of states of that level."""
        levels = [
            np.fromiter((self.fingerprint(key) for key in self._read(d)), dtype=np.int64) for d in range(depth + 1)
        ]
        self.seen = FingerprintSet(np.concatenate(levels))
        self.writing, self.written = depth + 1, 0
        ranks = self.folder / f"ranks-{self.part}-{depth}.bin"
        if self.parts > 1:
            self.ranks = np.fromfile(ranks, dtype="<i8") if ranks.exists() else np.empty(0, dtype=np.int64)
        return int(levels[-1].size)

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

    def pack(self, box: dict[int, Found]) -> bytes:
        """An outbox for its owner, in columns: the rests its keys use (state nodes as their ids,
        as in `dumps`), then the fingerprints, rest ids, context values, parent places, events and
        orders (numpy arrays but for the values)."""
        if not box:
            return b""
        fps, keys, parents, vias, orders = _columns(box)
        rids, values = zip(*keys, strict=True)
        out = io.BytesIO()
        pickle.dump(self._rest_table(set(rids)), out, protocol=pickle.HIGHEST_PROTOCOL)
        columns = (fps, np.array(rids, dtype=np.int32), values, parents, vias, orders)
        pickle.dump(columns, out, protocol=pickle.HIGHEST_PROTOCOL)
        return out.getvalue()

    def unpack(self, data: bytes) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray, np.ndarray]:
        """`pack`'s columns, with this process's rest ids in the keys."""
        source = io.BytesIO(data)
        table = self._local_rests(pickle.load(source))
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
    ) -> None:
        self.model, self.folder, self.bounds, self.deadlock, self.workers = model, folder, bounds, deadlock, workers
        self.resume = resume
        self.pool = pool  # (local partition) -> the partitions' driver; `_Workers` when not given
        self.partition = partition or Partition
        self.kept = True  # the level files and checkpoint outlive the walk (not a temporary folder)
        self.sent = 0
        self.stored = 0  # the states stored in this run, and per level the largest partition's share, summed
        self.largest = 0

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
            return self._run(local, workers, identity, state)
        finally:
            workers.close()  # after the traces: a pool may hold the level files they are rebuilt from

    def _run(self, local: Partition, workers: Any, identity: dict[str, Any], state: dict[str, Any] | None) -> Report:
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
        complete, stopped_by, stored = True, None, False
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
                workers.receive([local.pack(box) for box in starts])
            else:
                progress = state
                workers.call("reload", progress["depth"])
                stored = True
            while True:
                depth = progress["depth"]
                if not stored:
                    new = self._store(workers, depth)
                    if not new:
                        break
                    progress["distinct"] += new
                    progress["deepest"] = depth
                    save_checkpoint(self.folder, progress)
                stored = False
                if bounds.max_states is not None and progress["distinct"] >= bounds.max_states:
                    complete, stopped_by = False, f"state bound {bounds.max_states}"
                    results = workers.call("expand_no_successors", depth)
                else:
                    results = workers.call("expand", depth)
                firsts: dict[str, tuple[int, list[Any]]] = {}  # the level's first of each, in BFS order
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
                        complete, stopped_by = False, f"depth bound {bounds.max_depth}"
                for what, (_, found) in firsts.items():
                    if what.startswith("invariant "):
                        progress["broken"].setdefault(found[0], found[1:])
                    elif what == "deadlock" and progress["stuck"] is None:
                        progress["stuck"] = found
                    elif what == "raised" and progress["raised"][1] is None:
                        progress["raised"][1] = found
                if stopped_by is not None and stopped_by.startswith("state"):
                    break
                self.sent += workers.exchange(results)
                progress["depth"] = depth + 1
                if deadline is not None and time.perf_counter() > deadline:
                    complete, stopped_by = False, f"time bound {bounds.max_seconds} s"
                    new = self._store(workers, depth + 1)  # what was found before the bound counts
                    progress["distinct"] += new
                    progress["deepest"] = depth + 1 if new else progress["deepest"]
                    save_checkpoint(self.folder, progress)
                    break
        except KeyboardInterrupt:
            complete, stopped_by = (
                False,
                f"interrupted (Ctrl-C) at depth {progress['depth']}; "
                + (
                    f"the checkpoint in {self.folder} is at the start of that level"
                    if self.kept
                    else "no checkpoint kept (--checkpoint DIR keeps one)"
                ),
            )
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
        }
        if stopped_by is not None and stopped_by.startswith("interrupted"):
            report.fingerprints["interrupted"] = True
        return report

    def _store(self, workers: Any, depth: int) -> int:
        """Close level ``depth`` in every partition; with several, rank its states (`bfs_ranks`)
        before a checkpoint can say the level is complete. The number of its states."""
        counts = workers.call("store", depth)
        new = sum(counts)
        self.stored += new
        self.largest += max(counts)
        if new and self.workers > 1:
            ranks = bfs_ranks(workers.call("level_orders"))
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
                    process = context.Process(
                        target=_serve,
                        args=(partition, local.model, folder, part, parts, deadlock, max_depth, theirs),
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

    def call_each(self, method: str, per_part: list[list[Any]]) -> None:
        for pipe, args in zip(self.pipes, per_part, strict=True):
            pipe.send((method, tuple(args)))
        for pipe in self.pipes:
            answer = pipe.recv()
            if isinstance(answer, BaseException):
                raise answer

    def exchange(self, results: list[LevelResult]) -> int:
        """Route each partition's outboxes to their owners; the bytes sent."""
        if not self.pipes:
            return 0
        inboxes = [
            [results[sender].outboxes[owner] for sender in range(self.parts) if sender != owner]
            for owner in range(self.parts)
        ]
        self.call_each("receive_many", [[boxes] for boxes in inboxes])
        return sum(len(b) for boxes in inboxes for b in boxes)

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
    if method == "receive_bytes":
        partition.receive_level([args[0]])
        return None
    if method == "receive_many":
        partition.receive_level(list(args[0]))
        return None
    if method == "level_orders":
        return partition.level_orders()
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
) -> None:
    import gc

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by `_Workers` while forking
    gc.disable()
    partition = partition_type(model, folder, part, parts, deadlock, max_depth)
    while True:
        method, args = pipe.recv()
        if method == "stop":
            return
        try:
            answer = _dispatch(partition, method, args)
        except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
            answer = exc
        pipe.send(answer)


def _minus_two() -> int:
    return -2  # `Expander` compares new states with this "size": the fingerprint walk counts no coverage
