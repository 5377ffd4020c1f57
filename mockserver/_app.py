"""The ASGI application: one route per path of the operation table, one error table.

This is the only module that imports starlette. Handlers are thin: read the request,
let ``_requests`` validate it, let the backend answer, render the reply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mockserver._backend import Backend, JsonReply, Reply
from mockserver._callbacks import CallbackDispatcher, CallbackSettings
from mockserver._clock import make_clock
from mockserver._config import Config
from mockserver._control import Control, ControlRoute
from mockserver._errors import MAX_BODY_BYTES, BadRequest, BodyTooLarge, MockError, RequestInvalid
from mockserver._fixtures import load_response_fixtures
from mockserver._requests import check_semantics, decode_json, parse_request
from mockserver._resources import data_dir
from mockserver._schemas import SchemaSet, Violation
from mockserver._simulation import Simulation
from mockserver._spec import Operation, OperationTable, default_table
from mockserver._stateful import StatefulBackend
from mockserver._stateless import StatelessBackend


class _JSON(JSONResponse):
    media_type = "application/json"


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit``: from ``Content-Length``
    before reading anything, or by counting a chunked body as it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BadRequest(f"Content-Length header is not a number: {declared!r}") from None
        if size > limit:
            raise BodyTooLarge(size)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(received)
        chunks.append(chunk)
    return b"".join(chunks)


def _render(reply: Reply) -> Response:
    if isinstance(reply, JsonReply):
        return _JSON(reply.body, status_code=reply.status, headers=dict(reply.headers))
    return StreamingResponse(
        reply.chunks,
        status_code=reply.status,
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _endpoint(
    table: OperationTable, schemas: SchemaSet, backend: Backend, methods: Mapping[str, Operation]
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        op = methods[request.method if request.method != "HEAD" else "GET"]
        raw = await read_body(request) if op.body_pointer is not None else b""
        parsed = parse_request(
            table,
            schemas,
            op,
            request.path_params,
            request.query_params.multi_items(),
            raw,
            request.headers.get("content-type", ""),
        )
        check_semantics(table, schemas.level, parsed)
        return _render(await backend.handle(parsed))

    return endpoint


async def _mock_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MockError)
    return _JSON(exc.body(), status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = f"{exc.detail}: no operation at {request.method} {request.url.path}"
    if exc.status_code == 405 and exc.headers:
        detail += f"; allowed: {exc.headers.get('Allow', '')}"
    return _JSON({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def _server_error(_request: Request, exc: Exception) -> Response:
    return _JSON({"detail": f"letta-mockserver internal error: {type(exc).__name__}: {exc}"}, status_code=500)


def _routes(table: OperationTable, schemas: SchemaSet, backend: Backend) -> list[Route]:
    # Literal segments first: `/v1/runs/active` must win over `/v1/runs/{run_id}`.
    paths = sorted(table.paths, key=lambda p: (p.count("{"), p))
    routes = [
        Route(path, _endpoint(table, schemas, backend, table.paths[path]), methods=list(table.paths[path]))
        for path in paths
    ]

    async def openapi(_request: Request) -> Response:
        return _JSON(table.document)

    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    return routes


def _control_endpoint(route: ControlRoute, control: Control) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        payload = None
        if route.payload is not None:
            raw = await read_body(request)
            if not raw.strip():
                raise RequestInvalid(None, [Violation(("body",), "Field required", "missing")])
            payload, problems = decode_json(raw, request.headers.get("content-type", ""))
            if problems:
                raise RequestInvalid(None, problems)
            control.validate(route.payload, payload)
        if control.sim is not None:
            control.sim.settle()
        return _render(route.handler(payload))

    return endpoint


@dataclass
class _Parts:
    backend: Backend
    control: Control
    stateful: StatefulBackend | None
    callbacks: CallbackDispatcher | None


def _build(config: Config, table: OperationTable) -> _Parts:
    strict = SchemaSet(table.document, "strict")
    fixtures_dir = config.fixtures if config.fixtures is not None else data_dir("fixtures")
    fixtures = load_response_fixtures(fixtures_dir, table, strict)
    if config.mode == "stateless":
        stateless = StatelessBackend(table, seed=config.seed, fixtures=fixtures)
        return _Parts(stateless, Control(None, strict), None, None)
    sim = Simulation(make_clock(config.clock), seed=config.seed, job_duration=config.job_duration)
    settings = CallbackSettings(
        timeout=config.callback_timeout,
        retries=config.callback_retries,
        concurrency=config.callback_concurrency,
        allow_hosts=config.callback_allow_hosts,
        journal_size=config.journal_size,
    )
    callbacks = CallbackDispatcher(settings, sim.now)
    sim.finished.append(callbacks.on_finished)
    backend = StatefulBackend(
        sim,
        validation=config.validation,
        trace_spans=fixtures.get("retrieve_trace_for_run"),
        ping_interval=config.stream_ping_interval,
    )
    control = Control(sim, strict, callbacks=callbacks)
    if config.fixtures is not None:
        control.load_state_fixtures(config.fixtures)
    return _Parts(backend, control, backend, callbacks)


def create_app(config: Config | None = None, *, table: OperationTable | None = None) -> Starlette:
    """The mock server as an ASGI application."""
    config = config or Config()
    table = table or default_table()
    schemas = SchemaSet(table.document, config.validation)
    parts = _build(config, table)
    routes = _routes(table, schemas, parts.backend)
    routes += [
        Route(route.path, _control_endpoint(route, parts.control), methods=[route.method])
        for route in parts.control.routes()
    ]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if parts.stateful is not None:
            parts.stateful.start_ticker()
        try:
            yield
        finally:
            if parts.stateful is not None:
                await parts.stateful.stop_ticker()
            if parts.callbacks is not None:
                await parts.callbacks.close()

    app = Starlette(
        routes=routes,
        exception_handlers={MockError: _mock_error, HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    # The SDK calls `/v1/runs/` and `/v1/messages/batches` exactly; the other spelling is a 404, not a 307.
    app.router.redirect_slashes = False
    app.state.config = config
    app.state.table = table
    app.state.control = parts.control
    return app
