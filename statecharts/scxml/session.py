"""`ScxmlMachine` (a `Machine` that knows its document) and `ScxmlSession` (its interpreter).

The session adds what SCXML's event I/O needs on top of `statecharts.interpreter.Interpreter`:
sends to ``#_parent``, ``#_<invokeid>`` and ``#_scxml_<sessionid>``, invoked child sessions
(started at the end of the macrostep, cancelled on exit, ``done.invoke.<id>`` when they finish),
``autoforward`` and ``<finalize>``.
"""

from __future__ import annotations

import itertools
import logging
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from statecharts.algorithm import Step, execute_content
from statecharts.errors import ConfigError, SnapshotError, StatechartError
from statecharts.event import Event
from statecharts.frozen import FrozenDict
from statecharts.interpreter import Interpreter
from statecharts.machine import Machine
from statecharts.scxml.datamodel import RUNNING_SESSION, SCXML_PROCESSOR
from statecharts.scxml.events import ScxmlEvent
from statecharts.scxml.executable import CancelInvoke, Document, InvokeDef, InvokeRequest
from statecharts.state import Effect, PendingSend, Snapshot

log = logging.getLogger(__name__)

MAX_QUEUED_EVENTS = 10_000
"""Events a session may have waiting on its queue before an untrusted session's send to it raises
``error.communication`` instead."""
MAX_BUSY_MACROSTEPS = 10_000
"""Macrosteps in a row an untrusted session may run on undelayed events its family of sessions sent."""
MAX_INVOKE_DEPTH = 16
"""How deep untrusted ``<invoke>`` may nest."""
MAX_SESSIONS = 1_000
"""Live sessions a registry may hold before an untrusted ``<invoke>`` raises ``error.execution``."""


