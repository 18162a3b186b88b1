"""Nomad's rolling update (the job's ``update`` stanza) as a checked statechart.

Source: the seed ``../shared/seeds/000_d42acd957c4d3df2.txt``, "Rolling Updates" (HashiCorp
Nomad: ``update { max_parallel, min_healthy_time, healthy_deadline, progress_deadline,
auto_revert, auto_promote, canary }``). `machines.cluster_update` is the abstract controller of
the seed's TLA+ spec; this chart is the concrete one, and `refinement_mapping` maps it onto that
spec (checked by `statecharts.check.refines`, see below).

The chart is a parallel root: one region ``a1 .. aN`` per allocation and a ``deployment`` region.

- Allocation ``a<n>``: ``running`` (the version it runs, healthy) ``--PLACE {n}--> stopping
  --ALLOC_STOPPED {n}--> placed.starting --ALLOC_HEALTHY {n}--> placed.settling --after
  min_healthy_time--> healthy``; from ``placed``: ``ALLOC_UNHEALTHY {n}``, ``NODE_LOST {n}`` or
  ``after healthy_deadline`` go to ``unhealthy``. ``PLACE {n}`` is the scheduler choosing
  allocation ``n`` for replacement (the walker tries every choice; the controller service picks the
  lowest); it also leaves ``healthy`` and ``unhealthy`` when that allocation does not run the
  deployment's version (the next deployment, or a revert); unhealthy allocations go first.
- ``deployment``: ``idle --DEPLOY {version}--> pending --EVALUATE--> running`` (the scheduler's
  evaluation of the new job version), then ``paused`` (canaries healthy, waiting for ``PROMOTE``;
  with ``auto_promote`` straight on) ``-> promoted -> successful``, or ``failed`` as soon as an
  allocation of the deployment is unhealthy or ``after progress_deadline`` (the timer starts when
  the deployment's first allocation is created, as Nomad documents); with ``auto_revert`` a failed
  deployment goes on to ``reverting`` (the last stable version, redeployed) ``-> reverted``
  (``revert_failed`` when the stable version fails too). A new ``DEPLOY`` is accepted between
  deployments (Nomad would also cancel a running one; this chart does not model that).

Context: ``version`` (the deployment's version, ``None`` before the first), ``stable`` (the last
stable version: a deployment that ends ``successful`` makes its version stable), ``latest`` (the
newest version ever submitted: ``DEPLOY`` takes only newer ones, which keeps the state space
finite), ``allocs`` (the version each allocation runs) and ``reverts`` (how many reverts started).

The knobs, as Nomad documents them: at most ``max_parallel`` allocations in transition
(``stopping`` or ``placed``) at once; ``canary`` allocations are replaced first and the rest only
after promotion; ``healthy_deadline`` marks a slow allocation unhealthy; ``progress_deadline``
fails the deployment (restarted whenever an allocation turns healthy); ``auto_revert`` redeploys
the last stable version after a failure. The timers are ``after`` transitions on the named delays
(milliseconds), so the interpreter runs them for real and the walker treats each as an event that
may happen whenever its state is active.

``stable_healthy`` (default ``True``) is the environment assumption the abstract spec makes
("rollback always works"): an allocation of a revert never turns unhealthy and the revert's
progress deadline never fires. A failed deployment reverts once no allocation is in transition
(a replacement in flight when the progress deadline fires settles first).

Properties: ``MaxParallel``, ``Availability`` (at least ``nodes - max_parallel`` allocations
``running`` or ``healthy``, outside a revert), ``CanaryFirst`` (before promotion at most ``canary``
allocations were touched), ``NoMixedVersionsAtRest`` (a deployment at rest, nothing in transition,
runs one version everywhere) and, under fairness, ``DeploymentEnds`` (a started deployment ends
``successful``, ``failed`` or, with auto_revert, ``reverted``) and ``RevertRestoresStable`` (a
revert leads to every allocation on the stable version). Fairness (weak): ``EVALUATE``,
``PROMOTE`` (the operator promotes eventually), ``PLACE`` as one action (the scheduler keeps
placing), ``ALLOC_STOPPED`` and ``ALLOC_HEALTHY`` per allocation, and every timer.

The grid (``tests/models/test_rolling_update_grid.py``): every combination of nodes 2-4,
max_parallel 1-2, canary 0-1 and auto_revert on/off, the other knobs at their defaults. States and
transitions are the full walk's (``check(model(...))``, no symmetry); every property not listed
holds, ``DeploymentEnds`` and ``RevertRestoresStable`` included. The tests walk the four
``nodes=4, max_parallel=2`` settings under allocation symmetry (the representatives counted in
brackets) for the invariants only, to stay within their time budget. (With two allocations in
flight, the progress deadline restarting on a healthy allocation reorders the snapshot's pending
timers, and the walker counts the orders apart: part of the ``max_parallel=2`` counts.)

=====  ============  ======  ===========  ======  ===========  =========================================
nodes  max_parallel  canary  auto_revert  states  transitions  violated
=====  ============  ======  ===========  ======  ===========  =========================================
2      1             0       on           58      116          nothing
2      1             0       off          35      88           ``NoMixedVersionsAtRest``
2      1             1       on           60      118          nothing
2      1             1       off          37      90           ``NoMixedVersionsAtRest``
2      2             0       on           135     514          nothing
2      2             0       off          85      426          ``NoMixedVersionsAtRest``
2      2             1       on           79      162          nothing
2      2             1       off          37      90           ``NoMixedVersionsAtRest``
3      1             0       on           198     386          nothing
3      1             0       off          98      266          ``NoMixedVersionsAtRest``
3      1             1       on           201     389          nothing
3      1             1       off          101     269          ``NoMixedVersionsAtRest``
3      2             0       on           783     3482         nothing
3      2             0       off          464     2870         ``NoMixedVersionsAtRest``
3      2             1       on           540     1811         nothing
3      2             1       off          245     1247         ``NoMixedVersionsAtRest``
4      1             0       on           642     1176         nothing
4      1             0       off          253     712          ``NoMixedVersionsAtRest``
4      1             1       on           646     1180         nothing
4      1             1       off          257     716          ``NoMixedVersionsAtRest``
4      2             0       on           3450    15474        nothing (523 under symmetry)
4      2             0       off          1843    12250        ``NoMixedVersionsAtRest`` (301 under symmetry)
4      2             1       on           2818    10906        nothing (401 under symmetry)
4      2             1       off          1259    7778         ``NoMixedVersionsAtRest`` (183 under symmetry)
=====  ============  ======  ===========  ======  ===========  =========================================

The misconfiguration the walker catches: ``auto_revert = false``. A deployment whose first new
allocation turns unhealthy stops there (Nomad does not roll back on its own), and the job runs two
versions at rest: ``NoMixedVersionsAtRest`` fails in every setting with auto_revert off, with the
five-step trace ``DEPLOY, EVALUATE, PLACE, ALLOC_STOPPED, ALLOC_UNHEALTHY``, drawn in
``diagrams/traces/rolling_update_auto_revert_off.svg`` (`counterexample`, regenerated by
``python -m machines.rolling_update diagrams/traces``).

A design bug the walker caught, now fixed: without ``stable_healthy`` (the stable version may
fail too), a scheduler free to pick any outdated allocation may start a revert with a *healthy*
allocation of the failed version; when the stable version then fails, no allocation is healthy
and ``Availability`` fails (12 steps with two nodes). The chart therefore replaces unhealthy
allocations first (``unhealthy_first``, on by default; ``unhealthy_first=False`` plants the bug
back, and a test pins its trace). With the fix, ``Availability`` holds even when the stable
version fails; ``NoMixedVersionsAtRest`` and ``RevertRestoresStable`` then fail, as they must.

Refinement of ``cluster_update`` (`refinement_mapping`, checked by `statecharts.check.refines` in
the tests). With ``max_parallel=1, canary=0, auto_revert=True`` and one version, every step of this
chart is a step or a stutter of ``cluster_update(workers=1, requests=1)`` under this mapping:

=====================  ======================================================================
``requests[1].st``     ``waiting`` while the deployment is ``idle``, ``submitted`` while
                       ``pending``, ``valid`` after (``DEPLOY`` = Submit, ``EVALUATE`` =
                       PushToPending); ``reqV``, ``reqCounter``: 1 once submitted
``toApply``            0 before ``EVALUATE``, the version (1) after, ``RollbackVersion`` (10)
                       once the deployment ``failed`` (and while ``reverting``/``reverted``)
``lastVOK``            1 when ``successful``, 10 when ``reverted``, else 0
``workers[1].st``      ``starting`` while the deployment is ``placing`` with an allocation
                       ``stopping`` (``PLACE`` of its first allocation = SpawnWorker);
                       ``working`` while ``progressing`` (``ALLOC_STOPPED`` of the first
                       allocation = ApplyStart); else ``waiting`` (``successful`` =
                       ApplyFinish(ok), ``failed`` = ApplyFinish(not ok), ``reverted`` =
                       ApplyFinish of the RollbackVersion); ``workers[1].v`` = ``toApply``
                       while not waiting; ``clusterUpdating`` = the worker is not waiting
``cluster.st``         ``partial`` while ``progressing``, ``failed`` while ``failed`` or
                       ``reverting.placing``, else ``idle``; ``cluster.v``: 0 until the first
                       allocation is created, then 1, 10 once the revert creates one
``confOK``             ``TRUE``
=====================  ======================================================================

Every other step (the later allocations' ``PLACE``, ``ALLOC_STOPPED``, health checks, timers) is
a stutter. The abstract worker stands for the whole deployment, not for one allocation. Under this
mapping ``max_parallel=2`` refines too (the abstraction does not see the allocations);
``MaxParallel`` is checked on the chart itself. Without ``stable_healthy`` the refinement fails (a
revert that fails has no abstract step: the spec's rollback always works); the tests pin that trace.

**One abstract worker per allocation** (what the issue asks for; `per_allocation_mapping`, onto
``cluster_update(workers=nodes, requests=1)``): ``workers[n]`` is ``starting`` while ``a<n>`` is
``stopping``, ``working`` while it is ``placed``, else ``waiting`` (``PLACE {n}`` = SpawnWorker(n),
``ALLOC_STOPPED {n}`` = ApplyStart(n), ``a<n>`` turning healthy = ApplyFinish(n, ok), the
deployment failing = ApplyFinish of the worker in flight, not ok); ``workers[n].v`` = ``toApply``
while not waiting; ``clusterUpdating`` = some worker not waiting; ``cluster.st`` = ``partial``
while an allocation is placed, ``failed`` while the deployment is ``failed`` or reverting with none
placed, else ``idle``; ``lastVOK`` = the version once an allocation of it is healthy (10 in a
revert); the rest as in the table above. ``refines`` checks it: it holds for one allocation (15
concrete states, 27 steps of which 10 stutters) and fails for two or more, at the second
allocation's ``PLACE``, with the shortest trace ``DEPLOY, EVALUATE, PLACE 1, ALLOC_STOPPED 1,
ALLOC_HEALTHY 1, min_healthy_time of a1, PLACE 2``: the abstract state before it has
``lastVOK = toApply = 1``, where SpawnWorker is disabled.

No mapping of one worker per allocation can do better, because of what ``cluster_update`` is: it
applies a version to the cluster *at once*. SpawnWorker needs ``toApply # lastVOK`` and the cluster
``idle`` or ``failed`` (and, with the lock, no worker holding it); the cluster leaves ``partial``
only by ApplyFinish, which either succeeds and sets ``lastVOK := v`` (so no worker is ever spawned
again for that version) or fails and sets ``toApply := RollbackVersion`` (so the next worker
applies the rollback, not the version). Hence after one worker has applied version 1
(ApplyStart), no behaviour of the spec has a second worker apply version 1: a rolling update of
two or more allocations with a worker each has no abstract image. (Without the lock, every worker
could be spawned while the cluster is still ``idle``, before the first ApplyStart; but then the
second worker is ``starting`` while its allocation still runs the old version, which is not a
mapping per allocation, and with ``max_parallel = 1`` the chart never has two allocations placed.)
Expressing a rolling update would need a spec whose cluster holds a version per node and whose
success is "every node runs v", which is this chart's ``NoMixedVersionsAtRest``, not
``cluster_update``'s ``lastVOK``.

>>> m = model(nodes=2)
>>> s = m.initial_states()[0]
>>> s.value["deployment"], s.value["allocations"], s.context["allocs"]
('idle', {'a1': 'running', 'a2': 'running'}, (0, 0))
>>> for name, data in [("DEPLOY", {"version": 1}), ("EVALUATE", {}), ("PLACE", {"n": 1})]:
...     s = m.machine.transition(s, name, **data)
>>> s.value["deployment"], s.value["allocations"]["a1"]
({'running': 'placing'}, 'stopping')
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statecharts import ConfigError, Event, Machine, Snapshot, and_, payload, state_in
from statecharts.actions import Assign
from statecharts.check import Fairness, Model, Symmetry, Trace, abstract_state, check, events, leads_to
from statecharts.guards import Guard
from statecharts.render import render, render_trace, trace_to_mermaid

Context = Mapping[str, Any]

ALLOC_STATES = ("running", "stopping", "starting", "settling", "healthy", "unhealthy")
IN_TRANSITION = ("stopping", "starting", "settling")
ACTIVE = ("running", "paused", "promoted", "reverting")  # deployment states that place allocations
PLACING = ("running", "promoted", "reverting")  # deployment states in which the scheduler replaces allocations
AT_REST = ("idle", "successful", "failed", "reverted", "revert_failed")
DELAYS = ("min_healthy_time", "healthy_deadline", "progress_deadline")


@dataclass(frozen=True)
class Knobs:
    """The ``update`` stanza (times in milliseconds) and the chart's size.

    >>> Knobs(nodes=3, max_parallel=2).max_parallel
    2
    """

    nodes: int = 3
    max_parallel: int = 1
    canary: int = 0
    auto_revert: bool = True
    auto_promote: bool = False
    min_healthy_time: int = 10_000
    healthy_deadline: int = 300_000
    progress_deadline: int = 600_000
    stable_healthy: bool = True
    versions: tuple[int, ...] = (1,)
    unhealthy_first: bool = True

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.max_parallel < 1 or not 0 <= self.canary <= self.nodes:
            raise ConfigError(
                f"need nodes >= 1, max_parallel >= 1 and 0 <= canary <= nodes, got nodes={self.nodes}, "
                f"max_parallel={self.max_parallel}, canary={self.canary}",
                path="rolling_update",
                key="update",
            )
        if not self.versions or min(self.versions) < 1:
            raise ConfigError(
                f"versions must be a non-empty set of numbers >= 1 (0 is the initial one), got {self.versions!r}",
                path="rolling_update",
                key="versions",
            )

    @property
    def delays(self) -> dict[str, int]:
        """The chart's named delays.

        >>> sorted(Knobs().delays)
        ['healthy_deadline', 'min_healthy_time', 'progress_deadline']
        """
        return {name: getattr(self, name) for name in DELAYS}


def _replace(values: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return values[:index] + (value,) + values[index + 1 :]


class Slots(Guard):
    """The scheduler may start replacing one more allocation: the deployment is placing, fewer than ``max_parallel`` in
    transition and, before promotion, fewer than ``canary`` touched by this deployment."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.phases = tuple(f"#deployment.{phase}" for phase in PLACING)
        self.busy = tuple((f"#a{n}.stopping", f"#a{n}.placed") for n in range(1, knobs.nodes + 1))
        self.name = f"in transition < {knobs.max_parallel}" + (f" & canaries < {knobs.canary}" if knobs.canary else "")

    def test(self, context: Context, event: Event, in_state: Callable[[str], bool]) -> bool:
        k = self.knobs
        if not any(in_state(ref) for ref in self.phases):
            return False
        busy = sum(1 for stopping, placed in self.busy if in_state(stopping) or in_state(placed))
        if busy >= k.max_parallel:
            return False
        if k.canary and in_state("#deployment.running"):
            return touched(context, in_state, k.nodes) < k.canary
        return True


