"""The proxy's answers of its own: a 404 for what it never forwards, and the control API without a
simulation (what needs one answers 409 saying so)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver._answers.backend import Reply
from mockserver._contract.errors import Conflict, MockError
from mockserver._contract.parsing import ParsedRequest
from mockserver._control.api import Control, ControlRoute
from mockserver._web.endpoints import OrjsonResponse, control_endpoint, error_response

PREFIX = "letta-mockserver proxy"
WORKS_IN_PROXY = frozenset(
    (
        ("GET", "/_mock/requests"),
        ("GET", "/_mock/report"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/callbacks"),
        ("POST", "/_mock/faults"),
        ("GET", "/_mock/faults"),
        ("DELETE", "/_mock/faults"),
        ("DELETE", "/_mock/faults/{id}"),
    )
)
"""The control routes that need no simulation; every other one answers 409 in proxy mode."""


async def not_forwarded(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = (
        f"{PREFIX}: no operation at {request.method} {request.url.path}; only the Letta Batches & Runs"
        " API's operations are forwarded"
    )
    if exc.status_code == 405 and exc.headers:
        detail += f" (allowed here: {exc.headers.get('Allow', '')})"
    return OrjsonResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def mock_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MockError)
    return error_response(exc)


def control_routes(control: Control, token: str | None) -> list[Route]:
    by_path: dict[str, dict[str, ControlRoute]] = {}
    for route in control.routes():
        if (route.method, route.path) not in WORKS_IN_PROXY:
            route = ControlRoute(route.method, route.path, _needs_simulation(route), None, route.summary)
        by_path.setdefault(route.path, {})[route.method] = route
    return [
        Route(path, control_endpoint(methods, control, token), methods=list(methods))
        for path, methods in by_path.items()
    ]


def _needs_simulation(route: ControlRoute) -> Callable[[Any, Any], Any]:
    def refuse(_payload: Any, _query: Any) -> Any:
        raise Conflict(
            f"{PREFIX}: {route.method} {route.path} needs the simulation, and the proxy has none (its"
            " answers are the upstream's); run `letta-mockserver serve` for it"
        )

    return refuse


class NoBackend:
    """The proxy answers from its upstream; nothing may ask it for a simulated answer."""

    async def handle(self, request: ParsedRequest) -> Reply:
        raise Conflict(f"{PREFIX}: answers come from the upstream, not from a simulation")
