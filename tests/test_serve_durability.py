"""Group commit: an answer waits for an fsync that began after its step was committed; requests
that wait together share one fsync."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from statecharts.serve.durability import GroupCommit


class SlowDisk(GroupCommit):
    """A GroupCommit whose fsync blocks until the test lets it finish, and counts its rounds."""

    def __init__(self, database: str) -> None:
        super().__init__(database)
        self.rounds = 0
        self.release = threading.Event()

    def _fsync(self) -> None:
        self.rounds += 1
        self.release.wait(5)
        self.release.clear()


def test_a_barrier_waits_for_an_fsync_that_began_after_it(tmp_path: Path) -> None:
    async def main() -> None:
        disk = SlowDisk(str(tmp_path / "g.db"))
        first = asyncio.create_task(disk.barrier())
        while disk.rounds < 1:  # round 1 is at the disk
            await asyncio.sleep(0.01)
        late = asyncio.create_task(disk.barrier())  # committed after round 1 began: round 1 does not cover it
        disk.release.set()
        await asyncio.wait_for(first, 5)
        await asyncio.sleep(0.05)
        assert not late.done() and disk.rounds == 2
        disk.release.set()
        await asyncio.wait_for(late, 5)
        assert disk.syncs == 2

    asyncio.run(main())


def test_waiters_that_arrive_during_one_fsync_share_the_next(tmp_path: Path) -> None:
    async def main() -> None:
        disk = SlowDisk(str(tmp_path / "g.db"))
        first = asyncio.create_task(disk.barrier())
        while disk.rounds < 1:
            await asyncio.sleep(0.01)
        waiting = [asyncio.create_task(disk.barrier()) for _ in range(30)]
        disk.release.set()
        await asyncio.wait_for(first, 5)
        while disk.rounds < 2:
            await asyncio.sleep(0.01)
        disk.release.set()
        await asyncio.wait_for(asyncio.gather(*waiting), 5)
        assert disk.rounds == 2  # thirty answers, one more fsync

    asyncio.run(main())


def test_a_failing_fsync_is_an_error_for_every_waiter(tmp_path: Path) -> None:
    class BrokenDisk(GroupCommit):
        def _fsync(self) -> None:
            raise OSError(5, "Input/output error")

    async def main() -> list[BaseException | None]:
        disk = BrokenDisk(str(tmp_path / "g.db"))
        results = await asyncio.gather(*(disk.barrier() for _ in range(3)), return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results]

    assert all(isinstance(r, OSError) for r in asyncio.run(main()))
