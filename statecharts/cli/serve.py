"""``python -m statecharts serve MODULE[:FACTORY]``: a machine as a networked service (uvicorn)."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

from statecharts.check import Model
from statecharts.cli.loading import UsageError, load_model, parse_params
from statecharts.cli.parameters import add_param_option


def add_parser(sub: Any) -> None:
    """Add the ``serve`` subcommand to the CLI's subparsers.

    >>> parser = argparse.ArgumentParser(prog="statecharts")
    >>> add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["serve", "machines.counter", "-p", "limit=3", "--port", "0"])
    >>> args.target, args.param, args.host, args.port, args.token, args.sync, args.handler is run
    ('machines.counter', ['limit=3'], '127.0.0.1', 0, None, 'group', True)
    """
    parser = sub.add_parser(
        "serve",
        help="serve a machine over HTTP: a JSON API, an SSE stream and an inspector",
        description="Serve durable actors of a machine over HTTP (Starlette + uvicorn), with "
        "a live inspector at /. Binding off loopback needs --token.",
        add_help=False,
    )
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="MODULE[:FACTORY] (uses `model` or `machine`), chart.py, chart.json or chart.scxml",
    )
    add_param_option(parser)
    parser.add_argument(
        "--store",
        default="statecharts-serve.db",
        help="sqlite:///PATH, postgresql://..., or a file path for SQLite (default: "
        "statecharts-serve.db in the working directory)",
    )
    parser.add_argument(
        "--sync",
        choices=("group", "each"),
        default="group",
        help="SQLite: 'group' (default) answers a request once one fsync that began after its "
        "commit is done (concurrent requests share it); 'each' fsyncs every commit",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN' on every request")
    parser.add_argument("--trusted", action="store_true", help="load an SCXML file trusted (its scripts may run)")
    parser.add_argument(
        "--halt-on-violation", action="store_true", help="an actor that breaks an invariant takes no more events (409)"
    )
    parser.set_defaults(handler=run)


def loopback(host: str) -> bool:
    """``host`` is a loopback address (or ``localhost``).

    >>> loopback("127.0.0.1"), loopback("::1"), loopback("localhost"), loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_served_model(target: str, params: dict[str, Any], trusted: bool = False) -> Model:
    """The model to serve; an SCXML file is loaded untrusted unless ``trusted``.

    >>> load_served_model("machines.counter", {"limit": 3}).name
    'counter(limit=3)'
    """
    if target.lower().endswith(".scxml"):
        if params:
            raise UsageError(f"{target!r} is a chart file; it takes no parameters (-p is for a Python factory)")
        if not Path(target).is_file():
            raise UsageError(f"no file {target!r}")
        from statecharts.scxml import load

        return Model(load(Path(target), trusted=trusted), name=target)
    return load_model(target, params)


def build(args: argparse.Namespace) -> Any:
    """The application for the parsed arguments (checks the bind address against the token)."""
    from statecharts.render.dot import to_dot
    from statecharts.render.output import GraphvizNotFoundError, pipe
    from statecharts.serve.app import create_app
    from statecharts.serve.durability import GroupCommit
    from statecharts.serve.service import Service
    from statecharts.store import SqliteStore, open_store

    if not loopback(args.host) and not args.token:
        raise UsageError(
            f"--host {args.host} is not loopback: give --token TOKEN (clients send 'Authorization: Bearer TOKEN')"
        )
    model = load_served_model(args.target, parse_params(args.param), args.trusted)
    url = args.store if "://" in args.store else "sqlite:///" + str(Path(args.store))
    try:
        diagram = pipe(to_dot(model.machine), "svg").decode("utf-8")
    except GraphvizNotFoundError as exc:
        diagram = f"<p>{exc}</p>"
    store: Any
    group = None
    if url.startswith("sqlite:///") and args.sync == "group":  # commits skip fsync; answers wait for one
        path = url[len("sqlite:///") :]
        store, group = SqliteStore(path, synchronous="NORMAL"), GroupCommit(path)
    else:
        store = open_store(url)
    service = Service(model, store, halt_on_violation=args.halt_on_violation, group_commit=group)
    return create_app(service, token=args.token, diagram=diagram)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; the exit status."""
    import uvicorn

    app = build(args)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"statecharts serve: http://{host}:{args.port}/ (the inspector and the API; Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)  # open streams
    return 0
