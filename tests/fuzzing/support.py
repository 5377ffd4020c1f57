"""What the fuzz command's tests share: a foreign (non-mock) server to fuzz, served on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from mockserver._running.server import bind, url_of


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """``app`` under uvicorn on 127.0.0.1, a free port, in a thread; its URL while the block runs."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    sock = bind("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)
