"""``letta-mockserver proxy``: the 20 operations forwarded to a real Letta server, held to the contract.

Each request of an operation is validated (its violations are the client's; it is forwarded all the
same), sent to the upstream with httpx, and answered with the upstream's status, the headers that
matter and the body; a ``text/event-stream`` answer passes through chunk by chunk. The answer is
validated against the documented schema for its status (a stream event by event, as it passes):
those are the server's deviations. ``_recording.observed`` names the real server's quirks the
answers show. Anything else is a 404 from the proxy and never reaches the upstream.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import httpx
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from mockserver._answers.compat import load_table
from mockserver._config import Config
from mockserver._contract.errors import BadRequest, MockError, RequestInvalid
from mockserver._contract.parsing import check_semantics, parse_request
from mockserver._contract.quirks import QuirkSet
from mockserver._contract.spec import Operation, OperationTable, default_table
from mockserver._contract.validation import SchemaSet, Violation
from mockserver._control.api import Control
from mockserver._control.faults import FaultLayer, Faults
from mockserver._control.journal import RequestJournal
from mockserver._recording.exchange import Exchange
from mockserver._recording.recorder import Recorder, session_file
from mockserver._recording.redact import redact, redact_query, redact_raw_headers
from mockserver._web import proxy_wire as wire
from mockserver._web.app import Parts, fault_journal
from mockserver._web.body import read_body
from mockserver._web.endpoints import ApiContext, check_api_key, error_response
from mockserver._web.proxy_control import PREFIX as _PREFIX
from mockserver._web.proxy_control import NoBackend, control_routes, mock_error, not_forwarded
from mockserver._web.proxy_report import format_report

log = logging.getLogger("mockserver")

STREAM_LIMIT = 16 * 1024 * 1024
"""Bytes of a stream kept for the exchange sinks and the quirk detectors; the client gets all of it."""

ExchangeSink = Callable[[Exchange], None]


@dataclass
class ProxyContext:
    config: Config
    upstream: str
    table: OperationTable
    schemas: SchemaSet
    journal: RequestJournal
    exchange_sinks: list[ExchangeSink] = field(default_factory=list)
    """Called with every forwarded exchange (credentials redacted): how ``--record`` hears of them."""
    client: httpx.AsyncClient | None = None

    def http(self) -> httpx.AsyncClient:
        if self.client is None:
            timeout = self.config.upstream_timeout
            self.client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)
        return self.client

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None


@dataclass
class _Exchange:
    """One request on its way through: what the journal, the detectors and the sinks are told."""

    op: Operation
    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    started: float
    wall: float
    violations: list[Violation]
    path_params: Mapping[str, str]
    upstream: list[Violation] = field(default_factory=list)


def _violation(part: str, msg: str, type_: str) -> Violation:
    return Violation((part,), msg, type_)


def _answer_violations(
    ctx: ProxyContext, op: Operation, status: int, body: bytes, type_: str
) -> list[Violation]:
    """How an upstream's JSON answer breaks what the contract documents for its status."""
    spec = op.responses.get(status)
    if spec is None:
        if status >= 500:
            return [
                _violation("response", f"status {status}: not an answer the contract documents", "status")
            ]
        return []
    pointer = spec.json_pointer
    if pointer is None or not body:
        return []
    if "json" not in type_:
        return [
            _violation(
                "response", f"content-type {type_!r}: the contract documents application/json", "content_type"
            )
        ]
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return [_violation("response", f"the body is not JSON: {exc}", "json_invalid")]
    return ctx.schemas.violations(pointer, decoded, ("response",))


def _journal(ctx: ProxyContext, ex: _Exchange, status: int, answer: bytes, quirk_text: str | None) -> None:
    query = redact_query(ex.query)
    ctx.journal.record(
        method=ex.method,
        path=ex.path,
        query=query,
        headers=redact_raw_headers(ex.headers),
        body=ex.body,
        status=status,
        duration=time.perf_counter() - ex.started,
        operation_id=ex.op.operation_id,
        label=ex.op.label,
        violations=ex.violations,
        answer=answer,
        upstream_violations=ex.upstream,
    )
    try:
        decoded = orjson.loads(answer) if answer and quirk_text is None else None
    except orjson.JSONDecodeError:
        decoded = None
    ctx.journal.observer.see(
        ctx.journal.last_seq,
        f"{ex.method} {ex.path}" + (f"?{query}" if query else ""),
        ex.op.operation_id,
        ex.path_params,
        parse_qs(ex.query, keep_blank_values=True),
        status,
        decoded,
        quirk_text,
        bodiless=not ex.body,
    )


