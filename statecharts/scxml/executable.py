"""SCXML executable content as actions whose pure half runs in the algorithm's step.

Every ``<onentry>``, ``<onexit>`` or transition body is one `Block`: its elements run in order
and the first failure raises ``error.execution`` (or ``error.communication``) and ends the
block, as the SCXML spec says. A block never raises, so the blocks of a state stay independent.
The algorithm calls ``apply(step, event)`` on these actions (see `statecharts.algorithm.run_action`).
"""

from __future__ import annotations

import itertools
import keyword
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from statecharts.actions import Action, Guard, Log
from statecharts.frozen import FrozenDict
from statecharts.scxml.datamodel import (
    SCXML_PROCESSOR,
    Datamodel,
    parse_delay,
    variables,
)
from statecharts.scxml.events import ScxmlEvent
from statecharts.state import PendingSend

if TYPE_CHECKING:
    from statecharts.algorithm import Step
    from statecharts.event import Event

BASIC_HTTP = "http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
SCXML_TYPES = (SCXML_PROCESSOR, "scxml", "http://www.w3.org/TR/scxml/", "http://www.w3.org/TR/scxml")


class Document:
    """What the actions of one loaded document share: its datamodel and id counters."""

    def __init__(self, datamodel: Datamodel, name: str | None) -> None:
        self.datamodel = datamodel
        self.name = name
        self.known_session: Callable[[str], bool] = lambda sid: False
        self._ids = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}.{next(self._ids)}"


