"""The fingerprint walk's checkpoint (``--checkpoint DIR``, ``--resume DIR``): ``checkpoint.json``
in the walk's folder, written by the driver at the start of each breadth-first level, once every
partition's files of that level are complete, and within a level every ``checkpoint_every``
seconds (TLC's ``-checkpoint`` minutes) and on Ctrl-C, between two slices of the level. It holds
the walk's progress (the level reached, the counts, the first violations found) and, within a
level, the ``level`` in expansion: the states expanded (those the single-process walk numbers
below ``upto``), the level's first violations so far, and per partition what it has read of the
level and written of the next one (``files``: the states written, the bytes of its states file;
the links and orders files hold a fixed record a state). The level files are made durable
before the checkpoint that counts them, and the checkpoint replaces the previous one at once: a
crash leaves the previous checkpoint, and a resume cuts the files back to what it counts. It
also holds the identity of the walk it belongs to: the model
(its name, which carries the parameters of a model built from them, its chart's states, its
alphabet, invariants and initial states), whether deadlock is checked, the partition count and
how a state's owner among them is chosen (``partition``: by its configuration or by its
fingerprint, see `statecharts.check.fingerprints.partition_scheme`). A resume with another identity is
refused, naming what differs: its level files would not be those of the walk asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from statecharts.check.model import Model
from statecharts.errors import ConfigError

CHECKPOINT = "checkpoint.json"
CHECKPOINT_SECONDS = 1_800.0  # a checkpoint within a level every 30 minutes, as TLC's -checkpoint


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


def save_checkpoint(folder: Path, progress: dict[str, Any], durable: bool = True) -> None:
    """Write the checkpoint at once: a reader, or a walk resumed after a crash, sees the previous
    checkpoint or this one, never half of it (written beside it, synced, then renamed over it).
    Not ``durable`` (a walk's temporary folder): not synced, a crash of the machine may lose it."""
    path, scratch = folder / CHECKPOINT, folder / f"{CHECKPOINT}.tmp"
    with open(scratch, "w", encoding="utf-8") as out:
        out.write(json.dumps(progress))
        if durable:
            out.flush()
            os.fsync(out.fileno())
    scratch.replace(path)
    if durable:
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash of the machine
        finally:
            os.close(directory)


def read_checkpoint(folder: Path) -> dict[str, Any]:
    """The checkpoint in ``folder``; a `ConfigError` when there is none, or when it is not a
    fingerprint walk's checkpoint (damaged, or another program's file).

    >>> read_checkpoint(Path("/nowhere"))
    Traceback (most recent call last):
    statecharts.errors.ConfigError: resume: cannot resume from /nowhere: no readable checkpoint.json (...)
    """
    try:
        progress = json.loads((folder / CHECKPOINT).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot resume from {folder}: no readable {CHECKPOINT} ({exc})", key="resume") from exc
    wrong = _malformed(progress)
    if wrong:
        raise ConfigError(
            f"cannot resume from {folder}: its {CHECKPOINT} is not a fingerprint walk's checkpoint, or is "
            f"damaged ({wrong})",
            key="resume",
        )
    assert isinstance(progress, dict)
    return progress


def _malformed(progress: Any) -> str | None:
    """What is wrong with a checkpoint's contents (None: nothing).

    >>> _malformed({"depth": 2})
    "no 'distinct'"
    >>> _malformed({"depth": 2, "distinct": 9, "generated": 9, "transitions": 8, "broken": {}, "workers": 1,
    ...             "level": {"upto": 4, "firsts": {}, "files": [{"read": 4, "written": "x", "states": 0}]}})
    "level: files: 'written' is not a count"
    """
    if not isinstance(progress, dict):
        return "not an object"
    counts = ("depth", "distinct", "generated", "transitions", "workers")
    for key in (*counts, "broken"):
        if key not in progress:
            return f"no {key!r}"
        if (key == "broken") != isinstance(progress[key], dict) or key in counts and not _count(progress[key]):
            return f"{key!r} is not {'a mapping' if key == 'broken' else 'a count'}"
    level = progress.get("level")
    if level is None:
        return None
    if not isinstance(level, dict) or not _count(level.get("upto")) or not isinstance(level.get("firsts"), dict):
        return "level: no 'upto' count or 'firsts'"
    files = level.get("files")
    if not isinstance(files, list) or len(files) != progress["workers"]:
        return "level: not one 'files' entry a partition"
    for entry in files:
        for key in ("read", "written", "states"):
            if not isinstance(entry, dict) or not _count(entry.get(key)):
                return f"level: files: {key!r} is not a count"
    return None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
            differences.append(f"{key} {was!r} there, {value!r} here" if named else f"a different {key}")
    if differences:
        raise ConfigError(
            f"cannot resume from {folder}: its checkpoint is of another walk ({'; '.join(differences)}): "
            f"resume it with the model, parameters and partitions (--workers) it was made with",
            key="resume",
        )
    return progress
