"""The mock without a socket: the same ASGI app behind httpx transports, in this process.

Clients go through :class:`SyncASGITransport`, which runs the app on an event loop of its
own thread (httpx's ``ASGITransport`` is async only, and one loop keeps the simulation
single-threaded); async clients reach the same loop through a small bridge. Responses are
read whole, so a run stream that waits for the manual clock cannot be consumed live here:
use the socket server for that.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import httpx

from mockserver._app import Parts, create_app
from mockserver._config import Config
from mockserver._handle import MockControls

if TYPE_CHECKING:
    from letta_client import AsyncLetta, Letta

BASE_URL = "http://letta-mock.local"


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any, *, timeout: float = 60.0) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="letta-mock-asgi", daemon=True)
        self._thread.start()

    def _submit(
        self, request: httpx.Request, content: bytes
    ) -> Future[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._inner.handle_async_request(inner)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, body = self._submit(request, request.read()).result(self._timeout)
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        """The same, for an async client: the app still runs on this transport's own loop."""
        content = await request.aread()
        future = asyncio.wrap_future(self._submit(request, content))
        status, headers, body = await asyncio.wait_for(future, self._timeout)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop.close()


class _Borrowed(httpx.BaseTransport):
    """The shared transport, lent to an SDK client: closing the client must not stop the app's loop."""

    def __init__(self, sync: SyncASGITransport) -> None:
        self._sync = sync

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._sync.handle_request(request)


class _AsyncBridge(httpx.AsyncBaseTransport):
    def __init__(self, sync: SyncASGITransport) -> None:
        self._sync = sync

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._sync.handle_async(request)


class InProcessMock(MockControls):
    """A mock served in-process: no port, no thread per request, the same behaviour."""

    def __init__(self, config: Config | None = None, **settings: object) -> None:
        base = config or Config(port=0)
        self.config = base.but(**settings) if settings else base
        self.app = create_app(self.config)
        self.url = BASE_URL
        self._transport = SyncASGITransport(self.app)
        self._client = httpx.Client(
            base_url=BASE_URL, transport=self._transport, timeout=60, headers=self._headers()
        )

    def _http(self) -> httpx.Client:
        return self._client

    def _parts(self) -> Parts:
        parts: Parts = self.app.state.parts
        return parts

    def client(self, **options: Any) -> Letta:
        from letta_client import Letta

        options.setdefault("api_key", self.api_key)
        options.setdefault(
            "http_client", httpx.Client(transport=_Borrowed(self._transport), base_url=BASE_URL)
        )
        return Letta(base_url=BASE_URL, **options)

    def async_client(self, **options: Any) -> AsyncLetta:
        from letta_client import AsyncLetta

        options.setdefault("api_key", self.api_key)
        options.setdefault("http_client", httpx.AsyncClient(transport=_AsyncBridge(self._transport)))
        return AsyncLetta(base_url=BASE_URL, **options)

    def close(self) -> None:
        self._client.close()
        self._transport.close()
