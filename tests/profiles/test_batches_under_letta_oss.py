"""The real server's batch quirks that need no provider to show: polling off (its default), the
stored "None" callback URL, the callback payload's naive time, crossed cursors, an ignored `before`.

Written as a user's test file would be: the ``letta_mock`` fixture, its marker, letta-client 1.7.0,
a real receiver for callbacks. Each test runs under both profiles.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from callbacks.support import Receiver
from letta_client import BadRequestError, InternalServerError

from mockserver._running.inprocess import InProcessMock

AGENT = "agent-00000000-0000-4000-8000-000000000001"
BOTH = pytest.mark.parametrize(
    "letta_mock_profile",
    [
        pytest.param("contract", marks=pytest.mark.letta_mock(profile="contract")),
        pytest.param("letta-oss", marks=pytest.mark.letta_mock(profile="letta-oss")),
    ],
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


def batch(client: Any, callback_url: str | None = None, agents: int = 1) -> Any:
    requests = [{"agent_id": AGENT, "input": f"#{n}"} for n in range(agents)]
    if callback_url is None:
        return client.batches.create(requests=requests)
    return client.batches.create(requests=requests, callback_url=callback_url)


def quirks_of(letta_mock: Any, operation: str) -> set[str]:
    return {d["quirk"] for d in letta_mock.report()["deviations"] if d["operation_id"] == operation}


@BOTH
def test_a_batch_never_finishes_under_letta_oss_and_its_cancel_is_a_501(
    letta_mock: Any, letta_mock_profile: str, receiver: Receiver
) -> None:
    client = letta_mock.client()
    made = batch(client, callback_url=receiver.url())
    letta_mock.advance(3600)  # an hour: the mock's batches take two seconds
    now = client.batches.retrieve(made.id)
    messages = client.batches.messages.list(made.id).messages
    if letta_mock_profile == "contract":
        assert (made.status, now.status) == ("created", "completed")
        assert [m.role for m in messages] == ["assistant", "user"]  # newest first
        assert len(receiver.wait_for(1)) == 1
        return
    assert (made.status, now.status, now.completed_at) == ("running", "running", None)
    assert [m.role for m in messages] == ["user"]  # the item never answers
    assert letta_mock.callbacks() == []
    assert receiver.requests == []
    # A client's deadline passed: it cancels. The batch is cancelled, the answer a 501 every time.
    with pytest.raises(InternalServerError) as raised:
        client.batches.cancel(made.id)
    assert (raised.value.status_code, raised.value.body) == (
        501,
        {"detail": "Batch job cancellation is not enabled"},
    )
    assert client.batches.retrieve(made.id).status == "cancelled"
    assert [t["status"] for t in letta_mock.requests(operation="cancel_batch")] == [501] * 3
    assert letta_mock.report()["violations"] == []
    for operation in ("create_batch", "retrieve_batch", "list_messages_for_batch", "cancel_batch"):
        assert "batch-polling-off" in quirks_of(letta_mock, operation), operation


@BOTH
def test_a_scenario_stands_in_for_the_poller(
    letta_mock: Any, letta_mock_profile: str, receiver: Receiver
) -> None:
    client = letta_mock.client()
    made = batch(client, callback_url=receiver.url(), agents=2)
    letta_mock.advance(60)
    # Naming the batch in a scenario finishes it: at its duration, or now if that has passed.
    letta_mock.add_scenario({"batch_id": made.id}, status="failed")
    letta_mock.advance(0)
    done = client.batches.retrieve(made.id)
    assert done.status == ("failed" if letta_mock_profile == "letta-oss" else "completed")
    assert len(client.batches.messages.list(made.id).messages) == 4
    [received] = receiver.wait_for(1)
    assert received.json()["status"] == done.status
    # A next_batches scenario lets a batch created later finish on the mock's clock.
    letta_mock.add_scenario({"next_batches": 1}, status="completed", duration=5)
    later = batch(client)
    letta_mock.advance(4)
    assert client.batches.retrieve(later.id).status != "completed"
    letta_mock.advance(1)
    assert client.batches.retrieve(later.id).status == "completed"


@BOTH
def test_a_batch_without_a_callback_url_stores_the_string_none_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    client = letta_mock.client()
    made = batch(client)
    letta_mock.add_scenario({"batch_id": made.id}, status="completed")
    letta_mock.advance(10)
    done = client.batches.retrieve(made.id)
    if letta_mock_profile == "contract":
        assert (made.callback_url, done.callback_url, done.callback_error) == (None, None, None)
        assert letta_mock.callbacks() == []
        return
    # `if batch.callback_url:` is true, and a callback "fails" for a batch that asked for none.
    assert (made.callback_url, done.callback_url) == ("None", "None")
    assert done.callback_error == (
        f"Failed to dispatch callback for job {made.id} to None:"
        " Request URL is missing an 'http://' or 'https://' protocol."
    )
    assert done.callback_status_code is None
    assert done.callback_sent_at is not None
    assert "callback-url-none-string" in quirks_of(letta_mock, "create_batch")
    assert "callback-url-none-string" in quirks_of(letta_mock, "retrieve_batch")
    # The usual fix reads "None" as no URL.
    assert (done.callback_url if done.callback_url not in (None, "None") else None) is None


@BOTH
def test_the_callback_payloads_completed_at_is_naive_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str, receiver: Receiver
) -> None:
    client = letta_mock.client()
    made = batch(client, callback_url=receiver.url())
    letta_mock.add_scenario({"batch_id": made.id}, status="completed")
    letta_mock.advance(10)
    [received] = receiver.wait_for(1)
    payload = received.json()
    assert set(payload) == {"job_id", "status", "completed_at", "metadata"}
    completed_at = datetime.fromisoformat(payload["completed_at"])
    if letta_mock_profile == "contract":
        assert completed_at.tzinfo is not None
        assert payload["completed_at"].endswith("Z")
        return
    assert completed_at.tzinfo is None
    with pytest.raises(TypeError, match="offset-naive and offset-aware"):
        completed_at - made.created_at  # a receiver comparing it with the batch's created_at
    journaled = letta_mock.callbacks()[0]["payload"]
    assert journaled["completed_at"] == payload["completed_at"]


@BOTH
def test_crossed_cursors_are_a_400_under_letta_oss(letta_mock: Any, letta_mock_profile: str) -> None:
    client = letta_mock.client()
    older = batch(client)
    letta_mock.advance(0.01)
    newer = batch(client)
    # A window in order=desc's own terms: after the newer, before the older.
    if letta_mock_profile == "contract":
        assert client.batches.list(after=newer.id, before=older.id).items == []
        return
    with pytest.raises(BadRequestError) as raised:
        client.batches.list(after=newer.id, before=older.id)
    assert raised.value.body == {"detail": "'before' reference must be later than 'after' reference"}
    assert quirks_of(letta_mock, "list_batches") == {"job-cursors-crossed-400"}
    # Before is the newer bound on the real server, whatever the order.
    assert client.batches.list(after=older.id, before=newer.id).items == []
    assert letta_mock.report()["violations"] == []


@BOTH
def test_batch_messages_ignore_before_under_letta_oss(letta_mock: Any, letta_mock_profile: str) -> None:
    client = letta_mock.client()
    made = batch(client, agents=2)
    letta_mock.add_scenario({"batch_id": made.id}, status="completed")
    letta_mock.advance(10)
    every = [m.id for m in client.batches.messages.list(made.id, limit=100).messages]
    assert len(every) == 4
    page = [m.id for m in client.batches.messages.list(made.id, limit=2, before=every[3]).messages]
    if letta_mock_profile == "contract":
        assert page == every[1:3]  # the two nearest before every[3] in the sort order (desc)
        assert quirks_of(letta_mock, "list_messages_for_batch") == set()
        return
    assert page == every[:2]  # the head again: `before` did nothing
    assert quirks_of(letta_mock, "list_messages_for_batch") == {"batch-messages-before-ignored"}


def test_a_cursor_quirk_marks_only_the_answers_it_changed() -> None:
    """A quirk is the server's deviation where the answer differs from the documented one, not
    wherever the quirk's route is asked (the report would cry wolf on every list)."""
    with (
        InProcessMock(profile="letta-oss", clock="manual") as mock,
        mock.http_client(headers={"Authorization": "Bearer letta-mock"}) as http,
    ):
        made = []
        for n in range(4):
            made.append(
                http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": f"#{n}"}]})
            )
            mock.advance(0.01)
        ids = [reply.json()["id"] for reply in made]
        for _ in range(2):
            mock.seed_run(agent_id=AGENT)
            mock.advance(0.01)
        since = mock.last_request_seq()
        # Oldest first, everything after the oldest: both readings of `after` agree.
        agree = http.get("/v1/messages/batches", params={"order": "asc", "after": ids[0]})
        assert [b["id"] for b in agree.json()] == ids[1:]
        # An unknown runs cursor is ignored either way.
        http.get("/v1/runs/", params={"after": "run-00000000-0000-4000-8000-000000000000"})
        cursor_quirks = {"job-cursors-chronological", "run-cursors-inverted"}
        assert not cursor_quirks & {d["quirk"] for d in mock.report(since=since)["deviations"]}
        # Newest first, after the oldest: documented, the older ones (none); the real server, the newer.
        differ = http.get("/v1/messages/batches", params={"after": ids[0]})
        assert [b["id"] for b in differ.json()] == ids[:0:-1]
        shaped = [d["quirk"] for d in mock.report(since=since)["deviations"]]
    assert "job-cursors-chronological" in shaped


def test_a_snapshot_keeps_a_batch_no_poller_finishes() -> None:
    headers = {"Authorization": "Bearer letta-mock"}
    with (
        InProcessMock(profile="letta-oss", clock="manual") as mock,
        mock.http_client(headers=headers) as http,
    ):
        made = http.post(
            "/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]}
        ).json()
        state = mock.snapshot()
    with InProcessMock(clock="manual") as mock, mock.http_client(headers=headers) as http:
        mock.restore(state)  # into a contract server: the stored batch still has no poller
        mock.advance(3600)
        assert http.get(f"/v1/messages/batches/{made['id']}").json()["status"] == "running"
        mock.add_scenario({"batch_id": made["id"]}, status="completed")
        mock.advance(0)
        assert http.get(f"/v1/messages/batches/{made['id']}").json()["status"] == "completed"