def touched(context: Context, in_state: Callable[[str], bool], nodes: int) -> int:
    """Allocations this deployment has touched: stopping, or on its version and not ``running``."""
    version = context["version"]
    return sum(
        1
        for n in range(1, nodes + 1)
        if in_state(f"#a{n}.stopping") or (context["allocs"][n - 1] == version and not in_state(f"#a{n}.running"))
    )


class Quiet(Guard):
    """No allocation is in transition (a revert waits for in-flight replacements to settle)."""

    name = "nothing in transition"

    def __init__(self, nodes: int) -> None:
        self.refs = tuple(ref for n in range(1, nodes + 1) for ref in (f"#a{n}.stopping", f"#a{n}.placed"))

    def test(self, context: Context, event: Event, in_state: Callable[[str], bool]) -> bool:
        return not any(in_state(ref) for ref in self.refs)


class UnhealthyFirst(Guard):
    """Allocation ``n`` may be replaced: it is unhealthy, or no allocation off the deployment's
    version is (the scheduler replaces unhealthy allocations first)."""

    name = "unhealthy first"

    def __init__(self, n: int, nodes: int) -> None:
        self.index, self.mine = n - 1, f"#a{n}.unhealthy"
        self.refs = tuple(f"#a{k}.unhealthy" for k in range(1, nodes + 1))

    def test(self, context: Context, event: Event, in_state: Callable[[str], bool]) -> bool:
        if in_state(self.mine):
            return True
        version = context["version"]
        return not any(v != version and in_state(ref) for v, ref in zip(context["allocs"], self.refs, strict=True))


