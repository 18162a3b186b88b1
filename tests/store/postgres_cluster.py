"""A throwaway PostgreSQL cluster: initdb + pg_ctl on a temporary directory and a free loopback port.

As root the server binaries refuse to run, so they run as the ``postgres`` user (Debian's package
creates it) through ``runuser``. Used by the store tests and by benchmarks/bench_store.py.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

HOW_TO_INSTALL = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin: "
    "install them with `bash .ci/install.d/postgresql.sh` (Debian: apt-get install postgresql)"
)


def server_binaries() -> str | None:
    """The newest /usr/lib/postgresql/N/bin with initdb and pg_ctl, else a PATH that has both."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return os.path.dirname(initdb) if initdb and pg_ctl else None


def why_not() -> str | None:
    """Why no cluster can be started here (``None`` when it can)."""
    if server_binaries() is None:
        return HOW_TO_INSTALL
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 3 is missing: pip install 'psycopg[binary]' (the project's test extra has it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user to run the server as (apt-get install postgresql)"
        if shutil.which("runuser") is None:
            return "running as root without `runuser` to start the server as `postgres`"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster; yield its DSN; stop it and delete its directory."""
    reason = why_not()
    if reason is not None:
        raise RuntimeError(reason)
    bindir = server_binaries()
    assert bindir is not None
    top = tempfile.mkdtemp(prefix="statecharts-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(top, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = os.path.join(top, "data"), os.path.join(top, "server.log")
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run(
            prefix + [os.path.join(bindir, args[0]), *args[1:]], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}")

    try:
        run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        run(
            "pg_ctl",
            "-D",
            data,
            "-l",
            log,
            "-w",
            "-t",
            "30",
            "-o",
            f"-p {port} -k {top} -c listen_addresses=127.0.0.1",
            "start",
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run("pg_ctl", "-D", data, "-w", "-t", "30", "-m", "immediate", "stop")  # thrown away: no checkpoint
    finally:
        shutil.rmtree(top, ignore_errors=True)
