"""The one collector of a document's diagnostics: where an element is (file, line, column, tag),
errors that say so, and strict mode's problems gathered and reported together.

`statecharts.scxml.parse.Converter` builds on it; a nested ``<scxml>`` shares its parent's list
of problems, so one error names every problem of the whole document.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from statecharts.errors import ConfigError
from statecharts.scxml.datamodel import RefusedExpression
from statecharts.scxml.reader import local, parse_xml  # noqa: F401 - parse_xml: the examples
from statecharts.scxml.sandbox import SandboxLimit

ID_REFERENCE = re.compile(r"'#([^'\s]+)'")  # a chart's reference to a state by id, quoted


class Diagnostics:
    """Positions and problems of one document (``where`` names it in every message).

    >>> root, at = parse_xml(b'<scxml>\\n<state id="a"/></scxml>', "doc")
    >>> Diagnostics(root, at, "doc").at(root[0])
    'line 2, column 1: <state>'
    """

    def __init__(
        self,
        root: ET.Element,
        positions: dict[ET.Element, tuple[int, int]],
        where: str,
        *,
        strict: bool = False,
        problems: list[tuple[int, int, str]] | None = None,
    ) -> None:
        self.root = root
        self.positions = positions
        self.where = where
        self.strict = strict
        self.problems: list[tuple[int, int, str]] = [] if problems is None else problems  # shared by nested <scxml>
        self.reports_problems = problems is None
        #: Each state element under its parent, by its key in the config (a state path's step).
        self.state_keys: dict[ET.Element, dict[str, ET.Element]] = {}
        #: Each state element's transition elements, by their key in its config (``on.go``, ``always``,
        #: ``initial``, ``target``), in document order.
        self.transition_keys: dict[ET.Element, dict[str, list[ET.Element]]] = {}

    def line(self, el: ET.Element) -> int:
        """The line an element starts on (0 when unknown).

        >>> root, at = parse_xml(b'<scxml>\\n<state id="a"/></scxml>', "doc")
        >>> c = Diagnostics(root, at, "doc")
        >>> c.line(root[0])
        2
        """
        return self.positions.get(el, (0, 0))[0]

    def fail(self, el: ET.Element, message: str) -> None:
        """Raise a `ConfigError` naming the document, the element's line and column, and its tag.

        >>> root, at = parse_xml(b'<scxml>\\n<state id="a"/></scxml>', "doc")
        >>> c = Diagnostics(root, at, "doc")
        >>> c.fail(root[0], "bad")
        Traceback (most recent call last):
            ...
        statecharts.errors.ConfigError: doc: line 2, column 1: <state>: bad
        """
        raise ConfigError(f"{self.at(el)}: {message}", path=self.where)

    def at(self, el: ET.Element) -> str:
        """Where an element is, as errors say it: line, column and tag.

        >>> root, at = parse_xml(b'<scxml>\\n  <state id="a"/></scxml>', "doc")
        >>> Diagnostics(root, at, "doc").at(root[0])
        'line 2, column 3: <state>'
        """
        line, column = self.positions.get(el, (0, 0))
        return f"line {line}, column {column}: <{local(el.tag)}>"

    def problem(self, el: ET.Element, message: str) -> None:
        """Note a strict-mode problem at an element (reported, in document order, by `strict_error`).

        >>> root, at = parse_xml(b'<scxml><assign/></scxml>', "doc")
        >>> c = Diagnostics(root, at, "doc", strict=True)
        >>> c.problem(root[0], "location is missing"); c.problems
        [(1, 8, 'doc: line 1, column 8: <assign>: location is missing')]
        """
        line, column = self.positions.get(el, (0, 0))
        self.problems.append((line, column, f"{self.where}: {self.at(el)}: {message}"))

    def compiles(self, el: ET.Element, what: str, source: str, compile_source: Callable[[str], Any]) -> None:
        """In strict mode, note (in `problems`) a ``source`` that ``compile_source`` refuses.

        >>> root, at = parse_xml(b'<scxml><log expr="1 +"/></scxml>', "doc")
        >>> c = Diagnostics(root, at, "doc", strict=True)
        >>> from statecharts.scxml.datamodel import Datamodel
        >>> c.compiles(root[0], "expr", "1 +", Datamodel().compile_expression); c.problems
        [(1, 8, "doc: line 1, column 8: <log>: expr='1 +': SyntaxError: invalid syntax")]
        """
        if not self.strict:
            return
        try:
            compile_source(source)
        except RefusedExpression as exc:
            self.problem(el, f"{what}: {exc} (load(..., trusted=True) lifts the restriction)")
        except (SyntaxError, ValueError, RecursionError, MemoryError, SandboxLimit) as exc:
            error = exc.__cause__ if isinstance(exc.__cause__, SyntaxError) else exc
            message = error.msg if isinstance(error, SyntaxError) else str(error)
            self.problem(el, f"{what}={source!r}: {type(error).__name__}: {message}")

    def strict_error(self) -> ConfigError:
        """The one error naming every problem strict mode found, a line each.

        >>> root, at = parse_xml(b'<scxml><log expr="1 +"/><log expr="(2"/></scxml>', "doc")
        >>> c = Diagnostics(root, at, "doc", strict=True)
        >>> from statecharts.scxml.datamodel import Datamodel
        >>> for el in root:
        ...     c.compiles(el, "expr", el.get("expr"), Datamodel().compile_expression)
        >>> print(c.strict_error())
        doc: 2 expressions or scripts do not compile (load(..., strict=True)):
          doc: line 1, column 8: <log>: expr='1 +': SyntaxError: invalid syntax
          doc: line 1, column 25: <log>: expr='(2': SyntaxError: '(' was never closed
        """
        count = len(self.problems)
        noun = "expressions or scripts do" if count != 1 else "expression or script does"
        lines = "".join(f"\n  {problem}" for _, _, problem in sorted(self.problems))
        return ConfigError(f"{count} {noun} not compile (load(..., strict=True)):{lines}", path=self.where)

    def located(self, exc: ConfigError, root_id: str) -> ConfigError:
        """The chart compiler's error with the file, line and column of the element it names: the
        transition its key names (``on.go[1].target``), else the state of its path (``root_id.a``).

        >>> from statecharts.scxml import load
        >>> load('<scxml>\\n<state id="a">\\n  <transition event="go" target="nowhere"/></state></scxml>')
        Traceback (most recent call last):
            ...
        statecharts.errors.ConfigError: <string>: line 3, column 3: <transition event='go'>: ...unknown target 'nowhere'
        """
        if not exc.also:
            element = self.element_at(exc.path or "", exc.key or "", root_id)
            if element is None or str(exc).startswith(self.where):
                return exc
            line, column = self.positions.get(element, (0, 0))
            named = next((f" {name}={element.get(name)!r}" for name in ("id", "event") if element.get(name)), "")
            # the converter wrote each SCXML target id as the chart reference '#id': say the document's id
            message = ID_REFERENCE.sub(r"'\1'", str(exc))
            return ConfigError(
                f"line {line}, column {column}: <{local(element.tag)}{named}>: {message}", path=self.where
            )
        first = self.located(ConfigError(exc.reason, path=exc.path, key=exc.key), root_id)  # then each other mistake
        also = tuple(self.located(other, root_id) for other in exc.also)
        return ConfigError(first.reason, path=first.path, key=first.key, also=also)

    def element_at(self, path: str, key: str, root_id: str) -> ET.Element | None:
        """The element a state path (its first step ``root_id``) and key name: the transition when
        the key names one, else the deepest state the path reaches; None for a path not of this
        document.

        >>> root, at = parse_xml(b'<scxml><state id="a"/></scxml>', "doc")
        >>> c = Diagnostics(root, at, "doc")
        >>> c.state_keys[root] = {"a": root[0]}
        >>> [c.element_at(path, "", "scxml") is element for path, element in (("scxml.a", root[0]), ("scxml", root))]
        [True, True]
        >>> c.element_at("(root)", "id", "scxml") is None
        True
        """
        steps = path.split(".")
        if steps[0] != root_id:
            return None
        element = self.root
        for step in steps[1:]:
            child = self.state_keys.get(element, {}).get(step)
            if child is None:
                return element
            element = child
        fitting = [
            (place, items)
            for place, items in self.transition_keys.get(element, {}).items()
            if key == place or key.startswith((place + ".", place + "["))
        ]
        if not fitting:
            return element
        place, items = max(fitting, key=lambda fit: len(fit[0]))
        rest = key[len(place) :]
        if len(items) == 1 and not rest.startswith("["):
            return items[0]
        index = rest[1:].partition("]")[0]
        return items[int(index)] if index.isdigit() and int(index) < len(items) else element
