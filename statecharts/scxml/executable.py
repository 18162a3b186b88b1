"""SCXML executable content as actions whose pure half runs in the algorithm's step.

Every ``<onentry>``, ``<onexit>`` or transition body is one `Block`: its elements run in order
and the first failure raises ``error.execution`` (or ``error.communication``) and ends the
block, as the SCXML spec says. A block never raises, so the blocks of a state stay independent.
The algorithm calls ``apply(step, event)`` on these actions, as on every action (`statecharts.actions.Action.apply`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statecharts.actions import Action, Log, Scope
from statecharts.frozen import FrozenDict
from statecharts.guards import Guard
from statecharts.limits import MAX_DELAY_MS
from statecharts.scxml.datamodel import (
    SCXML_PROCESSOR,
    Datamodel,
    check_variable,
    parse_delay,
    variables,
)
from statecharts.scxml.events import ScxmlEvent
from statecharts.scxml.sandbox import SandboxLimit
from statecharts.state import PendingSend

if TYPE_CHECKING:
    from statecharts.event import Event

BASIC_HTTP = "http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
SCXML_TYPES = (SCXML_PROCESSOR, "scxml", "http://www.w3.org/TR/scxml/", "http://www.w3.org/TR/scxml")


class Document:
    """What the actions of one loaded document share: its datamodel and id counters.

    >>> doc = Document(Datamodel(), "m")
    >>> doc.datamodel.evaluate("1 + 1", {}, None, lambda ref: False), doc.new_id("send")
    (2, 'send.1')
    """

    def __init__(self, datamodel: Datamodel, name: str | None) -> None:
        self.datamodel = datamodel
        self.name = name
        self.known_session: Callable[[str], bool] = lambda sid: False
        self._ids = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        """A fresh id for a ``<send>`` or ``<invoke>`` that asks for one (``idlocation``).

        >>> doc = Document(Datamodel(), "m")
        >>> doc.new_id("send"), doc.new_id("send")
        ('send.1', 'send.2')
        """
        return f"{prefix}.{next(self._ids)}"


class ErrorEvent(Exception):
    """Raised by an element to put a specific error event (``error.communication``, or an
    ``error.execution`` carrying a sendid) on the internal queue.

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> raise_error_event(step, ErrorEvent("error.communication", "no such session", "s9"), "<send>")
    >>> step.internal[-1].name, step.internal[-1].sendid
    ('error.communication', 's9')
    """

    def __init__(self, name: str, message: str, sendid: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.sendid = sendid


MAX_PENDING_SENDS = 1_000
"""Sends (delayed or not yet delivered) an untrusted session may have waiting at once."""

# ---------------------------------------------------------------------------------------------
# helpers over the step


def namespace(doc: Document, step: Scope, event: Event, copy_values: bool = False) -> dict[str, Any]:
    """The datamodel namespace for the step's context and ``event`` (see `Datamodel.namespace`).

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> ns = namespace(doc, step, Event("go", k=2))
    >>> ns["x"], ns["_event"].data.k
    (1, 2)
    """
    return doc.datamodel.namespace(step.context, event, step.in_state, copy_values)


def store(step: Scope, ns: Mapping[str, Any]) -> None:
    """Write a namespace's variables back as the new context (hidden ``__`` keys kept).

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> ns = namespace(doc, step, Event("go"), copy_values=True)
    >>> ns["x"] = 5
    >>> store(step, ns); step.context["x"]
    5
    """
    hidden = {k: v for k, v in step.context.items() if k.startswith("__")}
    hidden.update(variables(ns))
    step.context = FrozenDict(hidden)


def raise_error_event(step: Scope, exc: BaseException, where: str) -> None:
    """Queue the error event for a failing element: the `ErrorEvent`'s own, else ``error.execution``.

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> raise_error_event(step, ZeroDivisionError("division by zero"), "<assign> (line 3)")
    >>> step.internal[-1].name, step.internal[-1].data["error"]
    ('error.execution', 'ZeroDivisionError: division by zero')
    """
    if isinstance(exc, ErrorEvent):
        step.internal.append(
            ScxmlEvent(exc.name, {"error": str(exc), "source": where}, kind="platform", sendid=exc.sendid)
        )
    else:
        step.internal.append(
            ScxmlEvent("error.execution", {"error": f"{type(exc).__name__}: {exc}", "source": where}, kind="platform")
        )


# ---------------------------------------------------------------------------------------------
# elements


@dataclass(frozen=True, eq=False)
class Element:
    """One executable element; ``run`` raises on failure (the block turns it into an error event).

    >>> Element(Document(Datamodel(), "m"), 3).describe()
    '<element> (line 3)'
    """

    doc: Document
    line: int

    tag = "element"

    def run(self, step: Scope, event: Event) -> None:
        """Do what the element says to the step; raise on failure.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Element(doc, 3).run(step, Event("go"))
        Traceback (most recent call last):
            ...
        NotImplementedError
        """
        raise NotImplementedError

    def describe(self) -> str:
        """The tag and its line, as error events name their source.

        >>> Raise(Document(Datamodel(), "m"), 12, event="done").describe()
        '<raise> (line 12)'
        """
        return f"<{self.tag}> (line {self.line})"


@dataclass(frozen=True, eq=False)
class Raise(Element):
    """``<raise event=...>``: put an internal event on the queue.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><onentry>'
    ...          '<raise event="next"/></onentry><transition event="next" target="b"/></state><state id="b"/></scxml>')
    >>> m.initial_state().configuration
    ('scxml', 'b')
    """

    event: str = ""
    tag = "raise"

    def run(self, step: Scope, event: Event) -> None:
        """Append the event to the step's internal queue.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Raise(doc, 3, event="done").run(step, Event("go"))
        >>> step.internal
        deque([ScxmlEvent('done', None, kind='internal')])
        """
        step.internal.append(ScxmlEvent(self.event, kind="internal"))


@dataclass(frozen=True, eq=False)
class LogElement(Element):
    """``<log label=... expr=...>``: log a datamodel value through the interpreter.

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> LogElement(doc, 3, label="x", expr="x * 2").describe()
    '<log> (line 3)'
    """

    label: str | None = None
    expr: str | None = None
    tag = "log"

    def run(self, step: Scope, event: Event) -> None:
        """Evaluate ``expr`` and run a `Log` action with it (an effect for the interpreter).

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> LogElement(doc, 3, label="x", expr="x * 2").run(step, Event("go"))
        >>> [(e.action.label, e.action.message) for e in step.effects]
        [('x', 2)]
        """
        value = None
        if self.expr is not None:
            value = self.doc.datamodel.evaluate_in(self.expr, namespace(self.doc, step, event))
        Log(value if not callable(value) else repr(value), self.label).apply(step, event)


@dataclass(frozen=True, eq=False)
class Assign(Element):
    """``<assign location=... expr=...>``: change a datamodel variable (or an item of one).

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python" initial="a"><datamodel>'
    ...          '<data id="n" expr="1"/></datamodel><state id="a"><onentry><assign location="n" expr="n + 1"/>'
    ...          '</onentry></state></scxml>')
    >>> m.initial_state().context["n"]
    2
    """

    location: str = ""
    expr: str | None = None
    content: Any = None
    tag = "assign"

    def run(self, step: Scope, event: Event) -> None:
        """Evaluate ``expr`` (or take the inline content) and store it at ``location``.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Assign(doc, 3, location="items[0]", expr="x + 10").run(step, Event("go"))
        >>> step.context["items"], step.machine.initial_state().context["items"]  # the snapshot's list is not changed
        ([11, 2, 3], [1, 2, 3])
        """
        ns = namespace(self.doc, step, event)  # `Datamodel.assign` copies what it changes, nothing else
        value = self.content
        if self.expr is not None:
            self.doc.datamodel.isolate(self.expr, ns)
            value = self.doc.datamodel.evaluate_in(self.expr, ns)
        self.doc.datamodel.assign(self.location, value, ns)
        store(step, ns)


@dataclass(frozen=True, eq=False)
class Script(Element):
    """``<script>``: Python statements run in the datamodel (trusted documents only).

    >>> from statecharts import Event, Machine
    >>> from statecharts.algorithm import Step
    >>> s = Machine({"id": "m", "context": {"x": 1, "items": [1, 2, 3]}}).initial_state()
    >>> step, doc = Step(s.machine, s, s.context, None), Document(Datamodel(trusted=True), "m")
    >>> Script(doc, 3, source="x = x * 10").describe()
    '<script> (line 3)'
    """

    source: str = ""
    tag = "script"

    def run(self, step: Scope, event: Event) -> None:
        """Run the statements and keep the variables they set.

        >>> from statecharts import Event, Machine
        >>> from statecharts.algorithm import Step
        >>> s = Machine({"id": "m", "context": {"x": 1, "items": [1, 2, 3]}}).initial_state()
        >>> step, doc = Step(s.machine, s, s.context, None), Document(Datamodel(trusted=True), "m")
        >>> Script(doc, 3, source="x = x * 10").run(step, Event("go"))
        >>> step.context["x"]
        10
        """
        ns = namespace(self.doc, step, event, copy_values=True)
        self.doc.datamodel.execute_script(self.source, ns)
        store(step, ns)


@dataclass(frozen=True, eq=False)
class If(Element):
    """``<if>``/``<elseif>``/``<else>``: branches of (condition or ``None`` for else, elements).

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> choice = If(doc, 3, branches=(("x > 5", (Raise(doc, 4, event="big"),)),
    ...                                  (None, (Raise(doc, 5, event="small"),))))
    >>> choice.describe()
    '<if> (line 3)'
    """

    branches: tuple[tuple[str | None, tuple[Element, ...]], ...] = ()
    tag = "if"

    def run(self, step: Scope, event: Event) -> None:
        """Run the body of the first branch whose condition holds.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> If(doc, 3, branches=(("x > 5", (Raise(doc, 4, event="big"),)),
        ...                    (None, (Raise(doc, 5, event="small"),)))).run(step, Event("go"))
        >>> [e.name for e in step.internal]
        ['small']
        """
        for cond, body in self.branches:
            if cond is None or bool(self.doc.datamodel.evaluate_in(cond, namespace(self.doc, step, event))):
                for element in body:
                    element.run(step, event)
                return


@dataclass(frozen=True, eq=False)
class Foreach(Element):
    """``<foreach array=... item=... index=...>``: run the body once per item.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python" initial="a"><datamodel>'
    ...          '<data id="n" expr="0"/></datamodel><state id="a"><onentry><foreach array="[1, 2, 3]" item="v">'
    ...          '<assign location="n" expr="n + v"/></foreach></onentry></state></scxml>')
    >>> m.initial_state().context["n"]
    6
    """

    array: str = ""
    item: str = ""
    index: str | None = None
    body: tuple[Element, ...] = ()
    tag = "foreach"

    def run(self, step: Scope, event: Event) -> None:
        """Bind ``item`` (and ``index``) to each element of ``array`` in turn and run the body.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> add = Assign(doc, 4, location="x", expr="x + it")
        >>> Foreach(doc, 3, array="items", item="it", index="i", body=(add,)).run(step, Event("go"))
        >>> step.context["x"], step.context["i"]
        (7, 2)
        """
        for name in (self.item, self.index):
            if name is not None:
                check_variable(name)
        items = self.doc.datamodel.evaluate_in(self.array, namespace(self.doc, step, event))
        if isinstance(items, Mapping):
            items = list(items.values())
        try:
            sequence = list(items)
        except TypeError as exc:
            raise TypeError(f"<foreach> array {self.array!r} is not iterable") from exc
        for position, value in enumerate(sequence):
            ns = namespace(self.doc, step, event)
            self.doc.datamodel.spend(ns, 200)  # about what a round costs next to one interpreted node
            ns[self.item] = value
            if self.index is not None:
                ns[self.index] = position
            store(step, ns)
            for element in self.body:
                element.run(step, event)


@dataclass(frozen=True, eq=False)
class Param:
    """A ``<param name=... expr=...|location=...>`` of ``<send>``, ``<invoke>`` or ``<donedata>``.

    >>> evaluate_data(Document(Datamodel(), "m"), {"y": 2}, (), (Param("z", expr="y * 10"),))
    {'z': 20}
    """

    name: str
    expr: str | None = None
    location: str | None = None


def evaluate_data(
    doc: Document, ns: dict[str, Any], namelist: tuple[str, ...], params: tuple[Param, ...]
) -> dict[str, Any]:
    """The name/value pairs of a namelist and ``<param>`` children (errors propagate).

    >>> doc = Document(Datamodel(), "m")
    >>> evaluate_data(doc, {"x": 1, "y": 2}, ("x",), (Param("z", expr="y * 10"),))
    {'x': 1, 'z': 20}
    >>> evaluate_data(doc, {}, ("nope",), ())
    Traceback (most recent call last):
        ...
    NameError: namelist variable 'nope' is not declared
    """
    data: dict[str, Any] = {}
    for name in namelist:
        if name not in ns or name in ("In",):
            raise NameError(f"namelist variable {name!r} is not declared")
        data[name] = ns[name]
    for param in params:
        source = param.expr if param.expr is not None else param.location
        if source is None:
            raise ValueError(f"<param name={param.name!r}> needs expr or location")
        data[param.name] = doc.datamodel.evaluate_in(source, ns)
    return data


@dataclass(frozen=True, eq=False)
class Send(Element):
    """``<send>``: an event to this session (maybe delayed), the internal queue, the parent or a child.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><onentry>'
    ...          '<send event="ping" delay="2s" id="p1"/></onentry></state></scxml>')
    >>> [(p.id, p.delay, p.event.name) for p in m.initial_state().pending]
    [('p1', 2000.0, 'ping')]
    """

    event: str | None = None
    eventexpr: str | None = None
    target: str | None = None
    targetexpr: str | None = None
    type: str | None = None
    typeexpr: str | None = None
    id: str | None = None
    idlocation: str | None = None
    delay: str | None = None
    delayexpr: str | None = None
    namelist: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    content_expr: str | None = None
    content: Any = None
    has_content: bool = False
    tag = "send"

    def run(self, step: Scope, event: Event) -> None:
        """Evaluate the attributes, then queue the event where ``target`` says, or raise `ErrorEvent`.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Send(doc, 3, event="ping", delay="1s", id="p1").run(step, Event("go"))
        >>> step.pending
        [PendingSend(id='p1', delay=1000.0, event=ScxmlEvent('ping', None, kind='external'), to=None)]
        >>> Send(doc, 4, event="ping", target="http://example.com/").run(step, Event("go"))
        Traceback (most recent call last):
            ...
        statecharts.scxml.executable.ErrorEvent: <send> target 'http://example.com/' is not supported
        """
        dm = self.doc.datamodel
        if not dm.trusted and len(step.pending) >= MAX_PENDING_SENDS:
            raise SandboxLimit(f"<send>: more than {MAX_PENDING_SENDS} sends are pending")
        ns = namespace(self.doc, step, event)
        sendid = self.id
        if self.idlocation is not None:
            sendid = self.doc.new_id("send")
            ns = namespace(self.doc, step, event)
            dm.assign(self.idlocation, sendid, ns)
            store(step, ns)
            ns = namespace(self.doc, step, event)
        name = (
            self.event
            if self.event is not None
            else (dm.evaluate_in(self.eventexpr, ns) if self.eventexpr is not None else None)
        )
        target = (
            self.target
            if self.target is not None
            else (dm.evaluate_in(self.targetexpr, ns) if self.targetexpr is not None else None)
        )
        kind = (
            self.type
            if self.type is not None
            else (dm.evaluate_in(self.typeexpr, ns) if self.typeexpr is not None else None)
        )
        delay_value = (
            self.delay
            if self.delay is not None
            else (dm.evaluate_in(self.delayexpr, ns) if self.delayexpr is not None else None)
        )
        delay = parse_delay(delay_value) if delay_value not in (None, "") else 0.0
        if not 0 <= delay <= MAX_DELAY_MS:  # NaN, inf and 1e300 too: no timer could wait that long
            raise ValueError(f"<send> delay {delay_value!r} is not from 0 to {MAX_DELAY_MS:g} ms")
        if self.has_content:
            data: Any = dm.evaluate_in(self.content_expr, ns) if self.content_expr is not None else self.content
        else:
            data = evaluate_data(self.doc, ns, self.namelist, self.params) or None
        if kind == BASIC_HTTP and target in (None, ""):
            raise ErrorEvent("error.communication", "<send> to the Basic HTTP processor needs a target", sendid)
        if kind not in (None, "", *SCXML_TYPES):
            raise ErrorEvent("error.execution", f"<send> type {kind!r} is not supported", sendid)
        if name is None:
            raise ErrorEvent("error.execution", "<send> has no event name", sendid)
        sessionid = self.doc.datamodel.system_variables().get("_sessionid")
        origin = f"#_scxml_{sessionid}"
        sent = ScxmlEvent(str(name), data, kind="external", sendid=sendid, origin=origin, origintype=SCXML_PROCESSOR)
        if target in (None, ""):
            step.pending.append(PendingSend(sendid, delay, sent))
            return
        target = str(target)
        if target == "#_internal":
            step.internal.append(ScxmlEvent(str(name), data, kind="internal", sendid=sendid))
            return
        if target == "#_parent":
            sent.invokeid = step.context.get("__invokeid__")
            step.pending.append(PendingSend(sendid, delay, sent, "#_parent"))
            return
        if target.startswith("#_scxml_"):
            sid = target[len("#_scxml_") :]
            if sid == sessionid:
                step.pending.append(PendingSend(sendid, delay, sent))
            elif self.doc.known_session(sid):
                step.pending.append(PendingSend(sendid, delay, sent, target))
            else:
                raise ErrorEvent("error.communication", f"<send> target {target!r}: no such session", sendid)
            return
        if target.startswith("#_") and len(target) > 2:
            step.pending.append(PendingSend(sendid, delay, sent, target))
            return
        raise ErrorEvent("error.execution", f"<send> target {target!r} is not supported", sendid)


@dataclass(frozen=True, eq=False)
class Cancel(Element):
    """``<cancel sendid=...>``: withdraw a delayed ``<send>`` that has not been delivered.

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> Cancel(doc, 3, sendid="p1").describe()
    '<cancel> (line 3)'
    """

    sendid: str | None = None
    sendidexpr: str | None = None
    tag = "cancel"

    def run(self, step: Scope, event: Event) -> None:
        """Drop the pending sends with that id.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Send(doc, 3, event="ping", delay="1s", id="p1").run(step, Event("go"))
        >>> Cancel(doc, 4, sendid="p1").run(step, Event("go")); step.pending
        []
        """
        sendid = (
            self.sendid
            if self.sendid is not None
            else self.doc.datamodel.evaluate_in(str(self.sendidexpr), namespace(self.doc, step, event))
        )
        step.cancel(sendid)


@dataclass(frozen=True, eq=False)
class NamedActionElement(Element):
    """``<sc:action name="..."/>``: a named action given to ``load(actions=...)``, run as the
    algorithm runs any action (an ``assign`` updates the datamodel, a callable is an effect).

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> from statecharts import assign
    >>> NamedActionElement(doc, 3, action=assign(x=5)).describe()
    '<sc:action> (line 3)'
    """

    action: Action | None = None
    tag = "sc:action"

    def run(self, step: Scope, event: Event) -> None:
        """Run the named action as the algorithm runs any action.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> from statecharts import assign
        >>> NamedActionElement(doc, 3, action=assign(x=5)).run(step, Event("go")); step.context["x"]
        5
        """
        assert self.action is not None
        self.action.apply(step, event)


# ---------------------------------------------------------------------------------------------
# actions (what the chart holds)


@dataclass(frozen=True, eq=False)
class Block(Action):
    """A block of executable content (one ``<onentry>``, ``<onexit>`` or transition body).

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> block = Block((Assign(doc, 3, location="x", expr="1 / 0"), Raise(doc, 4, event="never")),
    ...               where="<onentry> of 'a'")
    >>> block.apply(step, Event("go"))
    >>> [(e.name, e.data["source"]) for e in step.internal]
    [('error.execution', "<onentry> of 'a': <assign> (line 3)")]
    """

    elements: tuple[Element, ...]
    where: str = ""
    name: str = "scxml"

    def apply(self, step: Scope, event: Event) -> None:
        """Run the elements in order; the first failure queues its error event and ends the block.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Block((Raise(doc, 3, event="one"), Raise(doc, 4, event="two"))).apply(step, Event("go"))
        >>> [e.name for e in step.internal]
        ['one', 'two']
        """
        for element in self.elements:
            try:
                element.run(step, event)
            except Exception as exc:  # noqa: BLE001 - SCXML: an error event ends the block
                raise_error_event(step, exc, f"{self.where}: {element.describe()}")
                return


@dataclass(frozen=True)
class DataItem:
    """A ``<data id=... expr=...>`` (or inline ``value``) of a ``<datamodel>``.

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> InitData(doc, (DataItem("y", expr="x + 1"), DataItem("z", value=[1]))).apply(step, Event("go"))
    >>> step.context["y"], step.context["z"]
    (2, [1])
    """

    id: str
    expr: str | None = None
    value: Any = None
    line: int = 0


@dataclass(frozen=True, eq=False)
class InitData(Action):
    """Create datamodel variables (all at start with early binding, per state with late).

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" datamodel="python"><datamodel>'
    ...          '<data id="n" expr="40 + 2"/></datamodel><state id="a"/></scxml>')
    >>> m.initial_state().context["n"]
    42
    """

    doc: Document
    items: tuple[DataItem, ...]
    state_id: str | None = None
    name: str = "datamodel"

    def apply(self, step: Scope, event: Event) -> None:
        """Set each variable from ``expr`` (``None`` plus ``error.execution`` when it fails).

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> InitData(doc, (DataItem("y", expr="x + 1"), DataItem("bad", expr="1 / 0"))).apply(step, Event("go"))
        >>> step.context["y"], step.context["bad"], step.internal[0].name
        (2, None, 'error.execution')
        """
        bound = step.context.get("__bound__", frozenset())
        if self.state_id is not None:
            if self.state_id in bound:
                return
            step.context = step.context.set(__bound__=bound | {self.state_id})
        given = step.context.get("__params__") or {}
        for item in self.items:
            if item.id in given:
                step.context = step.context.set({item.id: given[item.id]})
                continue
            value = item.value
            if item.expr is not None:
                try:
                    value = self.doc.datamodel.evaluate(item.expr, step.context, None, step.in_state)
                except Exception as exc:  # noqa: BLE001 - SCXML: error.execution, variable stays None
                    raise_error_event(step, exc, f"<data id={item.id!r}> (line {item.line})")
                    value = None
            step.context = step.context.set({item.id: value})


@dataclass(frozen=True, eq=False)
class DoneData:
    """A ``<donedata>``: ``<content>`` or ``<param>`` children, evaluated on entering a final.

    >>> from statecharts import Event
    >>> doc = Document(Datamodel(), "m")
    >>> DoneData(doc, params=(Param("total", expr="x + y"),))({"x": 1, "y": 2}, Event("done"))
    {'total': 3}
    >>> DoneData(doc, content_expr="[x]", has_content=True)({"x": 1}, Event("done"))
    [1]
    """

    doc: Document
    params: tuple[Param, ...] = ()
    content_expr: str | None = None
    content: Any = None
    has_content: bool = False

    def __call__(self, context: Mapping[str, Any], event: Event) -> Any:
        dm = self.doc.datamodel
        ns = dm.namespace(context, event, lambda ref: False)
        if self.has_content:
            return dm.evaluate_in(self.content_expr, ns) if self.content_expr is not None else self.content
        return evaluate_data(self.doc, ns, (), self.params)


@dataclass(frozen=True, eq=False)
class CondGuard(Guard):
    """A transition's ``cond``, evaluated in the datamodel (see `statecharts.actions.Guard`).

    >>> from statecharts import Event
    >>> guard = CondGuard(Document(Datamodel(), "m"), "x > 0 and In('a')")
    >>> guard.test({"x": 1}, Event("go"), lambda ref: ref == "a"), guard.test({"x": 0}, Event("go"), lambda ref: True)
    (True, False)
    """

    doc: Document
    cond: str
    name: str = ""

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        """The condition's truth value (an exception propagates: it becomes ``error.execution``).

        >>> from statecharts import Event
        >>> CondGuard(Document(Datamodel(), "m"), "_event.data.n > 1").test({}, Event("go", n=2), lambda ref: False)
        True
        """
        return bool(self.doc.datamodel.evaluate(self.cond, context, event, in_state))

    def referenced_states(self) -> tuple[str, ...]:
        """None to check at load time: ``In(...)`` inside a condition is evaluated, not validated.

        >>> CondGuard(Document(Datamodel(), "m"), "In('a')").referenced_states()
        ()
        """
        return ()


@dataclass(frozen=True)
class InvokeDef:
    """An ``<invoke>`` as written: evaluated when its state's macrostep ends.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><invoke id="kid">'
    ...          '<content><scxml initial="c"><state id="c"/></scxml></content></invoke></state></scxml>')
    >>> definition = m.get_state("#a").entry[0].definition
    >>> definition.id, definition.state_id, definition.content.id
    ('kid', 'a', 'scxml')
    """

    state_id: str
    index: int
    line: int
    type: str | None = None
    typeexpr: str | None = None
    src: str | None = None
    srcexpr: str | None = None
    id: str | None = None
    idlocation: str | None = None
    namelist: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    content_expr: str | None = None
    content: Any = None
    autoforward: bool = False
    finalize: Block | None = None

    @property
    def static_id(self) -> str:
        """The ``id`` as written, else one made from the state and position.

        >>> InvokeDef("a", 0, 7, src="child.scxml").static_id, InvokeDef("a", 1, 9, id="kid").static_id
        ('a.invoke0', 'kid')
        """
        return self.id or f"{self.state_id}.invoke{self.index}"


@dataclass(frozen=True, eq=False)
class InvokeRequest(Action):
    """The effect asking the session to start a child session at the end of the macrostep.

    >>> from statecharts import Event, Machine
    >>> step, doc = example_step()
    >>> Invoke(doc, InvokeDef("a", 0, 7, src="child.scxml")).apply(step, Event("go"))
    >>> step.effects[-1].action
    InvokeRequest(invokeid='a.invoke0', state_id='a', source=('src', 'child.scxml'), params={}, ...)
    """

    invokeid: str
    state_id: str
    source: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    autoforward: bool = False
    name: str = "invoke"


@dataclass(frozen=True, eq=False)
class Invoke(Action):
    """Entry half of ``<invoke>``: evaluate its arguments, then ask the session to start it.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><invoke id="kid">'
    ...          '<content><scxml initial="c"><state id="c"/></scxml></content></invoke></state></scxml>')
    >>> [type(a).__name__ for a in m.get_state("#a").entry]
    ['Invoke']
    """

    doc: Document
    definition: InvokeDef
    name: str = "invoke"

    def apply(self, step: Scope, event: Event) -> None:
        """Evaluate the invoke's type, source and parameters, then record an `InvokeRequest` effect.

        >>> from statecharts import Event, Machine
        >>> step, doc = example_step()
        >>> Invoke(doc, InvokeDef("a", 0, 7, srcexpr="'child' + str(x) + '.scxml'")).apply(step, Event("go"))
        >>> step.effects[-1].action.source
        ('src', 'child1.scxml')
        >>> Invoke(doc, InvokeDef("a", 1, 8)).apply(step, Event("go"))  # no source: error.execution
        >>> step.internal[-1].data["error"]
        'ValueError: <invoke> needs src, srcexpr or <content>'
        """
        d = self.definition
        dm = self.doc.datamodel
        try:
            ns = namespace(self.doc, step, event)
            invokeid = d.static_id
            if d.idlocation is not None:
                ns = namespace(self.doc, step, event)
                dm.assign(d.idlocation, invokeid, ns)
                store(step, ns)
                ns = namespace(self.doc, step, event)
            kind = (
                d.type if d.type is not None else (dm.evaluate_in(d.typeexpr, ns) if d.typeexpr is not None else None)
            )
            if kind not in (None, "", *SCXML_TYPES):
                raise ValueError(f"<invoke> type {kind!r} is not supported")
            if d.content_expr is not None:
                source: Any = ("text", dm.evaluate_in(d.content_expr, ns))
            elif d.content is not None:
                source = ("machine", d.content)
            else:
                src = d.src if d.src is not None else (dm.evaluate_in(d.srcexpr, ns) if d.srcexpr is not None else None)
                if src is None:
                    raise ValueError("<invoke> needs src, srcexpr or <content>")
                source = ("src", str(src))
            params = evaluate_data(self.doc, ns, d.namelist, d.params)
        except Exception as exc:  # noqa: BLE001 - SCXML: error.execution, no invocation
            raise_error_event(step, exc, f"<invoke> in {d.state_id} (line {d.line})")
            return
        InvokeRequest(invokeid, d.state_id, source, params, d.autoforward).apply(step, event)


@dataclass(frozen=True, eq=False)
class CancelInvoke(Action):
    """Exit half of ``<invoke>``: the session cancels the child.

    >>> from statecharts.scxml import load
    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a"><invoke id="kid">'
    ...          '<content><scxml initial="c"><state id="c"/></scxml></content></invoke></state></scxml>')
    >>> m.get_state("#a").exit
    (CancelInvoke(invokeid='kid', name='cancel invoke'),)
    """

    invokeid: str
    name: str = "cancel invoke"
