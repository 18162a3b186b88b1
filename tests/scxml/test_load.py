"""SCXML import: parsing, errors, security, datamodel and system variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from statecharts import Machine
from statecharts.errors import ConfigError
from statecharts.scxml import load, load_file
from tests.scxml.helpers import doc, run, run_text, states

PASS_FAIL = '<final id="pass"/><final id="fail"/>'


def test_loaded_machine_is_an_ordinary_machine_with_the_document_ids() -> None:
    m = load(doc('<state id="a"><transition event="go" target="b"/></state><state id="b"/>', initial="a"))
    assert isinstance(m, Machine)
    s = m.transition(m.initial_state(), "go")
    assert s.configuration == ("scxml", "b")
    assert m.interpret().start().send("go").configuration == ("scxml", "b")


def test_the_document_name_is_the_root_id() -> None:
    m = load(doc('<state id="a"/>', name="light"))
    assert m.id == "light" and m.initial_state().configuration == ("light", "a")


def test_without_initial_the_first_child_in_document_order_is_entered() -> None:
    m = load(doc('<state id="x"><state id="x1"/><state id="x2"/></state><state id="y"/>'))
    assert states(m, m.initial_state().configuration) == {"x", "x1"}


def test_malformed_document_is_a_config_error_with_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"line 2, column \d+: mismatched tag"):
        load(doc('<state id="a">\n</stat>'))


def test_unknown_target_is_a_config_error_naming_the_state() -> None:
    with pytest.raises(ConfigError, match=r"unknown target 'nowhere'"):
        load(doc('<state id="a"><transition event="go" target="nowhere"/></state>'))


def test_entity_expansion_is_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE scxml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>' + doc(
        '<state id="s"><onentry><log expr="\'&b;\'"/></onentry></state>'
    )
    with pytest.raises(ConfigError, match="refused"):
        load(bomb)


def test_external_entities_are_refused() -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE scxml [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + doc(
        '<state id="s"><onentry><log expr="\'&x;\'"/></onentry></state>'
    )
    with pytest.raises(ConfigError, match="refused"):
        load(xxe)


def test_script_is_refused_unless_trusted() -> None:
    text = doc(
        '<script>Var1 = 1</script><state id="s0"><transition cond="Var1 == 1" target="pass"/>'
        '<transition target="fail"/></state>' + PASS_FAIL
    )
    with pytest.raises(ConfigError, match=r"line 1, column \d+: <script>: .*trusted=True"):
        load(text)
    assert states(load(text, trusted=True), run_text(text, trusted=True).state.configuration) == {"pass"}


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "().__class__.__bases__",
        "open('/etc/passwd')",
        "(lambda: 1)()",
        "getattr(Var1, 'real')",
        "[x for x in ()].__len__()",
        "(x for x in ()).gi_frame",
    ],
)
def test_restricted_evaluator_refuses_code_execution(expr: str) -> None:
    text = doc(
        f'<datamodel><data id="Var1" expr="1"/></datamodel><state id="s"><transition cond="{expr}" '
        'target="s"/></state>'.replace("'", "&apos;")
    )
    with pytest.raises(ConfigError, match="not allowed"):
        load(text)


def test_restricted_evaluator_allows_plain_expressions() -> None:
    text = doc(
        '<datamodel><data id="Var1" expr="[3, 1, 2]"/>'
        "<data id=\"Var2\" expr=\"{'k': 'v'}\"/></datamodel>"
        '<state id="s0"><transition cond="sorted(Var1) == [1, 2, 3] and len(Var1) == 3 and '
        "Var2.get('k').upper() == 'V' and [x * 2 for x in Var1][0] == 6 and In('s0')\" "
        'target="pass"/><transition target="fail"/></state>' + PASS_FAIL
    )
    assert states(load(text), run_text(text).state.configuration) == {"pass"}


def test_expression_error_raises_error_execution_and_the_condition_is_false() -> None:
    text = doc(
        '<state id="s0"><transition cond="undefined_name > 1" target="fail"/>'
        '<transition event="error.execution" target="pass"/></state>' + PASS_FAIL
    )
    session = run_text(text)
    assert states(session.machine, session.state.configuration) == {"pass"}


def test_error_in_executable_content_ends_its_block_but_not_the_next_block() -> None:
    text = doc(
        '<datamodel><data id="Var1" expr="0"/></datamodel><state id="s0"><onentry>'
        '<assign location="Var1" expr="1 / 0"/><assign location="Var1" expr="99"/></onentry>'
        '<onentry><assign location="Var1" expr="Var1 + 1"/></onentry>'
        '<transition event="error.execution" cond="Var1 == 1" target="pass"/>'
        '<transition event="*" target="fail"/></state>' + PASS_FAIL
    )
    session = run_text(text)
    assert states(session.machine, session.state.configuration) == {"pass"}


def test_the_datamodel_lives_in_the_context() -> None:
    m = load(
        doc(
            '<datamodel><data id="n" expr="0"/></datamodel><state id="s">'
            '<transition event="inc"><assign location="n" expr="n + 1"/></transition></state>'
        )
    )
    s = m.transition(m.transition(m.initial_state(), "inc"), "inc")
    assert s.context["n"] == 2


def test_system_variables_are_bound_and_read_only() -> None:
    text = doc(
        '<datamodel><data id="Var1"/></datamodel><state id="s0"><onentry>'
        '<assign location="_sessionid" expr="1"/>'
        '</onentry><onentry><raise event="go"/></onentry>'
        '<transition event="error.execution" target="s1"/></state>'
        '<state id="s1"><transition event="go" '
        "cond=\"_event.name == 'go' and _event.type == 'internal'"
        " and _name == 'doc' and _sessionid != 1 and _ioprocessors['scxml'].location == "
        '\'#_scxml_\' + _sessionid" target="pass"/><transition event="*" target="fail"/></state>' + PASS_FAIL,
        name="doc",
    )
    session = run_text(text)
    assert states(session.machine, session.state.configuration) == {"pass"}


def test_send_delay_and_cancel_run_on_the_virtual_clock() -> None:
    text = doc(
        '<state id="s0"><onentry><send event="late" delay="2s"/><send id="x" event="cancelled" '
        'delay="1s"/><cancel sendid="x"/></onentry><transition event="late" target="pass"/>'
        '<transition event="*" target="fail"/></state>' + PASS_FAIL
    )
    m = load(text)
    session = run(m, ms=1999)
    assert states(m, session.state.configuration) == {"s0"}
    session.clock.advance(1)  # type: ignore[attr-defined]
    assert states(m, session.state.configuration) == {"pass"}


def test_send_data_from_params_and_namelist_reaches_event_data() -> None:
    text = doc(
        '<datamodel><data id="Var1" expr="7"/></datamodel><state id="s0"><onentry>'
        '<send event="e" namelist="Var1"><param name="p" expr="Var1 + 1"/></send></onentry>'
        '<transition event="e" cond="_event.data.Var1 == 7 and _event.data[\'p\'] == 8" '
        'target="pass"/>'
        '<transition event="*" target="fail"/></state>' + PASS_FAIL
    )
    session = run_text(text)
    assert states(session.machine, session.state.configuration) == {"pass"}


def test_invoked_child_talks_to_its_parent_and_finishes_with_done_invoke() -> None:
    child = (
        '<scxml initial="c0" datamodel="python"><datamodel><data id="x" expr="0"/></datamodel>'
        '<state id="c0"><onentry><send target="#_parent" event="hello"><param name="x" expr="x"/></send>'
        '</onentry><transition event="bye" target="cf"/></state><final id="cf"/></scxml>'
    )
    text = doc(
        f'<state id="s0" initial="s01"><invoke id="kid"><param name="x" expr="41 + 1"/>'
        f"<content>{child}</content></invoke>"
        '<state id="s01"><transition event="hello" target="s02" '
        'cond="_event.data.x == 42 and _event.invokeid == \'kid\'"><send target="#_kid" event="bye"/>'
        '</transition></state><state id="s02"/>'
        '<transition event="done.invoke.kid" target="pass"/><transition event="*" target="fail"/>'
        "</state>" + PASS_FAIL
    )
    session = run_text(text)
    assert states(session.machine, session.state.configuration) == {"pass"}


def test_a_semantic_error_names_the_file_and_the_line_of_the_transition_at_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.scxml"
    path.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a" datamodel="python">\n'
        '  <state id="a">\n    <transition event="go" target="zz"/>\n  </state>\n</scxml>\n'
    )
    with pytest.raises(
        ConfigError, match=r"bad\.scxml: line 3, column 5: <transition event='go'>: .*unknown target 'zz'"
    ):
        load_file(str(path))
    from statecharts.cli import main

    assert main(["check", str(path)]) == 2
    assert "bad.scxml: line 3, column 5: <transition event='go'>: scxml.a: on.go.target:" in capsys.readouterr().err


def test_every_mistake_in_several_states_names_the_line_of_its_element():
    doc = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a">\n'
        '  <state id="a">\n    <transition event="go" target="zz"/>\n  </state>\n'
        '  <state id="b">\n    <transition event="go" target="yy"/>\n  </state>\n</scxml>\n'
    )
    with pytest.raises(ConfigError) as raised:
        load(doc)
    first, also = str(raised.value).split("\n  also ")
    assert first.startswith("<string>: line 3, column 5: <transition event='go'>:") and first.endswith("'zz'")
    assert also.startswith("<string>: line 6, column 5: <transition event='go'>:") and also.endswith("'yy'")


def test_an_unknown_target_and_its_suggestion_are_the_document_ids_not_chart_references():
    doc = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="abc">\n'
        '  <state id="abc">\n    <transition event="go" target="abd"/>\n  </state>\n</scxml>\n'
    )
    with pytest.raises(ConfigError) as raised:
        load(doc)
    assert str(raised.value).endswith("unknown target 'abd' (did you mean 'abc'?)"), raised.value


LOCATED = (
    '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a">\n'  # line 1
    '  <state id="a">\n'  # 2
    '    <transition event="go" target="b.c"/>\n'  # 3
    '    <transition event="go" target="b.c"/>\n'  # 4
    '    <transition cond="True" target="b.c"/>\n'  # 5
    '    <transition cond="False" target="b.c"/>\n'  # 6
    "  </state>\n"  # 7
    '  <state id="b.c">\n'  # 8
    '    <initial><transition target="b1"/></initial>\n'  # 9
    '    <state id="b1"><transition event="x.y" target="a"/></state>\n'  # 10
    '    <history id="h"><transition target="b1"/></history>\n'  # 11
    "  </state>\n"  # 12
    "</scxml>"
)


@pytest.mark.parametrize(
    "old, new, where",
    [
        (
            'event="go" target="b.c"/>\n    <transition event="go" target="b.c"/>',
            'event="go" target="b.c"/>\n    <transition event="go" target="zz"/>',
            "line 4, column 5: <transition event='go'>: scxml.a: on.go[1]",
        ),
        ('cond="False" target="b.c"', 'cond="False" target="zz"', "line 6, column 5: <transition>: scxml.a: always[1]"),
        (
            '<transition target="b1"/></initial>',
            '<transition target="zz"/></initial>',
            "line 9, column 14: <transition>: scxml.b_c: initial",
        ),
        (
            'event="x.y" target="a"',
            'event="x.y" target="zz"',
            "line 10, column 20: <transition event='x.y'>: scxml.b_c.b1: on.x.y.target",
        ),
        (
            '<history id="h"><transition target="b1"/>',
            '<history id="h"><transition target="zz"/>',
            "line 11, column 21: <transition>: scxml.b_c.h: target.target",
        ),
        ('<state id="b.c">', '<state id="b.c" initial="zz">', "line 8, column 3: <state id='b.c'>: scxml.b_c: initial"),
        ('initial="a"', 'initial="zz"', "line 1, column 1: <scxml>: scxml: initial"),
    ],
)
def test_a_compile_error_names_the_line_of_the_element_at_fault(old: str, new: str, where: str) -> None:
    assert LOCATED.count(old) == 1
    load(LOCATED)  # the document itself is right
    with pytest.raises(ConfigError) as caught:
        load(LOCATED.replace(old, new))
    assert str(caught.value).startswith(f"<string>: {where}")
