"""Every item of a batch lives inside the batch's own ``running`` interval, whatever the batch's size.

Issue 13 item 2: with more than ~20 requests the first items used to answer while the batch was still
``created``. Here the manual clock is stepped through the whole batch and, at every step, the batch and
all its messages are read back and checked against what the batch says about itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from .conftest import AGENT_A, AGENT_B, AGENT_C, JOB_DURATION, MockApi, batch_request, parse_time

BATCHES = "/v1/messages/batches"
AGENTS = (AGENT_A, AGENT_B, AGENT_C)


def _all_messages(api: MockApi, batch_id: str) -> list[dict[str, Any]]:
    body = api.obj(api.http.get(f"{BATCHES}/{batch_id}/messages", params={"order": "asc", "limit": 5_000}))
    messages: list[dict[str, Any]] = body["messages"]
    return messages


def _check(batch: dict[str, Any], messages: list[dict[str, Any]], now: float, count: int) -> dict[str, int]:
    """The invariants at one moment; how many items have started and answered."""
    status = batch["status"]
    if status == "created":
        assert messages == [], "no item may start before its batch runs"
        return {"started": 0, "answered": 0}
    assert status in ("running", "completed"), status
    # `updated_at` is when the batch started running until it finishes.
    running_at = parse_time(batch["updated_at"]) if status == "running" else None
    completed_at = parse_time(batch["completed_at"]) if status == "completed" else None
    assert (completed_at is None) == (status == "running")
    per_item: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        per_item.setdefault(message["batch_item_id"], []).append(message)
        at = parse_time(message["created_at"])
        assert at.timestamp() <= now + 1e-6, "a message from the future"
        if running_at is not None:
            assert at >= running_at, ("a message dated before the batch ran", message, batch)
        if completed_at is not None:
            assert at <= completed_at, ("a message dated after the batch finished", message, batch)
    # Every item starts (its user message) the moment the batch runs.
    assert len(per_item) == count
    answered = 0
    for item_messages in per_item.values():
        roles = [m["role"] for m in item_messages]
        assert roles in (["user"], ["user", "assistant"]), roles
        if len(item_messages) == 2:
            user, reply = item_messages
            assert parse_time(user["created_at"]) <= parse_time(reply["created_at"])
            assert reply["agent_id"] == user["agent_id"]
            answered += 1
    first_user = min(parse_time(m["created_at"]) for m in messages if m["role"] == "user")
    assert all(parse_time(m["created_at"]) == first_user for m in messages if m["role"] == "user")
    if status == "completed":
        assert answered == count, "a completed batch has answered every item"
    return {"started": len(per_item), "answered": answered}


@pytest.mark.parametrize("count", [1, 2, 21, 51, 500])
def test_items_fall_inside_the_running_interval_at_every_step(api: MockApi, count: int) -> None:
    t0 = api.now()
    requests = [batch_request(AGENTS[index % 3], f"question {index}") for index in range(count)]
    batch = api.create_batch(*requests)
    # Steps finer than the gap between two items for small batches; 100 steps for the big one.
    steps = min(4 * count + 4, 100)
    answered_before = 0
    seen = set()
    running_at: datetime | None = None
    for step in range(steps + 2):
        now = api.advance(JOB_DURATION / steps) if step else t0
        current = api.batch(batch["id"])
        messages = _all_messages(api, batch["id"])
        counts = _check(current, messages, now, count)
        assert counts["answered"] >= answered_before, "an answer disappeared"
        answered_before = counts["answered"]
        seen.add(current["status"])
        if current["status"] == "running":
            assert counts["answered"] < count or now >= t0 + JOB_DURATION - 1e-9
            running_at = parse_time(current["updated_at"])
    assert seen == {"created", "running", "completed"}
    done = api.batch(batch["id"])
    assert parse_time(done["completed_at"]).timestamp() == pytest.approx(t0 + JOB_DURATION)
    assert answered_before == count
    # Once finished, every message still lies inside [running, completed].
    assert running_at is not None
    ended = parse_time(done["completed_at"])
    assert all(running_at <= parse_time(m["created_at"]) <= ended for m in _all_messages(api, batch["id"]))


@pytest.mark.parametrize("count", [2, 21])
def test_replies_arrive_one_by_one_across_the_running_interval(api: MockApi, count: int) -> None:
    """Items answer spread over the running interval, the last one as the batch finishes."""
    t0 = api.now()
    batch = api.create_batch(*[batch_request(AGENT_A, f"q{index}") for index in range(count)])
    api.advance(JOB_DURATION * 0.05)
    running = api.batch(batch["id"])
    assert running["status"] == "running"
    assert [m["role"] for m in _all_messages(api, batch["id"])] == ["user"] * count
    api.advance(JOB_DURATION * 0.95 - 1e-3)
    messages = _all_messages(api, batch["id"])
    assert api.batch(batch["id"])["status"] == "running"
    assert sum(m["role"] == "assistant" for m in messages) == count - 1
    api.advance(1e-3 + 1e-5)  # past the end whatever the float sum of the steps
    messages = _all_messages(api, batch["id"])
    replies = [m for m in messages if m["role"] == "assistant"]
    assert len(replies) == count
    times = [parse_time(m["created_at"]).timestamp() for m in replies]
    assert times == sorted(times)
    assert times[0] > parse_time(running["updated_at"]).timestamp()
    assert times[-1] == pytest.approx(t0 + JOB_DURATION)


def test_the_sdk_sees_no_answer_before_the_batch_runs(letta_mock: Any) -> None:
    """letta-client 1.7.0 reading a 51-request batch through auto-paging at every step."""
    client = letta_mock.client()
    batch = client.batches.create(
        requests=[{"agent_id": AGENTS[index % 3], "input": f"question {index}"} for index in range(51)]
    )
    for _ in range(41):
        current = client.batches.retrieve(batch.id)
        messages = list(client.batches.messages.list(batch.id, order="asc", limit=20))
        if current.status == "created":
            assert messages == []
        else:
            assert current.updated_at is not None
            assert all(
                m.created_at is not None and m.created_at >= current.updated_at
                for m in messages
                if current.status == "running"
            )
            by_item: dict[str, list[str]] = {}
            for message in messages:
                assert message.batch_item_id is not None
                by_item.setdefault(message.batch_item_id, []).append(message.role)
            assert len(by_item) == 51
            assert all(roles in (["user"], ["user", "assistant"]) for roles in by_item.values())
        letta_mock.advance(JOB_DURATION / 40)
    assert client.batches.retrieve(batch.id).status == "completed"
