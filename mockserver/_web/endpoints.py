"""Starlette endpoints: the mocked API's (one per path) and the control API's.

Each API request is read (with the body limit), validated, answered by an override or the
backend, and journaled with its violations. Every error becomes a JSON response here, so
no exception reaches uvicorn: a connection stays usable after any answer.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import inspect
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from mockserver._answers.backend import Backend, JsonReply, Reply
from mockserver._contract.errors import (
    Forbidden,
    MockError,
    RequestInvalid,
    Unauthorized,
    repr_detail_body,
)
from mockserver._contract.parsing import ParsedRequest, check_semantics, decode_json, parse_request
from mockserver._contract.quirks import QuirkSet
from mockserver._contract.spec import Operation, OperationTable
from mockserver._contract.validation import SchemaSet, Violation
from mockserver._control.api import Control, ControlRoute
from mockserver._control.journal import RequestJournal
from mockserver._control.overrides import MockRequest, Override, override_reply
from mockserver._simulation import gc_freeze
from mockserver._simulation.simulation import Simulation
from mockserver._web import origins
from mockserver._web.body import read_body
from mockserver._web.recorded import Taps, record, replayed

log = logging.getLogger("mockserver")


class OrjsonResponse(JSONResponse):
    """Compact JSON, written by orjson (as the real server's SafeORJSONResponse does).

    orjson refuses integers beyond 64 bits, which a client may store in `metadata`; those
    bodies go through the standard library instead, in the same compact form.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return render_json(content)


def render_json(content: Any) -> bytes:
    try:
        return orjson.dumps(content)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class _Rendered(Response):
    """A JSON answer already rendered: a reply with no headers of its own needs none of
    ``Response.__init__``'s header merging (its two headers are written here, once)."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-type", b"application/json")]
        if not (status_code < 200 or status_code in (204, 304)):  # as `Response.init_headers` does
            self.raw_headers.insert(0, (b"content-length", str(len(body)).encode("latin-1")))


def render(reply: Reply) -> Response:
    if isinstance(reply, JsonReply):
        if not reply.headers:
            return _Rendered(render_json(reply.body), reply.status)
        return OrjsonResponse(reply.body, status_code=reply.status, headers=dict(reply.headers))
    return StreamingResponse(
        reply.chunks,
        status_code=reply.status,
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def error_response(exc: MockError) -> Response:
    return OrjsonResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def internal_error(exc: Exception, where: str) -> Response:
    log.exception("letta-mockserver: unexpected error in %s", where)
    return OrjsonResponse(
        {"detail": f"letta-mockserver internal error in {where}: {type(exc).__name__}: {exc}"}, 500
    )


@dataclass
class ApiContext:
    table: OperationTable
    schemas: SchemaSet
    backend: Backend
    journal: RequestJournal
    overrides: dict[str, Override] = field(default_factory=dict)
    api_key: str | None = None
    """With a key, the Letta API needs ``Authorization: Bearer <key>`` (as the real server with --secure)."""
    sim: Simulation | None = None
    """Stateful mode's simulation, brought up to now before each request."""
    quirks: QuirkSet = field(default_factory=QuirkSet)
    taps: Taps = field(default_factory=Taps)
    """``--record`` and ``--replay`` (``_web.recorded``)."""


def settle(sim: Simulation | None) -> None:
    """Apply what fell due before this request: the one place requests (API and control) do it.

    The ticker does it on the system clock between requests, and ``advance`` on the manual one.
    """
    if sim is not None:
        sim.start_ticker()  # idempotent; an app served without its lifespan gets its ticker here
        sim.settle()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def check_api_key(request: Request, key: str | None) -> None:
    if key is None:
        return
    bare = request.headers.get("x-bare-password", "")
    offered = _bearer(request) or (
        bare.removeprefix("password ").strip() if bare.startswith("password ") else None
    )
    if offered is None or not hmac.compare_digest(offered.encode(), key.encode()):
        raise Unauthorized("Unauthorized")


TOKEN_COOKIE = "letta_mock_token"
"""Set by the dashboard's ``?token=`` link (HttpOnly, SameSite=Strict): the page's own requests carry it."""


def check_control_access(request: Request, token: str | None) -> None:
    """The control API answers loopback callers only, or, with a token, whoever presents it
    (header, bearer, or the dashboard's cookie); never a web page of another site (``origins``)."""
    refused = origins.refusal(request)
    if refused is not None:
        raise Forbidden(refused)
    if token is not None:
        offered = (
            request.headers.get("x-letta-mock-token")
            or _bearer(request)
            or request.cookies.get(TOKEN_COOKIE)
            or ""
        )
        if not hmac.compare_digest(offered.encode(), token.encode()):
            raise Unauthorized("the control API needs the control token (header X-Letta-Mock-Token)")
        return
    host = request.client.host if request.client else ""
    if not is_loopback(host):
        raise Forbidden(
            f"the control API answers loopback callers only (not {host}); use --control-token to open it"
        )


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """A loopback address or name: who may use the control API, and where binding warns of nothing.

    Remembered per host: parsing the address was a tenth of a fixture's reset."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")  # Starlette's TestClient calls itself "testclient"


def _mock_request(request: Request, parsed: ParsedRequest) -> MockRequest:
    op = parsed.operation
    return MockRequest(
        op.operation_id,
        op.method,
        request.url.path,
        parsed.path,
        parsed.query,
        dict(request.headers),
        parsed.body,
    )


async def _answer(
    context: ApiContext, request: Request, parsed: ParsedRequest
) -> tuple[Reply, list[Violation]]:
    """The answer, and the contract violations of an override's answer (the mock's own keep to it)."""
    override = context.overrides.get(parsed.operation.operation_id)
    if override is not None:
        result = override(_mock_request(request, parsed))
        if inspect.isawaitable(result):
            result = await result
        if result is not None:
            return override_reply(context.table, context.schemas, parsed, result)
    return await context.backend.handle(parsed), []


class AsgiEndpoint:
    """An endpoint Starlette calls as a plain ASGI app (a speed seam).

    A function endpoint is wrapped by Starlette's ``request_response`` and its per-route exception
    handling: four more frames and a context per request, ~6% of a ``GET`` by id's server CPU (py-spy,
    wrk -t2 -c32, 2026-12-02). The API's endpoint catches every exception itself and answers it, so
    it needs neither; it gets the same ``Request`` and its response is sent the same way.
    """

    __slots__ = ("_handle",)

    def __init__(self, handle: Callable[[Request], Awaitable[Response]]) -> None:
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handle(Request(scope, receive, send))
        await response(scope, receive, send)


def api_endpoint(
    context: ApiContext, methods: Mapping[str, Operation], shadowed: Mapping[str, str] | None = None
) -> AsgiEndpoint:
    """``shadowed``: literal paths a path parameter could spell (``/v1/runs/active`` for
    ``/v1/runs/{run_id}``) -> their methods; a method they lack is a 405 there, not an id."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        taps = context.taps
        wall = time.time() if taps.recorder is not None else 0.0
        # The scope, not `Request`'s properties: each of those builds an object per request.
        scope = request.scope
        method, path, query = scope["method"], scope["path"], scope["query_string"]
        if shadowed and path in shadowed:
            allow = shadowed[path]
            detail = f"Method Not Allowed: no operation at {method} {path}; allowed: {allow}"
            return OrjsonResponse({"detail": detail}, status_code=405, headers={"Allow": allow})
        op = methods[method if method != "HEAD" else "GET"]
        raw = b""
        violations: list[Violation] = []
        answered: list[Violation] = []
        deviations: tuple[str, ...] = ()
        recording = None
        try:
            check_api_key(request, context.api_key)
            settle(context.sim)
            content_type = ""
            if op.body_pointer is not None:
                raw = await read_body(request)
                content_type = request.headers.get("content-type", "")
            if taps.replay is not None and op.operation_id not in context.overrides:  # a test's own wins
                recording = taps.replay.answer(method, path, query.decode("latin-1"), raw)
            parsed = parse_request(
                context.table,
                context.schemas,
                op,
                scope["path_params"],
                # What `request.query_params.multi_items()` gives, without its multi-dict.
                parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else (),
                raw,
                content_type,
            )
            check_semantics(context.table, context.schemas.level, parsed)
            if recording is None:
                reply, answered = await _answer(context, request, parsed)
                response, deviations = render(reply), reply.quirks
        except RequestInvalid as exc:
            violations = exc.violations
            response = error_response(exc)
            if "validation-detail-string" in context.quirks:
                deviations = ("validation-detail-string",)
                response = OrjsonResponse(repr_detail_body(violations), 422, headers=exc.headers)
        except MockError as exc:
            response = error_response(exc)
        except Exception as exc:  # never let uvicorn close the connection on us
            response = internal_error(exc, op.label)
        if recording is not None:
            # The recorded answer stands; what the request broke is still reported as the client's.
            response, deviations = replayed(recording), ()
        if taps.recorder is not None:
            response = record(taps.recorder, scope, raw, response, wall, op.operation_id)
        context.journal.record(
            method=method,
            path=path,
            query=query.decode("latin-1"),
            headers=scope["headers"],
            body=raw,
            status=response.status_code,
            duration=time.perf_counter() - started,
            operation_id=op.operation_id,
            label=op.label if violations or answered else None,
            violations=violations,
            override_violations=answered,
            deviations=deviations,
            answer=getattr(response, "body", b""),  # a stream has none
            replayed=recording is not None,
        )
        return response

    return AsgiEndpoint(endpoint)


