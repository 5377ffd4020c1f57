"""Bad requests and the exact bodies they get, at each validation level."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

AGENT_ID = "agent-123e4567-e89b-42d3-8456-426614174000"
JOB_ID = "job-123e4567-e89b-42d3-8456-426614174000"
RUN_ID = "run-3f1c2a9e-7b4d-4c1e-9a2f-5d6e7f8a9b0c"
JSON = {"content-type": "application/json"}
AGENT_PATTERN = "^agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
JOB_PATTERN = "^job-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
STOP_REASONS = (
    "'end_turn', 'error', 'llm_api_error', 'invalid_llm_response', 'invalid_tool_call', 'max_steps', "
    "'max_tokens_exceeded', 'no_tool_call', 'tool_rule', 'cancelled', 'insufficient_credits', "
    "'requires_approval' or 'context_window_overflow_in_system_prompt'"
)


def _batch(**fields: Any) -> dict[str, Any]:
    return {"requests": [{"agent_id": AGENT_ID, "input": "hello", **fields}]}


# id -> (method, URL, request keyword arguments, the exact `detail` list of the 422)
BAD_REQUESTS: dict[str, tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = {
    "create_batch without a body": (
        "POST",
        "/v1/messages/batches",
        {},
        [{"loc": ["body"], "msg": "Field required", "type": "missing"}],
    ),
    "create_batch without requests": (
        "POST",
        "/v1/messages/batches",
        {"json": {"callback_url": "https://example.com/cb"}},
        [{"loc": ["body", "requests"], "msg": "Field required", "type": "missing"}],
    ),
    "create_batch with a short, malformed agent_id": (
        "POST",
        "/v1/messages/batches",
        {"json": {"requests": [{"agent_id": "agent-1", "input": "hello"}]}},
        [
            {
                "loc": ["body", "requests", 0, "agent_id"],
                "msg": "String should have at least 42 characters",
                "type": "string_too_short",
                "ctx": {"min_length": 42},
            },
            {
                "loc": ["body", "requests", 0, "agent_id"],
                "msg": f"String should match pattern '{AGENT_PATTERN}'",
                "type": "string_pattern_mismatch",
                "ctx": {"pattern": AGENT_PATTERN},
            },
        ],
    ),
    "create_batch with a 42-character agent_id that is not a uuid4": (
        "POST",
        "/v1/messages/batches",
        {"json": _batch(agent_id="agent-123e4567-e89b-12d3-a456-426614174000")},
        [
            {
                "loc": ["body", "requests", 0, "agent_id"],
                "msg": f"String should match pattern '{AGENT_PATTERN}'",
                "type": "string_pattern_mismatch",
                "ctx": {"pattern": AGENT_PATTERN},
            }
        ],
    ),
    "create_batch with a callback_url that is not a URL": (
        "POST",
        "/v1/messages/batches",
        {"json": {**_batch(), "callback_url": "not a url"}},
        [
            {
                "loc": ["body", "callback_url"],
                "msg": "Input should be a valid URL, relative URL without a base",
                "type": "url_parsing",
                "ctx": {"error": "relative URL without a base"},
            }
        ],
    ),
    "create_batch with a callback_url that is not http(s)": (
        "POST",
        "/v1/messages/batches",
        {"json": {**_batch(), "callback_url": "ftp://files.example.com/done"}},
        [
            {
                "loc": ["body", "callback_url"],
                "msg": "URL scheme should be 'http' or 'https'",
                "type": "url_scheme",
                "ctx": {"expected_schemes": "'http' or 'https'"},
            }
        ],
    ),
    "create_batch with a request that has neither input nor messages": (
        "POST",
        "/v1/messages/batches",
        {"json": {"requests": [{"agent_id": AGENT_ID, "input": None}]}},
        [
            {
                "loc": ["body", "requests", 0],
                "msg": "Value error, Must specify either 'input' or 'messages'.",
                "type": "value_error",
                "ctx": {"error": "Must specify either 'input' or 'messages'."},
            }
        ],
    ),
    "create_batch with a request that has both input and messages": (
        "POST",
        "/v1/messages/batches",
        {"json": _batch(messages=[{"role": "user", "content": "hi"}])},
        [
            {
                "loc": ["body", "requests", 0],
                "msg": "Value error, Cannot specify both 'input' and 'messages'. Use one or the other.",
                "type": "value_error",
                "ctx": {"error": "Cannot specify both 'input' and 'messages'. Use one or the other."},
            }
        ],
    ),
    "create_batch with malformed JSON": (
        "POST",
        "/v1/messages/batches",
        {"content": b'{"requests": [', "headers": JSON},
        [
            {
                "loc": ["body", 14],
                "msg": "JSON decode error",
                "type": "json_invalid",
                "ctx": {"error": "Expecting value"},
            }
        ],
    ),
    "create_batch with a JSON array instead of an object": (
        "POST",
        "/v1/messages/batches",
        {"json": [_batch()]},
        [{"loc": ["body"], "msg": "Input should be a valid dictionary or object", "type": "dict_type"}],
    ),
    "create_batch with a wrong type deep in the body": (
        "POST",
        "/v1/messages/batches",
        {
            "json": {
                "requests": [
                    {"agent_id": AGENT_ID, "input": "hello"},
                    {"agent_id": AGENT_ID, "input": "hello", "max_steps": "many"},
                ]
            }
        },
        [
            {
                "loc": ["body", "requests", 1, "max_steps"],
                "msg": "Input should be a valid integer",
                "type": "int_type",
            }
        ],
    ),
    "create_batch with a text/plain body": (
        "POST",
        "/v1/messages/batches",
        {"content": b'{"requests": []}', "headers": {"content-type": "text/plain"}},
        [
            {
                "loc": ["body"],
                "msg": "Content-Type must be application/json, got 'text/plain'",
                "type": "content_type",
                "ctx": {"expected": "application/json"},
            }
        ],
    ),
    "list_runs with limit=abc": (
        "GET",
        "/v1/runs/?limit=abc",
        {},
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            }
        ],
    ),
    "list_runs with limit=0": (
        "GET",
        "/v1/runs/?limit=0",
        {},
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be greater than or equal to 1",
                "type": "greater_than_equal",
                "ctx": {"ge": 1},
            }
        ],
    ),
    "list_runs with limit=1001": (
        "GET",
        "/v1/runs/?limit=1001",
        {},
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 1000",
                "type": "less_than_equal",
                "ctx": {"le": 1000},
            }
        ],
    ),
    "list_batches with limit=-1 (a mock rule: the real server fails with a database error)": (
        "GET",
        "/v1/messages/batches?limit=-1",
        {},
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be greater than or equal to 0",
                "type": "greater_than_equal",
                "ctx": {"ge": 0},
            }
        ],
    ),
    "list_runs with an unknown order": (
        "GET",
        "/v1/runs/?order=newest",
        {},
        [
            {
                "loc": ["query", "order"],
                "msg": "Input should be 'asc' or 'desc'",
                "type": "enum",
                "ctx": {"expected": "'asc' or 'desc'"},
            }
        ],
    ),
    "list_runs with an unknown stop_reason": (
        "GET",
        "/v1/runs/?stop_reason=finished",
        {},
        [
            {
                "loc": ["query", "stop_reason"],
                "msg": f"Input should be {STOP_REASONS}",
                "type": "enum",
                "ctx": {"expected": STOP_REASONS},
            }
        ],
    ),
    "list_runs with active=maybe": (
        "GET",
        "/v1/runs/?active=maybe",
        {},
        [
            {
                "loc": ["query", "active"],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "type": "bool_parsing",
            }
        ],
    ),
    "list_runs with two bad parameters lists both": (
        "GET",
        "/v1/runs/?limit=x&background=perhaps",
        {},
        [
            {
                "loc": ["query", "background"],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "type": "bool_parsing",
            },
            {
                "loc": ["query", "limit"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            },
        ],
    ),
    "retrieve_trace_for_run with limit=6000": (
        "GET",
        f"/v1/runs/{RUN_ID}/trace?limit=6000",
        {},
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 5000",
                "type": "less_than_equal",
                "ctx": {"le": 5000},
            }
        ],
    ),
    "retrieve_job with a malformed job id": (
        "GET",
        "/v1/jobs/job-1",
        {},
        [
            {
                "loc": ["path", "job_id"],
                "msg": "String should have at least 40 characters",
                "type": "string_too_short",
                "ctx": {"min_length": 40},
            },
            {
                "loc": ["path", "job_id"],
                "msg": f"String should match pattern '{JOB_PATTERN}'",
                "type": "string_pattern_mismatch",
                "ctx": {"pattern": JOB_PATTERN},
            },
        ],
    ),
    "cancel_job with a run id": (
        "PATCH",
        "/v1/jobs/run-123e4567-e89b-42d3-8456-426614174000/cancel",
        {},
        [
            {
                "loc": ["path", "job_id"],
                "msg": f"String should match pattern '{JOB_PATTERN}'",
                "type": "string_pattern_mismatch",
                "ctx": {"pattern": JOB_PATTERN},
            }
        ],
    ),
    "retrieve_stream_for_run with a string starting_after": (
        "POST",
        f"/v1/runs/{RUN_ID}/stream",
        {"json": {"starting_after": "2"}},
        [{"loc": ["body", "starting_after"], "msg": "Input should be a valid integer", "type": "int_type"}],
    ),
}


@pytest.mark.parametrize(("method", "url", "kwargs", "detail"), BAD_REQUESTS.values(), ids=BAD_REQUESTS)
def test_bad_request_gets_exactly_this_422(
    method: str, url: str, kwargs: dict[str, Any], detail: list[dict[str, Any]], http: httpx.Client
) -> None:
    """Each bad request is answered 422 with exactly the pinned `{"detail": [...]}` body."""
    response = http.request(method, url, **kwargs)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": detail}


def test_validation_error_wins_over_a_malformed_run_id(http: httpx.Client) -> None:
    """Schema validation (422) comes before the server's own id check (400), as in FastAPI."""
    response = http.get("/v1/runs/run-1/trace", params={"limit": "abc"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


# (method, URL, id prefix): every operation whose batch/run path id the real server checks in code.
MALFORMED_IDS = [
    ("GET", "/v1/messages/batches/batch_id", "job"),
    ("GET", f"/v1/messages/batches/{RUN_ID}/messages", "job"),
    ("PATCH", "/v1/messages/batches/job-123E4567-E89B-42D3-8456-426614174000/cancel", "job"),
    ("GET", "/v1/runs/run_id", "run"),
    ("DELETE", "/v1/runs/run-123e4567-e89b-12d3-a456-426614174000", "run"),
    ("GET", f"/v1/runs/{JOB_ID}/messages", "run"),
    ("GET", "/v1/runs/r/usage", "run"),
    ("GET", "/v1/runs/r/metrics", "run"),
    ("GET", "/v1/runs/r/steps", "run"),
    ("GET", "/v1/runs/r/trace", "run"),
    ("POST", "/v1/runs/r/stream", "run"),
]


@pytest.mark.parametrize(("method", "url", "prefix"), MALFORMED_IDS)
def test_malformed_batch_or_run_id_is_the_real_servers_400(
    method: str, url: str, prefix: str, http: httpx.Client
) -> None:
    """Strict: a batch/run path id that is not `<prefix>-<lower-case uuid4>` gets the real server's 400."""
    value = url.split("/")[4 if prefix == "job" else 3]
    response = http.request(method, url)
    assert response.status_code == 400
    expected = f"INVALID_ARGUMENT: Invalid {prefix} ID format: {value}. Expected format: '{prefix}-<uuid4>'"
    assert response.json() == {"detail": expected}


def test_empty_batch_is_the_real_servers_400(http: httpx.Client) -> None:
    """Strict: `requests: []` passes the schema but gets the real server's 400."""
    response = http.post("/v1/messages/batches", json={"requests": []})
    assert response.status_code == 400
    assert response.json() == {"detail": "Empty list of batch_requests passed in!"}


def test_unknown_run_status_is_a_400_like_the_real_server(http: httpx.Client) -> None:
    """`statuses=foo` on GET /v1/runs/ is 400 with RunStatus's ValueError text, not 422."""
    response = http.get("/v1/runs/", params={"statuses": "foo"})
    assert response.status_code == 400
    assert response.json() == {"detail": "'foo' is not a valid RunStatus"}


def test_known_run_statuses_are_accepted_and_filter_the_list(http: httpx.Client) -> None:
    """Repeated known `statuses` are accepted, and every listed run has one of them."""
    response = http.get("/v1/runs/", params=[("statuses", "failed"), ("statuses", "cancelled")])
    assert response.status_code == 200
    runs = response.json()
    assert runs
    assert {run["status"] for run in runs} <= {"failed", "cancelled"}


# -- lenient ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("POST", "/v1/messages/batches", {"json": _batch(agent_id="agent-1")}),
        ("GET", "/v1/jobs/job-1", {}),
        ("GET", "/v1/runs/?limit=5000", {}),
        ("GET", "/v1/runs/?limit=0", {}),
        ("GET", "/v1/runs/run-1/trace?limit=6000", {}),
    ],
    ids=[
        "agent_id pattern",
        "job_id length",
        "limit maximum",
        "limit minimum",
        "trace",
    ],
)
def test_lenient_does_not_enforce_pattern_format_length_or_range(
    method: str, url: str, kwargs: dict[str, Any], lenient_http: httpx.Client
) -> None:
    """With lenient validation, values breaking only a pattern, format, length or range are accepted."""
    response = lenient_http.request(method, url, **kwargs)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("url", "kind"),
    [("not a url", "url_parsing"), ("ftp://files.example.com/done", "url_scheme"), ("0", "url_parsing")],
)
def test_lenient_checks_callback_url_like_the_real_server(
    lenient_http: httpx.Client, url: str, kind: str
) -> None:
    """The real server's `HttpUrl` applies whatever the validation level: lenient refuses what it
    refuses and stores the URL as it does, while it still accepts a request with neither `input`
    nor `messages` (what SDK-generated tests send). Its served document keeps `format: uri` there."""
    refused = lenient_http.post("/v1/messages/batches", json={**_batch(), "callback_url": url})
    assert refused.status_code == 422
    assert [(d["loc"], d["type"]) for d in refused.json()["detail"]] == [(["body", "callback_url"], kind)]
    served = lenient_http.get("/openapi.json").json()["components"]["schemas"]["CreateBatch"]
    assert served["properties"]["callback_url"]["anyOf"][0]["format"] == "uri"
    created = lenient_http.post(
        "/v1/messages/batches",
        json={"requests": [{"agent_id": "agent_id"}], "callback_url": "https://example.com"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["callback_url"] == "https://example.com/"


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "detail"),
    [
        (
            "POST",
            "/v1/messages/batches",
            {"json": {"requests": [{"agent_id": 42, "input": "hello"}]}},
            [
                {
                    "loc": ["body", "requests", 0, "agent_id"],
                    "msg": "Input should be a valid string",
                    "type": "string_type",
                }
            ],
        ),
        (
            "POST",
            "/v1/messages/batches",
            {"json": {}},
            [{"loc": ["body", "requests"], "msg": "Field required", "type": "missing"}],
        ),
        (
            "GET",
            "/v1/runs/?order=newest",
            {},
            [
                {
                    "loc": ["query", "order"],
                    "msg": "Input should be 'asc' or 'desc'",
                    "type": "enum",
                    "ctx": {"expected": "'asc' or 'desc'"},
                }
            ],
        ),
        (
            "GET",
            "/v1/runs/?limit=abc",
            {},
            [
                {
                    "loc": ["query", "limit"],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "type": "int_parsing",
                }
            ],
        ),
    ],
    ids=["type", "required", "enum", "integer parsing"],
)
def test_lenient_still_enforces_types_required_fields_and_enums(
    method: str, url: str, kwargs: dict[str, Any], detail: list[dict[str, Any]], lenient_http: httpx.Client
) -> None:
    """With lenient validation, a wrong type, a missing required field or a bad enum value is still 422."""
    response = lenient_http.request(method, url, **kwargs)
    assert response.status_code == 422
    assert response.json() == {"detail": detail}


