"""A dispatcher and its workers, checked as the actor system they run as.

The dispatcher (the root chart) invokes ``workers`` worker machines (``w1``, ``w2``, ...). The
environment submits up to ``jobs`` jobs (``SUBMIT``); the dispatcher hands each to the next worker
in turn (``send_to``), and counts the ``DONE`` each worker sends back (``send_parent``) when a job's
work is over. The work is a message a worker sends itself (``WORKED``), so it finishes at any
point of the interleaving: every actor's messages are delivered in order per sender/receiver pair,
in every order across pairs, as the runtime delivers them.

A worker handed a job while it is busy queues it (``queues=True``, the default). With
``queues=False`` it ignores the job, an event no transition takes: the job is lost without an
error, and only an interleaving where the dispatcher comes round to a busy worker shows it. The
walker finds it twice: ``every job is answered`` (a job submitted leads to no job pending, under
weak fairness on every delivery) fails with a lasso that stutters after the last delivery, and the
system reaches a ``deadlock`` (quiet, with a job pending)::

    python -m statecharts check machines.dispatch                     # holds
    python -m statecharts check machines.dispatch -p queues=false     # both violated, with traces

Properties (predicates over a `statecharts.check.actors.SystemState`, which reads any actor):
``answers follow jobs`` (the dispatcher never counts more answers than jobs), ``idle workers
queue nothing`` (a worker goes idle only with its queue empty: it reads every worker's state) and
``every job is answered``.
"""

from __future__ import annotations

from statecharts import Machine, assign, send
from statecharts.actions import send_parent, send_to
from statecharts.check import Model, SystemState, deliveries, events, leads_to


def worker(queues: bool = True) -> Machine:
    """A worker: ``idle --JOB--> busy``; in ``busy`` it sends itself ``WORKED`` (its work taking its
    time), then reports ``DONE`` to its parent and takes the next queued job or goes idle.

    >>> w = worker()
    >>> s = w.transition(w.initial_state(input="w1"), "JOB")
    >>> s.value, [p.event.name for p in s.pending]
    ('busy', ['WORKED'])
    """
    done = send_parent(lambda c, e: {"type": "DONE", "by": c["me"]})
    busy_on: dict[str, object] = {
        "WORKED": [
            {
                "guard": lambda c, e: c["queued"] > 0,
                "target": "busy",
                "reenter": True,
                "actions": [done, assign(queued=lambda c, e: c["queued"] - 1)],
            },
            {"target": "idle", "actions": done},
        ]
    }
    if queues:
        busy_on["JOB"] = {"actions": assign(queued=lambda c, e: c["queued"] + 1)}
    return Machine(
        {
            "id": "worker",
            "context": lambda input: {"me": input, "queued": 0},
            "initial": "idle",
            "states": {"idle": {"on": {"JOB": "busy"}}, "busy": {"entry": send("WORKED"), "on": busy_on}},
        }
    )


def make(workers: int = 2, jobs: int = 3, queues: bool = True) -> Machine:
    """The dispatcher, invoking ``workers`` workers, taking up to ``jobs`` jobs.

    >>> make().id, [i.id for i in make().chart.invokes.values()]
    ('dispatch', ['w1', 'w2'])
    """

    def room_for_a_job(context: dict[str, int], event: object) -> bool:
        return context["submitted"] < jobs

    def next_worker(context: dict[str, int], event: object) -> str:
        return f"w{context['next']}"

    return Machine(
        {
            "id": "dispatch",
            "context": {"submitted": 0, "answered": 0, "next": 1},
            "initial": "open",
            "states": {
                "open": {
                    "invoke": [{"src": "worker", "id": f"w{n}", "input": f"w{n}"} for n in range(1, workers + 1)],
                    "on": {
                        "SUBMIT": {
                            "guard": room_for_a_job,
                            "actions": [
                                send_to(next_worker, "JOB"),
                                assign(
                                    submitted=lambda c, e: c["submitted"] + 1, next=lambda c, e: c["next"] % workers + 1
                                ),
                            ],
                        },
                        "DONE": {"actions": assign(answered=lambda c, e: c["answered"] + 1)},
                    },
                }
            },
        },
        services={"worker": worker(queues)},
    )


def pending(state: SystemState) -> int:
    """Jobs submitted and not answered yet."""
    dispatcher = state.actor("dispatch")
    assert dispatcher is not None  # the root runs in every state
    return int(dispatcher.context["submitted"] - dispatcher.context["answered"])


def model(workers: int = 2, jobs: int = 3, queues: bool = True) -> Model:
    """The actor system with its properties; the environment only submits.

    >>> from statecharts.check import check
    >>> check(model()).ok, check(model(queues=False)).ok
    (True, False)
    """
    names = [f"w{n}" for n in range(1, workers + 1)]

    def idle_workers_queue_nothing(state: SystemState) -> bool:
        return all(s.context["queued"] == 0 for s in map(state.actor, names) if s is not None and s.matches("idle"))

    return Model(
        make(workers, jobs, queues),
        alphabet=events("SUBMIT"),
        invariants={
            "answers follow jobs": lambda s: pending(s) >= 0,
            "idle workers queue nothing": idle_workers_queue_nothing,
        },
        properties={"every job is answered": leads_to(lambda s: pending(s) > 0, lambda s: pending(s) == 0)},
        fairness=[deliveries()],
        terminal=lambda s: pending(s) == 0,
        name=f"dispatch(workers={workers}, jobs={jobs}, queues={queues})",
    )


machine = make()
