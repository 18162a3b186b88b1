"""The fingerprint walk on a Ray cluster: ``check --ray ADDRESS`` (``pip install 'statecharts[ray]'``).

The same partitioned walk as ``--workers N`` (`statecharts.check.fingerprints`), with each
partition a Ray actor placed on the cluster's nodes (spread, one CPU each) instead of a forked
process: each actor keeps the fingerprints of the states it owns and writes its level files to a
folder of its own node; each level, every actor expands its states and returns one outbox per
owner, which Ray hands to the owner (node to node for large outboxes; small ones through the
driver, inlined in the call). The driver keeps only the level's counts and verdicts, ranks each
level's states in the single-process walk's order (`statecharts.check.fingerprints.bfs_ranks`: 8
bytes a state from each actor and 8 back), and asks the owners for the parent links and stored
keys when it rebuilds a trace.

With ``directory`` (``--checkpoint DIR``), every actor writes its level files (named by partition)
to that one folder and the driver writes the checkpoint there at the start of each level and
within one (every ``checkpoint_every`` seconds, on Ctrl-C), as the ``--workers`` walk does:
on a real cluster it must be a folder every node mounts at the same path (NFS, a cluster file
system), which the actors check before the walk. ``resume=True``
starts the actors again on any nodes, each reloading its partition's fingerprints from the
files; the model, the parameters and the partition count must be those of the checkpoint.

Fingerprints must be equal in every process of every machine, which Python's ``hash`` is not:
the partitions fingerprint states with `statecharts.check.portable.StablePartition`.

The chart and the model are sent to the actors pickled (``cloudpickle``, by reference for
functions of importable modules): every node must be able to import the model's module, e.g. by
``ray job submit --working-dir .`` or the package installed on every node.
"""

from __future__ import annotations

import io
import logging
import pickle
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from statecharts.check.checkpoint import read_checkpoint
from statecharts.check.fingerprints import CHECKPOINT_SECONDS, LevelResult, Partition, Walk, _dispatch, read_link
from statecharts.check.graph import Bounds, collector_paused
from statecharts.check.model import Model, refuse_actor_system
from statecharts.check.portable import StablePartition
from statecharts.check.walker import Report
from statecharts.errors import ConfigError

PLACEMENT_SECONDS = 120.0  # how long the actors may wait for CPUs on the cluster before the walk gives up


def import_ray() -> Any:
    """The ``ray`` module (imported only for a walk: this module's other parts work without it)."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(f"the Ray walk needs Ray ({exc}): pip install 'statecharts[ray]'") from exc
    return ray


class PartitionActor:
    """One partition on a node of the cluster, its level files in a folder of that node (removed
    after the walk), or in the walk's shared ``folder`` (kept)."""

    def __init__(
        self, model: Model, part: int, parts: int, deadlock: bool, max_depth: int | None, folder: str | None = None
    ) -> None:
        import gc

        gc.disable()  # as in the forked workers: the walk allocates no cycles worth a collection
        self.kept = folder is not None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix=f"statecharts-ray-{part}-"))
        self.partition = StablePartition(model, self.folder, part, parts, deadlock, max_depth)

    def sees(self, name: str, token: str) -> bool:
        """Whether the file ``name`` the driver wrote in the walk's folder holds ``token`` here."""
        try:
            return (self.folder / name).read_text(encoding="utf-8") == token
        except OSError:
            return False

    def node(self) -> str:
        return str(import_ray().get_runtime_context().get_node_id())

    def call(self, method: str, *args: Any) -> Any:
        return _dispatch(self.partition, method, args)

    def expand(self, method: str, depth: int, upto: int) -> tuple[Any, ...]:
        """The slice's result without its outboxes, their sizes, then one outbox per partition."""
        result: LevelResult = _dispatch(self.partition, method, (depth, upto))
        boxes = result.outboxes or [b""] * self.partition.parts
        result.outboxes = []
        return (result, [len(box) for box in boxes], *boxes)

    def receive(self, *boxes: bytes) -> None:
        self.partition.receive_level(list(boxes))

    def link(self, depth: int, position: int) -> tuple[int, int]:
        return read_link(self.folder, self.partition.part, depth, position)

    def key(self, depth: int, place: int) -> bytes:
        return self.partition.dumps([self.partition.key_at(depth, place)], 0)

    def close(self) -> None:
        if not self.kept:
            shutil.rmtree(self.folder, ignore_errors=True)