def _hand_over(
    ctx: ProxyContext, ex: _Exchange, status: int, headers: tuple[tuple[str, str], ...], body: bytes
) -> None:
    if not ctx.exchange_sinks:
        return
    exchange = redact(
        Exchange(
            method=ex.method,
            path=ex.path,
            query=ex.query,
            request_headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in ex.headers),
            request_body=ex.body,
            status=status,
            response_headers=tuple(headers),
            response_body=body,
            started=ex.wall,
            duration_ms=round((time.perf_counter() - ex.started) * 1000, 3),
            operation_id=ex.op.operation_id,
        )
    )
    for sink in ctx.exchange_sinks:
        try:
            sink(exchange)
        except Exception:  # a sink's failure must not cost the client its answer
            log.exception("%s: an exchange sink failed", _PREFIX)


def _failure(ctx: ProxyContext, ex: _Exchange, status: int, what: str, exc: Exception) -> Response:
    reason = str(exc) or type(exc).__name__
    detail = f"{_PREFIX}: upstream {ctx.upstream} {what}: {reason}"
    body = orjson.dumps({"detail": detail})
    ex.upstream.append(
        _violation("response", detail, "upstream_unreachable" if status == 502 else "upstream_timeout")
    )
    _journal(ctx, ex, status, body, None)
    return Response(body, status_code=status, media_type="application/json")


async def _stream(
    ctx: ProxyContext, ex: _Exchange, upstream: httpx.Response, pointer: str | None
) -> AsyncIterator[bytes]:
    """The upstream's stream, chunk by chunk as it arrives; each event checked as it passes."""
    splitter = wire.EventSplitter()
    kept: list[bytes] = []
    size = 0
    events = 0

    def check(block: str) -> None:
        nonlocal events
        try:
            found = wire.event_data(block)
        except ValueError as exc:
            ex.upstream.append(
                Violation(("stream", events), f"an event's data is not JSON: {exc}", "json_invalid")
            )
            events += 1
            return
        if found is not None and pointer is not None:
            ex.upstream.extend(ctx.schemas.violations(pointer, found[1], ("stream", events)))
        events += 1

    try:
        async for chunk in upstream.aiter_bytes():
            if size < STREAM_LIMIT:
                kept.append(chunk[: STREAM_LIMIT - size])
                size += len(chunk)
            for block in splitter.feed(chunk.decode("utf-8", "replace")):
                check(block)
            yield chunk
        if splitter.rest().strip():
            ex.upstream.append(
                Violation(("stream",), "the stream ended in the middle of an event", "stream_cut")
            )
    except httpx.HTTPError as exc:
        # The client's stream ends here too; what it saw is journaled, with the cut as a deviation.
        reason = str(exc) or type(exc).__name__
        ex.upstream.append(Violation(("stream",), f"the upstream cut the stream: {reason}", "stream_cut"))
    finally:
        await upstream.aclose()
        text = b"".join(kept)
        _journal(ctx, ex, upstream.status_code, b"", text.decode("utf-8", "replace"))
        _hand_over(ctx, ex, upstream.status_code, tuple(upstream.headers.items()), text)


def _parse(ctx: ProxyContext, op: Operation, request: Request, raw: bytes) -> list[Violation]:
    """The client's violations; the request goes to the upstream whatever they are."""
    query = request.scope["query_string"].decode("latin-1")
    try:
        parsed = parse_request(
            ctx.table,
            ctx.schemas,
            op,
            request.scope["path_params"],
            parse_qsl(query, keep_blank_values=True),
            raw,
            request.headers.get("content-type", ""),
        )
    except RequestInvalid as exc:
        return list(exc.violations)
    try:
        check_semantics(ctx.table, ctx.schemas.level, parsed)
    except BadRequest as exc:  # a rule the real server keeps in code (an id's format): still the client's
        return [Violation(("request",), str(exc.detail), "semantics", None, "", str(exc.detail))]
    return []


