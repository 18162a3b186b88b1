"""ScxmlSession builds on the interpreter's documented extension hooks, never on its private names."""

import ast
from pathlib import Path

from statecharts import Interpreter, Machine, VirtualClock
from statecharts.scxml import load, session

HOOKS = ("execute", "deliver", "on_start", "on_macrostep_done", "macrostep")


def _interpreter_private_names():
    actor = Machine({"id": "m", "initial": "a", "states": {"a": {}}}).interpret()
    names = set(dir(Interpreter)) | set(vars(actor))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_the_session_neither_reads_nor_overrides_a_private_name_of_the_interpreter():
    used = {
        node.attr
        for node in ast.walk(ast.parse(Path(session.__file__).read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
    }
    defined = set(vars(session.ScxmlSession))
    private = _interpreter_private_names()
    assert not used & private and not defined & private


def test_the_session_overrides_the_hooks_the_interpreter_calls():
    for name in HOOKS:
        assert callable(getattr(Interpreter, name)) and name in vars(session.ScxmlSession), name


def test_the_session_is_registered_before_listeners_see_its_first_snapshot():
    m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="a"/></scxml>')
    actor = m.interpret()
    seen = []
    actor.subscribe(lambda s: seen.append(m.registry.get(actor.sessionid) is actor))
    actor.start()
    assert seen == [True]


def test_a_child_that_finishes_tells_its_parent_and_leaves_the_registry():
    m = load(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        '<invoke id="kid"><content><scxml initial="k"><state id="k"><transition event="go" target="end"/>'
        '</state><final id="end"/></scxml></content></invoke>'
        '<transition event="done.invoke.kid" target="pass"/></state><final id="pass"/></scxml>'
    )
    clock = VirtualClock()
    actor = m.interpret(clock=clock).start()
    kid = actor.children["kid"]
    kid.send("go")
    assert not m.registry.known(kid.sessionid) and actor.state.configuration == ("scxml", "a")
    clock.advance(0)
    assert actor.state.configuration == ("scxml", "pass") and actor.children == {}


def test_two_initial_states_of_one_scxml_machine_are_equal_and_sessions_have_their_own_ids() -> None:
    from statecharts.scxml import load

    m = load(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><state id="a">'
        '<transition event="go" target="b"/></state><state id="b"/></scxml>'
    )
    assert m.initial_state() == m.initial_state()
    assert m.transition(m.initial_state(), "go") == m.transition(m.initial_state(), "go")
    first, second = m.interpret().start(), m.interpret().start()
    assert len({first.sessionid, second.sessionid, m.sessionid}) == 3
    assert "_sessionid" not in first.state.context and "_sessionid" not in m.initial_state().context


def test_expressions_read_the_session_id_of_the_session_that_runs_them_not_the_snapshot() -> None:
    m = load(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a"><datamodel><data id="at_start" expr="_sessionid"/>'
        '<data id="now"/></datamodel><state id="a"><transition event="who"><assign location="now" expr="_sessionid"/>'
        "</transition></state></scxml>"
    )
    first, second = m.interpret().start(), m.interpret().start()
    assert first.state.context["at_start"] == first.sessionid and second.state.context["at_start"] == second.sessionid
    assert first.send("who").context["now"] == first.sessionid
    assert m.transition(m.initial_state(), "who").context["now"] == m.sessionid  # outside a session: the machine's
    # the snapshot of one session, stepped purely, reads the machine's id: the id is not in the snapshot
    assert m.transition(first.state, "who").context["now"] == m.sessionid
