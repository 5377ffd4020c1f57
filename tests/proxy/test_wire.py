"""What the proxy forwards and keeps of headers and query strings, and how it reads SSE events."""

from __future__ import annotations

import pytest

from mockserver._web import proxy_wire as wire

CLIENT = [
    (b"Host", b"127.0.0.1:8284"),
    (b"Connection", b"keep-alive"),
    (b"Transfer-Encoding", b"chunked"),
    (b"Accept-Encoding", b"br"),
    (b"Authorization", b"Bearer client"),
    (b"X-Bare-Password", b"password client"),
    (b"X-Letta-Mock-Token", b"control"),
    (b"Content-Type", b"application/json"),
    (b"X-Project", b"p1"),
]


def test_hop_by_hop_headers_host_and_the_control_token_are_not_forwarded() -> None:
    assert wire.request_headers(CLIENT, None) == [
        ("authorization", "Bearer client"),
        ("x-bare-password", "password client"),
        ("content-type", "application/json"),
        ("x-project", "p1"),
    ]


def test_the_upstream_key_replaces_the_clients_credentials() -> None:
    assert wire.request_headers(CLIENT, "up") == [
        ("content-type", "application/json"),
        ("x-project", "p1"),
        ("authorization", "Bearer up"),
    ]


def test_the_answer_keeps_the_headers_that_matter() -> None:
    upstream = [
        ("Content-Type", "application/json"),
        ("Content-Length", "12"),
        ("Content-Encoding", "gzip"),
        ("Connection", "close"),
        ("Retry-After", "3"),
        ("X-Request-Id", "r1"),
        ("Set-Cookie", "session=1"),
        ("Server", "uvicorn"),
    ]
    assert wire.answer_headers(upstream, stream=False) == [
        ("content-type", "application/json"),
        ("retry-after", "3"),
        ("x-request-id", "r1"),
    ]
    streamed = wire.answer_headers([("content-type", "text/event-stream")], stream=True)
    assert streamed == [("content-type", "text/event-stream"), ("cache-control", "no-cache")]


def test_events_are_split_as_they_arrive() -> None:
    splitter = wire.EventSplitter()
    assert list(splitter.feed('data: {"a":')) == []
    assert list(splitter.feed(' 1}\n\nevent: error\r\ndata: {"b": 2}\r\n\r\ndata: [DONE]\n\n: ping')) == [
        'data: {"a": 1}',
        'event: error\ndata: {"b": 2}',
        "data: [DONE]",
    ]
    assert splitter.rest() == ": ping"
    assert wire.event_data('data: {"a": 1}') == ("message", {"a": 1})
    assert wire.event_data('event: error\ndata: {"b": 2}') == ("error", {"b": 2})
    assert wire.event_data("data: [DONE]") is None
    with pytest.raises(ValueError, match="Expecting"):
        wire.event_data("data: {oops")
