"""The fuzzing response mode (`--responses fuzz`): adversarial, still valid, deterministic,
and what letta-client 1.7.0 makes of it.

letta-client is stricter than the contract in a few exact places; `sdk_view` undoes each of
them (and only them), so the test both documents those fields and proves the SDK parses
everything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pydantic
import pytest
from budget import examples
from letta_client import Letta
from letta_client.types.agents.internal_message import InternalMessage
from letta_client.types.agents.letta_streaming_response import LettaStreamingResponse
from letta_client.types.agents.message import Message
from letta_client.types.agents.run import Run
from letta_client.types.batch_job import BatchJob
from letta_client.types.runs.usage_retrieve_response import UsageRetrieveResponse
from letta_client.types.step import Step

from mockserver import MockServer, default_table
from mockserver._contract.validation import SchemaSet

REQUESTS = examples(40)
"""Requests per operation; a list answers 7 items, so lists see a few hundred bodies."""
JOB = "job-00000000-0000-4000-8000-{:012d}"
RUN = "run-00000000-0000-4000-8000-{:012d}"
OPERATIONS: dict[str, tuple[str, Any]] = {
    "list_batches": ("/v1/messages/batches?limit=100&agent={i}", list[BatchJob]),
    "retrieve_batch": ("/v1/messages/batches/" + JOB, BatchJob),
    "list_messages_for_batch": (
        "/v1/messages/batches/" + JOB + "/messages",
        dict[str, list[InternalMessage]],
    ),
    "list_runs": ("/v1/runs/?agent_id=agent-{i}", list[Run]),
    "retrieve_run": ("/v1/runs/" + RUN, Run),
    "list_messages_for_run": ("/v1/runs/" + RUN + "/messages", list[Message]),
    "retrieve_usage_for_run": ("/v1/runs/" + RUN + "/usage", UsageRetrieveResponse),
    "retrieve_metrics_for_run": ("/v1/runs/" + RUN + "/metrics", None),
    "list_steps_for_run": ("/v1/runs/" + RUN + "/steps", list[Step]),
    "list_jobs": ("/v1/jobs/?source_id=s{i}", None),
    "retrieve_job": ("/v1/jobs/" + JOB, None),
}
"""operationId -> (path, the 1.7.0 model it parses into; None where 1.7.0 has no such method)."""

# Where letta-client 1.7.0 is stricter than the documented contract:
SDK_UNKNOWN_MESSAGE_TYPES = frozenset({"summary_message", "event_message"})
"""LettaMessageUnion members 1.7.0 does not know (its union has no branch for them)."""
SDK_UNKNOWN_VALUES = {"stop_reason": "insufficient_credits", "role": "summary"}
"""Enum members the document has and 1.7.0's Literals lack."""
SDK_STRING_ONLY = frozenset({"func_response", "tool_return"})
"""`string | array` in the document, `str` in 1.7.0."""


def sdk_view(value: Any, *, inside_step: bool = False) -> Any:
    """The body with each documented strictness of letta-client 1.7.0 undone, and nothing else."""
    if isinstance(value, list):
        return [
            sdk_view(item, inside_step=inside_step)
            for item in value
            if not (isinstance(item, dict) and item.get("message_type") in SDK_UNKNOWN_MESSAGE_TYPES)
        ]
    if not isinstance(value, dict):
        return value
    view: dict[str, Any] = {}
    for key, item in value.items():
        if key in SDK_UNKNOWN_VALUES and SDK_UNKNOWN_VALUES[key] == item:
            item = {"stop_reason": "end_turn", "role": "assistant"}[key]
        if key in SDK_STRING_ONLY and isinstance(item, list):
            item = json.dumps(item)
        view[key] = sdk_view(item, inside_step=inside_step or (key == "messages" and "role" not in value))
    if inside_step and "role" in view and "id" not in view:
        # `Step.messages[].id` is optional in the document and required by 1.7.0's InternalMessage.
        view["id"] = "message-00000000-0000-4000-8000-000000000000"
    return view


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[MockServer]:
    with MockServer(mode="stateless", responses="fuzz", seed=7) as server:
        yield server


