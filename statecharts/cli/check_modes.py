"""The ``check`` command's TLC-style modes: ``--simulate``, ``--fingerprints``, ``--replay``,
``--from`` and ``--coverage`` (kept apart from `statecharts.cli.check` so each stays small)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from statecharts.check.checkpoint import CHECKPOINT, CHECKPOINT_SECONDS
from statecharts.check.model import Model, child_machines
from statecharts.check.walker import Report
from statecharts.cli.bounds import depth_bound, say_bound
from statecharts.cli.loading import UsageError
from statecharts.errors import SnapshotError
from statecharts.state import Snapshot

CHECKPOINT_MINUTES = CHECKPOINT_SECONDS / 60  # TLC's default -checkpoint interval
SIMULATE_DEPTH, SIMULATE_TRACES = 100, 1000  # --simulate's steps per behaviour and behaviours

#: The options of the exhaustive walk, by their ``args`` names, and the ones each mode also uses:
#: given with a mode that does not use it, an option is refused (never silently ignored).
WALK_OPTIONS = {
    "max_states": "--max-states",
    "max_depth": "--max-depth",
    "max_seconds": "--max-seconds",
    "max_memory": "--max-memory",
    "symmetry": "--symmetry",
    "compact": "--compact",
    "coverage": "--coverage",
    "trace_out": "--trace-out",
    "graph_out": "--graph-out",
}
USED_BY = {
    "--simulate": ("max_seconds", "trace_out"),
    "--fingerprints": ("max_states", "max_depth", "max_seconds", "trace_out"),
    "--replay": (),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of these modes.

    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--simulate", "--depth", "20", "--traces", "5", "--seed", "7"])
    >>> args.simulate, args.depth, args.traces, args.seed, args.replay, args.start_from, args.fingerprints
    (True, 20, 5, 7, None, None, False)
    """
    group = parser.add_argument_group("TLC-style modes")
    group.add_argument(
        "--coverage",
        action="store_true",
        help="print TLC's coverage table: per transition, the steps that took it and the new states "
        "they found (always in --json)",
    )
    group.add_argument(
        "--simulate", action="store_true", help="random behaviours instead of the exhaustive walk (TLC's -simulate)"
    )
    group.add_argument(
        "--depth",
        type=int,
        metavar="D",
        help=f"--simulate: steps per behaviour ({SIMULATE_DEPTH}; the walk's is --max-depth)",
    )
    group.add_argument("--traces", type=int, metavar="K", help=f"--simulate: behaviours ({SIMULATE_TRACES})")
    group.add_argument("--seed", type=int, metavar="S", help="--simulate: random seed (printed when not given)")
    group.add_argument(
        "--from",
        dest="start_from",
        metavar="SNAPSHOTS.jsonl",
        help="walk from these snapshots (one Snapshot.to_json object a line) instead of the model's initial states",
    )
    group.add_argument(
        "--fingerprints",
        action="store_true",
        help="keep only 64-bit fingerprints in memory, states and parent links in files (TLC's "
        "way past memory; invariants and deadlock only)",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="the fingerprint walk in N processes, each owning the states of some configurations (of "
        "some fingerprints for a chart with few configurations; implies --fingerprints)",
    )
    group.add_argument(
        "--ray",
        metavar="ADDRESS",
        help='the --workers walk on the Ray cluster at ADDRESS ("auto" on a node of it; one '
        "partition per CPU unless --workers N; pip install 'statecharts[ray]')",
    )
    group.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="the fingerprint walk with its level files and a checkpoint in DIR: at the start of every "
        "breadth-first level, within a level every --checkpoint-every minutes, and on Ctrl-C (which "
        "prints the partial report, exit 130) (implies --fingerprints; with --ray, a folder every node shares)",
    )
    group.add_argument(
        "--checkpoint-every",
        type=float,
        metavar="MINUTES",
        help="--checkpoint/--resume: minutes between checkpoints within a level (TLC's -checkpoint; "
        f"default {CHECKPOINT_MINUTES:g}; 0: at level starts and on Ctrl-C only; fractions allowed)",
    )
    group.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the fingerprint walk checkpointed in DIR (at a level start or within a level) "
        "to the result of an uninterrupted walk, checkpointing on in DIR",
    )
    group.add_argument(
        "--replay",
        metavar="LOG.jsonl",
        help='trace validation: is this event log ({"type": ...} lines, or records with an '
        '"event" object and an optional "snapshot") a behaviour of the model?',
    )


