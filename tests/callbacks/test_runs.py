"""Run callbacks: the run payload with ``metadata.result``, on completion, failure and cancellation."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from .support import Receiver, advance, compact, get, seed_run, wait_journal


def stream_tail(client: httpx.Client, run_id: str) -> list[Any]:
    """The events of the run's stream after its messages: stop reason and usage."""
    reply = client.post(f"/v1/runs/{run_id}/stream", json={"include_pings": False})
    assert reply.status_code == 200, reply.text
    events = [line[len("data: ") :] for line in reply.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[-3:-1]]


@pytest.mark.parametrize(
    ("seed", "status", "stop_reason"),
    [
        ({}, "completed", "end_turn"),
        ({"stop_reason": "max_tokens_exceeded"}, "failed", "max_tokens_exceeded"),  # ends with [DONE]
        ({"stop_reason": "cancelled"}, "cancelled", "cancelled"),
    ],
    ids=["completed", "failed", "cancelled"],
)
def test_a_finished_run_posts_its_result(
    mock: httpx.Client, receiver: Receiver, seed: dict[str, Any], status: str, stop_reason: str
) -> None:
    url = receiver.on(f"/runs/{status}")
    run_id = seed_run(mock, callback_url=url, metadata={"origin": "callback-test"}, **seed)["id"]
    now = advance(mock)["now"]
    [request] = receiver.wait_for(1)
    [entry] = wait_journal(mock, 1)

    run = get(mock, f"/v1/runs/{run_id}")
    assert run["status"] == status
    assert run["stop_reason"] == stop_reason
    messages = get(mock, f"/v1/runs/{run_id}/messages")
    usage = get(mock, f"/v1/runs/{run_id}/usage")
    stop_event, usage_event = stream_tail(mock, run_id)

    payload = request.json()
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/json"
    assert request.body == compact(payload)
    assert list(payload) == ["run_id", "status", "completed_at", "metadata"]
    assert payload["run_id"] == run_id
    assert payload["status"] == status
    assert payload["completed_at"] == run["completed_at"]
    assert payload["metadata"]["origin"] == "callback-test"
    result = payload["metadata"]["result"]
    assert list(result) == ["messages", "stop_reason", "usage", "logprobs", "turns"]
    assert messages
    assert result["messages"] == messages
    assert result["stop_reason"] == {"message_type": "stop_reason", "stop_reason": stop_reason}
    assert result["stop_reason"] == stop_event
    assert result["usage"]["message_type"] == "usage_statistics"
    assert result["usage"] == usage_event
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert result["usage"][name] == usage[name]
    assert result["logprobs"] is None
    assert result["turns"] is None

    assert entry["kind"] == "run"
    assert entry["payload"] == payload
    assert run["callback_sent_at"] == now
    assert run["callback_status_code"] == 200
    assert run["callback_error"] is None
    # The run's own metadata is not changed by the callback.
    assert run["metadata"] == {"origin": "callback-test"}


def test_a_run_seeded_as_finished_calls_back_at_once(mock: httpx.Client, receiver: Receiver) -> None:
    run_id = seed_run(mock, callback_url=receiver.on("/seeded"), status="cancelled")["id"]
    [request] = receiver.wait_for(1)
    wait_journal(mock, 1)
    assert request.json()["run_id"] == run_id
    assert request.json()["status"] == "cancelled"
    assert get(mock, f"/v1/runs/{run_id}")["callback_status_code"] == 200


def test_a_run_without_callback_url_makes_no_attempt(mock: httpx.Client, receiver: Receiver) -> None:
    run_id = seed_run(mock)["id"]
    advance(mock)
    run = get(mock, f"/v1/runs/{run_id}")
    assert run["status"] == "completed"
    assert (run["callback_sent_at"], run["callback_status_code"], run["callback_error"]) == (None, None, None)
    assert wait_journal(mock, 0) == []
    assert receiver.requests == []


def test_a_deleted_run_sends_nothing(mock: httpx.Client, receiver: Receiver) -> None:
    run_id = seed_run(mock, callback_url=receiver.on("/deleted"))["id"]
    assert mock.delete(f"/v1/runs/{run_id}").status_code == 200
    advance(mock)
    assert wait_journal(mock, 0) == []
    assert receiver.requests == []
