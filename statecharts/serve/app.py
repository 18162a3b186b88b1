"""The ASGI application (Starlette): the JSON API, the SSE stream, metrics and the inspector page.

Routes: ``POST /actors`` (``{"id", "context"}``: create, 201, or open, 200), ``GET /actors``,
``GET /actors/{id}``, ``POST /actors/{id}/events`` (``{"type", ...data}``, optional
``Idempotency-Key``), ``GET /actors/{id}/events`` (the stored log), ``GET /actors/{id}/stream``
(Server-Sent Events: inspection records), ``GET /machine`` (id, SVG, event shapes, invariants),
``POST /check`` (the walker, bounded), ``GET /violations``, ``GET /metrics`` (Prometheus text),
``GET /`` (the inspector). Errors are JSON ``{"error": message}``: 400 malformed JSON, 401 no or a
wrong token, 404 unknown actor, 409 halted actor, 413 body too large, 422 an event or payload the
machine does not take, 503 a step committed but not confirmed on disk (retry with its idempotency key).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from statecharts.check import check
from statecharts.errors import EventError
from statecharts.inspection import plain
from statecharts.serve.service import ActorHalted, ActorNotFound, NotDurable, Service
from statecharts.store.base import LeaseError

MAX_BODY = 64 * 1024  # bytes
MAX_CHECK_STATES = 20_000
STATIC = {"inspector.js": "text/javascript", "inspector.css": "text/css"}
ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


class BadRequest(Exception):
    """A request the API refuses: ``status`` and the message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    """The JSON error body every route uses."""
    return JSONResponse({"error": message}, status_code=status)


