"""A small leader election grown from the seed's TLA+ ``DistributedConsensus`` fragment.

Source: the ``DistributedConsensus`` module of the seed ``../shared/seeds/000_d42acd957c4d3df2.txt``
(``state``, ``currentTerm``, ``votedFor``, ``StartElection(n)`` and ``LeaderSafety``), completed
with Raft's vote request and vote reply so that candidates can win. Logs, ``nextIndex`` and
``matchIndex`` play no part in electing a leader and are left out.

The chart is a parallel root with one region per node ``n1 .. nN``, each ``follower``,
``candidate`` or ``leader`` (the spec's ``state[n]``). Everything else is context:

=================  =====================================================================
``currentTerm``    ``context["currentTerm"][n - 1]``
``votedFor``       ``context["votedFor"][n - 1]`` (``None`` is the spec's ``Nil``)
``votesGranted``   ``context["votesGranted"][n - 1]``: the voters a candidate has counted in
                   its current term (Raft's ``votesGranted``)
``granted``        ``context["granted"]``: the vote replies sent, as ``(term, voter,
                   candidate)`` triples; like the message set of a TLA+ spec it only grows, so
                   a reply may be delivered late (a stale one is ignored)
=================  =====================================================================

Events (one family per action; who is involved is the payload):

- ``TIMEOUT {n}`` = ``StartElection(n)``: a follower, or a candidate whose election is split,
  becomes candidate in ``currentTerm + 1``, votes for itself and counts its own vote. Terms are
  bounded: the guard ``currentTerm < max_term`` keeps the state space finite.
- ``REQUEST_VOTE {c, v}``: node ``v`` handles candidate ``c``'s request (sent in ``c``'s current
  term). A higher term makes ``v`` adopt it, step down to follower (from any state: a handler on
  the region) and grant its vote. In the same term a follower grants only if it has not voted
  (``votedFor = Nil``); with ``double_vote=True`` a follower grants again to another candidate
  of the same term: the classic bug.
- ``GRANT_VOTE {v, c}``: candidate ``c`` counts ``v``'s reply, if ``v`` granted it in ``c``'s
  current term. A candidate holding a majority becomes leader at once (an eventless transition).
- ``HEARTBEAT {l, v}``: leader ``l``'s AppendEntries (no log): ``v`` adopts a newer term with no
  vote cast in it yet (``votedFor := Nil``) and becomes follower; a candidate or a stale leader of
  the same term steps down too.

What the walker's coverage report teaches: with 3 or 4 nodes the same-term grant (a follower
that learnt the term from a heartbeat, then asked by a second candidate of that term) is never
taken, because a leader's majority leaves at most one other node, and that node is the candidate.
With 5 nodes (``model(nodes=5, max_term=1)``: 2,727 states) it is taken.

``LeaderSafety`` is the seed's invariant: at most one leader per term. It holds for the correct
model; with ``double_vote=True`` the walker's shortest counterexample has 6 events: two nodes time
out, the third votes for both, and each counts its vote.

Liveness, under weak fairness of every action instance (each ``TIMEOUT {n}``, ``REQUEST_VOTE
{c, v}``, ``GRANT_VOTE {v, c}`` and ``HEARTBEAT {l, v}``):

- ``StaleLeadersStepDown`` (``<>[]`` at most one leader) holds: two leaders of different terms
  can coexist for a while, but the newer one's heartbeat demotes the stale one. Without fairness
  it fails (the two leaders stutter for ever).
- ``EventuallyLeader`` (``<>`` some leader; ``model(eventually_leader=True)``) fails, and that is
  the lesson: every node may time out and vote for itself in every term, so the votes split until
  the term bound and no leader is ever elected. Fairness cannot rule that out; Raft relies on
  randomized election timeouts, which a model of every interleaving does not have.

>>> m = model()
>>> s = m.initial_states()[0]
>>> for name, data in [("TIMEOUT", {"n": 1}), ("REQUEST_VOTE", {"c": 1, "v": 2}),
...                    ("GRANT_VOTE", {"v": 2, "c": 1})]:
...     s = m.machine.transition(s, name, **data)
>>> s.value, s.context["currentTerm"]
({'n1': 'leader', 'n2': 'follower', 'n3': 'follower'}, (1, 1, 0))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from statecharts import Event, Machine, Snapshot, and_, not_, payload, state_in
from statecharts.actions import Assign
from statecharts.check import Fairness, Model, events, eventually, eventually_always

Context = Mapping[str, Any]
GuardFn = Callable[[Context, Event], bool]
ROLES = ("follower", "candidate", "leader")


def _replace(values: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return values[:index] + (value,) + values[index + 1 :]


def _named(fn: GuardFn, name: str) -> GuardFn:
    fn.__name__ = name
    return fn


def _vote(v: int, c: int) -> Assign:
    """Voter ``v`` adopts candidate ``c``'s term and grants it its vote."""

    def vote(context: Context, event: Event) -> dict[str, Any]:
        term = context["currentTerm"][c - 1]
        return {
            "currentTerm": _replace(context["currentTerm"], v - 1, term),
            "votedFor": _replace(context["votedFor"], v - 1, c),
            "votesGranted": _replace(context["votesGranted"], v - 1, frozenset()),
            "granted": context["granted"] | {(term, v, c)},
        }

    return Assign(vote, name=f"term := n{c}.term; votedFor := n{c}")


