"""The rules the real server enforces and the stream endings it sends, through letta-client 1.7.0
(sync and async) and raw HTTP, against the manual-clock stateful server.

- a batch request takes exactly one of ``input`` and ``messages`` (422 at the request item, reported
  as a contract violation);
- ``callback_url`` is a pydantic ``HttpUrl``: http(s) only, and stored normalised;
- a run that stops with an error ends its stream with the stop reason and ``event: error`` (the SDK
  raises), and a fault can cut a stream mid-way the same way;
- resuming a stream: ``seq_id`` 1 is the opening ping, the user's input is not replayed, a cursor at
  or past the end ends at once, keepalive pings carry the last ``seq_id`` sent;
- ``limit=0``: no limit on batches and jobs, nothing on message and step lists.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from letta_client import APIStatusError, AsyncLetta, Letta, UnprocessableEntityError
from reference import RUN_STATUS_OF_STOP_REASON
from sse import sse_payloads

from .conftest import AGENT_A, JOB_DURATION, MockApi, ServerFactory, batch_request

HELLO: Any = batch_request(AGENT_A, "hi")
NEITHER = "Value error, Must specify either 'input' or 'messages'."
BOTH = "Value error, Cannot specify both 'input' and 'messages'. Use one or the other."


def _detail(error: Any) -> list[tuple[list[Any], str, str]]:
    return [(item["loc"], item["type"], item["msg"]) for item in error.body["detail"]]


# -- exactly one of `input` and `messages` ----------------------------------------------------


def test_a_request_with_neither_input_nor_messages_is_422_at_the_item(client: Letta, api: MockApi) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        client.batches.create(requests=[HELLO, {"agent_id": AGENT_A}])
    assert _detail(caught.value) == [(["body", "requests", 1], "value_error", NEITHER)]
    assert api.get_list("/v1/messages/batches") == []  # nothing was stored
    report = api.obj(api.http.get("/_mock/report"))
    assert report["ok"] is False
    assert [(v["loc"], v["type"]) for v in report["violations"]] == [(["body", "requests", 1], "value_error")]


async def test_a_request_with_both_input_and_messages_is_422_at_the_item(aclient: AsyncLetta) -> None:
    both: Any = {**batch_request(AGENT_A, "hi"), "input": "hi"}
    with pytest.raises(UnprocessableEntityError) as caught:
        await aclient.batches.create(requests=[both])
    assert _detail(caught.value) == [(["body", "requests", 0], "value_error", BOTH)]


def test_an_explicit_null_counts_as_not_given(client: Letta) -> None:
    """pydantic's ``Optional[...] = None``: ``"messages": null`` beside an ``input`` is fine."""
    created = client.batches.create(requests=[{"agent_id": AGENT_A, "input": "hi", "messages": None}])
    assert created.status == "created"


# -- callback_url is an HttpUrl -----------------------------------------------------------------


def test_a_bare_host_callback_url_is_stored_with_its_slash(client: Letta) -> None:
    created = client.batches.create(requests=[HELLO], callback_url="https://example.com")
    assert created.callback_url == "https://example.com/"
    assert client.batches.retrieve(created.id).callback_url == "https://example.com/"
    kept = client.batches.create(requests=[HELLO], callback_url="http://127.0.0.1:9/hooks/done?x=1")
    assert kept.callback_url == "http://127.0.0.1:9/hooks/done?x=1"


@pytest.mark.parametrize(
    ("url", "kind", "message"),
    [
        ("ftp://files.example.com/done", "url_scheme", "URL scheme should be 'http' or 'https'"),
        ("example.com/done", "url_parsing", "Input should be a valid URL, relative URL without a base"),
        ("http://", "url_parsing", "Input should be a valid URL, empty host"),
    ],
)
async def test_a_callback_url_the_real_server_refuses_is_422(
    aclient: AsyncLetta, url: str, kind: str, message: str
) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await aclient.batches.create(requests=[HELLO], callback_url=url)
    assert _detail(caught.value) == [(["body", "callback_url"], kind, message)]


# -- stream endings ------------------------------------------------------------------------------


def _raw_stream(api: MockApi, run_id: str, body: dict[str, Any] | None = None) -> str:
    with api.http.stream("POST", f"/v1/runs/{run_id}/stream", json=body or {}) as response:
        assert response.status_code == 200
        return response.read().decode()


def test_a_failed_run_stream_ends_with_its_stop_reason_and_an_error_event(api: MockApi) -> None:
    run = api.seed_run(status="failed", stop_reason="llm_api_error")
    text = _raw_stream(api, run["id"])
    assert "[DONE]" not in text
    last_two = text.split("\n\n")[-3:-1]
    assert json.loads(last_two[0].removeprefix("data: ")) == {
        "message_type": "stop_reason",
        "stop_reason": "llm_api_error",
    }
    event_line, data_line = last_two[1].split("\n")
    assert event_line == "event: error"
    error = json.loads(data_line.removeprefix("data: "))
    assert error["message_type"] == "error_message"
    assert error["run_id"] == run["id"]
    assert error["error_type"] == "internal_error"
    assert error["message"] == "An error occurred during agent execution."
    assert "usage_statistics" not in text


