"""The 256 MiB body limit of create_batch, over raw sockets so that the body need not be sent."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from mockserver import MockServer

MIB = 1024 * 1024
LIMIT = 256 * MIB
SOCKET_TIMEOUT = 10.0
CHUNK = b"x" * MIB


def _address(server: MockServer) -> tuple[str, int]:
    url = httpx.URL(server.url)
    assert url.port is not None
    return url.host, url.port


def _connect(server: MockServer) -> socket.socket:
    return socket.create_connection(_address(server), timeout=SOCKET_TIMEOUT)


def _head(server: MockServer, *headers: str) -> bytes:
    host, port = _address(server)
    lines = [
        "POST /v1/messages/batches HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _read_response(sock: socket.socket, deadline: float) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response with a Content-Length body; every recv is bounded by the socket timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        assert time.monotonic() < deadline, "no response head in time"
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response head: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(body) < length:
        assert time.monotonic() < deadline, "no complete response body in time"
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the response body"
        body += chunk
    return int(status_line.split(" ")[1]), headers, body[:length]


def test_content_length_over_the_limit_is_refused_before_the_body_is_sent(
    stateless_server: MockServer,
) -> None:
    """`Content-Length: 300 MiB` gets the real server's 400 at once, after only the head and a few bytes."""
    declared = 300 * MIB
    with _connect(stateless_server) as sock:
        sock.sendall(_head(stateless_server, f"Content-Length: {declared}") + b'{"requests": [')
        status, headers, body = _read_response(sock, time.monotonic() + SOCKET_TIMEOUT)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "detail": "INVALID_ARGUMENT: Request too large (314572800 bytes). Max is 268435456 bytes."
    }


def test_content_length_of_exactly_the_limit_plus_one_is_refused(stateless_server: MockServer) -> None:
    """The limit is inclusive: 268435457 declared bytes are already too many."""
    with _connect(stateless_server) as sock:
        sock.sendall(_head(stateless_server, f"Content-Length: {LIMIT + 1}"))
        status, _, body = _read_response(sock, time.monotonic() + SOCKET_TIMEOUT)
    assert status == 400
    assert json.loads(body)["detail"] == (
        f"INVALID_ARGUMENT: Request too large ({LIMIT + 1} bytes). Max is {LIMIT} bytes."
    )


class _ChunkWriter(threading.Thread):
    """Writes 1 MiB chunks until told to stop, the server stops reading, or ``budget`` bytes are sent."""

    def __init__(self, sock: socket.socket, budget: int) -> None:
        super().__init__(name="chunked-writer", daemon=True)
        self.sock = sock
        self.budget = budget
        self.sent = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        frame = f"{len(CHUNK):x}\r\n".encode("ascii") + CHUNK + b"\r\n"
        try:
            while not self.stop.is_set() and self.sent < self.budget:
                self.sock.sendall(frame)
                self.sent += len(CHUNK)
        except OSError as exc:  # the server answered and closed, or stopped reading (timeout)
            self.error = exc


def test_chunked_body_over_the_limit_is_refused_while_it_arrives(stateless_server: MockServer) -> None:
    """A chunked body (no Content-Length) is counted as it arrives and refused with 400 past 256 MiB."""
    with _connect(stateless_server) as sock:
        sock.sendall(_head(stateless_server, "Transfer-Encoding: chunked"))
        writer = _ChunkWriter(sock, budget=270 * MIB)
        writer.start()
        try:
            status, headers, body = _read_response(sock, time.monotonic() + 60)
        finally:
            writer.stop.set()
            writer.join(SOCKET_TIMEOUT + 5)
    assert not writer.is_alive()
    assert status == 400
    assert headers["content-type"] == "application/json"
    detail: Any = json.loads(body)["detail"]
    assert detail.startswith("INVALID_ARGUMENT: Request too large (")
    assert detail.endswith(f"bytes). Max is {LIMIT} bytes.")
    counted = int(detail.removeprefix("INVALID_ARGUMENT: Request too large (").split(" ")[0])
    assert LIMIT < counted <= writer.sent


@pytest.mark.parametrize("size", [0, 1, 8 * MIB])
def test_chunked_body_under_the_limit_is_read_whole(size: int, stateless_server: MockServer) -> None:
    """A chunked body under the limit is read to its end and answered like any other body."""
    callback = "https://example.com/cb"
    request = {"agent_id": "agent-123e4567-e89b-42d3-8456-426614174000", "input": "hi"}
    payload = json.dumps({"requests": [request], "callback_url": callback, "padding": "p" * size}).encode()
    with _connect(stateless_server) as sock:
        sock.sendall(_head(stateless_server, "Transfer-Encoding: chunked"))
        for start in range(0, len(payload), MIB):
            part = payload[start : start + MIB]
            sock.sendall(f"{len(part):x}\r\n".encode("ascii") + part + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        status, _, body = _read_response(sock, time.monotonic() + SOCKET_TIMEOUT)
    assert status == 200, body
    assert json.loads(body)["callback_url"] == callback


def test_server_still_answers_after_refusing_large_bodies(
    http: httpx.Client, stateless_server: MockServer
) -> None:
    """After refusing oversized bodies (declared and chunked), the server answers normal requests."""
    with _connect(stateless_server) as sock:
        sock.sendall(_head(stateless_server, f"Content-Length: {300 * MIB}"))
        status, _, _ = _read_response(sock, time.monotonic() + SOCKET_TIMEOUT)
    assert status == 400
    assert http.get("/v1/runs/").status_code == 200
    response = http.post(
        "/v1/messages/batches",
        json={"requests": [{"agent_id": "agent-123e4567-e89b-42d3-8456-426614174000", "input": "hi"}]},
    )
    assert response.status_code == 200