def _follow(v: int, leader: int) -> Assign:
    """Node ``v`` adopts the leader's newer term, with no vote cast in it yet."""

    def follow(context: Context, event: Event) -> dict[str, Any]:
        return {
            "currentTerm": _replace(context["currentTerm"], v - 1, context["currentTerm"][leader - 1]),
            "votedFor": _replace(context["votedFor"], v - 1, None),
            "votesGranted": _replace(context["votesGranted"], v - 1, frozenset()),
        }

    return Assign(follow, name=f"term := n{leader}.term; votedFor := Nil")


def _term_above(c: int, n: int) -> GuardFn:
    """``currentTerm[c] > currentTerm[n]``."""
    return _named(lambda ctx, e: ctx["currentTerm"][c - 1] > ctx["currentTerm"][n - 1], f"n{c}.term > term")


def _term_equal(c: int, n: int) -> GuardFn:
    """``currentTerm[c] = currentTerm[n]``."""
    return _named(lambda ctx, e: ctx["currentTerm"][c - 1] == ctx["currentTerm"][n - 1], f"n{c}.term = term")


def _may_vote(v: int, c: int, double_vote: bool) -> GuardFn:
    """Voter ``v`` may grant candidate ``c`` in its current term: not voted yet (the bug: any
    vote but for ``c`` itself)."""
    if double_vote:
        return _named(lambda ctx, e: ctx["votedFor"][v - 1] != c, f"votedFor # n{c}")
    return _named(lambda ctx, e: ctx["votedFor"][v - 1] is None, "votedFor = Nil")


def _replied(v: int, c: int) -> GuardFn:
    """``v`` granted candidate ``c`` in ``c``'s current term and ``c`` has not counted it yet."""
    return _named(
        lambda ctx, e: (ctx["currentTerm"][c - 1], v, c) in ctx["granted"] and v not in ctx["votesGranted"][c - 1],
        f"n{v} granted in term",
    )


def _count(v: int, c: int) -> Assign:
    """Candidate ``c`` counts ``v``'s vote."""
    return Assign(
        {"votesGranted": lambda ctx, e: _replace(ctx["votesGranted"], c - 1, ctx["votesGranted"][c - 1] | {v})},
        name=f"count n{v}",
    )


def _node_region(n: int, nodes: int, max_term: int, double_vote: bool) -> dict[str, Any]:
    """Region ``n<n>``: its role, and the transitions where node ``n`` acts."""
    i = n - 1
    others = [k for k in range(1, nodes + 1) if k != n]
    below_bound = _named(lambda ctx, e: ctx["currentTerm"][i] < max_term, f"term < {max_term}")

    def start(context: Context, event: Event) -> dict[str, Any]:
        term = context["currentTerm"][i] + 1
        return {
            "currentTerm": _replace(context["currentTerm"], i, term),
            "votedFor": _replace(context["votedFor"], i, n),
            "votesGranted": _replace(context["votesGranted"], i, frozenset({n})),
            "granted": context["granted"] | {(term, n, n)},
        }

    timeout = {
        "target": "candidate",
        "guard": and_(payload(n=n), below_bound),
        "actions": Assign(start, name="term += 1; vote for self"),
    }

    step_down: list[dict[str, Any]] = []  # on the region: from any role
    heartbeat: list[dict[str, Any]] = []  # on the region: from any role
    same_term: list[dict[str, Any]] = []  # on follower
    count: list[dict[str, Any]] = []  # on candidate
    for c in others:
        higher, same = _term_above(c, n), _term_equal(c, n)
        # HEARTBEAT {l=c, v=n}: a leader's AppendEntries; a newer term is adopted (no vote in it
        # yet), and a candidate (or stale leader) of the same term steps down
        heartbeat.append(
            {
                "target": ".follower",
                "actions": _follow(n, c),
                "guard": and_(payload(l=c, v=n), state_in(f"#n{c}.leader"), higher),
            }
        )
        heartbeat.append(
            {
                "target": ".follower",
                "guard": and_(payload(l=c, v=n), state_in(f"#n{c}.leader"), same, not_(state_in(f"#n{n}.follower"))),
            }
        )
        # REQUEST_VOTE {c, v=n}
        step_down.append(
            {
                "target": ".follower",
                "actions": _vote(n, c),
                "guard": and_(payload(c=c, v=n), state_in(f"#n{c}.candidate"), higher),
            }
        )
        same_term.append(
            {
                "actions": _vote(n, c),
                "guard": and_(payload(c=c, v=n), state_in(f"#n{c}.candidate"), same, _may_vote(n, c, double_vote)),
            }
        )
        # GRANT_VOTE {v=c, c=n}
        count.append({"guard": and_(payload(v=c, c=n), _replied(c, n)), "actions": _count(c, n)})

    majority = _named(lambda ctx, e: 2 * len(ctx["votesGranted"][i]) > nodes, "majority")
    return {
        "id": f"n{n}",
        "initial": "follower",
        "on": {"REQUEST_VOTE": step_down, "HEARTBEAT": heartbeat},
        "states": {
            "follower": {"on": {"TIMEOUT": timeout, "REQUEST_VOTE": same_term}},
            "candidate": {
                "always": {"target": "leader", "guard": majority},
                "on": {"TIMEOUT": timeout, "GRANT_VOTE": count},
            },
            "leader": {},
        },
    }


