"""What the callback tests share: a real HTTP receiver, and helpers driving the mock.

The receiver listens on 127.0.0.1 and a port of its own.
Each path answers with a script of :class:`Reply` steps (the last one repeats): a status,
after a delay, slowly, with a huge body, or by resetting the connection. Every request is
recorded (method, path, headers, raw body, arrival and answer times) before it is answered.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

DEADLINE = 10.0
"""Seconds any wait of these tests may take before it fails."""


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    """Seconds to wait before answering (cut short when the receiver closes)."""
    body: bytes = b'{"ok":true}'
    chunks: int = 1
    """Send the body in this many pieces, ``pause`` seconds apart: a slow answer."""
    pause: float = 0.0
    reset: bool = False
    """Reset the connection instead of answering."""


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    arrived: float
    """``time.monotonic()`` when the whole request had been read."""
    answered: float | None = None
    """``time.monotonic()`` when the answer had been written, if it was."""

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[0] if len(found) == 1 else None

    def json(self) -> Any:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = Received(
            self.command, self.path, list(self.headers.items()), body, arrived=time.monotonic()
        )
        reply = self.server.owner.record(received)
        self.close_connection = True
        if reply.delay and self.server.owner.stopping.wait(reply.delay):
            return  # the receiver is closing: answer nothing
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            size = -(-len(reply.body) // reply.chunks) if reply.body else 0
            for start in range(0, len(reply.body), max(size, 1)):
                if start and reply.pause and self.server.owner.stopping.wait(reply.pause):
                    return
                self.wfile.write(reply.body[start : start + size])
                self.wfile.flush()
            received.answered = time.monotonic()
        except OSError:
            pass  # the client gave up (a timeout): nothing to answer to


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = False
    block_on_close = True

    def __init__(self, owner: Receiver) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request is part of the tests; nothing to report."""


class Receiver:
    """Start with ``with Receiver() as receiver``; :meth:`url` gives the address of a path."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Condition()
        self._requests: list[Received] = []
        self._scripts: dict[str, list[Reply]] = {}
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="callback-receiver"
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/callback") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str, *replies: Reply) -> str:
        """Answer requests to ``path`` with ``replies`` in turn (the last one repeats); its URL."""
        with self._lock:
            self._scripts[path] = list(replies) or [Reply()]
        return self.url(path)

    def record(self, received: Received) -> Reply:
        with self._lock:
            self._requests.append(received)
            script = self._scripts.get(received.path.split("?")[0], [Reply()])
            reply = script.pop(0) if len(script) > 1 else script[0]
            self._lock.notify_all()
        return reply

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, deadline: float = DEADLINE) -> list[Received]:
        """Wait until at least ``count`` requests arrived; all of them."""
        end = time.monotonic() + deadline
        with self._lock:
            while len(self._requests) < count:
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the receiver got {len(self._requests)} requests in {deadline} s, not {count}"
                    )
                self._lock.wait(left)
            return list(self._requests)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join(DEADLINE)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def journal(client: httpx.Client) -> dict[str, Any]:
    reply = client.get("/_mock/callbacks")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def wait_journal(client: httpx.Client, count: int, deadline: float = DEADLINE) -> list[dict[str, Any]]:
    """Wait until the mock has journaled ``count`` attempts and has none in flight; the entries."""
    end = time.monotonic() + deadline
    while True:
        body = journal(client)
        if len(body["callbacks"]) >= count and body["pending"] == 0:
            entries: list[dict[str, Any]] = body["callbacks"]
            return entries
        if time.monotonic() > end:
            raise AssertionError(
                f"after {deadline} s the mock journaled {len(body['callbacks'])} callbacks "
                f"(pending {body['pending']}), not {count}"
            )
        time.sleep(0.02)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


AGENT = "agent-00000000-0000-4000-8000-000000000001"


def create_batch(client: httpx.Client, callback_url: str | None = None, *, agents: int = 1) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "requests": [
            {"agent_id": AGENT, "messages": [{"role": "user", "content": f"hello {index}"}]}
            for index in range(agents)
        ]
    }
    if callback_url is not None:
        payload["callback_url"] = callback_url
    reply = client.post("/v1/messages/batches", json=payload)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def seed_run(client: httpx.Client, **seed: Any) -> dict[str, Any]:
    reply = client.post("/_mock/runs", json={"agent_id": AGENT, **seed})
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


def advance(client: httpx.Client, seconds: float = 3.0, *, wait: bool = True) -> dict[str, Any]:
    """Move the manual clock past the default job duration (2 s); the clock's state.

    ``wait=False`` answers without waiting for the callbacks the advance triggers.
    """
    reply = client.post("/_mock/clock/advance", json={"seconds": seconds, "wait_for_callbacks": wait})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    reply = client.get(path, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def compact(value: Any) -> bytes:
    """JSON as httpx sends it: compact, not ASCII-escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
