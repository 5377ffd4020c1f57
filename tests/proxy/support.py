"""What the proxy tests share: a proxy in front of a given upstream, and a deliberately broken upstream.

The broken upstream is a raw asyncio HTTP/1.1 server (no framework), so that it can do what no
well-behaved server does: answer with the wrong types, drop the connection before answering, cut a
chunked stream in the middle of an event, or answer too slowly. It counts every request it gets.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mockserver import MockServer

RUN_ID = "run-00000000-0000-4000-8000-00000000000a"
CANCELLED_RUN = "run-00000000-0000-4000-8000-00000000000c"
BATCH_ID = "job-00000000-0000-4000-8000-00000000000b"
JOB_ID = "job-00000000-0000-4000-8000-00000000000d"
SLOW_RUN = "run-00000000-0000-4000-8000-00000000000e"
STALE_RUN = "run-00000000-0000-4000-8000-00000000000f"
"""Answered on a connection kept alive, which then drops the next request sent on it unanswered (as
Letta's server closes a connection after a 500 while a client may already be sending on it)."""


@contextmanager
def proxy_to(upstream: str, **settings: Any) -> Iterator[MockServer]:
    """``letta-mockserver proxy --upstream upstream`` on 127.0.0.1, a free port, while the block runs."""
    with MockServer(upstream=upstream, quiet=True, **settings) as proxy:
        yield proxy


Writer = asyncio.StreamWriter
Handler = Callable[[Writer], Awaitable[None]]


async def _answer(
    writer: Writer, status: int, body: Any, content_type: str = "application/json", *, close: bool = True
) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(payload)}\r\n"
        f"x-upstream: broken\r\n{'connection: close' + chr(13) + chr(10) if close else ''}\r\n"
    )
    writer.write(head.encode() + payload)
    await writer.drain()


def _event(payload: Any) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _stream_head(writer: Writer) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    await writer.drain()


ASSISTANT = {
    "message_type": "assistant_message",
    "id": "message-00000000-0000-4000-8000-000000000001",
    "date": "2026-01-01T00:00:00Z",
    "content": "hi",
    "run_id": RUN_ID,
}


class BrokenUpstream:
    """Answers each route it knows in one broken way; ``requests`` lists every request line it got."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.go = threading.Event()
        """Set by a test once the first event of the slow stream reached it through the proxy."""
        self.went: bool | None = None
        """Whether ``go`` was set before the slow stream went on (None: it has not ended yet)."""
        self.headers: list[dict[str, str]] = []
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        if int(headers.get("content-length", "0")):
            await reader.readexactly(int(headers["content-length"]))
        self.requests.append(f"{method} {target}")
        self.headers.append(headers)
        path, _, query = target.partition("?")
        try:
            await self._route(writer, method, path, query)
            if path == f"/v1/runs/{STALE_RUN}":
                next_head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(f"dropped: {next_head.split(b' ', 2)[1].decode('latin-1')}")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _route(self, writer: Writer, method: str, path: str, query: str) -> None:
        if method == "GET" and path == f"/v1/messages/batches/{BATCH_ID}":
            # Wrong types: a number for the id, an unknown status, a string for the metadata.
            await _answer(writer, 200, {"id": 5, "status": "weird", "metadata": "x", "created_at": 1})
        elif (method, path) in (("DELETE", f"/v1/runs/{RUN_ID}"), ("PATCH", f"/v1/jobs/{JOB_ID}/cancel")):
            await _answer(writer, 500, {"detail": "An unknown error occurred"})
        elif method == "GET" and path == f"/v1/messages/batches/{BATCH_ID}/messages":
            await _answer(writer, 500 if "after=" in query else 200, {"messages": []})
        elif method == "GET" and path == f"/v1/jobs/{JOB_ID}":
            return  # the connection closes without an answer
        elif method == "GET" and path == f"/v1/runs/{STALE_RUN}":
            await _answer(writer, 200, {"id": STALE_RUN}, close=False)
        elif method == "GET" and path == f"/v1/runs/{SLOW_RUN}":
            await asyncio.sleep(5)
            await _answer(writer, 200, {})
        elif method == "POST" and path == f"/v1/runs/{RUN_ID}/stream":
            await _stream_head(writer)
            writer.write(_chunk(_event(ASSISTANT)))
            writer.write(_chunk(_event({**ASSISTANT, "content": 7})))  # a number where text belongs
            writer.write(_chunk(b'data: {"message_type": "assistant_mes'))  # cut mid-event
            await writer.drain()
        elif method == "POST" and path == f"/v1/runs/{SLOW_RUN}/stream":
            await _stream_head(writer)
            writer.write(_chunk(_event(ASSISTANT)))
            await writer.drain()
            # Goes on once the client has the first event, or after 10 s: a proxy that buffered the
            # whole stream would hand it over only then, and `went` would be False.
            self.went = await asyncio.get_running_loop().run_in_executor(None, self.go.wait, 10)
            writer.write(_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
            await writer.drain()
        elif method == "POST" and path == f"/v1/runs/{CANCELLED_RUN}/stream":
            await _stream_head(writer)
            writer.write(_chunk(_event({"message_type": "stop_reason", "stop_reason": "cancelled"})))
            writer.write(b"0\r\n\r\n")  # a clean end, without [DONE]
            await writer.drain()
        elif method == "POST" and path == "/v1/messages/batches":
            await _answer(writer, 422, {"detail": "[{'loc': ('body', 'requests')}]", "trace_id": ""})
        else:
            await _answer(writer, 404, {"detail": f"no route {method} {path}"})

    def start(self) -> BrokenUpstream:
        ready = threading.Event()

        async def main() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            port = self._server.sockets[0].getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            async with self._server:
                await self._server.serve_forever()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(main())
            except asyncio.CancelledError:
                pass
            finally:
                # Handlers still waiting (the slow answer) end here, while their loop still runs.
                left = asyncio.all_tasks(self._loop)
                for task in left:
                    task.cancel()
                if left:
                    self._loop.run_until_complete(asyncio.wait(left))
                self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name="broken-upstream")
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> BrokenUpstream:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
