"""The compiled chart: state nodes, transitions and invocations, linked into a tree.

`statecharts.compile.compile_chart` builds it from a config dict, checking every key once. The
nodes are plain objects linked once (their transitions, targets, ancestors and descendants) and
not changed afterwards; each has a document-order number (``order``) that the algorithm sorts by,
and hashes by identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from statecharts.actions import (
    Action,
)
from statecharts.guards import Guard
from statecharts.text import format_delay

STATE_TYPES = ("atomic", "compound", "parallel", "final", "history")


@dataclass(frozen=True)
class InvokeDef:
    """An invoked service: started when its state is entered, cancelled when it is left.

    >>> from statecharts.compile import compile_chart
    >>> chart = compile_chart({"id": "m", "initial": "a", "states": {
    ...     "a": {"invoke": {"src": "load", "id": "loader"}}}}, services={"load": lambda c, e: 1})
    >>> [(i.id, i.src_name, i.state.id) for i in chart.by_id["m.a"].invoke]
    [('loader', 'load', 'm.a')]
    """

    id: str
    src: Any
    src_name: str
    input: Any
    state: StateNode


#: The kinds of state node (``type`` in the config; ``atomic`` and ``compound`` are inferred).
StateType = Literal["atomic", "compound", "parallel", "final", "history"]
#: Where a transition comes from: ``on``/``always``, ``after``, or a state's ``initial``.
TransitionKind = Literal["event", "after", "initial"]
#: ``shallow`` or ``deep`` history.
HistoryType = Literal["shallow", "deep"]


class Transition:
    """A compiled transition. ``internal`` is the resolved SCXML kind (domain = source).

    >>> from statecharts.compile import compile_chart
    >>> chart = compile_chart({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {
    ...     "x": {"on": {"IN": "y", "OUT": "#m.b"}}, "y": {}}}, "b": {}}})
    >>> stay, leave = chart.by_id["m.a.x"].transitions
    >>> (stay.events, stay.domain.id), (leave.events, leave.domain.id)
    ((('IN',), 'm.a'), (('OUT',), 'm'))
    """

    __slots__ = (
        "source",
        "events",
        "targets",
        "guard",
        "actions",
        "internal",
        "reenter",
        "description",
        "order",
        "delay",
        "eventless",
        "target_refs",
        "kind",
        "domain",
        "meta",
        "has_history_target",
        "exact",
    )

    def __init__(self, source: StateNode, events: tuple[str, ...], order: int) -> None:
        self.source = source
        self.events = events
        self.targets: tuple[StateNode, ...] = ()
        self.target_refs: tuple[str, ...] = ()
        self.guard: Guard | None = None
        self.actions: tuple[Action, ...] = ()
        self.internal = False
        self.reenter = False
        self.description: str | None = None
        self.order = order
        self.delay: Any = None
        self.eventless = not events
        self.kind: TransitionKind = "event"
        self.domain: StateNode | None = None
        self.meta: Any = None
        self.has_history_target = False
        self.exact = False  # generated descriptors (done, invoke, after) match exactly

    @property
    def event_label(self) -> str:
        """The transition's trigger: its events, ``after 5s`` (see `format_delay`) or ``always``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"},
        ...     "after": {"1500": "b"}, "always": {"target": "b", "guard": "never"}}, "b": {}}},
        ...     guards={"never": lambda c, e: False})
        >>> [t.event_label for t in m.get_state("m.a").transitions]
        ['GO', 'always', 'after 1.5s']
        """
        if self.kind == "after":
            return f"after {format_delay(self.delay)}"
        if self.eventless:
            return "always"
        return " ".join(self.events)

    def describe(self) -> str:
        """``source --TRIGGER--> targets`` (``-`` for a targetless transition), for reports.

        >>> from statecharts.compile import compile_chart
        >>> chart = compile_chart({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b", "PING": {}}},
        ...     "b": {}}})
        >>> [t.describe() for t in chart.by_id["m.a"].transitions]
        ['m.a --GO--> m.b', 'm.a --PING--> -']
        """
        targets = ",".join(t.id for t in self.targets) or "-"
        return f"{self.source.id} --{self.event_label}--> {targets}"

    def __repr__(self) -> str:
        return f"<Transition {self.describe()}>"


class StateNode:
    """A compiled state: its place in the tree, its transitions and its actions.

    >>> from statecharts.compile import compile_chart
    >>> m = compile_chart({"id": "m", "initial": "a", "states": {
    ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
    ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
    >>> a = m.by_id["m.a"]
    >>> a.key, a.path, a.type, [c.key for c in a.children], [h.key for h in a.histories], a.depth
    ('a', ('a',), 'compound', ['x'], ['h'], 1)
    """

    __slots__ = (
        "key",
        "id",
        "path",
        "type",
        "parent",
        "children",
        "histories",
        "initial",
        "transitions",
        "entry",
        "exit",
        "invoke",
        "tags",
        "meta",
        "description",
        "output",
        "history_type",
        "history_default",
        "order",
        "depth",
        "ancestors",
        "config",
        "done_data",
        "_is_descendant",
        "descendants",
        "by_key",
    )

    def __init__(self, key: str, parent: StateNode | None, config: Mapping[str, Any]) -> None:
        self.key = key
        self.parent = parent
        self.path: tuple[str, ...] = (*parent.path, key) if parent else ()
        self.id = ""
        self.type: StateType = "atomic"
        self.children: tuple[StateNode, ...] = ()
        self.histories: tuple[StateNode, ...] = ()
        self.by_key: dict[str, StateNode] = {}  # children and histories by key (so lookups stay O(1))
        self.initial: Transition | None = None
        self.transitions: tuple[Transition, ...] = ()
        self.entry: tuple[Action, ...] = ()
        self.exit: tuple[Action, ...] = ()
        self.invoke: tuple[InvokeDef, ...] = ()
        self.tags: frozenset[str] = frozenset()
        self.meta: Any = None
        self.description: str | None = None
        self.output: Any = None
        self.done_data: bool = False
        self.history_type: HistoryType | None = None
        self.history_default: Transition | None = None
        self.order = 0
        self.depth: int = parent.depth + 1 if parent else 0
        self.descendants: frozenset[StateNode] = frozenset()  # filled in by Chart
        self.ancestors: tuple[StateNode, ...] = (parent, *parent.ancestors) if parent else ()
        self.config = config

    @property
    def path_str(self) -> str:
        """The machine id and the dotted key path from the root, as errors spell it.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> m.by_id["m.a.x"].path_str, m.root.path_str
        ('m.a.x', 'm')
        """
        root = self.ancestors[-1] if self.ancestors else self
        return ".".join((root.key, *self.path))

    @property
    def is_atomic(self) -> bool:
        """No child states (final states count as atomic).

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> [n.key for n in m.nodes if n.is_atomic]
        ['x', 'b', 'r']
        """
        return self.type in ("atomic", "final")

    @property
    def is_compound(self) -> bool:
        """Has child states, one of which is active at a time.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> [n.key for n in m.nodes if n.is_compound]
        ['m', 'a']
        """
        return self.type == "compound"

    @property
    def is_parallel(self) -> bool:
        """Has regions that are all active together.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> [n.key for n in m.nodes if n.is_parallel]
        ['p']
        """
        return self.type == "parallel"

    @property
    def is_final(self) -> bool:
        """A ``final`` state.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> [n.key for n in m.nodes if n.is_final]
        ['b']
        """
        return self.type == "final"

    @property
    def is_history(self) -> bool:
        """A ``history`` pseudo-state.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> [n.key for n in m.nodes if n.is_history]
        ['h']
        """
        return self.type == "history"

    def is_descendant_of(self, other: StateNode) -> bool:
        """Proper descendant.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> x, a = m.by_id["m.a.x"], m.by_id["m.a"]
        >>> x.is_descendant_of(a), x.is_descendant_of(m.root), a.is_descendant_of(a)
        (True, True, False)
        """
        return other in self.ancestors

    def __repr__(self) -> str:
        return f"<StateNode {self.id}>"


class Chart:
    """The compiled tree: nodes in document order, lookups by id and by path.

    >>> from statecharts.compile import compile_chart
    >>> chart = compile_chart({"id": "light", "initial": "green",
    ...     "states": {"green": {"on": {"TIMER": "yellow"}}, "yellow": {}}})
    >>> [n.id for n in chart.nodes]
    ['light', 'light.green', 'light.yellow']
    """

    def __init__(
        self,
        root: StateNode,
        nodes: list[StateNode],
        context: Any,
        services: Mapping[str, Any],
        delays: Mapping[str, Any],
    ) -> None:
        self.root = root
        self.nodes: tuple[StateNode, ...] = tuple(nodes)
        self.by_id: dict[str, StateNode] = {n.id: n for n in nodes}
        below: dict[StateNode, list[StateNode]] = {n: [] for n in nodes}
        for n in nodes:
            for a in n.ancestors:
                below.setdefault(a, []).append(n)
        for n in nodes:
            n.descendants = frozenset(below[n])  # proper descendants (exit sets are cut from these)
        self.context = context
        self.services = services
        self.delays = delays
        self.events: tuple[str, ...] = ()  # filled by index(), once the transitions are linked
        self.invokes: dict[str, InvokeDef] = {}

    def index(self) -> None:
        """Build the lookups that depend on linked transitions (`compile_chart` calls it once).

        >>> from statecharts.compile import compile_chart
        >>> chart = compile_chart({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "a", "error.*": "a"}}}})
        >>> chart.index(); chart.events
        ('GO',)
        """
        self.events = tuple(
            sorted({e for n in self.nodes for t in n.transitions for e in t.events if e != "*" and not e.endswith("*")})
        )
        self.invokes = {i.id: i for n in self.nodes for i in n.invoke}

    def find(self, ref: str, relative_to: StateNode | None = None) -> StateNode | None:
        """A node by ``#id`` (or ``#id.child...``), by id, or by dotted key path from the root (or
        from ``relative_to``); ``None`` when nothing matches. The one node lookup: the compiler,
        `statecharts.index.ChartIndex.resolve_ref` and ``Machine.get_state`` all come here.

        >>> from statecharts.compile import compile_chart
        >>> m = compile_chart({"id": "m", "initial": "a", "states": {
        ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
        ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
        >>> m.find("#m.a.h"), m.find("a.z")
        (<StateNode m.a.h>, None)
        """
        if ref.startswith("#"):
            name = ref[1:]
            if name in self.by_id:
                return self.by_id[name]
            # '#id.child.grandchild'
            parts = name.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                base = self.by_id.get(".".join(parts[:cut]))
                if base is not None:
                    return _walk(base, parts[cut:])
            return None
        if relative_to is None:
            if ref in self.by_id:
                return self.by_id[ref]
            relative_to = self.root
        return _walk(relative_to, ref.split(".") if ref else [])


def _walk(node: StateNode, keys: list[str]) -> StateNode | None:
    for key in keys:
        child = node.by_key.get(key)
        if child is None:
            return None
        node = child
    return node


def transition_domain_static(t: Transition) -> StateNode | None:
    """The SCXML transition domain, for targets without history (computed once).

    >>> from statecharts.compile import compile_chart
    >>> m = compile_chart({"id": "m", "initial": "a", "states": {
    ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
    ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
    >>> transition_domain_static(m.by_id["m.a"].transitions[0])
    <StateNode m>
    """
    if not t.targets:
        return None
    if t.internal:
        return t.source
    return find_lcca((t.source, *t.targets))


def find_lcca(states: tuple[StateNode, ...] | list[StateNode]) -> StateNode:
    """SCXML findLCCA: the lowest compound (or root) proper ancestor of the first containing all.

    The root counts as compound, as SCXML's <scxml> element does.

    >>> from statecharts.compile import compile_chart
    >>> m = compile_chart({"id": "m", "initial": "a", "states": {
    ...     "a": {"initial": "x", "on": {"GO": "b"}, "states": {"x": {}, "h": {"type": "history"}}},
    ...     "b": {"type": "final"}, "p": {"type": "parallel", "states": {"r": {}}}}})
    >>> x, h, r = m.by_id["m.a.x"], m.by_id["m.a.h"], m.by_id["m.p.r"]
    >>> find_lcca([x, h]), find_lcca([x, r])
    (<StateNode m.a>, <StateNode m>)
    """
    head, rest = states[0], states[1:]
    for anc in head.ancestors:
        if anc.type != "compound" and anc.parent is not None:
            continue
        if all(s.is_descendant_of(anc) for s in rest):
            return anc
    return head.ancestors[-1] if head.ancestors else head
