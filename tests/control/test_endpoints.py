"""Every control endpoint over HTTP and through the Python methods, and the 422s of bad payloads."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from mockserver import MockServer
from mockserver._running.controls import ControlError

from .support import (
    AGENT_X,
    AGENT_Y,
    BATCHES,
    JOB_DURATION,
    batch,
    create_batch,
    ids,
    ok,
    run,
    stamp,
)

ServerFactory = Callable[..., MockServer]
RUN_ID = "run-2f0c5b8e-3d7a-4c1b-9e6f-8a7b6c5d4e3f"
JOB_ID = "job-7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
STATEFUL_ONLY = "this control endpoint needs the stateful mode; start the server with --mode stateful"


# -- clock and reset ---------------------------------------------------------------------------


def test_clock_tells_the_manual_time_and_what_is_pending(server: MockServer, http: httpx.Client) -> None:
    clock = ok(http.get("/_mock/clock"))
    assert clock == {
        "clock": "manual",
        "now": stamp(clock["epoch"]),
        "epoch": clock["epoch"],
        "pending_changes": 0,
    }
    assert server.clock() == clock

    create_batch(http, AGENT_X)
    assert server.clock()["pending_changes"] == 2  # running, and the end (the one item finishes with it)


def test_advance_over_http_moves_the_clock_and_applies_what_is_due(http: httpx.Client) -> None:
    start = ok(http.get("/_mock/clock"))["epoch"]
    created = create_batch(http, AGENT_X)

    moved = ok(http.post("/_mock/clock/advance", json={"seconds": JOB_DURATION}))

    assert moved == {
        "clock": "manual",
        "now": stamp(start + 2),
        "epoch": start + 2,
        "pending_changes": 0,
        "callbacks": {"triggered": 0, "pending": 0, "waited": True},  # the batch has no callback_url
    }
    assert batch(http, created["id"])["status"] == "completed"


def test_advance_from_python_returns_the_new_clock(server: MockServer, http: httpx.Client) -> None:
    start = server.clock()["epoch"]
    created = create_batch(http, AGENT_X)

    assert server.advance(0.5)["epoch"] == start + 0.5
    assert batch(http, created["id"])["status"] == "running"
    assert server.advance(1.5)["now"] == stamp(start + 2)
    assert batch(http, created["id"])["status"] == "completed"


def _fill(server: MockServer, http: httpx.Client) -> None:
    create_batch(http, AGENT_X)
    server.seed_run(agent_id=AGENT_X)
    server.seed_job()
    server.add_scenario({"agent_id": AGENT_X}, status="failed")
    server.add_fault("list_jobs", latency={"seconds": 0})
    server.advance(1)


def _assert_empty(server: MockServer, http: httpx.Client, start: float) -> None:
    assert server.requests() == []
    assert server.report()["exercised"] == {}
    assert ids(http, BATCHES) == []
    assert ids(http, "/v1/runs/") == []
    assert ids(http, "/v1/jobs/") == []
    assert server.clock()["epoch"] == start
    assert server.scenarios() == []
    assert server.faults() == []


def test_reset_over_http_empties_the_store_rewinds_the_clock_and_clears_journal_scenarios_faults(
    server: MockServer, http: httpx.Client
) -> None:
    start = server.clock()["epoch"]
    _fill(server, http)

    answer = ok(http.post("/_mock/reset"))
    assert answer == {"reset": True, "last_seq": answer["last_seq"]}
    assert isinstance(answer["last_seq"], int)

    _assert_empty(server, http, start)


def test_reset_returns_the_sequence_after_which_requests_are_the_callers(
    server: MockServer, http: httpx.Client
) -> None:
    since = server.reset()
    http.get("/v1/runs/", params={"limit": 3})
    mine = server.requests(since=since)
    assert [(entry["operation_id"], entry["query"]) for entry in mine] == [("list_runs", "limit=3")]


def test_reset_from_python_also_drops_overrides(server: MockServer, http: httpx.Client) -> None:
    start = server.clock()["epoch"]
    _fill(server, http)
    server.override("list_batches", lambda _request: ["overridden"])
    assert ok(http.get(BATCHES)) == ["overridden"]

    server.reset()

    _assert_empty(server, http, start)


# -- seeding -----------------------------------------------------------------------------------


def test_seed_run_over_http_answers_201_with_the_run_the_api_then_serves(http: httpx.Client) -> None:
    seeded = ok(http.post("/_mock/runs", json={"id": RUN_ID, "agent_id": AGENT_X, "status": "running"}), 201)

    assert seeded["id"] == RUN_ID
    assert seeded["agent_id"] == AGENT_X
    assert seeded["status"] == "running"
    assert run(http, RUN_ID) == seeded


def test_seed_run_from_python_and_its_conflict(server: MockServer, http: httpx.Client) -> None:
    seeded = server.seed_run(agent_id=AGENT_Y, status="completed")

    assert run(http, seeded["id"]) == seeded
    assert seeded["stop_reason"] == "end_turn"
    with pytest.raises(ControlError, match=r"POST /_mock/runs answered 409: .*exists already"):
        server.seed_run(id=seeded["id"], agent_id=AGENT_Y)


def test_seed_job_over_http_and_from_python(server: MockServer, http: httpx.Client) -> None:
    over_http = ok(http.post("/_mock/jobs", json={"id": JOB_ID, "status": "running"}), 201)
    from_python = server.seed_job(status="completed")

    assert over_http["id"] == JOB_ID
    assert over_http["status"] == "running"
    assert from_python["status"] == "completed"
    assert ok(http.get(f"/v1/jobs/{JOB_ID}")) == over_http
    assert sorted(ids(http, "/v1/jobs/")) == sorted([JOB_ID, from_python["id"]])


# -- callbacks ---------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver_url() -> Iterator[str]:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{receiver.server_address[1]}/done"
    receiver.shutdown()
    receiver.server_close()
    thread.join(5)


def _callbacks_when_delivered(get: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The callback journal once nothing is pending (delivery is real I/O: a bounded poll)."""
    deadline = time.monotonic() + 10
    while True:
        journal = get()
        if journal["pending"] == 0 and journal["callbacks"]:
            return journal
        assert time.monotonic() < deadline, journal
        time.sleep(0.01)


