"""The Python control methods: explicit keywords that send what the control schema names."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import letta_client
import pytest
from letta_client import Letta

from mockserver import MockServer
from mockserver._running.controls import ControlError, MockControls

from .support import batch_request

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "mock-control.schema.json").read_text(encoding="utf-8")
)


def keywords(method: object) -> set[str]:
    parameters = inspect.signature(method).parameters.values()  # type: ignore[arg-type]
    return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_the_signatures_name_every_field_of_the_schema() -> None:
    scenario = set(SCHEMA["$defs"]["ScenarioSpec"]["properties"]) - {"match"}
    fault = set(SCHEMA["$defs"]["FaultSpec"]["properties"]) - {"operation"}

    assert keywords(MockControls.add_scenario) == scenario
    assert keywords(MockControls.add_fault) == fault
    assert list(inspect.signature(MockControls.add_fault).parameters)[1] == "operation"


def test_a_scenario_sends_only_what_was_given(server: MockServer, sdk: Letta) -> None:
    stored = server.add_scenario({"next_batches": 1}, status="failed", reply="no", duration=3)

    assert stored["match"] == {"next_batches": 1}
    assert (stored["status"], stored["reply"], stored["duration"]) == ("failed", "no", 3)
    assert "stop_reason" not in stored
    request: Any = batch_request(AGENT)  # the SDK's TypedDict, from the same JSON
    created = sdk.batches.create(requests=[request])
    server.advance(3)
    assert sdk.batches.retrieve(created.id).status == "failed"


def test_a_run_scenario_takes_messages(server: MockServer, sdk: Letta) -> None:
    server.add_scenario(
        {"next_runs": 1},
        status="completed",
        messages=[{"message_type": "assistant_message", "content": "scripted"}],
    )

    run = server.seed_run(agent_id=AGENT)
    server.advance(5)
    [message] = [m for m in sdk.runs.messages.list(run["id"]).items if m.message_type == "assistant_message"]
    assert message.content == "scripted"


def test_fault_shorthands_expand_to_the_schema_objects(server: MockServer) -> None:
    error = server.add_fault("list_runs", error=503, times=1)
    latency = server.add_fault("list_jobs", latency=0.01)
    drop = server.add_fault("retrieve_job", drop=True)

    assert (error["operation"], error["error"]["status"], error["times"]) == ("list_runs", 503, 1)
    assert latency["latency"] == {"seconds": 0.01}
    assert drop["drop"] is True
    with server.client(max_retries=0) as client, pytest.raises(letta_client.InternalServerError):
        client.runs.list()
    with server.client(max_retries=0) as client:
        assert client.runs.list().items == []  # `times=1` is used up


def test_full_fault_objects_still_pass_through(server: MockServer) -> None:
    fault = server.add_fault(error={"status": 429, "retry_after": 0, "body": {"detail": "slow down"}})

    assert fault["operation"] == "*"
    assert fault["error"]["retry_after"] == 0
    with (
        server.client(max_retries=0) as client,
        pytest.raises(letta_client.RateLimitError, match="slow down"),
    ):
        client.batches.list()


def test_refusals_name_the_field_and_are_value_errors(server: MockServer) -> None:
    with pytest.raises(ValueError, match=r"answered 422: .*latency"):
        server.add_fault("list_runs", latency=-1)
    with pytest.raises(ControlError, match=r"answered 422"):
        server.add_fault("list_runs")  # neither latency, error nor drop
    with pytest.raises(ControlError, match=r"answered 422: .*\"status\".*Input should be 'completed'"):
        server.add_scenario({"agent_id": AGENT}, status="sometimes")  # type: ignore[arg-type]


def test_unknown_keywords_fail_in_python() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'statuss'"):
        MockControls().add_scenario({"agent_id": AGENT}, statuss="failed")  # type: ignore[call-arg]
