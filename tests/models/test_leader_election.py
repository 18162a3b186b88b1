"""The leader election grown from the seed's DistributedConsensus: behaviours and verdicts."""

from __future__ import annotations

from collections import deque

import pytest

from machines.leader_election import leaders, make, model
from statecharts import Event, Machine
from statecharts.check import check, explore


def run(machine, state, *steps):
    for name, data in steps:
        state = machine.transition(state, Event(name, data))
    return state


def timeout(n):
    return ("TIMEOUT", {"n": n})


def request(c, v):
    return ("REQUEST_VOTE", {"c": c, "v": v})


def grant(v, c):
    return ("GRANT_VOTE", {"v": v, "c": c})


def heartbeat(lead, v):
    return ("HEARTBEAT", {"l": lead, "v": v})


def roles(s):
    return tuple(s.value[f"n{n}"] for n in range(1, len(s.value) + 1))


# -- an independent reference: the protocol as plain Python over tuples ---------------------------
def reference_next(state, nodes, max_term, double_vote):
    """Every successor of ``(roles, terms, votedFor, votesGranted, granted)``, written from the
    module docstring without the chart (Raft's rules, one action at a time)."""
    role, term, voted, votes, granted = state

    def put(t, i, x):
        return t[:i] + (x,) + t[i + 1 :]

    def settle(role, votes):  # a candidate with a majority leads at once
        return tuple(
            "leader" if r == "candidate" and 2 * len(v) > nodes else r for r, v in zip(role, votes, strict=True)
        )

    out = set()
    for n in range(nodes):
        if role[n] in ("follower", "candidate") and term[n] < max_term:
            t = term[n] + 1
            votes2 = put(votes, n, frozenset({n + 1}))
            out.add(
                (
                    settle(put(role, n, "candidate"), votes2),
                    put(term, n, t),
                    put(voted, n, n + 1),
                    votes2,
                    granted | {(t, n + 1, n + 1)},
                )
            )
    for c in range(nodes):
        for v in range(nodes):
            if c == v:
                continue
            if role[c] == "candidate":
                vote = (
                    put(term, v, term[c]),
                    put(voted, v, c + 1),
                    put(votes, v, frozenset()),
                    granted | {(term[c], v + 1, c + 1)},
                )
                if term[c] > term[v]:
                    out.add((put(role, v, "follower"), *vote))
                elif (
                    term[c] == term[v]
                    and role[v] == "follower"
                    and voted[v] != c + 1
                    and (voted[v] is None or double_vote)
                ):
                    out.add((role, *vote))
                if (term[c], v + 1, c + 1) in granted and v + 1 not in votes[c]:
                    votes2 = put(votes, c, votes[c] | {v + 1})
                    out.add((settle(role, votes2), term, voted, votes2, granted))
            if role[c] == "leader":
                if term[c] > term[v]:
                    out.add(
                        (
                            put(role, v, "follower"),
                            put(term, v, term[c]),
                            put(voted, v, None),
                            put(votes, v, frozenset()),
                            granted,
                        )
                    )
                elif term[c] == term[v] and role[v] != "follower":
                    out.add((put(role, v, "follower"), term, voted, votes, granted))
    out.discard(state)
    return out


def reference_reachable(nodes, max_term, double_vote=False):
    init = (("follower",) * nodes, (0,) * nodes, (None,) * nodes, (frozenset(),) * nodes, frozenset())
    seen, queue = {init}, deque([init])
    while queue:
        for t in reference_next(queue.popleft(), nodes, max_term, double_vote):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return seen


def as_reference(s):
    c = s.context
    return (roles(s), c["currentTerm"], c["votedFor"], c["votesGranted"], c["granted"])


