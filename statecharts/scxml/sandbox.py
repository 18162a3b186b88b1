"""The restricted evaluator for untrusted SCXML: an AST interpreter over allow-lists, with bounds.

Untrusted expressions are never given to ``eval``. `Sandbox.run` walks the parsed tree and
decides every step by the *value* it acts on, not by the name in the source:

- only the node types in `NODES` are interpreted; names starting with ``__`` are refused;
- an attribute is read only from a value whose type is listed in `ATTRIBUTES` (``_event``'s
  fields, an XML element's ``tag``/``text``/``tail``/``attrib``, a `Record`'s keys); a method
  is called only when its name is in `METHODS` for the value's type (no ``format``, no
  ``format_map``, nothing that mutates); a method is never a value;
- a call goes only to a callable the sandbox handed out itself (its wrapped builtins, ``In``,
  ``guard``), checked by identity: a variable named ``len`` holding ``'...'.format`` is not
  callable; higher-order builtins (``map``, ``filter``, ``sorted(key=...)``) take only those;
- work and size are bounded: every interpreted node and every element a builtin walks is
  charged to a per-evaluation budget (`MAX_STEPS`); ``**``, ``*``, ``<<``, ``range``, ``%``
  formatting, f-string widths, ``join``, ``replace``, ``zfill`` are checked *before* they
  allocate; containers built are checked against `MAX_SIZE` (counting shared elements as many
  times as they are reachable). Excess raises `SandboxLimit`, which SCXML turns into
  ``error.execution``.

See ``docs/sandbox.md`` for the argument that this holds.

>>> Sandbox().evaluate("len(x) + 1", {"x": [1, 2]})
3
>>> Sandbox().evaluate("'{0.__class__}'.format(x)", {"x": 1})
Traceback (most recent call last):
    ...
statecharts.scxml.sandbox.SandboxLimit: calling method 'format' of a str is not allowed
>>> Sandbox().evaluate("9 ** 9 ** 9", {})
Traceback (most recent call last):
    ...
statecharts.scxml.sandbox.SandboxLimit: 9 ** 387420489 would exceed 100000 bits
"""

from __future__ import annotations

import ast
import operator
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any

MAX_STEPS = 2_000_000
"""Work units one evaluation may use (an interpreted node is 4, a comprehension round 12, an element
walked 1); under a second on the project's machine."""
MAX_MACROSTEP_STEPS = 10_000_000
"""Work units all the evaluations (and ``<foreach>`` rounds) of one macrostep may use together."""
MAX_SIZE = 1_000_000
"""Largest value an evaluation may build: elements reachable plus characters."""
MAX_INT_BITS = 100_000
"""Largest integer an evaluation may build, in bits."""
MAX_NESTING = 100
"""Deepest expression tree interpreted."""

NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Dict,
    ast.Set,
    ast.List,
    ast.Tuple,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Call,
    ast.keyword,
    ast.Starred,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Store,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.And,
    ast.Or,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.LShift,
    ast.RShift,
    ast.BitOr,
    ast.BitXor,
    ast.BitAnd,
    ast.MatMult,
    ast.Invert,
    ast.Not,
    ast.UAdd,
    ast.USub,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Is,
    ast.IsNot,
    ast.In,
    ast.NotIn,
)

_STR_METHODS = frozenset(
    {
        "count",
        "index",
        "startswith",
        "endswith",
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "join",
        "replace",
        "find",
        "rfind",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "title",
        "capitalize",
        "casefold",
        "partition",
        "rpartition",
        "zfill",
        "splitlines",
        "isupper",
        "islower",
    }
)
_SET_METHODS = frozenset(
    {
        "copy",
        "issubset",
        "issuperset",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "isdisjoint",
    }
)
METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    bytes: _STR_METHODS - {"join", "replace", "zfill"},
    dict: frozenset({"get", "keys", "values", "items", "copy"}),
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    set: _SET_METHODS,
    frozenset: _SET_METHODS,
    ET.Element: frozenset({"get", "find", "findall", "findtext", "keys", "items"}),
}
"""Methods callable per type (a subclass uses its first listed base): none mutates, none formats."""


