"""Receivers that fail, hang, dawdle or flood: the outcome is recorded and the mock stays responsive."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from .support import (
    Receiver,
    Reply,
    advance,
    closed_port,
    create_batch,
    get,
    journal,
    seed_run,
    wait_journal,
)

Dedicated = Callable[..., httpx.Client]


def _timed_gets(client: httpx.Client, count: int) -> list[float]:
    """Latencies of ``count`` ``GET /v1/runs/``, each answered 200."""
    latencies = []
    for _ in range(count):
        started = time.monotonic()
        reply = client.get("/v1/runs/")
        latencies.append(time.monotonic() - started)
        assert reply.status_code == 200, reply.text
    return latencies


@pytest.mark.parametrize("status", [500, 404, 302, 204])
def test_any_http_answer_is_recorded_as_its_status(
    mock: httpx.Client, receiver: Receiver, status: int
) -> None:
    url = receiver.on("/answer", Reply(status=status, body=b"" if status == 204 else b"nope"))
    created = create_batch(mock, url)
    advance(mock)
    receiver.wait_for(1)
    [entry] = wait_journal(mock, 1)
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert batch["callback_status_code"] == status
    assert batch["callback_error"] is None
    assert batch["callback_sent_at"] is not None
    assert (entry["status_code"], entry["error"]) == (status, None)
    assert len(receiver.requests) == 1  # no retries by default, no redirect followed


def test_a_closed_port_is_recorded_as_an_error(mock: httpx.Client) -> None:
    url = f"http://127.0.0.1:{closed_port()}/nobody"
    created = create_batch(mock, url)
    now = advance(mock)["now"]
    [entry] = wait_journal(mock, 1)
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    prefix = f"Failed to dispatch callback for job {created['id']} to {url}: "
    assert batch["callback_error"].startswith(prefix)
    assert len(batch["callback_error"]) > len(prefix)
    assert batch["callback_status_code"] is None
    assert batch["callback_sent_at"] == now
    assert (entry["status_code"], entry["error"]) == (None, batch["callback_error"])


def test_a_closed_port_for_a_run_names_the_run(mock: httpx.Client) -> None:
    url = f"http://127.0.0.1:{closed_port()}/nobody"
    run_id = seed_run(mock, callback_url=url)["id"]
    advance(mock)
    wait_journal(mock, 1)
    run = get(mock, f"/v1/runs/{run_id}")
    assert run["callback_error"].startswith(f"Failed to dispatch callback for run {run_id} to {url}: ")
    assert run["callback_status_code"] is None


def test_a_reset_connection_is_recorded_as_an_error(mock: httpx.Client, receiver: Receiver) -> None:
    url = receiver.on("/reset", Reply(reset=True))
    created = create_batch(mock, url)
    advance(mock)
    receiver.wait_for(1)
    wait_journal(mock, 1)
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert batch["callback_status_code"] is None
    assert batch["callback_error"].startswith(
        f"Failed to dispatch callback for job {created['id']} to {url}: "
    )


def test_a_slow_answer_within_the_timeout_counts(mock: httpx.Client, receiver: Receiver) -> None:
    # Ten pieces 0.1 s apart: each read is well inside the 5 s timeout.
    url = receiver.on("/slow", Reply(body=b"x" * 1000, chunks=10, pause=0.1))
    created = create_batch(mock, url)
    advance(mock)
    [request] = receiver.wait_for(1)
    [entry] = wait_journal(mock, 1)
    assert request.answered is not None
    assert entry["status_code"] == 200
    assert entry["duration_ms"] >= 800
    assert get(mock, f"/v1/messages/batches/{created['id']}")["callback_status_code"] == 200


def test_a_huge_answer_is_recorded_and_harms_nothing(mock: httpx.Client, receiver: Receiver) -> None:
    url = receiver.on("/huge", Reply(body=b"0" * (32 * 1024 * 1024)))
    created = create_batch(mock, url)
    advance(mock)
    receiver.wait_for(1)
    [entry] = wait_journal(mock, 1)
    assert (entry["status_code"], entry["error"]) == (200, None)
    assert get(mock, f"/v1/messages/batches/{created['id']}")["callback_status_code"] == 200
    assert max(_timed_gets(mock, 3)) < 1.0


def test_the_mock_answers_while_a_callback_hangs(mock: httpx.Client, receiver: Receiver) -> None:
    sleep = 2.0
    url = receiver.on("/hang", Reply(delay=sleep))
    create_batch(mock, url)
    advance(mock, wait=False)
    [request] = receiver.wait_for(1)

    latencies = _timed_gets(mock, 5)
    during = journal(mock)
    assert time.monotonic() < request.arrived + sleep  # all of it happened while the receiver slept
    assert during == {"callbacks": [], "pending": 1}
    assert max(latencies) < 0.5

    [entry] = wait_journal(mock, 1)
    assert entry["status_code"] == 200
    assert entry["duration_ms"] >= sleep * 1000 * 0.9


def test_a_receiver_sleeping_past_the_timeout(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_timeout=0.5)
    sleep = 3.0
    url = receiver.on("/sleepy", Reply(delay=sleep))
    created = create_batch(mock, url)
    advance(mock, wait=False)
    [request] = receiver.wait_for(1)

    latencies = _timed_gets(mock, 5)
    assert time.monotonic() < request.arrived + sleep
    assert max(latencies) < 0.25

    [entry] = wait_journal(mock, 1)
    assert time.monotonic() < request.arrived + sleep  # the mock gave up before the receiver woke
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    error = batch["callback_error"]
    assert error.startswith(f"Failed to dispatch callback for job {created['id']} to {url}: ")
    assert "timed out" in error
    assert "0.5" in error
    assert batch["callback_status_code"] is None
    assert entry["error"] == error
    assert 400 <= entry["duration_ms"] < sleep * 1000
