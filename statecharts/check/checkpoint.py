"""The fingerprint walk's checkpoint (``--checkpoint DIR``, ``--resume DIR``): ``checkpoint.json``
in the walk's folder, written by the driver at the start of each breadth-first level, once every
partition's files of that level are complete. It holds the walk's progress (the level reached,
the counts, the first violations found) and the identity of the walk it belongs to: the model
(its name, which carries the parameters of a model built from them, its chart's states, its
alphabet, invariants and initial states), whether deadlock is checked, the partition count and
how a state's owner among them is chosen (``partition``: by its configuration or by its
fingerprint, see `statecharts.check.fingerprints.partition_scheme`). A resume with another identity is
refused, naming what differs: its level files would not be those of the walk asked for.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from statecharts.check.model import Model
from statecharts.errors import ConfigError

CHECKPOINT = "checkpoint.json"


def walk_identity(model: Model, deadlock: bool, workers: int, partition: str = "state") -> dict[str, Any]:
    """What a resumed walk must share with the checkpointed one (digests stand for the long parts).

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> one = walk_identity(Model(m, alphabet=events("GO")), True, 2, "configuration")
    >>> one["model"], one["workers"], one["partition"], one["deadlock"], one["invariants"]
    ('m', 2, 'configuration', True, [])
    >>> walk_identity(Model(m, alphabet=events("GO")), True, 2, "configuration") == one
    True
    >>> walk_identity(Model(m, alphabet=events("GO", n=[1])), True, 2)["alphabet"] == one["alphabet"]
    False
    """
    return {
        "model": model.name or model.machine.id,
        "workers": workers,
        "partition": partition,
        "deadlock": deadlock,
        "invariants": list(model.invariants),
        "chart": _digest(sorted(node.id for node in model.machine.states)),
        "alphabet": _digest(model.events()),
        "initial states": _digest(
            [(sorted(n.id for n in s.configuration_nodes), dict(s.context)) for s in model.initial_states()]
        ),
    }


def _digest(value: Any) -> str:
    """A short digest of ``value``, the same in every process (of its canonical form; of its
    ``repr`` when it holds an object without a value, which then may differ between processes)."""
    from statecharts.check.portable import canonical

    try:
        text = repr(canonical(value))
    except ConfigError:
        text = repr(value)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def save_checkpoint(folder: Path, progress: dict[str, Any]) -> None:
    """Write the checkpoint at once (a reader never sees half of it)."""
    path = folder / CHECKPOINT
    path.with_suffix(".tmp").write_text(json.dumps(progress), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


def read_checkpoint(folder: Path) -> dict[str, Any]:
    """The checkpoint in ``folder``; a `ConfigError` when there is none.

    >>> read_checkpoint(Path("/nowhere"))
    Traceback (most recent call last):
    statecharts.errors.ConfigError: resume: cannot resume from /nowhere: no readable checkpoint.json (...)
    """
    try:
        progress: dict[str, Any] = json.loads((folder / CHECKPOINT).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot resume from {folder}: no readable {CHECKPOINT} ({exc})", key="resume") from exc
    return progress


def load_checkpoint(folder: Path, identity: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint in ``folder``, refused (a `ConfigError` naming each difference) when it is
    not of the walk ``identity`` describes. The resumed walk may check less than the checkpointed
    one (fewer invariants, no deadlock), never more: the levels walked before were not checked
    for it."""
    progress = read_checkpoint(folder)
    there = progress.get("walk", {"model": progress.get("model"), "workers": progress.get("workers")})
    differences = []
    for key, value in identity.items():
        was = there.get(key)
        if key == "invariants" and isinstance(was, list):
            if not set(value) <= set(was):
                differences.append(f"invariants {sorted(set(value) - set(was))} not checked there")
        elif key == "deadlock" and was is True:
            continue  # deadlock was checked: a resume without it checks less
        elif was != value:
            named = key in ("model", "workers", "partition", "deadlock")
            differences.append(f"{key} {was!r} there, {value!r} here" if named else f"another {key}")
    if differences:
        raise ConfigError(
            f"cannot resume from {folder}: its checkpoint is of another walk ({'; '.join(differences)}): "
            f"resume it with the model, parameters and partitions (--workers) it was made with",
            key="resume",
        )
    return progress