def _event_view() -> type:
    from statecharts.scxml.datamodel import EventView

    return EventView


ATTRIBUTES: dict[str, frozenset[str]] = {
    "EventView": frozenset({"name", "type", "sendid", "origin", "origintype", "invokeid", "data", "raw"}),
    "Element": frozenset({"tag", "text", "tail", "attrib"}),
}
"""Data attributes readable per type name (`Record` keys read as attributes too)."""

_ATOMS = frozenset({int, float, complex, bool, type(None)})
_FORMAT_NUMBERS = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


class SandboxLimit(RuntimeError):
    """An untrusted expression did something the sandbox does not allow at run time, or went over
    a bound (time, size); SCXML raises ``error.execution`` for it.

    >>> raise SandboxLimit("too big")
    Traceback (most recent call last):
        ...
    statecharts.scxml.sandbox.SandboxLimit: too big
    """


class _Budget(threading.local):
    left: float = float("inf")  # outside an evaluation nothing is counted
    macrostep: object = None  # the step the macrostep budget below belongs to
    macrostep_left: int = MAX_MACROSTEP_STEPS


def charge(units: int) -> None:
    """Spend ``units`` of the current evaluation's budget (`SandboxLimit` when it runs out).

    >>> charge(1)
    """
    budget = _BUDGET.left - units
    _BUDGET.left = budget
    if budget < 0:
        raise SandboxLimit(f"expression exceeded its budget of {MAX_STEPS} steps")


_BUDGET = _Budget()


