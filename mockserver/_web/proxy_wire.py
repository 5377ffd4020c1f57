"""What the proxy forwards and keeps of one exchange: headers both ways, redaction, SSE events.

Plain functions, no I/O: ``proxy`` moves the bytes, this decides which of them go where.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from mockserver._recording.redact import secret_header

HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    )
)
"""RFC 9110 7.6.1: meant for one connection, never forwarded."""
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "accept-encoding", "x-letta-mock-token"}
"""Besides the hop-by-hop ones: httpx writes ``Host`` and the length itself, and asks only for the
encodings it can decode (the proxy reads every answer to check it, and re-frames the body); the control
token is the proxy's own credential and no business of the upstream."""
_CLIENT_CREDENTIALS = frozenset(("authorization", "x-bare-password"))
"""Replaced, both, by the proxy's ``--upstream-api-key`` when it has one."""
_KEPT_ANSWER = frozenset(("content-type", "cache-control", "retry-after", "location"))


def request_headers(
    headers: Iterable[tuple[bytes, bytes]], upstream_api_key: str | None
) -> list[tuple[str, str]]:
    """The client's headers as the upstream gets them; ``Authorization`` replaced by the proxy's key."""
    forwarded = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name in _NOT_FORWARDED or (upstream_api_key is not None and name in _CLIENT_CREDENTIALS):
            continue
        forwarded.append((name, raw_value.decode("latin-1")))
    if upstream_api_key is not None:
        forwarded.append(("authorization", f"Bearer {upstream_api_key}"))
    return forwarded


def answer_headers(headers: Iterable[tuple[str, str]], stream: bool) -> list[tuple[str, str]]:
    """The upstream's headers a client needs; the body is re-framed here, so no length nor encoding
    (httpx has already decoded it), and a stream has no length at all."""
    kept = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _KEPT_ANSWER or (lowered.startswith("x-") and not secret_header(lowered)):
            kept.append((lowered, value))
    if stream and not any(name == "cache-control" for name, _ in kept):
        kept.append(("cache-control", "no-cache"))
    return kept


class EventSplitter:
    """Server-sent events out of chunks as they arrive: an event ends at a blank line."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> Iterator[str]:
        self._pending += text.replace("\r\n", "\n")
        while "\n\n" in self._pending:
            block, self._pending = self._pending.split("\n\n", 1)
            if block.strip():
                yield block

    def rest(self) -> str:
        """What arrived after the last complete event (a stream cut mid-event)."""
        return self._pending


def event_data(block: str) -> tuple[str, Any] | None:
    """An event's name and its JSON ``data``; ``None`` for ``[DONE]``, a comment or no data.

    Raises ``ValueError`` when the data is not JSON (a deviation of the stream)."""
    name = "message"
    data: list[str] = []
    for line in block.split("\n"):
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    text = "\n".join(data)
    if not data or text.strip() == "[DONE]":
        return None
    return name, json.loads(text)


async def send(client: httpx.AsyncClient, outgoing: httpx.Request) -> httpx.Response:
    """Sent once, or twice for a GET whose kept-alive connection the upstream had closed: Letta's server
    drops the connection after an unhandled 500, and the next request on it would read nothing."""
    try:
        return await client.send(outgoing, stream=True)
    except (httpx.ReadError, httpx.RemoteProtocolError):
        if outgoing.method != "GET":
            raise
        return await client.send(outgoing, stream=True)
