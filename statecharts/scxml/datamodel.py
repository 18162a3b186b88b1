"""The Python datamodel: expressions, scripts and locations evaluated in a per-session namespace.

The datamodel's variables live in the snapshot's context (so a loaded machine stays an ordinary
machine); each evaluation builds a namespace from the context plus ``_event`` and ``In``. By
default (untrusted) expressions are checked at load (`check_restricted`: no imports, lambdas,
dunder or private names, calls only to allow-listed builtins and methods) and run by the
`statecharts.scxml.sandbox.Sandbox` interpreter, never by ``eval``; ``<script>`` needs
``trusted=True``. ``<assign>`` copies only the containers on the path it writes (see
``docs/sandbox.md``).
"""

from __future__ import annotations

import ast
import builtins
import copy
import keyword
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from statecharts.event import Event
from statecharts.frozen import FrozenDict, thawed, writable  # noqa: F401 - the doctests use FrozenDict
from statecharts.scxml.sandbox import BUILTINS, METHODS, NODES, Sandbox, SandboxLimit, charged, spend

SYSTEM_VARIABLES = ("_event", "_sessionid", "_name", "_ioprocessors", "_x")

RUNNING_SESSION: ContextVar[str | None] = ContextVar("scxml_running_session", default=None)
"""The id of the SCXML session whose step runs here (`statecharts.scxml.session.ScxmlSession` sets it
around its steps; a context variable, so each thread sees its own); ``None`` outside a session
(``machine.transition``, the walker), where a document reads its machine's own id."""


def no_system_variables() -> Mapping[str, Any]:
    """The system variables of a datamodel no document has claimed: none."""
    return {}


SCXML_PROCESSOR = "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"

SAFE_BUILTIN_NAMES = tuple(BUILTINS)
"""Names an untrusted expression may call (the sandbox's builtins); checked at load time too."""
SAFE_METHODS = frozenset().union(*METHODS.values())
"""Method names an untrusted expression may call on some type (the sandbox checks the type)."""
_INTROSPECTION_PREFIXES = ("gi_", "f_", "tb_", "cr_", "ag_", "co_", "func_", "im_")


class RefusedExpression(ValueError):
    """The restricted evaluator refused an expression (a construct outside its allow-list).

    >>> Datamodel().check("open('/etc/passwd').read()")
    Traceback (most recent call last):
        ...
    statecharts.scxml.datamodel.RefusedExpression: "open('/etc/passwd').read()": calling method 'read' is not allowed
    """


