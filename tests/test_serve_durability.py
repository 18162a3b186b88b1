"""Group commit: an answer waits for an fsync that began after its step was committed; requests
that wait together share one fsync; a server killed under load has every step it acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from machines.counter import machine as counter
from statecharts.serve.durability import GroupCommit
from statecharts.serve.load import Connection
from statecharts.serve.server import serving_process
from statecharts.state import restore
from statecharts.store import SqliteStore


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


def test_every_acknowledged_event_survives_the_server_being_killed(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn", reason="pip install 'statecharts[serve]' for the serve tests")
    db = tmp_path / "crash.db"
    processes: list[subprocess.Popen[bytes]] = []
    acked: dict[str, dict[str, int]] = {}  # actor -> idempotency key -> the seq its answer gave

    async def client(url: str, actor: str) -> None:
        http = Connection(url)
        try:
            await http.request("POST", "/actors", {"id": actor})
            await http.request("POST", f"/actors/{actor}/events", {"type": "START"}, f"{actor}-start")
            for j in range(2000):
                key = f"{actor}-{j}"
                status, reply = await http.request("POST", f"/actors/{actor}/events", {"type": "ADD", "by": 1}, key)
                assert status == 200, reply
                acked.setdefault(actor, {})[key] = reply["seq"]
        except (OSError, asyncio.IncompleteReadError):
            return  # the server died under this request: it was not acknowledged
        finally:
            with contextlib.suppress(OSError):
                await http.close()

    async def load_then_kill(url: str) -> None:
        clients = [asyncio.create_task(client(url, f"k-{i}")) for i in range(10)]
        while sum(map(len, acked.values())) < 300:
            await asyncio.sleep(0.005)
        processes[0].send_signal(signal.SIGKILL)  # no shutdown: whatever was not on disk is gone
        await asyncio.gather(*clients)

    with serving_process("machines.counter", "--store", str(db), started=processes.append) as url:
        asyncio.run(asyncio.wait_for(load_then_kill(url), 120))
    assert processes[0].returncode == -signal.SIGKILL
    store = SqliteStore(db)
    for actor, keys in acked.items():
        lines = [json.loads(line) for line in store.lines(actor)]
        assert [line["seq"] for line in lines] == list(range(len(lines)))
        logged = {line["key"]: line["seq"] for line in lines}
        assert {key: logged.get(key) for key in keys} == keys  # each acknowledged step, at its seq
        assert restore(counter, lines[-1]["snapshot"]).context["n"] == len(lines) - 2  # init, START, the ADDs
    store.close()
    with serving_process("machines.counter", "--store", str(db)) as url:  # the lease of the dead server is free

        async def resend() -> None:
            http = Connection(url)
            for actor, keys in acked.items():
                key, seq = next(iter(keys.items()))
                status, reply = await http.request("POST", f"/actors/{actor}/events", {"type": "ADD", "by": 1}, key)
                assert (status, reply["seq"], reply["repeated"]) == (200, seq, True)
            await http.close()

        asyncio.run(resend())