def test_callbacks_journal_over_http_and_from_python(
    server: MockServer, http: httpx.Client, receiver_url: str
) -> None:
    assert ok(http.get("/_mock/callbacks")) == {"callbacks": [], "pending": 0}
    created = ok(
        http.post(
            BATCHES, json={"requests": [{"agent_id": AGENT_X, "input": "hi"}], "callback_url": receiver_url}
        )
    )

    server.advance(JOB_DURATION)

    journal = _callbacks_when_delivered(lambda: ok(http.get("/_mock/callbacks")))
    [entry] = journal["callbacks"]
    assert (entry["kind"], entry["id"], entry["url"], entry["status_code"], entry["attempt"]) == (
        "batch",
        created["id"],
        receiver_url,
        204,
        1,
    )
    assert server.callbacks() == journal["callbacks"]


# -- scenarios and faults ----------------------------------------------------------------------


def test_scenarios_over_http_add_list_and_clear(http: httpx.Client) -> None:
    added = ok(http.post("/_mock/scenarios", json={"match": {"next_batches": 2}, "status": "failed"}), 201)

    assert added == {"id": added["id"], "match": {"next_batches": 2}, "status": "failed", "remaining": 2}
    assert ok(http.get("/_mock/scenarios")) == {"scenarios": [added]}
    assert ok(http.delete("/_mock/scenarios")) == {"scenarios": []}
    assert ok(http.get("/_mock/scenarios")) == {"scenarios": []}


def test_scenarios_from_python_add_list_and_clear(server: MockServer) -> None:
    by_agent = server.add_scenario({"agent_id": AGENT_X}, stop_reason="llm_api_error", reply="unused")
    next_run = server.add_scenario({"next_runs": 1}, status="cancelled")

    assert by_agent == {
        "id": by_agent["id"],
        "match": {"agent_id": AGENT_X},
        "stop_reason": "llm_api_error",
        "reply": "unused",
        "remaining": None,
    }
    assert server.scenarios() == [by_agent, next_run]
    server.clear_scenarios()
    assert server.scenarios() == []


def test_faults_over_http_add_list_count_down_and_clear(http: httpx.Client) -> None:
    spec = {"operation": "list_runs", "error": {"status": 500}, "times": 2}
    added = ok(http.post("/_mock/faults", json=spec), 201)

    assert added == {"id": added["id"], **spec, "remaining": 2}
    assert http.get("/v1/runs/").status_code == 500
    assert ok(http.get("/_mock/faults")) == {"faults": [{**added, "remaining": 1}]}
    assert ok(http.delete("/_mock/faults")) == {"faults": []}
    assert ok(http.get("/v1/runs/")) == []


