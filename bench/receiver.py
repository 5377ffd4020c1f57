"""A callback receiver: a raw asyncio HTTP/1.1 server answering every POST with 200.

It runs on its own event loop in a thread of the bench process, keeps connections alive
(as httpx expects), and records the ``job_id``/``run_id`` of every payload it receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import Counter

_OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
_BAD = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class Receiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.ids: Counter[str] = Counter()
        self.received = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-callback-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/callback"

    def start(self) -> Receiver:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the callback receiver did not start")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        handlers = [task for task in asyncio.all_tasks() if task is not current]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def clear(self) -> None:
        self.ids.clear()
        self.received = 0
        self.first_at = self.last_at = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, self.host, 0, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                close = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    key = name.strip().lower()
                    if key == b"content-length":
                        length = int(value.strip())
                    elif key == b"connection" and value.strip().lower() == b"close":
                        close = True
                    elif key == b"transfer-encoding":
                        writer.write(_BAD)  # httpx sends JSON with a Content-Length
                        return
                body = await reader.readexactly(length) if length else b""
                self._record(body)
                writer.write(_OK)
                await writer.drain()
                if close:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _record(self, body: bytes) -> None:
        now = time.perf_counter()
        try:
            payload = json.loads(body)
            key = str(payload.get("job_id") or payload.get("run_id"))
        except (ValueError, AttributeError):
            key = "<not json>"
        self.ids[key] += 1
        self.received += 1
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