class RayWorkers:
    """The partitions' driver for `Walk` (the interface of ``fingerprints._Workers``) over Ray
    actors; it counts the bytes of the outboxes it routes, between partitions and between nodes."""

    def __init__(
        self, local: Partition, parts: int, deadlock: bool, max_depth: int | None, folder: Path | None = None
    ) -> None:
        self.local, self.parts = local, parts
        self.ray = ray = import_ray()
        self.actors: list[Any] = []
        model_ref = ray.put(local.model)
        remote = ray.remote(num_cpus=1)(PartitionActor)
        self.actors = [
            remote.options(scheduling_strategy="SPREAD").remote(
                model_ref,
                part,
                parts,
                deadlock,  # type: ignore[attr-defined]
                max_depth,
                None if folder is None else str(folder),
            )
            for part in range(parts)
        ]
        try:
            self.nodes: list[str] = ray.get([actor.node.remote() for actor in self.actors], timeout=PLACEMENT_SECONDS)
        except ray.exceptions.GetTimeoutError as exc:
            self.close()
            raise ConfigError(
                f"the Ray cluster did not place {parts} partitions (one CPU each) within "
                f"{PLACEMENT_SECONDS:.0f} s: it has {ray.cluster_resources().get('CPU', 0):g} CPUs",
                key="ray",
            ) from exc
        if folder is not None:
            self._check_shared(folder)
        self.boxes: list[Any] = []
        self.sizes: list[list[int]] = []
        self.between_partitions = 0
        self.between_nodes = 0
        self.to_driver = 0  # the levels' results (counts, verdicts, sizes) pickled
        self.ranking = 0  # the levels' orders sent to the driver and their ranks sent back (`bfs_ranks`)
        self.levels = 0

    def call(self, method: str, *args: Any) -> list[Any]:
        ray = self.ray
        if method in ("expand", "expand_no_successors"):
            refs = [actor.expand.options(num_returns=self.parts + 2).remote(method, *args) for actor in self.actors]
            results: list[LevelResult] = ray.get([r[0] for r in refs])
            self.sizes = ray.get([r[1] for r in refs])
            self.boxes = [r[2:] for r in refs]
            self.to_driver += len(pickle.dumps((results, self.sizes), protocol=pickle.HIGHEST_PROTOCOL))
            self.levels += 1
            return results
        answers = list(ray.get([actor.call.remote(method, *args) for actor in self.actors]))
        if method == "level_orders":
            self.ranking += sum(orders.nbytes for orders in answers)
        return answers

    def call_each(self, method: str, per_part: list[list[Any]]) -> list[Any]:
        """Run ``method`` in every partition with its own arguments; their answers."""
        if method == "set_ranks":
            self.ranking += sum(args[1].nbytes for args in per_part)
        calls = [actor.call.remote(method, *args) for actor, args in zip(self.actors, per_part, strict=True)]
        return list(self.ray.get(calls))

    def _check_shared(self, folder: Path) -> None:
        """Refuse a checkpoint folder that some partition's node does not share with the driver."""
        token, name = uuid.uuid4().hex, ".statecharts-walk"
        (folder / name).write_text(token, encoding="utf-8")
        seen = self.ray.get([actor.sees.remote(name, token) for actor in self.actors])
        blind = sorted({node for node, ok in zip(self.nodes, seen, strict=True) if not ok})
        if blind:
            self.close()
            raise ConfigError(
                f"{folder} is not shared with the driver by node(s) {', '.join(blind)}: a Ray walk's "
                f"--checkpoint/--resume folder must be one every node mounts at the same path (NFS, a "
                f"cluster file system)",
                key="checkpoint",
            )

    def receive(self, inboxes: list[bytes]) -> None:
        self.ray.get([actor.receive.remote(box) for actor, box in zip(self.actors, inboxes, strict=True)])

    def exchange(self, results: list[LevelResult]) -> int:
        """Hand each owner the outboxes the other partitions filled for it; their bytes."""
        calls, sent = [], 0
        for owner, actor in enumerate(self.actors):
            senders = [s for s in range(self.parts) if s != owner]
            calls.append(actor.receive.remote(*[self.boxes[s][owner] for s in senders]))
            for s in senders:
                size = self.sizes[s][owner]
                sent += size
                if self.nodes[s] != self.nodes[owner]:
                    self.between_nodes += size
        self.ray.get(calls)
        self.boxes = []
        self.between_partitions += sent
        return sent

    def link(self, depth: int, place: int) -> tuple[int, int]:
        parent, via = self.ray.get(self.actors[place % self.parts].link.remote(depth, place // self.parts))
        return int(parent), int(via)

    def key_at(self, depth: int, place: int) -> Any:
        data = self.ray.get(self.actors[place % self.parts].key.remote(depth, place))
        return self.local._load(io.BytesIO(data), 0)[0]

    def close(self) -> None:
        try:
            self.ray.get([actor.close.remote() for actor in self.actors], timeout=30)
        except Exception:  # noqa: BLE001 - an actor already gone leaves its temporary folder to its node
            pass
        for actor in self.actors:
            self.ray.kill(actor)


START_HINT = "start one with `ray start --head` (then --ray auto) or give a running cluster's address (--ray HOST:PORT)"


def reachable(address: str | None, timeout: float = 5.0, *, found: str = "") -> None:
    """Refuse, with a `ConfigError`, a ``HOST:PORT`` address nothing answers on within ``timeout``
    seconds: Ray itself would wait about a minute, then keep retrying. ``None``, ``"auto"`` and
    ``ray://`` addresses are left to Ray (`cluster_address` finds the one ``"auto"`` means).
    ``found``: where ``address`` came from, when the user did not give it.

    >>> reachable("127.0.0.1:1", timeout=1)
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: ray: cannot reach the Ray cluster at '127.0.0.1:1': ...; start one with ...
    """
    if not address or address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"a Ray address is HOST:PORT, 'auto' or ray://..., not {address!r}", key="ray")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address!r}{found}: {exc}; {START_HINT}", key="ray"
        ) from None


