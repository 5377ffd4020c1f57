"""The dashboard called from another address of this machine: refused exactly as the control API is.

The mock is bound to a non-loopback address and called from it (as tests/robustness/test_access.py
does for the control API): without a control token the page, its assets and what it reads are
refused, and a ``?token=`` link is no way round that; with one, the link's cookie opens them.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from mockserver import MockServer

from .support import AGENT_A

ServerFactory = Callable[..., MockServer]
TOKEN = "elsewhere-token-41d7"
PAGE_AND_ASSETS = (
    "/_mock/ui",
    "/_mock/ui/app.js",
    "/_mock/ui/util.js",
    "/_mock/ui/views.js",
    "/_mock/ui/style.css",
)


def _from(outside: str, server: MockServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, transport=httpx.HTTPTransport(local_address=outside))


def test_without_a_token_another_host_gets_neither_the_page_nor_what_it_reads(
    server_factory: ServerFactory, outside: str
) -> None:
    server = server_factory(host=outside, mode="stateful", clock="manual", seed=1722)
    refusal = f"the control API answers loopback callers only (not {outside})"
    with _from(outside, server) as http:
        made = http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT_A, "input": "hi"}]})
        assert made.status_code == 200, made.text  # the mocked API answers anyone
        for path in PAGE_AND_ASSETS:
            reply = http.get(path)
            assert reply.status_code == 403, (path, reply.text)
            assert reply.headers["content-type"].startswith("text/plain"), path
            assert refusal in reply.text, path
        for path, params in (("/_mock/records", {}), ("/_mock/record", {"id": made.json()["id"]})):
            reply = http.get(path, params=params)
            assert reply.status_code == 403, (path, reply.text)
            assert reply.json()["detail"].startswith(refusal)
        # No token is set, so a link carrying one trades nothing: the same refusal, no cookie.
        link = http.get("/_mock/ui", params={"token": "guess<script>"})
        assert link.status_code == 403, link.text
        assert "set-cookie" not in link.headers
        assert "guess" not in link.text
        assert refusal in link.text


def test_with_a_token_another_host_opens_it_through_the_link(
    server_factory: ServerFactory, outside: str
) -> None:
    server = server_factory(host=outside, mode="stateful", clock="manual", control_token=TOKEN, seed=1723)
    with _from(outside, server) as browser:
        for path in (*PAGE_AND_ASSETS, "/_mock/records"):
            refused = browser.get(path)
            assert refused.status_code == 401, (path, refused.text)
            assert TOKEN not in refused.text
        page = browser.get("/_mock/ui", params={"token": TOKEN}, follow_redirects=True)
        assert page.status_code == 200, page.text
        assert str(page.url) == f"{server.url}/_mock/ui"
        assert TOKEN not in page.text
        for path in PAGE_AND_ASSETS[1:]:
            assert browser.get(path).status_code == 200, path
        assert browser.get("/_mock/records").json()["stored"] == 0
        assert browser.post("/_mock/clock/advance", json={"seconds": 1}).status_code == 200