class Stopping(Guard):
    """The allocation the event names (``n``) is ``stopping``."""

    name = "a<n> stopping"

    def test(self, context: Context, event: Event, in_state: Callable[[str], bool]) -> bool:
        return in_state(f"#a{event.data['n']}.stopping")


class AllOnVersion(Guard):
    """``count`` allocations (all when ``None``) are ``healthy`` on the deployment's version."""

    def __init__(self, nodes: int, count: int | None = None) -> None:
        self.count = nodes if count is None else count
        self.refs = tuple((f"#a{n}.healthy", f"#a{n}.running") for n in range(1, nodes + 1))
        self.name = "all healthy" if count is None else f"{count} healthy"

    def test(self, context: Context, event: Event, in_state: Callable[[str], bool]) -> bool:
        version = context["version"]
        done = sum(
            1
            for v, (healthy, running) in zip(context["allocs"], self.refs, strict=True)
            if v == version and (in_state(healthy) or in_state(running))
        )
        return done >= self.count


class AnyUnhealthy(Guard):
    """Some allocation on the deployment's version is unhealthy."""

    name = "an allocation unhealthy"

    def __init__(self, nodes: int) -> None:
        self.refs = tuple(f"#a{n}.unhealthy" for n in range(1, nodes + 1))

    def test(self, context: Context, event: Event, in_state: Callable[[str], bool]) -> bool:
        version = context["version"]
        return any(v == version and in_state(ref) for v, ref in zip(context["allocs"], self.refs, strict=True))


