"""The proxy in front of the mock itself, in both profiles: the SDK works through it unchanged, the
contract profile shows no deviation and no quirk, and letta-oss shows each of its quirks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from letta_client import AsyncLetta, Letta

from mockserver import MockServer
from mockserver._contract.quirks import NAMES
from mockserver._recording.exchange import Exchange
from proxy.support import proxy_to

AGENT = "agent-00000000-0000-4000-8000-000000000001"
SECRET = "sk-let-very-secret-0123456789"


@pytest.fixture(scope="module", params=["contract", "letta-oss"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[MockServer, MockServer]]:
    """The mock (manual clock, the profile) as upstream, and a proxy in front of it."""
    with (
        MockServer(clock="manual", profile=request.param, quiet=True) as upstream,
        proxy_to(upstream.url) as proxy,
    ):
        yield upstream, proxy


@pytest.fixture
def upstream(pair: tuple[MockServer, MockServer]) -> MockServer:
    pair[0].reset()
    pair[1].reset()
    return pair[0]


@pytest.fixture
def proxy(pair: tuple[MockServer, MockServer], upstream: MockServer) -> MockServer:
    return pair[1]


def client(proxy: MockServer) -> Letta:
    return Letta(base_url=proxy.url, api_key=SECRET, max_retries=0)


def make_batch(sdk: Letta, text: str = "hi") -> Any:
    return sdk.batches.create(requests=[{"agent_id": AGENT, "messages": [{"role": "user", "content": text}]}])


def profile_of(upstream: MockServer) -> str:
    return str(upstream.config.profile)


def test_the_sdk_works_through_the_proxy(upstream: MockServer, proxy: MockServer) -> None:
    sdk = client(proxy)
    made = make_batch(sdk)
    assert sdk.batches.retrieve(made.id).id == made.id
    run = upstream.seed_run(agent_id=AGENT)
    assert sdk.runs.retrieve(run["id"]).id == run["id"]
    upstream.advance(10)
    assert sdk.runs.retrieve(run["id"]).status == "completed"
    assert sdk.runs.usage.retrieve(run["id"]) is not None
    report = proxy.report()
    assert report["client_violations"] == []
    assert {"create_batch", "retrieve_batch", "retrieve_run", "retrieve_usage_for_run"} <= set(
        report["exercised"]
    )


def test_a_run_stream_passes_through(upstream: MockServer, proxy: MockServer) -> None:
    run = upstream.seed_run(agent_id=AGENT)
    upstream.advance(10)
    events = list(client(proxy).runs.messages.stream(run["id"], include_pings=False))
    kinds = [event.message_type for event in events]
    assert "stop_reason" in kinds
    assert "usage_statistics" in kinds
    report = proxy.report()
    assert report["server_deviations"] == []
    journaled = proxy.requests(operation="retrieve_stream_for_run")
    assert [entry["status"] for entry in journaled] == [200]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_sdk_works_through_the_proxy(
    upstream: MockServer, proxy: MockServer, anyio_backend: str
) -> None:
    async with AsyncLetta(base_url=proxy.url, api_key=SECRET, max_retries=0) as sdk:
        made = await sdk.batches.create(
            requests=[{"agent_id": AGENT, "messages": [{"role": "user", "content": "hi"}]}]
        )
        assert (await sdk.batches.retrieve(made.id)).id == made.id
        run = upstream.seed_run(agent_id=AGENT)
        upstream.advance(10)
        stream = await sdk.runs.messages.stream(run["id"], include_pings=False)
        kinds = [event.message_type async for event in stream]
        assert kinds[-1] in ("usage_statistics", "stop_reason")


def test_credentials_never_reach_the_journal_or_the_report(upstream: MockServer, proxy: MockServer) -> None:
    with httpx.Client(base_url=proxy.url) as http:
        http.get(
            "/v1/runs/", params={"api_key": SECRET, "limit": 1}, headers={"Authorization": f"Bearer {SECRET}"}
        )
        http.get("/v1/jobs/", params={"token": SECRET}, headers={"X-BARE-PASSWORD": f"password {SECRET}"})
        http.post(
            "/v1/messages/batches", json={"requests": []}, headers={"Authorization": f"Bearer {SECRET}"}
        )
        journal = http.get("/_mock/requests").text
        report = http.get("/_mock/report").text
    assert SECRET not in journal
    assert SECRET not in report
    assert "[redacted]" in journal
    # ...and the upstream got them: the proxy passes the client's own credentials through.
    seen = upstream.requests(operation="list_runs")
    assert seen[-1]["headers"]["authorization"] == f"Bearer {SECRET}"


def test_the_contract_profile_shows_no_quirk_and_letta_oss_shows_each(
    upstream: MockServer, proxy: MockServer
) -> None:
    oss = profile_of(upstream) == "letta-oss"
    sdk = client(proxy)
    with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {SECRET}"}) as http:
        # naive-timestamps, batch-list-active-only, batch-cancel-unguarded; batch-polling-off (a scenario
        # finishes the batch where the real server's poller is off) and callback-url-none-string
        upstream.add_scenario({"next_batches": 1}, status="completed", duration=5)
        done = make_batch(sdk, "done")
        upstream.advance(10)
        assert sdk.batches.retrieve(done.id).status == "completed"
        listed = [b["id"] for b in http.get("/v1/messages/batches").json()]
        assert (done.id in listed) != oss
        http.patch(f"/v1/messages/batches/{done.id}/cancel")
        assert http.get(f"/v1/messages/batches/{done.id}").json()["status"] == (
            "cancelled" if oss else "completed"
        )
        # job-cursors-chronological: after=<the middle one> under the default order (desc)
        made = []
        for n in range(3):
            made.append(make_batch(sdk, f"#{n}").id)
            upstream.advance(0.01)
        http.get("/v1/messages/batches", params={"order": "asc"})
        http.get("/v1/messages/batches", params={"after": made[1], "limit": 5})
        # job-cursors-crossed-400: before names an older batch than after
        http.get("/v1/messages/batches", params={"before": made[0], "after": made[2]})
        # batch-messages-before-ignored: before=<the first message> answers that message again
        first = http.get(f"/v1/messages/batches/{done.id}/messages").json()["messages"][0]["id"]
        http.get(f"/v1/messages/batches/{done.id}/messages", params={"before": first})
        # run-cursors-inverted
        runs = []
        for _ in range(3):
            runs.append(upstream.seed_run(agent_id=AGENT)["id"])
            upstream.advance(0.01)
        http.get("/v1/runs/", params={"limit": 10})
        http.get("/v1/runs/", params={"after": runs[1], "limit": 5})
        # validation-detail-string
        assert http.post("/v1/messages/batches", json={"requests": "no"}).status_code == 422
        # the three always-500 routes
        http.get(f"/v1/messages/batches/{done.id}/messages", params={"after": "message-x"})
        run = upstream.seed_run(agent_id=AGENT)
        assert http.delete(f"/v1/runs/{run['id']}").status_code == (500 if oss else 200)
        job = upstream.seed_job()
        assert http.patch(f"/v1/jobs/{job['id']}/cancel").status_code == (500 if oss else 200)
        # cancelled-stream-no-done
        cancelled = upstream.seed_run(agent_id=AGENT, status="cancelled", background=True)
        http.post(f"/v1/runs/{cancelled['id']}/stream", json={"include_pings": False})
        # stream-without-body-500; run-retrieve-duration-null (the list first); owner-ids (on every batch)
        http.post(f"/v1/runs/{cancelled['id']}/stream")
        upstream.advance(10)  # the runs finish: the list has their durations
        http.get("/v1/runs/", params={"limit": 50})
        http.get(f"/v1/runs/{runs[0]}")
    report = proxy.report()
    assert report["client_violations"] != []  # the 422 request's own
    assert {v["operation_id"] for v in report["client_violations"]} == {"create_batch"}
    seen = report["quirks_seen"]
    if not oss:
        assert seen == {}
        assert [d for d in report["server_deviations"] if d["status"] != 404] == []
        return
    assert set(seen) == {
        "naive-timestamps",
        "batch-list-active-only",
        "batch-cancel-unguarded",
        "job-cursors-chronological",
        "run-cursors-inverted",
        "validation-detail-string",
        "batch-messages-after-500",
        "run-delete-500",
        "job-cancel-500",
        "cancelled-stream-no-done",
        "batch-polling-off",
        "callback-url-none-string",
        "job-cursors-crossed-400",
        "batch-messages-before-ignored",
        "stream-without-body-500",
        "run-retrieve-duration-null",
        "owner-ids",
    }
    assert set(seen) == set(NAMES)  # every quirk of the catalogue, each shown by this one session
    assert seen["naive-timestamps"]["request"] == f"GET /v1/messages/batches/{done.id}"
    assert seen["job-cursors-chronological"]["request"] == f"GET /v1/messages/batches?after={made[1]}&limit=5"
    assert seen["run-cursors-inverted"]["request"].startswith(f"GET /v1/runs/?after={runs[1]}")
    assert done.id in seen["batch-cancel-unguarded"]["evidence"]
    deviated = {(d["operation_id"], d["rule"]) for d in report["server_deviations"]}
    assert ("retrieve_batch", "datetime_parsing") in deviated  # the naive completed_at, by the schema
    assert ("create_batch", "list_type") in deviated  # the string detail
    assert ("delete_run", "status") in deviated


def test_every_exchange_reaches_the_sinks_whole_and_redacted(upstream: MockServer, proxy: MockServer) -> None:
    exchanges: list[Exchange] = []
    context = proxy._app.state.proxy  # the seam `--record` plugs into
    context.exchange_sinks.append(exchanges.append)
    try:
        run = upstream.seed_run(agent_id=AGENT)
        upstream.advance(10)
        with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {SECRET}"}) as http:
            http.get(f"/v1/runs/{run['id']}", params={"api_key": SECRET})
            streamed = http.post(f"/v1/runs/{run['id']}/stream", json={"include_pings": False}).text
            http.get("/not-an-operation")
    finally:
        context.exchange_sinks.remove(exchanges.append)
    assert [(e.method, e.operation_id, e.status) for e in exchanges] == [
        ("GET", "retrieve_run", 200),
        ("POST", "retrieve_stream_for_run", 200),
    ]
    retrieved, stream = exchanges
    assert retrieved.query == "api_key=%5Bredacted%5D"
    assert retrieved.header("authorization", response=False) == "[redacted]"
    assert json.loads(retrieved.response_body)["id"] == run["id"]
    assert stream.response_body.decode() == streamed  # the whole stream, as the client got it
    assert stream.header("content-type", response=True) is not None
    assert stream.request_body == b'{"include_pings":false}'
    assert SECRET not in repr(exchanges)
