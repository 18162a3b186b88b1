"""Invoked services that are not machines: coroutines, async generators, plain functions and
callback services (`from_callback`), each run as a task on an event loop: the invoking actor's
(`statecharts.runtime.AsyncActor`) or the threaded interpreter's runtime thread's
(`statecharts.interpreter.Interpreter`, which runs callback and async-generator services here).
The invoking actor is a `ServiceParent`."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from statecharts.actor_core import outcome_event
from statecharts.event import Event, to_event
from statecharts.inspection import Inspection

logger = logging.getLogger("statecharts")
SendBack = Callable[..., None]
Receive = Callable[[Callable[[Event], Any]], None]
TaskRunner = Callable[[Coroutine[Any, Any, None]], Any]


class ServiceParent(Protocol):
    """The actor that invoked a service, as the service sees it: its ``id``, its system's
    inspection records, where the service's events go and what a stopped service leaves."""

    id: str

    @property
    def system(self) -> Inspection:
        """The actor system (its ``record`` takes the service's ``actor.created``)."""
        ...

    def _service_event(self, event: Event, source: str) -> None:
        """An event from the service (``send_back``, or its outcome) for the invoking actor."""
        ...

    def _service_stopped(self, service: ServiceRef, status: str) -> None:
        """The service stopped (``done``, ``error``, ``stopped``): forget it, record ``actor.stopped``."""
        ...


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
        self,
        service_id: str,
        parent: ServiceParent,
        src: Any,
        given: Any,
        event: Event,
        src_name: str = "service",
        *,
        run_task: TaskRunner = asyncio.ensure_future,
        run_on: Callable[[Callable[[], None]], None] | None = None,
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
        self.run_task = run_task  # a coroutine of the service -> its task (on the current thread's loop)
        self.run_on = run_on  # where the service's own code runs from outside it (None: at once, here)

    def __repr__(self) -> str:
        return f"<ServiceRef {self.id} ({'stopped' if self.stopped else 'running'})>"

    async def start(self) -> ServiceRef:
        """Run the service: a callback service, or ``src(input, event)`` (see `run`)."""
        self.begin()
        return self

    def begin(self) -> None:
        """`start` from synchronous code: on the thread whose loop `run_task` uses."""
        if self.stopped or self.task is not None:
            return
        self.parent.system.record("actor.created", self.id, parent=self.parent.id, src=self.src_name)
        if isinstance(self.src, CallbackService):
            self.run_callback(self.src, self.input)
        else:
            self.run(self.src, self.input, self.event)

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
            self.parent._service_event(to_event(event, **data), self.id)

    def run(self, src: Callable[[Any, Event], Any], given: Any, event: Event) -> None:
        """Call ``src(input, event)``; await a coroutine, iterate an async generator, or take a
        plain value as the result."""
        try:
            result = src(given, event)
        except Exception as exc:  # noqa: BLE001 - the service's failure is its error event
            self._finish(False, exc)
            return
        if inspect.isasyncgen(result):
            self.task = self.run_task(self._stream(result))
        elif inspect.isawaitable(result):
            self.task = self.run_task(self._await(result))
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
            self.task = self.run_task(self._await(result, report_done=False))
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
        self.parent._service_event(outcome_event(self.id, ok, value), self.id)
        self._stop("done" if ok else "error")

    def stop(self) -> None:
        """Stop the service (its state exited, or its parent stopped): see `_stop`."""
        self._stop("stopped")

    def _stop(self, status: str) -> None:
        """The service is over: the parent forgets it at once, then `release` (at once, or where
        ``run_on`` runs it: the threaded interpreter's runtime thread)."""
        if self.stopped:
            return
        self.stopped = True
        self.parent._service_stopped(self, status)
        if self.run_on is None:
            self.release()
        else:
            self.run_on(self.release)

    def release(self) -> None:
        """Cancel the service's task (it sees `asyncio.CancelledError`, an async generator
        `GeneratorExit` where it waits) and call its cleanup."""
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        if self.cleanup is not None:
            cleanup, self.cleanup = self.cleanup, None
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - a cleanup's failure must not stop the parent
                logger.exception("cleanup of service %r failed", self.id)
