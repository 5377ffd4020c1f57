"""Fixtures of the callback tests: a real receiver, and a manual-clock stateful mock to drive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver import MockServer

from .support import Receiver, wait_journal

ServerFactory = Callable[..., MockServer]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


def settled(client: httpx.Client) -> httpx.Client:
    """``client``'s mock, with no callback in flight and a fresh state and journal."""
    wait_journal(client, 0)
    reply = client.post("/_mock/reset")
    assert reply.status_code == 200, reply.text
    return client


@pytest.fixture
def manual_server(server_factory: ServerFactory) -> MockServer:
    """Stateful, manual clock, default callback settings (shared by the session)."""
    return server_factory(mode="stateful", clock="manual")


@pytest.fixture
def mock(manual_server: MockServer) -> Iterator[httpx.Client]:
    """A client of the shared manual-clock server, reset before the test and drained after it."""
    with httpx.Client(base_url=manual_server.url, timeout=10) as client:
        yield settled(client)
        wait_journal(client, 0)


@pytest.fixture
def dedicated(server_factory: ServerFactory) -> Iterator[Callable[..., httpx.Client]]:
    """A client of a manual-clock server with the given callback settings, reset for this test."""
    clients: list[httpx.Client] = []

    def make(**settings: Any) -> httpx.Client:
        server = server_factory(mode="stateful", clock="manual", **settings)
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        return settled(client)

    yield make
    for client in clients:
        wait_journal(client, 0)
        client.close()
