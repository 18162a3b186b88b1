"""Invoked services that are not machines: coroutines, async generators, plain functions and
callback services (`from_callback`), each run as a task on the invoking actor's loop."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statecharts.actor_core import outcome_event
from statecharts.event import Event, to_event

if TYPE_CHECKING:
    from statecharts.runtime.actor import AsyncActor

logger = logging.getLogger("statecharts")
SendBack = Callable[..., None]
Receive = Callable[[Callable[[Event], Any]], None]


@dataclass(frozen=True)
class CallbackService:
    """A callback service (xstate's ``fromCallback``): see `from_callback`."""

    fn: Callable[[SendBack, Receive, Any], Any]
    name: str = "callback"


def from_callback(fn: Callable[[SendBack, Receive, Any], Any]) -> CallbackService:
    """A service ``fn(send_back, receive, input)``, xstate's ``fromCallback``: ``send_back(event)``
    sends an event to the invoking actor, ``receive(handler)`` registers ``handler(event)`` for the
    events sent to the service (``send_to(its_id, ...)``). ``fn`` may return a cleanup function
    (called when the service stops) or be ``async def`` (a task, cancelled when the service stops).

    >>> ticker = from_callback(lambda send_back, receive, input: send_back("TICK", n=input))
    >>> type(ticker).__name__, callable(ticker.fn)
    ('CallbackService', True)
    """
    return CallbackService(fn, getattr(fn, "__name__", "callback"))


class ServiceRef:
    """A running service as a child of an actor: ``id``, ``post(event)`` (to a callback service's
    receivers), and its task. Its outcome comes back to the parent as ``xstate.done.actor.<id>`` (the
    return value, or ``None`` when an async generator ends) or ``xstate.error.actor.<id>`` (xstate v5's names)."""

    def __init__(
        self, service_id: str, parent: AsyncActor, src: Any, given: Any, event: Event, src_name: str = "service"
    ) -> None:
        self.id = service_id
        self.parent = parent
        self.src = src
        self.input = given
        self.event = event
        self.src_name = src_name
        self.task: asyncio.Task[Any] | None = None
        self.stopped = False
        self.receivers: list[Callable[[Event], Any]] = []
        self.cleanup: Callable[[], Any] | None = None

    def __repr__(self) -> str:
        return f"<ServiceRef {self.id} ({'stopped' if self.stopped else 'running'})>"

    async def start(self) -> ServiceRef:
        """Run the service: a callback service, or ``src(input, event)`` (see `run`)."""
        if self.stopped or self.task is not None:
            return self
        self.parent.system.record("actor.created", self.id, parent=self.parent.id, src=self.src_name)
        if isinstance(self.src, CallbackService):
            self.run_callback(self.src, self.input)
        else:
            self.run(self.src, self.input, self.event)
        return self

    def post(self, event: str | Event | Mapping[str, Any], *, source: str | None = None, **data: Any) -> None:
        """Hand an event to the service's receivers (callback services)."""
        if self.stopped:
            return
        ev = to_event(event, **data)
        for receiver in list(self.receivers):
            receiver(ev)

    def send_back(self, event: str | Event | Mapping[str, Any], **data: Any) -> None:
        """Send an event to the invoking actor (ignored once the service stopped)."""
        if not self.stopped:
            self.parent.post(event, source=self.id, **data)

    def run(self, src: Callable[[Any, Event], Any], given: Any, event: Event) -> None:
        """Call ``src(input, event)``; await a coroutine, iterate an async generator, or take a
        plain value as the result."""
        try:
            result = src(given, event)
        except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
            self._finish(False, exc)
            return
        if inspect.isasyncgen(result):
            self.task = asyncio.ensure_future(self._stream(result))
        elif inspect.isawaitable(result):
            self.task = asyncio.ensure_future(self._await(result))
        else:
            self._finish(True, result)

    def run_callback(self, service: CallbackService, given: Any) -> None:
        """Start a callback service."""
        try:
            result = service.fn(self.send_back, self.receivers.append, given)
        except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
            self._finish(False, exc)
            return
        if inspect.isawaitable(result):
            self.task = asyncio.ensure_future(self._await(result, report_done=False))
        elif callable(result):
            self.cleanup = result

    async def _await(self, awaitable: Any, report_done: bool = True) -> None:
        try:
            value = await awaitable
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
            self._finish(False, exc)
            return
        if report_done:
            self._finish(True, value)

    async def _stream(self, items: Any) -> None:
        try:
            async for item in items:
                self.send_back(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
            self._finish(False, exc)
            return
        self._finish(True, None)

    def _finish(self, ok: bool, value: Any) -> None:
        if self.stopped:
            return
        self.parent.post(outcome_event(self.id, ok, value), source=self.id)
        self._stop("done" if ok else "error")

    def _stop(self, status: str) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        if self.cleanup is not None:
            try:
                self.cleanup()
            except Exception:  # noqa: BLE001 - a cleanup's failure must not stop the parent
                logger.exception("cleanup of service %r failed", self.id)
        if self.parent.children.get(self.id) is self:
            del self.parent.children[self.id]
        self.parent.system.record("actor.stopped", self.id, status=status)
        self.parent.system._unregister(self)
