"""Counterexample traces as data: each step's event, payload and resulting snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from statecharts.event import Event
from statecharts.state import Snapshot

STUTTER = "(stutter for ever)"  # how a lasso that ends by stuttering shows its last step


@dataclass(frozen=True)
class TraceStep:
    """One step: the event taken (``None`` for the initial state or a stutter) and the snapshot after.

    >>> from statecharts import Machine
    >>> start = Machine({"id": "w", "initial": "x", "states": {"x": {}}}).initial_state()
    >>> first, last = TraceStep(None, start), TraceStep(None, start, stutter=True)
    >>> first.event, first.snapshot.value, last.stutter
    (None, 'x', True)
    """

    event: Event | None
    snapshot: Snapshot
    stutter: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain data: event name, payload, configuration (active leaves), value and context.

        >>> from statecharts import Machine, assign
        >>> q = Machine({"id": "q", "context": {"n": 0}, "initial": "idle", "states": {
        ...     "idle": {"on": {"SET": {"actions": assign(n=lambda c, e: e.data["n"])}}}}})
        >>> TraceStep(Event("SET", n=4), q.transition(q.initial_state(), Event("SET", n=4))).to_json()
        {'event': 'SET', 'data': {'n': 4}, 'stutter': False, 'value': 'idle', 'configuration': ['q.idle'],
         'context': {'n': 4}}
        """
        s = self.snapshot
        data = None if self.event is None else _plain(self.event.data)
        return {
            "event": None if self.event is None else self.event.name,
            "data": data,
            "stutter": self.stutter,
            "value": _plain(s.value),
            "configuration": [n.id for n in sorted(s.configuration_nodes, key=lambda n: n.order) if not n.children],
            "context": {k: _plain(v) for k, v in s.context.items()},
        }


@dataclass(frozen=True)
class Trace:
    """A path from an initial state; with ``cycle_start`` set it is a lasso whose last step leads
    back to ``steps[cycle_start]`` (or stutters for ever when the last step says ``stutter``).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> s0 = m.initial_state()
    >>> t = Trace((TraceStep(None, s0), TraceStep(Event("GO"), m.transition(s0, "GO"))))
    >>> print(t.format())
    0. initial: a
    1. GO -> b
    """

    steps: tuple[TraceStep, ...]
    cycle_start: int | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Any:
        return iter(self.steps)

    def __getitem__(self, i: int) -> TraceStep:
        return self.steps[i]

    def to_json(self) -> list[dict[str, Any]]:
        """Plain data: one `TraceStep.to_json` per step.

        >>> from statecharts import Machine
        >>> gate = Machine({"id": "gate", "initial": "down", "states": {"down": {"on": {"RAISE": "up"}}, "up": {}}})
        >>> s0 = gate.initial_state()
        >>> steps = Trace((TraceStep(None, s0), TraceStep(Event("RAISE"), gate.transition(s0, "RAISE")))).to_json()
        >>> [(step["event"], step["value"]) for step in steps]
        [(None, 'down'), ('RAISE', 'up')]
        """
        return [step.to_json() for step in self.steps]

    def format(self, context: bool = False) -> str:
        """A readable listing, one line per step: the event and the active states (``region.path=state``,
        as `states_text` prints them); ``context=True`` adds the changed context keys.

        A lasso marks where its cycle starts:

        >>> from statecharts import Machine, assign
        >>> sw = Machine({"id": "sw", "context": {"lit": False}, "initial": "off", "states": {
        ...     "off": {"on": {"FLIP": {"target": "on", "actions": assign(lit=True)}}},
        ...     "on": {"on": {"FLIP": {"target": "off", "actions": assign(lit=False)}}}}})
        >>> s0 = sw.initial_state()
        >>> s1 = sw.transition(s0, "FLIP")
        >>> loop = Trace((TraceStep(None, s0), TraceStep(Event("FLIP"), s1),
        ...               TraceStep(Event("FLIP"), sw.transition(s1, "FLIP"))), cycle_start=0)
        >>> loop[2].snapshot == s0
        True
        >>> print(loop.format(context=True))
        0. initial: off  <- cycle starts here
             lit=False
        1. FLIP -> on
             lit=True
        2. FLIP -> off
             lit=False
           (back to step 0, for ever)
        """
        lines = []
        for i, step in enumerate(self.steps):
            s = step.snapshot
            where = states_text(leaves(s))
            if step.stutter:
                head = STUTTER
            elif step.event is None:
                head = "initial:"
            else:
                head = event_text(step.event) + " ->"
            mark = "  <- cycle starts here" if self.cycle_start == i and not step.stutter else ""
            line = f"{i}. {head} {where}{mark}"
            if context:
                changed = changed_context(self.steps[i - 1].snapshot if i else None, s)
                if changed:
                    line += "\n     " + ", ".join(f"{k}={value_text(v)}" for k, v in changed.items())
            lines.append(line)
        if self.cycle_start is not None and self.steps and not self.steps[-1].stutter:
            lines.append(f"   (back to step {self.cycle_start}, for ever)")
        return "\n".join(lines)


