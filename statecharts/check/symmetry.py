"""Symmetry reduction: one representative per orbit of interchangeable entities.

A model declares groups of interchangeable regions (``symmetry=[("w1", "w2", "w3")]``: the
workers) and, per group, the context keys that hold one value per entity in region order
(``Symmetry(("w1", "w2"), context=("workerV",))``). The canonical key of a snapshot sorts each
group's entities by their local state (the active states under the region and their context
values), so permuted states share one key. This is exact when nothing in the state refers to an
entity by its index (true of the cluster machine), and it is sound for invariants; with temporal
properties it can hide a violation whose fairness depends on which entity is which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from math import factorial
from typing import TYPE_CHECKING, Any

from statecharts.errors import ConfigError

if TYPE_CHECKING:
    from statecharts.chart import StateNode
    from statecharts.check.model import Model
    from statecharts.state import Snapshot


@dataclass(frozen=True)
class Symmetry:
    """Interchangeable regions (by state id) and the per-entity context keys (tuples in region order).

    >>> Symmetry(("w1", "w2"), context=("workerV",)).regions
    ('w1', 'w2')
    """

    regions: tuple[str, ...]
    context: tuple[str, ...] = ()


def as_symmetry(group: Symmetry | Sequence[str]) -> Symmetry:
    """A `Symmetry` from itself or a plain sequence of region ids.

    >>> as_symmetry(["w1", "w2", "w3"])
    Symmetry(regions=('w1', 'w2', 'w3'), context=())
    >>> group = Symmetry(("a", "b"), context=("load",))
    >>> as_symmetry(group) is group
    True
    """
    return group if isinstance(group, Symmetry) else Symmetry(tuple(group))


def orbit_size_function(model: Model) -> Callable[[Snapshot], int] | None:
    """How many states a representative stands for: per group, ``n! / (m1! m2! ...)`` where the
    ``m`` count entities with equal local state (exact for the sort-based canonical form; ``None``
    when the model brings its own ``canonicalize``).

    >>> from machines.cluster_update import model
    >>> m = model(workers=2, requests=2)
    >>> orbit_size_function(m)(m.initial_states()[0])
    1
    """
    if model.canonicalize is not None:
        return None
    local, groups = _locals(model)

    def size(snapshot: Snapshot) -> int:
        total = 1
        for entities in _entities(snapshot, local, groups):
            total *= factorial(len(entities))
            for count in Counter(entities).values():
                total //= factorial(count)
        return total

    return size


def _locals(model: Model) -> tuple[dict[StateNode, tuple[int, int, str]], list[Symmetry]]:
    """node -> (group, entity, local path) for every node under a symmetric region."""
    chart = model.machine.chart
    groups = [as_symmetry(g) for g in model.symmetry]
    local: dict[StateNode, tuple[int, int, str]] = {}
    for g, group in enumerate(groups):
        shapes: dict[str, frozenset[str]] = {}
        for e, region_id in enumerate(group.regions):
            region = chart.find(region_id if region_id.startswith("#") else f"#{region_id}")
            if region is None:
                raise ConfigError(
                    f"symmetry names region {region_id!r}, which the chart does not have",
                    path=model.name or chart.root.id,
                    key="symmetry",
                )
            for node in _subtree(region):
                if node.type == "history":  # history values would need permuting too
                    raise ConfigError(
                        f"symmetry over region {region_id!r}, which holds the history state "
                        f"{node.id!r}, is not supported (history values are not permuted)",
                        path=model.name or chart.root.id,
                        key="symmetry",
                    )
                local[node] = (g, e, node.id[len(region.id) :])
            shapes[region_id] = frozenset(
                f"{path}:{n.type}" for n in _subtree(region) for path in [n.id[len(region.id) :]]
            )
        first = group.regions[0]
        for region_id, shape in shapes.items():
            if shape != shapes[first]:
                raise ConfigError(
                    f"symmetry group {group.regions}: regions {first!r} and {region_id!r} do not have "
                    f"the same states, so they are not interchangeable",
                    path=model.name or chart.root.id,
                    key="symmetry",
                )
    return local, groups


def _entities(
    snapshot: Snapshot, local: dict[StateNode, tuple[int, int, str]], groups: list[Symmetry]
) -> list[list[tuple[Any, ...]]]:
    """Per group, each entity's local state (active local paths, its context values), sorted."""
    per: list[list[list[str]]] = [[[] for _ in group.regions] for group in groups]
    for node in snapshot.configuration_nodes:
        where = local.get(node)
        if where is not None:
            per[where[0]][where[1]].append(where[2])
    ctx = snapshot.context
    out = []
    for g, group in enumerate(groups):
        entities = [
            (tuple(sorted(per[g][e])), tuple(ctx[k][e] for k in group.context)) for e in range(len(group.regions))
        ]
        entities.sort(key=repr)
        out.append(entities)
    return out


def canonical_key_function(model: Model) -> Callable[[Snapshot], Hashable]:
    """The function mapping a snapshot to its orbit's key (the model's own ``canonicalize`` wins).

    >>> from machines.cluster_update import model
    >>> m = model(workers=2, requests=1)
    >>> key = canonical_key_function(m)
    >>> s = m.initial_states()[0]
    >>> key(s) == key(s)
    True
    """
    if model.canonicalize is not None:
        return model.canonicalize
    if model.machine.xstate:  # the entry order is state there, and not permuted here
        raise ConfigError(
            "symmetry reduction is not available with semantics='xstate' (the order states were "
            "entered in is part of the state); give the model a canonicalize function or walk "
            "without symmetry",
            path=model.name or model.machine.id,
            key="symmetry",
        )
    local, groups = _locals(model)
    sym_keys = {k for group in groups for k in group.context}
    for snapshot in model.initial_states():
        for group in groups:
            for k in group.context:
                value = snapshot.context.get(k)
                if not isinstance(value, tuple) or len(value) != len(group.regions):
                    raise ConfigError(
                        f"symmetry context key {k!r} must hold a tuple with one value per region "
                        f"of {group.regions}, not {value!r}",
                        path=model.name or model.machine.id,
                        key="symmetry",
                    )

    def key(snapshot: Snapshot) -> Hashable:
        rest = frozenset(n for n in snapshot.configuration_nodes if n not in local)
        entities = tuple(tuple(group) for group in _entities(snapshot, local, groups))
        plain = tuple(sorted((k, v) for k, v in snapshot.context.items() if k not in sym_keys))
        return (rest, entities, plain, snapshot.history, snapshot.pending, snapshot.status, snapshot.output)

    return key


def _subtree(node: StateNode) -> list[StateNode]:
    out = [node]
    for child in (*node.children, *node.histories):
        out.extend(_subtree(child))
    return out
