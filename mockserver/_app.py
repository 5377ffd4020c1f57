"""The ASGI application: one route per path of the operation table, one error table.

This is the only module that imports starlette. Handlers are thin: read the request,
let ``_requests`` validate it, let the backend answer, render the reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mockserver._backend import Backend, JsonReply, Reply
from mockserver._config import Config
from mockserver._errors import MAX_BODY_BYTES, BadRequest, BodyTooLarge, MockError
from mockserver._fixtures import load_response_fixtures
from mockserver._requests import check_semantics, parse_request
from mockserver._resources import data_dir
from mockserver._schemas import SchemaSet
from mockserver._spec import Operation, OperationTable, default_table
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


def build_backend(config: Config, table: OperationTable) -> Backend:
    if config.mode != "stateless":
        raise ValueError(f"mode {config.mode!r} is not available yet; use --mode stateless")
    fixtures_dir = config.fixtures if config.fixtures is not None else data_dir("fixtures")
    fixtures = load_response_fixtures(fixtures_dir, table, SchemaSet(table.document, "strict"))
    return StatelessBackend(table, seed=config.seed, fixtures=fixtures)


def create_app(config: Config | None = None, *, table: OperationTable | None = None) -> Starlette:
    """The mock server as an ASGI application."""
    config = config or Config()
    table = table or default_table()
    schemas = SchemaSet(table.document, config.validation)
    backend = build_backend(config, table)
    app = Starlette(
        routes=_routes(table, schemas, backend),
        exception_handlers={MockError: _mock_error, HTTPException: _http_error, Exception: _server_error},
    )
    # The SDK calls `/v1/runs/` and `/v1/messages/batches` exactly; the other spelling is a 404, not a 307.
    app.router.redirect_slashes = False
    app.state.config = config
    app.state.table = table
    return app
