"""Huge, slow and truncated requests: refused or served without a hang, memory measured.

The memory tests run the server in a subprocess (``python -m mockserver serve``) so that
``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``) is the server's own. The figures are printed at the
end of the run.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from mockserver import MockServer

from .catalogue import AGENT
from .support import (
    DEADLINE,
    MIB,
    SOCKET_TIMEOUT,
    RawResponse,
    Spawned,
    address,
    head_bytes,
    measured,
    read_response,
)

pytestmark = pytest.mark.slow  # see pyproject's `slow` marker: the fast loop skips it

ServerFactory = Callable[..., MockServer]
LIMIT = 256 * MIB


def _record(name: str, value: int) -> float:
    """``value`` bytes, recorded (and returned) in MiB."""
    return measured(name, round(value / MIB, 1), "MiB")


def _post_head(url: str, *headers: str) -> bytes:
    host, port = address(url)
    lines = [("Content-Type", "application/json"), *(tuple(h.split(": ", 1)) for h in headers)]
    return head_bytes("POST", "/v1/messages/batches", host, port, [(k, v) for k, v in lines], close=False)


def _answer_pending(sock: socket.socket) -> bool:
    """Whether the server has started answering (without blocking)."""
    sock.setblocking(False)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    except OSError:
        return True  # reset: the answer (or the close) is there to read
    finally:
        sock.settimeout(SOCKET_TIMEOUT)


@dataclass
class Streamed:
    status: int
    detail: str
    sent: int
    """Body bytes written before the answer came."""


def _stream_until_answered(server: Spawned, head: bytes, frame: bytes, budget: int) -> Streamed:
    """Write ``head`` then ``frame`` after ``frame`` until the server answers or ``budget`` bytes went."""
    with socket.create_connection(address(server.url), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(head)
        sent = 0
        while sent < budget and not _answer_pending(sock):
            try:
                sock.sendall(frame)
            except OSError:
                break  # the server answered and stopped reading
            sent += len(frame)
        response = read_response(sock, time.monotonic() + DEADLINE)
    body = response.json()
    assert response.media_type == "application/json", str(response)
    return Streamed(response.status, body["detail"], sent)


@pytest.fixture
def subprocess_server(cli_server: Spawned) -> Spawned:
    """The session's CLI server, its peak memory restarted from now."""
    if not cli_server.reset_peak():
        pytest.skip("cannot reset VmHWM of the server process")
    return cli_server


def test_a_declared_300_mib_body_is_refused_before_it_is_read(subprocess_server: Spawned) -> None:
    """``Content-Length: 300 MiB``: the 400 comes after the head, with at most a few MiB sent."""
    before = subprocess_server.rss()
    result = _stream_until_answered(
        subprocess_server,
        _post_head(subprocess_server.url, f"Content-Length: {300 * MIB}"),
        b"x" * MIB,
        8 * MIB,
    )
    assert result.status == 400
    assert result.detail == f"INVALID_ARGUMENT: Request too large ({300 * MIB} bytes). Max is {LIMIT} bytes."
    assert result.sent < 8 * MIB, "the server read on instead of answering"
    growth = _record("declared 300 MiB: RSS growth", subprocess_server.peak_rss() - before)
    assert growth < 16, f"the server grew by {growth} MiB for a body it refused unread"
    assert httpx.get(f"{subprocess_server.url}/v1/runs/", timeout=10).status_code == 200


@dataclass
class ChunkedRun:
    result: Streamed
    rss_before: int
    peak_growth: float
    settled_growth: float


@pytest.fixture(scope="module")
def chunked_300_mib(cli_server: Spawned) -> ChunkedRun:
    """A 300 MiB chunked body (1 MiB chunks, no ``Content-Length``), streamed until the server answers."""
    server = cli_server
    if not server.reset_peak():
        pytest.skip("cannot reset VmHWM of the server process")
    before = server.rss()
    frame = f"{MIB:x}\r\n".encode() + b"x" * MIB + b"\r\n"
    result = _stream_until_answered(
        server, _post_head(server.url, "Transfer-Encoding: chunked"), frame, 300 * len(frame)
    )
    peak = _record("chunked 300 MiB: peak RSS growth", server.peak_rss() - before)
    settled = _record("chunked 300 MiB: RSS growth once answered", server.settled_rss() - before)
    _record("chunked 300 MiB: body sent before the answer", result.sent)
    _record("chunked 300 MiB: RSS before", before)
    assert httpx.get(f"{server.url}/v1/runs/", timeout=10).status_code == 200
    return ChunkedRun(result, before, peak, settled)


def test_a_chunked_300_mib_body_is_refused_as_it_arrives(chunked_300_mib: ChunkedRun) -> None:
    result = chunked_300_mib.result
    assert result.status == 400
    prefix = "INVALID_ARGUMENT: Request too large ("
    assert result.detail.startswith(prefix)
    assert result.detail.endswith(f" bytes). Max is {LIMIT} bytes.")
    counted = int(result.detail.removeprefix(prefix).split(" ")[0])
    assert LIMIT < counted <= LIMIT + 2 * MIB
    # Loopback socket buffers hold a few MiB: the client learns of the answer a little after it was sent.
    assert result.sent < 280 * MIB, "the server did not answer before (most of) the body was sent"