def control_endpoint(
    routes: Mapping[str, ControlRoute], control: Control, token: str | None
) -> Callable[[Request], Any]:
    """One endpoint per control path, dispatching on the method (so that 405s list every method)."""

    async def endpoint(request: Request) -> Response:
        route = routes[request.method if request.method != "HEAD" else "GET"]
        try:
            check_control_access(request, token)
            raw = await read_body(request) if route.payload is not None else b""
            with gc_freeze.paused() if route.bulk else contextlib.nullcontext():
                answer = _control_answer(route, control, request, raw)
            if isinstance(answer, Response):
                return answer
            return render(await answer)  # waits on this loop (the callback workers run here too)
        except MockError as exc:
            return error_response(exc)
        except Exception as exc:
            return internal_error(exc, f"{route.method} {route.path}")

    return endpoint


def _control_answer(
    route: ControlRoute, control: Control, request: Request, raw: bytes
) -> Response | Awaitable[JsonReply]:
    """The synchronous part of a control request: the payload read, the simulation settled, the handler
    called and its reply rendered; a handler that waits returns what the endpoint awaits."""
    payload = None
    if route.payload is not None:
        if not raw.strip():
            raise RequestInvalid(None, [Violation(("body",), "Field required", "missing")])
        payload, problems = decode_json(raw, request.headers.get("content-type", ""))
        if problems:
            raise RequestInvalid(None, problems)
        control.validate(route.payload, payload)
    settle(control.sim)
    if route.minimal is not None and "return=minimal" in request.headers.get("prefer", ""):
        route.minimal(payload)
        return Response(status_code=204, headers={"Preference-Applied": "return=minimal"})
    reply = route.handler(payload, {**request.query_params, **request.path_params})
    return reply if inspect.isawaitable(reply) else render(reply)
