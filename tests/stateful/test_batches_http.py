"""Batches over HTTP on the manual clock: lifecycle, timestamps, messages, cancel, lists and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import (
    AGENT_A,
    AGENT_B,
    JOB_DURATION,
    RUNNING_AFTER,
    UNKNOWN_JOB,
    MockApi,
    ServerFactory,
    batch_request,
    stamp,
)

BATCHES = "/v1/messages/batches"
HALF_RUNNING = RUNNING_AFTER + (JOB_DURATION - RUNNING_AFTER) / 2
"""When the first item of a two-item batch answers: items share the batch's running interval."""


def _messages(api: MockApi, batch_id: str, **params: Any) -> list[dict[str, Any]]:
    body = api.obj(api.http.get(f"{BATCHES}/{batch_id}/messages", params=params))
    assert set(body) == {"messages"}
    messages: list[dict[str, Any]] = body["messages"]
    return messages


def _text(message: dict[str, Any]) -> str:
    return str(message["content"][0]["text"])


def _two_agent_batch(api: MockApi) -> dict[str, Any]:
    return api.create_batch(
        batch_request(AGENT_A, "first question"), batch_request(AGENT_B, "second question")
    )


def test_batch_is_created_then_running_then_completed_as_the_clock_says(api: MockApi) -> None:
    """``created`` when POST answers, ``running`` at 5% of the duration, ``completed`` at the end,
    with exact times.
    """
    t0 = api.now()
    batch = _two_agent_batch(api)
    assert batch["status"] == "created"
    assert batch["job_type"] == "batch"
    assert batch["metadata"] == {"job_type": "batch_messages"}
    assert batch["created_at"] == batch["updated_at"] == stamp(t0)
    assert batch["completed_at"] is None
    assert batch["total_duration_ns"] is None
    assert api.batch(batch["id"]) == batch

    assert api.advance(RUNNING_AFTER) == t0 + RUNNING_AFTER
    running = api.batch(batch["id"])
    assert running["status"] == "running"
    assert running["updated_at"] == stamp(t0 + RUNNING_AFTER) == api.clock()["now"]
    assert running["completed_at"] is None
    assert running["total_duration_ns"] is None

    api.advance(JOB_DURATION - RUNNING_AFTER - 0.25)
    assert api.batch(batch["id"]) == running

    api.advance(0.25)
    done = api.batch(batch["id"])
    assert done["status"] == "completed"
    assert done["completed_at"] == done["updated_at"] == stamp(t0 + JOB_DURATION)
    assert done["total_duration_ns"] == 2_000_000_000
    assert done["created_at"] == stamp(t0)


def test_one_big_advance_applies_each_change_at_its_own_time(api: MockApi) -> None:
    """Advancing far past the end gives the timestamps a real wait would have given, not the clock's."""
    t0 = api.now()
    batch = _two_agent_batch(api)
    api.advance(3_600)
    done = api.batch(batch["id"])
    assert done["status"] == "completed"
    assert done["completed_at"] == stamp(t0 + JOB_DURATION)
    assert done["total_duration_ns"] == 2_000_000_000
    dates = [message["created_at"] for message in _messages(api, batch["id"], order="asc")]
    assert dates == [stamp(t0 + RUNNING_AFTER)] * 2 + [stamp(t0 + HALF_RUNNING), stamp(t0 + JOB_DURATION)]


def test_each_item_gets_a_user_message_when_running_and_a_reply_when_it_finishes(api: MockApi) -> None:
    """User messages appear when the batch starts, each item's assistant reply when that item finishes."""
    t0 = api.now()
    batch = _two_agent_batch(api)
    assert _messages(api, batch["id"]) == []

    api.advance(RUNNING_AFTER)
    users = _messages(api, batch["id"], order="asc")
    assert [(m["role"], m["agent_id"], _text(m)) for m in users] == [
        ("user", AGENT_A, "first question"),
        ("user", AGENT_B, "second question"),
    ]
    assert all(m["created_at"] == stamp(t0 + RUNNING_AFTER) for m in users)

    # The first of two items finishes halfway through the batch's running interval.
    api.advance(HALF_RUNNING - RUNNING_AFTER)
    first_reply = _messages(api, batch["id"], order="asc")[2:]
    assert [(m["role"], m["agent_id"]) for m in first_reply] == [("assistant", AGENT_A)]
    assert first_reply[0]["created_at"] == stamp(t0 + HALF_RUNNING)
    assert api.batch(batch["id"])["status"] == "running"

    api.advance(JOB_DURATION - HALF_RUNNING)
    messages = _messages(api, batch["id"], order="asc")
    assert [(m["role"], m["agent_id"]) for m in messages] == [
        ("user", AGENT_A),
        ("user", AGENT_B),
        ("assistant", AGENT_A),
        ("assistant", AGENT_B),
    ]
    item_a, item_b = messages[0]["batch_item_id"], messages[1]["batch_item_id"]
    assert item_a.startswith("batch_item-")
    assert item_b.startswith("batch_item-")
    assert item_a != item_b
    assert [m["batch_item_id"] for m in messages[2:]] == [item_a, item_b]
    assert "first question" in _text(messages[2])
    assert messages[2]["model"] is not None
    assert messages[0]["model"] is None
    assert len({m["id"] for m in messages}) == 4
    assert all(m["id"].startswith("message-") for m in messages)


