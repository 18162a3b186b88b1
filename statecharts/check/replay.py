"""Trace validation: is a logged sequence of events a behaviour of the model?

A log is JSON Lines. Each line is one record:

- a plain event, xstate style: ``{"type": "SUBMIT", "r": 1}``;
- a record with an ``event`` object, flat (``{"event": {"type": "SUBMIT", "r": 1}, ...}``) or as the
  runtime writes it (``{"event": {"type": "SUBMIT", "data": {"r": 1}}, ...}``: exactly ``type`` and
  ``data``, `statecharts.record.event_to_json`); when it also carries a ``snapshot``
  (`Snapshot.to_json` form), the model's state after the event must equal it. Other fields are
  ignored, and so is a record without an event (e.g. an actor starting or stopping).

So a durable actor's stored event log (`statecharts.store.Journal.lines`, one JSON object per line:
``{"seq", "actor", "event", "delivered", "key", "snapshot"}``) replays as it is: its first line,
event ``xstate.init``, is the actor's start (its snapshot must be an initial state of the model; it
is not a step); ``delivered`` names the delayed sends that fired before the line's event (they
leave the state first, as in the runtime); and the logged snapshot is compared with the state after
the event once its sends without delay are delivered (the runtime's snapshot). Of the inspection
records of the asyncio runtime (`statecharts.runtime.inspection`, with a ``kind``), the
``event.received`` ones are the steps; the other kinds are skipped.

The replay starts from every initial state of the model and follows the events. A step is refused
when the event is not in the model's alphabet (a model without one: no transition listens for its
name), when the model's action constraint refuses it,
when the chart fails on it, or when no state the model can be in after it equals the logged
snapshot. An event that changes nothing is a stutter, which TLA+ allows. Every invariant broken
along the way is reported with the line where it first broke.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statecharts.actor_core import settled, without_at
from statecharts.check.graph import evaluate, step_predicate
from statecharts.check.model import Model, refuse_actor_system
from statecharts.errors import EventError, SnapshotError, StatechartError
from statecharts.event import Event, to_event
from statecharts.record import event_from_json
from statecharts.state import Snapshot


@dataclass
class ReplayReport:
    """What a replay found: the events followed, the first refused step (line number, event,
    reason) if any, and every broken invariant with the line where it first broke.

    >>> ReplayReport("m", 3, stutters=1).ok, ReplayReport("m", 1, refused=(2, "GO", "not in the alphabet")).ok
    (True, False)
    """

    model: str
    steps: int
    refused: tuple[int, str, str] | None = None
    broken: dict[str, int] = field(default_factory=dict)
    stutters: int = 0
    skipped: int = 0
    states: list[Snapshot] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every step allowed and no invariant broken."""
        return self.refused is None and not self.broken

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``.

        >>> ReplayReport("m", 2, broken={"safe": 2}).to_json()["broken"]
        [{'invariant': 'safe', 'line': 2}]
        """
        refused = (
            None
            if self.refused is None
            else {"line": self.refused[0], "event": self.refused[1], "reason": self.refused[2]}
        )
        return {
            "model": self.model,
            "steps": self.steps,
            "behaviour": self.refused is None,
            "refused": refused,
            "broken": [{"invariant": name, "line": line} for name, line in self.broken.items()],
            "stutters": self.stutters,
            "skipped": self.skipped,
            "ok": self.ok,
        }

    def format(self) -> str:
        """A short human report.

        >>> print(ReplayReport("m", 4, refused=(5, "GO", "not in the alphabet"), broken={"safe": 3}).format())
        replay of model m: 4 events followed
          line 5: GO is not allowed: not in the alphabet
          invariant safe: broken at line 3
        """
        lines = [
            f"replay of model {self.model}: {self.steps} events followed"
            + (f" ({self.stutters} changed nothing)" if self.stutters else "")
            + (f", {self.skipped} records without an event skipped" if self.skipped else "")
        ]
        if self.refused is None:
            lines.append("  the log is a behaviour of the model")
        else:
            line, event, reason = self.refused
            lines.append(f"  line {line}: {event} is not allowed: {reason}")
        lines += [f"  invariant {name}: broken at line {line}" for name, line in self.broken.items()]
        if self.refused is None and not self.broken:
            lines.append("  no invariant broken")
        return "\n".join(lines)


INIT = "xstate.init"  # the first line of a stored event log: the actor's start, not a step


@dataclass(frozen=True)
class Logged:
    """One record of a log: its line number, its event (``None``: a record without one, skipped),
    the snapshot logged after it and the delayed sends (indices into the previous state's pending
    sends) that fired before it."""

    line: int
    event: Event | None
    snapshot: Mapping[str, Any] | None = None
    delivered: tuple[int, ...] = ()


def _event_of(record: Mapping[str, Any]) -> Event:
    """The event of a record's ``event`` object: ``{"type", "data"}`` as the runtime writes it, else flat."""
    if (
        set(record) <= {"type", "data"}
        and "data" in record
        and (record["data"] is None or isinstance(record["data"], dict))
    ):
        return event_from_json(record)
    return to_event(record)