def _allocation_region(n: int, knobs: Knobs) -> dict[str, Any]:
    """Region ``a<n>``: one allocation's replacement."""
    i = n - 1
    about = payload(n=n)

    def outdated(context: Context, event: Event) -> bool:
        return bool(context["allocs"][i] != context["version"])

    outdated.__name__ = "not on version"

    def may_fail(context: Context, event: Event) -> bool:
        return not (knobs.stable_healthy and context["allocs"][i] == context["stable"])

    may_fail.__name__ = "not the stable version" if knobs.stable_healthy else "always"

    guards: list[Guard | Callable[[Context, Event], bool]] = [about, outdated, Slots(knobs)]
    if knobs.unhealthy_first:
        guards.append(UnhealthyFirst(n, knobs.nodes))
    place = {"target": "stopping", "guard": and_(*guards)}
    take = Assign({"allocs": lambda c, e: _replace(c["allocs"], i, c["version"])}, name="alloc := version")
    fail = and_(about, may_fail)
    return {
        "id": f"a{n}",
        "initial": "running",
        "states": {
            "running": {"on": {"PLACE": place}},
            "stopping": {"on": {"ALLOC_STOPPED": {"target": "placed", "guard": about, "actions": take}}},
            "placed": {
                "initial": "starting",
                "after": {"healthy_deadline": {"target": "unhealthy", "guard": may_fail}},
                "on": {
                    "ALLOC_UNHEALTHY": {"target": "unhealthy", "guard": fail},
                    "NODE_LOST": {"target": "unhealthy", "guard": fail},
                },
                "states": {
                    "starting": {"on": {"ALLOC_HEALTHY": {"target": "settling", "guard": about}}},
                    "settling": {"after": {"min_healthy_time": "#a" + str(n) + ".healthy"}},
                },
            },
            "healthy": {"on": {"PLACE": place}},
            "unhealthy": {"on": {"PLACE": place}},
        },
    }