def size_of(value: Any, limit: int = MAX_SIZE) -> int:
    """The size of a value: elements reachable (shared ones each time) plus characters; raises
    `SandboxLimit` beyond ``limit`` (a cycle always does). The walk is charged to the budget.

    >>> size_of([1, "ab", {"k": (1, 2)}])
    13
    >>> x = [0] * 1000
    >>> size_of([x] * 1000)
    Traceback (most recent call last):
        ...
    statecharts.scxml.sandbox.SandboxLimit: value would exceed 1000000 elements and characters
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        total += 1
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            stack.extend([x for x in item if type(x) not in _ATOMS])
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, ET.Element):
            total += len(item.text or "") + len(item.tail or "") + len(item.attrib)
            stack.extend(item)
        elif isinstance(item, range):
            total += len(item)
        if total > limit:
            raise SandboxLimit(f"value would exceed {limit} elements and characters")
    charge(total)
    return total


def _flat(n: int, what: str) -> None:
    if n > MAX_SIZE:
        raise SandboxLimit(f"{what} would have {n} elements (at most {MAX_SIZE})")


def _sized(value: Any, what: str) -> Any:
    if not isinstance(value, Sized):
        raise SandboxLimit(f"{what} needs a list, tuple, set, dict, str or range, not {type(value).__name__}")
    charge(len(value))
    return value


_CONTAINERS = (list, tuple, dict, set, frozenset, range, ET.Element)


def _container(value: Any) -> bool:
    return isinstance(value, _CONTAINERS)


def _checked(value: Any) -> Any:
    """``value`` once its size is within bounds and charged (text: a unit per 8 characters), so
    what an evaluation allocates in all is bounded by its budget."""
    if isinstance(value, (str, bytes)):
        charge(len(value) >> 3)
    elif _container(value):
        size_of(value)
    return value


def _bits(n: int) -> int:
    return n.bit_length()


# -- operators with their size checks ---------------------------------------------------------------
def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if _bits(a) + _bits(b) > MAX_INT_BITS:
            raise SandboxLimit(f"product would exceed {MAX_INT_BITS} bits")
        return a * b
    for seq, n in ((a, b), (b, a)):
        if isinstance(n, int) and isinstance(seq, (str, bytes, list, tuple)):
            _flat(len(seq) * max(n, 0), f"{type(seq).__name__} * {n}")
            return _checked(seq * n)
    return a * b


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b > MAX_INT_BITS or _bits(a) * b > MAX_INT_BITS:
            raise SandboxLimit(f"{a if _bits(a) < 64 else '<int>'} ** {b} would exceed {MAX_INT_BITS} bits")
    return a**b


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a != 0 and b > 0 and _bits(a) + b > MAX_INT_BITS:
        raise SandboxLimit(f"<< {b} would exceed {MAX_INT_BITS} bits")
    return a << b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes, list, tuple)) and isinstance(b, (str, bytes, list, tuple)):
        _flat(len(a) + len(b), "concatenation")
        return _checked(operator.add(a, b))
    return a + b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):
        return _percent(a, b)
    return a % b


def _or(a: Any, b: Any) -> Any:
    return _checked(a | b) if _container(a) else a | b


def _percent(text: str | bytes, args: Any) -> Any:
    pattern = text if isinstance(text, str) else text.decode("latin-1")
    widths = 0
    fields = 0
    for match in _PERCENT_SPEC.finditer(pattern):
        if "*" in (match.group(1) or "", match.group(2) or ""):
            raise SandboxLimit("'*' widths in % formatting are not allowed")
        widths += int(match.group(1) or 0) + int(match.group(2) or 0)
        fields += 1
    values = list(args.values()) if isinstance(args, Mapping) else list(args) if isinstance(args, tuple) else [args]
    longest = max((size_of(v) for v in values), default=0)
    _flat(len(text) + widths + fields * longest * 4, "% formatting")
    return _checked(text % args)


_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
    ast.LShift: _lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: _or,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Invert: operator.invert,
    ast.Not: operator.not_,
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _format(value: Any, spec: str) -> str:
    for number in _FORMAT_NUMBERS.findall(spec):
        if len(number) > 7 or int(number) > MAX_SIZE:
            raise SandboxLimit(f"format width {number} is over {MAX_SIZE}")
    _checked(value)
    return _checked(format(value, spec))


# -- builtins ------------------------------------------------------------------------------------------
def _text_args(function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    for arg in args:
        _checked(arg)
    return _checked(function(*args, **kwargs))


def _round(function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    digits = args[1] if len(args) > 1 else kwargs.get("ndigits")
    if isinstance(digits, int) and abs(digits) > 10_000:  # round(n, -10**18) computes 10**(10**18)
        raise SandboxLimit(f"round() to {digits} digits is not allowed (at most 10000)")
    return function(*args, **kwargs)


def _walking(function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """A builtin that walks its positional arguments: each must be sized, is walked, and the result checked."""
    for arg in args:
        if _container(arg) or isinstance(arg, (str, bytes)):
            _sized(arg, f"{getattr(function, '__name__', 'builtin')}()")
            if not isinstance(arg, range):
                size_of(arg)
    if kwargs.get("key") is not None:
        _callable(kwargs["key"])
    if function is sum and not isinstance(kwargs.get("start", args[1] if len(args) > 1 else 0), (int, float)):
        raise SandboxLimit("sum() takes a number to start from")
    if function is sorted and args and isinstance(args[0], Sized) and not isinstance(args[0], range):
        charge(size_of(args[0]) * len(args[0]).bit_length())  # n log n comparisons, each as deep as an element
    return _checked(function(*args, **kwargs))


def _range(function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    r = range(*args, **kwargs)
    _flat(len(r), "range")
    return r


def _map(function: Any, *iterables: Any) -> list[Any]:
    for it in iterables:
        _sized(it, "map()")
    return _checked([call(function, list(items), {}) for items in zip(*iterables, strict=False)])


def _filter(function: Any, iterable: Any) -> list[Any]:
    _sized(iterable, "filter()")
    return _checked([item for item in iterable if (call(function, [item], {}) if function is not None else item)])


def _zip(*iterables: Any) -> list[tuple[Any, ...]]:
    for it in iterables:
        _sized(it, "zip()")
    _flat(min((len(it) for it in iterables), default=0) * (len(iterables) + 1), "zip()")
    return _checked(list(zip(*iterables, strict=False)))


def _enumerate(iterable: Any, start: int = 0) -> list[tuple[int, Any]]:
    return _checked(list(enumerate(_sized(iterable, "enumerate()"), start)))


def _reversed(sequence: Any) -> list[Any]:
    return _checked(list(reversed(_sized(sequence, "reversed()"))))


def _hasattr(value: Any, name: str) -> bool:
    try:
        _attribute(value, name)
    except (SandboxLimit, AttributeError, KeyError):
        return False
    return True


def _builtins() -> dict[str, Any]:
    import builtins

    names = (
        "abs",
        "all",
        "any",
        "bool",
        "chr",
        "dict",
        "divmod",
        "float",
        "frozenset",
        "hash",
        "int",
        "isinstance",
        "len",
        "list",
        "max",
        "min",
        "ord",
        "range",
        "repr",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "Exception",
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "NameError",
    )
    found: dict[str, Any] = {name: getattr(builtins, name) for name in names}
    found.update(
        {
            "map": _map,
            "filter": _filter,
            "zip": _zip,
            "enumerate": _enumerate,
            "reversed": _reversed,
            "hasattr": _hasattr,
            "True": True,
            "False": False,
            "None": None,
        }
    )
    return found


BUILTINS: dict[str, Any] = _builtins()
"""The names an untrusted expression sees besides its datamodel (``map``, ``zip``... return lists)."""
_CALLABLE_BUILTINS = frozenset(id(v) for v in BUILTINS.values() if callable(v))
_CHECKS: dict[int, Callable[[Callable[..., Any], list[Any], dict[str, Any]], Any]] = {
    **{id(BUILTINS[n]): _text_args for n in ("str", "repr", "hash")},
    **{
        id(BUILTINS[n]): _walking
        for n in ("all", "any", "dict", "frozenset", "list", "max", "min", "set", "sorted", "sum", "tuple")
    },
    id(range): _range,
    id(round): _round,
}
_HOST_CALLABLES = threading.local()


def _callable(value: Any) -> None:
    if id(value) not in _CALLABLE_BUILTINS and not any(value is f for f in getattr(_HOST_CALLABLES, "callables", ())):
        raise SandboxLimit(f"calling a {type(value).__name__} value is not allowed")


def call(function: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call ``function`` if the sandbox handed it out (its builtins, ``In``, ``guard``), with the
    builtin's size checks first.

    >>> call(len, [[1, 2]], {})
    2
    >>> call(print, ["hi"], {})
    Traceback (most recent call last):
        ...
    statecharts.scxml.sandbox.SandboxLimit: calling a builtin_function_or_method value is not allowed
    """
    charge(4)
    _callable(function)
    check = _CHECKS.get(id(function))
    if check is not None:
        return check(function, args, kwargs)
    return function(*args, **kwargs)