class Record(dict):  # type: ignore[type-arg]
    """A dict whose keys also read as attributes (``_event.data.aParam``).

    >>> Record(a=1).a
    1
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def thaw(value: Any) -> Any:
    """A plain, mutable copy of frozen event data (FrozenDict -> Record, recursively).

    >>> thaw(FrozenDict(a=FrozenDict(b=1)))
    {'a': {'b': 1}}
    """
    if isinstance(value, Mapping) and not isinstance(value, Record):
        return Record({k: thaw(v) for k, v in value.items()})
    return value


class EventView:
    """SCXML's ``_event``: name, type, sendid, origin, origintype, invokeid, data.

    >>> from statecharts.scxml.events import ScxmlEvent
    >>> e = EventView(ScxmlEvent("go", {"x": 1}, kind="internal"))
    >>> e.name, e.type, e.data.x
    ('go', 'internal', 1)
    """

    __slots__ = ("_event",)

    def __init__(self, event: Event) -> None:
        self._event = event

    @property
    def name(self) -> str:
        """The event's name (``_event.name``).

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> EventView(ScxmlEvent("go.now", {"x": 1})).name
        'go.now'
        """
        return self._event.name

    @property
    def type(self) -> str:
        """``internal``, ``external`` or ``platform`` (errors and done events when not told).

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> [EventView(e).type for e in (ScxmlEvent("go", kind="internal"), Event("go"), Event("error.x"))]
        ['internal', 'external', 'platform']
        """
        kind = getattr(self._event, "kind", None)
        if kind:
            return str(kind)
        return "platform" if self._event.name.startswith(("error.", "done.")) else "external"

    @property
    def sendid(self) -> str | None:
        """The id of the ``<send>`` that sent the event, if any.

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> EventView(ScxmlEvent("go", sendid="s1")).sendid, EventView(Event("go")).sendid
        ('s1', None)
        """
        return getattr(self._event, "sendid", None)

    @property
    def origin(self) -> str | None:
        """Where to send a reply: the sender's session URI, if any.

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> EventView(ScxmlEvent("go", origin="#_scxml_1")).origin
        '#_scxml_1'
        """
        return getattr(self._event, "origin", None)

    @property
    def origintype(self) -> str | None:
        """The sender's I/O processor type (the SCXML one compares equal to ``'scxml'``).

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> EventView(ScxmlEvent("go", origintype=SCXML_PROCESSOR)).origintype == "scxml"
        True
        """
        origintype = getattr(self._event, "origintype", None)
        return ProcessorType(origintype) if origintype == SCXML_PROCESSOR else origintype

    @property
    def invokeid(self) -> str | None:
        """The id of the invoked session the event came from, if any.

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> EventView(ScxmlEvent("done", invokeid="child")).invokeid
        'child'
        """
        return getattr(self._event, "invokeid", None)

    @property
    def data(self) -> Any:
        """A mutable copy of the payload as sent (``None`` for none); keys read as attributes.

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> data = EventView(ScxmlEvent("go", {"x": {"y": 1}})).data
        >>> data.x.y, EventView(Event("go")).data
        (1, None)
        """
        payload = getattr(self._event, "payload", _MISSING)
        if payload is not _MISSING:
            return thaw(copy.deepcopy(payload))
        data = self._event.data
        if isinstance(data, Mapping) and not data:
            return None
        return thaw(data)

    @property
    def raw(self) -> str:
        """The payload's text (``repr`` of `data`).

        >>> from statecharts.scxml.events import ScxmlEvent
        >>> EventView(ScxmlEvent("go", [1, 2])).raw
        '[1, 2]'
        """
        return repr(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventView) and other._event is self._event

    def __hash__(self) -> int:
        return id(self._event)

    def __repr__(self) -> str:
        return f"_event({self.name!r}, type={self.type!r})"


class ProcessorType(str):
    """The SCXML I/O processor's type URI, also equal to its short name ``'scxml'``.

    The spec names the processor by its URI; the ``type`` attribute also accepts ``scxml``, and
    documents compare ``_event.origintype`` with either spelling.

    >>> t = ProcessorType(SCXML_PROCESSOR)
    >>> t == "scxml", t == SCXML_PROCESSOR, t == "basichttp"
    (True, True, False)
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other == "scxml":
            return True
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


_MISSING = object()


