"""Injected faults seen through the real letta-client 1.7.0, whose default is 2 retries on 5xx.

letta-client ignores ``retry-after: 0`` (it honours only 0 < value <= 60 s) and backs off on its
own, 0.5 s then 1 s with jitter: a retried call here takes about a second and a half.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from letta_client import APIConnectionError, BadRequestError, InternalServerError, Letta

from mockserver import MockServer

from .support import AGENT_X, BATCHES, batch_request

DEFAULT_ERROR = {"detail": "injected fault: HTTP 503 from letta-mockserver"}


def _batch_id(sdk: Letta) -> str:
    request: Any = batch_request(AGENT_X)  # the SDK's TypedDict, from the same JSON
    return sdk.batches.create(requests=[request]).id


def _journal(server: MockServer, operation: str) -> list[tuple[int, str | None, str | None]]:
    return [
        (entry["status"], entry["fault"], entry["headers"].get("x-stainless-retry-count"))
        for entry in server.requests(operation=operation)
    ]


def test_sdk_retries_through_two_503s_and_succeeds_on_the_third_attempt(
    server: MockServer, sdk: Letta
) -> None:
    batch_id = _batch_id(sdk)
    server.add_fault("retrieve_batch", error={"status": 503, "retry_after": 0}, times=2)

    retrieved = sdk.batches.retrieve(batch_id)

    assert retrieved.id == batch_id
    assert _journal(server, "retrieve_batch") == [
        (503, "error 503", "0"),
        (503, "error 503", "1"),
        (200, None, "2"),
    ]
    assert server.faults() == []  # used up


def test_sdk_gives_up_after_three_503s(server: MockServer, sdk: Letta) -> None:
    batch_id = _batch_id(sdk)
    server.add_fault("retrieve_batch", error={"status": 503, "retry_after": 0}, times=3)

    with pytest.raises(InternalServerError) as failed:
        sdk.batches.retrieve(batch_id)

    assert failed.value.status_code == 503
    assert failed.value.body == DEFAULT_ERROR
    assert [status for status, _, _ in _journal(server, "retrieve_batch")] == [503, 503, 503]
    assert sdk.batches.retrieve(batch_id).id == batch_id  # the fault is used up


def test_error_fault_sends_retry_after_in_seconds_and_milliseconds(
    server: MockServer, http: httpx.Client
) -> None:
    server.add_fault("list_runs", error={"status": 429, "retry_after": 1.5}, times=1)

    limited = http.get("/v1/runs/")

    assert limited.status_code == 429
    assert (limited.headers["retry-after"], limited.headers["retry-after-ms"]) == ("2", "1500")
    assert limited.headers["content-type"] == "application/json"
    assert limited.json() == {"detail": "injected fault: HTTP 429 from letta-mockserver"}


def test_error_fault_with_a_custom_body_is_answered_with_that_body(server: MockServer, sdk: Letta) -> None:
    body: dict[str, Any] = {"detail": "quota exceeded", "code": "QUOTA", "retryable": False}
    server.add_fault("create_batch", error={"status": 400, "body": body}, times=1)

    with pytest.raises(BadRequestError) as refused:
        _batch_id(sdk)

    assert refused.value.body == body
    assert [status for status, _, _ in _journal(server, "create_batch")] == [400]  # 4xx: no retry


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def test_latency_fault_delays_one_request_and_not_the_next(server: MockServer, sdk: Letta) -> None:
    batch_id = _batch_id(sdk)
    sdk.batches.retrieve(batch_id)  # the connection is open: what follows measures the server
    server.add_fault("retrieve_batch", latency={"seconds": 0.3}, times=1)

    delayed = _timed(lambda: sdk.batches.retrieve(batch_id))
    prompt = _timed(lambda: sdk.batches.retrieve(batch_id))

    assert delayed >= 0.3
    assert prompt < 0.3
    assert [status for status, _, _ in _journal(server, "retrieve_batch")] == [200, 200, 200]


def test_drop_fault_closes_the_connection_without_an_answer(server: MockServer, sdk: Letta) -> None:
    batch_id = _batch_id(sdk)
    server.add_fault("retrieve_batch", drop=True, times=1)

    with server.client(max_retries=0) as once, pytest.raises(APIConnectionError):
        once.batches.retrieve(batch_id)

    assert _journal(server, "retrieve_batch") == [(0, "drop", "0")]
    assert sdk.batches.retrieve(batch_id).id == batch_id  # the server itself is fine


def test_a_fault_on_one_operation_leaves_the_others_alone(server: MockServer, sdk: Letta) -> None:
    fault = server.add_fault("retrieve_batch", error={"status": 500})
    batch_id = _batch_id(sdk)
    seeded = server.seed_run(agent_id=AGENT_X)

    assert [one.id for one in sdk.batches.list().items] == [batch_id]
    assert sdk.runs.retrieve(seeded["id"]).id == seeded["id"]
    assert sdk.batches.messages.list(batch_id).messages == []
    with server.client(max_retries=0) as once, pytest.raises(InternalServerError):
        once.batches.retrieve(batch_id)

    assert server.faults() == [fault]  # no `times`: it stays
    assert server.report()["exercised"] == {
        "create_batch": {"200": 1},
        "list_batches": {"200": 1},
        "retrieve_batch": {"500": 1},
        "list_messages_for_batch": {"200": 1},
        "retrieve_run": {"200": 1},
    }


def test_a_fault_for_every_operation_applies_to_each_and_counts_each_request(
    server: MockServer, http: httpx.Client
) -> None:
    server.add_fault(error={"status": 502}, times=2)

    assert http.get("/v1/runs/").status_code == 502
    assert http.get(BATCHES).status_code == 502
    assert http.get("/v1/jobs/").status_code == 200
    assert server.faults() == []