def test_batch_messages_filter_by_agent_and_default_to_newest_first(api: MockApi) -> None:
    """``agent_id`` keeps one agent's messages; the default order is ``desc``, the reverse of ``asc``."""
    batch = _two_agent_batch(api)
    api.advance(JOB_DURATION)
    ascending = _messages(api, batch["id"], order="asc")
    assert _messages(api, batch["id"]) == ascending[::-1]
    only_a = _messages(api, batch["id"], order="asc", agent_id=AGENT_A)
    assert [(m["role"], m["agent_id"]) for m in only_a] == [("user", AGENT_A), ("assistant", AGENT_A)]
    assert _messages(api, batch["id"], agent_id="agent-00000000-0000-4000-8000-00000000dead") == []


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_batch_message_cursors_follow_the_requested_order(api: MockApi, order: str) -> None:
    """``after``/``before`` select what follows/precedes the cursor in ``order``; ``limit`` counts from it."""
    batch = _two_agent_batch(api)
    api.advance(JOB_DURATION)
    ids = [m["id"] for m in _messages(api, batch["id"], order=order)]
    assert len(ids) == 4

    def page(**params: Any) -> list[str]:
        return [m["id"] for m in _messages(api, batch["id"], order=order, **params)]

    assert page(after=ids[0]) == ids[1:]
    assert page(after=ids[0], limit=2) == ids[1:3]
    assert page(before=ids[3]) == ids[:3]
    assert page(before=ids[3], limit=2) == ids[1:3]
    assert page(after=ids[0], before=ids[3]) == ids[1:3]
    assert page(after=ids[3]) == []
    assert page(limit=1) == ids[:1]
    walked: list[str] = []
    current = page(limit=3)
    while current:
        walked += current
        current = page(limit=3, after=current[-1])
    assert walked == ids


def test_batch_messages_unknown_cursor_and_unknown_batch_are_404(api: MockApi) -> None:
    """An unknown message cursor and an unknown batch both answer 404 naming the id."""
    batch = _two_agent_batch(api)
    cursor = "message-00000000-0000-4000-8000-000000000000"
    response = api.http.get(f"{BATCHES}/{batch['id']}/messages", params={"after": cursor})
    assert response.status_code == 404
    assert response.json() == {"detail": f"No message found with id '{cursor}' in batch '{batch['id']}'"}
    response = api.http.get(f"{BATCHES}/{UNKNOWN_JOB}/messages")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Job not found with id='{UNKNOWN_JOB}'"}


