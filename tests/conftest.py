"""Shared fixtures: real uvicorn servers on 127.0.0.1, port 0, one per configuration per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from addresses import non_loopback_address

from mockserver import Config, MockServer

ServerFactory = Callable[..., MockServer]

# tests/sdk_latest needs the newest letta-client, which cannot share the virtualenv with 1.7.0:
# tests/test_sdk_latest.py runs it in a subprocess with LETTA_MOCK_INNER_SDK_RUN=1 and the newest
# SDK first on PYTHONPATH. Collected directly, it would test 1.7.0 and fail on the version check.
collect_ignore: list[str] = [] if os.environ.get("LETTA_MOCK_INNER_SDK_RUN") == "1" else ["sdk_latest"]


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


@pytest.fixture(scope="module")
def outside() -> str:
    """An address of this machine other than loopback, to bind a mock to and call it "from elsewhere"."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to bind the mock to")
    return address