@pytest.mark.parametrize(
    "nodes,max_term,double_vote", [(2, 2, False), (3, 2, False), (3, 2, True), (3, 3, False), (5, 1, False)]
)
@pytest.mark.slow
def test_reachable_states_are_exactly_the_references(nodes, max_term, double_vote):
    graph = explore(model(nodes=nodes, max_term=max_term, double_vote=double_vote))
    ours = [as_reference(s) for s in graph.states]
    assert len(set(ours)) == len(ours)
    assert set(ours) == reference_reachable(nodes, max_term, double_vote)


def test_every_successor_is_a_reference_step_and_back():
    m = model(nodes=3, max_term=2)
    graph = explore(m)
    for i, s in enumerate(graph.states):
        ours = {as_reference(graph.states[t]) for _, t in graph.edges[i]}
        assert ours == reference_next(as_reference(s), 3, 2, False)


# -- behaviours, step by step ---------------------------------------------------------------------
def test_start_election_is_the_seeds_action():
    m = make()
    s = run(m, m.initial_state(), timeout(2))
    assert roles(s) == ("follower", "candidate", "follower")
    assert s.context["currentTerm"] == (0, 1, 0) and s.context["votedFor"] == (None, 2, None)
    assert s.context["votesGranted"][1] == {2} and s.context["granted"] == {(1, 2, 2)}


def test_a_candidate_with_a_majority_becomes_leader_in_the_same_step():
    m = make()
    s = run(m, m.initial_state(), timeout(1), request(1, 2))
    assert roles(s) == ("candidate", "follower", "follower")
    assert s.context["currentTerm"] == (1, 1, 0) and s.context["votedFor"] == (1, 1, None)
    s = run(m, s, grant(2, 1))
    assert roles(s) == ("leader", "follower", "follower") and s.context["votesGranted"][0] == {1, 2}


def test_a_follower_votes_once_per_term():
    m = make()
    s = run(m, m.initial_state(), timeout(1), timeout(2), request(1, 3))
    assert m.transition(s, Event(*request(2, 3))) == s
    assert m.transition(s, Event(*grant(3, 2))) == s


def test_with_double_vote_a_follower_votes_again_in_the_same_term():
    m = make(double_vote=True)
    s = run(m, m.initial_state(), timeout(1), timeout(2), request(1, 3), request(2, 3))
    assert s.context["votedFor"] == (1, 2, 2) and {(1, 3, 1), (1, 3, 2)} <= s.context["granted"]
    s = run(m, s, grant(3, 1), grant(3, 2))
    assert roles(s) == ("leader", "leader", "follower") and s.context["currentTerm"][:2] == (1, 1)


def test_a_reply_from_an_older_term_is_not_counted():
    m = make()
    s = run(m, m.initial_state(), timeout(1), request(1, 2), timeout(1))
    assert s.context["currentTerm"][0] == 2 and roles(s)[0] == "candidate"
    assert m.transition(s, Event(*grant(2, 1))) == s


def test_a_higher_term_request_makes_a_leader_step_down_and_vote():
    m = make()
    s = run(m, m.initial_state(), timeout(1), request(1, 2), grant(2, 1), timeout(3), timeout(3))
    assert roles(s) == ("leader", "follower", "candidate") and s.context["currentTerm"] == (1, 1, 2)
    s = run(m, s, request(3, 1))
    assert roles(s) == ("follower", "follower", "candidate")
    assert s.context["currentTerm"] == (2, 1, 2) and s.context["votedFor"][0] == 3
    s = run(m, s, grant(1, 3))
    assert roles(s) == ("follower", "follower", "leader")


def test_a_heartbeat_spreads_the_term_without_a_vote_and_stops_a_rival_candidate():
    m = make(nodes=5, max_term=1)
    s = run(m, m.initial_state(), timeout(1), request(1, 2), request(1, 3), grant(2, 1), grant(3, 1), timeout(4))
    assert roles(s) == ("leader", "follower", "follower", "candidate", "follower")
    t = run(m, s, heartbeat(1, 5))
    assert t.context["currentTerm"][4] == 1 and t.context["votedFor"][4] is None
    t = run(m, t, request(4, 5))  # the same-term grant: n5 had not voted in term 1
    assert t.context["votedFor"][4] == 4 and roles(t)[3] == "candidate"
    t = run(m, t, heartbeat(1, 4))
    assert roles(t)[3] == "follower" and t.context["currentTerm"][3] == 1


