"""The stateless run stream in every mode and seed: 200, documented events, the usage event, `[DONE]`.

The fuzzed stream once summed usage fields that `--responses fuzz` may leave out: a `KeyError`
at the usage event, after a 200 had gone out, so clients saw the connection cut.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sse import sse_payloads

from mockserver import MockServer

from .support import (
    EVENT_POINTER,
    RESPONSES,
    STREAM,
    Answer,
    Call,
    Responses,
    answer,
    app_answers,
    backend,
    violations,
)

SEEDS = range(200)
RUN_ID = "run-00000004-0000-4000-8000-000000000000"
BODIES: dict[str, Any] = {
    "defaults": {},
    "no pings": {"include_pings": False},
    "resumed": {"starting_after": 1, "include_pings": True, "batch_size": 10, "poll_interval": 0.1},
}
CALLS = [Call(STREAM, {"run_id": RUN_ID}, body=body) for body in BODIES.values()]


def stream_problems(found: Answer) -> list[str]:
    """Why ``found`` is not a complete documented run stream (empty when it is one)."""
    if found.status != 200 or not found.content_type.startswith("text/event-stream"):
        return [f"{found.status} {found.content_type}: {found.text[:200]}"]
    payloads = sse_payloads(found.text)
    if not found.text.endswith("data: [DONE]\n\n") or payloads[-1] != "[DONE]":
        return [f"does not end with data: [DONE]: {found.text[-200:]!r}"]
    events = [json.loads(payload) for payload in payloads[:-1]]
    problems = [v for event in events for v in violations(EVENT_POINTER, event)]
    types = [event.get("message_type") for event in events]
    if types[-2:] != ["stop_reason", "usage_statistics"]:
        problems.append(f"the stream does not finish with its stop reason and usage: {types}")
    return problems


def usage_of(found: Answer) -> dict[str, Any]:
    usage: dict[str, Any] = json.loads(sse_payloads(found.text)[-2])
    assert usage["message_type"] == "usage_statistics"
    return usage


@pytest.mark.parametrize("responses", RESPONSES)
def test_every_seed_streams_to_the_usage_event_and_done(responses: Responses) -> None:
    failures = {}
    for seed in SEEDS:
        stateless = backend(seed, responses)
        for body, call in zip(BODIES, CALLS, strict=True):
            problems = stream_problems(answer(stateless, call))
            if problems:
                failures[seed, body] = problems
    assert failures == {}


@pytest.mark.parametrize("responses", RESPONSES)
def test_the_app_streams_every_event_of_the_backend(responses: Responses) -> None:
    """Through the app's HTTP layer the stream is the backend's, byte for byte, and complete."""
    for seed in range(8):
        through_http = app_answers(seed, responses, CALLS)
        assert [stream_problems(found) for found in through_http] == [[], [], []]
        direct = [answer(backend(seed, responses), call).text for call in CALLS]
        assert [found.text for found in through_http] == direct


def test_the_reported_fuzz_stream_is_complete_over_a_socket(
    server_factory: Callable[..., MockServer],
) -> None:
    """The issue's case, as reported: `serve --mode stateless --responses fuzz --seed 3`, `{}`."""
    server = server_factory(mode="stateless", responses="fuzz", seed=3)
    response = httpx.post(f"{server.url}/v1/runs/{RUN_ID}/stream", json={}, timeout=10)
    found = Answer(response.status_code, response.headers["content-type"], response.text)
    assert stream_problems(found) == []
    assert "prompt_tokens" not in usage_of(found)  # what the old stream crashed on


def test_realistic_usage_adds_up() -> None:
    for seed in range(50):
        usage = usage_of(answer(backend(seed, "realistic"), CALLS[0]))
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert usage["step_count"] == 1
        assert usage["run_ids"] == [RUN_ID]


def test_fuzzed_usage_leaves_optional_fields_out() -> None:
    """The fuzzed usage event does explore absent fields, so the sweep above covers them."""
    usages = [usage_of(answer(backend(seed, "fuzz"), CALLS[0])) for seed in range(40)]
    assert any("prompt_tokens" not in usage for usage in usages)
    assert any("completion_tokens" not in usage for usage in usages)
    assert any("total_tokens" not in usage for usage in usages)


def test_fuzz_command_finds_nothing_on_the_stream(server_factory: Callable[..., MockServer]) -> None:
    """`letta-mockserver fuzz` reported 5 findings on this operation against this server."""
    server = server_factory(mode="stateless", responses="fuzz", seed=3)
    command = [sys.executable, "-m", "mockserver", "fuzz", "--base-url", server.url, "--operations", STREAM]
    result = subprocess.run([*command, "--examples", "20"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 finding(s)" in result.stdout
