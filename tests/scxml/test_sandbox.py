"""The untrusted SCXML sandbox holds (issue 21): every reproducer of the attack, known escape
idioms, and a derandomized search over attribute chains and format fields from every name an
expression sees. A secret planted in the environment never appears in an event, a snapshot or an
error; no file is opened; every bomb stops in bounded time and memory with ``error.execution``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statecharts import ConfigError, Event, Machine, VirtualClock
from statecharts.scxml import load, load_file
from statecharts.scxml.datamodel import Datamodel, Record, RefusedExpression
from statecharts.scxml.sandbox import BUILTINS, SandboxLimit
from statecharts.scxml.session import MAX_BUSY_MACROSTEPS, MAX_QUEUED_EVENTS, FrozenRecord

SECRET = "planted-secret-7f3c9a"
SECRET_VARIABLE = "STATECHARTS_SANDBOX_TEST_SECRET"
SCXML = 'xmlns="http://www.w3.org/2005/07/scxml"'

# -- watching file access: an audit hook records every open() while an attack runs ------------------
_OPENED: list[str] = []
_WATCHING = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHING.is_set() and event in ("open", "os.open") and args and isinstance(args[0], (str, bytes, Path)):
        name = os.fsdecode(args[0])
        if not name.endswith((".py", ".pyc")) and "__pycache__" not in name:
            _OPENED.append(name)


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def planted_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)


@contextmanager
def no_file_opened() -> Iterator[None]:
    """What runs inside opens no file (checked by an audit hook)."""
    _OPENED.clear()
    _WATCHING.set()
    try:
        yield
    finally:
        _WATCHING.clear()
    assert _OPENED == [], f"untrusted SCXML opened files: {_OPENED}"


# -- running an attack ------------------------------------------------------------------------------
def document(datamodel: str = "", onentry: str = "", extra: str = "") -> str:
    """A document that records every error event and every ``leak`` event it gets."""
    return (
        f'<scxml {SCXML} initial="s" datamodel="python"><datamodel>'
        '<data id="out" expr="None"/><data id="errors" expr="[]"/><data id="leaked" expr="[]"/>'
        f'{datamodel}</datamodel><state id="s"><onentry>{onentry}</onentry>'
        '<transition event="error.*">'
        '<assign location="errors" expr="errors + [_event.name + \' \' + _event.data.error]"/>'
        '</transition><transition event="leak"><assign location="leaked" expr="leaked + [_event.data]"/>'
        f"</transition>{extra}</state></scxml>"
    )


def attack(expr: str, datamodel: str = "") -> dict[str, Any]:
    """Load and run a document that evaluates ``expr`` into a variable and into a sent event.
    Returns what came out: ``refused`` (the load-time error), or the final context and the
    text of every snapshot; checks that the secret is in none of it."""
    onentry = (
        f'<assign location="out" expr={quoteattr(expr)}/>'
        f'<send event="leak"><param name="v" expr={quoteattr(expr)}/></send>'
    )
    with no_file_opened():
        try:
            machine = load(document(datamodel, onentry), trusted=False)
        except ConfigError as exc:
            assert SECRET not in str(exc)
            return {"refused": str(exc)}
        snapshots: list[str] = []
        session = machine.interpret()
        session.subscribe(lambda s: snapshots.append(repr((s.context, s.event, s.value))))
        session.start()
    context = dict(session.state.context)
    seen = repr(context) + "".join(snapshots)
    assert SECRET not in seen
    for error in context["errors"]:  # only the documented errors
        kind = error.split(" ")[1].rstrip(":")
        assert kind in {e.__name__ for e in ALLOWED_ERRORS}, error
    return {"context": context, "errors": context["errors"], "leaked": context["leaked"], "out": context["out"]}


def assert_stopped(outcome: dict[str, Any], *fragments: str) -> None:
    """The attack was refused at load or raised ``error.execution`` naming one of ``fragments``."""
    if "refused" in outcome:
        assert any(f in outcome["refused"] for f in fragments), outcome["refused"]
        return
    assert outcome["out"] is None and outcome["leaked"] == [], outcome
    assert outcome["errors"], outcome
    assert outcome["errors"][0].startswith("error.execution"), outcome["errors"]
    assert any(f in outcome["errors"][0] for f in fragments), outcome["errors"][0]


# -- the reported escapes ------------------------------------------------------------------------------
READ_ENVIRON = (
    "list(map('{0.__func__.__globals__[__loader__].__init__.__globals__[sys].modules[os].environ["
    + SECRET_VARIABLE
    + "]}'.format, [In]))[0]"
)


def test_map_over_str_format_cannot_read_the_environment() -> None:
    assert_stopped(attack(READ_ENVIRON), "calling a builtin_function_or_method", "'format'")


@pytest.mark.parametrize(
    "idiom",
    [
        "'{0.__class__}'.format(1)",
        "'{0.__init__.__globals__}'.format_map({'0': In})",
        "'{x.__class__.__mro__}'.format_map({'x': 1})",
        "str.format('{0.__class__}', 1)",
        "list(map(str.format, ['{0.__class__}'], [1]))",
        "max(['{0.__class__}'], key='{0.__class__}'.format)",
        "sorted([In], key='{0.__globals__}'.format)",
        "list(filter('{0.__globals__}'.format, [In]))",
    ],
)
def test_format_and_format_map_are_never_reachable(idiom: str) -> None:
    assert_stopped(attack(idiom), "format", "not allowed")


@pytest.mark.parametrize("name", ["len", "str", "map", "sorted", "In"])
def test_a_datamodel_variable_named_after_a_builtin_is_not_callable(name: str) -> None:
    datamodel = f'<data id="{name}" expr="\'{{0.__init__.__globals__}}\'.format"/>'
    outcome = attack(f"{name}(In)", datamodel)
    assert_stopped(outcome, "calling a", "not allowed", "format")


@pytest.mark.parametrize(
    "idiom",
    [
        "().__class__.__base__.__subclasses__()",
        "In.__globals__",
        "In.__self__",
        "_event._event",
        "_event.__class__",
        "(x for x in []).gi_frame.f_globals",
        "[].__class__",
        "__import__('os')",
        "open('/etc/passwd')",
        "getattr(In, '__globals__')",
        "vars()",
        "globals()",
        "type(1)",
        "eval('1')",
        "lambda: 1",
        "[x := 1]",
        "_ioprocessors.__class__",
        "_event.data.__class__",
        "f'{In.__globals__}'",
        "f'{In!r:{\"\"}}'.format",
        "len.__self__",
        "In.__call__",
        "_ioprocessors['scxml'].location.format",
        "_ioprocessors.keys.__self__",
        "_event.data.get.__self__",
        "hasattr(In, '__globals__') and In",
        "Exception().with_traceback",
        "KeyError.__subclasses__()",
        "str.mro()",
        "dict.fromkeys([1])",
        "sum([[1]], [])",
        "_x.__dict__",
    ],
)
def test_known_escape_idioms_are_refused(idiom: str) -> None:
    outcome = attack(idiom)
    if "refused" in outcome:
        return
    assert outcome["errors"] or outcome["out"] in (None, False, True), outcome
    assert not callable(outcome["out"]) or id(outcome["out"]) in {id(v) for v in BUILTINS.values()}


# -- files: text is text ----------------------------------------------------------------------------
def _leaking_file(folder: Path) -> Path:
    path = folder / "child.scxml"
    path.write_text(
        f'<scxml {SCXML} initial="c"><state id="c"><onentry><send event="leak" target="#_parent">'
        '<param name="v" expr="\'read the file\'"/></send></onentry></state></scxml>'
    )
    return path


def test_invoke_content_text_naming_a_file_is_not_read_at_load(tmp_path: Path) -> None:
    path = _leaking_file(tmp_path)
    doc = f'<scxml {SCXML}><state id="s"><invoke id="k"><content>{path}</content></invoke></state></scxml>'
    with no_file_opened(), pytest.raises(ConfigError, match="must start with '<'"):
        load(doc)


def test_content_expr_naming_a_file_is_not_read_at_run_time(tmp_path: Path) -> None:
    path = _leaking_file(tmp_path)
    missing = tmp_path / "missing.scxml"
    outcomes = []
    for target in (path, missing):
        extra = f'<invoke id="k"><content expr={quoteattr(repr(str(target)))}/></invoke>'
        with no_file_opened():
            outcomes.append(load(document(extra=extra)).interpret().start().state.context)
    read, absent = outcomes
    assert read["leaked"] == [] and absent["leaked"] == []
    # no oracle: an existing file and a missing one give the same error, naming no file
    assert read["errors"] == absent["errors"]
    assert "must start with '<'" in read["errors"][0] and str(tmp_path) not in read["errors"][0].split("got")[0]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_devices_and_fifos_named_by_a_document_are_never_opened(tmp_path: Path, special: str) -> None:
    target = special
    if special == "fifo":
        target = str(tmp_path / "fifo")
        os.mkfifo(target)
    extra = f'<invoke id="k"><content expr={quoteattr(repr(target))}/></invoke>'
    finished: list[Any] = []
    runner = threading.Thread(
        target=lambda: finished.append(load(document(extra=extra)).interpret().start()), daemon=True
    )
    with no_file_opened():
        runner.start()
        runner.join(10)
    assert finished, "start() hung"
    assert finished[0].state.context["errors"]


def test_load_reads_a_file_only_from_a_path_object_or_an_explicit_argument(tmp_path: Path) -> None:
    path = tmp_path / "m.scxml"
    path.write_text(f'<scxml {SCXML}><state id="a"/></scxml>')
    assert load(path).initial_state().configuration == ("scxml", "a")  # the host reads its own files
    assert load(path=str(path)).initial_state().configuration == ("scxml", "a")
    assert load_file(str(path)).initial_state().configuration == ("scxml", "a")
    with no_file_opened():
        with pytest.raises(ConfigError, match="must start with '<'.*pathlib.Path"):
            load(str(path))
        with pytest.raises(ConfigError, match="not both"):
            load(f"<scxml {SCXML}/>", path=path)
        with pytest.raises(ConfigError, match="not int"):
            load(42)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="not a regular file"):
            load(Path("/dev/zero"))


def test_from_json_text_is_never_read_as_a_path(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"id": "m", "initial": "a", "states": {"a": {}}}')
    with no_file_opened():
        with pytest.raises(ConfigError, match="a str is JSON text"):
            Machine.from_json(str(path))
        with pytest.raises(ConfigError, match="a str is JSON text"):
            Machine.from_json("/dev/zero")


# -- bombs: bounded time and memory -----------------------------------------------------------------
BOMBS = [
    "9**9**9",
    "'a' * 10**10",
    "sum(range(10**13))",
    "[0] * 10**9",
    "1 << 10**9",
    "'a'.zfill(10**10)",
    "'%*d' % (10**9, 1)",
    "'%0999999999d' % 1",
    "f'{1:>999999999}'",
    "('x' * 10**6).join(['a'] * 10**6)",
    "('a' * 10**5).replace('a', 'b' * 10**5)",
    "[[0] * 1000] * 2000",
    "len(str([[0] * 1000] * 2000))",
    "[x for x in range(10**6) for y in range(10**6)]",
    "max(range(10**12))",
    "list(zip(*[range(10**6)] * 10**6))",
    "{i: i for i in range(10**7)}",
    "-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(-(1))))))))))))))))))))" * 1,
    "sorted([[[0] * 500] * 500] * 500)",
    "(10**40000) * (10**40000)",
    "hash(((0,) * 1000,) * 1000)",
    "round(12345, -10**18)",
    "len(el.findall('.//*//*//*'))",
    "[s + s for s in ['a' * 500000] * 100000]",
    "[('a' * 10**6) == ('a' * 10**6) for i in range(100000)]",
    "len([str(i) * 1000 for i in range(10**5)])",
]


@pytest.mark.parametrize("bomb", BOMBS)
def test_every_bomb_stops_in_bounded_time_and_memory(bomb: str) -> None:
    nested = "<b>" * 300 + "</b>" * 300
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome = attack(bomb, f'<data id="el"><a>{nested}</a></data>')
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"{bomb}: {elapsed:.1f} s"
    assert peak < 256 * 2**20, f"{bomb}: {peak / 2**20:.0f} MB"
    if bomb.startswith("-(-("):
        assert outcome.get("out") == 1
        return
    assert_stopped(outcome, "SandboxLimit", "exceed", "budget", "at most", "not allowed", "ValueError")


def test_an_event_that_sends_itself_twice_is_bounded_and_stopped() -> None:
    doc = (
        f'<scxml {SCXML} initial="s" datamodel="python"><state id="s"><onentry><send event="e"/></onentry>'
        '<transition event="e"><send event="e"/><send event="e"/></transition></state></scxml>'
    )
    session = load(doc).interpret(clock=VirtualClock())  # listeners inline, between the macrosteps
    longest = 0

    def watch(_: Any) -> None:
        nonlocal longest
        longest = max(longest, session.queued)

    session.subscribe(watch)
    session.start()
    assert longest <= MAX_QUEUED_EVENTS + 100
    assert session.halted and str(MAX_BUSY_MACROSTEPS) in session.halted and not session.running
    assert longest >= MAX_QUEUED_EVENTS // 2  # the queue did fill up: the queue bound was exercised


def test_delayed_sends_waiting_at_once_are_bounded() -> None:
    from statecharts import VirtualClock
    from statecharts.scxml.executable import MAX_PENDING_SENDS

    onentry = '<foreach array="range(10**5)" item="i"><send event="later" delay="1h"/></foreach>'
    session = load(document(onentry=onentry)).interpret(clock=VirtualClock()).start()
    assert len(session.state.pending) == MAX_PENDING_SENDS
    assert "sends are pending" in session.state.context["errors"][0]


def test_sessions_flooding_each_other_are_bounded_and_stopped() -> None:
    from statecharts import VirtualClock

    child = (
        f'<scxml {SCXML} initial="c"><state id="c"><transition event="pong">'
        '<send event="ping" target="#_parent"/><send event="ping" target="#_parent"/>'
        "</transition></state></scxml>"
    )
    doc = (
        f'<scxml {SCXML} initial="s"><state id="s"><invoke id="k"><content>{child}</content></invoke>'
        '<transition event="ping"><send event="pong" target="#_k"/><send event="pong" target="#_k"/></transition>'
        '<transition event="go"><send event="pong" target="#_k"/></transition></state></scxml>'
    )
    clock = VirtualClock()
    session = load(doc).interpret(clock=clock).start()
    kid = session.children["k"]
    session.send("go")
    for _ in range(10):
        clock.advance(0)
        assert session.queued <= MAX_QUEUED_EVENTS + 100 and kid.queued <= MAX_QUEUED_EVENTS + 100
    assert session.halted or kid.halted


def test_a_delayed_self_send_loop_is_not_stopped() -> None:
    from statecharts import VirtualClock

    doc = (
        f'<scxml {SCXML} initial="s" datamodel="python"><datamodel><data id="n" expr="0"/></datamodel>'
        '<state id="s"><onentry><send event="tick" delay="1ms"/></onentry><transition event="tick">'
        '<assign location="n" expr="n + 1"/><send event="tick" delay="1ms"/></transition></state></scxml>'
    )
    clock = VirtualClock()
    session = load(doc).interpret(clock=clock).start()
    clock.advance(MAX_BUSY_MACROSTEPS // 5)
    assert session.running and session.state.context["n"] >= MAX_BUSY_MACROSTEPS // 5 - 1


def _self_invoking() -> str:
    child = (
        f'<scxml {SCXML} initial="c" datamodel="python"><datamodel><data id="me"/></datamodel>'
        '<state id="c"><invoke id="k"><content expr="me"/><param name="me" expr="me"/></invoke></state></scxml>'
    )
    return (
        f'<scxml {SCXML} initial="s" datamodel="python"><datamodel><data id="me" expr={quoteattr(repr(child))}/>'
        '<data id="errors" expr="[]"/></datamodel><state id="s"><invoke id="k"><content expr="me"/>'
        '<param name="me" expr="me"/></invoke></state></scxml>'
    )


def test_a_self_invoking_document_stops_at_the_nesting_bound() -> None:
    session = load(_self_invoking()).interpret().start()
    depth, child = 0, session
    while "k" in child.children:
        depth, child = depth + 1, child.children["k"]
    assert 1 < depth <= 16
    session.stop()


def test_nested_foreach_is_bounded_by_the_macrostep_budget() -> None:
    doc = (
        f'<scxml {SCXML} initial="s" datamodel="python"><state id="s"><onentry>'
        '<foreach array="range(10**6)" item="i"><foreach array="range(10**6)" item="j">'
        '<foreach array="range(10**6)" item="k"/></foreach></foreach></onentry>'
        '<transition event="error.execution" target="stopped"/></state><final id="stopped"/></scxml>'
    )
    start = time.perf_counter()
    with no_file_opened():
        session = load(doc).interpret().start()
    assert time.perf_counter() - start < 30
    assert session.state.configuration == ("scxml", "stopped")


def test_reading_a_large_event_payload_over_and_over_is_charged() -> None:
    extra = (
        '<transition event="big"><assign location="out" expr="len([_event.data for i in range(10**6)])"/></transition>'
    )
    session = load(document(extra=extra)).interpret().start()
    start = time.perf_counter()
    context = session.send("big", payload=list(range(100_000))).context
    assert time.perf_counter() - start < 30
    assert context["out"] is None and "budget" in context["errors"][0]


def test_a_variable_named_guard_is_not_a_host_callable() -> None:
    outcome = attack("guard(1)", '<data id="guard" expr="len"/>')
    assert outcome["out"] is None or outcome["out"] == 1  # len(1) fails; never anything else
    assert_stopped(attack("guard(In)", '<data id="guard" expr="\'{0.__globals__}\'.format"/>'), "not allowed", "format")


def test_in_keeps_a_bounded_cache_of_references() -> None:
    machine = load(document(onentry='<assign location="out" expr="len([In(str(i)) for i in range(20000)])"/>'))
    session = machine.interpret().start()
    assert session.state.context["out"] == 20000
    assert len(machine._refs) <= 1024 + 8 * len(machine.chart.nodes)


# -- the search: attribute chains and format fields from every name ---------------------------------
def _namespace() -> dict[str, Any]:
    dm = Datamodel(trusted=False)
    element = ET.fromstring("<a x='1'><b>t</b></a>")
    context = {
        "n": 1,
        "s": "text",
        "items": [1, 2],
        "rec": Record(k=Record(j=1)),
        "el": element,
        "_ioprocessors": FrozenRecord({"scxml": FrozenRecord(location="#_scxml_1")}),
        "_x": FrozenRecord(),
        "_sessionid": "session1",
        "_name": None,
    }
    return dm.namespace(context, Event("go", v=Record(w=[1])), lambda ref: ref == "s")


NAMES = sorted(set(_namespace()) - {"__builtins__"} | set(BUILTINS))
ATTRS = [
    "__class__",
    "__globals__",
    "__func__",
    "__self__",
    "__init__",
    "__dict__",
    "__module__",
    "__builtins__",
    "__subclasses__",
    "__base__",
    "__mro__",
    "__loader__",
    "__call__",
    "__getattribute__",
    "__reduce_ex__",
    "gi_frame",
    "f_globals",
    "f_back",
    "format",
    "format_map",
    "mro",
    "modules",
    "environ",
    "data",
    "name",
    "keys",
    "get",
    "attrib",
    "tag",
    "text",
    "copy",
    "join",
    "_event",
    "location",
    "scxml",
    "k",
    "j",
    "v",
    "w",
    "real",
    "denominator",
    "fromkeys",
    "maketrans",
    "translate",
    "encode",
    "decode",
    "__name__",
]
ALLOWED_ERRORS = (
    SandboxLimit,
    RefusedExpression,
    SyntaxError,
    NameError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    ZeroDivisionError,
    OverflowError,
)

step = st.one_of(
    st.sampled_from(ATTRS).map(lambda a: "." + a),
    st.sampled_from(["[0]", "['scxml']", "['k']", "[-1]", "[1:]", "()", "('s')", "(In)"]),
)
chain = st.tuples(st.sampled_from(NAMES), st.lists(step, max_size=5)).map(lambda t: t[0] + "".join(t[1]))
field = st.lists(
    st.one_of(st.sampled_from(ATTRS).map(lambda a: "." + a), st.sampled_from(["[0]", "[os]", "[sys]", "[environ]"])),
    max_size=6,
).map("".join)
expression = st.one_of(
    chain,
    st.tuples(field, chain).map(lambda t: "'{0" + t[0] + "}'.format(" + t[1] + ")"),
    st.tuples(field, chain).map(lambda t: "'{x" + t[0] + "}'.format_map({'x': " + t[1] + "})"),
    st.tuples(field, chain).map(lambda t: "list(map('{0" + t[0] + "}'.format, [" + t[1] + "]))"),
    chain.map(lambda c: "f'{" + c + "}'"),
    chain.map(lambda c: "'%s' % (" + c + ",)"),
    st.tuples(chain, chain).map(lambda t: f"sorted([{t[0]}], key={t[1]})"),
)


@settings(derandomize=True, max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(expression)
def test_no_attribute_chain_or_format_field_reaches_outside_the_sandbox(source: str) -> None:
    ns = _namespace()
    dm = Datamodel(trusted=False)
    try:
        with no_file_opened():
            value = dm.evaluate_in(source, ns)
    except ALLOWED_ERRORS as exc:
        assert SECRET not in str(exc)
        return
    assert SECRET not in repr(value)
    handed_out = {id(v) for v in BUILTINS.values()} | {id(ns["In"])}
    assert not callable(value) or id(value) in handed_out, (source, value)


ATOMS = [
    "0",
    "-1",
    "10**5",
    "2**20",
    "'ab' * 1000",
    "[0] * 1000",
    "items",
    "s",
    "rec",
    "el",
    "_event",
    "_event.data",
    "In",
    "range(1000)",
    "[items] * 100",
    "{'k': items}",
    "(1, 2)",
    "None",
    "1e300",
]
CALLABLE_NAMES = sorted(n for n, v in BUILTINS.items() if callable(v))
OPERATORS = ["+", "-", "*", "**", "//", "%", "<<", "|", "&", "==", "<", " in ", " and "]
METHOD_NAMES = ["join", "replace", "split", "zfill", "count", "index", "get", "items", "union", "findall", "upper"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    args = st.lists(inner, max_size=2).map(", ".join)
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(CALLABLE_NAMES), args).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(METHOD_NAMES), args).map(lambda t: f"({t[0]}).{t[1]}({t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"[{t[0]} for x in {t[1]}]"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
    )


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.recursive(st.sampled_from(ATOMS), _grow, max_leaves=8))
def test_random_expressions_end_in_a_documented_error_within_bounds(source: str) -> None:
    ns = _namespace()
    start = time.perf_counter()
    try:
        with no_file_opened():
            Datamodel(trusted=False).evaluate_in(source, ns)
    except ALLOWED_ERRORS:
        pass
    assert time.perf_counter() - start < 5, source


# -- what stays legal ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("[v * 2 for v in items if v > 1]", [4, 6]),
        ("'%s-%d' % (s, n)", "x-1"),
        ("f'{s}:{n:>3}'", "x:  1"),
        ("sorted(items, key=str, reverse=True)", [3, 2, 1]),
        ("list(map(str, items))", ["1", "2", "3"]),
        ("dict(zip(['a', 'b'], items))", {"a": 1, "b": 2}),
        ("isinstance(s, str) and isinstance(items, list)", True),
        ("sum(x for x in items)", 6),
        ("','.join(str(i) for i in items)", "1,2,3"),
        ("2 ** 100", 2**100),
        ("{**{'a': 1}, 'b': n}", {"a": 1, "b": 1}),
        ("[a for a, b in enumerate(items) if b > 1]", [1, 2]),
    ],
)
def test_ordinary_expressions_keep_working(expr: str, value: Any) -> None:
    assert Datamodel().evaluate(expr, {"items": [1, 2, 3], "s": "x", "n": 1}, None, lambda ref: False) == value


def test_assign_changes_a_copy_of_the_path_only() -> None:
    doc = (
        f'<scxml {SCXML} initial="s" datamodel="python"><datamodel><data id="a" expr="{{\'l\': [1, 2]}}"/>'
        '<data id="big" expr="list(range(1000))"/><data id="k" expr="0"/></datamodel><state id="s">'
        '<transition event="go"><assign location="a[\'l\'][0]" expr="9"/><assign location="k" expr="k + 1"/>'
        "</transition></state></scxml>"
    )
    machine = load(doc)
    before = machine.initial_state()
    after = machine.transition(before, "go")
    assert before.context["a"] == {"l": [1, 2]} and after.context["a"] == {"l": [9, 2]}
    assert after.context["big"] is before.context["big"]  # beside an assign, a variable is not copied


def test_a_trusted_assign_that_mutates_in_place_leaves_the_earlier_snapshot_alone() -> None:
    doc = (
        f'<scxml {SCXML} initial="s" datamodel="python"><datamodel><data id="items" expr="[1]"/>'
        '<data id="big" expr="list(range(1000))"/></datamodel><state id="s"><transition event="go">'
        '<assign location="items" expr="items.append(2) or items"/></transition></state></scxml>'
    )
    machine = load(doc, trusted=True)
    before = machine.initial_state()
    after = machine.transition(before, "go")
    assert before.context["items"] == [1] and after.context["items"] == [1, 2]
    assert after.context["big"] is before.context["big"]


def test_a_too_deep_expression_is_a_strict_load_problem_and_a_run_time_error() -> None:
    deep = "-" * 150 + "1"
    doc = document(datamodel=f'<data id="x" expr="{deep}"/>')
    with pytest.raises(ConfigError, match="SandboxLimit: expression nests deeper than 100"):
        load(doc, strict=True)
    context = load(doc).interpret().start().state.context
    assert context["x"] is None and "nests deeper" in context["errors"][0]
