"""Requests that are not HTTP/1.1 the parser accepts: refused with a 400, and the server serves on.

These never reach the application: uvicorn's parser (httptools) answers them itself, with
``400 Invalid HTTP request received.`` as ``text/plain``, not the mock's JSON ``{"detail": ...}``.
They are here to show that they neither hang nor crash the server; the body is uvicorn's.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mockserver import MockServer

from .support import exchange

ServerFactory = Callable[..., MockServer]

MALFORMED_HEADS = {
    "100KiB-request-target": b"GET /v1/messages/batches/" + b"j" * 100_000 + b" HTTP/1.1\r\nHost: m\r\n\r\n",
    "nul-in-target": b"GET /v1/runs/\x00 HTTP/1.1\r\nHost: m\r\n\r\n",
    "nul-in-header": b"GET /v1/runs/ HTTP/1.1\r\nHost: m\r\nX-Bad: a\x00b\r\n\r\n",
    "word-content-length": b"POST /v1/messages/batches HTTP/1.1\r\nHost: m\r\nContent-Length: abc\r\n\r\n",
    "negative-content-length": b"POST /v1/messages/batches HTTP/1.1\r\nHost: m\r\nContent-Length: -5\r\n\r\n",
    "two-content-lengths": (
        b"POST /v1/messages/batches HTTP/1.1\r\nHost: m\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}"
    ),
    "bad-chunk-size": (
        b"POST /v1/messages/batches HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ),
    "space-in-header-name": b"GET /v1/runs/ HTTP/1.1\r\nHost: m\r\nX Bad: 1\r\n\r\n",
    "binary-garbage": bytes(range(256)) * 4,
}


@pytest.fixture(scope="module")
def url(server_factory: ServerFactory) -> str:
    return server_factory(mode="stateful", clock="manual", seed=15).url


@pytest.mark.parametrize("request_bytes", MALFORMED_HEADS.values(), ids=MALFORMED_HEADS.keys())
def test_the_parser_refuses_and_the_server_serves_on(url: str, request_bytes: bytes) -> None:
    response = exchange(url, request_bytes)
    assert response.status == 400, str(response)
    assert httpx.get(f"{url}/v1/runs/", timeout=10).status_code == 200
