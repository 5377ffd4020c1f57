"""The proxy in front of a deliberately broken upstream: the report names each deviation and quirk."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from proxy.support import (
    BATCH_ID,
    CANCELLED_RUN,
    JOB_ID,
    RUN_ID,
    SLOW_RUN,
    STALE_RUN,
    BrokenUpstream,
    proxy_to,
)


@pytest.fixture(scope="module")
def broken() -> Iterator[BrokenUpstream]:
    with BrokenUpstream() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def proxy_url(broken: BrokenUpstream) -> Iterator[str]:
    with proxy_to(broken.url, upstream_timeout=0.5) as proxy:
        yield proxy.url


@pytest.fixture
def http(proxy_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy_url, timeout=10) as client:
        client.post("/_mock/reset")
        yield client


def report(http: httpx.Client) -> dict[str, Any]:
    answer: dict[str, Any] = http.get("/_mock/report").json()
    return answer


def test_wrong_types_are_server_deviations_and_the_client_gets_the_answer_unchanged(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "mockserver.requests"):
        answer = http.get(f"/v1/messages/batches/{BATCH_ID}")
    [line] = [r.getMessage() for r in caplog.records if r.name == "mockserver.requests"]
    assert line.startswith(f"GET /v1/messages/batches/{BATCH_ID} 200 ")
    assert " SERVER DEVIATION: /response/created_at: Input should be a valid string;" in line
    assert answer.status_code == 200
    assert answer.json() == {"id": 5, "status": "weird", "metadata": "x", "created_at": 1}
    assert answer.headers["x-upstream"] == "broken"  # x-* headers pass through
    found = report(http)
    assert found["client_violations"] == []
    pointers = {(d["pointer"], d["rule"]) for d in found["server_deviations"]}
    assert {("/id", "string_type"), ("/status", "enum"), ("/created_at", "string_type")} <= pointers
    assert all(
        d["operation_id"] == "retrieve_batch" and d["source"] == "upstream"
        for d in found["server_deviations"]
    )
    rendered = next(d["message"] for d in found["server_deviations"] if d["pointer"] == "/status")
    assert rendered.startswith(
        "retrieve_batch (GET /v1/messages/batches/{batch_id}), answered 200 by the upstream"
    )
    assert "On response['status']" in rendered


def test_the_always_500_routes_show_their_quirks(http: httpx.Client) -> None:
    assert http.delete(f"/v1/runs/{RUN_ID}").status_code == 500
    assert http.patch(f"/v1/jobs/{JOB_ID}/cancel").status_code == 500
    assert http.get(f"/v1/messages/batches/{BATCH_ID}/messages").status_code == 200
    assert http.get(f"/v1/messages/batches/{BATCH_ID}/messages", params={"after": "x"}).status_code == 500
    found = report(http)
    seen = found["quirks_seen"]
    assert set(seen) == {"run-delete-500", "job-cancel-500", "batch-messages-after-500"}
    assert seen["run-delete-500"]["request"] == f"DELETE /v1/runs/{RUN_ID}"
    assert seen["batch-messages-after-500"]["request"].endswith("/messages?after=x")
    entries = http.get("/_mock/requests").json()["requests"]
    after_x = next(e["seq"] for e in entries if e["query"] == "after=x")
    assert seen["batch-messages-after-500"]["seq"] == after_x  # not the first listing, a 200
    rules = [d["rule"] for d in found["server_deviations"]]
    assert rules == ["status", "status", "status"]  # a 500 is no answer the contract documents


def test_a_string_422_detail_is_the_quirk_and_the_request_still_reaches_the_upstream(
    http: httpx.Client, broken: BrokenUpstream
) -> None:
    before = len(broken.requests)
    answer = http.post("/v1/messages/batches", json={"requests": "no"})
    assert answer.status_code == 422
    assert broken.requests[before:] == ["POST /v1/messages/batches"]
    found = report(http)
    assert [v["pointer"] for v in found["client_violations"]] == ["/requests"]
    assert found["client_violations"][0]["part"] == "body"
    assert set(found["quirks_seen"]) == {"validation-detail-string"}
    assert [d["pointer"] for d in found["server_deviations"]] == ["/detail"]


def test_a_malformed_id_is_the_clients_violation_and_still_forwarded(
    http: httpx.Client, broken: BrokenUpstream
) -> None:
    before = len(broken.requests)
    assert http.get("/v1/runs/not-a-run-id").status_code == 404  # the upstream's answer
    assert broken.requests[before:] == ["GET /v1/runs/not-a-run-id"]
    [violation] = report(http)["client_violations"]
    assert violation["rule"] == "semantics"
    assert "Invalid run ID format: not-a-run-id" in violation["message"]


def test_a_dropped_connection_is_a_502_and_journaled(http: httpx.Client, broken: BrokenUpstream) -> None:
    answer = http.get(f"/v1/jobs/{JOB_ID}")
    assert answer.status_code == 502
    detail = answer.json()["detail"]
    assert detail.startswith(f"letta-mockserver proxy: upstream {broken.url} ")
    assert "unreachable" in detail or "broke off" in detail
    entries = http.get("/_mock/requests").json()["requests"]
    assert [(e["path"], e["status"]) for e in entries] == [(f"/v1/jobs/{JOB_ID}", 502)]
    assert [d["rule"] for d in report(http)["server_deviations"]] == ["upstream_unreachable"]


def test_a_get_on_a_kept_alive_connection_the_upstream_dropped_is_sent_again(
    http: httpx.Client, broken: BrokenUpstream
) -> None:
    before = len(broken.requests)
    assert http.get(f"/v1/runs/{STALE_RUN}").status_code == 200
    # Sent on the connection kept alive, dropped there unanswered, then sent again on a new one.
    assert http.get(f"/v1/runs/{STALE_RUN}").status_code == 200
    assert broken.requests[before:] == [
        f"GET /v1/runs/{STALE_RUN}",
        f"dropped: /v1/runs/{STALE_RUN}",
        f"GET /v1/runs/{STALE_RUN}",
    ]


def test_an_unreachable_upstream_is_a_502() -> None:
    with BrokenUpstream() as gone:
        url = gone.url
    with proxy_to(url) as proxy, httpx.Client(base_url=proxy.url) as http:
        answer = http.get(f"/v1/runs/{RUN_ID}")
        assert answer.status_code == 502
        assert answer.json()["detail"].startswith(f"letta-mockserver proxy: upstream {url} unreachable: ")


def test_a_slow_upstream_is_a_504(http: httpx.Client) -> None:
    answer = http.get(f"/v1/runs/{SLOW_RUN}")
    assert answer.status_code == 504
    assert "did not answer within 0.5 s" in answer.json()["detail"]
    assert [d["rule"] for d in report(http)["server_deviations"]] == ["upstream_timeout"]


def test_a_stream_cut_mid_way_passes_what_came_and_names_the_cut(http: httpx.Client) -> None:
    with http.stream("POST", f"/v1/runs/{RUN_ID}/stream", json={}) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in answer.headers
        text = "".join(answer.iter_text())
    assert text.count("assistant_message") == 2  # two whole events, then what came of the cut one
    assert text.endswith('data: {"message_type": "assistant_mes')
    found = report(http)
    rules = [(d["part"], d["pointer"], d["rule"]) for d in found["server_deviations"]]
    assert rules[0][:2] == ("stream", "/1/content")  # the second event, its content
    assert rules[-1][2] == "stream_cut"
    assert "cancelled-stream-no-done" not in found["quirks_seen"]


def test_a_stream_passes_event_by_event_not_buffered_whole(broken: BrokenUpstream) -> None:
    broken.go.clear()
    # The default upstream timeout (60 s): the module's proxy gives up after 0.5 s of silence.
    with proxy_to(broken.url) as proxy, httpx.Client(base_url=proxy.url, timeout=30) as http:
        with http.stream("POST", f"/v1/runs/{SLOW_RUN}/stream", json={}) as answer:
            lines = answer.iter_lines()
            first = next(line for line in lines if line.startswith("data:"))
            assert "assistant_message" in first
            broken.go.set()  # only now does the upstream send the rest
            rest = [line for line in lines if line]
        assert rest == ["data: [DONE]"]
        assert broken.went is True
        assert report(http)["server_deviations"] == []


def test_a_cancelled_runs_stream_without_done_is_the_quirk(http: httpx.Client) -> None:
    text = http.post(f"/v1/runs/{CANCELLED_RUN}/stream", json={}).text
    assert '"stop_reason": "cancelled"' in text
    seen = report(http)["quirks_seen"]
    assert seen["cancelled-stream-no-done"]["request"] == f"POST /v1/runs/{CANCELLED_RUN}/stream"


def test_other_paths_are_404_and_never_reach_the_upstream(http: httpx.Client, broken: BrokenUpstream) -> None:
    before = len(broken.requests)
    for method, path in [
        ("GET", "/v1/agents/"),
        ("GET", "/admin"),
        ("POST", "/v1/runs/"),
        ("GET", "/v1/messages/batches/"),
        ("GET", "/openapi.json"),
    ]:
        answer = http.request(method, path)
        assert answer.status_code in (404, 405), (method, path)
        assert answer.json()["detail"].startswith("letta-mockserver proxy: no operation at")
    assert broken.requests[before:] == []


def test_mock_endpoints_that_need_a_simulation_say_so(http: httpx.Client) -> None:
    for method, path in [("GET", "/_mock/clock"), ("GET", "/_mock/state"), ("POST", "/_mock/runs")]:
        answer = http.request(method, path, json={"agent_id": "x"} if method == "POST" else None)
        assert answer.status_code == 409, path
        assert "needs the simulation, and the proxy has none" in answer.json()["detail"]
    assert http.get("/_mock/faults").status_code == 200
