"""``GET /_mock/ui``: the dashboard, a static page that reads and steers the mock through ``/_mock``.

The page and its script and style ship in the package (``_web/dashboard/``): no build step and
nothing fetched from elsewhere. It follows the control API's access rules; a ``?token=`` link
(printed at start-up) becomes an HttpOnly, SameSite=Strict cookie and a redirect to the bare
address, so the token is neither echoed into a page nor left in the address bar or history.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from mockserver._contract.errors import MockError, Unauthorized
from mockserver._web.endpoints import TOKEN_COOKIE, check_control_access

PATH = "/_mock/ui"
_ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "util.js": "text/javascript; charset=utf-8",
    "views.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# The page builds its DOM with textContent: the policy is a second line should that ever slip.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@cache
def _asset(name: str) -> bytes:
    return resources.files("mockserver._web").joinpath("dashboard", name).read_bytes()


def _refused(exc: MockError) -> Response:
    # Plain text: the refusal names the caller's address, and no page should render it as markup.
    return PlainTextResponse(f"{exc.status} {exc.detail}\n", status_code=exc.status, headers=_HEADERS)


def _serve(name: str) -> Response:
    return Response(_asset(name), media_type=_ASSETS[name], headers=_HEADERS)


def dashboard_routes(token: str | None) -> list[Route]:
    """The page and its two assets, under the control API's rules (plus the ``?token=`` link)."""

    async def page(request: Request) -> Response:
        offered = request.query_params.get("token")
        if offered is not None:
            return _token_link(request, offered, token)
        try:
            check_control_access(request, token)
        except MockError as exc:
            return _refused(exc)
        return _serve("index.html")

    def asset(name: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                check_control_access(request, token)
            except MockError as exc:
                return _refused(exc)
            return _serve(name)

        return endpoint

    return [
        Route(PATH, page, methods=["GET"]),
        *(Route(f"{PATH}/{name}", asset(name), methods=["GET"]) for name in _ASSETS if name != "index.html"),
    ]


def _token_link(request: Request, offered: str, token: str | None) -> Response:
    """Trade the link's token for a cookie and send the browser to the address without it."""
    if token is None:
        # Nothing to trade: the page answers loopback callers as the control API does.
        try:
            check_control_access(request, None)
        except MockError as exc:
            return _refused(exc)
        return RedirectResponse(PATH, status_code=303, headers={"Cache-Control": "no-store"})
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return _refused(Unauthorized("the dashboard link's token is not the control token"))
    response = RedirectResponse(PATH, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(TOKEN_COOKIE, token, path="/_mock", httponly=True, samesite="strict")
    return response
