"""`transition()` is pure: the snapshot it starts from, and every value in it, never change."""

import pytest

from statecharts import Machine, assign
from statecharts.frozen import FrozenDict, FrozenList
from statecharts.scxml import load

DOC = """<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a" datamodel="python">
  <datamodel><data id="xs" expr="[1]"/><data id="d" expr="{'k': 1}"/><data id="y" expr="0"/></datamodel>
  <state id="a">
    <transition event="go" cond="len(list(map(xs.append, [99]))) >= 0" target="a">
      <assign location="y" expr="list(map(xs.append, [99]))"/>
      <assign location="y" expr="dict.update(d, {'k': 2})"/>
      <script>xs.append(5); d['k'] = 3</script>
    </transition>
  </state>
</scxml>"""


def test_scxml_expressions_cannot_change_the_snapshot_they_run_from():
    """Whatever the evaluator allows (trusted lifts every restriction), values reach it as copies."""
    m = load(DOC, trusted=True)
    s0 = m.initial_state()
    before = s0.dumps()
    first, second = m.transition(s0, "go"), m.transition(s0, "go")
    assert s0.dumps() == before
    assert first.dumps() == second.dumps()
    assert s0.context["xs"] == [1] and s0.context["d"] == {"k": 1}
    assert first.context["xs"][-1] == 5 and first.context["d"] == {"k": 3}  # the script changes its own copy


def test_context_values_are_frozen_in_fact():
    seen = []
    m = Machine(
        {
            "id": "m",
            "context": {"xs": [1], "d": {"k": [2]}},
            "initial": "a",
            "states": {
                "a": {
                    "on": {
                        "GO": {"actions": lambda c, e: seen.append(c)},
                        "ADD": {"actions": assign(xs=lambda c, e: c["xs"] + [len(c["xs"]) + 1])},
                    }
                }
            },
        }
    )
    s0 = m.initial_state()
    assert isinstance(s0.context["xs"], FrozenList) and isinstance(s0.context["d"], FrozenDict)
    with pytest.raises(TypeError, match="immutable"):
        s0.context["xs"].append(2)
    with pytest.raises(TypeError, match="immutable"):
        s0.context["d"]["k"].extend([3])
    s1 = m.transition(s0, "ADD")
    assert s0.context["xs"] == [1] and s1.context["xs"] == [1, 2]
    assert m.restore(s1.dumps()) == s1 and hash(s1) == hash(m.restore(s1.dumps()))
