"""The API's operations dispatched before Starlette's stack (a speed seam).

Starlette reaches an endpoint through ``ServerErrorMiddleware``, ``ExceptionMiddleware``, the router
and a ``Route.matches`` per route tried: ~45k instructions of a create's ~312k and ~52k of a ``GET``
by id's ~188k (callgrind, the app in-process, 2026-12-02), as much as the mock's own work for the
``GET``. The API's endpoints need none of it: each answers every exception itself
(``_web.endpoints.api_endpoint``). ``ApiDispatch`` finds the route Starlette would have chosen (the
same ``Route`` objects, tried in the same order) and calls its endpoint directly; everything else,
404s and 405s included, goes to Starlette as before. ``tests/web/test_dispatch.py`` holds the two
to the same choice for every path the document names and the spellings around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.convertors import StringConvertor
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

_Target = tuple[ASGIApp, dict[str, str]]


class ApiDispatch:
    """An ASGI app: ``routes`` (the API's, in Starlette's order) called directly, the rest by ``app``."""

    def __init__(self, app: ASGIApp, routes: Sequence[Route]) -> None:
        self.app = app
        self._routes = list(routes)
        if any(
            not isinstance(convertor, StringConvertor)
            for route in self._routes
            for convertor in route.param_convertors.values()
        ):
            raise ValueError("ApiDispatch takes routes with plain {name} parameters only")
        # A literal path's answer per method, fixed at start-up: the first route that matches it
        # fully, as the router's scan finds it (a template earlier in the order could spell it too).
        self._literal: dict[str, dict[str, _Target]] = {}
        methods = {method for route in self._routes for method in route.methods or ()}
        for route in self._routes:
            if route.param_convertors:
                continue
            chosen = self._literal[route.path] = {}
            for method in methods:
                target = self._scan({"type": "http", "path": route.path, "method": method}, self._routes)
                if target is not None:
                    chosen[method] = target
        # A path outside that table can only be spelled by a template.
        self._templates = [route for route in self._routes if route.param_convertors]

    def __getattr__(self, name: str) -> Any:
        # `app.state`, `app.router` and the rest are Starlette's.
        return getattr(self.app, name)

    @staticmethod
    def _scan(scope: Scope, routes: Sequence[Route]) -> _Target | None:
        for route in routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route.app, child["path_params"]
        return None

    def _target(self, scope: Scope) -> _Target | None:
        if scope.get("root_path"):
            return self._scan(scope, self._routes)  # Starlette's own reading of a mounted path
        path = scope["path"]
        literal = self._literal.get(path)
        if literal is not None:
            found = literal.get(scope["method"])
            return (found[0], dict(found[1])) if found is not None else None
        method = scope["method"]
        for route in self._templates:
            matched = route.path_regex.match(path)
            if matched is not None and method in route.methods:  # type: ignore[operator]
                return route.app, matched.groupdict()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = self._target(scope)
            if target is not None:
                scope["app"] = self.app
                scope["path_params"] = target[1]
                return await target[0](scope, receive, send)
        return await self.app(scope, receive, send)