def _type_key(value: Any, table: Mapping[type, Any]) -> type | None:
    for base in type(value).__mro__:
        if base in table:
            return base
    return None


def _attribute(value: Any, name: str) -> Any:
    if name.startswith("_"):
        raise SandboxLimit(f"attribute {name!r} is not allowed")
    if isinstance(value, dict) and "__getattr__" in vars(type(value)):  # a Record: keys read as attributes
        try:
            return value[name]
        except KeyError:
            raise AttributeError(name) from None
    allowed = ATTRIBUTES.get(type(value).__name__)
    if allowed is not None and name in allowed and isinstance(value, ET.Element):
        return getattr(value, name)
    if allowed is not None and name in allowed and isinstance(value, _event_view()):
        return _checked(getattr(value, name))  # ``data`` is a fresh copy: its size is charged
    raise SandboxLimit(f"attribute {name!r} of a {type(value).__name__} is not allowed")


def _method(value: Any, name: str) -> Callable[..., Any]:
    base = _type_key(value, METHODS)
    if base is None or name not in METHODS[base]:
        raise SandboxLimit(f"calling method {name!r} of a {type(value).__name__} is not allowed")
    return getattr(value, name)  # type: ignore[no-any-return]


def _check_method_args(value: Any, name: str, args: list[Any]) -> None:
    if name == "join" and args:
        parts = _sized(args[0], "join()")
        total = len(value) * max(len(parts) - 1, 0) + sum(len(p) if isinstance(p, (str, bytes)) else 0 for p in parts)
        _flat(total, "join()")
    elif name == "replace" and len(args) >= 2 and isinstance(value, str):
        old, new = args[0], args[1]
        if isinstance(old, str) and isinstance(new, str):
            count = value.count(old) if old else len(value) + 1
            _flat(len(value) + count * max(len(new) - len(old), 0), "replace()")
    elif name == "zfill" and args and isinstance(args[0], int):
        _flat(args[0], "zfill()")
    elif isinstance(value, ET.Element) and name in ("find", "findall", "findtext") and args:
        path = str(args[0])
        if path.count("//") > 1:  # each further '//' multiplies the work by the element's size
            raise SandboxLimit(f"an element path with more than one '//' is not allowed: {path[:40]!r}")
        charge(size_of(value) * (path.count("/") + 1))
    if name in ("count", "index") and isinstance(value, (list, tuple)):
        size_of(value)  # comparisons go as deep as the elements
    charge(len(value) if isinstance(value, Sized) else 1)


