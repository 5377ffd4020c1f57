"""Bad arguments raise ``InvalidArgument`` at once, naming the argument and what it may be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis.errors import InvalidArgument

from mockserver import strategies
from mockserver.strategies import from_component, from_operation

OPERATIONS = (
    "cancel_batch, cancel_job, create_batch, delete_job, delete_run, list_active_jobs, list_active_runs, "
    "list_batches, list_jobs, list_messages_for_batch, list_messages_for_run, list_runs, list_steps_for_run, "
    "retrieve_batch, retrieve_job, retrieve_metrics_for_run, retrieve_run, retrieve_stream_for_run, "
    "retrieve_trace_for_run, retrieve_usage_for_run"
)
NOT_AN_OBJECT = "its schema is not a JSON object or a list of objects"


def loose(value: object) -> Any:
    """``value`` typed as ``Any``: how a wrong-typed argument gets past the type checker."""
    return value


CASES: list[tuple[str, Callable[[], Any], str]] = [
    (
        "unknown operation",
        lambda: from_operation("list_batch"),
        f"operation_id='list_batch' is not an operation of the Letta API; expected one of: {OPERATIONS}",
    ),
    (
        "bad part",
        lambda: from_operation("list_runs", part=loose("body")),
        "part='body' must be 'request' or 'response'",
    ),
    (
        "status not an int",
        lambda: from_operation("list_runs", part="response", status=loose("200")),
        "status='200' must be an integer HTTP status",
    ),
    (
        "undocumented status",
        lambda: from_operation("list_runs", part="response", status=404),
        "status=404 is not documented for list_runs (GET /v1/runs/); expected one of: 200, 422",
    ),
    (
        "status for a request",
        lambda: from_operation("list_runs", status=422),
        "status=422 applies only to part='response'",
    ),
    (
        "realistic not a bool",
        lambda: from_operation("list_runs", realistic=loose(1)),
        "realistic=1 must be True or False",
    ),
    (
        "overrides not a mapping",
        lambda: from_operation("list_runs", overrides=loose([("limit", 1)])),
        "overrides=[('limit', 1)] must be a mapping (a dict), not list",
    ),
    (
        "unknown request part",
        lambda: from_operation("list_runs", overrides={"headers": {}}),
        "overrides has unknown key 'headers' for a request; expected some of: 'path', 'query', 'body'",
    ),
    (
        "request part not a mapping",
        lambda: from_operation("list_runs", overrides={"query": 5}),
        "overrides['query']=5 must be a mapping, not int",
    ),
    (
        "unknown path parameter",
        lambda: from_operation("retrieve_run", overrides={"path": {"batch_id": "job-1"}}),
        "overrides['path'] has unknown parameter 'batch_id' for retrieve_run (GET /v1/runs/{run_id}); "
        "its path parameters: 'run_id'",
    ),
    (
        "path parameter of an operation without any",
        lambda: from_operation("list_runs", overrides={"path": {"run_id": "run-1"}}),
        "overrides['path'] has unknown parameter 'run_id' for list_runs (GET /v1/runs/); "
        "its path parameters: none",
    ),
    (
        "unknown query parameter",
        lambda: from_operation("retrieve_trace_for_run", overrides={"query": {"limt": 5}}),
        "overrides['query'] has unknown parameter 'limt' for retrieve_trace_for_run "
        "(GET /v1/runs/{run_id}/trace); its query parameters: 'limit'",
    ),
    (
        "body for an operation without one",
        lambda: from_operation("list_runs", overrides={"body": {}}),
        "overrides['body'] is given but list_runs (GET /v1/runs/) has no request body",
    ),
    (
        "response overrides on a non-object",
        lambda: from_operation("cancel_batch", part="response", overrides={"status": "cancelled"}),
        "overrides cannot apply to the 200 response of cancel_batch "
        f"(PATCH /v1/messages/batches/{{batch_id}}/cancel): {NOT_AN_OBJECT}",
    ),
    (
        "component overrides on a non-object",
        lambda: from_component("JobStatus", overrides={"status": "x"}),
        f"overrides cannot apply to component JobStatus: {NOT_AN_OBJECT}",
    ),
    (
        "helper realistic not a bool",
        lambda: strategies.runs(realistic=loose("yes")),
        "realistic='yes' must be True or False",
    ),
    (
        "helper overrides not a mapping",
        lambda: strategies.batch_jobs(overrides=loose("status=completed")),
        "overrides='status=completed' must be a mapping (a dict), not str",
    ),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_arguments_raise_invalid_argument_at_once(make: Callable[[], Any], message: str) -> None:
    """Raised by the call itself, before anything is drawn."""
    with pytest.raises(InvalidArgument) as raised:
        make()
    assert str(raised.value) == message


def test_an_unknown_component_lists_the_known_ones() -> None:
    with pytest.raises(InvalidArgument) as raised:
        from_component("Batch")
    assert str(raised.value).startswith(
        "name='Batch' is not a component schema of the Letta API; expected one of: ApprovalCreate, "
    )
    assert ", BatchJob, " in str(raised.value)


def test_exports_are_pinned() -> None:
    assert strategies.__all__ == [
        "OperationRequest",
        "batch_jobs",
        "create_batch_requests",
        "from_component",
        "from_operation",
        "jobs",
        "letta_messages",
        "messages",
        "run_metrics",
        "runs",
        "steps",
        "usage_statistics",
    ]
    assert all(hasattr(strategies, name) for name in strategies.__all__)
