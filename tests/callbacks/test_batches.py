"""Batch and job callbacks: one POST on completion or failure, none on cancellation or without a URL."""

from __future__ import annotations

from typing import Any

import httpx

from .support import Receiver, advance, compact, create_batch, get, journal, wait_journal

NULL_CALLBACK = {"callback_sent_at": None, "callback_status_code": None, "callback_error": None}


def callback_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in NULL_CALLBACK}


def test_completion_posts_once_with_the_pinned_payload(mock: httpx.Client, receiver: Receiver) -> None:
    url = receiver.on("/hooks/batch")
    created = create_batch(mock, url)
    assert callback_fields(created) == NULL_CALLBACK

    now = advance(mock)["now"]
    [request] = receiver.wait_for(1)
    [entry] = wait_journal(mock, 1)

    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert batch["status"] == "completed"
    expected = {
        "job_id": created["id"],
        "status": "completed",
        "completed_at": batch["completed_at"],
        "metadata": batch["metadata"],
    }
    assert request.method == "POST"
    assert request.path == "/hooks/batch"
    assert request.body == compact(expected)
    assert request.header("Content-Type") == "application/json"
    assert request.header("Content-Length") == str(len(request.body))
    assert request.header("Authorization") is None

    assert callback_fields(batch) == {
        "callback_sent_at": now,
        "callback_status_code": 200,
        "callback_error": None,
    }
    [listed] = [one for one in get(mock, "/v1/messages/batches") if one["id"] == created["id"]]
    assert callback_fields(listed) == callback_fields(batch)

    assert entry["kind"] == "batch"
    assert entry["id"] == created["id"]
    assert entry["url"] == url
    assert entry["payload"] == expected
    assert entry["status_code"] == 200
    assert entry["error"] is None
    assert entry["started_at"] == now
    assert entry["attempt"] == 1
    assert entry["duration_ms"] >= 0

    # Nothing more: later settling, reads and clock moves queue no second delivery.
    advance(mock, 60)
    get(mock, f"/v1/messages/batches/{created['id']}")
    after = journal(mock)
    assert after["pending"] == 0
    assert len(after["callbacks"]) == 1
    assert len(receiver.requests) == 1


def test_each_batch_gets_its_own_delivery(mock: httpx.Client, receiver: Receiver) -> None:
    first = create_batch(mock, receiver.on("/first"), agents=3)
    second = create_batch(mock, receiver.on("/second"))
    advance(mock)
    requests = receiver.wait_for(2)
    wait_journal(mock, 2)
    by_path = {request.path: request.json()["job_id"] for request in requests}
    assert by_path == {"/first": first["id"], "/second": second["id"]}


def test_no_callback_before_the_batch_completes(mock: httpx.Client, receiver: Receiver) -> None:
    created = create_batch(mock, receiver.on("/early"))
    advance(mock, 1.0)  # running, not finished
    assert get(mock, f"/v1/messages/batches/{created['id']}")["status"] == "running"
    assert journal(mock) == {"callbacks": [], "pending": 0}
    advance(mock, 1.0)  # exactly the job duration: finished
    receiver.wait_for(1)
    assert wait_journal(mock, 1)[0]["status_code"] == 200


def test_a_cancelled_batch_sends_nothing(mock: httpx.Client, receiver: Receiver) -> None:
    created = create_batch(mock, receiver.on("/cancelled"))
    cancelled = mock.patch(f"/v1/messages/batches/{created['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    advance(mock, 10)

    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert batch["status"] == "cancelled"
    assert callback_fields(batch) == NULL_CALLBACK
    assert journal(mock) == {"callbacks": [], "pending": 0}
    assert receiver.requests == []


def test_an_expired_batch_has_completed_at_but_sends_nothing(mock: httpx.Client, receiver: Receiver) -> None:
    """Only a scenario expires a batch (the real server never does): `completed_at` is set as on
    every ended job, and no callback fires (callbacks fire on `completed` and `failed` only)."""
    scenario = mock.post("/_mock/scenarios", json={"match": {"next_batches": 1}, "status": "expired"})
    assert scenario.status_code == 201, scenario.text
    expired = create_batch(mock, receiver.on("/expired"))
    completed = create_batch(mock, receiver.on("/completed"))
    advance(mock, 10)
    [request] = receiver.wait_for(1)
    wait_journal(mock, 1)

    batch = get(mock, f"/v1/messages/batches/{expired['id']}")
    assert batch["status"] == "expired"
    assert batch["completed_at"] is not None
    assert callback_fields(batch) == NULL_CALLBACK
    assert (request.path, request.json()["job_id"]) == ("/completed", completed["id"])
    assert [entry["id"] for entry in journal(mock)["callbacks"]] == [completed["id"]]


def test_a_batch_without_callback_url_makes_no_attempt(mock: httpx.Client, receiver: Receiver) -> None:
    created = create_batch(mock)
    advance(mock)
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert batch["status"] == "completed"
    assert batch["callback_url"] is None
    assert callback_fields(batch) == NULL_CALLBACK
    assert journal(mock) == {"callbacks": [], "pending": 0}
    assert receiver.requests == []


def test_a_seeded_job_calls_back_as_a_job(mock: httpx.Client, receiver: Receiver) -> None:
    url = receiver.on("/job")
    seeded = mock.post(
        "/_mock/jobs", json={"callback_url": url, "final_status": "failed", "metadata": {"source_id": "s-1"}}
    )
    assert seeded.status_code == 201, seeded.text
    job_id = seeded.json()["id"]
    advance(mock)
    [request] = receiver.wait_for(1)
    [entry] = wait_journal(mock, 1)

    job = get(mock, f"/v1/jobs/{job_id}")
    assert job["status"] == "failed"
    assert request.body == compact(
        {
            "job_id": job_id,
            "status": "failed",
            "completed_at": job["completed_at"],
            "metadata": {"source_id": "s-1"},
        }
    )
    assert entry["kind"] == "job"
    assert job["callback_status_code"] == 200
    assert job["callback_error"] is None
