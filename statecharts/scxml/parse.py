"""SCXML document -> xstate-style config dict with SCXML actions and guards -> `ScxmlMachine`.

The document is read by `statecharts.scxml.reader` (defusedxml: no entity expansion, no external
entities, no DTD), its elements become the executable content of `statecharts.scxml.executable`,
and `Converter` builds the machine, reporting through `statecharts.scxml.diagnostics`. Each state
keeps its document id.
An expression with a syntax error loads and raises ``error.execution`` when evaluated, as SCXML
says; ``load(..., strict=True)`` compiles every expression, location and script at load time and
reports all that fail in one `ConfigError`.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statecharts.actions import to_action
from statecharts.errors import ConfigError
from statecharts.scxml.datamodel import Datamodel, RefusedExpression, check_variable
from statecharts.scxml.diagnostics import Diagnostics
from statecharts.scxml.executable import (
    Assign,
    Block,
    Cancel,
    CancelInvoke,
    CondGuard,
    DataItem,
    Document,
    DoneData,
    Element,
    Foreach,
    If,
    InitData,
    Invoke,
    InvokeDef,
    LogElement,
    NamedActionElement,
    Param,
    Raise,
    Script,
    Send,
)
from statecharts.scxml.reader import (
    EXTENSION_NS,
    ROOT_ID,
    STATE_TAGS,
    children,
    content_value,
    local,
    parse_xml,
    read_document,
    text_of,
    text_value,
)
from statecharts.scxml.session import ScxmlMachine, SessionRegistry


class Converter(Diagnostics):
    """Turns one ``<scxml>`` element into a config dict and the actions it refers to.

    >>> root, at = parse_xml(b'<scxml initial="a"><state id="a"/></scxml>', "doc")
    >>> machine = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry()).machine()
    >>> machine.initial_state().configuration
    ('scxml', 'a')
    """

    def __init__(
        self,
        root: ET.Element,
        positions: dict[ET.Element, tuple[int, int]],
        where: str,
        *,
        trusted: bool,
        base_dir: Path,
        registry: SessionRegistry,
        guards: Mapping[str, Any] | None = None,
        actions: Mapping[str, Any] | None = None,
        strict: bool = False,
        problems: list[tuple[int, int, str]] | None = None,
    ) -> None:
        super().__init__(root, positions, where, strict=strict, problems=problems)
        self.trusted = trusted
        self.base_dir = base_dir
        self.registry = registry
        self.binding = root.get("binding", "early")
        if self.binding not in ("early", "late"):
            self.fail(root, f"binding must be 'early' or 'late', not {self.binding!r}")
        datamodel = root.get("datamodel", "python")
        if datamodel not in ("python", "null"):
            self.fail(root, f"datamodel {datamodel!r} is not supported (use 'python')")
        self.doc = Document(Datamodel(trusted=trusted, guards=guards), root.get("name"))
        self.actions = dict(actions or {})
        self.invoke_ids: dict[str, str] = {}  # explicit <invoke id>s: unique in a document
        self.doc.known_session = registry.known
        self.ids: set[str] = set()
        self.generated = 0
        self.invokes: list[InvokeDef] = []
        self.all_data: list[DataItem] = []
        self.root_id = root.get("name") or ROOT_ID
        for el in root.iter():
            if local(el.tag) in STATE_TAGS and el.get("id"):
                self.ids.add(str(el.get("id")))
        if self.root_id in self.ids:
            self.root_id = ROOT_ID
        while self.root_id in self.ids:
            self.root_id += "_"

    def expr(self, el: ET.Element, attr: str) -> str | None:
        """An expression attribute, refused at load time if the restricted datamodel would refuse it.

        >>> root, at = parse_xml(b'<scxml><transition cond="x &gt; 1" event="e.__class__"/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.expr(root[0], "cond"), c.expr(root[0], "target")
        ('x > 1', None)
        """
        source = el.get(attr)
        if source is None:
            return None
        if self.strict:
            self.compiles(el, attr, source, self.doc.datamodel.compile_expression)
            return source
        try:
            self.doc.datamodel.check(source)
        except RefusedExpression as exc:
            self.fail(el, f"{attr}: {exc} (load(..., trusted=True) lifts the restriction)")
        return source

    def location(self, el: ET.Element, attr: str) -> str | None:
        """A location attribute (``location``, ``idlocation``), checked only in strict mode: a
        location that cannot be assigned to fails at run time (``error.execution``).

        >>> root, at = parse_xml(b'<scxml><assign location="x[" expr="1"/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry(), strict=True)
        >>> c.location(root[0], "location"), c.problems
        ('x[', [(1, 8, "doc: line 1, column 8: <assign>: location='x[': SyntaxError: '[' was never closed")])
        """
        source = el.get(attr)
        if source is not None:
            self.compiles(el, attr, source, self.doc.datamodel.check_location)
        return source

    def state_id(self, el: ET.Element) -> str:
        """A state's id, or a generated ``_stateN`` (the same one each time) when it has none.

        >>> root, at = parse_xml(b'<scxml><state id="a"/><state/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.state_id(root[0]), c.state_id(root[1]), c.state_id(root[1])
        ('a', '_state1', '_state1')
        """
        sid = el.get("id")
        if sid:
            return sid
        sid = el.get("{__generated__}id")
        if sid is None:
            while True:
                self.generated += 1
                sid = f"_state{self.generated}"
                if sid not in self.ids:
                    break
            self.ids.add(sid)
            el.set("{__generated__}id", sid)
        return sid

    # -- the document ----------------------------------------------------------------------------
    def convert(self) -> dict[str, Any]:
        """The whole document as a chart config dict (states, initial, datamodel init).

        >>> root, at = parse_xml(b'<scxml initial="a"><state id="a"/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> config = c.convert()
        >>> config["id"], config["initial"], list(config["states"])
        ('scxml', {'target': ['#a']}, ['a'])
        """
        root = self.root
        if local(root.tag) != "scxml":
            self.fail(root, "the document element must be <scxml>")
        config: dict[str, Any] = {"id": self.root_id}
        entry: list[Any] = []
        states = self.states(root)
        if not states:
            self.fail(root, "an <scxml> document needs at least one state")
        config["states"] = states
        config["initial"] = self.initial(root, states)
        for datamodel in children(root, "datamodel"):
            for data in children(datamodel, "data"):
                self.all_data.append(self.data_item(data))
        if self.binding == "early":
            for el in root.iter():
                if local(el.tag) in STATE_TAGS:
                    for datamodel in children(el, "datamodel"):
                        for data in children(datamodel, "data"):
                            self.all_data.append(self.data_item(data))
        entry.append(InitData(self.doc, tuple(self.all_data)))
        for script in children(root, "script"):
            entry.append(Block((self.script(script),), where="<scxml> <script>"))
        config["entry"] = entry
        return config

    def initial(self, el: ET.Element, states: dict[str, Any]) -> Any:
        """The initial transition: the ``initial`` attribute, an ``<initial>`` child, or the first child.

        >>> root, at = parse_xml(b'<scxml><state id="h" /><state id="a">'
        ...                      b'<state id="a1"/><state id="a2"/></state></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.initial(root, c.states(root)), c.initial(root[1], c.states(root[1]))
        ({'target': ['#h']}, {'target': ['#a1']})
        """
        attr = el.get("initial")
        if attr:
            return {"target": [f"#{ref}" for ref in attr.split()]}
        for child in children(el, "initial"):
            transitions = children(child, "transition")
            if len(transitions) != 1 or not transitions[0].get("target"):
                self.fail(child, "<initial> needs one <transition> with a target")
            t = transitions[0]
            self.transition_keys.setdefault(el, {})["initial"] = [t]
            spec: dict[str, Any] = {"target": [f"#{ref}" for ref in str(t.get("target")).split()]}
            body = self.block(t, f"<initial> of {self.state_id(el) if el is not self.root else 'scxml'}")
            if body is not None:
                spec["actions"] = [body]
            return spec
        for cfg in states.values():
            if cfg.get("type") != "history":
                return {"target": [f"#{cfg['id']}"]}
        self.fail(el, "no child state to enter")
        return None

    def states(self, el: ET.Element) -> dict[str, Any]:
        """The child states of an element as a config ``states`` dict, in document order.

        >>> root, at = parse_xml(b'<scxml><state id="a"/><final id="b.c"/>'
        ...                      b'<parallel id="p"><state id="r"/></parallel></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> {key: cfg.get("type", "atomic") for key, cfg in c.states(root).items()}
        {'a': 'atomic', 'b_c': 'final', 'p': 'parallel'}
        """
        result: dict[str, Any] = {}
        for child in el:
            if local(child.tag) in STATE_TAGS:
                sid = self.state_id(child)
                key = sid.replace(".", "_")
                while key in result:
                    key += "_"
                result[key] = self.state(child)
                self.state_keys.setdefault(el, {})[key] = child
        return result

    def state(self, el: ET.Element) -> dict[str, Any]:
        """One state element as a config dict: its type, children, entry/exit, transitions.

        >>> root, at = parse_xml(b'<scxml><state id="a"><onentry><raise event="x"/></onentry>'
        ...                      b'<transition event="go" target="b"/></state></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> cfg = c.state(root[0])
        >>> cfg["id"], [type(a).__name__ for a in cfg["entry"]], cfg["on"]["go"][0]["target"]
        ('a', ['Block'], ['#b'])
        """
        tag = local(el.tag)
        sid = self.state_id(el)
        cfg: dict[str, Any] = {"id": sid}
        if tag == "history":
            cfg["type"] = "history"
            kind = el.get("type", "shallow")
            if kind not in ("shallow", "deep"):
                self.fail(el, f"type must be 'shallow' or 'deep', not {kind!r}")
            cfg["history"] = kind
            transitions = children(el, "transition")
            if transitions:
                t = transitions[0]
                self.transition_keys.setdefault(el, {})["target"] = [t]
                spec: dict[str, Any] = {
                    "target": [f"#{r}" for r in (t.get("target") or "").split()] or None,
                    "type": "external",
                }
                body = self.block(t, f"<history id={sid!r}> default transition")
                if body is not None:
                    spec["actions"] = [body]
                cfg["target"] = spec
            return cfg
        if tag == "parallel":
            cfg["type"] = "parallel"
        elif tag == "final":
            cfg["type"] = "final"
        states = self.states(el)
        if states:
            cfg["states"] = states
            if tag == "state":
                cfg["initial"] = self.initial(el, states)
        elif tag == "parallel":
            self.fail(el, "a <parallel> needs child states")
        entry: list[Any] = []
        exit_: list[Any] = []
        if self.binding == "late":
            items = tuple(self.data_item(d) for dm in children(el, "datamodel") for d in children(dm, "data"))
            if items:
                entry.append(InitData(self.doc, items, sid))
        for index, onentry in enumerate(children(el, "onentry")):
            body = self.block(onentry, f"<onentry> of {sid!r}" + (f" #{index + 1}" if index else ""))
            if body is not None:
                entry.append(body)
        for index, onexit in enumerate(children(el, "onexit")):
            body = self.block(onexit, f"<onexit> of {sid!r}" + (f" #{index + 1}" if index else ""))
            if body is not None:
                exit_.append(body)
        for index, invoke in enumerate(children(el, "invoke")):
            explicit = invoke.get("id")
            if explicit:
                if explicit in self.invoke_ids:
                    self.fail(
                        invoke,
                        f"duplicate invoke id {explicit!r} (also in state "
                        f"{self.invoke_ids[explicit]!r}): its done.invoke events would be ambiguous",
                    )
                self.invoke_ids[explicit] = sid
            definition = self.invoke(invoke, sid, index)
            entry.append(Invoke(self.doc, definition))
            exit_.append(CancelInvoke(definition.static_id))
        if entry:
            cfg["entry"] = entry
        if exit_:
            cfg["exit"] = exit_
        if tag == "final":
            for donedata in children(el, "donedata"):
                cfg["output"] = self.donedata(donedata)
            if children(el, "transition"):
                self.fail(el, "a <final> state cannot have transitions")
            return cfg
        on: dict[str, list[Any]] = {}
        always: list[Any] = []
        last_key: str | None = None
        for t in children(el, "transition"):
            spec = self.transition(t, sid)
            event = t.get("event")
            if event is None or not event.split():
                if event is not None:
                    self.fail(t, "an empty event attribute")
                always.append(spec)
                self.transition_keys.setdefault(el, {}).setdefault("always", []).append(t)
                continue
            key = " ".join(event.split())
            while key in on and key != last_key:  # keep document order across descriptors
                key = f"{key} {event.split()[0]}"
            on.setdefault(key, []).append(spec)
            self.transition_keys.setdefault(el, {}).setdefault(f"on.{key}", []).append(t)
            last_key = key
        if on:
            cfg["on"] = on
        if always:
            cfg["always"] = always
        return cfg

    def transition(self, t: ET.Element, sid: str) -> dict[str, Any]:
        """A ``<transition>`` as a config transition: targets, SCXML type, ``cond`` guard, body.

        >>> root, at = parse_xml(b'<scxml><transition cond="n &gt; 1" target="b c" type="internal"/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> spec = c.transition(root[0], "a")
        >>> spec["target"], spec["type"], spec["guard"].cond
        (['#b', '#c'], 'internal', 'n > 1')
        """
        kind = t.get("type", "external")
        if kind not in ("internal", "external"):
            self.fail(t, f"type must be 'internal' or 'external', not {kind!r}")
        target = t.get("target")
        spec: dict[str, Any] = {"target": [f"#{r}" for r in target.split()] if target else None, "type": kind}
        cond = t.get("cond")
        if cond is not None and cond.strip():  # an empty cond is no condition
            spec["guard"] = CondGuard(self.doc, str(self.expr(t, "cond")), name=cond)
        label = f"<transition event={t.get('event')!r}> of {sid!r}" if t.get("event") else f"<transition> of {sid!r}"
        body = self.block(t, f"{label} (line {self.line(t)})")
        if body is not None:
            spec["actions"] = [body]
        return spec

    # -- data ----------------------------------------------------------------------------------
    def data_item(self, el: ET.Element) -> DataItem:
        """A ``<data>`` element: its id with an expression, a file's value or inline content.

        >>> root, at = parse_xml(b'<scxml><data id="n" expr="1 + 1"/><data id="xs">[1, 2]</data></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.data_item(root[0]), c.data_item(root[1]).value
        (DataItem(id='n', expr='1 + 1', value=None, line=1), [1, 2])
        """
        did = el.get("id")
        if not did:
            self.fail(el, "<data> needs an id")
        assert did is not None
        expr = self.expr(el, "expr")
        src = el.get("src")
        if expr is not None:
            return DataItem(did, expr=expr, line=self.line(el))
        if src is not None:
            return DataItem(did, value=text_value(self.read_src(el, src), src), line=self.line(el))
        if text_of(el).strip():
            return DataItem(did, value=content_value(el), line=self.line(el))
        return DataItem(did, line=self.line(el))

    def read_src(self, el: ET.Element, src: str) -> str:
        """The text of a ``src`` file, relative to the document's folder (trusted documents only).

        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "n.txt").write_text("42")
        >>> root, at = parse_xml(b'<scxml><data id="n" src="n.txt"/></scxml>', "doc")
        >>> trusted = Converter(root, at, "doc", trusted=True, base_dir=folder, registry=SessionRegistry())
        >>> trusted.read_src(root[0], "n.txt")
        '42'
        >>> untrusted = Converter(root, at, "doc", trusted=False, base_dir=folder, registry=SessionRegistry())
        >>> untrusted.read_src(root[0], "n.txt")
        Traceback (most recent call last):
            ...
        statecharts.errors.ConfigError: doc: line 1, column 8: <data>: src='n.txt': reading files needs load(...)
        """
        if not self.trusted:
            self.fail(el, f"src={src!r}: reading files needs load(..., trusted=True)")
        path = src[5:] if src.startswith("file:") else src
        full = (self.base_dir / path) if not os.path.isabs(path) else Path(path)
        try:
            return full.read_text(encoding="utf-8-sig")
        except OSError as exc:
            self.fail(el, f"src={src!r}: {exc.strerror}")
            return ""

    def donedata(self, el: ET.Element) -> DoneData:
        """A final state's ``<donedata>``: its ``<content>`` or its ``<param>`` children.

        >>> root, at = parse_xml(b'<scxml><donedata><param name="total" expr="1 + 2"/></donedata></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> from statecharts import Event
        >>> c.donedata(root[0])({}, Event("done"))
        {'total': 3}
        """
        contents = children(el, "content")
        if contents:
            c = contents[0]
            expr = self.expr(c, "expr")
            return DoneData(self.doc, content_expr=expr, content=None if expr else content_value(c), has_content=True)
        return DoneData(self.doc, params=self.params(el))

    def params(self, el: ET.Element) -> tuple[Param, ...]:
        """The ``<param>`` children of an element.

        >>> root, at = parse_xml(b'<scxml><send><param name="a" expr="1"/>'
        ...                      b'<param name="b" location="x"/></send></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.params(root[0])
        (Param(name='a', expr='1', location=None), Param(name='b', expr=None, location='x'))
        """
        result = []
        for p in children(el, "param"):
            name = p.get("name")
            if not name:
                self.fail(p, "<param> needs a name")
            result.append(Param(str(name), self.expr(p, "expr"), self.expr(p, "location")))
        return tuple(result)

    # -- executable content --------------------------------------------------------------------
    def block(self, el: ET.Element, where: str) -> Block | None:
        """An element's executable content as one `Block` (``None`` when it has none).

        >>> root, at = parse_xml(b'<scxml><onentry><raise event="a"/>'
        ...                      b'<raise event="b"/></onentry><onexit/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> [e.event for e in c.block(root[0], "<onentry>").elements], c.block(root[1], "<onexit>")
        (['a', 'b'], None)
        """
        elements = self.content(el)
        return Block(elements, where=where) if elements else None

    def content(self, el: ET.Element) -> tuple[Element, ...]:
        """The executable elements among an element's children, in order.

        >>> root, at = parse_xml(b'<scxml><onentry><raise event="a"/><log expr="1"/></onentry></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> [e.tag for e in c.content(root[0])]
        ['raise', 'log']
        """
        result: list[Element] = []
        for child in el:
            made = self.executable(child)
            if made is not None:
                result.append(made)
        return tuple(result)

    def executable(self, el: ET.Element) -> Element | None:
        """One executable content element (``None`` for a comment or a foreign element).

        >>> root, at = parse_xml(b'<scxml><cancel sendid="s1"/><state/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.executable(root[0]).sendid
        's1'
        >>> c.executable(root[1])
        Traceback (most recent call last):
            ...
        statecharts.errors.ConfigError: doc: line 1, column 29: <state>: is not executable content
        """
        tag = local(el.tag)
        line = self.line(el)
        doc = self.doc
        if tag == "raise":
            event = el.get("event")
            if not event:
                self.fail(el, "<raise> needs an event")
            return Raise(doc, line, event=str(event))
        if tag == "log":
            return LogElement(doc, line, label=el.get("label"), expr=self.expr(el, "expr"))
        if tag == "assign":
            location = self.location(el, "location") or ""  # a missing one fails at run time (error.execution)
            if location == "" and self.strict:
                self.problem(el, "location is missing")
            expr = self.expr(el, "expr")
            content = None if expr is not None else content_value(el)
            return Assign(doc, line, location=str(location), expr=expr, content=content)
        if tag == "script":
            return self.script(el)
        if tag == "if":
            return self.if_(el)
        if tag == "foreach":
            array, item = self.expr(el, "array"), el.get("item")
            if array is None or item is None:
                self.fail(el, "<foreach> needs array and item")
            for attr in ("item", "index"):
                if el.get(attr) is not None:
                    self.compiles(el, attr, str(el.get(attr)), check_variable)
            return Foreach(doc, line, array=str(array), item=str(item), index=el.get("index"), body=self.content(el))
        if tag == "send":
            return self.send(el)
        if tag == "cancel":
            if el.get("sendid") is None and el.get("sendidexpr") is None:
                self.fail(el, "<cancel> needs sendid or sendidexpr")
            return Cancel(doc, line, sendid=el.get("sendid"), sendidexpr=self.expr(el, "sendidexpr"))
        if el.tag == f"{{{EXTENSION_NS}}}action":
            name = str(el.get("name"))
            if name not in self.actions:
                self.fail(el, f"unknown action {name!r}: pass it in load(..., actions={{...}})")
            return NamedActionElement(doc, line, action=to_action(self.actions[name]))
        if tag is None:
            return None
        self.fail(el, "is not executable content")
        return None

    def script(self, el: ET.Element) -> Script:
        """A ``<script>`` (inline or ``src``), refused unless the document is trusted.

        >>> root, at = parse_xml(b'<scxml><script>x = 1</script></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=True, base_dir=Path("."), registry=SessionRegistry())
        >>> c.script(root[0]).source
        'x = 1'
        """
        if not self.trusted:
            self.fail(el, "<script> runs arbitrary code: load(..., trusted=True) to allow it")
        src = el.get("src")
        source = self.read_src(el, src) if src is not None else (el.text or "")
        if self.strict:
            try:
                self.doc.datamodel.compile_script(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                origin = f"src={src!r}, " if src is not None else ""
                if isinstance(exc, SyntaxError):
                    text = (exc.text or "").strip()
                    detail = f"{origin}script line {exc.lineno} {text!r}: SyntaxError: {exc.msg}"
                else:
                    detail = f"{origin}script: {type(exc).__name__}: {exc}"
                self.problem(el, detail)
        return Script(self.doc, self.line(el), source=source)

    def if_(self, el: ET.Element) -> If:
        """An ``<if>`` with its ``<elseif>``/``<else>`` branches.

        >>> root, at = parse_xml(b'<scxml><if cond="x"><raise event="a"/>'
        ...                      b'<elseif cond="y"/><else/><raise event="c"/></if></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> [(cond, [e.event for e in body]) for cond, body in c.if_(root[0]).branches]
        [('x', ['a']), ('y', []), (None, ['c'])]
        """
        branches: list[tuple[str | None, tuple[Element, ...]]] = []
        cond = self.expr(el, "cond")
        if cond is None:
            self.fail(el, "<if> needs a cond")
        current: list[Element] = []
        for child in el:
            tag = local(child.tag)
            if tag in ("elseif", "else"):
                branches.append((cond, tuple(current)))
                current = []
                cond = self.expr(child, "cond") if tag == "elseif" else None
                if tag == "elseif" and cond is None:
                    self.fail(child, "<elseif> needs a cond")
                continue
            made = self.executable(child)
            if made is not None:
                current.append(made)
        branches.append((cond, tuple(current)))
        return If(self.doc, self.line(el), branches=tuple(branches))

    def send(self, el: ET.Element) -> Send:
        """A ``<send>`` with its attributes, namelist, ``<param>`` and ``<content>``.

        >>> root, at = parse_xml(b'<scxml><send event="ping" delay="1s" namelist="a b">'
        ...                      b'<param name="c" expr="1"/></send></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> send = c.send(root[0])
        >>> send.event, send.delay, send.namelist, [p.name for p in send.params]
        ('ping', '1s', ('a', 'b'), ['c'])
        """
        contents = children(el, "content")
        content_expr = None
        content = None
        if contents:
            content_expr = self.expr(contents[0], "expr")
            if content_expr is None:
                content = content_value(contents[0])
        for a, b in (
            ("event", "eventexpr"),
            ("target", "targetexpr"),
            ("type", "typeexpr"),
            ("id", "idlocation"),
            ("delay", "delayexpr"),
        ):
            if el.get(a) is not None and el.get(b) is not None:
                self.fail(el, f"{a} and {b} cannot both be given")
        return Send(
            self.doc,
            self.line(el),
            event=el.get("event"),
            eventexpr=self.expr(el, "eventexpr"),
            target=el.get("target"),
            targetexpr=self.expr(el, "targetexpr"),
            type=el.get("type"),
            typeexpr=self.expr(el, "typeexpr"),
            id=el.get("id"),
            idlocation=self.location(el, "idlocation"),
            delay=el.get("delay"),
            delayexpr=self.expr(el, "delayexpr"),
            namelist=tuple((el.get("namelist") or "").split()),
            params=self.params(el),
            content_expr=content_expr,
            content=content,
            has_content=bool(contents),
        )

    def invoke(self, el: ET.Element, sid: str, index: int) -> InvokeDef:
        """An ``<invoke>`` as an `InvokeDef` (inline ``<content>`` documents become machines).

        >>> root, at = parse_xml(b'<scxml><invoke id="kid"><content><scxml>'
        ...                      b'<state id="c"/></scxml></content></invoke></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> definition = c.invoke(root[0], "a", 0)
        >>> definition.static_id, definition.content.initial_state().configuration
        ('kid', ('scxml', 'c'))
        """
        contents = children(el, "content")
        content_expr = None
        content = None
        if contents:
            content_expr = self.expr(contents[0], "expr")
            if content_expr is None:
                inner = [c for c in contents[0] if local(c.tag) == "scxml"]
                if inner:
                    content = self.child_machine(inner[0])
                else:
                    content = self.child_machine_text(contents[0], text_of(contents[0]))
        src = el.get("src")
        if src is not None and not self.trusted:
            self.fail(el, f"src={src!r}: reading files needs load(..., trusted=True)")
        if el.get("srcexpr") is not None and not self.trusted:
            self.fail(el, "srcexpr: reading files needs load(..., trusted=True)")
        finalize = None
        for f in children(el, "finalize"):
            finalize = self.block(f, f"<finalize> of <invoke> in {sid!r}")
        definition = InvokeDef(
            sid,
            index,
            self.line(el),
            type=el.get("type"),
            typeexpr=self.expr(el, "typeexpr"),
            src=src,
            srcexpr=self.expr(el, "srcexpr"),
            id=el.get("id"),
            idlocation=self.location(el, "idlocation"),
            namelist=tuple((el.get("namelist") or "").split()),
            params=self.params(el),
            content_expr=content_expr,
            content=content,
            autoforward=el.get("autoforward", "false") == "true",
            finalize=finalize,
        )
        self.invokes.append(definition)
        return definition

    def child_machine(self, el: ET.Element) -> ScxmlMachine:
        """The machine of an ``<scxml>`` nested in an ``<invoke>``'s ``<content>``.

        >>> root, at = parse_xml(b'<scxml><content><scxml><state id="c"/></scxml></content></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> c.child_machine(root[0][0]).initial_state().configuration
        ('scxml', 'c')
        """
        converter = Converter(
            el,
            self.positions,
            self.where,
            trusted=self.trusted,
            base_dir=self.base_dir,
            registry=self.registry,
            guards=self.doc.datamodel.guards,
            actions=self.actions,
            strict=self.strict,
            problems=self.problems,
        )
        return converter.machine()

    def child_machine_text(self, el: ET.Element, text: str) -> ScxmlMachine:
        """The machine of an SCXML document given as ``<content>`` text.

        >>> root, at = parse_xml(b'<scxml><content/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> text = '<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="c"/></scxml>'
        >>> c.child_machine_text(root[0], text).initial_state().configuration
        ('scxml', 'c')
        """
        try:
            return load(
                text.strip(), trusted=self.trusted, base_dir=self.base_dir, registry=self.registry, strict=self.strict
            )
        except ConfigError as exc:
            self.fail(el, f"inline <content> does not load as an SCXML document: {exc}")
            raise

    def machine(self) -> ScxmlMachine:
        """The document as an `ScxmlMachine` (a compile error points at the element at fault).

        >>> root, at = parse_xml(b'<scxml initial="a"><state id="a">'
        ...                      b'<transition event="go" target="b"/></state><state id="b"/></scxml>', "doc")
        >>> c = Converter(root, at, "doc", trusted=False, base_dir=Path("."), registry=SessionRegistry())
        >>> m = c.machine()
        >>> m.transition(m.initial_state(), "go").configuration
        ('scxml', 'b')
        """
        config = self.convert()
        if self.problems and self.reports_problems:
            raise self.strict_error()
        try:
            return ScxmlMachine(
                config,
                document=self.doc,
                invokes=tuple(self.invokes),
                registry=self.registry,
                base_dir=self.base_dir,
                trusted=self.trusted,
                where=self.where,
                loader=load,
            )
        except ConfigError as exc:
            raise self.located(exc, self.root_id) from exc


def load(
    source: str | bytes | os.PathLike[str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    trusted: bool = False,
    base_dir: str | Path | None = None,
    registry: SessionRegistry | None = None,
    guards: Mapping[str, Any] | None = None,
    actions: Mapping[str, Any] | None = None,
    strict: bool = False,
) -> ScxmlMachine:
    """Load an SCXML document as a machine: its text (``str`` or ``bytes``), or a file given as a
    `pathlib.Path` or ``path=...`` (`load_file`). Text is always text: a ``str`` that does not
    start with ``<`` is refused, never read as a file name, so content from a document can never
    make the loader read a file.

    ``trusted=True`` allows ``<script>``, file reads (``src``) and unrestricted expressions.
    ``guards`` and ``actions`` give the implementations of named guards (``cond="guard('name')"``)
    and named actions (``<sc:action name="..."/>``), as `dump` writes them.

    >>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a" datamodel="python">'
    ...          '<state id="a"><transition event="go" target="b"/></state><final id="b"/></scxml>')
    >>> m.transition(m.initial_state(), "go").configuration
    ('scxml', 'b')

    By default an expression that does not compile loads, and raises ``error.execution`` when it
    runs (as SCXML requires). ``strict=True`` compiles every expression, location and ``<script>``
    at load time, with the datamodel's own rules, and raises one `ConfigError` naming them all:

    >>> bad = ('<scxml xmlns="http://www.w3.org/2005/07/scxml">\\n<state id="a">\\n'
    ...        '<transition event="go" cond="x &gt;" target="a"/>\\n'
    ...        '<onentry><log expr="len(x"/></onentry></state></scxml>')
    >>> _ = load(bad)
    >>> load(bad, strict=True)
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: <string>: 2 expressions or scripts do not compile (load(..., strict=True)):
      <string>: line 3, column 1: <transition>: cond='x >': SyntaxError: invalid syntax
      <string>: line 4, column 10: <log>: expr='len(x': SyntaxError: '(' was never closed

    >>> load("machine.scxml")
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: SCXML text must start with '<' (got 'machine.scxml'); to read a file pass ...
    """
    where = "<string>"
    if path is not None:
        if source is not None:
            raise ConfigError("load() takes the document's text or path=..., not both")
        source = Path(path)
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str):
        if not source.lstrip("\ufeff \t\r\n").startswith("<"):
            raise ConfigError(
                f"SCXML text must start with '<' (got {source[:40]!r}); to read a file pass a "
                "pathlib.Path, load(path=...) or load_file(...)"
            )
        data = source.encode("utf-8")
    elif isinstance(source, os.PathLike):
        file = Path(source)
        data = read_document(file)
        where = str(file)
        if base_dir is None:
            base_dir = file.parent
    else:
        raise ConfigError(f"load() takes SCXML text, bytes or a pathlib.Path, not {type(source).__name__}")
    root, positions = parse_xml(data, where)
    converter = Converter(
        root,
        positions,
        where,
        trusted=trusted,
        base_dir=Path(base_dir or "."),
        registry=registry or SessionRegistry(),
        guards=guards,
        actions=actions,
        strict=strict,
    )
    return converter.machine()


def load_file(path: str | os.PathLike[str], **options: Any) -> ScxmlMachine:
    """Load the SCXML document in the file ``path`` (``options`` as `load` takes them).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.scxml").write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"/></scxml>')
    >>> load_file(str(folder / "m.scxml")).initial_state().configuration
    ('scxml', 'a')
    """
    return load(path=path, **options)
