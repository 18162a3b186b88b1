"""The ``check`` command's TLC-style modes: ``--simulate``, ``--fingerprints``, ``--replay``,
``--from`` and ``--coverage`` (kept apart from `statecharts.cli.check` so each stays small)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from statecharts.check.model import Model, child_machines
from statecharts.cli.bounds import depth_bound, say_bound
from statecharts.cli.loading import UsageError
from statecharts.errors import SnapshotError
from statecharts.state import Snapshot

CHECKPOINT_MINUTES = 30.0  # TLC's default -checkpoint interval (statecharts.check.fingerprints.CHECKPOINT_SECONDS)


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
    group.add_argument("--depth", type=int, default=100, metavar="D", help="--simulate: steps per behaviour (100)")
    group.add_argument("--traces", type=int, default=1000, metavar="K", help="--simulate: behaviours (1000)")
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
        help="the fingerprint walk in N processes partitioning the states by fingerprint (implies --fingerprints)",
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
    """Refuse flags that make no sense together.

    >>> validate(argparse.Namespace(simulate=True, replay="x.jsonl", start_from=None, fingerprints=False,
    ...                             workers=None, checkpoint=None, resume=None, depth=10, traces=1))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --simulate and --replay cannot be used together
    >>> validate(argparse.Namespace(simulate=False, replay=None, start_from=None, fingerprints=False,
    ...                             workers=None, checkpoint=None, resume=None, depth=10, traces=1,
    ...                             checkpoint_every=5.0))
    Traceback (most recent call last):
    statecharts.cli.loading.UsageError: --checkpoint-every needs --checkpoint DIR or --resume DIR
    """
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, not {args.workers}")
    if args.checkpoint and args.resume:
        raise UsageError("--checkpoint and --resume cannot be used together (--resume DIR keeps checkpointing in DIR)")
    every = getattr(args, "checkpoint_every", None)
    if every is not None and not (args.checkpoint or args.resume):
        raise UsageError("--checkpoint-every needs --checkpoint DIR or --resume DIR")
    if every is not None and not every >= 0:
        raise UsageError(f"--checkpoint-every must be 0 minutes or more, not {every}")
    ray = getattr(args, "ray", None)
    if args.workers is not None or args.checkpoint or args.resume or ray is not None:
        args.fingerprints = True
    chosen = [
        flag
        for flag, on in (
            ("--simulate", args.simulate),
            ("--replay", args.replay),
            ("--from", args.start_from),
            ("--fingerprints", args.fingerprints),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} cannot be used together")
    if args.depth < 1 or args.traces < 1:
        raise UsageError(f"--depth and --traces must be at least 1, not {args.depth} and {args.traces}")


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


def run_mode(args: argparse.Namespace, model: Model) -> int | None:
    """Run ``--simulate``, ``--fingerprints`` or ``--replay`` and print the report: the exit status (0 nothing broken,
    1 a violation or a refused step); ``None`` when none was asked for.

    >>> from machines.fetch import machine
    >>> from statecharts.check.model import Model, child_machines
    >>> args = argparse.Namespace(simulate=True, replay=None, fingerprints=False, depth=5, traces=3, seed=2,
    ...                           json=False)
    >>> run_mode(args, Model(machine))
    model fetch
      ... INCOMPLETE: stopped by simulation: 3 behaviours of at most 5 steps, seed 2
      deadlock  deadlock: no violation in the 4 states explored (INCOMPLETE: not proved) (not broken in 3 ...)
    0
    """
    if args.simulate:
        from statecharts.check.simulate import simulate

        report = simulate(model, depth=args.depth, traces=args.traces, seed=args.seed)
        print(json.dumps(report.to_json(), indent=1) if args.json else report.format())
        return 0 if report.ok else 1
    if args.fingerprints:
        from statecharts.check.graph import Bounds

        try:
            from statecharts.check.fingerprints import check_fingerprints
        except ImportError as exc:
            raise UsageError(f"--fingerprints needs numpy ({exc}): pip install 'statecharts[scale]'") from exc

        if model.properties and not args.no_temporal:
            raise UsageError(
                "--fingerprints checks invariants and deadlock only: add --no-temporal (the model has "
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
        return 0 if report.ok else 1
    if args.replay:
        from statecharts.check.replay import replay

        result = replay(model, _read(args.replay, "--replay").splitlines(), args.replay)
        print(json.dumps(result.to_json(), indent=1) if args.json else result.format())
        return 0 if result.ok else 1
    return None


def _read(path: str, flag: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: {exc.strerror or exc}") from exc
