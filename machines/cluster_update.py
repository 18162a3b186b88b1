"""The cluster-update controller of ``UpdateCluster.tla``, as a statechart.

Source: ``../shared/spec/UpdateCluster.tla`` (a clean transcription of the seed
``../shared/seeds/004_0bf9eaf90ff24e53.txt``). The chart is a parallel root with three orthogonal
regions that share guarded context:

- ``requests``: one region ``r1 .. rN`` per request, ``waiting -> submitted -> valid | rejected``;
- ``workers``: one region ``w1 .. wM`` per worker, ``waiting -> starting -> working``;
- ``cluster``: ``idle``, ``starting``, ``partial``, ``failed`` (``starting`` is listed by the
  spec's ``TypeInvariants`` but no action ever enters it: the walker's coverage report shows it).

Spec variables and where they live (nothing else is in the snapshot, so the walker counts exactly
the states TLC counts):

==================  ==================================================================
``requests[r].st``  the active child of region ``r<r>`` (configuration)
``requests[r].v``   ``context["reqV"][r - 1]`` (``None`` is the spec's ``NULL``)
``workers[w].st``   the active child of region ``w<w>`` (configuration)
``workers[w].v``    ``context["workerV"][w - 1]``
``cluster.st``      the active child of region ``cluster`` (configuration)
``cluster.v``       ``context["clusterV"]``
``lastVOK``         ``context["lastVOK"]``
``toApply``         ``context["toApply"]``
``clusterUpdating`` ``context["clusterUpdating"]``
``confOK``          ``context["confOK"]`` (``\\in BOOLEAN``: two initial contexts)
``reqCounter``      ``context["reqCounter"]``
==================  ==================================================================

Spec actions and their transitions (one event family per action; the entity and the action's
nondeterministic choice are the payload):

- ``Submit(r)`` = ``SUBMIT {r}``: ``r<r>.waiting -> submitted``, ``reqCounter + 1`` becomes the
  request's version.
- ``PushToPending(r)`` = ``PUSH {r}``: ``r<r>.submitted -> valid`` when ``toApply < v`` (and
  ``toApply := v``), else ``-> rejected``.
- ``SpawnWorker(w)`` = ``SPAWN {w}``: ``w<w>.waiting -> starting`` when ``toApply # lastVOK``,
  the cluster is ``idle`` or ``failed`` and (with ``lock=True``) ``clusterUpdating = FALSE``;
  the worker takes ``toApply`` and the lock is taken.
- ``ApplyStart(w)`` = ``APPLY_START {w}``: ``w<w>.starting -> working`` when ``v >= toApply``
  and ``confOK``, and at the same time the cluster region moves to ``partial`` with the worker's
  version (both regions react to the one event, guards over the same pre-state, as SCXML selects
  every transition before running any); otherwise the worker goes back to ``waiting`` with
  ``NULL`` and the lock is released (not ``confOK``, or a newer version arrived).
- ``ApplyFinish(w)`` = ``APPLY_FINISH {w, ok}`` with ``ok`` in {True, False} (the spec's
  ``\\E ok \\in BOOLEAN``): the worker goes back to ``waiting``, the lock is released; the cluster
  becomes ``idle`` and ``lastVOK := v`` when ``ok`` or ``v = RollbackVersion`` ("rollback always
  works", ``RollbackVersion == lastVOK + 10``), else ``failed``, and when no newer version is
  waiting (``v >= toApply``) a rollback is triggered: ``toApply := lastVOK + 10``.

Properties, named as in the spec: ``TypeInvariants``, ``NoConcurrentUpdate``,
``NoConcurrentUpdateW``, ``NoPartialUpdateTermination`` (``<>[](cluster is idle)``),
``EveryReqIsProcessed`` (``<>[]`` no request waiting), and two more a careful reader wants:
``EveryReqIsDecided`` (``<>[]`` every request valid or rejected) and ``Converges``
(``<>[](toApply = lastVOK)``).

How the library caught the spec's quirk: the spec's ``NoConcurrentUpdate`` counts *requests* in
state ``"working"``, a state requests never have. Written as a chart guard over that state,
``state_in("#r1.working")`` is refused when the chart is built, and the error points at the state
the author meant (a test pins this)::

    ConfigError: clusterUpdate.cluster: on.SPAWN.guard: state_in('#r1.working'): no such state
    (did you mean 'w1.working'?)

so the vacuous property cannot be written as a chart condition by accident. ``NoConcurrentUpdate``
is kept below in the spec's literal sense as a predicate (it reads the request regions' active
states and is vacuously true), and the intended ``NoConcurrentUpdateW`` (at most one *worker*
working) is checked beside it.

>>> m = model(workers=1, requests=1)
>>> s = m.initial_states()[0]
>>> s.value["requests"], s.value["workers"], s.value["cluster"]
({'r1': 'waiting'}, {'w1': 'waiting'}, 'idle')
>>> s = m.machine.transition(s, "SUBMIT", r=1)
>>> s.context["reqV"], s.context["reqCounter"]
((1,), 1)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from statecharts import Event, Machine, Snapshot, and_, or_, payload, state_in
from statecharts.actions import Assign
from statecharts.chart import StateNode
from statecharts.check import Fairness, Model, Symmetry, configuration_predicate, events, eventually_always

Context = Mapping[str, Any]

ROLLBACK_STEP = 10  # RollbackVersion == lastVOK + 10
REQUEST_STATES = ("waiting", "submitted", "rejected", "valid")
WORKER_STATES = ("waiting", "starting", "working")
CLUSTER_STATES = ("idle", "starting", "partial", "failed")


def rollback_version(context: Context) -> int:
    """``RollbackVersion == lastVOK + 10``.

    >>> rollback_version({"lastVOK": 3})
    13
    """
    return int(context["lastVOK"]) + ROLLBACK_STEP


def _replace(values: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return values[:index] + (value,) + values[index + 1 :]


# -- requests ------------------------------------------------------------------------------------
def _request_region(r: int) -> dict[str, Any]:
    """Region ``r<r>``: Submit(r) and PushToPending(r)."""
    i = r - 1
    about = payload(r=r)

    def newer(context: Context, event: Event) -> bool:
        return bool(context["toApply"] < context["reqV"][i])

    newer.__name__ = "toApply < v"

    submit = Assign(
        {
            "reqCounter": lambda c, e: c["reqCounter"] + 1,
            "reqV": lambda c, e: _replace(c["reqV"], i, c["reqCounter"] + 1),
        },
        name="v := reqCounter + 1",
    )
    take = Assign({"toApply": lambda c, e: c["reqV"][i]}, name="toApply := v")
    return {
        "id": f"r{r}",
        "initial": "waiting",
        "states": {
            "waiting": {"on": {"SUBMIT": {"target": "submitted", "guard": about, "actions": submit}}},
            "submitted": {
                "on": {
                    "PUSH": [
                        {"target": "valid", "guard": and_(about, newer), "actions": take},
                        {"target": "rejected", "guard": about},
                    ]
                }
            },
            "valid": {},
            "rejected": {},
        },
    }


# -- workers -------------------------------------------------------------------------------------
def _worker_region(w: int, lock: bool) -> dict[str, Any]:
    """Region ``w<w>``: SpawnWorker(w), ApplyStart(w), ApplyFinish(w)."""
    i = w - 1
    about = payload(w=w)

    def pending(context: Context, event: Event) -> bool:
        return bool(context["toApply"] != context["lastVOK"])

    pending.__name__ = "toApply # lastVOK"

    def unlocked(context: Context, event: Event) -> bool:
        return not context["clusterUpdating"]

    unlocked.__name__ = "~clusterUpdating"

    spawn_guards = [about, pending, or_(state_in("#cluster.idle"), state_in("#cluster.failed"))]
    if lock:
        spawn_guards.insert(2, unlocked)
    spawn = Assign(
        {"workerV": lambda c, e: _replace(c["workerV"], i, c["toApply"]), "clusterUpdating": True},
        name="v := toApply; lock",
    )
    release = Assign(
        {"workerV": lambda c, e: _replace(c["workerV"], i, None), "clusterUpdating": False}, name="v := NULL; unlock"
    )

    def finish(context: Context, event: Event) -> dict[str, Any]:
        v = context["workerV"][i]
        changes: dict[str, Any] = {"workerV": _replace(context["workerV"], i, None), "clusterUpdating": False}
        if event.data["ok"] or v == rollback_version(context):
            changes["lastVOK"] = v
        elif v >= context["toApply"]:
            changes["toApply"] = rollback_version(context)
        return changes

    finish_action = Assign(finish, name="finish")

    return {
        "id": f"w{w}",
        "initial": "waiting",
        "states": {
            "waiting": {"on": {"SPAWN": {"target": "starting", "guard": and_(*spawn_guards), "actions": spawn}}},
            "starting": {
                "on": {
                    "APPLY_START": [
                        {"target": "working", "guard": and_(about, _apply_now(i))},
                        {"target": "waiting", "guard": about, "actions": release},
                    ]
                }
            },
            "working": {"on": {"APPLY_FINISH": {"target": "waiting", "guard": about, "actions": finish_action}}},
        },
    }


def _apply_now(i: int) -> Callable[[Context, Event], bool]:
    """ApplyStart's first branch: ``workers[w].v >= toApply /\\ confOK``."""

    def apply_now(context: Context, event: Event) -> bool:
        return bool(context["confOK"] and context["workerV"][i] >= context["toApply"])

    apply_now.__name__ = "v >= toApply & confOK"
    return apply_now


