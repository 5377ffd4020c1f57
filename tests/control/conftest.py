"""Fixtures of the control-API tests: the session's manual-clock stateful server, reset around each test.

The server is the one ``server_factory`` starts for ``mode="stateful", clock="manual"``, which other
test directories share; overrides and faults would leak into their tests, so it is reset (through
``MockServer.reset``, which also drops overrides) after each test as well as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from letta_client import Letta

from mockserver import MockServer

ServerFactory = Callable[..., MockServer]


@pytest.fixture
def server(server_factory: ServerFactory) -> Iterator[MockServer]:
    started = server_factory(mode="stateful", clock="manual")
    started.reset()
    yield started
    started.reset()


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    """A plain HTTP client of :func:`server`, for the wire-level view of both APIs."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def sdk(server: MockServer) -> Iterator[Letta]:
    """The real letta-client 1.7.0, with its default retries (2)."""
    with server.client() as client:
        yield client