def make(nodes: int = 3, max_term: int = 2, double_vote: bool = False) -> Machine:
    """The chart for ``nodes`` nodes and terms up to ``max_term``.

    >>> make(2).initial_state().value
    {'n1': 'follower', 'n2': 'follower'}
    """
    if nodes < 1 or max_term < 1:
        raise ValueError(f"need at least one node and one term, got nodes={nodes}, max_term={max_term}")
    return Machine(
        {
            "id": "leaderElection",
            "type": "parallel",
            "context": {
                "currentTerm": (0,) * nodes,
                "votedFor": (None,) * nodes,
                "votesGranted": (frozenset(),) * nodes,
                "granted": frozenset(),
            },
            "states": {f"n{n}": _node_region(n, nodes, max_term, double_vote) for n in range(1, nodes + 1)},
        }
    )


def roles(machine: Machine, nodes: int) -> Callable[[Snapshot], list[str]]:
    """A function giving each node's role (``state[n]``) in a snapshot.

    >>> m = make(2)
    >>> roles(m, 2)(m.initial_state())
    ['follower', 'follower']
    """
    table = [[(role, machine.get_state(f"#n{n}.{role}")) for role in ROLES] for n in range(1, nodes + 1)]

    def of(s: Snapshot) -> list[str]:
        active = s.configuration_nodes
        return [role for region in table for role, node in region if node in active]

    return of


def leaders(machine: Machine, nodes: int) -> Callable[[Snapshot], list[tuple[int, int]]]:
    """A function giving the ``(node, term)`` of every leader in a snapshot.

    >>> m = make(2)
    >>> leaders(m, 2)(m.initial_state())
    []
    """
    role_of = roles(machine, nodes)

    def of(s: Snapshot) -> list[tuple[int, int]]:
        terms = s.context["currentTerm"]
        return [(n + 1, terms[n]) for n, role in enumerate(role_of(s)) if role == "leader"]

    return of


def model(nodes: int = 3, max_term: int = 2, double_vote: bool = False, eventually_leader: bool = False) -> Model:
    """Everything the walker needs; terms are bounded by ``max_term`` (no constraint needed).
    ``eventually_leader=True`` adds the temporal ``EventuallyLeader``, which fails (see the
    module docstring).

    >>> m = model()
    >>> len(m.alphabet), list(m.invariants), list(m.properties)
    (21, ['LeaderSafety'], ['StaleLeadersStepDown'])
    """
    machine = make(nodes, max_term, double_vote)
    ns = range(1, nodes + 1)
    pairs = [(a, b) for a in ns for b in ns if a != b]
    alphabet = (
        *events("TIMEOUT", n=ns),
        *(e for c, v in pairs for e in events("REQUEST_VOTE", c=[c], v=[v])),
        *(e for v, c in pairs for e in events("GRANT_VOTE", v=[v], c=[c])),
        *(e for lead, v in pairs for e in events("HEARTBEAT", l=[lead], v=[v])),
    )
    leaders_of = leaders(machine, nodes)
    role_of = roles(machine, nodes)

    def leader_safety(s: Snapshot) -> bool:
        counts = Counter(term for _, term in leaders_of(s))
        return all(k <= 1 for k in counts.values())

    def term_bound_reached(s: Snapshot) -> bool:
        # nobody can start another election: every node leads or is at the last term
        terms = s.context["currentTerm"]
        return all(role == "leader" or terms[n] >= max_term for n, role in enumerate(role_of(s)))

    properties = {"StaleLeadersStepDown": eventually_always(lambda s: len(leaders_of(s)) <= 1)}
    if eventually_leader:
        properties["EventuallyLeader"] = eventually(lambda s: bool(leaders_of(s)))
    fairness = (
        Fairness("weak", "TIMEOUT", by=("n",)),
        Fairness("weak", "REQUEST_VOTE", by=("c", "v")),
        Fairness("weak", "GRANT_VOTE", by=("v", "c")),
        Fairness("weak", "HEARTBEAT", by=("l", "v")),
    )
    flags = ", eventually_leader=True" if eventually_leader else ""
    return Model(
        machine=machine,
        alphabet=alphabet,
        invariants={"LeaderSafety": leader_safety},
        properties=properties,
        fairness=fairness,
        terminal=term_bound_reached,
        name=f"leader_election(nodes={nodes}, max_term={max_term}, double_vote={double_vote}{flags})",
    )