def bodies(server: MockServer, operation_id: str, count: int = REQUESTS) -> list[Any]:
    path = OPERATIONS[operation_id][0]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        return [http.get(path.format(i, i=i)).json() for i in range(count)]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_every_fuzzed_body_validates(fuzz_server: MockServer, operation_id: str) -> None:
    op = default_table()[operation_id]
    pointer = op.success.json_pointer
    assert pointer is not None
    schemas = SchemaSet(default_table().document, "strict")
    found = bodies(fuzz_server, operation_id)
    for body in found:
        assert schemas.violations(pointer, body) == [], body
    items = sum(len(b) if isinstance(b, list) else 1 for b in found)
    assert items >= REQUESTS


def test_fuzzed_bodies_reach_the_corners(fuzz_server: MockServer) -> None:
    text = json.dumps([bodies(fuzz_server, name) for name in ("list_runs", "list_messages_for_run")])
    for corner in (
        "null",
        "[]",
        '""',
        "\\u00fcn\\u00efc\\u00f8d\\u00e9",
        "9223372036854775807",
        "9999-12-31",
    ):
        assert corner in text, corner
    message_types = {m["message_type"] for b in bodies(fuzz_server, "list_messages_for_run", 60) for m in b}
    assert message_types >= SDK_UNKNOWN_MESSAGE_TYPES  # every union member shows up, the new ones too


def test_the_same_seed_gives_the_same_bodies_and_another_seed_others(fuzz_server: MockServer) -> None:
    with (
        MockServer(mode="stateless", responses="fuzz", seed=7) as twin,
        MockServer(mode="stateless", responses="fuzz", seed=8) as other,
    ):
        for name in ("list_runs", "retrieve_batch", "list_messages_for_run"):
            assert bodies(twin, name, 10) == bodies(fuzz_server, name, 10)
            assert bodies(other, name, 10) != bodies(fuzz_server, name, 10)


@pytest.mark.parametrize("operation_id", sorted(name for name, (_, model) in OPERATIONS.items() if model))
def test_letta_client_parses_every_body_but_for_its_documented_strictness(
    fuzz_server: MockServer, operation_id: str
) -> None:
    adapter = pydantic.TypeAdapter(OPERATIONS[operation_id][1])
    for body in bodies(fuzz_server, operation_id):
        view = sdk_view(body)
        adapter.validate_python(view)  # everything but the documented differences parses
        if view == body:
            adapter.validate_python(body)


def test_the_documented_strictness_is_real(fuzz_server: MockServer) -> None:
    """Each difference `sdk_view` undoes does break letta-client 1.7.0 on some fuzzed body."""
    adapter = pydantic.TypeAdapter(list[Message])
    refused = 0
    for body in bodies(fuzz_server, "list_messages_for_run"):
        if sdk_view(body) != body:
            with pytest.raises(pydantic.ValidationError):
                adapter.validate_python(body)
            refused += 1
    assert refused > 0


def stream_events(server: MockServer, count: int = REQUESTS) -> list[list[Any]]:
    """The `data:` events (before `[DONE]`) of the fuzzed streams of ``count`` runs."""
    streams = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(count):
            response = http.post(f"/v1/runs/{RUN.format(i)}/stream", json={})
            assert response.status_code == 200
            assert response.text.endswith("data: [DONE]\n\n")
            blocks = [block.removeprefix("data: ") for block in response.text.split("\n\n") if block]
            assert blocks[-1] == "[DONE]"
            streams.append([json.loads(block) for block in blocks[:-1]])
    return streams


def test_every_fuzzed_stream_ends_with_its_usage_and_letta_client_parses_its_events(
    fuzz_server: MockServer,
) -> None:
    """Fuzzed usage may lack any optional field (the stream once crashed there); the events still
    parse as letta-client 1.7.0's stream union, but for its documented strictness."""
    adapter = pydantic.TypeAdapter(LettaStreamingResponse)
    pointer = default_table()["retrieve_stream_for_run"].success.media_types["text/event-stream"]
    schemas = SchemaSet(default_table().document, "strict")
    for events in stream_events(fuzz_server):
        assert [event["message_type"] for event in events[-2:]] == ["stop_reason", "usage_statistics"]
        for event in events:
            assert schemas.violations(pointer, event) == [], event
            adapter.validate_python(sdk_view(event))


def test_letta_client_reads_a_fuzzed_stream_to_its_usage(fuzz_server: MockServer) -> None:
    client = Letta(base_url=fuzz_server.url, api_key="test", max_retries=0)
    for i in range(5):
        events = list(client.runs.messages.stream(RUN.format(i)))
        assert events[-1].message_type == "usage_statistics"
