"""A hand-written cluster-update controller (plain classes, not the chart): the system under test.

It implements ``UpdateCluster.tla`` directly, the way an application would, and its adapter maps
the chart's events onto its methods. ``planted_bug=True`` forgets the spec's "rollback always
works": a failing ApplyFinish of the rollback version leaves the cluster ``failed`` (and triggers
yet another rollback) instead of making it ``idle``. Reaching that takes a failed update, the
rollback, and its failing finish (eight events on the shortest path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statecharts import Event, Snapshot
from statecharts.testing import Adapter

ROLLBACK_STEP = 10


@dataclass
class Request:
    st: str = "waiting"
    v: int | None = None


@dataclass
class Worker:
    st: str = "waiting"
    v: int | None = None


@dataclass
class Cluster:
    st: str = "idle"
    v: int = 0


@dataclass
class ClusterController:
    """The controller: requests are submitted and validated; one worker at a time applies the
    newest valid version to the cluster, with a rollback when an update fails."""

    workers: int
    requests: int
    conf_ok: bool = True
    planted_bug: bool = False
    last_ok: int = 0
    to_apply: int = 0
    counter: int = 0
    updating: bool = False
    cluster: Cluster = field(default_factory=Cluster)
    queue: list[Request] = field(default_factory=list)
    pool: list[Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.queue = [Request() for _ in range(self.requests)]
        self.pool = [Worker() for _ in range(self.workers)]

    @property
    def rollback_version(self) -> int:
        return self.last_ok + ROLLBACK_STEP

    def submit(self, r: int) -> None:
        req = self.queue[r - 1]
        if req.st == "waiting":
            self.counter += 1
            req.st, req.v = "submitted", self.counter

    def push(self, r: int) -> None:
        req = self.queue[r - 1]
        if req.st != "submitted":
            return
        assert req.v is not None
        if self.to_apply < req.v:
            req.st, self.to_apply = "valid", req.v
        else:
            req.st = "rejected"

    def spawn(self, w: int) -> None:
        worker = self.pool[w - 1]
        if (
            worker.st == "waiting"
            and self.to_apply != self.last_ok
            and not self.updating
            and self.cluster.st in ("idle", "failed")
        ):
            worker.st, worker.v = "starting", self.to_apply
            self.updating = True

    def apply_start(self, w: int) -> None:
        worker = self.pool[w - 1]
        if worker.st != "starting":
            return
        assert worker.v is not None
        if worker.v >= self.to_apply and self.conf_ok:
            self.cluster = Cluster("partial", worker.v)
            worker.st = "working"
        else:  # no valid conf, or a newer version arrived: give up this one
            worker.st, worker.v = "waiting", None
            self.updating = False

    def apply_finish(self, w: int, ok: bool) -> None:
        worker = self.pool[w - 1]
        if worker.st != "working":
            return
        assert worker.v is not None
        v, self.updating = worker.v, False
        worker.st, worker.v = "waiting", None
        rollback_works = v == self.rollback_version and not self.planted_bug
        if ok or rollback_works:
            self.cluster.st, self.last_ok = "idle", v
        else:
            self.cluster.st = "failed"
            if v >= self.to_apply:  # nothing newer is waiting: roll back
                self.to_apply = self.rollback_version

    def observe(self) -> dict[str, Any]:
        """Everything the spec's variables say, in the chart's vocabulary."""
        return {
            "requests": {f"r{r}": q.st for r, q in enumerate(self.queue, 1)},
            "workers": {f"w{w}": p.st for w, p in enumerate(self.pool, 1)},
            "cluster": self.cluster.st,
            "clusterV": self.cluster.v,
            "reqV": tuple(q.v for q in self.queue),
            "workerV": tuple(p.v for p in self.pool),
            "lastVOK": self.last_ok,
            "toApply": self.to_apply,
            "clusterUpdating": self.updating,
            "reqCounter": self.counter,
        }


class ClusterAdapter(Adapter):
    """Drives a `ClusterController` with the chart's events and compares the spec's variables."""

    def __init__(self, planted_bug: bool = False) -> None:
        self.planted_bug = planted_bug
        self.sut: ClusterController | None = None

    def reset(self, initial: Snapshot) -> None:
        c = initial.context
        self.sut = ClusterController(
            len(c["workerV"]), len(c["reqV"]), conf_ok=c["confOK"], planted_bug=self.planted_bug
        )

    def send(self, event: Event) -> None:
        assert self.sut is not None
        d = event.data
        match event.name:
            case "SUBMIT":
                self.sut.submit(d["r"])
            case "PUSH":
                self.sut.push(d["r"])
            case "SPAWN":
                self.sut.spawn(d["w"])
            case "APPLY_START":
                self.sut.apply_start(d["w"])
            case "APPLY_FINISH":
                self.sut.apply_finish(d["w"], d["ok"])
            case other:
                raise ValueError(f"the controller has no operation for event {other!r}")

    def observe(self) -> dict[str, Any]:
        assert self.sut is not None
        return self.sut.observe()

    def expected(self, snapshot: Snapshot) -> dict[str, Any]:
        value, c = snapshot.value, snapshot.context
        keys = ("clusterV", "reqV", "workerV", "lastVOK", "toApply", "clusterUpdating", "reqCounter")
        return {
            "requests": value["requests"],
            "workers": value["workers"],
            "cluster": value["cluster"],
            **{k: c[k] for k in keys},
        }
