"""The request journal (``/_mock/requests``) and the contract report (``/_mock/report``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from mockserver import MockServer

from .support import AGENT_X, BATCHES, UNKNOWN_BATCH, create_batch, ok

ServerFactory = Callable[..., MockServer]
ENTRY_KEYS = {
    "seq",
    "at",
    "method",
    "path",
    "query",
    "headers",
    "body",
    "status",
    "duration_ms",
    "operation_id",
    "violations",
    "fault",
    "deviations",
    "response_body",
    "replayed",
}
BAD_AGENT = {"requests": [{"agent_id": "agent-1", "messages": [{"role": "user", "content": "hi"}]}]}
AGENT_PATTERN = "^agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


def test_an_entry_carries_the_request_its_answer_and_its_operation(
    server: MockServer, http: httpx.Client
) -> None:
    body = {"requests": [{"agent_id": AGENT_X, "input": "hi"}]}
    http.post(BATCHES, json=body, headers={"x-trace": "t-1"})
    http.get("/v1/runs/", params={"limit": 2, "order": "asc"})

    posted, listed = server.requests()

    assert set(posted) == ENTRY_KEYS
    assert (posted["method"], posted["path"], posted["query"], posted["status"]) == ("POST", BATCHES, "", 200)
    assert json.loads(posted["body"]) == body
    assert json.loads(posted["response_body"])["status"] == "created"
    assert posted["headers"]["x-trace"] == "t-1"
    assert posted["headers"]["content-type"] == "application/json"
    assert (posted["operation_id"], posted["violations"], posted["fault"]) == ("create_batch", [], None)
    assert isinstance(posted["duration_ms"], float)
    assert posted["duration_ms"] >= 0
    assert (listed["method"], listed["path"], listed["query"], listed["body"]) == (
        "GET",
        "/v1/runs/",
        "limit=2&order=asc",
        "",
    )
    assert listed["operation_id"] == "list_runs"
    assert listed["seq"] == posted["seq"] + 1
    assert listed["at"] >= posted["at"]


def test_an_entry_lists_the_violations_of_a_refused_request(server: MockServer, http: httpx.Client) -> None:
    http.post(BATCHES, json=BAD_AGENT)

    [entry] = server.requests()

    assert entry["status"] == 422
    assert entry["violations"] == [
        {
            "loc": ["body", "requests", 0, "agent_id"],
            "msg": "String should have at least 42 characters",
            "type": "string_too_short",
            "ctx": {"min_length": 42},
            "source": "request",
        },
        {
            "loc": ["body", "requests", 0, "agent_id"],
            "msg": f"String should match pattern '{AGENT_PATTERN}'",
            "type": "string_pattern_mismatch",
            "ctx": {"pattern": AGENT_PATTERN},
            "source": "request",
        },
    ]


def test_control_requests_are_not_journaled(server: MockServer, http: httpx.Client) -> None:
    server.clock()
    server.seed_run(agent_id=AGENT_X)
    http.get("/_mock/requests")

    assert server.requests() == []


def test_journal_filters_by_operation_status_and_since(server: MockServer, http: httpx.Client) -> None:
    created = create_batch(http, AGENT_X)
    http.get(f"{BATCHES}/{created['id']}")
    http.get(f"{BATCHES}/{UNKNOWN_BATCH}")
    http.get("/v1/runs/")
    first, second, third, fourth = (entry["seq"] for entry in server.requests())

    def seqs(entries: list[dict[str, object]]) -> list[object]:
        return [entry["seq"] for entry in entries]

    assert seqs(server.requests(operation="retrieve_batch")) == [second, third]
    assert seqs(server.requests(status=404)) == [third]
    assert seqs(server.requests(operation="retrieve_batch", status=200)) == [second]
    assert seqs(server.requests(since=second)) == [third, fourth]
    assert seqs(server.requests(operation="list_jobs")) == []

    def over_http(**params: str | int) -> list[object]:
        return seqs(ok(http.get("/_mock/requests", params=params))["requests"])

    assert over_http(operation="retrieve_batch", status=404) == [third]
    assert over_http(since=first, limit=2) == [third, fourth]  # `limit` keeps the newest
    assert over_http(status=200, limit=1) == [fourth]


def test_journal_keeps_only_the_last_journal_size_entries(server_factory: ServerFactory) -> None:
    small = server_factory(mode="stateful", clock="manual", journal_size=5)
    small.reset()
    with httpx.Client(base_url=small.url, timeout=10) as http:
        for limit in range(1, 21):
            http.get("/v1/runs/", params={"limit": limit})

    kept = small.requests()

    assert [entry["query"] for entry in kept] == [f"limit={n}" for n in range(16, 21)]
    assert [entry["seq"] for entry in kept] == list(
        range(small.last_request_seq() - 4, small.last_request_seq() + 1)
    )
    assert small.report()["exercised"] == {"list_runs": {"200": 20}}  # counts are not bounded
    small.reset()


# -- the report --------------------------------------------------------------------------------


def test_report_counts_exercised_operations_and_codes_and_lists_the_others(
    server: MockServer, http: httpx.Client
) -> None:
    created = create_batch(http, AGENT_X)
    http.get(f"{BATCHES}/{created['id']}")
    http.get(f"{BATCHES}/{created['id']}")
    http.get(f"{BATCHES}/{UNKNOWN_BATCH}")
    http.get("/v1/runs/")

    report = server.report()

    assert report["exercised"] == {
        "create_batch": {"200": 1},
        "retrieve_batch": {"200": 2, "404": 1},
        "list_runs": {"200": 1},
    }
    assert report["not_exercised"] == [
        "list_batches",
        "list_messages_for_batch",
        "cancel_batch",
        "list_active_runs",
        "retrieve_run",
        "delete_run",
        "list_messages_for_run",
        "retrieve_usage_for_run",
        "retrieve_metrics_for_run",
        "list_steps_for_run",
        "retrieve_trace_for_run",
        "retrieve_stream_for_run",
        "list_jobs",
        "list_active_jobs",
        "retrieve_job",
        "delete_job",
        "cancel_job",
    ]
    assert (report["violations"], report["ok"]) == ([], True)
    assert ok(http.get("/_mock/report")) == report


def test_report_renders_violations_like_jsonschema_with_the_operation_label(
    server: MockServer, http: httpx.Client
) -> None:
    http.post(BATCHES, json=BAD_AGENT)
    http.get("/v1/runs/", params={"limit": 0})

    report = server.report()

    assert report["ok"] is False
    assert report["exercised"] == {"create_batch": {"422": 1}, "list_runs": {"422": 1}}
    too_short, pattern, zero = report["violations"]
    assert too_short["message"] == (
        "create_batch (POST /v1/messages/batches): 'agent-1' is too short\n\n"
        "Failed validating 'minLength' in schema['properties']['requests']['items']['properties']['agent_id']"
        "\n\nOn body['requests'][0]['agent_id']"
    )
    assert (too_short["operation_id"], too_short["method"], too_short["path"]) == (
        "create_batch",
        "POST",
        BATCHES,
    )
    assert too_short["schema_path"] == "properties/requests/items/properties/agent_id/minLength"
    assert pattern["message"].startswith(
        f"create_batch (POST /v1/messages/batches): 'agent-1' does not match '{AGENT_PATTERN}'"
    )
    assert zero["message"] == (
        "list_runs (GET /v1/runs/): 0 is less than the minimum of 1\n\n"
        "Failed validating 'minimum' in schema['anyOf'][0]\n\nOn query['limit']"
    )


def test_report_since_keeps_only_later_violations(server: MockServer, http: httpx.Client) -> None:
    http.post(BATCHES, json=BAD_AGENT)
    since = server.last_request_seq()
    http.get("/v1/runs/", params={"limit": 0})

    later = server.report(since=since)

    assert [v["operation_id"] for v in later["violations"]] == ["list_runs"]
    assert ok(http.get("/_mock/report", params={"since": since})) == later
    assert server.report(since=server.last_request_seq())["ok"] is True


@pytest.mark.parametrize("status", [201, 500])
def test_answers_from_overrides_are_journaled_with_their_status(
    server: MockServer, http: httpx.Client, status: int
) -> None:
    from mockserver import MockResponse

    server.override("list_jobs", lambda _request: MockResponse(status=status, body=[]))
    http.get("/v1/jobs/")

    assert [(e["operation_id"], e["status"]) for e in server.requests()] == [("list_jobs", status)]
    assert server.report()["exercised"] == {"list_jobs": {str(status): 1}}