def validate(args: argparse.Namespace) -> None:
    """Refuse flags that make no sense together, and a walk's option that the chosen mode would
    ignore (naming the option as given: ``--workers`` asks for the fingerprint walk too).

    >>> validate(argparse.Namespace(simulate=True, replay="x.jsonl", start_from=None, fingerprints=False,
    ...                             workers=None, checkpoint=None, resume=None, depth=10, traces=1))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --simulate and --replay cannot be used together
    >>> validate(argparse.Namespace(simulate=False, replay=None, start_from=None, fingerprints=False,
    ...                             workers=None, checkpoint=None, resume=None, depth=10, traces=1,
    ...                             checkpoint_every=5.0))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --checkpoint-every needs --checkpoint DIR or --resume DIR
    >>> validate(argparse.Namespace(simulate=False, replay=None, start_from=None, fingerprints=False,
    ...                             workers=None, checkpoint=None, resume=None, depth=5, traces=None))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --depth goes with --simulate (random behaviours); the exhaustive walk's ...
    """
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, not {args.workers}")
    if args.checkpoint and args.resume:
        raise UsageError("--checkpoint and --resume cannot be used together (--resume DIR keeps checkpointing in DIR)")
    if args.checkpoint and (Path(args.checkpoint) / CHECKPOINT).exists():  # never overwrite a walk's checkpoint
        raise UsageError(
            f"--checkpoint {args.checkpoint}: the folder holds a checkpoint already ({CHECKPOINT}): continue "
            f"that walk with --resume {args.checkpoint}, or checkpoint to another folder (or empty this one)"
        )
    every = getattr(args, "checkpoint_every", None)
    if every is not None and not (args.checkpoint or args.resume):
        raise UsageError("--checkpoint-every needs --checkpoint DIR or --resume DIR")
    if every is not None and not every >= 0:
        raise UsageError(f"--checkpoint-every must be 0 minutes or more, not {every}")
    fingerprints = fingerprint_flag(args)
    args.fingerprints = fingerprints is not None
    chosen = [
        flag
        for flag, on in (
            ("--simulate", args.simulate),
            ("--replay", args.replay),
            ("--from", args.start_from),
            (fingerprints, fingerprints),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(str(flag) for flag in chosen)} cannot be used together")
    simulation = [flag for flag in ("depth", "traces", "seed") if getattr(args, flag, None) is not None]
    if simulation and not args.simulate:
        hint = "; the exhaustive walk's depth bound is --max-depth N" if "depth" in simulation else ""
        raise UsageError(
            f"{' and '.join('--' + flag for flag in simulation)} {'goes' if len(simulation) == 1 else 'go'} "
            f"with --simulate (random behaviours){hint}"
        )
    if args.simulate:
        args.depth = SIMULATE_DEPTH if args.depth is None else args.depth
        args.traces = SIMULATE_TRACES if args.traces is None else args.traces
        if args.depth < 1 or args.traces < 1:
            raise UsageError(f"--depth and --traces must be at least 1, not {args.depth} and {args.traces}")
    mode = "--simulate" if args.simulate else "--replay" if args.replay else "--fingerprints" if fingerprints else None
    if mode is not None:
        ignored = [
            option
            for name, option in WALK_OPTIONS.items()
            if getattr(args, name, None) not in (None, False) and name not in USED_BY[mode]
        ]
        if ignored:
            used = ", ".join(WALK_OPTIONS[name] for name in USED_BY[mode]) or "none of the walk's options"
            shown = fingerprints if mode == "--fingerprints" else mode
            raise UsageError(
                f"{shown} does not use {', '.join(ignored)}: drop {'it' if len(ignored) == 1 else 'them'} "
                f"(with {shown}, check takes {used})"
            )


def fingerprint_flag(args: argparse.Namespace) -> str | None:
    """The option that asks for the fingerprint walk (``--workers``, ``--ray``, ``--checkpoint`` and
    ``--resume`` imply ``--fingerprints``), as the user gave it; ``None`` when none does.

    >>> fingerprint_flag(argparse.Namespace(fingerprints=False, workers=2, checkpoint=None, resume=None))
    '--workers'
    """
    for flag, on in (
        ("--workers", args.workers is not None),
        ("--ray", getattr(args, "ray", None) is not None),
        ("--checkpoint", args.checkpoint),
        ("--resume", args.resume),
        ("--fingerprints", args.fingerprints),
    ):
        if on:
            return flag
    return None


def refuse_for_actor_system(args: argparse.Namespace, model: Model) -> None:
    """The flags that draw or count one chart's walk are refused for a chart that starts child
    machines (its actor system is walked; `statecharts.check.system`), before any walk; its
    counterexample is drawn as a Mermaid sequence diagram (``--trace-out cx.mmd``), one lifeline per actor.

    >>> from machines.dispatch import model
    >>> refuse_for_actor_system(argparse.Namespace(trace_out="cx.svg", graph_out=None, coverage=False), model())
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --trace-out: 'dispatch' starts child machines (dispatch.open: invoke 'w1'; ...):
    its actor system is checked, and this draws or counts one chart's walk (the report prints the system's traces; ...)
    """
    trace_out = getattr(args, "trace_out", None)
    flags = [
        flag
        for flag, on in (
            ("--trace-out", trace_out and not trace_out.lower().endswith(".mmd")),
            ("--graph-out", getattr(args, "graph_out", None)),
            ("--coverage", getattr(args, "coverage", False)),
        )
        if on
    ]
    children = child_machines(model.machine) if flags else []
    if children:
        raise UsageError(
            f"{' and '.join(flags)}: {model.machine.id!r} starts child machines ({'; '.join(children)}): "
            "its actor system is checked, and this draws or counts one chart's walk (the report prints "
            "the system's traces; --trace-out FILE.mmd draws one as a sequence diagram)"
        )


def read_snapshots(model: Model, path: str) -> list[Snapshot]:
    """The snapshots of a JSON Lines file, restored into the model's machine (errors name the line).

    >>> import tempfile
    >>> from machines.fetch import machine
    >>> from statecharts.check.model import Model, child_machines
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write(machine.initial_state().dumps() + "\\n" + '{"configuration": ["fetch", "fetch.nowhere"]}\\n')
    >>> read_snapshots(Model(machine), f.name)
    Traceback (most recent call last):
    statecharts.errors.SnapshotError: ... line 2: snapshot configuration: no state 'fetch.nowhere' in machine 'fetch'
    """
    snapshots: list[Snapshot] = []
    for number, text in enumerate(_read(path, "--from").splitlines(), 1):
        if text.strip():
            try:
                snapshots.append(model.machine.restore(text))
            except SnapshotError as exc:
                raise SnapshotError(f"{path} line {number}: {exc}") from exc
    if not snapshots:
        raise UsageError(f"--from {path}: no snapshot in the file")
    return snapshots


def run_mode(args: argparse.Namespace, model: Model, draw: Callable[[Report], bool] | None = None) -> int | None:
    """Run ``--simulate``, ``--fingerprints`` or ``--replay`` and print the report: the exit status (0 nothing broken,
    1 a violation or a refused step, 2 a drawing ``draw`` could not make); ``None`` when none was asked for.
    ``draw`` draws what ``--trace-out`` asks for (the first two modes' counterexamples are traces as the walk's are).

    >>> from machines.fetch import machine
    >>> from statecharts.check.model import Model, child_machines
    >>> args = argparse.Namespace(simulate=True, replay=None, fingerprints=False, depth=5, traces=3, seed=2,
    ...                           json=False)
    >>> run_mode(args, Model(machine))
    model fetch
      ... INCOMPLETE: simulation: 3 behaviours of at most 5 steps, seed 2
      deadlock  deadlock: no violation in the 4 states explored (INCOMPLETE: not proved; not broken in 3 ...)
    0
    """
    if args.simulate:
        from statecharts.check.simulate import simulate

        report = simulate(
            model, depth=args.depth, traces=args.traces, seed=args.seed, max_seconds=getattr(args, "max_seconds", None)
        )
        print(json.dumps(report.to_json(), indent=1) if args.json else report.format(), flush=True)
        return verdict(report, draw)
    if args.fingerprints:
        from statecharts.check.graph import Bounds

        try:
            from statecharts.check.fingerprints import check_fingerprints
        except ImportError as exc:
            raise UsageError(f"--fingerprints needs numpy ({exc}): pip install 'statecharts[scale]'") from exc

        if model.properties and not args.no_temporal:
            raise UsageError(
                f"{fingerprint_flag(args)} checks invariants and deadlock only (the fingerprint walk): add "
                "--no-temporal (the model has "
                f"temporal properties: {', '.join(model.properties)})"
            )
        bounds = Bounds(args.max_states, depth_bound(args), args.max_seconds)
        minutes = CHECKPOINT_MINUTES if getattr(args, "checkpoint_every", None) is None else args.checkpoint_every
        every = None if minutes == 0 else minutes * 60
        if getattr(args, "ray", None) is not None:
            from statecharts.check.ray_walk import check_ray, import_ray

            try:
                import_ray()
            except ImportError as exc:
                raise UsageError(f"--ray: {exc}") from exc
            report = check_ray(
                model,
                args.ray,
                workers=args.workers,
                bounds=bounds,
                directory=args.resume or args.checkpoint,
                resume=bool(args.resume),
                checkpoint_every=every,
            )
        else:
            report = check_fingerprints(
                model,
                directory=args.resume or args.checkpoint,
                bounds=bounds,
                workers=args.workers or 1,
                resume=bool(args.resume),
                checkpoint_every=every,
            )
        print(json.dumps(report.to_json(), indent=1) if args.json else report.format())
        say_bound(report, args)
        if report.fingerprints and report.fingerprints.get("interrupted"):
            return 130  # Ctrl-C: the partial report is printed, the checkpoint is on disk
        return verdict(report, draw)
    if args.replay:
        from statecharts.check.replay import replay

        result = replay(model, _read(args.replay, "--replay").splitlines(), args.replay)
        print(json.dumps(result.to_json(), indent=1) if args.json else result.format())
        return 0 if result.ok else 1
    return None


def verdict(report: Report, draw: Callable[[Report], bool] | None) -> int:
    """The exit status of a mode's ``report`` once ``draw`` has drawn what was asked: 1 a violation
    (whatever the drawing), else 0, or 2 when the drawing failed.

    >>> from statecharts.check.walker import Report
    >>> verdict(Report("m", 1, 0, 0, True, 0.0), lambda report: False)
    2
    """
    drawn = True if draw is None else draw(report)
    if not report.ok:
        return 1
    return 0 if drawn else 2


def _read(path: str, flag: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: {exc.strerror or exc}") from exc