class ErrorEvent(Exception):
    """Raised by an element to put a specific error event (``error.communication``, or an
    ``error.execution`` carrying a sendid) on the internal queue."""

    def __init__(self, name: str, message: str, sendid: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.sendid = sendid


# ---------------------------------------------------------------------------------------------
# helpers over the step


def namespace(doc: Document, step: Step, event: Event, copy_values: bool = False) -> dict[str, Any]:
    return doc.datamodel.namespace(step.context, event, step.in_state, copy_values)


def store(step: Step, ns: Mapping[str, Any]) -> None:
    """Write a namespace's variables back as the new context (hidden ``__`` keys kept)."""
    hidden = {k: v for k, v in step.context.items() if k.startswith("__")}
    hidden.update(variables(ns))
    step.context = FrozenDict(hidden)


def raise_error_event(step: Step, exc: BaseException, where: str) -> None:
    if isinstance(exc, ErrorEvent):
        step.internal.append(ScxmlEvent(exc.name, {"error": str(exc), "source": where}, kind="platform",
                                        sendid=exc.sendid))
    else:
        step.internal.append(ScxmlEvent("error.execution", {"error": f"{type(exc).__name__}: {exc}",
                                                            "source": where}, kind="platform"))


# ---------------------------------------------------------------------------------------------
# elements


@dataclass(frozen=True, eq=False)
class Element:
    """One executable element; ``run`` raises on failure (the block turns it into an error event)."""

    doc: Document
    line: int

    tag = "element"

    def run(self, step: Step, event: Event) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return f"<{self.tag}> (line {self.line})"


@dataclass(frozen=True, eq=False)
class Raise(Element):
    event: str = ""
    tag = "raise"

    def run(self, step: Step, event: Event) -> None:
        step.internal.append(ScxmlEvent(self.event, kind="internal"))


@dataclass(frozen=True, eq=False)
class LogElement(Element):
    label: str | None = None
    expr: str | None = None
    tag = "log"

    def run(self, step: Step, event: Event) -> None:
        from statecharts.algorithm import run_action

        value = None
        if self.expr is not None:
            value = self.doc.datamodel.evaluate_in(self.expr, namespace(self.doc, step, event))
        run_action(step, Log(value if not callable(value) else repr(value), self.label), event)


@dataclass(frozen=True, eq=False)
class Assign(Element):
    location: str = ""
    expr: str | None = None
    content: Any = None
    tag = "assign"

    def run(self, step: Step, event: Event) -> None:
        ns = namespace(self.doc, step, event, copy_values=True)
        value = self.doc.datamodel.evaluate_in(self.expr, ns) if self.expr is not None else self.content
        self.doc.datamodel.assign(self.location, value, ns)
        store(step, ns)


@dataclass(frozen=True, eq=False)
class Script(Element):
    source: str = ""
    tag = "script"

    def run(self, step: Step, event: Event) -> None:
        ns = namespace(self.doc, step, event, copy_values=True)
        self.doc.datamodel.execute_script(self.source, ns)
        store(step, ns)


@dataclass(frozen=True, eq=False)
class If(Element):
    branches: tuple[tuple[str | None, tuple[Element, ...]], ...] = ()
    tag = "if"

    def run(self, step: Step, event: Event) -> None:
        for cond, body in self.branches:
            if cond is None or bool(self.doc.datamodel.evaluate_in(cond, namespace(self.doc, step, event))):
                for element in body:
                    element.run(step, event)
                return


@dataclass(frozen=True, eq=False)
class Foreach(Element):
    array: str = ""
    item: str = ""
    index: str | None = None
    body: tuple[Element, ...] = ()
    tag = "foreach"

    def run(self, step: Step, event: Event) -> None:
        for name in (self.item, self.index):
            if name is not None and (not name.isidentifier() or keyword.iskeyword(name)
                                     or name.startswith("__")):
                raise ValueError(f"<foreach> variable {name!r} is not a legal variable name")
        items = self.doc.datamodel.evaluate_in(self.array, namespace(self.doc, step, event))
        if isinstance(items, Mapping):
            items = list(items.values())
        try:
            sequence = list(items)
        except TypeError as exc:
            raise TypeError(f"<foreach> array {self.array!r} is not iterable") from exc
        for position, value in enumerate(sequence):
            ns = namespace(self.doc, step, event, copy_values=True)
            ns[self.item] = value
            if self.index is not None:
                ns[self.index] = position
            store(step, ns)
            for element in self.body:
                element.run(step, event)


@dataclass(frozen=True, eq=False)
class Param:
    name: str
    expr: str | None = None
    location: str | None = None


def evaluate_data(doc: Document, ns: dict[str, Any], namelist: tuple[str, ...],
                  params: tuple[Param, ...]) -> dict[str, Any]:
    """The name/value pairs of a namelist and ``<param>`` children (errors propagate)."""
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

    def run(self, step: Step, event: Event) -> None:
        dm = self.doc.datamodel
        ns = namespace(self.doc, step, event)
        sendid = self.id
        if self.idlocation is not None:
            sendid = self.doc.new_id("send")
            ns = namespace(self.doc, step, event, copy_values=True)
            dm.assign(self.idlocation, sendid, ns)
            store(step, ns)
            ns = namespace(self.doc, step, event)
        name = self.event if self.event is not None else (
            dm.evaluate_in(self.eventexpr, ns) if self.eventexpr is not None else None)
        target = self.target if self.target is not None else (
            dm.evaluate_in(self.targetexpr, ns) if self.targetexpr is not None else None)
        kind = self.type if self.type is not None else (
            dm.evaluate_in(self.typeexpr, ns) if self.typeexpr is not None else None)
        delay_value = self.delay if self.delay is not None else (
            dm.evaluate_in(self.delayexpr, ns) if self.delayexpr is not None else None)
        delay = parse_delay(delay_value) if delay_value not in (None, "") else 0.0
        if self.has_content:
            data: Any = (dm.evaluate_in(self.content_expr, ns) if self.content_expr is not None
                         else self.content)
        else:
            data = evaluate_data(self.doc, ns, self.namelist, self.params) or None
        if kind == BASIC_HTTP and target in (None, ""):
            raise ErrorEvent("error.communication", "<send> to the Basic HTTP processor needs a target",
                             sendid)
        if kind not in (None, "", *SCXML_TYPES):
            raise ErrorEvent("error.execution", f"<send> type {kind!r} is not supported", sendid)
        if name is None:
            raise ErrorEvent("error.execution", "<send> has no event name", sendid)
        sessionid = step.context.get("_sessionid")
        origin = f"#_scxml_{sessionid}"
        sent = ScxmlEvent(str(name), data, kind="external", sendid=sendid, origin=origin,
                          origintype=SCXML_PROCESSOR)
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
            sid = target[len("#_scxml_"):]
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
    sendid: str | None = None
    sendidexpr: str | None = None
    tag = "cancel"

    def run(self, step: Step, event: Event) -> None:
        sendid = self.sendid if self.sendid is not None else self.doc.datamodel.evaluate_in(
            str(self.sendidexpr), namespace(self.doc, step, event))
        step.pending = [p for p in step.pending if p.id != sendid]


@dataclass(frozen=True, eq=False)
class NamedActionElement(Element):
    """``<sc:action name="..."/>``: a named action given to ``load(actions=...)``, run as the
    algorithm runs any action (an ``assign`` updates the datamodel, a callable is an effect)."""

    action: Action | None = None
    tag = "sc:action"

    def run(self, step: Step, event: Event) -> None:
        from statecharts.algorithm import run_action

        assert self.action is not None
        run_action(step, self.action, event)


# ---------------------------------------------------------------------------------------------
# actions (what the chart holds)


@dataclass(frozen=True, eq=False)
class Block(Action):
    """A block of executable content (one ``<onentry>``, ``<onexit>`` or transition body)."""

    elements: tuple[Element, ...]
    where: str = ""
    name: str = "scxml"

    def apply(self, step: Step, event: Event) -> None:
        for element in self.elements:
            try:
                element.run(step, event)
            except Exception as exc:  # noqa: BLE001 - SCXML: an error event ends the block
                raise_error_event(step, exc, f"{self.where}: {element.describe()}")
                return


@dataclass(frozen=True)
class DataItem:
    id: str
    expr: str | None = None
    value: Any = None
    line: int = 0


@dataclass(frozen=True, eq=False)
class InitData(Action):
    """Create datamodel variables (all at start with early binding, per state with late)."""

    doc: Document
    items: tuple[DataItem, ...]
    state_id: str | None = None
    name: str = "datamodel"

    def apply(self, step: Step, event: Event) -> None:
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
    """A ``<donedata>``: ``<content>`` or ``<param>`` children, evaluated on entering a final."""

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
    """A transition's ``cond``, evaluated in the datamodel (see `statecharts.actions.Guard`)."""

    doc: Document
    cond: str
    name: str = ""

    def test(self, context: Mapping[str, Any], event: Event, in_state: Callable[[str], bool]) -> bool:
        return bool(self.doc.datamodel.evaluate(self.cond, context, event, in_state))

    def referenced_states(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class InvokeDef:
    """An ``<invoke>`` as written: evaluated when its state's macrostep ends."""

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
        return self.id or f"{self.state_id}.invoke{self.index}"


@dataclass(frozen=True, eq=False)
class InvokeRequest(Action):
    """The effect asking the session to start a child session at the end of the macrostep."""

    invokeid: str
    state_id: str
    source: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    autoforward: bool = False
    name: str = "invoke"


@dataclass(frozen=True, eq=False)
class Invoke(Action):
    """Entry half of ``<invoke>``: evaluate its arguments, then ask the session to start it."""

    doc: Document
    definition: InvokeDef
    name: str = "invoke"

    def apply(self, step: Step, event: Event) -> None:
        from statecharts.algorithm import run_action

        d = self.definition
        dm = self.doc.datamodel
        try:
            ns = namespace(self.doc, step, event)
            invokeid = d.static_id
            if d.idlocation is not None:
                ns = namespace(self.doc, step, event, copy_values=True)
                dm.assign(d.idlocation, invokeid, ns)
                store(step, ns)
                ns = namespace(self.doc, step, event)
            kind = d.type if d.type is not None else (
                dm.evaluate_in(d.typeexpr, ns) if d.typeexpr is not None else None)
            if kind not in (None, "", *SCXML_TYPES):
                raise ValueError(f"<invoke> type {kind!r} is not supported")
            if d.content_expr is not None:
                source: Any = ("text", dm.evaluate_in(d.content_expr, ns))
            elif d.content is not None:
                source = ("machine", d.content)
            else:
                src = d.src if d.src is not None else (
                    dm.evaluate_in(d.srcexpr, ns) if d.srcexpr is not None else None)
                if src is None:
                    raise ValueError("<invoke> needs src, srcexpr or <content>")
                source = ("src", str(src))
            params = evaluate_data(self.doc, ns, d.namelist, d.params)
        except Exception as exc:  # noqa: BLE001 - SCXML: error.execution, no invocation
            raise_error_event(step, exc, f"<invoke> in {d.state_id} (line {d.line})")
            return
        run_action(step, InvokeRequest(invokeid, d.state_id, source, params, d.autoforward), event)


@dataclass(frozen=True, eq=False)
class CancelInvoke(Action):
    """Exit half of ``<invoke>``: the session cancels the child."""

    invokeid: str
    name: str = "cancel invoke"