def test_a_refused_chunked_body_leaves_no_memory_behind(chunked_300_mib: ChunkedRun) -> None:
    assert chunked_300_mib.settled_growth < 64


def test_memory_while_reading_a_chunked_body_is_bounded_by_the_limit(chunked_300_mib: ChunkedRun) -> None:
    """Whatever is sent, the server holds at most the 256 MiB limit (plus its own overhead)."""
    assert chunked_300_mib.peak_growth < 256 + 96


def test_a_chunked_body_over_the_limit_is_not_buffered(chunked_300_mib: ChunkedRun) -> None:
    assert chunked_300_mib.peak_growth < 100


def test_repeated_header_floods_do_not_accumulate(subprocess_server: Spawned) -> None:
    """32 MiB of headers, three times: answered each time, and the journal keeps no flood alive."""
    server = subprocess_server
    before = server.rss()
    block = b"".join(b"X-Flood-%d: %s\r\n" % (i, b"v" * 1000) for i in range(1024))
    after_each = []
    for _ in range(3):
        with socket.create_connection(address(server.url), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(b"GET /v1/runs/ HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n")
            for _ in range(32):
                sock.sendall(block)
            sock.sendall(b"\r\n")
            assert read_response(sock, time.monotonic() + DEADLINE).status == 200
        after_each.append(server.settled_rss())  # 3 s: on a busy machine 1 s was too short
    _record("header flood (3 x 32 MiB): peak RSS growth", server.peak_rss() - before)
    _record("header flood: RSS growth after the first", after_each[0] - before)
    growth = _record("header flood: RSS growth from the first to the third", after_each[2] - after_each[0])
    journal = httpx.get(f"{server.url}/_mock/requests", timeout=10).json()["requests"]
    kept = max(sum(len(k) + len(v) for k, v in entry["headers"].items()) for entry in journal)
    assert kept <= 64 * 1024 + 100, kept
    assert growth < 24


# -- slow and truncated bodies, against an in-process server ------------------------------------------


@pytest.fixture
def mock(server_factory: ServerFactory) -> Iterator[MockServer]:
    server = server_factory(mode="stateful", clock="manual", seed=9)
    server.reset()
    yield server
    server.reset()


def test_a_dribbled_body_completes_while_others_are_answered(mock: MockServer) -> None:
    """A valid create body, one byte every 20 ms for ~2 s; meanwhile requests are answered at once."""
    payload = json.dumps({"requests": [{"agent_id": AGENT, "input": "slowly " * 3}]}).encode()
    assert 90 <= len(payload) <= 110
    host, port = address(mock.url)
    head = head_bytes(
        "POST",
        "/v1/messages/batches",
        host,
        port,
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    responses: list[RawResponse] = []
    errors: list[BaseException] = []

    def dribble() -> None:
        try:
            with socket.create_connection((host, port), timeout=SOCKET_TIMEOUT) as sock:
                sock.sendall(head)
                for byte in payload:
                    sock.sendall(bytes([byte]))
                    time.sleep(0.02)
                responses.append(read_response(sock, time.monotonic() + DEADLINE))
        except Exception as exc:  # reported by the test below
            errors.append(exc)

    started = time.monotonic()
    writer = threading.Thread(target=dribble, name="dribble", daemon=True)
    writer.start()
    latencies = []
    with httpx.Client(base_url=mock.url, timeout=10) as http:
        while writer.is_alive() and time.monotonic() - started < 1.5:
            sent = time.monotonic()
            assert http.get("/v1/runs/").status_code == 200
            latencies.append(time.monotonic() - sent)
            time.sleep(0.05)
        writer.join(DEADLINE)
        assert not writer.is_alive(), "the dribbled request never completed"
        elapsed = time.monotonic() - started
        assert not errors, errors
        [response] = responses
        assert response.status == 200, str(response)
        created = response.json()
        assert http.get(f"/v1/messages/batches/{created['id']}").json()["status"] == "created"
    assert elapsed >= len(payload) * 0.02 * 0.9
    assert len(latencies) >= 10
    assert max(latencies) < 0.5, latencies


def test_a_truncated_body_ends_as_a_400_in_the_journal_when_the_client_leaves(mock: MockServer) -> None:
    """``Content-Length: 200`` and 20 bytes: the server waits without blocking anyone; when the
    client gives up, the request is journaled as a 400 (not an internal error) and nothing is stored."""
    host, port = address(mock.url)
    head = head_bytes(
        "POST",
        "/v1/messages/batches",
        host,
        port,
        [("Content-Type", "application/json"), ("Content-Length", "200")],
        close=False,
    )
    with httpx.Client(base_url=mock.url, timeout=10) as http:
        since = int(http.get("/_mock/requests", params={"limit": 1}).json()["last_seq"])
        with socket.create_connection((host, port), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(head + b'{"requests": [{"agent')
            time.sleep(0.2)
            assert not _answer_pending(sock)
            started = time.monotonic()
            assert http.get("/v1/runs/").status_code == 200
            assert time.monotonic() - started < 0.5
        end = time.monotonic() + DEADLINE
        while True:
            entries = http.get("/_mock/requests", params={"since": since, "operation": "create_batch"}).json()
            if entries["requests"]:
                break
            assert time.monotonic() < end, "the abandoned request was never journaled"
            time.sleep(0.02)
        [entry] = entries["requests"]
        assert entry["status"] == 400
        assert http.get("/v1/messages/batches").json() == []
