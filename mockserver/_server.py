"""Running the app under uvicorn: in the foreground (CLI) or in a background thread (tests).

The only module that imports uvicorn.
"""

from __future__ import annotations

import threading
from types import TracebackType

import uvicorn

from mockserver._app import create_app
from mockserver._config import Config


def _uvicorn_config(config: Config) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        access_log=config.access_log,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )


def serve(config: Config) -> None:
    """Serve in the foreground until interrupted."""
    uvicorn.Server(_uvicorn_config(config)).run()


class MockServer:
    """A mock server running in a background thread, for tests and embedding.

    ``port=0`` (the default here) picks a free port; :attr:`url` tells which.
    """

    def __init__(self, config: Config | None = None, **settings: object) -> None:
        base = config or Config(port=0)
        self.config = base.but(**settings) if settings else base
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not running; call start() first")
        return f"http://{self.config.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> MockServer:
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        server = uvicorn.Server(_uvicorn_config(self.config))
        thread = threading.Thread(target=server.run, name="letta-mockserver", daemon=True)
        thread.start()
        self._server, self._thread = server, thread
        thread.join(0)
        ready = threading.Event()
        while not ready.wait(0.01):
            if server.started:
                ready.set()
            elif not thread.is_alive():
                raise RuntimeError("letta-mockserver failed to start; see the log above")
            timeout -= 0.01
            if timeout <= 0:
                self.stop()
                raise TimeoutError("letta-mockserver did not start in time")
        sockets = [sock for srv in server.servers for sock in srv.sockets]
        self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None
        self.port = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