def _deployment_region(knobs: Knobs) -> dict[str, Any]:
    """Region ``deployment``: the deployment's life."""
    nodes = knobs.nodes

    def newer(context: Context, event: Event) -> bool:
        return bool(event.data["version"] > context["latest"])

    newer.__name__ = "version > latest"

    submit = Assign(
        {"version": lambda c, e: e.data["version"], "latest": lambda c, e: e.data["version"]}, name="version := v"
    )
    make_stable = Assign({"stable": lambda c, e: c["version"]}, name="stable := version")
    revert = Assign(
        {"version": lambda c, e: c["stable"], "reverts": lambda c, e: c["reverts"] + 1}, name="version := stable"
    )
    unhealthy = AnyUnhealthy(nodes)

    def healthy_resets(state: str) -> dict[str, Any]:
        """An allocation turning healthy restarts the progress deadline (re-entering ``state``)."""
        return {
            f"xstate.after.min_healthy_time.a{n}.placed.settling": {
                "target": state,
                "reenter": True,
                "guard": state_in(f"#a{n}.placed.settling"),
            }
            for n in range(1, nodes + 1)
        }

    def progress(done: dict[str, Any], fail: str = "failed", deadline: bool = True) -> dict[str, Any]:
        """``placing`` until the first allocation is created, then the progress deadline runs."""
        return {
            "initial": "placing",
            "always": [{"target": f"#deployment.{fail}", "guard": unhealthy}, done],
            "states": {
                "placing": {"on": {"ALLOC_STOPPED": {"target": "progressing", "guard": Stopping()}}},
                "progressing": {
                    "after": {"progress_deadline": f"#deployment.{fail}"},
                    "on": healthy_resets("progressing"),
                }
                if deadline
                else {},
            },
        }

    if knobs.canary:
        canaries_done = {
            "target": "#deployment." + ("promoted" if knobs.auto_promote else "paused"),
            "guard": AllOnVersion(nodes, knobs.canary),
        }
        running = progress(canaries_done)
    else:
        running = progress({"target": "#deployment.successful", "guard": AllOnVersion(nodes), "actions": make_stable})
    failed: dict[str, Any] = {}
    if knobs.auto_revert:
        failed["always"] = {"target": "reverting", "guard": Quiet(nodes), "actions": revert}

    def rest() -> dict[str, Any]:
        return {"on": {"DEPLOY": {"target": "pending", "guard": newer, "actions": submit}}}

    return {
        "id": "deployment",
        "initial": "idle",
        "states": {
            "idle": rest(),
            "pending": {"on": {"EVALUATE": "running"}},
            "running": running,
            "paused": {"on": {"PROMOTE": "promoted"}},
            "promoted": {
                "always": [
                    {"target": "failed", "guard": unhealthy},
                    {"target": "successful", "guard": AllOnVersion(nodes), "actions": make_stable},
                ],
                "after": {"progress_deadline": "failed"},
                "on": healthy_resets("promoted"),
            },
            "successful": rest(),
            "failed": failed or rest(),
            "reverting": progress(
                {"target": "#deployment.reverted", "guard": AllOnVersion(nodes)},
                "revert_failed",
                deadline=not knobs.stable_healthy,
            ),
            "reverted": rest(),
            "revert_failed": rest(),
        },
    }