def test_the_sdk_raises_on_a_failed_run_stream_after_the_stop_reason(client: Letta, api: MockApi) -> None:
    run = api.seed_run(status="failed")
    seen: list[str] = []
    with pytest.raises(APIStatusError) as caught:
        seen.extend(str(event.message_type) for event in client.runs.messages.stream(run["id"]))
    assert seen == ["ping", "reasoning_message", "assistant_message", "stop_reason"]
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error_type"] == "internal_error"
    assert caught.value.body["run_id"] == run["id"]


# The stop reasons the real agent loop reaches through an exception, and the `error_type` of the
# `event: error` that then ends the stream (letta/agents/letta_agent_v3.py, the stream's `except`);
# written out here, not read from the mock's own table.
ERROR_ENDINGS = {
    "error": "internal_error",
    "llm_api_error": "internal_error",
    "context_window_overflow_in_system_prompt": "context_window_overflow_in_system_prompt",
}


@pytest.mark.parametrize("reason", sorted(RUN_STATUS_OF_STOP_REASON))
def test_every_stop_reason_ends_the_stream_as_the_real_agent_loop_does(api: MockApi, reason: str) -> None:
    run = api.seed_run(status=RUN_STATUS_OF_STOP_REASON[reason], stop_reason=reason)
    blocks = _raw_stream(api, run["id"]).split("\n\n")
    assert blocks[-1] == ""
    if reason in ERROR_ENDINGS:
        stop, error = blocks[-3:-1]
        event_line, data_line = error.split("\n")
        assert event_line == "event: error"
        assert json.loads(data_line.removeprefix("data: "))["error_type"] == ERROR_ENDINGS[reason]
        assert not any("usage_statistics" in block or "[DONE]" in block for block in blocks)
    else:
        stop, usage, done = blocks[-4:-1]
        assert json.loads(usage.removeprefix("data: "))["message_type"] == "usage_statistics"
        assert done == "data: [DONE]"
        assert "event: error" not in blocks
    assert json.loads(stop.removeprefix("data: ")) == {"message_type": "stop_reason", "stop_reason": reason}


@pytest.mark.parametrize("reason", sorted(ERROR_ENDINGS))
def test_the_sdk_raises_the_error_event_of_every_error_ending(
    client: Letta, api: MockApi, reason: str
) -> None:
    run = api.seed_run(status="failed", stop_reason=reason)
    seen: list[str] = []
    with pytest.raises(APIStatusError) as caught:
        seen.extend(str(event.message_type) for event in client.runs.messages.stream(run["id"]))
    assert seen[-1] == "stop_reason"
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error_type"] == ERROR_ENDINGS[reason]


async def test_the_async_sdk_raises_on_a_stream_cut_by_a_fault(aclient: AsyncLetta, api: MockApi) -> None:
    run = api.seed_run(status="completed")
    fault = {"operation": "retrieve_stream_for_run", "stream_error": {"after_events": 2, "message": "boom"}}
    api.obj(api.http.post("/_mock/faults", json={**fault, "times": 1}), status=201)
    seen: list[str] = []

    async def read() -> None:
        async for event in await aclient.runs.messages.stream(run["id"]):
            seen.append(str(event.message_type))

    with pytest.raises(APIStatusError) as caught:
        await read()
    assert seen == ["ping", "reasoning_message"]
    assert caught.value.body == {"error": "boom", "code": "INTERNAL_SERVER_ERROR"}
    # The fault was used up: the next stream is whole.
    assert _raw_stream(api, run["id"]).endswith("data: [DONE]\n\n")


def test_a_stream_error_fault_cuts_a_live_stream_without_waiting_for_the_clock(api: MockApi) -> None:
    run = api.seed_run()  # running on the manual clock: nothing more comes until it moves
    api.obj(
        api.http.post(
            "/_mock/faults",
            json={"operation": "retrieve_stream_for_run", "stream_error": {"after_events": 1}},
        ),
        status=201,
    )
    blocks = _raw_stream(api, run["id"]).split("\n\n")
    assert blocks[-1] == ""
    assert len(blocks) == 3
    assert json.loads(blocks[0].removeprefix("data: "))["message_type"] == "ping"
    assert blocks[1].startswith("event: error\ndata: ")


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"operation": "list_runs", "stream_error": {}}, ["body", "operation"]),
        (
            {"operation": "retrieve_stream_for_run", "stream_error": {"after_events": -1}},
            ["body", "stream_error", "after_events"],
        ),
        (
            {"operation": "retrieve_stream_for_run", "stream_error": {"after": 1}},
            ["body", "stream_error", "after"],
        ),
    ],
)
def test_a_bad_stream_error_fault_is_422_naming_the_field(
    api: MockApi, fault: dict[str, Any], field: list[Any]
) -> None:
    response = api.http.post("/_mock/faults", json=fault)
    assert response.status_code == 422
    assert field in [item["loc"] for item in response.json()["detail"]]


