"""The seam between the API endpoint and ``_recording``: an answer recorded as it is sent, and a
recorded answer served (``--record``, ``--replay``, the plugin's per-test files).

Kept out of ``endpoints`` so that a server that neither records nor replays pays one ``None`` check.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.responses import Response, StreamingResponse
from starlette.types import Scope

from mockserver._recording.exchange import Exchange
from mockserver._recording.recorder import Recorder, captured, with_note
from mockserver._recording.replay import Replay

_NOT_REPLAYED = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding", "date", "server"}
)
"""Headers of a recorded answer that describe its old connection, not its content: the server sets its own."""


@dataclass
class Taps:
    """What records and what replays, if anything; the plugin swaps ``recorder`` test by test."""

    recorder: Recorder | None = None
    replay: Replay | None = None


def _latin(value: str) -> bytes:
    return value.encode("latin-1", "replace")


async def _events(text: bytes) -> AsyncIterator[bytes]:
    """A recorded stream, event by event, as a client reading it line by line expects."""
    rest = text
    while rest:
        event, separator, rest = rest.partition(b"\n\n")
        yield event + separator


def replayed(exchange: Exchange) -> Response:
    """The recorded answer: its status, its content headers and its body, byte for byte."""
    headers = [
        (_latin(name.lower()), _latin(value))
        for name, value in exchange.response_headers
        if name.lower() not in _NOT_REPLAYED
    ]
    if (exchange.header("content-type") or "").startswith("text/event-stream"):
        stream = StreamingResponse(_events(exchange.response_body), status_code=exchange.status)
        stream.raw_headers = headers
        return stream
    response = Response(exchange.response_body, status_code=exchange.status)
    response.raw_headers += headers
    return response


def record(
    recorder: Recorder,
    scope: Scope,
    body: bytes,
    response: Response,
    started: float,
    operation_id: str | None,
) -> Response:
    """Hand the exchange to ``recorder``: at once for a whole answer, when it ends for a stream.

    ``started``: ``time.time()`` when the request came in."""
    raw_query: bytes = scope.get("query_string", b"")
    raw_headers: list[tuple[bytes, bytes]] = scope.get("headers", [])

    def exchange(answer: bytes, note: str = "") -> Exchange:
        return with_note(
            Exchange(
                method=str(scope["method"]),
                path=str(scope["path"]),
                query=raw_query.decode("latin-1"),
                request_headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers),
                request_body=body,
                status=response.status_code,
                response_headers=tuple(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers
                ),
                response_body=answer,
                started=started,
                duration_ms=round((time.time() - started) * 1000, 3),
                operation_id=operation_id,
            ),
            note,
        )

    if isinstance(response, StreamingResponse):
        response.body_iterator = captured(
            response.body_iterator, lambda text, note: recorder.add(exchange(text, note))
        )
    else:
        recorder.add(exchange(bytes(response.body)))
    return response