def make(knobs: Knobs) -> Machine:
    """The chart for one setting of the knobs.

    >>> make(Knobs(nodes=1)).initial_state().value
    {'allocations': {'a1': 'running'}, 'deployment': 'idle'}
    """
    config = {
        "id": "rollingUpdate",
        "type": "parallel",
        "context": {"version": None, "stable": 0, "latest": 0, "allocs": (0,) * knobs.nodes, "reverts": 0},
        "states": {
            "allocations": {
                "id": "allocations",
                "type": "parallel",
                "states": {f"a{n}": _allocation_region(n, knobs) for n in range(1, knobs.nodes + 1)},
            },
            "deployment": _deployment_region(knobs),
        },
    }
    return Machine(config, delays=knobs.delays)


# -- properties ----------------------------------------------------------------------------------
def timer_events(machine: Machine) -> tuple[Event, ...]:
    """The chart's ``after`` transitions as events (the walker fires each whenever its state is
    active: an untimed abstraction of the clock).

    >>> [e.name for e in timer_events(make(Knobs(nodes=1)))][:2]
    ['xstate.after.healthy_deadline.a1.placed', 'xstate.after.min_healthy_time.a1.placed.settling']
    """
    return tuple(Event(name) for name in machine.events if name.startswith("xstate.after."))


@dataclass(frozen=True)
class View:
    """A snapshot read in the chart's terms: each allocation's state name and the deployment's."""

    allocs: tuple[str, ...]
    deployment: str

    @classmethod
    def of(cls, s: Snapshot, nodes: int) -> View:
        """
        >>> View.of(make(Knobs(nodes=2)).initial_state(), 2)
        View(allocs=('running', 'running'), deployment='idle')
        """
        value = s.value
        allocs = tuple(_leaf(value["allocations"][f"a{n}"]) for n in range(1, nodes + 1))
        deployment = value["deployment"]
        return cls(allocs, deployment if isinstance(deployment, str) else next(iter(deployment)))

    def count(self, *names: str) -> int:
        return sum(1 for a in self.allocs if a in names)


def _leaf(value: Any) -> str:
    return value if isinstance(value, str) else next(iter(value.values()))


def make_properties(knobs: Knobs) -> tuple[dict[str, Callable[[Snapshot], bool]], dict[str, Any]]:
    """The named invariants and temporal properties for one setting of the knobs."""
    nodes = knobs.nodes

    def view(s: Snapshot) -> View:
        return View.of(s, nodes)

    def max_parallel(s: Snapshot) -> bool:
        return view(s).count(*IN_TRANSITION) <= knobs.max_parallel

    def availability(s: Snapshot) -> bool:
        v = view(s)
        return v.deployment == "reverting" or v.count("running", "healthy") >= nodes - knobs.max_parallel

    def canary_first(s: Snapshot) -> bool:
        v = view(s)
        if not knobs.canary or v.deployment not in ("running", "paused"):
            return True
        return touched(s.context, s.matches, nodes) <= knobs.canary

    def no_mixed_versions_at_rest(s: Snapshot) -> bool:
        v = view(s)
        if v.deployment not in AT_REST or v.count(*IN_TRANSITION):
            return True
        return len(set(s.context["allocs"])) == 1

    def started(s: Snapshot) -> bool:
        return view(s).deployment in ("pending", *ACTIVE)

    ends = ("successful", "reverted", "revert_failed") if knobs.auto_revert else ("successful", "failed")

    def ended(s: Snapshot) -> bool:
        return view(s).deployment in ends

    def reverting(s: Snapshot) -> bool:
        return view(s).deployment == "reverting"

    def stable_everywhere(s: Snapshot) -> bool:
        return view(s).deployment == "reverted" and set(s.context["allocs"]) == {s.context["stable"]}

    invariants: dict[str, Callable[[Snapshot], bool]] = {
        "MaxParallel": max_parallel,
        "Availability": availability,
        "CanaryFirst": canary_first,
        "NoMixedVersionsAtRest": no_mixed_versions_at_rest,
    }
    properties: dict[str, Any] = {
        "DeploymentEnds": leads_to(started, ended),
        "RevertRestoresStable": leads_to(reverting, stable_everywhere),
    }
    return invariants, properties


