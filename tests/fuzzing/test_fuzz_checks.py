"""`letta-mockserver fuzz` can fail: it says what it could not check, and why.

A server that refuses every request, a base URL under which nothing exists, and by-id
operations that only ever meet 404 must not pass as "0 findings".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver import MockServer, default_table
from mockserver._fuzzing.report import Finding, OperationResult, outcome

from .support import serving
from .test_fuzz_command import fuzz

ServerFactory = Callable[..., MockServer]

KEY = "s3cret"
BY_ID = [op_id for op_id, op in default_table().items() if op.params_in("path")]
"""The operations that need an existing id: those with a path parameter."""
RUN = "run-00000000-0000-4000-8000-000000000001"


def report(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# -- authentication ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed(server_factory: ServerFactory) -> str:
    # Stateful: in stateless mode the mock does not enforce --api-key at present (see the report).
    return server_factory(mode="stateful", clock="manual", api_key=KEY).url


def test_a_server_refusing_every_request_is_reported_as_unauthenticated(keyed: str) -> None:
    result = fuzz("--base-url", keyed, "--operations", "list_runs,retrieve_batch", "--examples", "3")
    assert result.returncode == 1, result.stdout
    assert "[unauthenticated] could not authenticate: 9 of 9 answers were 401" in result.stdout
    assert "--api-key KEY" in result.stdout
    assert "--header 'Name: value'" in result.stdout
    assert "0 response bodies validated" in result.stdout
    assert "success bodies never checked: list_runs, retrieve_batch" in result.stdout


@pytest.mark.parametrize(
    "credentials",
    [
        ["--api-key", KEY],
        ["--header", f"Authorization: Bearer {KEY}"],
        ["--header", f"X-BARE-PASSWORD: password {KEY}"],  # the real server's other scheme
    ],
)
@pytest.mark.slow
def test_with_the_key_the_same_server_passes(keyed: str, credentials: list[str]) -> None:
    result = fuzz(
        "--base-url", keyed, "--operations", "list_runs,retrieve_batch", "--examples", "3", *credentials
    )
    assert result.returncode == 0, result.stdout
    assert "0 finding(s) in 9 request(s)" in result.stdout
    assert "never checked" not in result.stdout


# -- a wrong base URL --------------------------------------------------------------------------


def test_a_base_url_with_v1_is_named_as_the_likely_cause(stateless_server: MockServer) -> None:
    result = fuzz(
        "--base-url",
        stateless_server.url + "/v1",
        "--operations",
        "list_runs,retrieve_run",
        "--examples",
        "2",
    )
    assert result.returncode == 1, result.stdout
    assert "[wrong_base_url] every answer to the operations without a path parameter (list_runs) was 404" in (
        result.stdout
    )
    assert "it has the path '/v1'" in result.stdout
    assert f"try --base-url {stateless_server.url}" in result.stdout


# -- real ids for by-id operations -------------------------------------------------------------


@pytest.mark.slow
def test_an_empty_stateful_mock_gets_its_by_id_200_bodies_validated() -> None:
    with MockServer(mode="stateful", clock="manual") as server:
        before = httpx.get(server.url + "/v1/messages/batches").json()
        result = fuzz("--base-url", server.url, "--operations", ",".join(BY_ID), "--examples", "4", "--json")
    assert before == []
    assert result.returncode == 0, result.stdout
    document = report(result)
    checked = {row["operation_id"]: row["success_checked"] for row in document["operations"]}
    assert all(count > 0 for count in checked.values()), checked
    assert document["findings"] == []
    assert document["bodies_checked"] == sum(row["checked"] for row in document["operations"])
    assert [kind for kind in document["ids"] if document["ids"][kind]] == [
        "created batch_id",
        "created job_id",
        "created run_id",
    ]
    assert any("seeded run" in note for note in document["notes"])


@pytest.mark.slow
def test_cancel_and_delete_never_touch_records_the_fuzzer_did_not_create() -> None:
    with MockServer(mode="stateful", clock="manual") as server:
        body = {"requests": [{"agent_id": "agent-00000000-0000-4000-8000-000000000000", "input": "hi"}]}
        theirs = httpx.post(server.url + "/v1/messages/batches", json=body).json()["id"]
        result = fuzz(
            "--base-url",
            server.url,
            "--operations",
            "retrieve_batch,cancel_batch,delete_job",
            "--examples",
            "4",
            "--json",
        )
        after = httpx.get(f"{server.url}/v1/messages/batches/{theirs}")
    assert result.returncode == 0, result.stdout
    assert after.status_code == 200
    assert after.json()["status"] == "created"
    document = report(result)
    assert document["ids"]["existing batch_id"] == [theirs]
    [ours] = document["ids"]["created batch_id"]
    assert ours != theirs


# -- a server that is not letta-mockserver -----------------------------------------------------


def _refused(where: str) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": [where], "msg": "Input is not valid", "type": "invalid"}]}, 422)


async def _no_runs(request: Request) -> JSONResponse:
    # A server that validates what the fuzzer breaks on purpose (`limit`, `order`), and has no runs.
    if not request.query_params.get("limit", "0").isdigit():
        return _refused("limit")
    if request.query_params.get("order", "asc") not in ("asc", "desc"):
        return _refused("order")
    return JSONResponse([])


async def _unknown_run(request: Request) -> JSONResponse:
    return JSONResponse({"detail": f"Run not found with id='{request.path_params['run_id']}'"}, 404)


async def _finished_runs(_request: Request) -> JSONResponse:
    return JSONResponse([{"id": RUN, "agent_id": "agent-1", "status": "completed", "background": True}])


async def _bad_stream(request: Request) -> Response:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _refused("body")
    if not isinstance(body, dict):
        return _refused("body")
    # `message_type` names no documented event.
    return Response('data: {"message_type": "nonsense"}\n\ndata: [DONE]\n\n', media_type="text/event-stream")


@pytest.mark.slow
def test_by_id_operations_without_ids_say_why_their_bodies_went_unchecked() -> None:
    app = Starlette(routes=[Route("/v1/runs/", _no_runs), Route("/v1/runs/{run_id}", _unknown_run)])
    with serving(app) as url:
        failing = fuzz("--base-url", url, "--operations", "list_runs,retrieve_run", "--examples", "3")
        allowed = fuzz(
            "--base-url",
            url,
            "--operations",
            "list_runs,retrieve_run",
            "--examples",
            "3",
            "--allow-no-success",
        )
    assert failing.returncode == 1, failing.stdout
    assert "note: no runs: runs cannot be created through the API" in failing.stdout
    assert (
        "- retrieve_run [no_success] no documented 2xx answer was validated (answers: 404: 3);"
        " the server listed none, and runs cannot be created through the API"
    ) in failing.stdout
    assert "1 operation(s): success bodies never checked: retrieve_run" in failing.stdout
    assert allowed.returncode == 0, allowed.stdout
    assert "success bodies never checked (allowed by --allow-no-success): retrieve_run" in allowed.stdout


def test_stream_events_are_validated_one_by_one() -> None:
    app = Starlette(
        routes=[
            Route("/v1/runs/", _finished_runs),
            Route("/v1/runs/{run_id}/stream", _bad_stream, methods=["POST"]),
        ]
    )
    with serving(app) as url:
        result = fuzz("--base-url", url, "--operations", "retrieve_stream_for_run", "--examples", "2")
    assert result.returncode == 1, result.stdout
    assert "retrieve_stream_for_run [response_schema] 200 response.event.0" in result.stdout
    # Two valid requests (one with the listed run) and their two broken twins (422).
    assert "| retrieve_stream_for_run | 4 | 2 | 4 | 2 |" in result.stdout


# -- the rules, on their own -------------------------------------------------------------------


def _result(name: str, statuses: dict[int, int], *, by_id: bool = False, checked: int = 0) -> OperationResult:
    return OperationResult(
        name, has_path_params=by_id, sent=sum(statuses.values()), statuses=statuses, success_checked=checked
    )


def test_nearly_all_401_is_unauthenticated_and_a_few_public_routes_do_not_hide_it() -> None:
    results = [_result("list_runs", {401: 95}), _result("list_jobs", {200: 5}, checked=5)]
    judged = outcome(results, "http://h", allow_no_success=True)
    assert [f.kind for f in judged.run_findings] == ["unauthenticated"]
    assert judged.exit_status == 1  # --allow-no-success does not excuse it


def test_no_success_fails_the_run_unless_allowed() -> None:
    def judged(allow: bool) -> int:
        results = [_result("list_runs", {200: 3}, checked=3), _result("retrieve_run", {404: 3}, by_id=True)]
        return outcome(results, "http://h", allow_no_success=allow).exit_status

    assert (judged(False), judged(True)) == (1, 0)


def test_any_other_finding_fails_even_when_no_success_is_allowed() -> None:
    result = _result("list_runs", {500: 1})
    result.findings.append(Finding("list_runs", "server_error", "500: boom", "GET /v1/runs/"))
    assert outcome([result], "http://h", allow_no_success=True).exit_status == 1
