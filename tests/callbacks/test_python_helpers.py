"""``MockServer.advance(..., wait_for_callbacks=)`` and ``wait_for_callbacks()``, against a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver import MockServer

from .conftest import settled
from .support import AGENT, Receiver, Reply, closed_port, wait_journal

REQUEST: Any = {"agent_id": AGENT, "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture
def server(manual_server: MockServer) -> Iterator[MockServer]:
    with httpx.Client(base_url=manual_server.url, timeout=10) as http:
        settled(http)
        yield manual_server
        wait_journal(http, 0)


def test_wait_for_callbacks_returns_the_attempts_once_enough_arrived(
    server: MockServer, receiver: Receiver
) -> None:
    url = receiver.on("/hook", Reply(delay=0.2))
    with server.client() as client:
        first = client.batches.create(requests=[REQUEST], callback_url=url)
        second = client.batches.create(requests=[REQUEST], callback_url=url)
    server.advance(3)

    attempts = server.wait_for_callbacks(2)

    assert sorted(attempt["id"] for attempt in attempts) == sorted([first.id, second.id])
    assert {attempt["status_code"] for attempt in attempts} == {200}
    assert len(receiver.requests) == 2


def test_a_failed_delivery_counts_as_an_attempt(server: MockServer) -> None:
    seeded = server.seed_run(agent_id=AGENT, callback_url=f"http://127.0.0.1:{closed_port()}/hook")
    server.advance(60)

    [attempt] = server.wait_for_callbacks()

    assert attempt["id"] == seeded["id"]
    assert attempt["status_code"] is None
    assert "Failed to dispatch callback" in attempt["error"]


def test_too_few_attempts_time_out_naming_how_many_arrived(server: MockServer, receiver: Receiver) -> None:
    with server.client() as client:
        client.batches.create(requests=[REQUEST], callback_url=receiver.on("/hook"))
    server.advance(3)
    server.wait_for_callbacks(1)

    with pytest.raises(TimeoutError, match=r"^1 of 2 callback attempt\(s\) journaled after 0\.5 s \(0 still"):
        server.wait_for_callbacks(2, timeout=0.5)


def test_nothing_asked_nothing_awaited(server: MockServer) -> None:
    assert server.wait_for_callbacks(0, timeout=0) == []


@pytest.mark.parametrize(
    ("n", "timeout", "message"),
    [
        (-1, 1.0, "n must be an integer >= 0, not -1"),
        (1.5, 1.0, "n must be an integer >= 0, not 1.5"),
        (1, -2, "timeout must be a number >= 0, not -2"),
        (1, "soon", "timeout must be a number >= 0, not 'soon'"),
    ],
)
def test_bad_arguments_are_value_errors(server: MockServer, n: object, timeout: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        server.wait_for_callbacks(n, timeout=timeout)  # type: ignore[arg-type]


def test_advance_by_default_does_not_send_the_field(server: MockServer) -> None:
    # A server that does not know `wait_for_callbacks` (its schema forbids unknown fields) takes this.
    assert server.advance(1)["now"] == server.clock()["now"]


def test_advance_can_skip_waiting_for_callbacks(server: MockServer, receiver: Receiver) -> None:
    url = receiver.on("/hook")
    with server.client() as client:
        created = client.batches.create(requests=[REQUEST], callback_url=url)
    try:
        moved = server.advance(3, wait_for_callbacks=False)
    except ValueError as refused:
        if "wait_for_callbacks" in str(refused) and "422" in str(refused):
            pytest.skip("this server's POST /_mock/clock/advance does not take wait_for_callbacks yet")
        raise

    assert moved["pending_changes"] == 0
    with server.client() as client:
        assert client.batches.retrieve(created.id).status == "completed"
    [attempt] = server.wait_for_callbacks(1)
    assert attempt["id"] == created.id
