"""Removing one scenario or one fault by its id: over HTTP and from Python; the others stay in force."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from letta_client import InternalServerError, Letta

from mockserver import MockServer
from mockserver._running.controls import ControlError

from .support import AGENT_X, AGENT_Y, JOB_DURATION, create_batch, ok, run


def _add(http: httpx.Client, path: str, spec: dict[str, Any]) -> dict[str, Any]:
    added: dict[str, Any] = ok(http.post(path, json=spec), 201)
    return added


def test_deleting_one_scenario_by_id_leaves_the_other_in_force(
    server: MockServer, http: httpx.Client
) -> None:
    first = _add(http, "/_mock/scenarios", {"match": {"agent_id": AGENT_X}, "status": "failed"})
    second = _add(http, "/_mock/scenarios", {"match": {"agent_id": AGENT_Y}, "status": "failed"})

    left = ok(http.delete(f"/_mock/scenarios/{first['id']}"))

    assert left == {"scenarios": [second]}
    assert ok(http.get("/_mock/scenarios")) == {"scenarios": [second]}
    x_run, y_run = server.seed_run(agent_id=AGENT_X), server.seed_run(agent_id=AGENT_Y)
    server.advance(JOB_DURATION)
    assert run(http, x_run["id"])["status"] == "completed"  # its scenario is gone
    assert run(http, y_run["id"])["status"] == "failed"


def test_deleting_an_unknown_scenario_is_a_404_naming_the_id(http: httpx.Client) -> None:
    added = _add(http, "/_mock/scenarios", {"match": {"next_batches": 1}, "status": "failed"})

    assert ok(http.delete("/_mock/scenarios/scenario-999"), 404) == {
        "detail": "no scenario 'scenario-999' is in force (GET /_mock/scenarios lists them)"
    }
    assert ok(http.delete(f"/_mock/faults/{added['id']}"), 404) == {
        "detail": f"no fault {added['id']!r} is in force (GET /_mock/faults lists them)"
    }
    assert ok(http.get("/_mock/scenarios"))["scenarios"] == [added]  # a refusal removes nothing


def test_a_used_up_scenario_cannot_be_removed_twice(http: httpx.Client) -> None:
    added = _add(http, "/_mock/scenarios", {"match": {"next_batches": 1}, "status": "failed"})
    assert ok(http.delete(f"/_mock/scenarios/{added['id']}")) == {"scenarios": []}
    assert http.delete(f"/_mock/scenarios/{added['id']}").status_code == 404
    create_batch(http, AGENT_X)  # no scenario left to use: the batch is created as usual


def test_deleting_one_fault_by_id_lets_its_operation_through_and_keeps_the_other(
    server: MockServer, http: httpx.Client, sdk: Letta
) -> None:
    batches = _add(http, "/_mock/faults", {"operation": "create_batch", "error": {"status": 503}})
    runs = _add(http, "/_mock/faults", {"operation": "list_runs", "error": {"status": 500}})
    assert http.post("/v1/messages/batches", json={"requests": []}).status_code == 503

    assert ok(http.delete(f"/_mock/faults/{batches['id']}")) == {"faults": [runs]}

    created = create_batch(http, AGENT_X)
    assert created["id"].startswith("job-")
    with pytest.raises(InternalServerError):
        sdk.with_options(max_retries=0).runs.list()
    assert [fault["id"] for fault in server.faults()] == [runs["id"]]


def test_python_controls_remove_one_by_id_and_refuse_an_unknown_id(server: MockServer) -> None:
    kept = server.add_scenario({"agent_id": AGENT_Y}, status="failed")
    gone = server.add_scenario({"agent_id": AGENT_X}, status="failed")
    fault = server.add_fault("list_runs", latency=0)
    other = server.add_fault("create_batch", error=500)

    server.remove_scenario(gone["id"])
    server.remove_fault(fault["id"])

    assert server.scenarios() == [kept]
    assert server.faults() == [other]
    with pytest.raises(ControlError, match=r"404.*no scenario 'scenario-0' is in force") as refused:
        server.remove_scenario("scenario-0")
    assert isinstance(refused.value, ValueError)
    with pytest.raises(ControlError, match=r"404.*no fault 'fault-9\?x=1' is in force"):
        server.remove_fault("fault-9?x=1")  # escaped: part of the id, not a query


def test_the_served_document_declares_the_id_and_the_404(http: httpx.Client) -> None:
    paths = ok(http.get("/openapi.json"))["paths"]
    for path, operation_id in [
        ("/_mock/scenarios/{id}", "mock_delete_scenarios_id"),
        ("/_mock/faults/{id}", "mock_delete_faults_id"),
    ]:
        operation = paths[path]["delete"]
        assert operation["operationId"] == operation_id
        assert operation["parameters"] == [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
        assert "404" in operation["responses"]
