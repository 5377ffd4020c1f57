"""Shared fixtures: real uvicorn servers on 127.0.0.1, port 0, one per configuration per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver import Config, MockServer

ServerFactory = Callable[..., MockServer]


@pytest.fixture(scope="session")
def server_factory() -> Iterator[ServerFactory]:
    """Start servers with the given settings; each distinct configuration is started once."""
    running: dict[Config, MockServer] = {}

    def start(**settings: Any) -> MockServer:
        config = Config(port=0, **settings)
        if config not in running:
            running[config] = MockServer(config).start()
        return running[config]

    yield start
    for server in running.values():
        server.stop()


@pytest.fixture(scope="session")
def stateless_server(server_factory: ServerFactory) -> MockServer:
    """Stateless mode, strict validation, seed 0."""
    return server_factory(mode="stateless", validation="strict")


@pytest.fixture(scope="session")
def lenient_server(server_factory: ServerFactory) -> MockServer:
    """Stateless mode with lenient validation: what SDK-generated test suites need."""
    return server_factory(mode="stateless", validation="lenient")


@pytest.fixture
def http(stateless_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stateless_server.url, timeout=10) as client:
        yield client
