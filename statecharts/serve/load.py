"""A load generator for a served machine: concurrent clients, each driving its own actor.

Each client creates actor ``load-<i>``, sends ``START`` and then ``ADD {"by": 1}`` ``events`` times,
each with its own ``Idempotency-Key``, and sends every ``retry``-th one a second time (a client
retrying after a lost reply). `Load` holds what came back: every key's replies, the latencies and
the wall time; ``check`` says what is wrong with it (an event acknowledged twice, a missing one, a
final context off by any amount) or nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


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

    @property
    def applied(self) -> int:
        """Events the clients had applied: each one's ``START`` and ``events`` ``ADD`` (retries apply nothing)."""
        return self.clients * (self.events + 1)

    @property
    def events_per_second(self) -> float:
        """Applied events per second over the whole run.

        >>> Load(2, 9, seconds=4.0).events_per_second
        5.0
        """
        return self.applied / self.seconds if self.seconds else 0.0

    def problems(self) -> list[str]:
        """Everything that is not exactly-once: empty when every event was applied once."""
        found = []
        for actor, seqs in self.acknowledged.items():
            if sorted(seqs) != list(range(2, self.events + 2)):
                found.append(
                    f"{actor}: acknowledged steps {sorted(seqs)[:5]}... are not 2..{self.events + 1} once each"
                )
            if any(seq != seqs[j] for j, seq in self.retried.get(actor, [])):
                found.append(f"{actor}: a retry did not get its first reply's step back")
            if self.contexts.get(actor) != {"n": self.events}:
                found.append(f"{actor}: final context {self.contexts.get(actor)} is not {{'n': {self.events}}}")
            keys = self.logs.get(actor, [])
            if len(keys) != len(set(keys)) or len(keys) != self.events:
                found.append(f"{actor}: the stored log has {len(keys)} ADD lines ({len(set(keys))} keys)")
        return found

    def summary(self) -> str:
        """One line: clients, events, p50/p99 latency and throughput (requests and applied events)."""
        return (
            f"{self.clients} clients x {self.events} events: {len(self.latencies)} requests in "
            f"{self.seconds:.2f}s = {self.rate:.0f} req/s, {self.applied} events applied = "
            f"{self.events_per_second:.0f} events/s; p50 {self.percentile(50):.1f} ms, "
            f"p99 {self.percentile(99):.1f} ms"
        )


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, asyncio streams only: the load generator
    spends little CPU per request, so on a small machine the clients do not starve the server they
    measure. Replies must carry ``Content-Length`` (the API's JSON replies do)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        parsed = urlsplit(url)
        if parsed.scheme != "http" or parsed.hostname is None or parsed.port is None:
            raise ValueError(f"the load generator needs http://HOST:PORT, not {url!r}")
        self.host, self.port = parsed.hostname, parsed.port
        self.auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        """Send one request (``body`` as JSON); the status and the decoded JSON reply."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        data = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            + (f"Idempotency-Key: {key}\r\n" if key else "")
            + "\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()
        status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        if "content-length" not in headers:
            raise ValueError(f"{method} {path}: a reply without Content-Length ({status_line})")
        payload = await reader.readexactly(int(headers["content-length"]))
        return int(status_line.split()[1]), json.loads(payload)

    async def close(self) -> None:
        """Close the connection."""
        if self._streams is not None:
            self._streams[1].close()
            await self._streams[1].wait_closed()
            self._streams = None


async def drive(url: str, clients: int, events: int, retry: int = 10, token: str | None = None) -> Load:
    """Run the load against the server at ``url`` (one connection per client); every request must
    succeed (`RuntimeError` naming the first that did not)."""
    load = Load(clients, events)

    async def post(http: Connection, path: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        began = time.perf_counter()
        status, reply = await http.request("POST", path, body, key)
        load.latencies.append(time.perf_counter() - began)
        if status not in (200, 201):
            raise RuntimeError(f"POST {path} {body} answered {status}: {reply}")
        result: dict[str, Any] = reply
        return result

    async def client(i: int) -> None:
        actor = f"load-{i}"
        http = Connection(url, token)
        try:
            await post(http, "/actors", {"id": actor})
            await post(http, f"/actors/{actor}/events", {"type": "START"}, f"{actor}-start")
            acks, retries = load.acknowledged.setdefault(actor, []), load.retried.setdefault(actor, [])
            for j in range(events):
                key = f"{actor}-{j}"
                acks.append((await post(http, f"/actors/{actor}/events", {"type": "ADD", "by": 1}, key))["seq"])
                if retry and j % retry == 0:
                    again = await post(http, f"/actors/{actor}/events", {"type": "ADD", "by": 1}, key)
                    retries.append((j, again["seq"]))
        finally:
            await http.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    load.seconds = time.perf_counter() - began
    http = Connection(url, token)
    try:
        for i in range(clients):
            actor = f"load-{i}"
            load.contexts[actor] = (await http.request("GET", f"/actors/{actor}"))[1]["context"]
            lines = (await http.request("GET", f"/actors/{actor}/events"))[1]["lines"]
            load.logs[actor] = [line["key"] for line in lines if line["event"]["type"] == "ADD"]
    finally:
        await http.close()
    return load