def test_faults_from_python_default_to_every_operation(server: MockServer) -> None:
    added = server.add_fault(latency={"min": 0, "max": 0.01})

    assert added == {
        "id": added["id"],
        "operation": "*",
        "latency": {"min": 0, "max": 0.01},
        "remaining": None,
    }
    assert server.faults() == [added]
    server.clear_faults()
    assert server.faults() == []


def test_a_fault_on_every_operation_leaves_the_control_api_alone(
    server: MockServer, http: httpx.Client
) -> None:
    server.add_fault("*", error={"status": 503})

    assert http.get("/v1/runs/").status_code == 503
    assert http.get(f"{BATCHES}/whatever").status_code == 503
    assert server.clock()["clock"] == "manual"
    server.clear_faults()
    assert ok(http.get("/v1/runs/")) == []


# -- journal, report and state: the endpoints (their content is tested in their own files) -----


def test_requests_report_and_state_answer_the_same_over_http_and_from_python(
    server: MockServer, http: httpx.Client
) -> None:
    create_batch(http, AGENT_X)

    [entry] = server.requests()
    assert ok(http.get("/_mock/requests")) == {"requests": [entry], "last_seq": entry["seq"]}
    assert server.last_request_seq() == entry["seq"]
    assert ok(http.get("/_mock/report")) == server.report()
    assert ok(http.get("/_mock/state")) == server.snapshot()


# -- bad payloads ------------------------------------------------------------------------------

PINNED_422: list[tuple[str, str, Any, list[dict[str, Any]]]] = [
    (
        "POST",
        "/_mock/clock/advance",
        {},
        [{"loc": ["body", "seconds"], "msg": "Field required", "type": "missing"}],
    ),
    (
        "POST",
        "/_mock/clock/advance",
        {"seconds": -1},
        [
            {
                "loc": ["body", "seconds"],
                "msg": "Input should be greater than or equal to 0",
                "type": "greater_than_equal",
                "ctx": {"ge": 0},
            }
        ],
    ),
    (
        "POST",
        "/_mock/clock/advance",
        {"seconds": "soon"},
        [{"loc": ["body", "seconds"], "msg": "Input should be a valid number", "type": "float_type"}],
    ),
    (
        "POST",
        "/_mock/runs",
        {"status": "running"},
        [{"loc": ["body", "agent_id"], "msg": "Field required", "type": "missing"}],
    ),
    (
        "POST",
        "/_mock/runs",
        {"agent_id": AGENT_X, "status": "completed", "stop_reason": "llm_api_error"},
        [
            {
                "loc": ["body", "stop_reason"],
                "msg": "stop_reason 'llm_api_error' means status 'failed', but status is 'completed'",
                "type": "value_error",
            }
        ],
    ),
    (
        "POST",
        "/_mock/scenarios",
        {"match": {"agent_id": AGENT_X}, "status": "bogus"},
        [
            {
                "loc": ["body", "status"],
                "msg": "Input should be 'completed', 'failed', 'cancelled' or 'expired'",
                "type": "enum",
                "ctx": {"expected": "'completed', 'failed', 'cancelled' or 'expired'"},
            }
        ],
    ),
    (
        "POST",
        "/_mock/faults",
        {"operation": "list_runs", "error": {"status": 200}},
        [
            {
                "loc": ["body", "error", "status"],
                "msg": "Input should be greater than or equal to 400",
                "type": "greater_than_equal",
                "ctx": {"ge": 400},
            }
        ],
    ),
    (
        "POST",
        "/_mock/faults",
        {"operation": "list_runs", "drop": True, "times": 0},
        [
            {
                "loc": ["body", "times"],
                "msg": "Input should be greater than or equal to 1",
                "type": "greater_than_equal",
                "ctx": {"ge": 1},
            }
        ],
    ),
    (
        "PUT",
        "/_mock/state",
        {"version": 3, "clock": {"now": 0}, "rng": [], "jobs": [], "runs": []},
        [
            {
                "loc": ["body", "version"],
                "msg": "Input should be 1 or 2",
                "type": "enum",
                "ctx": {"expected": "1 or 2"},
            }
        ],
    ),
    (
        "PUT",
        "/_mock/state",
        [],
        [{"loc": ["body"], "msg": "Input should be a valid dictionary or object", "type": "dict_type"}],
    ),
]


def _records(server: MockServer) -> dict[str, Any]:
    """The state without the id generator's (a refused run seed has drawn its id already)."""
    return {key: value for key, value in server.snapshot().items() if key != "rng"}