def model(
    nodes: int = 3,
    max_parallel: int = 1,
    canary: int = 0,
    auto_revert: bool = True,
    auto_promote: bool = False,
    min_healthy_time: int = 10_000,
    healthy_deadline: int = 300_000,
    progress_deadline: int = 600_000,
    stable_healthy: bool = True,
    versions: Sequence[int] | int = (1,),
    unhealthy_first: bool = True,
) -> Model:
    """Everything the walker needs for one setting of the ``update`` stanza. ``versions`` are the
    versions a ``DEPLOY`` may name; a number ``v`` stands for ``1 .. v`` (so ``-p versions=3`` on the
    command line).

    >>> m = model(nodes=2)
    >>> sorted(m.invariants)
    ['Availability', 'CanaryFirst', 'MaxParallel', 'NoMixedVersionsAtRest']
    >>> sorted(m.properties)
    ['DeploymentEnds', 'RevertRestoresStable']
    """
    knobs = Knobs(
        nodes,
        max_parallel,
        canary,
        auto_revert,
        auto_promote,
        min_healthy_time,
        healthy_deadline,
        progress_deadline,
        stable_healthy,
        tuple(range(1, versions + 1)) if isinstance(versions, int) else tuple(versions),
        unhealthy_first,
    )
    machine = make(knobs)
    ns = range(1, nodes + 1)
    timers = timer_events(machine)
    alphabet = (
        *events("DEPLOY", version=knobs.versions),
        Event("EVALUATE"),
        Event("PROMOTE"),
        *events("PLACE", n=ns),
        *events("ALLOC_STOPPED", n=ns),
        *events("ALLOC_HEALTHY", n=ns),
        *events("ALLOC_UNHEALTHY", n=ns),
        *events("NODE_LOST", n=ns),
        *timers,
    )
    invariants, properties = make_properties(knobs)
    fairness = (
        Fairness("weak", "EVALUATE"),
        Fairness("weak", "PROMOTE"),
        Fairness("weak", "PLACE", by=()),
        Fairness("weak", "ALLOC_STOPPED", by=("n",)),
        Fairness("weak", "ALLOC_HEALTHY", by=("n",)),
        *(Fairness("weak", t.name) for t in timers),
    )
    name = ", ".join(
        f"{k}={v!r}"
        for k, v in (
            ("nodes", nodes),
            ("max_parallel", max_parallel),
            ("canary", canary),
            ("auto_revert", auto_revert),
            ("auto_promote", auto_promote),
        )
    )
    return Model(
        machine=machine,
        alphabet=alphabet,
        invariants=invariants,
        properties=properties,
        fairness=fairness,
        terminal=lambda s: View.of(s, nodes).deployment in AT_REST,
        symmetry=(Symmetry(tuple(f"a{n}" for n in ns), context=("allocs",)),),
        name=f"rolling_update({name})",
    )


# -- refinement ----------------------------------------------------------------------------------
def refinement_mapping(abstract: Machine, nodes: int) -> Callable[[Snapshot], Snapshot]:
    """The mapping of this chart (``max_parallel=1, canary=0, auto_revert=True``, one version) onto
    ``cluster_update``'s ``workers=1, requests=1`` (see the module docstring's table).

    >>> from machines import cluster_update
    >>> abstract = cluster_update.make(1, 1)
    >>> to_abstract = refinement_mapping(abstract, 2)
    >>> to_abstract(make(Knobs(nodes=2)).initial_state()) == abstract.initial_state()
    True
    """
    rollback = 10  # cluster_update's RollbackVersion == lastVOK + 10, with lastVOK = 0 before any success

    def to_abstract(s: Snapshot) -> Snapshot:
        v = View.of(s, nodes)
        d = v.deployment
        placing = s.matches("#deployment.running.placing") or s.matches("#deployment.reverting.placing")
        progressing = s.matches("#deployment.running.progressing") or s.matches("#deployment.reverting.progressing")
        request = {"idle": "waiting", "pending": "submitted"}.get(d, "valid")
        to_apply = 0 if d in ("idle", "pending") else rollback if d in ("failed", "reverting", "reverted") else 1
        worker = "working" if progressing else "starting" if placing and v.count("stopping") else "waiting"
        cluster = "partial" if progressing else "failed" if d == "failed" or placing and d == "reverting" else "idle"
        created = d not in ("idle", "pending") and not (placing and d == "running")
        cluster_v = rollback if d == "reverted" or progressing and d == "reverting" else 1 if created else 0
        context = {
            "confOK": True,
            "reqCounter": 0 if request == "waiting" else 1,
            "reqV": (None if request == "waiting" else 1,),
            "toApply": to_apply,
            "lastVOK": {"successful": 1, "reverted": rollback}.get(d, 0),
            "workerV": (None if worker == "waiting" else to_apply,),
            "clusterUpdating": worker != "waiting",
            "clusterV": cluster_v,
        }
        return abstract_state(abstract, [f"#r1.{request}", f"#w1.{worker}", f"#cluster.{cluster}"], context)

    return to_abstract


