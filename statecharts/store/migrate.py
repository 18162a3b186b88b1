"""Chart changes: which stored actors no longer restore against the current chart, and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statecharts.errors import SnapshotError
from statecharts.machine import Machine
from statecharts.record import ActorRecord


@dataclass
class MigrationReport:
    """The outcome of `check_records`: actors checked, skipped (another machine) and broken.

    >>> MigrationReport(checked=3, broken=[("order-1", "gone")]).ok
    False
    """

    checked: int = 0
    skipped: int = 0
    broken: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every checked actor restores."""
        return not self.broken


def context_problems(context: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """Keys of the chart's context that a stored context lacks or holds with another type (ints
    and floats pass for each other; a ``None`` in the chart accepts anything).

    >>> context_problems({"n": "3", "tags": (), "total": 2}, {"n": 0, "tags": (), "owner": None, "total": 1.5})
    ["context key 'n' holds str, the chart's holds int", "context key 'owner' is missing (the chart has it)"]
    """
    problems = []
    for key, value in expected.items():
        if key not in context:
            problems.append(f"context key {key!r} is missing (the chart has it)")
        elif value is not None and not _same_kind(context[key], value):
            problems.append(
                f"context key {key!r} holds {type(context[key]).__name__}, the chart's holds {type(value).__name__}"
            )
    return problems


def _same_kind(stored: Any, expected: Any) -> bool:
    if type(stored) is type(expected):
        return True
    numbers = (int, float)
    return (
        isinstance(stored, numbers)
        and isinstance(expected, numbers)
        and not isinstance(stored, bool)
        and not isinstance(expected, bool)
    )


def child_machines(machine: Machine) -> dict[str, Machine]:
    """Every machine an actor of ``machine`` can run as a child, at any depth (invoked or named in
    ``services=``), by machine id: what a stored actor tree's children are restored with.

    >>> kid = Machine({"id": "kid", "initial": "a", "states": {"a": {}}})
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {}}}, services={"kid": kid})
    >>> sorted(child_machines(m))
    ['kid']
    """
    found: dict[str, Machine] = {}
    todo = [machine]
    while todo:
        current = todo.pop()
        chart = current.chart
        for src in [*(i.src for i in chart.invokes.values()), *chart.services.values()]:
            if isinstance(src, Machine) and src.id not in found and src is not machine:
                found[src.id] = src
                todo.append(src)
    return found


def check_records(
    machine: Machine, records: Iterable[tuple[str, str, str]], expected_context: Mapping[str, Any] | None = None
) -> MigrationReport:
    """Restore every stored record of ``machine`` (``(actor id, machine id, record JSON)``, as
    `Store.records` gives them) against the current chart: a state id that is gone, a context key
    of another type (against ``expected_context``, by default the chart's initial context). The
    records of child actors (an asyncio actor tree) are restored against their current machines too.

    >>> m = Machine({"id": "m", "context": {"n": 0}, "initial": "a", "states": {"a": {}}})
    >>> from statecharts.record import ActorRecord
    >>> good = ActorRecord(m.initial_state()).dumps()
    >>> bad = good.replace('"m.a"', '"m.gone"').replace('"n": 0', '"n": "x"')
    >>> check_records(m, [("a-1", "m", good), ("a-2", "m", bad), ("x-1", "other", good)])
    MigrationReport(checked=2, skipped=1, broken=[('a-2', "snapshot configuration: no state 'm.gone' in machine 'm'")])
    """
    if expected_context is None:
        try:
            expected_context = machine.initial_context()
        except Exception:  # noqa: BLE001 - a context made from input: no types to compare against
            expected_context = {}
    report = MigrationReport()
    children = child_machines(machine)

    def child_machine(child_id: str, data: Mapping[str, Any]) -> Machine:
        found = children.get(str(data.get("machine")))
        if found is None:
            raise SnapshotError(
                f"child actor {child_id!r} runs machine {data.get('machine')!r}, which the chart no "
                f"longer invokes or names in services="
            )
        return found

    for actor_id, machine_id, text in records:
        if machine_id != machine.id:
            report.skipped += 1
            continue
        report.checked += 1
        try:
            record = ActorRecord.from_json(machine, text, child_machine)
        except SnapshotError as exc:
            report.broken.append((actor_id, str(exc)))
            continue
        report.broken.extend((actor_id, p) for p in context_problems(record.snapshot.context, expected_context))
    return report