def test_cancel_before_running_stops_everything(api: MockApi) -> None:
    """A batch cancelled while ``created`` never runs, never gets messages, never completes."""
    t0 = api.now()
    batch = _two_agent_batch(api)
    response = api.http.patch(f"{BATCHES}/{batch['id']}/cancel")
    assert response.status_code == 200
    assert response.json() is None
    cancelled = api.batch(batch["id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["updated_at"] == stamp(t0)
    api.advance(10 * JOB_DURATION)
    assert api.batch(batch["id"]) == cancelled
    assert _messages(api, batch["id"]) == []


def test_cancel_while_running_keeps_no_completion_fields_and_never_completes(api: MockApi) -> None:
    """Cancelled mid-run: ``cancelled`` with no ``completed_at``; the clock moving on changes nothing."""
    t0 = api.now()
    batch = _two_agent_batch(api)
    api.advance(0.5)
    assert api.batch(batch["id"])["status"] == "running"
    assert api.ok(api.http.patch(f"{BATCHES}/{batch['id']}/cancel")) is None
    cancelled = api.batch(batch["id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["completed_at"] is None
    assert cancelled["total_duration_ns"] is None
    assert cancelled["updated_at"] == stamp(t0 + 0.5)
    api.advance(10 * JOB_DURATION)
    assert api.batch(batch["id"]) == cancelled
    assert [m["role"] for m in _messages(api, batch["id"])] == ["user", "user"]
    # Cancelling again is a no-op too.
    assert api.ok(api.http.patch(f"{BATCHES}/{batch['id']}/cancel")) is None
    assert api.batch(batch["id"]) == cancelled


def test_cancel_after_completion_is_a_no_op(api: MockApi) -> None:
    """Cancelling a completed batch answers 200 ``null`` and leaves it completed."""
    batch = _two_agent_batch(api)
    api.advance(JOB_DURATION)
    done = api.batch(batch["id"])
    assert done["status"] == "completed"
    response = api.http.patch(f"{BATCHES}/{batch['id']}/cancel", headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() is None
    assert api.batch(batch["id"]) == done


def test_empty_requests_are_refused_and_store_nothing(api: MockApi) -> None:
    """``requests: []`` answers 400 with the real server's message; no batch appears."""
    response = api.http.post(BATCHES, json={"requests": []})
    assert response.status_code == 400
    assert response.json() == {"detail": "Empty list of batch_requests passed in!"}
    assert api.get_list(BATCHES) == []
    assert api.clock()["pending_changes"] == 0


def test_list_batches_lists_every_status_newest_first(api: MockApi) -> None:
    """The list holds created, running, completed and cancelled batches;
    ``desc`` by default, ``asc`` on request.
    """
    completed = api.create_batch()
    api.advance(1.0)
    cancelled = api.create_batch()
    api.http.patch(f"{BATCHES}/{cancelled['id']}/cancel")
    api.advance(1.0)
    running = api.create_batch()
    api.advance(0.5)
    created = api.create_batch()
    statuses = {batch["id"]: batch["status"] for batch in api.get_list(BATCHES)}
    assert statuses == {
        completed["id"]: "completed",
        cancelled["id"]: "cancelled",
        running["id"]: "running",
        created["id"]: "created",
    }
    oldest_first = [completed["id"], cancelled["id"], running["id"], created["id"]]
    assert api.ids(BATCHES) == oldest_first[::-1]
    assert api.ids(BATCHES, order="asc") == oldest_first
    assert all(batch["job_type"] == "batch" for batch in api.get_list(BATCHES))


def test_list_batches_cursors_limits_and_ties(api: MockApi) -> None:
    """Cursors follow the requested order, ties on ``created_at`` break on ``id``, ``limit=0`` means all."""
    made = [api.create_batch()["id"] for _ in range(3)]  # three at the same instant
    api.advance(1.0)
    made += [api.create_batch()["id"] for _ in range(2)]
    ascending = api.ids(BATCHES, order="asc")
    assert ascending == sorted(made[:3]) + sorted(made[3:])
    descending = api.ids(BATCHES)
    assert descending == ascending[::-1]
    for order, ids in (("asc", ascending), ("desc", descending)):
        assert api.ids(BATCHES, order=order, after=ids[1]) == ids[2:]
        assert api.ids(BATCHES, order=order, after=ids[1], limit=2) == ids[2:4]
        assert api.ids(BATCHES, order=order, before=ids[3]) == ids[:3]
        assert api.ids(BATCHES, order=order, before=ids[3], limit=2) == ids[1:3]
        assert api.ids(BATCHES, order=order, limit=2) == ids[:2]
        assert api.ids(BATCHES, order=order, limit=0) == ids


@pytest.mark.parametrize("cursor", ["after", "before"])
def test_list_batches_unknown_cursor_is_400(api: MockApi, cursor: str) -> None:
    """An unknown batch cursor answers 400 ``Job with id X not found``, as the real job manager does."""
    api.create_batch()
    response = api.http.get(BATCHES, params={cursor: UNKNOWN_JOB})
    assert response.status_code == 400
    assert response.json() == {"detail": f"Job with id {UNKNOWN_JOB} not found"}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("GET", "/messages"), ("PATCH", "/cancel")],
    ids=["get", "messages", "cancel"],
)
def test_malformed_and_unknown_batch_ids(api: MockApi, method: str, suffix: str) -> None:
    """A malformed batch id is 400 ``INVALID_ARGUMENT``; a well-formed unknown one is 404 naming it."""
    response = api.http.request(method, f"{BATCHES}/batch_id{suffix}")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "INVALID_ARGUMENT: Invalid job ID format: batch_id. Expected format: 'job-<uuid4>'"
    }
    response = api.http.request(method, f"{BATCHES}/{UNKNOWN_JOB}{suffix}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Job not found with id='{UNKNOWN_JOB}'"}


def test_lenient_validation_answers_404_for_a_malformed_batch_id(server_factory: ServerFactory) -> None:
    """Only strict validation checks the id format; lenient looks the id up and finds nothing."""
    server = server_factory(mode="stateful", clock="manual", validation="lenient")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.get(f"{BATCHES}/batch_id")
    assert response.status_code == 404
    assert response.json() == {"detail": "Job not found with id='batch_id'"}


def test_batch_text_comes_from_input_or_first_message(api: MockApi) -> None:
    """The user message of an item is its ``input``, or the content of its first message."""
    batch = api.create_batch(
        {"agent_id": AGENT_A, "input": "from input"},
        {
            "agent_id": AGENT_B,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "from parts"}]}],
        },
    )
    api.advance(RUNNING_AFTER)
    assert [_text(m) for m in _messages(api, batch["id"], order="asc")] == ["from input", "from parts"]
