"""Export a machine as an SCXML document (``datamodel="python"``).

Structure (states, parallel, final, history, initial), transitions (events, targets, guards,
kinds), eventless and delayed (``after``) transitions, and the built-in actions with constant
arguments (raise, send, cancel, log, assign) map to SCXML as they are. Named guards become
``cond="guard('name')"`` and named actions the extension element ``<sc:action name="..."/>``
(namespace `EXTENSION_NS`); `statecharts.scxml.load` resolves both from its ``guards=`` and
``actions=`` arguments. Anything else (an anonymous callable, an invoked service) raises
`ConfigError` naming the state.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from typing import Any

from statecharts.actions import Action, Assign, Cancel, Log, Raise, Send, StartInvoke, StopInvoke
from statecharts.chart import StateNode, Transition
from statecharts.errors import ConfigError
from statecharts.event import Event
from statecharts.guards import And, Guard, Not, Or, StateIn
from statecharts.machine import Machine
from statecharts.scxml.reader import EXTENSION_NS, SCXML_NS


def _literal(value: Any, where: str) -> str:
    """A Python literal for a constant, checked to read back equal."""
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise ConfigError(f"value {value!r} has no Python literal", path=where)
    return text


class _Exporter:
    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.names: dict[int, str] = {}
        self.guards: dict[str, Guard] = {}
        self.actions_by_name: dict[str, Action] = {}

    def unique(self, obj: Guard | Action, name: str, table: dict[str, Any]) -> str:
        """The export name of a named guard or action; distinct objects sharing a name get
        ``name#2``, ``name#3`` ..."""
        known = self.names.get(id(obj))
        if known is not None:
            return known
        candidate, n = name, 1
        while candidate in table and table[candidate] is not obj:
            n += 1
            candidate = f"{name}#{n}"
        table[candidate] = obj
        self.names[id(obj)] = candidate
        return candidate

    def where(self, node: StateNode) -> str:
        return node.path_str

    # -- guards ------------------------------------------------------------------------------------
    def cond(self, guard: Guard, node: StateNode) -> str:
        if isinstance(guard, StateIn):
            target = self.machine.chart.find(guard.ref)
            if target is None:  # pragma: no cover - the chart validated it
                raise ConfigError(f"state_in({guard.ref!r}): no such state", path=self.where(node))
            return f"In({target.id!r})"
        if isinstance(guard, And):
            return "(" + " and ".join(self.cond(g, node) for g in guard.guards) + ")"
        if isinstance(guard, Or):
            return "(" + " or ".join(self.cond(g, node) for g in guard.guards) + ")"
        if isinstance(guard, Not):
            return f"(not {self.cond(guard.guard, node)})"
        name = getattr(guard, "name", "")
        if not name or name.startswith("lambda"):
            raise ConfigError(f"guard {guard!r} is an anonymous callable: name it to export it", path=self.where(node))
        return f"guard({self.unique(guard, name, self.guards)!r})"

    # -- actions -----------------------------------------------------------------------------------
    def action(self, parent: ET.Element, action: Action, node: StateNode) -> None:
        where = self.where(node)
        if isinstance(action, (StartInvoke, StopInvoke)):
            raise ConfigError(f"invoked service {action.invoke_id!r} cannot be exported to SCXML", path=where)
        if (
            isinstance(action, Raise)
            and isinstance(action.event, Event)
            and not action.event.data
            and action.delay is None
        ):
            ET.SubElement(parent, "raise", event=action.event.name)
            return
        if (
            isinstance(action, Send)
            and isinstance(action.event, Event)
            and action.to in (None, "#_internal")
            and (action.delay is None or isinstance(action.delay, (int, float)))
        ):
            el = ET.SubElement(parent, "send", event=action.event.name)
            if action.to:
                el.set("target", action.to)
            if action.delay:
                el.set("delay", f"{action.delay:g}ms")
            if action.id:
                el.set("id", action.id)
            for key, value in (action.event.data or {}).items():
                ET.SubElement(el, "param", name=str(key), expr=_literal(value, where))
            return
        if isinstance(action, Cancel) and isinstance(action.send_id, str):
            ET.SubElement(parent, "cancel", sendid=action.send_id)
            return
        if isinstance(action, Log) and not callable(action.message):
            el = ET.SubElement(parent, "log", expr=_literal(action.message, where))
            if action.label:
                el.set("label", action.label)
            return
        if (
            isinstance(action, Assign)
            and not callable(action.assignments)
            and not any(callable(v) for v in action.assignments.values())
            and action.name == "assign"
        ):
            for key, value in action.assignments.items():
                ET.SubElement(parent, "assign", location=key, expr=_literal(value, where))
            return
        name = getattr(action, "name", "")
        if not name or name.startswith("lambda") or name in ("assign", "raise", "send", "log", "cancel"):
            raise ConfigError(
                f"action {action!r} is not expressible in SCXML: give it a name "
                "(Machine(actions={...})) to export it",
                path=where,
            )
        unique = self.unique(action, name, self.actions_by_name)
        ET.SubElement(parent, f"{{{EXTENSION_NS}}}action", name=unique)

    def actions(self, parent: ET.Element, actions: tuple[Action, ...], node: StateNode) -> None:
        for action in actions:
            self.action(parent, action, node)

    # -- structure ---------------------------------------------------------------------------------
    def transition(self, parent: ET.Element, t: Transition) -> None:
        el = ET.SubElement(parent, "transition")
        if t.events:
            el.set("event", " ".join(dict.fromkeys(t.events)))
        targets = t.targets
        kind = "internal" if t.internal else "external"
        if targets == (t.source,) and t.internal:  # xstate self-transition without reenter
            if t.source.type == "compound" and t.source.initial is not None:
                targets = t.source.initial.targets
            else:
                targets = ()
        if targets:
            el.set("target", " ".join(s.id for s in targets))
            if kind == "internal" and not all(s.is_descendant_of(t.source) for s in targets):
                kind = "external"
            el.set("type", kind)
        if t.guard is not None:
            el.set("cond", self.cond(t.guard, t.source))
        self.actions(el, t.actions, t.source)

    def state(self, parent: ET.Element, node: StateNode) -> None:
        tag = {"parallel": "parallel", "final": "final", "history": "history"}.get(node.type, "state")
        el = ET.SubElement(parent, tag, id=node.id)
        if node.type == "history":
            el.set("type", node.history_type or "shallow")
            if node.history_default is not None:
                self.transition(el, node.history_default)
            return
        if node.type == "compound" and node.initial is not None:
            self.initial(el, node)
        if node.entry:
            self.actions(ET.SubElement(el, "onentry"), node.entry, node)
        if node.exit:
            self.actions(ET.SubElement(el, "onexit"), node.exit, node)
        for t in sorted(node.transitions, key=lambda t: t.order):
            self.transition(el, t)
        if node.type == "final" and node.done_data:
            if callable(node.output):
                raise ConfigError("a computed 'output' cannot be exported", path=self.where(node))
            donedata = ET.SubElement(el, "donedata")
            ET.SubElement(donedata, "content", expr=_literal(node.output, self.where(node)))
        for child in sorted((*node.children, *node.histories), key=lambda n: n.order):
            self.state(el, child)

    def initial(self, el: ET.Element, node: StateNode) -> None:
        assert node.initial is not None
        targets = " ".join(s.id for s in node.initial.targets)
        if node.initial.actions:
            initial = ET.SubElement(el, "initial")
            t = ET.SubElement(initial, "transition", target=targets)
            self.actions(t, node.initial.actions, node)
        else:
            el.set("initial", targets)

    def document(self) -> ET.Element:
        root = self.machine.chart.root
        scxml = ET.Element("scxml", {"version": "1.0", "datamodel": "python", "name": root.id})
        context = self.machine.chart.context
        if callable(context):
            context = context()
        if context:
            datamodel = ET.SubElement(scxml, "datamodel")
            for key, value in context.items():
                if not key.startswith("_"):
                    ET.SubElement(datamodel, "data", id=key, expr=_literal(value, root.path_str))
        if root.type == "parallel":  # <scxml> is compound: the parallel root becomes its only child
            scxml.set("initial", root.id)
            self.state(scxml, root)
            return scxml
        if root.entry or root.exit or root.transitions:
            raise ConfigError("actions or transitions on the root state cannot be exported", path=root.path_str)
        if root.initial is not None:
            self.initial(scxml, root)
        for child in sorted((*root.children, *root.histories), key=lambda n: n.order):
            self.state(scxml, child)
        return scxml


