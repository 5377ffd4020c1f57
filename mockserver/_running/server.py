"""Running the app under uvicorn: in the foreground (CLI) or in a background thread (tests).

The only module that imports uvicorn. The listening socket is bound here, before uvicorn
starts, so the real port is known at once even when port 0 was asked for.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import socket
import sys
import threading
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from mockserver._config import Config
from mockserver._control.requestlog import attach_console, startup_lines
from mockserver._running.controls import MockControls
from mockserver._simulation import gc_freeze as _gc_freeze
from mockserver._web.app import Parts, create_app
from mockserver._web.endpoints import is_loopback
from mockserver._web.proxy import create_proxy_app


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)  # connections queue from now on, even before uvicorn accepts them
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Open run streams follow their runs forever; end them first, so that the shutdown does not
        # wait out the graceful timeout and then cancel them (an ERROR and a traceback on stderr).
        app: Any = self.config.app
        stateful = app.state.parts.stateful
        if stateful is not None:
            stateful.end_streams()
        await super().shutdown(sockets)


def _uvicorn_server(config: Config) -> uvicorn.Server:
    server = _Server(
        uvicorn.Config(
            create_proxy_app(config) if config.upstream is not None else create_app(config),
            log_level=config.log_level,
            access_log=config.access_log,
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    )
    if config.access_log:
        # uvicorn logs each access at INFO on a logger it sets to --log-level (warning by default),
        # so the access log asked for would print nothing without --log-level info.
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    return server


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(config: Config) -> int:
    """Serve in the foreground until interrupted; the exit status of the CLI.

    Prints where it listens (and, unless ``config.quiet``, the useful URLs and one line per request).
    """
    if not config.quiet:
        attach_console()
    _gc_freeze.arm()  # a server process of its own: see the seam's measurement (before `--state` loads)
    try:
        server = _uvicorn_server(config)
    except (ValueError, OSError) as exc:
        print(f"letta-mockserver: cannot start: {exc}", file=sys.stderr)
        return 2
    _gc_freeze.freeze()  # what start-up built
    try:
        sock = bind(config.host, config.port)
    except OSError as exc:
        hint = ""
        if exc.errno == errno.EADDRINUSE:
            hint = "; another process has this port: choose another with --port, or --port 0 for any free one"
        print(
            f"letta-mockserver: cannot listen on {config.host}:{config.port}: {exc.strerror}{hint}",
            file=sys.stderr,
        )
        return 1
    url = url_of(sock)
    # Tools and tests read the first line for the URL: it stays first and keeps its shape.
    what = f"proxy to {config.upstream}" if config.upstream is not None else f"mode={config.mode}"
    print(f"letta-mockserver listening on {url} ({what}, validation={config.validation})")
    if not config.quiet:
        lines = startup_lines(url, config.control_token)
        if config.upstream is not None:  # the proxy serves no dashboard and no document of its own
            lines = [line for line in lines if "/_mock/ui" not in line and "/openapi.json" not in line]
        print("\n".join(lines))
    sys.stdout.flush()
    if not is_loopback(config.host) and config.control_token is None:
        print(
            f"letta-mockserver: warning: listening on {config.host} without --control-token; the control API"
            " (/_mock) still answers loopback callers only, and the Letta API is open to the network",
            file=sys.stderr,
            flush=True,
        )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal; a
    # requested stop is a clean exit, not a crash.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


class MockServer(MockControls):
    """A mock server running in a background thread, for tests and embedding.

    ``MockServer(config=None, **settings)``: a ``Config``, or its fields as keywords (``mode``,
    ``clock``, ``seed``, ...). ``port=0`` (the default here) picks a free port; :attr:`url` tells
    which once :meth:`start` has run (or the ``with`` block has begun). The control methods
    (``reset``, ``advance``, ``seed_run``, ``add_fault``, ``override``, ...) steer it; the
    ``letta_mock`` fixture is one of these. docs/python-api.md is the reference.
    """

    def __init__(self, config: Config | None = None, **settings: object) -> None:
        base = config or Config(port=0)
        self.config = base.but(**settings) if settings else base
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._client: httpx.Client | None = None
        self._app: Any = None

    @property
    def url(self) -> str:  # type: ignore[override]
        """``http://127.0.0.1:PORT``: where the server listens. ``RuntimeError`` before :meth:`start`."""
        if self._url is None:
            raise RuntimeError("the server is not running; call start() first")
        return self._url

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=30, headers=self._headers())
        return self._client

    def _parts(self) -> Parts:
        if self._app is None:
            raise RuntimeError("the server is not running; call start() first")
        parts: Parts = self._app.state.parts
        return parts

    def start(self, timeout: float = 10.0) -> MockServer:
        """Bind the socket, serve in a daemon thread, and return once it answers (``self``).

        ``RuntimeError`` if it is already running or did not start within ``timeout`` seconds;
        ``OSError`` if the port cannot be bound.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        server = _uvicorn_server(self.config)
        self._app = server.config.app
        sock = bind(self.config.host, self.config.port)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="letta-mockserver", daemon=True
        )
        thread.start()
        self._server, self._thread, self._url = server, thread, url_of(sock)
        started = threading.Event()
        for _ in range(int(timeout / 0.005)):
            if server.started or not thread.is_alive():
                started.set()
                break
            started.wait(0.005)
        if not server.started:
            self.stop()
            raise RuntimeError("letta-mockserver did not start; see the log above")
        return self

    def stop(self) -> None:
        """Shut down gracefully (callbacks in flight, streams, the clock's ticker) and join the thread."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None
        self._url = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
