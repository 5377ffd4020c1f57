"""Routing on a live server: every operation at its exact path, and JSON 404/405 everywhere else."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sse import sse_payloads

from mockserver import OperationTable
from mockserver._contract.resources import data_dir
from mockserver._contract.validation import SchemaSet

JOB_ID = "job-123e4567-e89b-42d3-8456-426614174000"
RUN_ID = "run-3f1c2a9e-7b4d-4c1e-9a2f-5d6e7f8a9b0c"
AGENT_ID = "agent-123e4567-e89b-42d3-8456-426614174000"

# operationId -> (method, URL, request keyword arguments): one valid request per operation.
REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "create_batch": (
        "POST",
        "/v1/messages/batches",
        {"json": {"requests": [{"agent_id": AGENT_ID, "input": "hello"}]}},
    ),
    "list_batches": ("GET", "/v1/messages/batches", {}),
    "retrieve_batch": ("GET", f"/v1/messages/batches/{JOB_ID}", {}),
    "list_messages_for_batch": ("GET", f"/v1/messages/batches/{JOB_ID}/messages", {}),
    "cancel_batch": ("PATCH", f"/v1/messages/batches/{JOB_ID}/cancel", {}),
    "list_runs": ("GET", "/v1/runs/", {}),
    "list_active_runs": ("GET", "/v1/runs/active", {}),
    "retrieve_run": ("GET", f"/v1/runs/{RUN_ID}", {}),
    "delete_run": ("DELETE", f"/v1/runs/{RUN_ID}", {}),
    "list_messages_for_run": ("GET", f"/v1/runs/{RUN_ID}/messages", {}),
    "retrieve_usage_for_run": ("GET", f"/v1/runs/{RUN_ID}/usage", {}),
    "retrieve_metrics_for_run": ("GET", f"/v1/runs/{RUN_ID}/metrics", {}),
    "list_steps_for_run": ("GET", f"/v1/runs/{RUN_ID}/steps", {}),
    "retrieve_trace_for_run": ("GET", f"/v1/runs/{RUN_ID}/trace", {}),
    "retrieve_stream_for_run": ("POST", f"/v1/runs/{RUN_ID}/stream", {"json": {}}),
    "list_jobs": ("GET", "/v1/jobs/", {}),
    "list_active_jobs": ("GET", "/v1/jobs/active", {}),
    "retrieve_job": ("GET", f"/v1/jobs/{JOB_ID}", {}),
    "delete_job": ("DELETE", f"/v1/jobs/{JOB_ID}", {}),
    "cancel_job": ("PATCH", f"/v1/jobs/{JOB_ID}/cancel", {}),
}


def test_every_operation_has_one_request_here(table: OperationTable) -> None:
    """The request table below covers each operation of the table once."""
    assert set(REQUESTS) == set(table)


@pytest.mark.parametrize(("operation_id", "request_"), REQUESTS.items())
def test_operation_answers_at_its_exact_path(
    operation_id: str,
    request_: tuple[str, str, dict[str, Any]],
    http: httpx.Client,
    table: OperationTable,
    strict_schemas: SchemaSet,
) -> None:
    """A valid request at the documented method and path gets 200 with a body matching the success schema."""
    method, url, kwargs = request_
    op = table[operation_id]
    assert op.method == method
    assert op.path_regex.match(url), "the URL is an instance of the documented path"
    response = http.request(method, url, **kwargs)
    assert response.status_code == 200, response.text
    if operation_id == "retrieve_stream_for_run":
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        event_pointer = op.success.media_types["text/event-stream"]
        events = sse_payloads(response.text)
        assert events[-1] == "[DONE]"
        for event in events[:-1]:
            assert strict_schemas.violations(event_pointer, json.loads(event)) == []
    else:
        assert response.headers["content-type"] == "application/json"
        pointer = op.success.json_pointer
        assert pointer is not None
        assert strict_schemas.violations(pointer, response.json()) == []


def test_retrieve_answers_the_requested_id(http: httpx.Client) -> None:
    """Retrieve operations echo the id of the path, so the answer is for the operation that was called."""
    assert http.get(f"/v1/runs/{RUN_ID}").json()["id"] == RUN_ID
    assert http.get(f"/v1/jobs/{JOB_ID}").json()["id"] == JOB_ID
    assert http.get(f"/v1/messages/batches/{JOB_ID}").json()["id"] == JOB_ID


@pytest.mark.parametrize("url", ["/v1/runs/run_id", "/v1/messages/batches/batch_id"])
def test_lenient_server_echoes_any_path_id(url: str, lenient_http: httpx.Client) -> None:
    """Lenient: any path id is echoed, as SDK-generated tests (`retrieve("batch_id")`) expect."""
    assert lenient_http.get(url).json()["id"] == url.rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1/runs"),
        ("GET", "/v1/jobs"),
        ("GET", "/v1/messages/batches/"),
        ("POST", "/v1/messages/batches/"),
        ("GET", f"/v1/runs/{RUN_ID}/"),
    ],
)
def test_other_trailing_slash_spelling_is_a_json_404_not_a_redirect(
    method: str, url: str, http: httpx.Client
) -> None:
    """The spelling with(out) the trailing slash that the API does not document is 404 JSON, never a 307."""
    response = http.request(method, url, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": f"Not Found: no operation at {method} {url}"}


@pytest.mark.parametrize("url", ["/v1/nope", "/v2/runs/", "/latest/runs/", f"/v1/runs/{RUN_ID}/events"])
def test_unknown_path_is_a_json_404_with_detail(url: str, http: httpx.Client) -> None:
    """A path no operation has answers 404 with a JSON `detail` naming the method and path."""
    response = http.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": f"Not Found: no operation at GET {url}"}


def test_the_user_id_header_is_ignored(http: httpx.Client) -> None:
    """The real server picks its actor by `user_id` (400 when malformed); the mock has one user and
    answers the same whatever the header says (docs/fidelity.md)."""
    plain = http.get("/v1/runs/")
    for user in ("user-00000000-0000-4000-8000-000000000000", "not-a-user-id"):
        with_header = http.get("/v1/runs/", headers={"user_id": user})
        assert (with_header.status_code, with_header.json()) == (200, plain.json())


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("PUT", "/v1/runs/", {"GET", "HEAD"}),
        ("DELETE", "/v1/messages/batches", {"GET", "HEAD", "POST"}),
        ("POST", f"/v1/runs/{RUN_ID}", {"GET", "HEAD", "DELETE"}),
        ("GET", f"/v1/runs/{RUN_ID}/stream", {"POST"}),
        ("POST", f"/v1/jobs/{JOB_ID}/cancel", {"PATCH"}),
        ("PATCH", f"/v1/jobs/{JOB_ID}", {"GET", "HEAD", "DELETE"}),
    ],
)
def test_wrong_method_is_a_json_405_with_an_allow_header(
    method: str, url: str, allowed: set[str], http: httpx.Client
) -> None:
    """A known path with an undocumented method answers 405 JSON and lists the allowed methods in `Allow`."""
    response = http.request(method, url)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    detail = response.json()["detail"]
    assert detail.startswith(f"Method Not Allowed: no operation at {method} {url}; allowed: ")


def _contains(outer: Any, inner: Any, where: str = "") -> list[str]:
    """Where ``outer`` lacks or changes something of ``inner`` (objects may gain keys, nothing else)."""
    if isinstance(inner, list) and isinstance(outer, list) and len(inner) == len(outer):
        return [
            p
            for i, (o, n) in enumerate(zip(outer, inner, strict=True))
            for p in _contains(o, n, f"{where}/{i}")
        ]
    if isinstance(inner, dict) and isinstance(outer, dict):
        return [
            problem
            for key, value in inner.items()
            for problem in (
                _contains(outer[key], value, f"{where}/{key}")
                if key in outer
                else [f"{where}/{key}: missing"]
            )
        ]
    return [] if outer == inner else [f"{where}: changed"]


def test_openapi_json_serves_the_shipped_operations_and_schemas_plus_additions_only(
    http: httpx.Client,
) -> None:
    """GET /openapi.json holds every path, operation and component schema of schemas/letta-openapi.json
    unchanged; the mock only adds to them (its own answers, id formats, the control API). The top-level
    `security` is the one part it may drop: without --api-key the mock checks no credentials."""
    response = http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    shipped = json.loads((data_dir("schemas") / "letta-openapi.json").read_text(encoding="utf-8"))
    for key in ("openapi", "info", "servers", "paths", "components"):
        assert _contains(served[key], shipped[key], key) == []
    assert served["paths"] != shipped["paths"], "the served document documents the mock's own answers too"
    validate(served, cls=OpenAPIV31SpecValidator)


def _stream(http: httpx.Client, **kwargs: Any) -> list[Any]:
    response = http.post(f"/v1/runs/{RUN_ID}/stream", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_payloads(response.text)
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]


def test_stream_without_a_body_uses_the_defaults(http: httpx.Client) -> None:
    """An omitted stream body means the defaults: the same events as `{}`, and no 500."""
    without_body = _stream(http)
    assert without_body == _stream(http, json={})
    assert without_body == _stream(http, content=b"", headers={"content-type": "application/json"})
    assert without_body[0]["message_type"] == "ping"


def test_stream_body_options_are_honoured(http: httpx.Client) -> None:
    """`include_pings: false` drops the ping and renumbers nothing (as in stateful mode), and
    `starting_after` skips the events up to that seq_id."""
    everything = _stream(http, json={})
    assert [event.get("seq_id") for event in everything[:3]] == [1, 2, 3]
    without_pings = _stream(http, json={"include_pings": False})
    assert without_pings == [event for event in everything if event["message_type"] != "ping"]
    assert _stream(http, json={"starting_after": 2}) == everything[2:]
    assert _stream(http, json={"starting_after": 1000}) == []


@pytest.mark.parametrize("url", [f"/v1/messages/batches/{JOB_ID}/cancel", f"/v1/jobs/{JOB_ID}/cancel"])
def test_cancel_with_json_content_type_and_an_empty_body_is_200(url: str, http: httpx.Client) -> None:
    """PATCH .../cancel with `Content-Type: application/json` and no body (as SDKs send it) is 200."""
    response = http.patch(url, content=b"", headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def test_head_is_answered_like_get_without_a_body(http: httpx.Client) -> None:
    """HEAD on a GET operation is 200 with no body."""
    response = http.head("/v1/runs/")
    assert response.status_code == 200
    assert response.content == b""