def test_terms_stay_within_the_bound():
    m = make(max_term=2)
    s = run(m, m.initial_state(), timeout(1), timeout(1))
    assert s.context["currentTerm"][0] == 2
    assert m.transition(s, Event(*timeout(1))) == s


# -- the walker's verdicts ------------------------------------------------------------------------
def test_leader_safety_holds_for_three_nodes_and_two_terms():
    report = check(model())
    assert report.complete and report.ok
    assert (report.distinct_states, report.transitions, report.depth) == (1086, 1806, 9)
    leaders_of = leaders(report.graph.model.machine, 3)
    assert {term for s in report.graph.states for _, term in leaders_of(s)} == {1, 2}  # not vacuous


@pytest.mark.slow
def test_leader_safety_holds_for_three_terms():
    report = check(model(max_term=3))
    assert report.complete and report.result("LeaderSafety").holds
    assert report.distinct_states == 18979


def test_double_vote_gives_the_shortest_trace_to_two_leaders_in_one_term():
    report = check(model(double_vote=True))
    result = report.result("LeaderSafety")
    assert not result.holds
    trace = result.trace
    assert len(trace) == 7  # the initial state and six events
    names = [step.event.name for step in trace.steps[1:]]
    assert sorted(names) == ["GRANT_VOTE"] * 2 + ["REQUEST_VOTE"] * 2 + ["TIMEOUT"] * 2
    last = trace[-1].snapshot
    two = leaders(report.graph.model.machine, 3)(last)
    assert len(two) == 2 and two[0][1] == two[1][1] == 1
    voter = ({1, 2, 3} - {n for n, _ in two}).pop()
    assert {(1, voter, n) for n, _ in two} <= last.context["granted"]  # the voter voted twice
    assert all(len(leaders(report.graph.model.machine, 3)(step.snapshot)) < 2 for step in trace.steps[:-1])


def test_coverage_shows_the_same_term_grant_needs_five_nodes():
    def never(report):
        return [t for t in report.coverage.transitions_never_taken if "follower --REQUEST_VOTE" in t]

    assert len(never(check(model()))) == 6
    assert never(check(model(nodes=5, max_term=1))) == []


def test_default_model_is_small_and_render_ready():
    m = model()
    assert isinstance(m.machine, Machine) and len(m.alphabet) == 21
    assert sorted(m.machine.events) == ["GRANT_VOTE", "HEARTBEAT", "REQUEST_VOTE", "TIMEOUT"]


def test_a_model_needs_a_node_and_a_term():
    with pytest.raises(ValueError, match="nodes=0"):
        make(nodes=0)
    with pytest.raises(ValueError, match="max_term=0"):
        make(max_term=0)


def test_stale_leaders_step_down_under_weak_fairness_and_not_without() -> None:
    fair = check(model())
    assert fair.result("StaleLeadersStepDown").holds and fair.ok
    unfair = check(model(), fairness=False).result("StaleLeadersStepDown")
    assert not unfair.holds
    last = unfair.trace.steps[-1].snapshot
    assert len({term for _, term in leaders(last.machine, 3)(last)}) == 2  # two leaders, different terms


def test_eventually_leader_fails_because_votes_may_split_until_the_term_bound() -> None:
    result = check(model(eventually_leader=True)).result("EventuallyLeader")
    assert not result.holds
    end = result.trace.steps[-1].snapshot
    assert roles(end) == ("candidate", "candidate", "candidate")
    assert end.context["currentTerm"] == (2, 2, 2) and end.context["votedFor"] == (1, 2, 3)
    assert all(step.event is None or step.event.name == "TIMEOUT" for step in result.trace.steps)