# -- the cluster ---------------------------------------------------------------------------------
def _cluster_region(workers: int) -> dict[str, Any]:
    """Region ``cluster``: moved by ApplyStart(w) (to partial) and ApplyFinish(w) (idle/failed)."""
    on_start: list[dict[str, Any]] = []
    on_finish: list[dict[str, Any]] = []
    for w in range(1, workers + 1):
        i = w - 1
        about = payload(w=w)

        def succeeded(context: Context, event: Event, i: int = i) -> bool:
            return bool(event.data["ok"] or context["workerV"][i] == rollback_version(context))

        succeeded.__name__ = "ok | v = RollbackVersion"

        take_version = Assign({"clusterV": lambda c, e, i=i: c["workerV"][i]}, name="v := worker v")
        on_start.append(
            {
                "target": ".partial",
                "actions": take_version,
                "guard": and_(about, state_in(f"#w{w}.starting"), _apply_now(i)),
            }
        )
        on_finish.append({"target": ".idle", "guard": and_(about, state_in(f"#w{w}.working"), succeeded)})
        on_finish.append({"target": ".failed", "guard": and_(about, state_in(f"#w{w}.working"))})
    return {
        "id": "cluster",
        "initial": "idle",
        "on": {"APPLY_START": on_start, "APPLY_FINISH": on_finish},
        "states": {name: {} for name in CLUSTER_STATES},
    }