# -- resuming a stream -----------------------------------------------------------------------------


def _events(text: str) -> list[Any]:
    return [payload if payload == "[DONE]" else json.loads(payload) for payload in sse_payloads(text)]


def test_seq_ids_start_with_the_opening_ping_and_leave_out_the_users_input(api: MockApi) -> None:
    run = api.seed_run()
    api.advance(JOB_DURATION)
    events = _events(_raw_stream(api, run["id"]))
    assert [e if isinstance(e, str) else e["message_type"] for e in events] == [
        "ping",
        "reasoning_message",
        "assistant_message",
        "stop_reason",
        "usage_statistics",
        "[DONE]",
    ]
    assert [e["seq_id"] for e in events[:3]] == [1, 2, 3]
    stored = api.get_list(f"/v1/runs/{run['id']}/messages")
    assert stored[0]["message_type"] == "user_message"  # listed, never streamed
    assert [e["id"] for e in events[1:3]] == [m["id"] for m in stored[1:]]
    assert events[0]["date"] <= events[1]["date"]  # the opening ping was stored when the run began


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"starting_after": 1},
            ["reasoning_message", "assistant_message", "stop_reason", "usage_statistics", "[DONE]"],
        ),
        ({"starting_after": 3}, ["stop_reason", "usage_statistics", "[DONE]"]),
        ({"starting_after": 4}, ["usage_statistics", "[DONE]"]),
        ({"starting_after": 5}, ["[DONE]"]),
        ({"starting_after": 500}, ["[DONE]"]),
        (
            {"include_pings": False},
            ["reasoning_message", "assistant_message", "stop_reason", "usage_statistics", "[DONE]"],
        ),
    ],
)
def test_resuming_a_finished_run(api: MockApi, body: dict[str, Any], expected: list[str]) -> None:
    run = api.seed_run(status="completed")
    events = _events(_raw_stream(api, run["id"], body))
    assert [e if isinstance(e, str) else e["message_type"] for e in events] == expected
    assert [e["seq_id"] for e in events if isinstance(e, dict) and "seq_id" in e] == [
        seq for seq, kind in ((2, "reasoning_message"), (3, "assistant_message")) if kind in expected
    ]


def test_resuming_a_failed_run_past_its_end_ends_at_once_with_nothing(api: MockApi) -> None:
    run = api.seed_run(status="failed")
    assert _raw_stream(api, run["id"], {"starting_after": 4}).startswith("event: error\n")
    assert _raw_stream(api, run["id"], {"starting_after": 5}) == ""


def test_keepalive_pings_carry_the_last_seq_id_sent(server_factory: ServerFactory) -> None:
    server = server_factory(mode="stateful", clock="manual", stream_ping_interval=0.05)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        run = MockApi(http).seed_run()

        def first(count: int, body: dict[str, Any]) -> list[Any]:
            with http.stream("POST", f"/v1/runs/{run['id']}/stream", json=body) as response:
                seen: list[Any] = []
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        seen.append(json.loads(line.removeprefix("data: ")))
                    if len(seen) == count:
                        return seen
            raise AssertionError(f"the stream ended after {seen}")

        opening, keepalive = first(2, {})
        assert (opening["message_type"], opening["seq_id"]) == ("ping", 1)
        assert (keepalive["message_type"], keepalive["seq_id"]) == ("ping", 1)
        (resumed,) = first(1, {"starting_after": 1})
        assert (resumed["message_type"], resumed["seq_id"]) == ("ping", None)  # nothing sent yet


# -- limit=0 -----------------------------------------------------------------------------------------


def test_limit_zero_is_no_limit_for_batches_and_jobs_and_empty_elsewhere(api: MockApi) -> None:
    """The real job manager applies a limit only `if limit:`; the message and step queries apply
    `LIMIT 0`. More items than the default page of 100, so "no limit" differs from the default."""
    for _ in range(101):
        api.create_batch()
        api.seed_job()
    run = api.seed_run(steps=[{"prompt_tokens": 1, "completion_tokens": 1}], status="completed")
    api.advance(JOB_DURATION)
    batch_id = api.ids("/v1/messages/batches", limit=1)[0]
    for path in ("/v1/messages/batches", "/v1/jobs/"):
        everything = api.ids(path, limit=1000)
        assert len(everything) > 100
        assert api.ids(path, limit=0) == everything
    messages = f"/v1/messages/batches/{batch_id}/messages"
    assert api.obj(api.http.get(messages))["messages"] != []
    assert api.obj(api.http.get(messages, params={"limit": 0})) == {"messages": []}
    for path in (f"/v1/runs/{run['id']}/messages", f"/v1/runs/{run['id']}/steps"):
        assert api.get_list(path) != []
        assert api.get_list(path, limit=0) == []
