"""The snapshot: configuration, context, history values, pending sends, status.

A snapshot is a value: equal snapshots are equal and hash alike. It holds exactly what determines
the future, nothing else; the effects that produced it ride along but do not count.

Its JSON form (`Snapshot.to_json`), format version ``SNAPSHOT_VERSION``: ``{"version": 1,
"machine": id, "configuration": [state ids], "context": {...}, "history": {history id: [state
ids]}, "pending": [{"id", "delay", "event", "data", "to"}], "status", "output"}``; values go
through `encode`. A snapshot without ``"version"`` reads as version 1. What a running actor adds
(timers' due times, running invocations, mailbox, children) is `statecharts.record.ActorRecord`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from statecharts.actions import Action
from statecharts.errors import SnapshotError
from statecharts.event import Event, to_event
from statecharts.frozen import FrozenDict
from statecharts.limits import MAX_DELAY_MS

if TYPE_CHECKING:
    from statecharts.chart import StateNode
    from statecharts.index import ChartIndex
    from statecharts.queries import EnabledEvent


@dataclass(frozen=True)
class Effect:
    """An action left for the interpreter, with the context and event it runs with.

    >>> from statecharts import Machine, log
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"entry": log("hello")}}})
    >>> m.initial_state().effects
    (Effect('log', event='xstate.init'),)
    """

    action: Action
    context: Mapping[str, Any]
    event: Event

    def __repr__(self) -> str:
        return f"Effect({self.action.name!r}, event={self.event.name!r})"


@dataclass(frozen=True)
class PendingSend:
    """A send waiting for the interpreter: delayed (``delay`` ms) or to the external queue (0).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"after": {"1000": "b"}}, "b": {}}})
    >>> [(p.id, p.delay) for p in m.initial_state().pending]
    [('xstate.after.1000.m.a', 1000.0)]
    """

    id: str | None
    delay: float
    event: Event
    to: str | None = None
    # semantics="xstate" only: xstate's scheduler keeps one timer per id, so a delayed send whose
    # id a later one reused, or whose id a timer of the same id took away when it fired, still
    # fires but can no longer be cancelled (see `algorithm.schedule` and `orphaned`)
    cancellable: bool = True

    def __repr__(self) -> str:
        """The fields, ``cancellable`` only when it is False (xstate mode's orphaned timers).

        >>> PendingSend("t", 100.0, Event("PING")), PendingSend("t", 100.0, Event("PING"), cancellable=False)
        (PendingSend(id='t', delay=100.0, event=Event('PING'), to=None), PendingSend(id='t', delay=100.0, \
event=Event('PING'), to=None, cancellable=False))
        """
        text = f"PendingSend(id={self.id!r}, delay={self.delay!r}, event={self.event!r}, to={self.to!r}"
        return text + (")" if self.cancellable else ", cancellable=False)")


#: An actor's status: running, reached its top-level final state, failed (xstate mode), or stopped.
Status = Literal["active", "done", "error", "stopped"]


class Snapshot:
    """An immutable, hashable machine state.

    Its configuration (SCXML's name for the set of active states) reads two ways:
    ``configuration``, the state ids in document order, and ``configuration_nodes``, the
    frozenset of `StateNode` objects the algorithm and the walker work with.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
    >>> s = m.transition(m.initial_state(), "FLIP")
    >>> s.value, s.matches("on"), s == m.transition(m.initial_state(), "FLIP")
    ('on', True, True)
    """

    __slots__ = (
        "machine",
        "configuration_nodes",
        "context",
        "history",
        "pending",
        "status",
        "output",
        "effects",
        "event",
        "sequence",
        "_hash",
    )

    def __init__(
        self,
        machine: ChartIndex,
        configuration_nodes: frozenset[StateNode],
        context: FrozenDict,
        history: tuple[tuple[StateNode, frozenset[StateNode]], ...] = (),
        pending: tuple[PendingSend, ...] = (),
        status: Status = "active",
        output: Any = None,
        effects: tuple[Effect, ...] = (),
        event: Event | None = None,
        sequence: tuple[StateNode, ...] = (),
    ) -> None:
        self.machine = machine
        self.configuration_nodes = configuration_nodes
        self.context = context
        self.history = history
        self.pending = pending
        self.status = status
        self.output = output
        self.effects = effects
        self.event = event
        self.sequence = sequence  # semantics="xstate": the configuration in entry order (xstate's _nodes)
        self._hash: int | None = None

    # -- value semantics -------------------------------------------------------------------
    def key(self) -> tuple[Any, ...]:
        """What identifies the snapshot (everything that determines the future).

        >>> from statecharts import Machine, log
        >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {"entry": log("hi")}}})
        >>> s = m.initial_state()
        >>> s.key() == s.with_context(s.context).key()  # the effects that produced a snapshot do not count
        True
        """
        return (
            self.configuration_nodes,
            self.context,
            self.history,
            self.pending,
            self.status,
            self.output,
            self.sequence,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        if self is other:
            return True
        if self.machine is not other.machine:
            return False
        if self._hash is not None and other._hash is not None and self._hash != other._hash:
            return False
        return (
            self.configuration_nodes == other.configuration_nodes
            and self.context == other.context
            and self.history == other.history
            and self.pending == other.pending
            and self.status == other.status
            and self.output == other.output
            and self.sequence == other.sequence
        )

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(self.key())
        return h

    def with_context(
        self,
        context: Mapping[str, Any],
        event: Event | None = None,
        configuration_nodes: frozenset[StateNode] | None = None,
    ) -> Snapshot:
        """This snapshot with another context (and configuration): the result of a step that
        only assigned (and moved).

        >>> from statecharts import Machine
        >>> s = Machine({"id": "m", "context": {"n": 0}}).initial_state()
        >>> s.with_context({"n": 1}).context
        FrozenDict({'n': 1})
        """
        return Snapshot(
            self.machine,
            self.configuration_nodes if configuration_nodes is None else configuration_nodes,
            context if type(context) is FrozenDict else FrozenDict(context),
            self.history,
            self.pending,
            self.status,
            self.output,
            (),
            event,
            self.sequence if configuration_nodes is None else (),
        )

    # -- reading ---------------------------------------------------------------------------
    @property
    def configuration(self) -> tuple[str, ...]:
        """All active state ids, in document order.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}}})
        >>> m.initial_state().configuration
        ('m', 'm.a', 'm.a.x')
        """
        return tuple(n.id for n in sorted(self.configuration_nodes, key=_order))

    @property
    def nodes(self) -> frozenset[StateNode]:
        """Deprecated: ``configuration_nodes`` (the one name for the configuration as nodes).

        >>> import warnings
        >>> from statecharts import Machine
        >>> snap = Machine({"id": "m", "initial": "a", "states": {"a": {}}}).initial_state()
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     same = snap.nodes is snap.configuration_nodes
        >>> same, caught[0].category.__name__
        (True, 'DeprecationWarning')
        """
        warnings.warn(
            "Snapshot.nodes is deprecated: use Snapshot.configuration_nodes", DeprecationWarning, stacklevel=2
        )
        return self.configuration_nodes

    @property
    def done(self) -> bool:
        """The machine reached a top-level final state.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"END": "z"}}, "z": {"type": "final"}}})
        >>> m.initial_state().done, m.transition(m.initial_state(), "END").done
        (False, True)
        """
        return self.status == "done"

    @property
    def value(self) -> Any:
        """xstate's nested state value: ``"idle"``, ``{"a": "b"}``, ``{"r1": {...}, "r2": ...}``.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "type": "parallel", "states": {
        ...     "a": {"initial": "x", "states": {"x": {"initial": "deep", "states": {"deep": {}}}}},
        ...     "b": {"initial": "y", "states": {"y": {}}}}})
        >>> m.initial_state().value
        {'a': {'x': 'deep'}, 'b': 'y'}
        """
        if self.sequence or self.machine.xstate:
            return xstate_value(self.machine.chart.root, self.sequence)
        return _value(self.machine.chart.root, self.configuration_nodes)

    def matches(self, path: str | Mapping[str, Any]) -> bool:
        """The state at this dotted key path from the root (or partial value dict) is active.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {"x": {}}}}})
        >>> s = m.initial_state()
        >>> s.matches("a"), s.matches("a.x"), s.matches({"a": "x"}), s.matches("#m.a.x"), s.matches("b")
        (True, True, True, True, False)
        """
        if isinstance(path, Mapping):
            return all(
                self.matches(f"{k}.{v}" if isinstance(v, str) else k)
                and (not isinstance(v, Mapping) or self._matches_under(k, v))
                for k, v in path.items()
            )
        node = (
            self.machine.chart.find(path, self.machine.chart.root)
            if not path.startswith("#")
            else self.machine.chart.find(path)
        )
        return node is not None and node in self.configuration_nodes

    def _matches_under(self, prefix: str, value: Mapping[str, Any]) -> bool:
        return all(
            self.matches(f"{prefix}.{k}.{v}" if isinstance(v, str) else f"{prefix}.{k}") for k, v in value.items()
        )

    def has_tag(self, tag: str) -> bool:
        """Some active state carries the tag.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"tags": ["busy"]}}})
        >>> m.initial_state().has_tag("busy"), m.initial_state().has_tag("idle")
        (True, False)
        """
        return any(tag in n.tags for n in self.configuration_nodes)

    @property
    def tags(self) -> frozenset[str]:
        """The tags of every active state.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "m", "initial": "a", "tags": "on", "states": {"a": {"tags": ["busy", "loud"]}}})
        >>> sorted(m.initial_state().tags)
        ['busy', 'loud', 'on']
        """
        return frozenset(t for n in self.configuration_nodes for t in n.tags)

    def can(self, event: str | Event | Mapping[str, Any]) -> bool:
        """Some transition is enabled for the event (its guards pass).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
        >>> m.initial_state().can("FLIP"), m.initial_state().can("DIM")
        (True, False)
        """
        from statecharts.queries import can

        return can(self, event)

    def enabled_events(self) -> tuple[EnabledEvent, ...]:
        """The events some transition would take now (see `statecharts.queries.enabled_events`).

        >>> from statecharts import Machine
        >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
        >>> [e.name for e in m.initial_state().enabled_events()]
        ['FLIP']
        """
        from statecharts.queries import enabled_events

        return enabled_events(self)

    def get_meta(self) -> dict[str, Any]:
        """The ``meta`` of the active states that have one, by state id (xstate's ``getMeta()``).

        >>> from statecharts import Machine
        >>> Machine({"id": "t", "initial": "a", "states": {"a": {"meta": {"view": "form"}}}}).initial_state().get_meta()
        {'t.a': {'view': 'form'}}
        """
        from statecharts.queries import active_meta

        return active_meta(self)

    def __repr__(self) -> str:
        return f"Snapshot(value={self.value!r}, context={dict(self.context)!r}, status={self.status!r})"

    # -- persistence -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict that `Machine.restore` turns back into an equal snapshot.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
        >>> data = m.initial_state().to_json()
        >>> data["configuration"], data["status"]
        (['t', 't.off'], 'active')
        >>> m.restore(data) == m.initial_state()
        True
        """
        return {
            "version": SNAPSHOT_VERSION,
            "machine": self.machine.id,
            "configuration": [n.id for n in self.sequence] if self.sequence else list(self.configuration),
            "context": encode(dict(self.context)),
            "history": {h.id: sorted(n.id for n in nodes) for h, nodes in self.history},
            "pending": [_pending_json(p) for p in self.pending],
            "status": self.status,
            "output": encode(self.output),
        }

    def dumps(self) -> str:
        """The snapshot as a JSON string.

        >>> from statecharts import Machine
        >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
        >>> m.initial_state().dumps()
        '{"configuration": ["t", "t.off"], "context": {}, "history": {}, "machine": "t", "output": null, ...}'
        """
        try:
            return json.dumps(self.to_json(), sort_keys=True)
        except (ValueError, RecursionError) as exc:  # huge integers, values nested past the stack, cycles
            raise SnapshotError(
                f"snapshot of machine {self.machine.id!r} cannot be written as JSON: {_reason(exc)}"
            ) from None


def _reason(exc: BaseException) -> str:
    """What went wrong, in words: a value too large or nested too deep is named as such."""
    if isinstance(exc, RecursionError):
        return "values nest too deep (or refer to themselves)"
    text = str(exc)
    return "an integer has more than 4,300 digits" if "4300 digits" in text else text


def _pending_json(p: PendingSend) -> dict[str, Any]:
    data, fields = p.event.persisted()
    row = {"id": p.id, "delay": p.delay, "event": p.event.name, "data": encode(data), "to": p.to}
    if not p.cancellable:
        row["cancellable"] = False
    if fields:
        row["fields"] = fields
    return row


def _pending_event(machine: ChartIndex, row: Mapping[str, Any]) -> Event:
    """A pending send's event from its JSON row: the machine rebuilds events that carry ``fields``
    (SCXML's origin, sendid, kind, invokeid) through its ``event_from_json``."""
    data, fields = decode(row.get("data")), row.get("fields")
    if fields:
        rebuild = getattr(machine, "event_from_json", None)
        if rebuild is None or not isinstance(fields, Mapping):
            raise SnapshotError(
                f"snapshot pending send {row['event']!r}: machine {machine.id!r} keeps no event fields, got {fields!r}"
            )
        return rebuild(row["event"], data, fields)  # type: ignore[no-any-return]
    return Event(row["event"], data) if data is not None else to_event(row["event"])


def _order(node: StateNode) -> int:
    return node.order


def _value(node: StateNode, active: frozenset[StateNode]) -> Any:
    if node.type == "parallel":
        return {c.key: _value(c, active) for c in node.children}
    if node.type == "compound":
        for child in node.children:
            if child in active:
                if child.type in ("atomic", "final"):
                    return child.key
                return {child.key: _value(child, active)}
        return None
    return {}


def xstate_value(root: StateNode, sequence: tuple[StateNode, ...]) -> Any:
    """xstate v5's state value of its ``_nodes`` (getStateValue): compound states without an
    active child and regions not active read as their initial states, keys in entry order.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}, "b": {"initial": "c", "states": {"c": {}}}}})
    >>> xstate_value(m.chart.root, (m.chart.root, m.get_state("m.b")))
    {'b': 'c'}
    """
    found = dict.fromkeys(sequence)
    adjacency = _adjacency(found)
    items = list(found)
    index = 0
    while index < len(items):
        state = items[index]
        index += 1
        if state.type == "compound" and not adjacency.get(state):
            added = _initial_with_ancestors(state)
        elif state.type == "parallel":
            added = [n for child in state.children if child not in found for n in _initial_with_ancestors(child)]
        else:
            continue
        for n in added:
            if n not in found:
                found[n] = None
                items.append(n)
    index = 0
    while index < len(items):
        parent = items[index].parent
        index += 1
        while parent is not None:
            if parent not in found:
                found[parent] = None
                items.append(parent)
            parent = parent.parent
    return _value_from_adjacency(root, _adjacency(found))


def _adjacency(nodes: Mapping[StateNode, None]) -> dict[StateNode, list[StateNode]]:
    adjacency: dict[StateNode, list[StateNode]] = {}
    for s in nodes:
        adjacency.setdefault(s, [])
        if s.parent is not None:
            adjacency.setdefault(s.parent, []).append(s)
    return adjacency


def _initial_with_ancestors(state: StateNode) -> list[StateNode]:
    found: dict[StateNode, None] = {}

    def visit(node: StateNode) -> None:
        if node in found:
            return
        found[node] = None
        if node.type == "compound":
            assert node.initial is not None
            visit(node.initial.targets[0])
        elif node.type == "parallel":
            for child in node.children:
                visit(child)

    visit(state)
    for node in list(found):
        for a in node.ancestors:
            if a is state:
                break
            found[a] = None
    return list(found)


def _value_from_adjacency(base: StateNode, adjacency: dict[StateNode, list[StateNode]]) -> Any:
    children = adjacency.get(base)
    if children is None:
        return {}
    if base.type == "compound":
        if not children:
            return {}
        if children[0].type in ("atomic", "final"):
            return children[0].key
    return {c.key: _value_from_adjacency(c, adjacency) for c in children}


def restore(machine: ChartIndex, data: Mapping[str, Any] | str) -> Snapshot:
    """Rebuild a snapshot from `Snapshot.to_json` output (or its JSON text).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "off", "states": {"off": {"on": {"FLIP": "on"}}, "on": {}}})
    >>> s = m.transition(m.initial_state(), "FLIP")
    >>> restore(m, s.dumps()).value
    'on'
    >>> restore(m, {"configuration": ["t", "t.dim"]})
    Traceback (most recent call last):
        ...
    statecharts.errors.SnapshotError: snapshot configuration: no state 't.dim' in machine 't'
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise SnapshotError(f"snapshot JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        except (ValueError, RecursionError) as exc:  # integers over 4,300 digits, nesting past the stack
            raise SnapshotError(f"snapshot JSON: {_reason(exc)}") from None
    if not isinstance(data, Mapping):
        raise SnapshotError(f"a snapshot is a JSON object, not {type(data).__name__}")
    if data.get("machine", machine.id) != machine.id:
        raise SnapshotError(f"snapshot of machine {data['machine']!r} cannot be restored into {machine.id!r}")
    version = data.get("version", SNAPSHOT_VERSION)
    if version != SNAPSHOT_VERSION:
        raise SnapshotError(
            f"snapshot format version {version!r} of machine {data.get('machine', machine.id)!r} "
            f"is not known (this version of statecharts reads version {SNAPSHOT_VERSION})"
        )
    chart = machine.chart

    def node(ref: str, where: str) -> StateNode:
        found = chart.by_id.get(ref)
        if found is None:
            raise SnapshotError(f"snapshot {where}: no state {ref!r} in machine {machine.id!r}")
        return found

    try:
        listed = [node(i, "configuration") for i in data["configuration"]]
        nodes = frozenset(listed)
        history = tuple(
            sorted(
                (
                    (node(h, "history"), frozenset(node(i, "history") for i in ids))
                    for h, ids in data.get("history", {}).items()
                ),
                key=lambda item: item[0].order,
            )
        )
        pending = tuple(
            PendingSend(
                p.get("id"),
                p["delay"],
                _pending_event(machine, p),
                p.get("to"),
                p.get("cancellable", True) is not False,
            )
            for p in data.get("pending", [])
        )
        context = FrozenDict(decode(data.get("context") or {}))
        status = data.get("status", "active")
        output = decode(data.get("output"))
    except KeyError as exc:
        raise SnapshotError(f"snapshot: missing key {exc.args[0]!r}") from exc
    except SnapshotError:
        raise
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise SnapshotError(f"snapshot of machine {machine.id!r} is malformed: {_reason(exc)}") from None
    check_configuration(machine, nodes)
    for h, remembered in history:
        check_history(h, remembered)
    if status not in STATUSES:
        raise SnapshotError(f"snapshot status: {status!r} is not one of {', '.join(STATUSES)}")
    if status != "error" and (status == "done") != _in_final_state(machine.chart.root, nodes):
        raise SnapshotError(
            f"snapshot status: {status!r} but the configuration "
            f"{'is not' if status == 'done' else 'is'} a top-level final state"
        )
    for p in pending:
        if isinstance(p.delay, bool) or not isinstance(p.delay, (int, float)) or not 0 <= p.delay <= MAX_DELAY_MS:
            raise SnapshotError(
                f"snapshot pending send {p.event.name!r}: delay {p.delay!r} is not milliseconds "
                f"(a finite number from 0 to {MAX_DELAY_MS:g})"
            )
    sequence = tuple(listed) if machine.xstate else ()
    return Snapshot(machine, nodes, context, history, pending, status, output, sequence=sequence)


STATUSES = ("active", "done", "error")
SNAPSHOT_VERSION = 1


def check_configuration(machine: ChartIndex, nodes: frozenset[StateNode]) -> None:
    """A legal configuration (W3C 3.11): the root, every ancestor of an active state, exactly one
    child of an active compound state, every region of an active parallel state.

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}, "b": {}}})
    >>> check_configuration(m, frozenset(m.chart.nodes))
    Traceback (most recent call last):
    statecharts.errors.SnapshotError: snapshot configuration: 'm' is compound but 2 of its children are active ...
    """
    root = machine.chart.root
    xstate = machine.xstate  # xstate's _nodes may lack states its value fills in (even the root)
    if root not in nodes and not xstate:
        raise SnapshotError(f"snapshot configuration: the root {root.id!r} is not active")
    for n in nodes:
        if n.type == "history":
            raise SnapshotError(f"snapshot configuration: {n.id!r} is a history state, never active")
        if xstate:
            continue
        if n.parent is not None and n.parent not in nodes:
            raise SnapshotError(f"snapshot configuration: {n.id!r} is active but its parent {n.parent.id!r} is not")
        active = [c for c in n.children if c in nodes]
        if n.type == "compound" and len(active) != 1:
            which = f" ({', '.join(c.id for c in active)})" if active else ""
            raise SnapshotError(
                f"snapshot configuration: {n.id!r} is compound but {len(active)} of its children are active{which}"
            )
        if n.type == "parallel" and len(active) != len(n.children):
            missing = ", ".join(c.id for c in n.children if c not in nodes)
            raise SnapshotError(f"snapshot configuration: {n.id!r} is parallel but region {missing} is not active")


def check_history(h: StateNode, remembered: frozenset[StateNode]) -> None:
    """A history value a machine could have recorded: a history state remembering children of its
    parent (shallow) or atomic descendants of it (deep).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"initial": "x", "states": {
    ...     "x": {}, "h": {"type": "history"}}}, "b": {}}})
    >>> check_history(m.get_state("m.a.h"), frozenset({m.get_state("m.b")}))
    Traceback (most recent call last):
    statecharts.errors.SnapshotError: snapshot history: 'm.a.h' remembers 'm.b', which is not a child of 'm.a'
    """
    if h.type != "history":
        raise SnapshotError(f"snapshot history: {h.id!r} is not a history state")
    parent = h.parent
    for n in remembered:
        if h.history_type == "deep":
            if parent is None or not n.is_descendant_of(parent) or n.type not in ("atomic", "final"):
                raise SnapshotError(
                    f"snapshot history: {h.id!r} remembers {n.id!r}, which is not an atomic "
                    f"descendant of {parent.id if parent else h.id!r}"
                )
        elif n.parent is not parent or n.type == "history":
            raise SnapshotError(
                f"snapshot history: {h.id!r} remembers {n.id!r}, which is not a child of "
                f"{parent.id if parent else h.id!r}"
            )


def _in_final_state(node: StateNode, nodes: frozenset[StateNode]) -> bool:
    if node.type == "parallel":
        return all(_in_final_state(c, nodes) for c in node.children)
    return any(c.type == "final" and c in nodes for c in node.children)


def encode(value: Any) -> Any:
    """Tag tuples, sets and frozensets so JSON keeps them apart from lists (a FrozenDict is written as
    a plain object: a snapshot's context freezes every dict again when it is read back).

    >>> encode({"a": (1, 2), "b": frozenset({3})})
    {'a': {'__tuple__': [1, 2]}, 'b': {'__frozenset__': [3]}}
    """
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"__frozenset__": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, set):
        return {"__set__": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value) or (len(value) == 1 and next(iter(value)) in TAGS):
            return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise SnapshotError(f"cannot persist a value of type {type(value).__name__}: {value!r}")


TAGS = ("__tuple__", "__frozenset__", "__set__", "__frozendict__", "__items__")


def decode(value: Any) -> Any:
    """Undo `encode`.

    >>> decode(encode({"a": (1, 2)}))
    {'a': (1, 2)}
    """
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag == "__tuple__":
                return tuple(decode(v) for v in inner)
            if tag == "__frozenset__":
                return frozenset(decode(v) for v in inner)
            if tag == "__set__":
                return {decode(v) for v in inner}
            if tag == "__frozendict__":
                return FrozenDict(decode(inner))
            if tag == "__items__":
                return {_hashable(decode(k)): decode(v) for k, v in inner}
        return {k: decode(v) for k, v in value.items()}
    return value


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