def make(workers: int = 2, requests: int = 2, lock: bool = True) -> Machine:
    """The chart for ``workers`` x ``requests`` (``lock=False``: SpawnWorker ignores the lock).

    >>> make(1, 1).initial_state().configuration[:4]
    ('clusterUpdate', 'requests', 'r1', 'r1.waiting')
    """
    if workers < 1 or requests < 1:
        raise ValueError(f"need at least one worker and one request, got workers={workers}, requests={requests}")
    config = {
        "id": "clusterUpdate",
        "type": "parallel",
        "context": {
            "confOK": True,
            "reqCounter": 0,
            "lastVOK": 0,
            "toApply": 0,
            "clusterUpdating": False,
            "clusterV": 0,
            "reqV": (None,) * requests,
            "workerV": (None,) * workers,
        },
        "states": {
            "requests": {
                "id": "requests",
                "type": "parallel",
                "states": {f"r{r}": _request_region(r) for r in range(1, requests + 1)},
            },
            "workers": {
                "id": "workers",
                "type": "parallel",
                "states": {f"w{w}": _worker_region(w, lock) for w in range(1, workers + 1)},
            },
            "cluster": _cluster_region(workers),
        },
    }
    return Machine(config)


# -- properties ----------------------------------------------------------------------------------
def _region_states(machine: Machine, prefix: str, count: int, names: tuple[str, ...]) -> list[list[tuple[str, Any]]]:
    """Per region ``<prefix>1 .. <prefix><count>``: its (state name, state node) pairs."""
    return [[(name, machine.get_state(f"#{prefix}{k}.{name}")) for name in names] for k in range(1, count + 1)]


def _active(s: Snapshot, regions: list[list[tuple[str, Any]]]) -> list[str]:
    """The active state name of each region (a set lookup per state: predicates run per state)."""
    nodes = s.configuration_nodes
    return [name for region in regions for name, node in region if node in nodes]


def cluster_state(s: Snapshot) -> str:
    """``cluster.st``.

    >>> cluster_state(make(1, 1).initial_state())
    'idle'
    """
    return next(n for n in CLUSTER_STATES if s.matches(f"#cluster.{n}"))


