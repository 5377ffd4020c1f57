"""What a client written against the documentation sees under ``--profile letta-oss``, written as a
user's own test file would be: the ``letta_mock`` fixture, its marker and letta-client 1.7.0.

Each test runs under both profiles; ``contract`` shows the documented behaviour still holds,
``letta-oss`` what the real server does to the same code.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import httpx
import pytest
from letta_client import InternalServerError, UnprocessableEntityError

AGENT = "agent-00000000-0000-4000-8000-000000000001"
BOTH = pytest.mark.parametrize(
    "letta_mock_profile",
    [
        pytest.param("contract", marks=pytest.mark.letta_mock(profile="contract")),
        pytest.param("letta-oss", marks=pytest.mark.letta_mock(profile="letta-oss")),
    ],
)


def batch(client: Any, text: str = "hi", agents: int = 1) -> Any:
    requests = [{"agent_id": AGENT, "messages": [{"role": "user", "content": text}]} for _ in range(agents)]
    return client.batches.create(requests=requests)


def finish(letta_mock: Any, batch_id: str) -> None:
    """Let a batch finish: on the real server with its default settings none does (batch-polling-off),
    and a scenario naming it stands in for the poller; under `contract` the scenario changes nothing."""
    letta_mock.add_scenario({"batch_id": batch_id}, status="completed")
    letta_mock.advance(10)


@BOTH
def test_auto_paging_the_batch_list_repeats_the_newest_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    client = letta_mock.client()
    made = []
    for n in range(5):
        made.append(batch(client, f"#{n}").id)
        letta_mock.advance(0.01)  # distinct creation times, all still running
    walked = [b.id for b in client.batches.list(limit=2)]  # the SDK asks for after=<last id>
    newest_first = made[::-1]
    if letta_mock_profile == "contract":
        assert walked == newest_first
    else:
        # after=X means "newer than X" on the real server: the first page again, one fewer each time.
        assert walked == [newest_first[0], newest_first[1], newest_first[0]]
        assert set(made[:3]).isdisjoint(walked)
        # The usual fix: page oldest first, where both servers agree.
        assert [b.id for b in client.batches.list(limit=2, order="asc")] == made
    report = letta_mock.report()
    assert report["violations"] == []
    deviations = {d["quirk"] for d in report["deviations"]}
    # Nothing had finished, so listing active batches only changed no answer: not a deviation here.
    oss = {"job-cursors-chronological", "batch-polling-off", "callback-url-none-string", "owner-ids"}
    assert deviations == (set() if letta_mock_profile == "contract" else oss)


@BOTH
def test_finished_batches_drop_out_of_the_list_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    client = letta_mock.client()
    done = batch(client)
    finish(letta_mock, done.id)
    running = batch(client)
    listed = {b.id: b.status for b in client.batches.list()}
    if letta_mock_profile == "contract":
        assert listed == {done.id: "completed", running.id: "created"}
    else:
        assert listed == {running.id: "running"}  # running at once, as the real server creates it
    assert client.batches.retrieve(done.id).status == "completed"  # the fix: retrieve by id
    deviations = {
        d["operation_id"] for d in letta_mock.report()["deviations"] if d["quirk"] == "batch-list-active-only"
    }
    assert deviations == (set() if letta_mock_profile == "contract" else {"list_batches"})


@BOTH
def test_the_second_page_of_batch_messages_is_a_500_after_the_sdks_retries(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    client = letta_mock.client()
    made = batch(client, agents=2)
    finish(letta_mock, made.id)  # two user messages, two replies
    pages = client.batches.messages.list(made.id, limit=2, order="asc")
    if letta_mock_profile == "contract":
        assert len(list(pages)) == 4
        return
    with pytest.raises(InternalServerError) as raised:
        list(pages)
    assert raised.value.body == {"detail": "An unknown error occurred"}
    tries = letta_mock.requests(operation="list_messages_for_batch")
    assert [(("after=" in t["query"]), t["status"]) for t in tries] == [(False, 200)] + [(True, 500)] * 3
    # The fix: one request with a limit that holds everything (or treat a 500 on a later page as the end).
    assert len(client.batches.messages.list(made.id, limit=1000).messages) == 4
    assert letta_mock.report()["violations"] == []


@pytest.mark.parametrize(
    "letta_mock_profile",
    [
        pytest.param(name, marks=pytest.mark.letta_mock(profile=name, expect_violations=True))
        for name in ("contract", "letta-oss")
    ],
)
def test_a_422_detail_is_a_string_under_letta_oss(letta_mock: Any, letta_mock_profile: str) -> None:
    client = letta_mock.client()
    with pytest.raises(UnprocessableEntityError) as raised:
        client.batches.list(limit=-1)
    body = raised.value.body
    assert isinstance(body, dict)
    if letta_mock_profile == "contract":
        assert body["detail"][0]["loc"] == ["query", "limit"]
        return
    with pytest.raises(TypeError):
        body["detail"][0]["loc"]  # what code written against the documentation does
    assert body["trace_id"] == ""
    assert body["detail"].startswith("[{'type': 'greater_than_equal', 'loc': ('query', 'limit'), 'msg': ")


@pytest.mark.letta_mock(profile="letta-oss", expect_violations=True)
def test_the_clients_own_violations_still_count_under_letta_oss(letta_mock: Any) -> None:
    with pytest.raises(UnprocessableEntityError):
        letta_mock.client().batches.list(limit=-1)
    report = letta_mock.report()
    assert [v["loc"] for v in report["violations"]] == [["query", "limit"]]  # the client's mistake
    assert [d["quirk"] for d in report["deviations"]] == ["validation-detail-string"]  # the server's


@BOTH
def test_cancel_just_in_case_rewrites_a_completed_batch_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    client = letta_mock.client()
    made = batch(client)
    finish(letta_mock, made.id)
    completed = client.batches.retrieve(made.id)
    assert client.batches.cancel(made.id) is None
    after = client.batches.retrieve(made.id)
    expected = "completed" if letta_mock_profile == "contract" else "cancelled"
    assert after.status == expected
    assert after.completed_at == completed.completed_at


@BOTH
def test_deleting_a_run_and_cancelling_a_job_are_500s_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    run = letta_mock.seed_run(agent_id=AGENT)
    job = letta_mock.seed_job()
    with httpx.Client(base_url=letta_mock.url, timeout=10) as http:
        deleted = http.delete(f"/v1/runs/{run['id']}")
        cancelled = http.patch(f"/v1/jobs/{job['id']}/cancel")
        job_now = http.get(f"/v1/jobs/{job['id']}").json()
    assert job_now["status"] == "cancelled"  # cancelled either way
    if letta_mock_profile == "contract":
        assert (deleted.status_code, cancelled.status_code) == (200, 200)
        return
    assert (deleted.status_code, deleted.json()) == (500, {"detail": "An unknown error occurred"})
    assert (cancelled.status_code, cancelled.json()) == (500, {"detail": "An unknown error occurred"})
    assert letta_mock.report()["violations"] == []


@BOTH
def test_a_cancelled_runs_stream_ends_without_done_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    run = letta_mock.seed_run(agent_id=AGENT, status="cancelled", background=True)
    with httpx.Client(base_url=letta_mock.url, timeout=10) as http:
        text = http.post(f"/v1/runs/{run['id']}/stream", json={"include_pings": False}).text
    events = [line for line in text.splitlines() if line.startswith("data:")]
    assert '"stop_reason":"cancelled"' in events[-1 if letta_mock_profile == "letta-oss" else -3]
    assert (events[-1] == "data: [DONE]") is (letta_mock_profile == "contract")
    # The SDK ends either way: a client should end on the stop reason, not wait for [DONE].
    streamed = list(letta_mock.client().runs.messages.stream(run["id"], include_pings=False))
    assert streamed[-1 if letta_mock_profile == "letta-oss" else -2].message_type == "stop_reason"


@BOTH
def test_auto_paging_runs_under_letta_oss_repeats_the_newest(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    made = []
    for _ in range(5):
        made.append(letta_mock.seed_run(agent_id=AGENT)["id"])
        letta_mock.advance(0.01)
    client = letta_mock.client()
    walked = [run.id for run in client.runs.list(limit=2)]
    newest_first = made[::-1]
    if letta_mock_profile == "contract":
        assert walked == newest_first
        return
    assert walked[:3] == [newest_first[0], newest_first[1], newest_first[0]]
    # The real server's next (older) page is before=<last id>, the opposite of its documentation.
    older = client.runs.list(limit=2, before=newest_first[1]).items
    assert [run.id for run in older] == newest_first[2:4]


@BOTH
def test_naive_completed_at_breaks_duration_arithmetic_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    client = letta_mock.client()
    made = batch(client)
    finish(letta_mock, made.id)
    done = client.batches.retrieve(made.id)
    assert done.completed_at is not None
    assert done.created_at.tzinfo is not None
    if letta_mock_profile == "contract":
        assert (done.completed_at - done.created_at).total_seconds() == 2.0
        return
    assert done.completed_at.tzinfo is None
    with pytest.raises(TypeError, match="offset-naive and offset-aware"):
        done.completed_at - done.created_at  # what a client written against the documentation does
    # The usual fix: a timestamp without an offset is UTC.
    fixed = done.completed_at.replace(tzinfo=UTC)
    assert (fixed - done.created_at).total_seconds() == 2.0
    assert "naive-timestamps" in {d["quirk"] for d in letta_mock.report()["deviations"]}