def check_restricted(tree: ast.AST, source: str) -> None:
    """Raise `RefusedExpression` unless every node of ``tree`` is on the allow-list.

    >>> check_restricted(ast.parse("len(x) + 1", mode="eval"), "len(x) + 1")
    >>> check_restricted(ast.parse("().__class__", mode="eval"), "().__class__")
    Traceback (most recent call last):
    ...
    statecharts.scxml.datamodel.RefusedExpression: '().__class__': attribute '__class__' is not allowed
    """
    for node in ast.walk(tree):
        if not isinstance(node, NODES):
            raise RefusedExpression(f"{source!r}: {type(node).__name__} is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise RefusedExpression(f"{source!r}: name {node.id!r} is not allowed")
        if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr.startswith(_INTROSPECTION_PREFIXES)
        ):
            raise RefusedExpression(f"{source!r}: attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in SAFE_BUILTIN_NAMES and func.id not in ("In", "guard"):
                    raise RefusedExpression(f"{source!r}: calling {func.id!r} is not allowed")
            elif isinstance(func, ast.Attribute):
                if func.attr not in SAFE_METHODS:
                    raise RefusedExpression(f"{source!r}: calling method {func.attr!r} is not allowed")
            else:
                raise RefusedExpression(f"{source!r}: calling a {type(func).__name__} is not allowed")


class Datamodel:
    """Compiles and evaluates Python expressions and statements for one document.

    >>> dm = Datamodel(trusted=False)
    >>> dm.evaluate("Var1 + 1", {"Var1": 1}, None, lambda s: False)
    2
    >>> dm.evaluate("__import__('os')", {}, None, lambda s: False)
    Traceback (most recent call last):
    ...
    statecharts.scxml.datamodel.RefusedExpression: "__import__('os')": calling '__import__' is not allowed
    """

    def __init__(self, trusted: bool = False, guards: Mapping[str, Any] | None = None) -> None:
        from statecharts.guards import to_guard

        self.trusted = trusted
        self.guards = {name: to_guard(g) for name, g in (guards or {}).items()}
        self._expressions: dict[str, Any] = {}
        self._scripts: dict[str, Any] = {}
        self._names: dict[str, frozenset[str]] = {}
        self.sandbox = Sandbox()
        #: SCXML's ``_sessionid``, ``_name``, ``_ioprocessors`` and ``_x`` for the step running now
        #: (`statecharts.scxml.session.ScxmlMachine` sets it): read when a namespace is built, never
        #: stored in a snapshot's context.
        self.system_variables: Callable[[], Mapping[str, Any]] = no_system_variables
        if trusted:
            self.builtins: dict[str, Any] = dict(vars(builtins))
        else:
            self.builtins = {}  # untrusted expressions see the sandbox's own builtins

    # -- checking at load time -------------------------------------------------------------------
    def check(self, source: str) -> None:
        """Refuse (`RefusedExpression`) what the restricted evaluator will not run; syntax errors
        are left for run time, where SCXML turns them into ``error.execution``.

        >>> dm = Datamodel()
        >>> dm.check("x + 1"), dm.check("x +")  # a syntax error waits for run time
        (None, None)
        >>> dm.check("x.__class__")
        Traceback (most recent call last):
            ...
        statecharts.scxml.datamodel.RefusedExpression: 'x.__class__': attribute '__class__' is not allowed
        """
        if self.trusted:
            return
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError:
            return
        check_restricted(tree, source)

    # -- evaluation ------------------------------------------------------------------------------
    def compile_expression(self, source: str) -> Any:
        """The compiled form of an expression, checked first unless trusted (cached): Python code
        for a trusted document, the checked tree the `Sandbox` interprets otherwise.

        >>> dm = Datamodel()
        >>> dm.compile_expression("x + 1") is dm.compile_expression("x + 1")
        True
        >>> eval(Datamodel(trusted=True).compile_expression("x + 1"), {"x": 1})
        2
        """
        code = self._expressions.get(source)
        if code is None:
            if self.trusted:
                code = compile(ast.parse(source.strip(), mode="eval"), "<scxml expr>", "eval")
            else:
                code = self.sandbox.tree(source)
                check_restricted(code, source)
            self._expressions[source] = code
        return code

    def namespace(
        self,
        context: Mapping[str, Any],
        event: Event | None,
        in_state: Callable[[str], bool],
        copy_values: bool = False,
    ) -> dict[str, Any]:
        """The globals an expression sees: datamodel variables, ``_event``, ``In`` (and, hidden
        behind ``__`` names no expression can read, what the sandbox needs).

        >>> ns = Datamodel().namespace({"x": 1}, Event("go", a=2), lambda ref: ref == "on")
        >>> sorted(ns), ns["_event"].data.a, ns["In"]("on")
        (['In', '__builtins__', '__host__', '__step__', '_event', 'x'], 2, True)
        """
        ns: dict[str, Any] = {"__builtins__": self.builtins}
        for key, value in context.items():
            if key.startswith("__"):
                continue
            ns[key] = _copy(value) if copy_values else value
        ns.update(self.system_variables())
        ns["_event"] = EventView(event) if event is not None and event.name != "xstate.init" else None
        ns["In"] = in_state
        if not self.trusted:  # what the sandbox needs: its host callables, each call charged, and the macrostep
            ns["__step__"] = getattr(in_state, "__self__", in_state)
            ns["In"] = charged(in_state)
            ns["__host__"] = (ns["In"],)
        if self.guards:
            guards = self.guards

            def guard(name: str) -> bool:
                return bool(guards[name].test(context, event, in_state))  # type: ignore[arg-type]

            ns["guard"] = guard if self.trusted else charged(guard)
            if not self.trusted:
                ns["__host__"] = (ns["In"], ns["guard"])
        return ns

    def isolate(self, source: str, ns: dict[str, Any]) -> None:
        """In a trusted document, replace the variables ``source`` names by deep copies, so a
        Python expression that changes a value in place (``items.append(1) or items``) cannot
        change the snapshot it read; other variables are not copied. Untrusted expressions cannot
        change anything in place: nothing to do.

        >>> dm = Datamodel(trusted=True)
        >>> items, other = [1], [2]
        >>> ns = {"items": items, "other": other}
        >>> dm.isolate("items.append(3) or items", ns)
        >>> ns["items"] is items, ns["other"] is other
        (False, True)
        """
        if not self.trusted:
            return
        names = self._names.get(source)
        if names is None:
            try:
                tree = ast.parse(source.strip(), mode="eval")
            except SyntaxError:
                return
            names = self._names[source] = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
        for name in names:
            if name in ns and not name.startswith("__") and name not in ("_event", "In", "guard"):
                ns[name] = _copy(ns[name])

    def spend(self, ns: Mapping[str, Any], units: int) -> None:
        """Charge ``units`` of work done outside an expression (a ``<foreach>`` round) to the
        macrostep's budget of an untrusted document (`SandboxLimit` once it is spent).

        >>> Datamodel().spend(Datamodel().namespace({}, None, lambda ref: False), 1)
        """
        if not self.trusted:
            spend(ns.get("__step__"), units)

    def evaluate(
        self, source: str, context: Mapping[str, Any], event: Event | None, in_state: Callable[[str], bool]
    ) -> Any:
        """The value of an expression (exceptions propagate: the caller raises error.execution).

        >>> Datamodel().evaluate("x + _event.data.a", {"x": 1}, Event("go", a=2), lambda ref: False)
        3
        """
        code = self.compile_expression(source)
        if self.trusted:
            ns = self.namespace(context, event, in_state)
            self.isolate(source, ns)
            return eval(code, ns)  # noqa: S307 - trusted documents only
        return self.sandbox.run(code.body, self.namespace(context, event, in_state))

    def evaluate_in(self, source: str, ns: dict[str, Any]) -> Any:
        """The value of an expression in a namespace built by `namespace` (and maybe changed).

        >>> dm = Datamodel()
        >>> ns = dm.namespace({"x": 1}, None, lambda ref: False)
        >>> ns["x"] = 41
        >>> dm.evaluate_in("x + 1", ns)
        42
        """
        code = self.compile_expression(source)
        if self.trusted:
            return eval(code, ns)  # noqa: S307 - trusted documents only
        return self.sandbox.run(code.body, ns)

    def execute_script(self, source: str, ns: dict[str, Any]) -> None:
        """Run a ``<script>`` body in the namespace (trusted documents only).

        >>> dm = Datamodel(trusted=True)
        >>> ns = dm.namespace({"x": 1}, None, lambda ref: False)
        >>> dm.execute_script("x = x + 1", ns); ns["x"]
        2
        >>> Datamodel().execute_script("x = 2", {})
        Traceback (most recent call last):
            ...
        statecharts.scxml.datamodel.RefusedExpression: <script> needs load(..., trusted=True)
        """
        if not self.trusted:
            raise RefusedExpression("<script> needs load(..., trusted=True)")
        exec(self.compile_script(source), ns)  # noqa: S102 - trusted documents only

    def compile_script(self, source: str) -> Any:
        """The compiled code of a ``<script>`` body, dedented (cached; a syntax error propagates).

        >>> dm = Datamodel(trusted=True)
        >>> dm.compile_script("  x = 1") is dm.compile_script("  x = 1")
        True
        >>> dm.compile_script("x = = 1")
        Traceback (most recent call last):
            ...
          File "<scxml script>", line 1
        ...
        SyntaxError: invalid syntax
        """
        code = self._scripts.get(source)
        if code is None:
            code = self._scripts[source] = compile(_dedent(source), "<scxml script>", "exec")
        return code

    def assign(self, location: str, value: Any, ns: dict[str, Any]) -> None:
        """Store ``value`` at ``location`` (a declared variable, an item or an attribute).

        >>> dm = Datamodel()
        >>> ns = dm.namespace({"x": 1, "items": [1, 2]}, None, lambda ref: False)
        >>> dm.assign("x", 5, ns); dm.assign("items[0]", 9, ns)
        >>> ns["x"], ns["items"]
        (5, [9, 2])
        >>> dm.assign("y", 1, ns)
        Traceback (most recent call last):
            ...
        NameError: location 'y' is not declared in the datamodel
        """
        tree = self.check_location(location)
        if isinstance(tree, ast.Name):
            if tree.id not in ns or tree.id in ("In",):
                raise NameError(f"location {tree.id!r} is not declared in the datamodel")
            ns[tree.id] = value
            return
        path: list[tuple[bool, Any]] = []  # (is an item, key) from the variable inwards
        node: ast.expr = tree
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            path.append((True, self._value(node.slice, ns)) if isinstance(node, ast.Subscript) else (False, node.attr))
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in ns:
            raise NameError(f"location {location!r} is not in a declared datamodel variable")
        path.reverse()
        # copy-on-write: only the containers along the path are copied (shallowly), so the
        # snapshot's values are never changed and unrelated variables are never copied
        target = ns[node.id] = writable(ns[node.id])
        for is_item, key in path[:-1]:
            child = writable(target[key] if is_item else self._attribute(target, key))
            self._store(target, is_item, key, child)
            target = child
        self._store(target, path[-1][0], path[-1][1], value)

    def _value(self, node: ast.expr, ns: dict[str, Any]) -> Any:
        if self.trusted:
            code = compile(ast.fix_missing_locations(ast.Expression(node)), "<location>", "eval")
            return eval(code, ns)  # noqa: S307 - trusted documents only
        return self.sandbox.run(node, ns)

    def _attribute(self, target: Any, name: str) -> Any:
        if isinstance(target, dict):
            return target[name]
        if not self.trusted:
            raise SandboxLimit(f"assigning into an attribute of a {type(target).__name__} is not allowed")
        return getattr(target, name)

    def _store(self, target: Any, is_item: bool, key: Any, value: Any) -> None:
        if is_item or isinstance(target, dict):
            target[key] = value
        else:
            self._attribute(target, key)
            setattr(target, key, value)

    def check_location(self, location: str) -> ast.expr:
        """The parsed ``location`` of an ``<assign>`` or ``idlocation``: a variable, an item or an
        attribute, not a system variable, within the restrictions unless trusted. What `assign`
        checks before it evaluates anything (`ValueError` or `RefusedExpression` otherwise).

        >>> dm = Datamodel()
        >>> type(dm.check_location("items[0]")).__name__
        'Subscript'
        >>> dm.check_location("x +")
        Traceback (most recent call last):
            ...
        ValueError: invalid location 'x +'
        >>> dm.check_location("_event.name")
        Traceback (most recent call last):
            ...
        ValueError: cannot assign into the system variable '_event'
        """
        try:
            tree = ast.parse(location.strip(), mode="eval").body
        except SyntaxError as exc:
            raise ValueError(f"invalid location {location!r}") from exc
        if isinstance(tree, ast.Name):
            if tree.id in SYSTEM_VARIABLES or tree.id.startswith("__"):
                raise ValueError(f"cannot assign to the system variable {tree.id!r}")
            return tree
        if isinstance(tree, ast.Subscript) or (isinstance(tree, ast.Attribute) and not tree.attr.startswith("_")):
            if not self.trusted:
                check_restricted(ast.Expression(tree.value), location)
                if isinstance(tree, ast.Subscript):
                    check_restricted(ast.Expression(tree.slice), location)  # type: ignore[arg-type]
            root = _root_name(tree)
            if root in SYSTEM_VARIABLES:
                raise ValueError(f"cannot assign into the system variable {root!r}")
            return tree
        raise ValueError(f"invalid location {location!r}")


def check_variable(name: str) -> None:
    """Refuse (`ValueError`) a ``<foreach>`` ``item`` or ``index`` that is not a legal variable name.

    >>> check_variable("item")
    >>> check_variable("1st")
    Traceback (most recent call last):
        ...
    ValueError: <foreach> variable '1st' is not a legal variable name
    """
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        raise ValueError(f"<foreach> variable {name!r} is not a legal variable name")


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def variables(ns: Mapping[str, Any]) -> dict[str, Any]:
    """The datamodel variables of a namespace after a script or assignment ran.

    >>> variables({"__builtins__": {}, "_event": None, "_sessionid": "session1", "In": len, "Var1": 1})
    {'Var1': 1}
    """
    return {
        k: v for k, v in ns.items() if not k.startswith("__") and k not in SYSTEM_VARIABLES and k not in ("In", "guard")
    }


def _copy(value: Any) -> Any:
    """A private, mutable copy of a snapshot value (frozen dicts and lists thawed, recursively)."""
    return thawed(value, Record)


def _dedent(source: str) -> str:
    lines = source.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ""
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def parse_delay(value: Any) -> float:
    """Milliseconds from a CSS2 time (``'1s'``, ``'.5s'``, ``'500ms'``) or a number of ms.

    >>> parse_delay("1.5s"), parse_delay("20ms"), parse_delay(".5s"), parse_delay(7)
    (1500.0, 20.0, 500.0, 7.0)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text.endswith("ms"):
        return float(text[:-2])
    if text.endswith("s"):
        return float(text[:-1]) * 1000.0
    if text.endswith("m"):
        return float(text[:-1]) * 60000.0
    if text.endswith("h"):
        return float(text[:-1]) * 3600000.0
    return float(text)


def literal(text: str) -> Any:
    """Inline ``<content>``/``<data>`` text: a Python literal when it is one, else the text with
    its whitespace normalized (the Python datamodel's rule for content that is not XML).

    >>> literal(" 123 "), literal("[1, 2]"), literal(" this is  a  string ")
    (123, [1, 2], 'this is a string')
    """
    stripped = text.strip()
    try:
        return ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return " ".join(stripped.split())
