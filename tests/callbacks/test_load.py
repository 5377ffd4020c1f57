"""Many callbacks at once: every finished batch is delivered exactly once."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from .support import Receiver, advance, create_batch, get, wait_journal

pytestmark = pytest.mark.slow  # servers in subprocesses, or load: the full run has them

BATCHES = 1000


def test_a_thousand_batches_completed_by_one_advance(mock: httpx.Client, receiver: Receiver) -> None:
    url = receiver.on("/many")
    created = {create_batch(mock, url)["id"] for _ in range(BATCHES)}
    assert len(created) == BATCHES

    advance(mock)
    requests = receiver.wait_for(BATCHES, deadline=30)
    entries = wait_journal(mock, BATCHES, deadline=30)

    delivered = Counter(request.json()["job_id"] for request in requests)
    assert [job for job, times in delivered.items() if times > 1] == []
    assert set(delivered) == created
    assert len(receiver.requests) == BATCHES
    assert all(request.json()["status"] == "completed" for request in requests)
    assert len(entries) == BATCHES
    assert {entry["id"] for entry in entries} == created
    assert {(entry["status_code"], entry["error"], entry["attempt"]) for entry in entries} == {(200, None, 1)}

    batches = get(mock, "/v1/messages/batches", limit=0)
    outcomes = {batch["id"]: (batch["callback_status_code"], batch["callback_error"]) for batch in batches}
    assert outcomes == dict.fromkeys(created, (200, None))