def make_properties(
    machine: Machine, workers: int, requests: int
) -> tuple[dict[str, Callable[[Snapshot], bool]], dict[str, Any]]:
    """The spec's requirements as (invariants, temporal properties), named as in the spec."""
    request_regions = _region_states(machine, "r", requests, REQUEST_STATES)
    worker_regions = _region_states(machine, "w", workers, WORKER_STATES)
    idle = machine.get_state("#cluster.idle")

    def request_states(s: Snapshot) -> list[str]:
        return _active(s, request_regions)

    # state sets, so each predicate is a few set operations per state (the walker calls them all)
    request_leaves = frozenset(node for region in request_regions for _, node in region)
    worker_leaves = frozenset(node for region in worker_regions for _, node in region)
    cluster_leaves = frozenset(machine.get_state(f"#cluster.{name}") for name in CLUSTER_STATES)
    working = frozenset(node for region in worker_regions for name, node in region if name == "working")
    # the spec's NoConcurrentUpdate reads requests[r].st = "working": no request has that state
    request_working = frozenset(
        n for r in range(1, requests + 1) if (n := machine.chart.find(f"#r{r}.working")) is not None
    )

    @configuration_predicate
    def one_state_each(nodes: frozenset[StateNode]) -> bool:
        """TypeInvariants' part about states: the cluster, every request and every worker in one."""
        return (
            len(nodes & cluster_leaves) == 1
            and len(nodes & request_leaves) == requests
            and len(nodes & worker_leaves) == workers
        )

    def type_invariants(s: Snapshot) -> bool:
        c = s.context
        return isinstance(c["confOK"], bool) and isinstance(c["clusterUpdating"], bool) and one_state_each(s)

    @configuration_predicate
    def no_concurrent_update(nodes: frozenset[StateNode]) -> bool:
        # The spec's literal text: requests in "working", which requests never are (vacuously true).
        return len(nodes & request_working) < 2

    @configuration_predicate
    def no_concurrent_update_w(nodes: frozenset[StateNode]) -> bool:
        return len(nodes & working) < 2

    invariants = {
        "TypeInvariants": type_invariants,
        "NoConcurrentUpdate": no_concurrent_update,
        "NoConcurrentUpdateW": no_concurrent_update_w,
    }
    properties = {
        "NoPartialUpdateTermination": eventually_always(lambda s: idle in s.configuration_nodes),
        "EveryReqIsProcessed": eventually_always(lambda s: "waiting" not in request_states(s)),
        "EveryReqIsDecided": eventually_always(lambda s: all(st in ("valid", "rejected") for st in request_states(s))),
        "Converges": eventually_always(lambda s: s.context["toApply"] == s.context["lastVOK"]),
    }
    return invariants, properties


def is_clean_end(machine: Machine, workers: int, requests: int) -> Callable[[Snapshot], bool]:
    """The acceptable terminal states: every request decided, no worker busy, cluster idle,
    ``toApply = lastVOK``."""
    request_regions = _region_states(machine, "r", requests, REQUEST_STATES)
    worker_regions = _region_states(machine, "w", workers, WORKER_STATES)

    def clean(s: Snapshot) -> bool:
        return (
            all(st in ("valid", "rejected") for st in _active(s, request_regions))
            and _active(s, worker_regions) == ["waiting"] * workers
            and cluster_state(s) == "idle"
            and s.context["toApply"] == s.context["lastVOK"]
        )

    return clean


def model(workers: int = 2, requests: int = 2, lock: bool = True, conf_ok: bool | None = None) -> Model:
    """Everything the walker needs for ``workers`` x ``requests``.

    ``conf_ok`` fixes the spec's ``confOK \\in BOOLEAN`` to one value (``None``, the default: both
    initial contexts, as the spec).

    >>> m = model(workers=2, requests=2)
    >>> len(m.initial_states()), len(m.alphabet), sorted(m.properties)[:2]
    (2, 12, ['Converges', 'EveryReqIsDecided'])
    """
    machine = make(workers, requests, lock)
    ws, rs = range(1, workers + 1), range(1, requests + 1)
    alphabet = (
        *events("SUBMIT", r=rs),
        *events("PUSH", r=rs),
        *events("SPAWN", w=ws),
        *events("APPLY_START", w=ws),
        *events("APPLY_FINISH", w=ws, ok=[True, False]),
    )
    invariants, properties = make_properties(machine, workers, requests)
    fairness = tuple(
        Fairness("weak", name, by=(key,))
        for name, key in (("SUBMIT", "r"), ("PUSH", "r"), ("SPAWN", "w"), ("APPLY_START", "w"), ("APPLY_FINISH", "w"))
    )
    return Model(
        machine=machine,
        initial_contexts=tuple({"confOK": ok} for ok in (False, True) if conf_ok is None or ok == conf_ok),
        alphabet=alphabet,
        invariants=invariants,
        properties=properties,
        fairness=fairness,
        terminal=is_clean_end(machine, workers, requests),
        symmetry=(
            Symmetry(tuple(f"w{w}" for w in ws), context=("workerV",)),
            Symmetry(tuple(f"r{r}" for r in rs), context=("reqV",)),
        ),
        name=f"cluster_update(workers={workers}, requests={requests}, lock={lock}"
        + ("" if conf_ok is None else f", conf_ok={conf_ok}")
        + ")",
    )