def proxy_endpoint(ctx: ProxyContext, methods: Mapping[str, Operation]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        scope = request.scope
        method = scope["method"]
        op = methods[method if method != "HEAD" else "GET"]
        started, wall = time.perf_counter(), time.time()
        try:
            check_api_key(request, ctx.config.api_key)
            raw = (
                await read_body(request)
                if op.body_pointer is not None or method in ("POST", "PATCH", "PUT")
                else b""
            )
        except MockError as exc:
            return error_response(exc)
        ex = _Exchange(
            op,
            method,
            scope["path"],
            scope["query_string"].decode("latin-1"),
            list(scope["headers"]),
            raw,
            started,
            wall,
            _parse(ctx, op, request, raw),
            dict(scope["path_params"]),
        )
        url = ctx.upstream + scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if ex.query:
            url += "?" + ex.query
        client = ctx.http()
        outgoing = client.build_request(
            method, url, headers=wire.request_headers(ex.headers, ctx.config.upstream_api_key), content=raw
        )
        try:
            upstream = await wire.send(client, outgoing)
        except httpx.TimeoutException as exc:
            return _failure(ctx, ex, 504, f"did not answer within {ctx.config.upstream_timeout:g} s", exc)
        except httpx.HTTPError as exc:
            return _failure(ctx, ex, 502, "unreachable", exc)
        content_type = upstream.headers.get("content-type", "")
        if content_type.startswith("text/event-stream"):
            spec = op.responses.get(upstream.status_code)
            pointer = spec.media_types.get("text/event-stream") if spec is not None else None
            return StreamingResponse(
                _stream(ctx, ex, upstream, pointer),
                status_code=upstream.status_code,
                headers=dict(wire.answer_headers(upstream.headers.items(), stream=True)),
            )
        try:
            body = await upstream.aread()
        except httpx.TimeoutException as exc:
            return _failure(
                ctx, ex, 504, f"did not finish its answer within {ctx.config.upstream_timeout:g} s", exc
            )
        except httpx.HTTPError as exc:
            return _failure(ctx, ex, 502, "broke off its answer", exc)
        finally:
            await upstream.aclose()
        ex.upstream.extend(_answer_violations(ctx, op, upstream.status_code, body, content_type))
        _journal(ctx, ex, upstream.status_code, body, None)
        _hand_over(ctx, ex, upstream.status_code, tuple(upstream.headers.items()), body)
        headers = wire.answer_headers(upstream.headers.items(), stream=False)
        response = Response(body, status_code=upstream.status_code)
        response.raw_headers = [  # the length Response computed, and the upstream's headers, as sent
            *(h for h in response.raw_headers if h[0] == b"content-length"),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers),
        ]
        return response

    return endpoint


def create_proxy_app(config: Config, *, table: OperationTable | None = None) -> Any:
    """The proxy as an ASGI application; ``app.state.proxy`` is its :class:`ProxyContext`."""
    if config.upstream is None:
        raise ValueError("the proxy needs an upstream URL (--upstream)")
    if table is None:
        table = load_table(config.openapi) if config.openapi is not None else default_table()
    strict = SchemaSet(table.refs, "strict")
    schemas = strict if config.validation == "strict" else SchemaSet(table.refs, config.validation)
    journal = RequestJournal(config.journal_size)
    faults = Faults(config.seed)
    quirks = QuirkSet()
    operation_ids = tuple(table)
    control = Control(
        None, strict, faults=faults, journal=journal, operation_ids=operation_ids, quirks=quirks
    )
    ctx = ProxyContext(config, config.upstream.rstrip("/"), table, schemas, journal)
    recorder = None if config.record is None else Recorder(session_file(Path(config.record)), ctx.upstream)
    if recorder is not None:
        ctx.exchange_sinks.append(recorder.add)
    api = ApiContext(table, schemas, NoBackend(), journal, api_key=config.api_key, quirks=quirks)
    parts = Parts(config, table, api.backend, control, journal, faults, api)
    # Literal segments first, as in `_web.app`: `/v1/runs/active` must win over `/v1/runs/{run_id}`.
    paths = sorted(table.paths, key=lambda p: (p.count("{"), p))
    routes = [Route(p, proxy_endpoint(ctx, table.paths[p]), methods=list(table.paths[p])) for p in paths]
    routes += control_routes(control, config.control_token)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await ctx.close()
            if recorder is not None:
                recorder.close()
            if config.report_on_exit:
                sys.stdout.write(format_report(journal.report(operation_ids), ctx.upstream))
                sys.stdout.flush()

    app = Starlette(
        routes=routes,
        exception_handlers={MockError: mock_error, HTTPException: not_forwarded},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.parts = parts
    app.state.proxy = ctx

    return FaultLayer(app, faults, table, fault_journal(journal, redacted=True))
