"""SCXML import and export: ``load(text)`` or ``load_file(path)`` returns a machine, ``dump(machine)`` a document.

>>> from statecharts.scxml import load, dump
>>> m = load('<scxml xmlns="http://www.w3.org/2005/07/scxml" initial="a">'
...          '<state id="a"><transition event="go" target="b"/></state><state id="b"/></scxml>')
>>> m.transition(m.initial_state(), "go").configuration
('scxml', 'b')
"""

from statecharts.scxml.export import dump, implementations
from statecharts.scxml.parse import load, load_file
from statecharts.scxml.session import ScxmlMachine, ScxmlSession, SessionRegistry

__all__ = ["ScxmlMachine", "ScxmlSession", "SessionRegistry", "dump", "implementations", "load", "load_file"]