async def read_json(request: Request) -> Any:
    """The request's JSON body, at most `MAX_BODY` bytes (413 beyond; 400 when it is not JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise BadRequest(413, f"the body is larger than {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BadRequest(413, f"the body is larger than {MAX_BODY} bytes")
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"the body is not JSON: {exc}") from None


def actor_id_of(value: Any) -> str:
    """An actor id from a request: 1-128 characters of letters, digits and ``-_.:``."""
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not set(value) <= ID_CHARS:
        raise BadRequest(422, f"the actor id must be 1-128 letters, digits or -_.: characters, not {value!r}")
    return value


def inspector_page() -> str:
    """The inspector as one HTML document, its script and style inlined (so a page opened with
    ``?token=`` needs no other authenticated request but the API's, and nothing from a CDN).

    >>> page = inspector_page()
    >>> "<script>" in page and "static/inspector.js" not in page and "https://" not in page
    True
    """
    static = files("statecharts.serve").joinpath("static")
    html = static.joinpath("index.html").read_text(encoding="utf-8")
    script = static.joinpath("inspector.js").read_text(encoding="utf-8")
    style = static.joinpath("inspector.css").read_text(encoding="utf-8")
    html = html.replace('<link rel="stylesheet" href="static/inspector.css">', f"<style>\n{style}</style>")
    return html.replace('<script src="static/inspector.js"></script>', f"<script>\n{script}</script>")


def create_app(service: Service, *, token: str | None = None, diagram: str = "") -> Starlette:
    """The application serving ``service``; every route needs ``Authorization: Bearer TOKEN``
    (or ``?token=`` for the browser's EventSource) when ``token`` is given."""

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            if token is not None:
                given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                given = given or request.query_params.get("token", "")
                if not hmac.compare_digest(given.encode(), token.encode()):
                    service.rejected_total += 1
                    return error(401, "missing or wrong token: send 'Authorization: Bearer TOKEN'")
            try:
                return await handler(request)
            except BadRequest as exc:
                service.rejected_total += 1
                return error(exc.status, str(exc))
            except EventError as exc:
                service.rejected_total += 1
                return error(422, str(exc))
            except ActorNotFound as exc:
                return error(404, str(exc))
            except ActorHalted as exc:
                service.rejected_total += 1
                return error(409, str(exc))
            except LeaseError as exc:
                return error(409, str(exc))
            except NotDurable as exc:
                return error(503, str(exc))

        return route

    async def create(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise BadRequest(422, 'the body must be a JSON object {"id": ID, "context": {...}}')
        unknown = sorted(set(body) - {"id", "context"})
        if unknown:
            raise BadRequest(422, f"unknown keys {', '.join(unknown)} (a create request takes id and context)")
        actor_id = actor_id_of(body.get("id"))
        context = service.parse_context(body.get("context"))
        if context is not None and actor_id in service.store.actor_ids():
            raise BadRequest(409, f"actor {actor_id!r} exists; its context is in the store (open it without one)")
        actor, new = await service.create(actor_id, context)
        return JSONResponse(service.view(actor), status_code=201 if new else 200)

    async def listing(request: Request) -> Response:
        return JSONResponse({"actors": service.store.actor_ids()})

    async def snapshot(request: Request) -> Response:
        actor = await service.get(actor_id_of(request.path_params["id"]))
        return JSONResponse(service.view(actor))

    async def send(request: Request) -> Response:
        actor_id = actor_id_of(request.path_params["id"])
        body = await read_json(request)
        event = service.parse_event(body)
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key) <= 200:
            raise BadRequest(422, "the Idempotency-Key header must be 1-200 characters")
        return JSONResponse(await service.send(actor_id, event, key))

    async def log(request: Request) -> Response:
        actor = await service.get(actor_id_of(request.path_params["id"]))
        return JSONResponse({"id": actor.id, "lines": actor.journal.lines()})

    async def stream(request: Request) -> Response:
        actor_id = actor_id_of(request.path_params["id"])
        actor = await service.get(actor_id)
        queue = service.listen(actor_id)

        async def records() -> AsyncIterator[str]:
            try:
                yield f"event: hello\ndata: {json.dumps(service.view(actor))}\n\n"
                while True:
                    try:
                        record = await asyncio.wait_for(queue.get(), timeout=1.0)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield ": keep-alive\n\n"
                        continue
                    yield f"event: {record['kind']}\ndata: {json.dumps(plain(record))}\n\n"
            finally:
                service.unlisten(actor_id, queue)

        return StreamingResponse(
            records(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )

    async def machine(request: Request) -> Response:
        return JSONResponse(
            {
                "id": service.machine.id,
                "svg": diagram,
                "events": list(service.machine.events),
                "shapes": {name: {k: sorted(t) for k, t in shape.items()} for name, shape in service.shapes.items()},
                "invariants": list(service.model.invariants),
            }
        )

    async def run_check(request: Request) -> Response:
        body = await read_json(request) or {}
        if not isinstance(body, dict):
            raise BadRequest(422, 'the body must be a JSON object {"max_states": N}')
        bound = body.get("max_states", 2000)
        if type(bound) is not int or not 0 < bound <= MAX_CHECK_STATES:
            raise BadRequest(422, f"max_states must be an integer from 1 to {MAX_CHECK_STATES}, not {bound!r}")
        report = await asyncio.to_thread(check, service.model, max_states=bound, max_seconds=10.0)
        results = []
        for result in report.results:
            steps = []
            for step in result.trace.steps if result.trace is not None else ():
                s = step.snapshot
                steps.append(
                    {
                        "event": None
                        if step.event is None
                        else {"type": step.event.name, "data": plain(step.event.data)},
                        "value": plain(s.value),
                        "configuration": [n.id for n in s.configuration_nodes],
                        "context": plain(s.context),
                    }
                )
            verdict = report.result_json(result)  # "not proved" (holds null) when the walk stopped early
            results.append(
                {
                    "name": result.name,
                    "kind": result.kind,
                    "holds": verdict["holds"],
                    "verdict": verdict["verdict"],
                    "note": result.note,
                    "steps": steps,
                }
            )
        return JSONResponse(
            {
                "model": report.model,
                "distinct_states": report.distinct_states,
                "complete": report.complete,
                "stopped_by": report.stopped_by,
                "results": results,
            }
        )

    async def violations(request: Request) -> Response:
        return JSONResponse({"violations": service.violations})

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(service.metrics(), media_type="text/plain; version=0.0.4")

    async def page(request: Request) -> Response:
        return HTMLResponse(inspector_page())

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return error(404, f"no file {name!r}")
        text = files("statecharts.serve").joinpath(f"static/{name}").read_text(encoding="utf-8")
        return Response(text, media_type=STATIC[name])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await service.close()

    routes = [
        Route("/", guarded(page)),
        Route("/static/{name}", guarded(static)),
        Route("/machine", guarded(machine)),
        Route("/check", guarded(run_check), methods=["POST"]),
        Route("/violations", guarded(violations)),
        Route("/metrics", guarded(metrics)),
        Route("/actors", guarded(create), methods=["POST"]),
        Route("/actors", guarded(listing), methods=["GET"]),
        Route("/actors/{id}", guarded(snapshot)),
        Route("/actors/{id}/events", guarded(send), methods=["POST"]),
        Route("/actors/{id}/events", guarded(log), methods=["GET"]),
        Route("/actors/{id}/stream", guarded(stream)),
    ]

    async def no_route(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 405:
            return error(405, f"{request.method} is not allowed on {request.url.path}")
        if status == 404:
            return error(404, f"no route {request.method} {request.url.path}")
        return error(status, str(getattr(exc, "detail", exc)))

    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: no_route})
