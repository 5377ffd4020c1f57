"""The real server's run quirks as a user's test sees them with the newest letta-client (1.12.1).

Written as a user's test file would be: the ``letta_mock`` fixture and its marker, each test under
both profiles (``contract`` shows what the documentation promises, ``letta-oss`` what the real
server does to the same code). Run through ``tests/test_sdk_latest.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import letta_client
import pytest
from letta_client import APIStatusError, InternalServerError

AGENT = "agent-00000000-0000-4000-8000-000000000001"
BOTH = pytest.mark.parametrize(
    "letta_mock_profile",
    [
        pytest.param("contract", marks=pytest.mark.letta_mock(profile="contract")),
        pytest.param("letta-oss", marks=pytest.mark.letta_mock(profile="letta-oss")),
    ],
)


@pytest.fixture(autouse=True)
def _newest_sdk_only() -> None:
    assert letta_client.__version__ == "1.12.1", letta_client.__file__


def deviations(letta_mock: Any) -> set[str]:
    return {d["quirk"] for d in letta_mock.report()["deviations"]}


@BOTH
def test_deleting_a_run_raises_after_the_retries_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    run = letta_mock.seed_run(agent_id=AGENT)
    client = letta_mock.client()
    # 1.12.1 has no runs.delete: a user reaches the route through the client's generic request.
    if letta_mock_profile == "contract":
        client.delete(f"/v1/runs/{run['id']}", cast_to=httpx.Response)
        assert [r["status"] for r in letta_mock.requests(operation="delete_run")] == [200]
        return
    with pytest.raises(InternalServerError) as raised:
        client.delete(f"/v1/runs/{run['id']}", cast_to=httpx.Response)
    assert raised.value.body == {"detail": "An unknown error occurred"}
    assert [r["status"] for r in letta_mock.requests(operation="delete_run")] == [500] * 3  # two retries
    assert client.runs.retrieve(run["id"]).id == run["id"]  # still there
    assert deviations(letta_mock) == {"run-delete-500"}
    assert letta_mock.report()["violations"] == []


@BOTH
def test_auto_paging_runs_repeats_the_newest_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    made = []
    for _ in range(5):
        made.append(letta_mock.seed_run(agent_id=AGENT)["id"])
        letta_mock.advance(0.01)
    newest_first = made[::-1]
    client = letta_mock.client()
    walked = []
    for run in client.runs.list(limit=2):  # the SDK asks for after=<last id> next
        if run.id in walked:
            break  # the usual fix: stop when an id repeats
        walked.append(run.id)
    if letta_mock_profile == "contract":
        assert walked == newest_first
        assert deviations(letta_mock) == set()
        return
    assert walked == newest_first[:2]  # after=X is "newer than X": the newest again, older ones never
    # The real server's next (older) page is before=<last id>, against its documentation.
    assert [r.id for r in client.runs.list(limit=2, before=newest_first[1]).items] == newest_first[2:4]
    assert deviations(letta_mock) == {"run-cursors-inverted"}


@BOTH
def test_a_cancelled_runs_stream_ends_without_done_under_letta_oss(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    run = letta_mock.seed_run(agent_id=AGENT, status="cancelled", background=True)
    client = letta_mock.client()
    streamed = list(client.runs.messages.stream(run["id"], include_pings=False))
    kinds = [chunk.message_type for chunk in streamed]
    if letta_mock_profile == "contract":
        assert kinds[-2:] == ["stop_reason", "usage_statistics"]
        return
    # No usage and no [DONE]: the SDK ends when the connection closes; a client ends on the stop reason.
    assert kinds[-1] == "stop_reason"
    assert "usage_statistics" not in kinds
    assert streamed[-1].stop_reason == "cancelled"
    assert deviations(letta_mock) == {"cancelled-stream-no-done"}


@BOTH
def test_a_failed_runs_stream_raises_at_its_error_event(letta_mock: Any, letta_mock_profile: str) -> None:
    run = letta_mock.seed_run(agent_id=AGENT, status="failed", stop_reason="llm_api_error", background=True)
    client = letta_mock.client()
    seen: list[str] = []
    stream = client.runs.messages.stream(run["id"], include_pings=False)
    with pytest.raises(APIStatusError) as raised:
        seen.extend(chunk.message_type for chunk in stream)
    # Both servers end a failed run's stream so: its stop reason, then `event: error`, no [DONE].
    assert seen[-1] == "stop_reason"
    body = raised.value.body
    assert isinstance(body, dict)
    assert body["message_type"] == "error_message"
    assert body["run_id"] == run["id"]
    assert raised.value.status_code == 200  # raised mid-stream: the response itself was a 200
    assert letta_mock.report()["violations"] == []
