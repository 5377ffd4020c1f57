"""Overrides: a Python function of the validated request answers one operation, or falls back."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from letta_client import Letta

from mockserver import MockRequest, MockResponse, MockServer

from .support import AGENT_X, BATCHES, UNKNOWN_BATCH, batch, create_batch, ok

OTHER_BATCH = "job-7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
CANNED_BATCH: dict[str, Any] = {
    "id": UNKNOWN_BATCH,
    "status": "failed",
    "job_type": "batch",
    "created_at": "2026-01-02T03:04:05Z",
    "completed_at": "2026-01-02T03:05:05Z",
    "stop_reason": "llm_api_error",
    "metadata": {"from": "override"},
}


def test_an_override_answers_its_operation(server: MockServer, http: httpx.Client, sdk: Letta) -> None:
    server.override(
        "retrieve_batch",
        lambda _request: MockResponse(status=200, body=CANNED_BATCH, headers={"x-canned": "yes"}),
    )

    answered = http.get(f"{BATCHES}/{UNKNOWN_BATCH}")
    retrieved = sdk.batches.retrieve(UNKNOWN_BATCH)

    assert answered.status_code == 200
    assert answered.json() == CANNED_BATCH
    assert answered.headers["x-canned"] == "yes"
    assert (retrieved.id, retrieved.status, retrieved.stop_reason) == (
        UNKNOWN_BATCH,
        "failed",
        "llm_api_error",
    )


def test_an_override_can_answer_an_error_status(server: MockServer, http: httpx.Client) -> None:
    server.override("list_batches", lambda _request: MockResponse(status=409, body={"detail": "busy"}))

    assert ok(http.get(BATCHES), 409) == {"detail": "busy"}


def test_a_plain_json_value_is_answered_with_200(server: MockServer, http: httpx.Client) -> None:
    server.override("list_jobs", lambda _request: [])
    server.seed_job()

    assert ok(http.get("/v1/jobs/")) == []


def test_none_falls_back_to_the_default_answer(server: MockServer, http: httpx.Client) -> None:
    created = create_batch(http, AGENT_X)
    seen: list[str] = []

    def only_unknown(request: MockRequest) -> MockResponse | None:
        seen.append(request.path_params["batch_id"])
        if request.path_params["batch_id"] == UNKNOWN_BATCH:
            return MockResponse(body=CANNED_BATCH)
        return None

    server.override("retrieve_batch", only_unknown)

    assert ok(http.get(f"{BATCHES}/{UNKNOWN_BATCH}")) == CANNED_BATCH
    assert batch(http, created["id"]) == created  # the mock's own answer
    assert seen == [UNKNOWN_BATCH, created["id"]]


def test_an_async_function_works(server: MockServer, http: httpx.Client) -> None:
    async def slow_canned(request: MockRequest) -> MockResponse:
        await asyncio.sleep(0)
        return MockResponse(status=200, body={**CANNED_BATCH, "id": request.path_params["batch_id"]})

    server.override("retrieve_batch", slow_canned)

    assert ok(http.get(f"{BATCHES}/{OTHER_BATCH}"))["id"] == OTHER_BATCH


def test_an_async_function_returning_none_falls_back(server: MockServer, http: httpx.Client) -> None:
    async def nothing(_request: MockRequest) -> None:
        return None

    server.override("retrieve_batch", nothing)

    assert ok(http.get(f"{BATCHES}/{UNKNOWN_BATCH}"), 404)["detail"]


def test_the_override_sees_validated_query_values_with_defaults(
    server: MockServer, http: httpx.Client
) -> None:
    seen: list[MockRequest] = []

    def record(request: MockRequest) -> list[Any]:
        seen.append(request)
        return []

    server.override("list_runs", record)
    params = {"limit": "5", "active": "true", "statuses": ["completed", "failed"], "agent_id": AGENT_X}

    assert ok(http.get("/v1/runs/", params=params, headers={"x-caller": "me"})) == []

    [request] = seen
    assert (request.operation_id, request.method, request.path) == ("list_runs", "GET", "/v1/runs/")
    assert dict(request.query) == {
        "limit": 5,
        "active": True,
        "statuses": ["completed", "failed"],
        "agent_id": AGENT_X,
        "order": "desc",
        "order_by": "created_at",
        "ascending": False,
    }
    assert request.headers["x-caller"] == "me"
    assert request.body is None


def test_the_override_sees_the_parsed_body(server: MockServer, http: httpx.Client) -> None:
    seen: list[Any] = []
    server.override("create_batch", lambda request: seen.append(request.body))
    body = {"requests": [{"agent_id": AGENT_X, "input": "hi"}], "callback_url": "https://example.com/cb"}

    created = ok(http.post(BATCHES, json=body))

    assert seen == [body]
    assert created["callback_url"] == "https://example.com/cb"  # None from the override: the default


def test_an_invalid_request_never_reaches_the_override(server: MockServer, http: httpx.Client) -> None:
    calls: list[MockRequest] = []
    server.override("list_runs", lambda request: calls.append(request))

    assert http.get("/v1/runs/", params={"limit": "many"}).status_code == 422
    assert calls == []


def test_clear_overrides_and_reset_restore_the_default_answers(
    server: MockServer, http: httpx.Client
) -> None:
    server.override("list_batches", lambda _request: ["overridden"])
    server.clear_overrides()
    assert ok(http.get(BATCHES)) == []

    server.override("list_batches", lambda _request: ["overridden"])
    server.reset()
    assert ok(http.get(BATCHES)) == []


def test_an_unknown_operation_is_refused_with_the_known_ones(server: MockServer) -> None:
    with pytest.raises(KeyError, match="unknown operation 'retrieve_batches'; known: cancel_batch, "):
        server.override("retrieve_batches", lambda _request: None)