def cluster_address(ray: Any, address: str | None) -> str | None:
    """The ``HOST:PORT`` Ray connects to for ``address`` ``None`` or ``"auto"``: ``RAY_ADDRESS``, else
    the cluster ``ray start`` started last on this machine (its GCS may have gone since: `reachable`
    says so at once, where Ray would retry it for minutes); None when Ray would start a cluster of its
    own. Any other address is returned as given."""
    if address not in (None, "auto"):
        return address
    try:
        canonical = ray._private.services.canonicalize_bootstrap_address
    except AttributeError:  # another Ray's internals: leave the address to Ray
        return address
    try:
        found: str | None = canonical(address)
    except (ConnectionError, ValueError) as exc:
        raise ConfigError(f"no Ray cluster found for {address!r} ({exc}); {START_HINT}", key="ray") from None
    return found


def check_ray(
    model: Model,
    address: str | None = None,
    *,
    workers: int | None = None,
    bounds: Bounds | None = None,
    deadlock: bool = True,
    directory: str | Path | None = None,
    resume: bool = False,
    checkpoint_every: float | None = CHECKPOINT_SECONDS,
) -> Report:
    """The fingerprint walk of ``model`` in ``workers`` partitions (default: one per CPU of the
    cluster, or on resume the checkpoint's count) on the Ray cluster at ``address`` (``"auto"``:
    the one this machine belongs to; when this process is already connected to Ray, that
    connection). ``directory``: the level files and the checkpoints in that folder (at the start of
    each level, and within one every ``checkpoint_every`` seconds and on Ctrl-C), which every
    node must share; ``resume=True`` continues the walk checkpointed there (see the module).
    The report's ``fingerprints`` add ``ray``: the nodes, the bytes routed between partitions and
    between nodes, per distinct state."""
    refuse_actor_system(model.machine, "the Ray walk (--ray)")
    if resume and directory is None:
        raise ConfigError("resume needs the directory of an earlier walk", key="resume")
    folder = None if directory is None else Path(directory).resolve()  # the same path on every node
    if resume and workers is None:
        assert folder is not None
        workers = read_checkpoint(folder).get("workers")
    ray = import_ray()
    owner = not ray.is_initialized()
    if owner:  # where "auto" points, checked: a cluster that ran here before may have gone
        resolved = cluster_address(ray, address)
        found = (
            ""
            if resolved == address
            else f" ({address or 'auto'}: RAY_ADDRESS, or the cluster `ray start` started last here)"
        )
        reachable(resolved, found=found)
    else:
        reachable(address)  # an address given is checked even when this process is connected already
    if owner:
        try:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise ConfigError(f"cannot connect to the Ray cluster at {address!r}: {exc}", key="ray") from exc
    try:
        parts = workers if workers is not None else int(ray.cluster_resources().get("CPU", 0))
        if parts < 1:
            raise ConfigError(f"workers must be at least 1, not {parts}", key="workers")
        pools: list[RayWorkers] = []

        def pool(local: Partition) -> RayWorkers:
            pools.append(RayWorkers(local, parts, deadlock, (bounds or Bounds()).max_depth, folder))
            return pools[-1]

        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="statecharts-ray-") as scratch, collector_paused():
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
            walk = Walk(
                model,
                folder or Path(scratch),
                bounds or Bounds(),
                deadlock,
                parts,
                resume,
                pool=pool,
                partition=StablePartition,
                checkpoint_every=checkpoint_every,
            )
            walk.kept = folder is not None  # otherwise the level files are on the nodes, removed after
            report = walk.run()
        used = pools[0]
        distinct = max(report.distinct_states, 1)
        assert report.fingerprints is not None
        if folder is not None:
            report.fingerprints["folder"] = str(folder)
        report.fingerprints["ray"] = {
            "address": address or "auto",
            "nodes": len(set(used.nodes)),
            "partitions": parts,
            "bytes_between_partitions": used.between_partitions,
            "bytes_between_nodes": used.between_nodes,
            "bytes_to_driver": used.to_driver,
            "bytes_ranking": used.ranking,
            "levels": used.levels,
            "bytes_between_nodes_per_state": round(used.between_nodes / distinct, 1),
            "bytes_per_state": round((used.between_partitions + used.to_driver + used.ranking) / distinct, 1),
            "seconds_with_startup": round(time.perf_counter() - start, 2),
        }
        return report
    finally:
        if owner:
            ray.shutdown()
