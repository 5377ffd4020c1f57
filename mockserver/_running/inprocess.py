"""The mock without a socket: the same ASGI app behind httpx transports, in this process.

Clients go through :class:`SyncASGITransport`, which runs the app on an event loop of its
own thread (httpx's ``ASGITransport`` is async only, and one loop keeps the simulation
single-threaded); async clients reach the same loop through a small bridge. The app's
lifespan runs on that loop too, so closing shuts it down as uvicorn would (callback workers,
the clock's ticker) before the loop stops. Responses are read whole, so a run stream that
waits for the manual clock cannot be consumed live here: use the socket server for that.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from mockserver._config import Config
from mockserver._running.controls import MockControls
from mockserver._web.app import Parts, create_app

if TYPE_CHECKING:
    from letta_client import AsyncLetta, Letta

BASE_URL = "http://letta-mock.local"
"""The host in-process URLs name; only this module's transports can reach it."""
SHUTDOWN_TIMEOUT = 30.0
"""Seconds closing may wait for the app's shutdown (callbacks in flight get their own timeout + 1 s)."""

T = TypeVar("T")
_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class _Lifespan:
    """The ASGI lifespan protocol, driven by hand: what uvicorn does around serving."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._task = asyncio.get_running_loop().create_task(
            self._app(scope, self._inbox.get, self._outbox.put), name="letta-mock-asgi-lifespan"
        )
        await self._exchange("lifespan.startup")

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._exchange("lifespan.shutdown")
        await self._task

    async def _exchange(self, event: str) -> None:
        assert self._task is not None
        await self._inbox.put({"type": event})
        answer = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({answer, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():
            answer.cancel()
            self._task.result()  # raises what ended the lifespan
            raise RuntimeError(f"the app's lifespan ended without answering {event}")
        message = answer.result()
        if message["type"] != f"{event}.complete":
            raise RuntimeError(f"{event} failed: {message.get('message', message['type'])}")


class SyncASGITransport(httpx.BaseTransport):
    """Runs ``app`` on an event loop of its own thread, started (lifespan) at once.

    Closing it closes the app: the lifespan's shutdown, then every task still on the loop is
    cancelled and awaited, then the loop stops. Nothing is left pending for the garbage collector.
    """

    def __init__(self, app: Any, *, timeout: float = 60.0) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._timeout = timeout
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="letta-mock-asgi", daemon=True)
        self._thread.start()
        self._lifespan = _Lifespan(app)
        try:
            self.run(self._lifespan.startup(), timeout)
        except BaseException:
            self.close()
            raise

    @property
    def closed(self) -> bool:
        return self._closed

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the app's loop and wait for its result (at most ``timeout`` seconds)."""
        if self._closed:
            coroutine.close()
            raise RuntimeError("the in-process mock is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise

    def _submit(self, request: httpx.Request, content: bytes) -> Future[_Answer]:
        if self._closed:
            raise RuntimeError("the in-process mock is closed")

        async def call() -> _Answer:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._inner.handle_async_request(inner)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    def _limit(self, request: httpx.Request) -> float | None:
        # The client's own read timeout (an SDK's `timeout=`) bounds the whole answer here.
        timeouts = request.extensions.get("timeout")
        if isinstance(timeouts, dict) and "read" in timeouts:
            read: float | None = timeouts["read"]
            return read
        return self._timeout

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        limit = self._limit(request)
        future = self._submit(request, request.read())
        try:
            status, headers, body = future.result(limit)
        except FutureTimeout:
            raise _timed_out(future, request, limit) from None
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        """The same, for an async client: the app still runs on this transport's own loop."""
        limit = self._limit(request)
        content = await request.aread()
        future = self._submit(request, content)
        try:
            status, headers, body = await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except TimeoutError:
            raise _timed_out(future, request, limit) from None
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _shutdown(self) -> None:
        try:
            await self._lifespan.shutdown()
        finally:
            # Requests abandoned by a timed-out client, tasks an override started: none may outlive the loop.
            current = asyncio.current_task()
            left = [task for task in asyncio.all_tasks() if task is not current]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            await self._loop.shutdown_asyncgens()

    def close(self) -> None:
        """Shut the app down, cancel and await every task left on its loop, stop the loop. Idempotent."""
        if self._closed:
            return
        try:
            if self._loop.is_running():
                self.run(self._shutdown(), SHUTDOWN_TIMEOUT)
        finally:
            self._closed = True
            if self._loop.is_running():
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(5)
            if not self._loop.is_running():
                self._loop.close()


def _timed_out(future: Future[Any], request: httpx.Request, limit: float | None) -> httpx.ReadTimeout:
    """Give up on an answer: the app's work is cancelled, the client gets httpx's own timeout error."""
    future.cancel()
    return httpx.ReadTimeout(f"the in-process mock did not answer within {limit} s", request=request)


class _Borrowed(httpx.BaseTransport):
    """The shared transport, lent to a client: closing the client must not stop the app's loop."""

    def __init__(self, sync: SyncASGITransport) -> None:
        self._sync = sync

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._sync.handle_request(request)


class _AsyncBridge(httpx.AsyncBaseTransport):
    """The shared transport for async clients; closing one leaves the app running."""

    def __init__(self, sync: SyncASGITransport) -> None:
        self._sync = sync

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._sync.handle_async(request)


class InProcessMock(MockControls):
    """A mock served in-process: no port, no thread per request, the same behaviour.

    What the ``letta_mock_asgi`` fixture gives. :attr:`url` names a host only this object's
    transports reach: hand :attr:`transport` (or a client from :meth:`http_client`) to code
    that builds its own client. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, config: Config | None = None, **settings: object) -> None:
        base = config or Config(port=0)
        self.config = base.but(**settings) if settings else base
        self.app = create_app(self.config)
        self.url = BASE_URL
        self._transport = SyncASGITransport(self.app)
        self._client = httpx.Client(
            base_url=BASE_URL, transport=_Borrowed(self._transport), timeout=60, headers=self._headers()
        )

    def _http(self) -> httpx.Client:
        return self._client

    def _parts(self) -> Parts:
        parts: Parts = self.app.state.parts
        return parts

    @property
    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport to this app: ``httpx.Client(transport=mock.transport, base_url=mock.url)``.

        Closing a client that uses it leaves the mock running.
        """
        return _Borrowed(self._transport)

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport to this app, for ``httpx.AsyncClient(transport=...)``."""
        return _AsyncBridge(self._transport)

    def client(self, **options: Any) -> Letta:
        """A ``letta_client.Letta`` wired to this app (see :meth:`MockControls.client` for the defaults)."""
        options.setdefault("http_client", self.http_client())
        return super().client(**options)

    def async_client(self, **options: Any) -> AsyncLetta:
        """A ``letta_client.AsyncLetta`` wired to this app (the defaults of :meth:`client`)."""
        options.setdefault("http_client", self.async_http_client())
        return super().async_client(**options)

    def close(self) -> None:
        """Shut the app down (callback deliveries, the clock's ticker, open streams) and stop its loop."""
        stateful = self._parts().stateful
        if stateful is not None and not self._transport.closed:

            async def end_streams() -> None:
                stateful.end_streams()

            self._transport.run(end_streams(), SHUTDOWN_TIMEOUT)
        self._client.close()
        self._transport.close()

    def __enter__(self) -> InProcessMock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
