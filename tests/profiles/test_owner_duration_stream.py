"""Three more quirks as a user's test file sees them (``letta_mock``, letta-client 1.7.0): the owner ids the
documented schemas forbid, a run's duration null where it is retrieved, a stream request without a body."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

AGENT = "agent-00000000-0000-4000-8000-000000000001"
BOTH = pytest.mark.parametrize(
    "letta_mock_profile",
    [
        pytest.param("contract", marks=pytest.mark.letta_mock(profile="contract")),
        pytest.param("letta-oss", marks=pytest.mark.letta_mock(profile="letta-oss")),
    ],
)


def _documented(letta_mock: Any, name: str) -> dict[str, Any]:
    """The served document's component ``name``, its references resolvable."""
    document = httpx.get(f"{letta_mock.url}/openapi.json").json()
    return {**document["components"]["schemas"][name], "components": document["components"]}


@BOTH
def test_a_client_validating_answers_against_the_document_rejects_the_owner_ids(
    letta_mock: Any, letta_mock_profile: str
) -> None:
    with letta_mock.client() as client:
        made = client.batches.with_raw_response.create(requests=[{"agent_id": AGENT, "input": "hi"}])
    body = made.http_response.json()
    errors = list(jsonschema.Draft202012Validator(_documented(letta_mock, "BatchJob")).iter_errors(body))
    if letta_mock_profile == "contract":
        assert errors == []
        return
    assert body["user_id"] == "user-00000000-0000-4000-8000-000000000000"
    assert any("user_id" in error.message for error in errors)  # additionalProperties: false
    assert {d["quirk"] for d in letta_mock.report()["deviations"]} >= {"owner-ids"}


@BOTH
def test_a_runs_duration_is_null_where_the_run_is_retrieved(letta_mock: Any, letta_mock_profile: str) -> None:
    run = letta_mock.seed_run(agent_id=AGENT)
    letta_mock.advance(30)
    with letta_mock.client() as client:
        listed = next(r for r in client.runs.list() if r.id == run["id"])
        retrieved = client.runs.retrieve(run["id"])
    assert listed.total_duration_ns is not None
    if letta_mock_profile == "contract":
        assert retrieved.total_duration_ns == listed.total_duration_ns
    else:
        assert retrieved.total_duration_ns is None  # the usual fix: read it from the list


@BOTH
def test_a_stream_request_without_a_body(letta_mock: Any, letta_mock_profile: str) -> None:
    run = letta_mock.seed_run(agent_id=AGENT, background=True)
    letta_mock.advance(30)
    headers = {"Authorization": "Bearer letta-mock"}
    bare = httpx.post(f"{letta_mock.url}/v1/runs/{run['id']}/stream", headers=headers, timeout=30)
    assert bare.status_code == (200 if letta_mock_profile == "contract" else 500)
    # The SDK always sends a body (`{}`), so it streams under both.
    with letta_mock.client() as client:
        kinds = [chunk.message_type for chunk in client.runs.messages.stream(run["id"])]
    assert kinds[-1] == "usage_statistics"
