"""Group commit for the service's SQLite store: one ``fsync`` makes every step committed before it durable.

A `SqliteStore` opened with ``synchronous="NORMAL"`` (WAL journal) writes each transaction's pages
to the ``-wal`` file when it commits but does not wait for the disk: the step survives the process
crashing (the operating system holds the pages), not the machine losing power. `GroupCommit`
closes that gap for the service: before a request that committed a step is answered, the service
awaits `GroupCommit.barrier`, which returns once an ``fsync`` of the WAL file that *started after
the call* has completed. The requests that arrive while one ``fsync`` runs share the next one, so
50 concurrent clients pay for a few ``fsync`` calls per round instead of one each, and no answered
step can be lost: an acknowledged event is on disk (what ``synchronous="FULL"`` gives per commit).
A checkpoint that moves WAL pages into the database file syncs that file before it returns (SQLite
in WAL mode with ``synchronous=NORMAL``), so pages that left the WAL are on disk too (the barrier
syncs the database file as well, which costs little when it has nothing unwritten).

What is not covered: a step's effects (``Call``/``Log`` actions, SSE records) run right after its
commit, before its ``fsync``: after a power loss (not a crash) a step whose answer was never sent
may be gone while its effects ran; the client, having no answer, retries it.

>>> import asyncio, os, tempfile
>>> from statecharts.store import SqliteStore
>>> path = os.path.join(tempfile.mkdtemp(), "g.db")
>>> store = SqliteStore(path, synchronous="NORMAL")
>>> group = GroupCommit(path)
>>> async def main():
...     await asyncio.gather(*(group.barrier() for _ in range(20)))
...     return group.syncs
>>> asyncio.run(main()) <= 2  # twenty waiters, one or two fsyncs
True
"""

from __future__ import annotations

import asyncio
import os


def fsync_path(path: str) -> None:
    """``fsync`` the file at ``path`` (its pages written through any descriptor); nothing when absent."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupCommit:
    """The durability barrier of one SQLite file in WAL mode (see the module docstring).

    Call `barrier` on the event loop's thread; the ``fsync`` runs on a worker thread, so commits
    of other actors go on while it waits for the disk.
    """

    def __init__(self, database: str) -> None:
        self.files = (database + "-wal", database)
        self.syncs = 0  # fsync rounds completed
        self._started = 0  # fsync rounds started
        self._flight: asyncio.Task[None] | None = None

    async def barrier(self) -> None:
        """Return once everything committed before this call is on disk (`OSError` if the disk fails)."""
        target = self._started + 1  # a round that starts after now covers what is committed now
        while self.syncs < target:
            if self._flight is None:
                self._flight = asyncio.get_running_loop().create_task(self._sync())
            await asyncio.shield(self._flight)

    async def _sync(self) -> None:
        self._started += 1
        number = self._started
        try:
            await asyncio.to_thread(self._fsync)
            self.syncs = number
        finally:
            self._flight = None

    def _fsync(self) -> None:
        for path in self.files:
            fsync_path(path)
        if self.syncs == 0:  # the first round: the directory entry of the WAL file too
            fsync_path(os.path.dirname(os.path.abspath(self.files[1])))