def dump(machine: Machine) -> str:
    """An SCXML document for the machine (``ConfigError`` names what cannot be expressed).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "light", "initial": "green",
    ...              "states": {"green": {"on": {"TIMER": "yellow"}}, "yellow": {}}})
    >>> print(dump(m))  # doctest: +ELLIPSIS
    <scxml xmlns="http://www.w3.org/2005/07/scxml" ... name="light" initial="light.green">
      <state id="light.green">
        <transition event="TIMER" target="light.yellow" type="external" />
      </state>
      <state id="light.yellow" />
    </scxml>
    """
    ET.register_namespace("", SCXML_NS)
    ET.register_namespace("sc", EXTENSION_NS)
    root = _Exporter(machine).document()
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            el.tag = f"{{{SCXML_NS}}}{el.tag}"
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def implementations(machine: Machine) -> dict[str, dict[str, Any]]:
    """The named guards and actions `dump` refers to, as ``load(..., **implementations(m))`` takes.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": {
    ...     "target": "b", "guard": "ok"}}}, "b": {}}}, guards={"ok": lambda c, e: True})
    >>> sorted(implementations(m)["guards"])
    ['ok']
    """
    exporter = _Exporter(machine)
    exporter.document()
    return {"guards": dict(exporter.guards), "actions": dict(exporter.actions_by_name)}
