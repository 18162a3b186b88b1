"""Reading an SCXML document: bytes -> an element tree with the line and column of each element.

Parsing uses defusedxml (no entity expansion, no external entities, no DTD); a malformed document
is a `ConfigError` naming the file, line and column; only regular files of bounded size are read.
The helpers below read elements the way the SCXML recommendation does (namespaces, text content).
"""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import defusedxml
import defusedxml.ElementTree as DET

from statecharts.errors import ConfigError
from statecharts.limits import MAX_DEPTH
from statecharts.scxml.datamodel import literal

SCXML_NS = "http://www.w3.org/2005/07/scxml"
EXTENSION_NS = "urn:statecharts:scxml"  # <sc:action name="..."/>: a named action given to load(actions=...)
STATE_TAGS = ("state", "parallel", "final", "history")
ROOT_ID = "scxml"


class _PositionedBuilder(ET.TreeBuilder):
    """A tree builder that remembers each element's line and column."""

    def __init__(self) -> None:
        super().__init__()
        self.positions: dict[ET.Element, tuple[int, int]] = {}
        self.parser: Any = None

    def start(self, tag: Any, attrs: Any) -> ET.Element:  # type: ignore[override]
        element = super().start(tag, attrs)
        expat = self.parser.parser
        self.positions[element] = (expat.CurrentLineNumber, expat.CurrentColumnNumber + 1)
        return element


def parse_xml(data: bytes, where: str) -> tuple[ET.Element, dict[ET.Element, tuple[int, int]]]:
    """Parse bytes safely; returns the root element and element positions.

    >>> root, pos = parse_xml(b"<scxml><state id='a'/></scxml>", "doc")
    >>> root[0].get("id"), pos[root[0]]
    ('a', (1, 8))
    >>> parse_xml(b"<scxml><state></scxml>", "doc")
    Traceback (most recent call last):
    ...
    statecharts.errors.ConfigError: doc: line 1, column 17: mismatched tag
    """
    builder = _PositionedBuilder()
    parser = DET.DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":")[0]
        raise ConfigError(f"line {line}, column {column + 1}: {message}", path=where) from None
    except defusedxml.DefusedXmlException as exc:
        expat = parser.parser
        raise ConfigError(
            f"line {expat.CurrentLineNumber}, column {expat.CurrentColumnNumber + 1}: "
            f"refused: {type(exc).__name__} ({exc})",
            path=where,
        ) from None
    except LookupError as exc:  # <?xml encoding="..."?> names an encoding Python does not know
        raise ConfigError(f"line 1: {exc}", path=where) from None
    stack = [(root, 0)]
    while stack:  # iteratively: the converter recurses through SCXML elements (not through data)
        el, depth = stack.pop()
        if local(el.tag) in NESTING_ELEMENTS:
            depth += 1
            if depth > MAX_DEPTH:
                line, column = builder.positions.get(el, (0, 0))
                raise ConfigError(
                    f"line {line}, column {column}: SCXML elements nest deeper than {MAX_DEPTH} levels", path=where
                )
        stack.extend((child, depth) for child in el)
    return root, builder.positions


NESTING_ELEMENTS = frozenset(
    {
        "scxml",
        "state",
        "parallel",
        "final",
        "history",
        "initial",
        "transition",
        "onentry",
        "onexit",
        "if",
        "elseif",
        "else",
        "foreach",
        "invoke",
        "finalize",
        "content",
        "donedata",
    }
)


def local(tag: Any) -> str | None:
    """The SCXML local name of a tag (None for comments and foreign namespaces).

    >>> local(f"{{{SCXML_NS}}}state"), local("state"), local("{urn:other}state")
    ('state', 'state', None)
    """
    if not isinstance(tag, str):
        return None
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return name if ns == SCXML_NS else None
    return tag


def children(el: ET.Element, *names: str) -> list[ET.Element]:
    return [c for c in el if local(c.tag) in names]


def content_value(el: ET.Element) -> Any:
    """The value of inline content: an XML child element as an `ElementTree.Element`, else the
    text as a Python literal or a space-normalized string.

    >>> root, _ = parse_xml(b"<c><data>[1, 2]</data><data>  some   text </data><data><x/></data></c>", "doc")
    >>> [content_value(el) for el in root[:2]], content_value(root[2]).tag
    ([[1, 2], 'some text'], 'x')
    """
    elements = [c for c in el if isinstance(c.tag, str)]
    if elements:
        return elements[0]
    return literal(el.text or "")


def text_value(text: str, where: str) -> Any:
    """The value of a ``src`` file: XML as an element, else a literal or a normalized string.

    >>> text_value("{'a': 1}", "data.txt"), text_value("<x a='1'/>", "data.xml").get("a")
    ({'a': 1}, '1')
    """
    if text.lstrip().startswith("<"):
        root, _ = parse_xml(text.strip().encode("utf-8"), where)
        return root
    return literal(text)


def text_of(el: ET.Element) -> str:
    """An element's text content (child elements serialized), for inline ``<content>``."""
    parts = [el.text or ""]
    for child in el:
        parts.append(ET.tostring(child, encoding="unicode"))
    return "".join(parts)


MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""The largest SCXML file `load` reads."""


def read_document(path: Path) -> bytes:
    """The bytes of a regular file of at most `MAX_DOCUMENT_BYTES` (a device, a FIFO or a folder
    is refused before it is opened for reading, so none can hang or exhaust the loader).

    >>> read_document(Path("/dev/zero"))
    Traceback (most recent call last):
        ...
    statecharts.errors.ConfigError: /dev/zero: cannot read SCXML document: not a regular file
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read SCXML document: {exc.strerror}", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("cannot read SCXML document: not a regular file", path=str(path))
    if info.st_size > MAX_DOCUMENT_BYTES:
        raise ConfigError(f"cannot read SCXML document: larger than {MAX_DOCUMENT_BYTES} bytes", path=str(path))
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_DOCUMENT_BYTES + 1)[:MAX_DOCUMENT_BYTES]
    except OSError as exc:
        raise ConfigError(f"cannot read SCXML document: {exc.strerror}", path=str(path)) from None
