"""A load generator for a served machine: concurrent clients, each driving its own actor.

Each client creates actor ``load-<i>``, sends ``START`` and then ``ADD {"by": 1}`` ``events`` times,
each with its own ``Idempotency-Key``, and sends every ``retry``-th one a second time (a client
retrying after a lost reply). `Load` holds what came back: every key's replies, the latencies and
the wall time; ``check`` says what is wrong with it (an event acknowledged twice, a missing one, a
final context off by any amount) or nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Load:
    """The outcome of `drive`: per actor its acknowledged step numbers and final context."""

    clients: int
    events: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    acknowledged: dict[str, list[int]] = field(default_factory=dict)  # actor -> seq of each first reply
    retried: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # actor -> (event, seq) of retries
    contexts: dict[str, Any] = field(default_factory=dict)
    logs: dict[str, list[str]] = field(default_factory=dict)  # actor -> idempotency keys in the stored log

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile of the latencies, in milliseconds.

        >>> Load(1, 1, latencies=[0.001, 0.002, 0.003]).percentile(50)
        2.0
        """
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def rate(self) -> float:
        """Requests per second over the whole run."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def problems(self) -> list[str]:
        """Everything that is not exactly-once: empty when every event was applied once."""
        found = []
        for actor, seqs in self.acknowledged.items():
            if sorted(seqs) != list(range(2, self.events + 2)):
                found.append(f"{actor}: acknowledged steps {sorted(seqs)[:5]}... are not 2..{self.events + 1} "
                             "once each")
            if any(seq != seqs[j] for j, seq in self.retried.get(actor, [])):
                found.append(f"{actor}: a retry did not get its first reply's step back")
            if self.contexts.get(actor) != {"n": self.events}:
                found.append(f"{actor}: final context {self.contexts.get(actor)} is not {{'n': {self.events}}}")
            keys = self.logs.get(actor, [])
            if len(keys) != len(set(keys)) or len(keys) != self.events:
                found.append(f"{actor}: the stored log has {len(keys)} ADD lines ({len(set(keys))} keys)")
        return found

    def summary(self) -> str:
        """One line: clients, events, p50/p99 latency and throughput."""
        return (f"{self.clients} clients x {self.events} events: {len(self.latencies)} requests in "
                f"{self.seconds:.2f}s = {self.rate:.0f}/s; p50 {self.percentile(50):.1f} ms, "
                f"p99 {self.percentile(99):.1f} ms")


async def drive(url: str, clients: int, events: int, retry: int = 10, token: str | None = None) -> Load:
    """Run the load against the server at ``url``; every request must succeed."""
    import httpx

    load = Load(clients, events)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:

        async def post(path: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
            began = time.perf_counter()
            reply = await http.post(path, json=body, headers={"Idempotency-Key": key} if key else {})
            load.latencies.append(time.perf_counter() - began)
            reply.raise_for_status()
            result: dict[str, Any] = reply.json()
            return result

        async def client(i: int) -> None:
            actor = f"load-{i}"
            await post("/actors", {"id": actor})
            await post(f"/actors/{actor}/events", {"type": "START"}, f"{actor}-start")
            acks, retries = load.acknowledged.setdefault(actor, []), load.retried.setdefault(actor, [])
            for j in range(events):
                key = f"{actor}-{j}"
                acks.append((await post(f"/actors/{actor}/events", {"type": "ADD", "by": 1}, key))["seq"])
                if retry and j % retry == 0:
                    again = await post(f"/actors/{actor}/events", {"type": "ADD", "by": 1}, key)
                    retries.append((j, again["seq"]))

        began = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        load.seconds = time.perf_counter() - began
        for i in range(clients):
            actor = f"load-{i}"
            load.contexts[actor] = (await http.get(f"/actors/{actor}")).json()["context"]
            lines = (await http.get(f"/actors/{actor}/events")).json()["lines"]
            load.logs[actor] = [line["key"] for line in lines if line["event"]["type"] == "ADD"]
    return load
