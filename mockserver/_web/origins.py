"""Which browser requests ``/_mock`` refuses: those a web page of another site makes.

A browser sends a page's requests to any address the page names, 127.0.0.1 included: a page the
developer visits could post a form to ``/_mock/reset`` (no CORS preflight stops a form) or, after
DNS rebinding (its own name made to resolve to 127.0.0.1), read ``/_mock/state`` as if it were
same-origin. Both leave marks only browsers write, so curl, httpx and the SDK are never refused:

- cross-site: ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site``, or ``Origin`` names another
  host:port than ``Host``;
- rebinding: the connection arrived on a loopback address and ``Host`` names no loopback host.

Opening the dashboard itself (a top-level GET navigation to ``/_mock/ui``) is let through from a
link on another site: the page is static, cannot be framed, and its own requests are same-origin.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import Request

_CROSS = frozenset({"cross-site", "same-site"})
_DEFAULT_PORT = {"http": 80, "https": 443}
_PAGE = "/_mock/ui"


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True  # browsers resolve these to loopback themselves, never through DNS
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_port(authority: str) -> tuple[str, int | None] | None:
    """``host[:port]`` (``[v6]:port`` too), the host lower-cased; ``None`` when it is no such thing."""
    try:
        parts = urlsplit(f"//{authority}")
        port = parts.port
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname else None


def _same_origin(origin: str, host: tuple[str, int | None] | None) -> bool:
    """Whether ``Origin`` names the host:port of ``Host`` (a ``Host`` without a port: the Origin scheme's,
    as behind a proxy that ends TLS)."""
    try:
        parts = urlsplit(origin)  # "null" (a sandboxed frame, a file) has no scheme: never the mock's
        named = _host_port(parts.netloc)
    except ValueError:
        return False
    default = _DEFAULT_PORT.get(parts.scheme)
    if host is None or named is None or default is None:
        return False
    return (named[0], named[1] or default) == (host[0], host[1] or default)


def _opens_the_page(request: Request) -> bool:
    headers = request.headers
    return (
        request.method in ("GET", "HEAD")
        and request.scope["path"] == _PAGE
        and headers.get("sec-fetch-mode") == "navigate"
        and headers.get("sec-fetch-dest", "document") == "document"
    )


def refusal(request: Request) -> str | None:
    """Why a web page's request may not reach ``/_mock``, or ``None`` when nothing says it is one."""
    headers = request.headers
    host = _host_port(headers.get("host", ""))
    server = request.scope.get("server")
    if server and _loopback(str(server[0])) and "host" in headers and not (host and _loopback(host[0])):
        return "the control API on a loopback address answers only a loopback Host (against DNS rebinding)"
    if _opens_the_page(request):
        return None
    if headers.get("sec-fetch-site", "").lower() in _CROSS:
        return "the control API refuses requests from another site's web page (Sec-Fetch-Site)"
    origin = headers.get("origin")
    if origin is not None and not _same_origin(origin, host):
        return "the control API refuses requests from another site's web page (Origin is not Host)"
    return None
