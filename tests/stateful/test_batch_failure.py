"""A batch scripted to fail looks failed down to its items, and never carries a batch-level stop reason.

Issue 13 item 5: the real server never writes ``stop_reason`` on a batch job; a failed batch's items
answer the way an agent scenario fails one item (an ``is_err`` assistant message naming the reason).
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import AGENT_A, AGENT_B, JOB_DURATION, RUNNING_AFTER, MockApi, batch_request, stamp

BATCHES = "/v1/messages/batches"


def _scenario(api: MockApi, match: dict[str, Any], **outcome: Any) -> None:
    api.obj(api.http.post("/_mock/scenarios", json={"match": match, **outcome}), status=201)


def _replies(api: MockApi, batch_id: str) -> list[dict[str, Any]]:
    body = api.obj(api.http.get(f"{BATCHES}/{batch_id}/messages", params={"order": "asc"}))
    return [m for m in body["messages"] if m["role"] == "assistant"]


def _text(message: dict[str, Any]) -> str:
    return str(message["content"][0]["text"])


def _two(api: MockApi) -> dict[str, Any]:
    return api.create_batch(batch_request(AGENT_A, "one"), batch_request(AGENT_B, "two"))


@pytest.mark.parametrize(("reason", "expected"), [("llm_api_error", "llm_api_error"), (None, "error")])
def test_next_batch_failed_fails_every_item_and_sets_no_batch_stop_reason(
    api: MockApi, reason: str | None, expected: str
) -> None:
    outcome = {"status": "failed"} | ({"stop_reason": reason} if reason else {})
    _scenario(api, {"next_batches": 1}, **outcome)
    t0 = api.now()
    failing = _two(api)
    following = _two(api)
    api.advance(JOB_DURATION)

    failed = api.batch(failing["id"])
    assert failed["status"] == "failed"
    assert failed["stop_reason"] is None
    assert failed["completed_at"] == stamp(t0 + JOB_DURATION)
    replies = _replies(api, failing["id"])
    assert [m["agent_id"] for m in replies] == [AGENT_A, AGENT_B]
    assert all(m["is_err"] is True for m in replies)
    assert {_text(m) for m in replies} == {f"Error: the agent stopped ({expected})."}

    fine = api.batch(following["id"])
    assert (fine["status"], fine["stop_reason"]) == ("completed", None)
    assert all(m["is_err"] is None for m in _replies(api, following["id"]))


def test_batch_id_failure_fails_only_the_items_that_have_not_answered(api: MockApi) -> None:
    batch = _two(api)
    half = RUNNING_AFTER + (JOB_DURATION - RUNNING_AFTER) / 2
    api.advance(half)  # the first item has answered
    [first] = _replies(api, batch["id"])
    assert first["is_err"] is None

    _scenario(api, {"batch_id": batch["id"]}, status="failed", stop_reason="max_tokens_exceeded")
    api.advance(JOB_DURATION - half)

    ended = api.batch(batch["id"])
    assert (ended["status"], ended["stop_reason"]) == ("failed", None)
    answered, failed = _replies(api, batch["id"])
    assert answered == first
    assert (failed["agent_id"], failed["is_err"]) == (AGENT_B, True)
    assert _text(failed) == "Error: the agent stopped (max_tokens_exceeded)."


def test_an_agent_failure_keeps_its_own_reason_inside_a_failed_batch(api: MockApi) -> None:
    _scenario(api, {"agent_id": AGENT_B}, status="failed", stop_reason="llm_api_error")
    _scenario(api, {"next_batches": 1}, status="failed", stop_reason="error")
    batch = _two(api)
    api.advance(JOB_DURATION)
    texts = {m["agent_id"]: _text(m) for m in _replies(api, batch["id"])}
    assert texts == {
        AGENT_A: "Error: the agent stopped (error).",
        AGENT_B: "Error: the agent stopped (llm_api_error).",
    }


@pytest.mark.parametrize("status", ["completed", "expired", "cancelled"])
def test_no_scenario_ending_writes_a_batch_stop_reason(api: MockApi, status: str) -> None:
    _scenario(api, {"next_batches": 1}, status=status, stop_reason="error")
    batch = _two(api)
    api.advance(JOB_DURATION)
    ended = api.batch(batch["id"])
    assert (ended["status"], ended["stop_reason"]) == (status, None)
    if status == "completed":
        assert all(m["is_err"] is None for m in _replies(api, batch["id"]))


def test_the_sdk_reads_a_failed_batch_and_its_failed_items(letta_mock: Any) -> None:
    letta_mock.add_scenario({"next_batches": 1}, status="failed", stop_reason="llm_api_error")
    client = letta_mock.client()
    batch = client.batches.create(
        requests=[{"agent_id": AGENT_A, "input": "hi"}, {"agent_id": AGENT_B, "input": "hello"}]
    )
    letta_mock.advance(JOB_DURATION)
    failed = client.batches.retrieve(batch.id)
    assert (failed.status, failed.stop_reason) == ("failed", None)
    answers = [m for m in client.batches.messages.list(batch.id) if m.role == "assistant"]
    assert sorted(m.agent_id for m in answers) == [AGENT_A, AGENT_B]
    assert all(m.is_err for m in answers)