class Sandbox:
    """Interprets checked expression trees (see the module docstring); one per document.

    >>> box = Sandbox()
    >>> box.evaluate("[v * 2 for v in items if v > 1]", {"items": [1, 2, 3]})
    [4, 6]
    >>> box.evaluate("f(1)", {"f": "x".format})
    Traceback (most recent call last):
        ...
    statecharts.scxml.sandbox.SandboxLimit: calling a builtin_function_or_method value is not allowed
    """

    def __init__(self) -> None:
        self._trees: dict[str, ast.Expression] = {}

    def tree(self, source: str) -> ast.Expression:
        """The parsed, checked tree of ``source`` (cached); `SyntaxError` or `SandboxLimit`.

        >>> Sandbox().tree("x + 1").body.op.__class__.__name__
        'Add'
        """
        tree = self._trees.get(source)
        if tree is None:
            tree = ast.parse(source.strip(), mode="eval")
            _check_depth(tree)
            self._trees[source] = tree
        return tree

    def evaluate(self, source: str, ns: Mapping[str, Any]) -> Any:
        """The value of ``source`` with ``ns`` as its variables.

        >>> Sandbox().evaluate("x + 1", {"x": 41})
        42
        """
        return self.run(self.tree(source).body, ns)

    def run(self, node: ast.expr, ns: Mapping[str, Any]) -> Any:
        """Interpret one expression node with a fresh budget (at most what is left of the
        macrostep's, ``ns["__step__"]`` naming the macrostep); the host callables in
        ``ns["__host__"]`` (``In``, ``guard``) are the only callables besides the wrapped builtins.

        >>> in_state = lambda ref: ref == "a"
        >>> Sandbox().run(ast.parse("In('a')", mode="eval").body, {"In": in_state, "__host__": (in_state,)})
        True
        """
        start = min(MAX_STEPS, spend(ns.get("__step__"), 0))
        budget, _BUDGET.left = _BUDGET.left, start
        previous: tuple[Any, ...] = getattr(_HOST_CALLABLES, "callables", ())
        _HOST_CALLABLES.callables = ns.get("__host__", ())
        try:
            return _Run(ns).eval(node)  # every node that builds a container checks it
        except RecursionError:
            raise SandboxLimit("expression nests too deeply") from None
        except MemoryError:
            raise SandboxLimit("expression ran out of memory") from None
        finally:
            _HOST_CALLABLES.callables = previous
            _BUDGET.macrostep_left -= int(start - max(_BUDGET.left, 0))
            _BUDGET.left = budget


