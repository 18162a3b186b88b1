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

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statecharts.errors import ConfigError

if TYPE_CHECKING:
    from statecharts.check.model import Model
    from statecharts.chart import StateNode
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
    """A `Symmetry` from itself or a plain sequence of region ids."""
    return group if isinstance(group, Symmetry) else Symmetry(tuple(group))


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
    chart = model.machine.chart
    groups = [as_symmetry(g) for g in model.symmetry]
    # node -> (group, entity, local path) for every node under a symmetric region
    local: dict[StateNode, tuple[int, int, str]] = {}
    for g, group in enumerate(groups):
        for e, region_id in enumerate(group.regions):
            region = chart.find(region_id if region_id.startswith("#") else f"#{region_id}")
            if region is None:
                raise ConfigError(f"symmetry names region {region_id!r}, which the chart does not have",
                                  path=model.name or chart.root.id, key="symmetry")
            for node in _subtree(region):
                local[node] = (g, e, node.id[len(region.id):])
    sym_keys = {k for group in groups for k in group.context}

    def key(snapshot: Snapshot) -> Hashable:
        rest: list[StateNode] = []
        per: list[list[list[Any]]] = [[[] for _ in group.regions] for group in groups]
        for node in snapshot.nodes:
            where = local.get(node)
            if where is None:
                rest.append(node)
            else:
                per[where[0]][where[1]].append(where[2])
        ctx = snapshot.context
        sorted_groups = []
        for g, group in enumerate(groups):
            entities = [(tuple(sorted(per[g][e])), tuple(ctx[k][e] for k in group.context))
                        for e in range(len(group.regions))]
            entities.sort(key=repr)
            sorted_groups.append(tuple(entities))
        plain = tuple(sorted((k, v) for k, v in ctx.items() if k not in sym_keys))
        return (frozenset(rest), tuple(sorted_groups), plain, snapshot.history, snapshot.pending,
                snapshot.status, snapshot.output)

    return key


def _subtree(node: StateNode) -> list[StateNode]:
    out = [node]
    for child in (*node.children, *node.histories):
        out.extend(_subtree(child))
    return out
