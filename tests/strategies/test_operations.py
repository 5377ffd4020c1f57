"""``from_operation``: every operation's requests and documented responses are valid, in both modes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from mockserver.strategies import OperationRequest, from_operation

from .support import (
    OPERATION_IDS,
    PROPERTY,
    TABLE,
    id_pattern,
    realistic_problems,
    request_problems,
    response_pointer,
    violations,
)

# The prefix of `id` in each operation's response objects (the stream mixes pings and messages).
RESPONSE_ID_PREFIX = {
    "list_batches": "job",
    "create_batch": "job",
    "retrieve_batch": "job",
    "list_messages_for_batch": "message",
    "list_runs": "run",
    "list_active_runs": "run",
    "retrieve_run": "run",
    "list_messages_for_run": "message",
    "retrieve_metrics_for_run": "run",
    "list_steps_for_run": "step",
    "list_jobs": "job",
    "list_active_jobs": "job",
    "retrieve_job": "job",
    "delete_job": "job",
    "cancel_job": "job",
}
MODES = pytest.mark.parametrize("realistic", [False, True], ids=["default", "realistic"])


@MODES
@pytest.mark.parametrize("operation_id", OPERATION_IDS)
@PROPERTY
@given(data=st.data())
def test_requests_are_valid_for_their_operation(
    operation_id: str, realistic: bool, data: st.DataObject
) -> None:
    """Path ids, query values and body all pass the operation's schemas and the server's own rules."""
    op = TABLE[operation_id]
    request = data.draw(from_operation(operation_id, part="request", realistic=realistic))
    assert isinstance(request, OperationRequest)
    assert request_problems(op, request) == []
    if realistic:
        assert realistic_problems({**request.path, **request.query, "body": request.body}) == []


@MODES
@pytest.mark.parametrize(
    ("operation_id", "status"),
    [(op_id, status) for op_id in OPERATION_IDS for status in TABLE[op_id].responses],
)
@PROPERTY
@given(data=st.data())
def test_responses_are_valid_for_their_status(
    operation_id: str, status: int, realistic: bool, data: st.DataObject
) -> None:
    """Every documented response body (one SSE event for the stream) passes its schema."""
    op = TABLE[operation_id]
    body = data.draw(from_operation(operation_id, part="response", status=status, realistic=realistic))
    assert violations(response_pointer(op, status), body) == []
    if realistic:
        prefix = RESPONSE_ID_PREFIX.get(operation_id) if status == 200 else None
        assert realistic_problems(body, prefix) == []


@pytest.mark.parametrize("operation_id", ["retrieve_batch", "cancel_batch", "retrieve_run", "retrieve_job"])
@PROPERTY
@given(data=st.data())
def test_path_ids_are_prefixed_uuid4s_in_the_default_mode_too(operation_id: str, data: st.DataObject) -> None:
    """Batch, run and job ids are `job-`/`run-<uuid4>`, as the server's strict mode checks them."""
    request = data.draw(from_operation(operation_id))
    ((name, value),) = request.path.items()
    assert id_pattern("run" if name == "run_id" else "job").match(value)
    assert request.url == TABLE[operation_id].path.replace(f"{{{name}}}", value)


@PROPERTY
@given(data=st.data())
def test_requests_follow_the_rules_the_strict_mock_adds(data: st.DataObject) -> None:
    """From `mock-additions.json`: a batch has at least one request; `statuses` are RunStatus values."""
    batch = data.draw(from_operation("create_batch"))
    assert batch.body["requests"]
    listed = data.draw(from_operation("list_runs"))
    known = TABLE.component("RunStatus")["enum"]
    assert all(status in known for status in listed.query.get("statuses", []))
    assert listed.query.get("limit", 0) >= 0


@PROPERTY
@given(data=st.data())
def test_the_stream_response_is_one_event(data: st.DataObject) -> None:
    """retrieve_stream_for_run's 200 draws an event of its `text/event-stream` schema, never `[DONE]`."""
    event = data.draw(from_operation("retrieve_stream_for_run", part="response"))
    assert isinstance(event, dict)
    assert "message_type" in event


@PROPERTY
@given(data=st.data())
def test_request_overrides_are_merged_into_each_part(data: st.DataObject) -> None:
    """Path and query values are fixed, a `None` query value leaves the parameter out, body fields merge."""
    overrides: dict[str, Any] = {
        "path": {"run_id": "run-00000000-0000-4000-8000-000000000000"},
        "body": {"include_pings": False},
    }
    request = data.draw(from_operation("retrieve_stream_for_run", overrides=overrides))
    assert request.path == {"run_id": "run-00000000-0000-4000-8000-000000000000"}
    assert request.body is not None
    assert request.body["include_pings"] is False
    listed = data.draw(from_operation("list_runs", overrides={"query": {"limit": 5, "after": None}}))
    assert listed.query["limit"] == 5
    assert "after" not in listed.query


@PROPERTY
@given(data=st.data())
def test_response_overrides_are_merged_into_the_object_or_every_item(data: st.DataObject) -> None:
    run = data.draw(from_operation("retrieve_run", part="response", overrides={"status": "completed"}))
    assert run["status"] == "completed"
    listed = data.draw(from_operation("list_runs", part="response", overrides={"agent_id": "agent-x"}))
    assert all(item["agent_id"] == "agent-x" for item in listed)


def test_a_request_knows_its_url_and_query_pairs() -> None:
    """Lists repeat their key, booleans are `true`/`false`, path values are percent-encoded."""
    request = OperationRequest(
        operation_id="list_messages_for_run",
        method="GET",
        path_template="/v1/runs/{run_id}/messages",
        path={"run_id": "run/1 x"},
        query={"statuses": ["running", "failed"], "active": True, "limit": 5},
        body=None,
    )
    assert request.url == "/v1/runs/run%2F1%20x/messages"
    assert request.params == (
        ("statuses", "running"),
        ("statuses", "failed"),
        ("active", "true"),
        ("limit", "5"),
    )


# find() stops at the first hit, so a wide search costs little when the rule is broken.
WIDE = settings(max_examples=400, deadline=None, database=None)


def test_realistic_free_form_objects_name_no_ids() -> None:
    """A trace span's free-form keys never look like an id field holding prose (``{"run_id": ""}``)."""
    spans = from_operation("retrieve_trace_for_run", part="response", status=200, realistic=True)
    with pytest.raises(NoSuchExample):
        find(spans, lambda body: any(key.endswith("id") for span in body for key in span), settings=WIDE)
