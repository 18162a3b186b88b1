"""Shared helpers for the core tests: charts whose actions record their names as effects."""

from __future__ import annotations

from typing import Any

from statecharts import Machine, Snapshot
from statecharts.actions import Call


def noop(context: Any, event: Any) -> None:
    """An action that does nothing; its name shows in the effects."""


def mark(name: str) -> Call:
    """An action that only records ``name`` in the effects of a pure transition."""
    return Call(noop, name)


def traced(config: dict[str, Any], **kwargs: Any) -> Machine:
    """A machine whose every state records ``enter:<key>`` / ``exit:<key>`` effects."""

    def walk(cfg: dict[str, Any], key: str) -> dict[str, Any]:
        cfg = dict(cfg)
        if cfg.get("type") != "history":
            cfg["entry"] = [mark(f"enter:{key}"), *_as_list(cfg.get("entry"))]
            cfg["exit"] = [mark(f"exit:{key}"), *_as_list(cfg.get("exit"))]
        if "states" in cfg:
            cfg["states"] = {k: walk(v, k) for k, v in cfg["states"].items()}
        return cfg

    return Machine(walk(config, config.get("id", "root")), **kwargs)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def names(snapshot: Snapshot) -> list[str]:
    """The effect names of the macrostep that produced the snapshot."""
    return [e.action.name for e in snapshot.effects]


def leaves(snapshot: Snapshot) -> list[str]:
    """Active atomic state keys, document order."""
    return [n.key for n in sorted(snapshot.configuration_nodes, key=lambda n: n.order) if n.type in ("atomic", "final")]