class FrozenRecord(FrozenDict):
    """A FrozenDict whose keys also read as attributes (``_ioprocessors['scxml'].location``).

    >>> FrozenRecord(location="#_scxml_1").location
    '#_scxml_1'
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class SessionRegistry:
    """The live sessions of one family of documents, by session id (for ``#_scxml_<id>``).

    >>> from statecharts.scxml import load
    >>> registry = SessionRegistry()
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"/></scxml>', registry=registry)
    >>> session = m.interpret().start()
    >>> registry.known(session.sessionid), registry.get(session.sessionid) is session
    (True, True)
    """

    def __init__(self) -> None:
        self._sessions: weakref.WeakValueDictionary[str, ScxmlSession] = weakref.WeakValueDictionary()
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        """A fresh session id (``session1``, ``session2``, ...).

        >>> registry = SessionRegistry()
        >>> registry.new_id(), registry.new_id()
        ('session1', 'session2')
        """
        return f"session{next(self._ids)}"

    def add(self, sid: str, session: ScxmlSession) -> None:
        """Register a live session under its id (held weakly: a dropped session goes away).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> session = m.interpret()
        >>> m.registry.add("s1", session)
        >>> m.registry.get("s1") is session
        True
        """
        self._sessions[sid] = session

    def remove(self, sid: str) -> None:
        """Forget a session (no error when it is not there).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> m.registry.add("s1", m.interpret())
        >>> m.registry.remove("s1"); m.registry.remove("s1")
        >>> m.registry.known("s1")
        False
        """
        self._sessions.pop(sid, None)

    def get(self, sid: str) -> ScxmlSession | None:
        """The live session with that id, or ``None``.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> session = m.interpret().start()
        >>> m.registry.get(session.sessionid) is session, m.registry.get("nope")
        (True, None)
        """
        return self._sessions.get(sid)

    def known(self, sid: str) -> bool:
        """A live session has that id (a ``#_scxml_<id>`` send target can reach it).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> session = m.interpret().start()
        >>> m.registry.known(session.sessionid), m.registry.known("nope")
        (True, False)
        """
        return sid in self._sessions

    def live(self) -> int:
        """How many sessions are live.

        >>> SessionRegistry().live()
        0
        """
        return len(self._sessions)


class ScxmlMachine(Machine):
    """A machine loaded from SCXML: an ordinary `Machine` plus its document's runtime needs.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
    ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
    >>> isinstance(m, ScxmlMachine), isinstance(m, Machine)
    (True, True)
    >>> s = m.initial_state()
    >>> "_sessionid" in s.context, m.transition(s, "go").configuration  # the session id is the session's
    (False, ('scxml', 'b'))
    """

    done_state_prefix = "done.state."  # SCXML's name (dict charts raise xstate v5's)
    prepares_external = True  # <finalize> and autoforward: see prepare_external

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        document: Document,
        invokes: tuple[InvokeDef, ...],
        registry: SessionRegistry,
        base_dir: Path,
        trusted: bool,
        where: str,
        loader: Callable[..., ScxmlMachine],
    ) -> None:
        self.document = document
        self.loader = loader  # statecharts.scxml.parse.load, for the documents an <invoke> starts
        self.invokes = invokes
        self.registry = registry
        self.base_dir = base_dir
        self.trusted = trusted
        self.where = where
        self.sessionid = registry.new_id()  # the id outside a session (transition, the walker)
        self._system: tuple[str, Mapping[str, Any]] | None = None  # the last session's variables
        super().__init__(config)
        self._invokes_by_state = [(self.chart.by_id[d.state_id], d) for d in invokes]
        document.datamodel.system_variables = self.running_system_variables

    def running_system_variables(self) -> Mapping[str, Any]:
        """The system variables of the session whose step runs now (`RUNNING_SESSION`), or of
        the machine's own id outside a session: they come from the session when an expression is
        evaluated, never from the snapshot, so two initial states of one machine are equal and
        sessions of one machine never share an id.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" name="doc"><state id="a"/></scxml>')
        >>> m.initial_state() == m.initial_state(), m.running_system_variables()["_sessionid"] == m.sessionid
        (True, True)
        >>> a, b = m.interpret().start(), m.interpret().start()
        >>> a.sessionid != b.sessionid != m.sessionid
        True
        """
        sid = RUNNING_SESSION.get() or self.sessionid
        last = self._system
        if last is None or last[0] != sid:
            last = self._system = (sid, self.system_variables(sid))
        return last[1]

    def system_variables(self, sid: str) -> dict[str, Any]:
        """SCXML's system variables for a session with id ``sid`` (``_event`` aside).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" name="doc"><state id="a"/></scxml>')
        >>> m.system_variables("session9")["_ioprocessors"]["scxml"].location
        '#_scxml_session9'
        """
        location = FrozenRecord(location=f"#_scxml_{sid}")
        return {
            "_sessionid": sid,
            "_name": self.document.name,
            "_ioprocessors": FrozenRecord({"scxml": location, SCXML_PROCESSOR: location}),
            "_x": FrozenRecord(),
        }

    def prepare_external(self, step: Step, event: Event) -> None:
        """Before an external event is processed: ``<finalize>`` of the invocation it came from,
        then a copy to every active ``autoforward`` invocation.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"><invoke id="kid" autoforward="true">'
        ...          '<content><scxml><state id="c"/></scxml></content></invoke></state></scxml>')
        >>> s = m.initial_state()
        >>> step = Step(m, s, s.context, None)
        >>> m.prepare_external(step, Event("ping"))
        >>> step.pending  # a copy of the event for the child
        [PendingSend(id=None, delay=0, event=Event('ping'), to='#_kid')]
        """
        source = getattr(event, "invokeid", None)
        for state, definition in self._invokes_by_state:
            if state not in step.configuration_nodes:
                continue
            if source is not None and source == definition.static_id and definition.finalize is not None:
                execute_content(step, (definition.finalize,), event)
            if definition.autoforward and not event.name.startswith("done.invoke."):
                step.pending.append(PendingSend(None, 0, event, f"#_{definition.static_id}"))

    def event_from_json(self, name: str, data: Any, fields: Mapping[str, Any]) -> ScxmlEvent:
        """A pending event from a snapshot, with its SCXML fields (see `Event.persisted`).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"/></scxml>')
        >>> e = m.event_from_json("go", [1], {"sendid": "s1", "origin": "#_scxml_x"})
        >>> e.payload, e.sendid, e.origin, e.kind
        ([1], 's1', '#_scxml_x', 'external')
        """
        known = ("kind", "sendid", "origin", "origintype", "invokeid")
        for key, value in fields.items():
            if key not in known or not isinstance(value, str):
                raise SnapshotError(
                    f"snapshot pending send {name!r}: field {key!r} must be one of "
                    f"{', '.join(known)} with a text value, not {value!r}"
                )
        return ScxmlEvent(name, data, **fields)

    def interpret(self, context: Mapping[str, Any] | None = None, **options: Any) -> ScxmlSession:  # type: ignore[override]
        """A session for this machine (an `Interpreter` with SCXML's event I/O).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> session = m.interpret().start()
        >>> type(session).__name__, session.send("go").configuration
        ('ScxmlSession', ('scxml', 'b'))
        """
        return ScxmlSession(self, context=context, **options)


class ScxmlSession(Interpreter):
    """Runs an `ScxmlMachine`: an `Interpreter` plus SCXML targets and invoked child sessions.

    It builds on the interpreter's extension hooks only (`Interpreter.execute`, ``deliver``,
    ``on_start``, ``on_macrostep_done``, ``enqueue``, ``post``), never on its private names.

    >>> from statecharts import VirtualClock
    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a">'
    ...          '<state id="a"><onentry><send event="t" delay="1s"/></onentry>'
    ...          '<transition event="t" target="b"/></state><final id="b"/></scxml>')
    >>> clock = VirtualClock()
    >>> session = m.interpret(clock=clock).start()
    >>> clock.advance(1000); session.state.configuration
    ('scxml', 'b')
    """

    machine: ScxmlMachine

    def __init__(
        self,
        machine: ScxmlMachine,
        *,
        parent_session: ScxmlSession | None = None,
        invokeid: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(machine, **options)
        self.parent_session = parent_session
        self.invokeid = invokeid
        self.children: dict[str, ScxmlSession] = {}  # type: ignore[assignment]  # (sessions only)
        self._requests: list[InvokeRequest] = []
        self._finished = False
        self.sessionid = machine.registry.new_id()  # a session of its own: a fresh id
        self._own_events: dict[int, Event] = {}  # undelayed events from sessions of its family, queued
        self._busy = 0
        self.halted: str | None = None
        """Why the session stopped itself (an untrusted document looping on its own events), if it did."""

    @property
    def depth(self) -> int:
        """How many invoking sessions this one has above it (0 for a top-level session).

        >>> from statecharts.scxml import load
        >>> load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"/></scxml>').interpret().depth
        0
        """
        depth, parent = 0, self.parent_session
        while parent is not None:
            depth, parent = depth + 1, parent.parent_session
        return depth

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ScxmlSession:
        """Start as `Interpreter.start` does, as the running session (`RUNNING_SESSION`: the
        initial state's expressions read its ``_sessionid``); it registers its id on the first step.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><datamodel>'
        ...          '<data id="me" expr="_sessionid"/></datamodel><state id="a"/></scxml>')
        >>> session = m.interpret()
        >>> session.start() is session, m.registry.known(session.sessionid)
        (True, True)
        >>> session.state.context["me"] == session.sessionid != m.initial_state().context["me"]
        True
        """
        running = RUNNING_SESSION.set(self.sessionid)
        try:
            super().start()
        finally:
            RUNNING_SESSION.reset(running)
        return self

    def macrostep(self, snapshot: Snapshot, event: Event) -> Snapshot:
        """A macrostep as `Interpreter.macrostep` runs it, as the running session
        (`RUNNING_SESSION`: its expressions read this session's ``_sessionid``).

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><datamodel><data id="me"/>'
        ...          '</datamodel><state id="a"><transition event="who"><assign location="me" expr="_sessionid"/>'
        ...          '</transition></state></scxml>')
        >>> session = m.interpret().start()
        >>> session.send("who").context["me"] == session.sessionid
        True
        """
        running = RUNNING_SESSION.set(self.sessionid)
        try:
            return super().macrostep(snapshot, event)
        finally:
            RUNNING_SESSION.reset(running)

    def stop(self) -> None:
        """Stop the invoked child sessions, leave the registry, then stop as `Interpreter.stop`.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> session = m.interpret().start()
        >>> sid = session.sessionid
        >>> session.stop()
        >>> m.registry.known(sid), session.running
        (False, False)
        """
        for child in list(self.children.values()):
            child.stop()
        self.children.clear()
        self.machine.registry.remove(self.sessionid)
        super().stop()

    def on_start(self, snapshot: Snapshot) -> None:
        """Register the session id (from the first snapshot) before anything leaves that snapshot,
        so its sends, its listeners and other sessions find it from the start.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"/></scxml>')
        >>> session = m.interpret()
        >>> session.on_start(m.initial_state())
        >>> m.registry.get(session.sessionid) is session
        True
        """
        self.machine.registry.add(self.sessionid, self)

    def on_macrostep_done(self, snapshot: Snapshot) -> None:
        """After each macrostep: start the invocations it asked for or, once the session has
        ended, exit it (W3C exitInterpreter), stop its children and tell the parent.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><final id="b"/></scxml>')
        >>> session = m.interpret().start()
        >>> session.send("go").status, m.registry.known(session.sessionid)  # ended: left the registry
        ('done', False)
        """
        if snapshot.status != "active" and not self._finished:
            self._finish(snapshot)
        self._count_busy(snapshot)
        self._start_requested()

    def _count_busy(self, snapshot: Snapshot) -> None:
        """Stop an untrusted session that has run `MAX_BUSY_MACROSTEPS` macrosteps in a row on
        events sent without delay by itself or by sessions of its family (its parent, children,
        ``#_scxml_`` peers): they would never wait for the world again."""
        own = snapshot.event is not None and self._own_events.pop(id(snapshot.event), None) is snapshot.event
        self._busy = self._busy + 1 if own else 0
        if self._busy > MAX_BUSY_MACROSTEPS and not self.machine.trusted:
            self.halted = (
                f"stopped after {MAX_BUSY_MACROSTEPS} macrosteps in a row on events its sessions sent "
                "without delay (an untrusted document may not keep its session busy for ever)"
            )
            log.warning("SCXML session %s: %s", self.sessionid, self.halted)
            self.stop()

    def _finish(self, snapshot: Snapshot) -> None:
        self._finished = True  # the algorithm ran exitInterpreter's exit handlers on reaching the final state
        for child in list(self.children.values()):
            child.stop()
        self.children.clear()
        self._requests = []
        self.machine.registry.remove(self.sessionid)
        parent = self.parent_session
        if parent is not None and snapshot.status == "done" and self.invokeid is not None:
            parent._from_child(
                self, ScxmlEvent(f"done.invoke.{self.invokeid}", snapshot.output, invokeid=self.invokeid)
            )

    # -- event I/O -------------------------------------------------------------------------------
    def _from_child(self, child: ScxmlSession, event: Event) -> None:
        """An event from an invoked child: dropped once the invocation is cancelled."""
        if not self.running or self.children.get(child.invokeid or "") is not child:
            return
        if event.name.startswith("done.invoke."):
            self.children.pop(child.invokeid or "", None)
        self.receive(event)

    def receive(self, event: Event) -> None:
        """An event from another session: queued now, processed from the clock (as soon as it
        runs), so sessions never process each other's events in the middle of a macrostep.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        ...          '<transition event="go" target="b"/></state><state id="b"/></scxml>')
        >>> from statecharts import VirtualClock
        >>> clock = VirtualClock()
        >>> session = m.interpret(clock=clock).start()
        >>> session.receive(Event("go")); session.state.configuration  # queued, not yet processed
        ('scxml', 'a')
        >>> clock.advance(0); session.state.configuration
        ('scxml', 'b')
        """
        self.post(event)

    def deliver(self, send: PendingSend) -> None:
        """Route a due send by SCXML target: this session (none, ``#_self``), ``#_parent``,
        ``#_scxml_<sessionid>``, ``#_<invokeid>``; anything unreachable becomes
        ``error.communication``.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a">'
        ...          '<transition event="error.communication" target="b"/></state><state id="b"/></scxml>')
        >>> session = m.interpret().start()
        >>> session.deliver(PendingSend(None, 0, Event("ping"), "#_nobody"))
        >>> session.send("tick").configuration
        ('scxml', 'b')
        """
        to = send.to
        target: ScxmlSession | None = None
        if to is None or to == "#_self":
            target = self
        elif to == "#_parent":
            target = self.parent_session
        elif to.startswith("#_scxml_"):
            target = self.machine.registry.get(to[len("#_scxml_") :])
        elif to.startswith("#_"):
            target = self.children.get(to[2:])
        if target is not None and not self.machine.trusted and target.queued >= MAX_QUEUED_EVENTS:
            if self.queued < MAX_QUEUED_EVENTS + 100:  # room kept for the error events themselves
                self.enqueue(
                    ScxmlEvent(
                        "error.communication",
                        {"target": to, "event": send.event.name, "error": "the event queue is full"},
                        kind="platform",
                        sendid=send.id,
                    )
                )
            return
        if target is not None and send.delay <= 0:
            target._own_events[id(send.event)] = send.event
        if target is self:
            self.enqueue(send.event)
            return
        if target is not None and target is self.parent_session:
            target._from_child(self, send.event)
            return
        if target is not None and target.running:
            target.receive(send.event)
            return
        self.enqueue(
            ScxmlEvent("error.communication", {"target": to, "event": send.event.name}, kind="platform", sendid=send.id)
        )

    # -- invocations -----------------------------------------------------------------------------
    def execute(self, effect: Effect) -> None:
        """Note the ``<invoke>`` requests (started when the macrostep ends) and cancel invocations
        whose state is left; other effects run as in `Interpreter.execute`.

        >>> from statecharts.scxml import load
        >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"><invoke id="kid">'
        ...          '<content><scxml><state id="c"/></scxml></content></invoke></state></scxml>')
        >>> session = m.interpret().start()
        >>> sorted(session.children), session.children["kid"].state.configuration
        (['kid'], ('scxml', 'c'))
        """
        action = effect.action
        if isinstance(action, InvokeRequest):
            self._requests.append(action)
        elif isinstance(action, CancelInvoke):
            self._requests = [r for r in self._requests if r.invokeid != action.invokeid]
            child = self.children.pop(action.invokeid, None)
            if child is not None:
                child.stop()
        else:
            super().execute(effect)

    def _start_requested(self) -> None:
        requests, self._requests = self._requests, []
        for request in requests:
            if not self.running or self.state.status != "active":
                return
            state = self.machine.chart.by_id.get(request.state_id)
            if state in self.state.configuration_nodes and request.invokeid not in self.children:
                self._spawn(request)

    def _spawn(self, request: InvokeRequest) -> None:
        load = self.machine.loader
        kind, value = request.source
        crowded = self.depth >= MAX_INVOKE_DEPTH or self.machine.registry.live() >= MAX_SESSIONS
        if crowded and not self.machine.trusted:
            self.enqueue(
                ScxmlEvent(
                    "error.execution",
                    {"error": f"<invoke>: more than {MAX_INVOKE_DEPTH} nested or {MAX_SESSIONS} live sessions"},
                    kind="platform",
                )
            )
            return
        try:
            if kind == "machine":
                machine = value
            elif kind == "text":
                if isinstance(value, ET.Element):  # <content expr> holding an inline <scxml> element
                    value = ET.tostring(value, encoding="unicode")
                machine = load(
                    str(value),
                    trusted=self.machine.trusted,
                    base_dir=self.machine.base_dir,
                    registry=self.machine.registry,
                )
            else:
                if not self.machine.trusted:
                    raise ConfigError(f"<invoke src={value!r}>: reading files needs trusted=True")
                path = value[5:] if value.startswith("file:") else value
                machine = load(self.machine.base_dir / path, trusted=True, registry=self.machine.registry)
        except (ConfigError, OSError) as exc:
            self.enqueue(ScxmlEvent("error.execution", {"error": str(exc)}, kind="platform"))
            return
        params = dict(request.params)
        context: dict[str, Any] = {"__params__": FrozenDict(params), "__invokeid__": request.invokeid}
        child = ScxmlSession(machine, context=context, clock=self.clock, parent_session=self, invokeid=request.invokeid)
        self.children[request.invokeid] = child
        try:
            child.start()
        except StatechartError as exc:
            self.children.pop(request.invokeid, None)
            self.enqueue(ScxmlEvent("error.execution", {"error": str(exc)}, kind="platform"))
