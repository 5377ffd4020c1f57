"""Callback settings: allowed hosts and schemes, retries, the journal's bound, and shutdown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from mockserver import Config, MockServer

from .support import AGENT, Receiver, Reply, advance, create_batch, get, journal, seed_run, wait_journal

Dedicated = Callable[..., httpx.Client]
REFUSED_SCHEME = "Request URL is missing an 'http://' or 'https://' protocol."


def test_a_host_outside_the_allow_list_is_refused(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_allow_hosts=frozenset({"example.invalid"}))
    url = receiver.on("/refused")
    created = create_batch(mock, url)
    now = advance(mock)["now"]
    [entry] = wait_journal(mock, 1)

    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    error = batch["callback_error"]
    assert error.startswith(f"Failed to dispatch callback for job {created['id']} to {url}: ")
    assert "'127.0.0.1'" in error
    assert "example.invalid" in error
    assert batch["callback_status_code"] is None
    assert batch["callback_sent_at"] == now
    assert (entry["status_code"], entry["error"], entry["attempt"]) == (None, error, 1)
    assert receiver.requests == []


def test_a_non_http_url_is_refused(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_allow_hosts=frozenset({"example.invalid"}))
    run_url = f"ftp://127.0.0.1:{receiver.port}/run"
    # A batch's callback_url is a pydantic HttpUrl on the real server: refused at create.
    refused = mock.post(
        "/v1/messages/batches",
        json={"requests": [{"agent_id": AGENT, "input": "hi"}], "callback_url": "ftp://127.0.0.1/x"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "url_scheme"
    # A run's is a plain string: the delivery is what refuses it.
    run_id = seed_run(mock, callback_url=run_url)["id"]
    advance(mock)
    wait_journal(mock, 1)

    run = get(mock, f"/v1/runs/{run_id}")
    assert (
        run["callback_error"]
        == f"Failed to dispatch callback for run {run_id} to {run_url}: {REFUSED_SCHEME}"
    )
    assert run["callback_status_code"] is None
    assert receiver.requests == []


def test_a_non_http_url_is_refused_without_an_allow_list(mock: httpx.Client, receiver: Receiver) -> None:
    run_url = f"ftp://127.0.0.1:{receiver.port}/run"
    run_id = seed_run(mock, callback_url=run_url)["id"]
    advance(mock)
    [entry] = wait_journal(mock, 1)
    assert entry["error"] == f"Failed to dispatch callback for run {run_id} to {run_url}: {REFUSED_SCHEME}"
    assert receiver.requests == []


def test_retries_until_the_receiver_accepts(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_retries=2)
    url = receiver.on("/flaky", Reply(status=500), Reply(status=500), Reply(status=200))
    created = create_batch(mock, url)
    advance(mock)
    requests = receiver.wait_for(3)
    entries = wait_journal(mock, 3)

    assert len({request.body for request in requests}) == 1  # the same payload each time
    assert [(e["attempt"], e["status_code"], e["error"]) for e in entries] == [
        (1, 500, None),
        (2, 500, None),
        (3, 200, None),
    ]
    assert {entry["id"] for entry in entries} == {created["id"]}
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert (batch["callback_status_code"], batch["callback_error"]) == (200, None)
    assert len(receiver.requests) == 3


def test_retries_give_up_with_the_last_outcome(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_retries=1)
    url = receiver.on("/down", Reply(status=503))
    created = create_batch(mock, url)
    advance(mock)
    entries = wait_journal(mock, 2)
    assert [(e["attempt"], e["status_code"]) for e in entries] == [(1, 503), (2, 503)]
    assert get(mock, f"/v1/messages/batches/{created['id']}")["callback_status_code"] == 503
    assert len(receiver.requests) == 2


def test_a_client_error_is_not_retried(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_retries=2)
    url = receiver.on("/gone", Reply(status=404), Reply(status=200))
    create_batch(mock, url)
    advance(mock)
    [entry] = wait_journal(mock, 1)
    assert (entry["attempt"], entry["status_code"]) == (1, 404)
    assert len(receiver.requests) == 1


def test_the_journal_keeps_the_newest_entries(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(journal_size=3)
    url = receiver.on("/bounded")
    created = [create_batch(mock, url)["id"] for _ in range(5)]
    advance(mock)
    receiver.wait_for(5)
    entries = wait_journal(mock, 3)
    assert len(entries) == 3
    assert {entry["id"] for entry in entries} <= set(created)
    assert len({entry["id"] for entry in entries}) == 3


def test_reset_clears_the_journal(mock: httpx.Client, receiver: Receiver) -> None:
    create_batch(mock, receiver.on("/before-reset"))
    advance(mock)
    wait_journal(mock, 1)
    assert mock.post("/_mock/reset").status_code == 200
    assert journal(mock) == {"callbacks": [], "pending": 0}


def test_reset_forgets_deliveries_queued_or_in_flight(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_concurrency=1)
    slow = receiver.on("/old", Reply(delay=0.5))
    create_batch(mock, slow)
    create_batch(mock, slow)  # queued behind the first: one delivery at a time
    advance(mock, wait=False)
    [in_flight] = receiver.wait_for(1)
    assert journal(mock)["pending"] == 2

    assert mock.post("/_mock/reset").status_code == 200
    assert journal(mock) == {"callbacks": [], "pending": 0}
    fresh = create_batch(mock, receiver.on("/new"))
    advance(mock)
    requests = receiver.wait_for(2)
    [entry] = wait_journal(mock, 1)
    deadline = time.monotonic() + 5
    while in_flight.answered is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # time enough for the old delivery's outcome to land, were it kept

    assert [request.path for request in requests] == ["/old", "/new"]
    assert len(receiver.requests) == 2  # the queued old delivery was dropped
    assert journal(mock) == {"callbacks": [entry], "pending": 0}
    assert (entry["id"], entry["url"], entry["status_code"]) == (fresh["id"], receiver.url("/new"), 200)
    batch = get(mock, f"/v1/messages/batches/{fresh['id']}")
    assert (batch["callback_status_code"], batch["callback_error"]) == (200, None)


def test_shutdown_waits_for_a_callback_in_flight(receiver: Receiver) -> None:
    url = receiver.on("/slow", Reply(delay=1.0))
    server = MockServer(Config(port=0, clock="manual", callback_timeout=5)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            create_batch(client, url)
            advance(client, wait=False)
            [request] = receiver.wait_for(1)
            assert journal(client)["pending"] == 1
    finally:
        started = time.monotonic()
        server.stop()
        stopped = time.monotonic()
    assert stopped - started < 8
    assert len(receiver.requests) == 1
    assert request.answered is not None
    assert request.answered <= stopped  # the delivery finished before the server was gone


def test_state_fixtures_with_finished_callbacks_start_and_deliver(tmp_path: Path, receiver: Receiver) -> None:
    url = receiver.on("/from-fixtures")
    seed = {"agent_id": AGENT, "status": "completed", "callback_url": url}
    (tmp_path / "runs.json").write_text(json.dumps([seed]), encoding="utf-8")
    with (
        MockServer(Config(port=0, clock="manual", fixtures=tmp_path)) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        [request] = receiver.wait_for(1)
        [entry] = wait_journal(client, 1)
        [run] = get(client, "/v1/runs/")
        assert request.json()["run_id"] == run["id"]
        assert entry["status_code"] == 200
        assert run["callback_status_code"] == 200
