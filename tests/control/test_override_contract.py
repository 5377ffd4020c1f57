"""Overrides are held to the contract: their answers are validated and reported, and lists are paged."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from letta_client import Letta

from mockserver import ContractViolation, MockRequest, MockResponse, MockServer
from mockserver.pytest_plugin import _use

from .support import BATCHES, UNKNOWN_BATCH, ok


def _batch(number: int) -> dict[str, Any]:
    return {
        "id": f"job-{number:08d}-0000-4000-8000-000000000000",
        "status": "completed",
        "job_type": "batch",
        "created_at": f"2026-01-02T03:04:0{number}Z",
    }


FIVE = [_batch(number) for number in range(1, 6)]
"""A whole collection, oldest first."""
IDS = [batch["id"] for batch in FIVE]


def test_a_bogus_answer_is_sent_and_reported_as_the_overrides(server: MockServer, http: httpx.Client) -> None:
    server.override("retrieve_batch", lambda _request: {"id": 5, "status": "bogus"})

    answered = http.get(f"{BATCHES}/{UNKNOWN_BATCH}")

    assert (answered.status_code, answered.json()) == (200, {"id": 5, "status": "bogus"})  # as told
    report = server.report()
    assert report["ok"] is False
    by_loc = {tuple(v["loc"]): v for v in report["violations"]}
    assert set(by_loc) == {("response", "id"), ("response", "status")}
    assert {v["source"] for v in by_loc.values()} == {"override"}
    assert by_loc["response", "id"]["type"] == "string_type"
    assert by_loc["response", "status"]["type"] == "enum"
    assert by_loc["response", "id"]["message"].startswith(
        "retrieve_batch (GET /v1/messages/batches/{batch_id}), answered by an override: "
        "5 is not of type 'string'"
    )
    assert by_loc["response", "id"]["message"].endswith("On response['id']")
    [entry] = server.requests()
    assert {(tuple(v["loc"]), v["source"]) for v in entry["violations"]} == {
        (("response", "id"), "override"),
        (("response", "status"), "override"),
    }


def test_a_documented_error_status_is_checked_against_its_schema(
    server: MockServer, http: httpx.Client
) -> None:
    server.override("list_batches", lambda _request: MockResponse(status=422, body={"detail": "no"}))

    ok(http.get(BATCHES), 422)

    [violation] = server.report()["violations"]
    assert (violation["loc"], violation["type"], violation["source"]) == (
        ["response", "detail"],
        "list_type",
        "override",
    )


def test_a_valid_answer_and_an_undocumented_status_report_nothing(
    server: MockServer, http: httpx.Client
) -> None:
    server.override("retrieve_batch", lambda _request: FIVE[0])
    server.override("list_jobs", lambda _request: MockResponse(status=503, body={"detail": "down"}))

    assert ok(http.get(f"{BATCHES}/{UNKNOWN_BATCH}")) == FIVE[0]
    assert ok(http.get("/v1/jobs/"), 503) == {"detail": "down"}  # no schema documented for a 503
    assert server.report()["violations"] == []


def test_the_plugin_fails_the_test_at_teardown_for_an_overrides_violation(
    server: MockServer, http: httpx.Client
) -> None:
    for expected in (False, True):
        settings: Any = SimpleNamespace(timeout=0, expect_violations=expected, config={}, test="t")
        teardown = _use(server, "letta_mock", settings)
        next(teardown)
        server.override("retrieve_batch", lambda _request: {"id": 5})
        http.get(f"{BATCHES}/{UNKNOWN_BATCH}")
        if expected:
            with pytest.raises(StopIteration):
                next(teardown)
            continue
        with pytest.raises(ContractViolation, match=r"answered by an override: 5 is not of type 'string'"):
            next(teardown)


def test_sdk_auto_paging_over_an_overridden_list_visits_each_item_once(
    server: MockServer, sdk: Letta
) -> None:
    seen: list[dict[str, Any]] = []

    def five(request: MockRequest) -> list[dict[str, Any]]:
        seen.append(dict(request.query))
        return FIVE

    server.override("list_batches", five)

    walked = [batch.id for batch in sdk.batches.list(limit=2)]

    assert walked == IDS[::-1]  # newest first, the default order
    assert [query.get("after") for query in seen] == [None, IDS[3], IDS[1], IDS[0]]
    assert [batch.id for batch in sdk.batches.list(limit=2, order="asc")] == IDS
    assert server.report()["violations"] == []


def test_cursors_and_limits_page_an_overridden_list(server: MockServer, http: httpx.Client) -> None:
    server.override("list_batches", lambda _request: MockResponse(body=FIVE, headers={"x-from": "override"}))

    first = http.get(BATCHES, params={"limit": 2, "order": "asc"})
    assert [b["id"] for b in ok(first)] == IDS[:2]
    assert first.headers["x-from"] == "override"
    assert [b["id"] for b in ok(http.get(BATCHES, params={"after": IDS[1], "order": "asc"}))] == IDS[2:]
    assert [b["id"] for b in ok(http.get(BATCHES, params={"before": IDS[3], "limit": 2}))] == IDS[4:3:-1]
    assert ok(http.get(BATCHES, params={"limit": 0})) == FIVE[::-1]  # 0 is "no limit" on batches


def test_paginate_false_sends_the_page_as_it_is(server: MockServer, http: httpx.Client) -> None:
    server.override("list_batches", lambda _request: MockResponse(body=FIVE, paginate=False))

    assert ok(http.get(BATCHES, params={"limit": 2})) == FIVE


def test_lists_without_cursors_and_error_answers_are_not_paged(
    server: MockServer, http: httpx.Client
) -> None:
    spans = [{"span": index} for index in range(5)]
    server.override("retrieve_trace_for_run", lambda _request: spans)
    server.override("list_runs", lambda _request: MockResponse(status=422, body={"detail": []}))
    run_id = "run-00000000-0000-4000-8000-000000000000"

    assert ok(http.get(f"/v1/runs/{run_id}/trace", params={"limit": 2})) == spans
    assert ok(http.get("/v1/runs/", params={"limit": 1}), 422) == {"detail": []}