@pytest.mark.parametrize(
    ("method", "path", "payload", "detail"),
    PINNED_422,
    ids=[f"{method} {path} {json.dumps(payload)[:40]}" for method, path, payload, _ in PINNED_422],
)
def test_bad_payloads_are_422_with_the_documented_error_body(
    server: MockServer,
    http: httpx.Client,
    method: str,
    path: str,
    payload: Any,
    detail: list[dict[str, Any]],
) -> None:
    before = _records(server)

    assert ok(http.request(method, path, json=payload), 422) == {"detail": detail}
    assert _records(server) == before
    assert server.faults() == []


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/_mock/clock/advance", {"seconds": 1}),
        ("/_mock/runs", {"agent_id": AGENT_X}),
        ("/_mock/jobs", {}),
        ("/_mock/scenarios", {"match": {"next_batches": 1}}),
        ("/_mock/faults", {"drop": True}),
    ],
)
def test_every_payload_route_refuses_a_missing_or_malformed_body(
    http: httpx.Client, path: str, payload: dict[str, Any]
) -> None:
    assert ok(http.post(path), 422) == {
        "detail": [{"loc": ["body"], "msg": "Field required", "type": "missing"}]
    }
    malformed = http.post(path, content=b"{oops", headers={"content-type": "application/json"})
    assert ok(malformed, 422) == {
        "detail": [
            {
                "loc": ["body", 1],
                "msg": "JSON decode error",
                "type": "json_invalid",
                "ctx": {"error": "Expecting property name enclosed in double quotes"},
            }
        ]
    }
    assert http.post(path, json=payload).status_code in (200, 201)


def test_bad_query_values_of_the_journal_endpoints_are_422(http: httpx.Client) -> None:
    for path, name in (
        ("/_mock/requests", "status"),
        ("/_mock/requests", "since"),
        ("/_mock/report", "since"),
    ):
        assert ok(http.get(path, params={name: "x"}), 422) == {
            "detail": [
                {"loc": ["query", name], "msg": "Input should be a valid integer", "type": "int_parsing"}
            ]
        }


def test_python_methods_raise_control_error_with_the_answer(server: MockServer) -> None:
    with pytest.raises(ControlError) as refused:
        server.add_scenario({"next_runs": 1}, status="expired")

    assert str(refused.value) == (
        "POST /_mock/scenarios answered 400: "
        '{"detail":"status: a run cannot expire (RunStatus has no \'expired\'); use failed or cancelled"}'
    )
    with pytest.raises(ControlError, match="answered 422"):
        server.advance(-1)
    with pytest.raises(ControlError, match="answered 422"):
        server.add_fault("no_such_operation", drop=True)


# -- stateless mode ----------------------------------------------------------------------------


@pytest.fixture
def stateless(server_factory: ServerFactory) -> Iterator[MockServer]:
    """A stateless server of its own (seed 4242), so that its faults reach no other test."""
    started = server_factory(mode="stateless", seed=4242)
    started.reset()
    yield started
    started.reset()


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "/_mock/clock", None),
        ("POST", "/_mock/clock/advance", {"seconds": 1}),
        ("POST", "/_mock/runs", {"agent_id": AGENT_X}),
        ("POST", "/_mock/jobs", {}),
        ("POST", "/_mock/scenarios", {"match": {"next_batches": 1}}),
        ("GET", "/_mock/state", None),
    ],
)
def test_stateful_only_endpoints_are_400_in_stateless_mode(
    stateless: MockServer, method: str, path: str, payload: Any
) -> None:
    with httpx.Client(base_url=stateless.url, timeout=10) as client:
        assert ok(client.request(method, path, json=payload), 400) == {"detail": STATEFUL_ONLY}


def test_stateless_mode_still_has_reset_faults_journal_and_report(stateless: MockServer) -> None:
    stateless.add_fault("list_runs", error={"status": 502}, times=1)
    with httpx.Client(base_url=stateless.url, timeout=10) as client:
        assert client.get("/v1/runs/").status_code == 502
        assert len(ok(client.get("/v1/runs/"))) == 7

    assert [entry["status"] for entry in stateless.requests()] == [502, 200]
    assert stateless.report()["exercised"] == {"list_runs": {"200": 1, "502": 1}}
    assert stateless.scenarios() == []
    with pytest.raises(ControlError, match=f"answered 400: .*{STATEFUL_ONLY}"):
        stateless.seed_run(agent_id=AGENT_X)
    stateless.reset()
    assert stateless.requests() == []