def per_allocation_mapping(abstract: Machine, nodes: int) -> Callable[[Snapshot], Snapshot]:
    """The mapping the issue asks for, one abstract worker per allocation: this chart
    (``max_parallel=1, canary=0, auto_revert=True``, one version) onto ``cluster_update``'s
    ``workers=nodes, requests=1``. It is a refinement for one allocation only (it is then
    `refinement_mapping`); from two allocations on ``refines`` fails at the second allocation's
    ``PLACE``, and no other mapping can do better (see the module docstring).

    ``requests[1]``, ``toApply`` and ``confOK`` as in `refinement_mapping`; per allocation ``n``,
    ``workers[n].st`` is ``starting`` while ``a<n>`` is ``stopping`` (``PLACE`` = SpawnWorker(n)),
    ``working`` while it is ``placed`` (``ALLOC_STOPPED`` = ApplyStart(n)), else ``waiting`` (its
    leaving ``placed`` = ApplyFinish(n), ok when it turns ``healthy``); ``workers[n].v`` is
    ``toApply`` while not waiting; ``clusterUpdating`` = some worker not waiting; ``cluster.st`` is
    ``partial`` while an allocation is ``placed``, ``failed`` while the deployment is ``failed`` or
    reverting with none placed, else ``idle``; ``cluster.v`` as in `refinement_mapping`; ``lastVOK``
    the deployment's version once an allocation of it is healthy (``RollbackVersion`` in a revert).

    >>> from machines import cluster_update
    >>> abstract = cluster_update.make(2, 1)
    >>> per_allocation_mapping(abstract, 2)(make(Knobs(nodes=2)).initial_state()) == abstract.initial_state()
    True
    """
    rollback = 10

    def to_abstract(s: Snapshot) -> Snapshot:
        v = View.of(s, nodes)
        d = v.deployment
        reverting = d in ("failed", "reverting", "reverted")
        request = {"idle": "waiting", "pending": "submitted"}.get(d, "valid")
        to_apply = 0 if d in ("idle", "pending") else rollback if reverting else 1
        version = s.context["version"]
        workers = (
            [
                "starting" if a == "stopping" else "working" if a in ("starting", "settling") else "waiting"
                for a in v.allocs
            ]
            if d != "failed"
            else ["waiting"] * nodes
        )  # failed: every worker finished
        placed = any(w == "working" for w in workers)
        cluster = "partial" if placed else "failed" if d == "failed" or d == "reverting" else "idle"
        healthy = d not in ("idle", "pending") and any(
            a == "healthy" and on == version for a, on in zip(v.allocs, s.context["allocs"], strict=True)
        )
        last_ok = (
            rollback
            if d == "reverted" or d == "reverting" and healthy
            else 1
            if d == "successful" or not reverting and healthy
            else 0
        )
        first_placed = d not in ("idle", "pending") and not s.matches("#deployment.running.placing")
        cluster_v = (
            rollback if d == "reverted" or s.matches("#deployment.reverting.progressing") else 1 if first_placed else 0
        )
        context = {
            "confOK": True,
            "reqCounter": 0 if request == "waiting" else 1,
            "reqV": (None if request == "waiting" else 1,),
            "toApply": to_apply,
            "lastVOK": last_ok,
            "workerV": tuple(None if w == "waiting" else to_apply for w in workers),
            "clusterUpdating": any(w != "waiting" for w in workers),
            "clusterV": cluster_v,
        }
        return abstract_state(
            abstract,
            [f"#r1.{request}", *(f"#w{n}.{w}" for n, w in enumerate(workers, 1)), f"#cluster.{cluster}"],
            context,
        )

    return to_abstract


# -- the misconfiguration, drawn ------------------------------------------------------------------
COUNTEREXAMPLE = "rolling_update_auto_revert_off"


def counterexample(nodes: int = 2) -> Trace:
    """The shortest trace to ``NoMixedVersionsAtRest`` failing with ``auto_revert = false``.

    >>> [step.event.name for step in counterexample().steps[1:]]
    ['DEPLOY', 'EVALUATE', 'PLACE', 'ALLOC_STOPPED', 'ALLOC_UNHEALTHY']
    """
    result = check(model(nodes=nodes, auto_revert=False), temporal=False).result("NoMixedVersionsAtRest")
    if result.holds or result.trace is None:
        raise AssertionError("NoMixedVersionsAtRest holds with auto_revert off: the counterexample is gone")
    return result.trace


def draw_counterexample(folder: Path) -> list[Path]:
    """Write the counterexample as DOT, SVG (needs Graphviz ``dot``) and Mermaid into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    trace = counterexample()
    graph = render_trace(trace)
    mermaid = folder / f"{COUNTEREXAMPLE}.mmd"
    mermaid.write_text(trace_to_mermaid(trace), encoding="utf-8")
    return [render(graph, folder / f"{COUNTEREXAMPLE}.dot"), render(graph, folder / f"{COUNTEREXAMPLE}.svg"), mermaid]


if __name__ == "__main__":
    for written in draw_counterexample(Path(sys.argv[1] if len(sys.argv) > 1 else "diagrams/traces")):
        print(f"wrote {written}")