def test_lenient_unknown_run_status_lists_only_valid_statuses(lenient_http: httpx.Client) -> None:
    """Lenient skips the RunStatus check, but the runs it lists still carry a documented status."""
    response = lenient_http.get("/v1/runs/", params={"statuses": "foo"})
    assert response.status_code == 200
    known = {"created", "running", "completed", "failed", "cancelled"}
    assert {run["status"] for run in response.json()} <= known


# -- off ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("POST", "/v1/messages/batches", {"json": {"requests": 5, "callback_url": 7}}),
        ("POST", "/v1/messages/batches", {"json": [1, 2]}),
        ("POST", "/v1/messages/batches", {"json": "a string"}),
        ("POST", "/v1/messages/batches", {"content": b"{broken", "headers": JSON}),
        ("POST", "/v1/messages/batches", {}),
        ("POST", "/v1/runs/run-1/stream", {"json": [1]}),
        ("POST", "/v1/runs/run-1/stream", {"json": {"starting_after": "two", "include_pings": "no"}}),
        ("GET", "/v1/runs/?limit=abc&order=sideways&active=maybe", {}),
        ("GET", "/v1/jobs/not-a-job-id", {}),
        ("GET", "/v1/runs/run-1/trace?limit=6000", {}),
    ],
    ids=[
        "wrong-typed fields",
        "array body",
        "string body",
        "malformed JSON",
        "missing body",
        "stream array body",
        "stream wrong-typed fields",
        "bad query values",
        "bad path id",
        "out-of-range limit",
    ],
)
def test_validation_off_answers_2xx_even_to_a_broken_request(
    method: str, url: str, kwargs: dict[str, Any], off_http: httpx.Client
) -> None:
    """With validation off, nothing about the request is checked: the answer is 2xx, never a 422 or 500."""
    response = off_http.request(method, url, **kwargs)
    assert 200 <= response.status_code < 300, response.text
    if url.endswith("/stream"):
        assert response.text.endswith("data: [DONE]\n\n")
    else:
        response.json()


def test_validation_off_create_batch_never_echoes_a_non_string_callback_url(off_http: httpx.Client) -> None:
    """With validation off, a wrong-typed callback_url is not copied into the BatchJob (it needs a string)."""
    response = off_http.post("/v1/messages/batches", json={"requests": [], "callback_url": 7})
    assert response.status_code == 200
    assert response.json()["callback_url"] is None