def spend(step: object, units: int) -> int:
    """Spend ``units`` of the budget of the macrostep ``step`` (`SandboxLimit` once it is spent);
    returns what is left. A new step starts a new budget.

    >>> spend(object(), 5) == MAX_MACROSTEP_STEPS - 5
    True
    """
    if step is not _BUDGET.macrostep or step is None:
        _BUDGET.macrostep, _BUDGET.macrostep_left = step, MAX_MACROSTEP_STEPS
    left = _BUDGET.macrostep_left = _BUDGET.macrostep_left - units
    if left <= 0:
        raise SandboxLimit(f"the macrostep exceeded its budget of {MAX_MACROSTEP_STEPS} steps")
    return left


def charged(function: Callable[[Any], Any], units: int = 50) -> Callable[[Any], Any]:
    """``function`` (a host callable such as ``In``) charging ``units`` per call to the current
    evaluation, also when a builtin calls it (``sorted(refs, key=In)``).

    >>> charged(len)("abc")
    3
    """

    def call_charged(argument: Any) -> Any:
        charge(units)
        return function(argument)

    return call_charged


def _check_depth(tree: ast.AST) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise SandboxLimit(f"expression nests deeper than {MAX_NESTING}")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Run:
    """One evaluation: the scopes (datamodel, then comprehension variables) and the dispatch."""

    def __init__(self, ns: Mapping[str, Any]) -> None:
        self.scopes: list[Mapping[str, Any]] = [ns]

    def eval(self, node: ast.AST) -> Any:
        budget = _BUDGET.left = _BUDGET.left - 4
        if budget < 0:
            raise SandboxLimit(f"expression exceeded its budget of {MAX_STEPS} steps")
        method = _DISPATCH.get(type(node))
        if method is None:
            raise SandboxLimit(f"{type(node).__name__} is not allowed")
        return method(self, node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        name = node.id
        if name.startswith("__"):
            raise SandboxLimit(f"name {name!r} is not allowed")
        for scope in reversed(self.scopes):
            if name in scope and name != "__builtins__":
                return scope[name]
        if name in BUILTINS:
            return BUILTINS[name]
        raise NameError(f"name {name!r} is not defined")

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if isinstance(node.op, ast.And) != bool(value):
                return value
        return value

    def _BinOp(self, node: ast.BinOp) -> Any:
        return _BINARY[type(node.op)](self.eval(node.left), self.eval(node.right))

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.eval(node.operand))

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            _checked(left)
            _checked(right)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _items(self, nodes: Iterable[ast.expr]) -> list[Any]:
        out: list[Any] = []
        for item in nodes:
            if isinstance(item, ast.Starred):
                out.extend(_sized(self.eval(item.value), "*"))
            else:
                out.append(self.eval(item))
            _flat(len(out), "a display")
        return out

    def _List(self, node: ast.List) -> Any:
        return _checked(self._items(node.elts))

    def _Tuple(self, node: ast.Tuple) -> Any:
        return _checked(tuple(self._items(node.elts)))

    def _Set(self, node: ast.Set) -> Any:
        return _checked(set(self._items(node.elts)))

    def _Dict(self, node: ast.Dict) -> Any:
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                out.update(_sized(self.eval(value), "**"))
            else:
                out[_checked(self.eval(key))] = self.eval(value)
        return _checked(out)

    def _Attribute(self, node: ast.Attribute) -> Any:
        return _attribute(self.eval(node.value), node.attr)

    def _Subscript(self, node: ast.Subscript) -> Any:
        value = self.eval(node.value)
        if not isinstance(value, (str, bytes, list, tuple, Mapping, range, ET.Element)):
            raise SandboxLimit(f"subscripting a {type(value).__name__} is not allowed")
        key = self.eval(node.slice)
        if _container(key) and not isinstance(key, slice):
            size_of(key)
        if isinstance(key, slice):
            return _checked(value[key])
        return value[key]

    def _Slice(self, node: ast.Slice) -> Any:
        return slice(*(self.eval(part) if part is not None else None for part in (node.lower, node.upper, node.step)))

    def _Call(self, node: ast.Call) -> Any:
        args = self._items(node.args)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.eval(kw.value)
            if kw.arg is None:
                if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                    raise TypeError("** needs a mapping with string keys")
                kwargs.update(value)
            else:
                kwargs[kw.arg] = value
        if isinstance(node.func, ast.Attribute):
            target = self.eval(node.func.value)
            if node.func.attr.startswith("_"):
                raise SandboxLimit(f"calling method {node.func.attr!r} is not allowed")
            method = _method(target, node.func.attr)
            _check_method_args(target, node.func.attr, args)
            return _checked(method(*args, **kwargs))
        return call(self.eval(node.func), args, kwargs)

    def _comprehension(self, generators: list[ast.comprehension], body: Callable[[], None]) -> None:
        scope: dict[str, Any] = {}
        self.scopes.append(scope)
        try:
            self._loop(generators, 0, scope, body)
        finally:
            self.scopes.pop()

    def _loop(
        self, generators: list[ast.comprehension], index: int, scope: dict[str, Any], body: Callable[[], None]
    ) -> None:
        if index == len(generators):
            body()
            return
        gen = generators[index]
        if gen.is_async:
            raise SandboxLimit("async comprehensions are not allowed")
        iterable = _sized(self.eval(gen.iter), "a comprehension")
        for item in iterable:
            charge(12)  # a round of a comprehension costs about three interpreted nodes
            _bind(gen.target, item, scope)
            if all(self.eval(cond) for cond in gen.ifs):
                self._loop(generators, index + 1, scope, body)

    def _ListComp(self, node: ast.ListComp) -> Any:
        out: list[Any] = []

        def add() -> None:
            out.append(_checked(self.eval(node.elt)))
            _flat(len(out), "a comprehension")

        self._comprehension(node.generators, add)
        return _checked(out)

    _GeneratorExp = _ListComp

    def _SetComp(self, node: ast.SetComp) -> Any:
        out: set[Any] = set()

        def add() -> None:
            out.add(_checked(self.eval(node.elt)))
            _flat(len(out), "a comprehension")

        self._comprehension(node.generators, add)
        return _checked(out)

    def _DictComp(self, node: ast.DictComp) -> Any:
        out: dict[Any, Any] = {}

        def add() -> None:
            out[_checked(self.eval(node.key))] = _checked(self.eval(node.value))
            _flat(len(out), "a comprehension")

        self._comprehension(node.generators, add)
        return _checked(out)

    def _JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts = [str(self.eval(v)) for v in node.values]
        _flat(sum(len(p) for p in parts), "an f-string")
        return _checked("".join(parts))

    def _FormattedValue(self, node: ast.FormattedValue) -> Any:
        value = self.eval(node.value)
        if node.conversion != -1:
            convert: Callable[[Any], str] = _CONVERSIONS[node.conversion]
            if _container(value):
                size_of(value)
            value = convert(value)
        spec = self.eval(node.format_spec) if node.format_spec is not None else ""
        return _format(value, spec)


_DISPATCH: dict[type, Callable[[_Run, Any], Any]] = {
    node: getattr(_Run, "_" + node.__name__) for node in NODES if hasattr(_Run, "_" + node.__name__)
}


def _bind(target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
    if isinstance(target, ast.Name):
        if target.id.startswith("__"):
            raise SandboxLimit(f"name {target.id!r} is not allowed")
        scope[target.id] = value
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = list(_sized(value, "unpacking"))
        if len(values) != len(target.elts):
            raise ValueError(f"cannot unpack {len(values)} values into {len(target.elts)}")
        for part, item in zip(target.elts, values, strict=True):
            _bind(part, item, scope)
    else:
        raise SandboxLimit(f"assigning to a {type(target).__name__} in a comprehension is not allowed")
