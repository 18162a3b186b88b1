"""Run the application under uvicorn on a loopback port: in a background thread (`running`) or as a
child process (`serving_process`), for tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now.

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def running(app: Any, host: str = "127.0.0.1", port: int | None = None, timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on ``host`` until the block ends; yields the base URL. The server
    (and the application's lifespan: its actors give their leases back) stops at exit."""
    import uvicorn

    port = port or free_port(host)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on {host}:{port} within {timeout}s")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


@contextmanager
def serving_process(
    *arguments: str,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Iterator[str]:
    """Run ``python -m statecharts serve ARGUMENTS --host HOST --port P`` as a child process until
    the block ends (terminated then, killed if it does not exit in ``timeout`` seconds); yields its
    base URL once it answers (``started`` is given the process then: a test may kill it). Its own
    process: clients in this one do not share its interpreter lock."""
    import os
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])  # the child imports this statecharts (and machines/)
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root if not path else root + os.pathsep + path}
    port = free_port(host)
    url = f"http://{host}:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "statecharts", "serve", *arguments, "--host", host, "--port", str(port)], env=env
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"'statecharts serve {' '.join(arguments)}' exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/machine", timeout=1):
                    break
            except urllib.error.HTTPError:  # it answers (401: it wants a token)
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"'statecharts serve' did not answer at {url} within {timeout}s") from None
                time.sleep(0.1)
        if started is not None:
            started(process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