def changed_context(before: Snapshot | None, after: Snapshot) -> dict[str, Any]:
    """The context keys a step set to a new value (every key when there is no ``before``).

    >>> from statecharts import Machine, assign
    >>> m = Machine({"id": "m", "context": {"n": 0, "k": "x"}, "initial": "a",
    ...     "states": {"a": {"on": {"INC": {"actions": assign(n=lambda c, e: c["n"] + 1)}}}}})
    >>> s0 = m.initial_state()
    >>> changed_context(s0, m.transition(s0, "INC")), changed_context(None, s0)
    ({'n': 1}, {'n': 0, 'k': 'x'})
    """
    if before is None:
        return dict(after.context)
    old = before.context
    return {k: v for k, v in after.context.items() if k not in old or old[k] != v}


def event_text(event: Event) -> str:
    """An event with its payload, as traces, test paths and diagrams print it.

    >>> event_text(Event("FINISH", w=1, ok=True)), event_text(Event("GO")), event_text(Event("X", 5))
    ('FINISH(w=1, ok=True)', 'GO', 'X(5)')
    """
    data = event.data
    if isinstance(data, Mapping):
        if not data:
            return event.name
        return f"{event.name}(" + ", ".join(f"{k}={value_text(v)}" for k, v in data.items()) + ")"
    return f"{event.name}({value_text(data)})"


def value_text(value: Any) -> str:
    """A context or payload value as reports print it: Python's repr, with frozen mappings shown
    as the dicts they stand for (no ``FrozenDict(...)`` in human output).

    >>> from statecharts.frozen import FrozenDict
    >>> value_text(FrozenDict({"a": 1, "b": (FrozenDict({"c": 2}),)})), value_text("x")
    ("{'a': 1, 'b': ({'c': 2},)}", "'x'")
    """
    return repr(_unfrozen(value))


def _unfrozen(value: Any) -> Any:
    """``value`` with every mapping inside it (also in tuples, lists and sets) a plain dict."""
    if isinstance(value, Mapping):
        return {k: _unfrozen(v) for k, v in value.items()}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_unfrozen(v) for v in value)
    if isinstance(value, list):
        return [_unfrozen(v) for v in value]
    return value


def leaves(snapshot: Snapshot) -> dict[str, str]:
    """The state value flattened to ``{"region.path": "active child"}`` (``{"": state}`` when flat).

    >>> from statecharts import Machine
    >>> m = Machine({"id": "p", "type": "parallel", "states": {
    ...     "a": {"initial": "x", "states": {"x": {}}}, "b": {"initial": "y", "states": {"y": {}}}}})
    >>> leaves(m.initial_state())
    {'a': 'x', 'b': 'y'}
    """
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = str(value)

    walk("", snapshot.value)
    return out


def states_text(flat: Mapping[str, str]) -> str:
    """Active states (`leaves`, or some of them) as traces and test paths print them.

    >>> states_text({"requests.r1": "waiting", "cluster": "idle"}), states_text({"": "a"})
    ('requests.r1=waiting, cluster=idle', 'a')
    """
    return ", ".join(f"{k}={v}" if k else v for k, v in flat.items())


def _plain(value: Any) -> Any:
    """JSON-friendly data: mappings to dicts, tuples/sets to lists, others as they are or repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    return repr(value)