def read_log(lines: Iterable[str], where: str = "log") -> list[Logged]:
    """One `Logged` per record; a line that is not such a record is an `EventError` naming the line.

    >>> for logged in read_log(['{"type": "GO", "speed": 2}', '', '{"event": {"type": "STOP"}, "snapshot": {"x": 1}}',
    ...                         '{"actor": "a", "kind": "started"}',
    ...                         '{"seq": 4, "event": {"type": "GO", "data": {"speed": 3}}, "delivered": [0]}']):
    ...     print(logged)
    Logged(line=1, event=Event('GO', {'speed': 2}), snapshot=None, delivered=())
    Logged(line=3, event=Event('STOP'), snapshot={'x': 1}, delivered=())
    Logged(line=4, event=None, snapshot=None, delivered=())
    Logged(line=5, event=Event('GO', {'speed': 3}), snapshot=None, delivered=(0,))
    >>> read_log(['{"type": 3}'], "run.jsonl")
    Traceback (most recent call last):
    statecharts.errors.EventError: run.jsonl line 1: an event needs a string 'type', not 3
    """
    out: list[Logged] = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EventError(f"{where} line {number}: not JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise EventError(f"{where} line {number}: a record is a JSON object, not {type(record).__name__}")
        snapshot = None
        delivered: tuple[int, ...] = ()
        if "kind" in record and record["kind"] != "event.received":  # an inspection record that is not a step
            out.append(Logged(number, None))
            continue
        if isinstance(record.get("event"), dict):
            snapshot = record.get("snapshot")
            given = record.get("delivered") or []
            if not isinstance(given, list) or not all(type(i) is int and i >= 0 for i in given):
                raise EventError(f"{where} line {number}: 'delivered' must be a list of indices, not {given!r}")
            delivered = tuple(given)
            record = record["event"]
        elif "type" not in record:
            out.append(Logged(number, None))
            continue
        if not isinstance(record.get("type"), str) or not record["type"]:
            raise EventError(f"{where} line {number}: an event needs a string 'type', not {record.get('type')!r}")
        if snapshot is not None and not isinstance(snapshot, dict):
            raise EventError(f"{where} line {number}: 'snapshot' must be an object (Snapshot.to_json)")
        out.append(Logged(number, _event_of(record), snapshot, delivered))
    return out


def replay(model: Model, lines: Iterable[str], where: str = "log") -> ReplayReport:
    """Follow the log's events in ``model`` from its initial states.

    >>> from statecharts import Machine, assign
    >>> from statecharts.check.model import events
    >>> jar = Machine({"id": "jar", "context": {"n": 0}, "initial": "open", "states": {"open": {"on": {
    ...     "ADD": {"actions": assign(n=lambda c, e: c["n"] + 1)}, "SEAL": "sealed"}}, "sealed": {}}})
    >>> model = Model(jar, alphabet=events("ADD") + events("SEAL"), invariants={"small": lambda s: s.context["n"] < 2})
    >>> print(replay(model, ['{"type": "ADD"}', '{"type": "ADD"}', '{"type": "SEAL"}', '{"type": "OPEN"}']).format())
    replay of model jar: 3 events followed
      line 4: OPEN is not allowed: not in the model's alphabet
      invariant small: broken at line 2
    """
    refuse_actor_system(model.machine, "replay (--replay)")
    machine = model.machine
    alphabet, names = set(model.alphabet), set(machine.events)
    allowed = (
        None
        if model.action_constraint is None
        else step_predicate("action constraint", "action_constraint", model.action_constraint)
    )
    report = ReplayReport(model.name or machine.id, 0)
    current = model.initial_states()
    invariants = list(model.invariants.items())

    def check_invariants(states: list[Snapshot], line: int) -> None:
        for name, predicate in invariants:  # broken when every state the log can be in breaks it
            if name not in report.broken and not any(evaluate("invariant", name, predicate, s) for s in states):
                report.broken[name] = line

    check_invariants(current, 0)
    first = True
    for logged in read_log(lines, where):
        line, event = logged.line, logged.event
        if event is None:
            report.skipped += 1
            continue
        reason = None
        expected = None
        if logged.snapshot is not None:
            try:
                expected = machine.restore(logged.snapshot)
            except SnapshotError as exc:
                raise SnapshotError(f"{where} line {line}: {exc}") from exc
        if event.name == INIT and first and logged.snapshot is not None:  # a stored log's start
            assert expected is not None
            first = False
            if expected not in current:
                report.refused = (line, event.name, "the logged start is not an initial state of the model")
                break
            current = [expected]
            continue
        first = False
        if (event not in alphabet) if alphabet else (event.name not in names):
            reason = "not in the model's alphabet" if alphabet else "no transition of the chart listens for it"
        else:
            following: list[Snapshot] = []
            try:
                for state in current:
                    if logged.delivered:  # the delayed sends that fired leave the state first
                        if max(logged.delivered) >= len(state.pending):
                            continue
                        state = without_at(state, set(logged.delivered))
                    after = machine.transition(state, event)
                    if allowed is not None and not allowed(state, event, after):
                        continue
                    if expected is not None:
                        if after != expected and settled(after) != expected:
                            continue
                        after = expected
                    if after not in following:
                        following.append(after)
            except StatechartError as exc:
                reason = f"the chart failed: {exc}"
            if reason is None and not following:
                reason = (
                    "the action constraint refuses it"
                    if expected is None
                    else "the model's state after it differs from the logged snapshot"
                )
        if reason is not None:
            report.refused = (line, event.name, reason)
            break
        report.stutters += all(a in current for a in following)
        current = following
        report.steps += 1
        check_invariants(current, line)
    report.states = current
    return report
