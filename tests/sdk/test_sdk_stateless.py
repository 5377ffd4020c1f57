"""The official Python SDK, letta-client 1.7.0, against a live stateless server.

1.7.0 is the last release with the ``batches`` resource, so every method of ``client.batches``
and ``client.runs`` is exercised here, with the sync ``Letta`` and the async ``AsyncLetta``
client, both in strict response validation and without retries (a retry would hide a 5xx).

The runs tests are shared with the newest SDK's suite (``tests/sdk_latest``): they live in
``tests/sdk_runs.py`` and run here through :class:`TestRuns`, which names 1.7.0's models.
The batches tests are this suite's own: the newest SDK has no batches.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic
import pytest
from letta_client import AsyncLetta, BadRequestError, Letta, UnprocessableEntityError
from letta_client.types.agents.internal_message import InternalMessage
from letta_client.types.agents.letta_streaming_response import (
    LettaPing,
    LettaStopReason,
    LettaUsageStatistics,
)
from letta_client.types.agents.message import Message
from letta_client.types.agents.run import Run
from letta_client.types.batch_job import BatchJob
from letta_client.types.step import Step
from sdk_runs import (
    AGENT_ID,
    ALL,
    COMMON_RUN_FILTERS,
    CONVERSATION_ID,
    RunFilter,
    RunsContract,
    StreamKinds,
    acheck_paging,
    check_paging,
    check_stream,
    check_unprocessable,
    check_usage,
    created_times,
    ids,
    sdk_client_fixtures,
    strictly,
)

RUN_ID = "run-2f0c5b8e-3d7a-4c1b-9e6f-8a7b6c5d4e3f"
BATCH_ID = "job-7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
BATCH_REQUEST: Any = {"agent_id": AGENT_ID, "messages": [{"role": "user", "content": "Hello there"}]}
MALFORMED_REQUEST: Any = {**BATCH_REQUEST, "agent_id": "agent-1"}

RUN = pydantic.TypeAdapter(Run)
STEP = pydantic.TypeAdapter(Step)
MESSAGE: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Message)
BATCH = pydantic.TypeAdapter(BatchJob)
INTERNAL_MESSAGE = pydantic.TypeAdapter(InternalMessage)
STREAM_KINDS = StreamKinds(LettaPing, LettaStopReason, LettaUsageStatistics)

# Every filter of `runs.list`, with what the returned runs must then satisfy.
RUN_FILTERS: dict[str, RunFilter] = {
    **COMMON_RUN_FILTERS,
    "statuses": ({"statuses": ["completed", "failed"]}, lambda run: run.status in {"completed", "failed"}),
    "background-true": ({"background": True}, lambda run: run.background is True),
    "background-false": ({"background": False}, lambda run: run.background is False),
    "stop_reason": (
        {"stop_reason": "end_turn"},
        lambda run: run.stop_reason == "end_turn" and run.status in {"completed", "failed"},
    ),
    "stop_reason-cancelled": (
        {"stop_reason": "cancelled"},
        lambda run: run.stop_reason == "cancelled" and run.status == "cancelled",
    ),
    "combined": (
        {
            "agent_id": AGENT_ID,
            "statuses": ["running"],
            "background": True,
            "conversation_id": CONVERSATION_ID,
        },
        lambda run: (
            run.agent_id == AGENT_ID
            and run.status == "running"
            and run.background is True
            and run.conversation_id == CONVERSATION_ID
        ),
    ),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


client, aclient, lenient_client, lenient_aclient = sdk_client_fixtures(Letta, AsyncLetta)


class TestRuns(RunsContract):
    """The shared runs tests (``tests/sdk_runs.py``), sync and async, with 1.7.0's models."""

    run_id = RUN_ID
    other_run_id = RUN_ID.replace("2f0c", "3a1d")
    run_filters = RUN_FILTERS
    run_adapter = RUN
    step_adapter = STEP
    message_adapter = MESSAGE
    stream_kinds = STREAM_KINDS
    bad_request: ClassVar[type[Exception]] = BadRequestError
    unprocessable: ClassVar[type[Exception]] = UnprocessableEntityError


# -- sync client: batches ----------------------------------------------------------------------


def test_sync_batch_create_returns_a_running_batch(client: Letta) -> None:
    first = client.batches.create(requests=[BATCH_REQUEST], callback_url="https://example.com/done")
    second = client.batches.create(requests=[BATCH_REQUEST, BATCH_REQUEST])
    assert first.id.startswith("job-")
    assert second.id.startswith("job-")
    assert first.id != second.id
    assert first.status == "running"
    assert first.job_type == "batch"
    assert first.callback_url == "https://example.com/done"
    assert second.callback_url is None
    assert first.completed_at is None
    assert first.stop_reason is None


def test_sync_batch_retrieve_returns_the_requested_batch(client: Letta) -> None:
    batch = client.batches.retrieve(BATCH_ID)
    assert batch.id == BATCH_ID
    assert batch.job_type == "batch"
    again = client.batches.retrieve(BATCH_ID)
    assert again.model_dump() == batch.model_dump(), "stateless answers are deterministic"
    other_id = BATCH_ID.replace("7d1e", "8e2f")
    assert client.batches.retrieve(other_id).id == other_id


def test_sync_batch_list_pages_and_orders(client: Letta) -> None:
    full = check_paging(lambda **kw: strictly(BATCH, client.batches.list(**kw).items))
    batches = strictly(BATCH, client.batches.list(limit=ALL, order="asc").items)
    created = created_times(batches)
    assert created == sorted(created)
    assert all(batch.job_type == "batch" for batch in batches)
    assert len(full) == len(batches)


def test_sync_batch_list_auto_pagination_visits_each_batch_once(client: Letta) -> None:
    unpaged = ids(client.batches.list(limit=ALL).items)
    first_page = client.batches.list(limit=2)
    assert len(first_page.items) == 2
    walked = ids(first_page)
    assert walked == unpaged
    assert len(walked) > 2


def test_sync_batch_cancel(client: Letta) -> None:
    raw = client.batches.with_raw_response.cancel(BATCH_ID)
    assert raw.http_request.method == "PATCH"
    assert raw.http_request.url.path == f"/v1/messages/batches/{BATCH_ID}/cancel"
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parse() == raw.http_response.json()
    assert client.batches.cancel(BATCH_ID) == raw.http_response.json()


def test_sync_batch_messages_list(client: Letta) -> None:
    page = client.batches.messages.list(BATCH_ID, agent_id=AGENT_ID, limit=ALL)
    messages = strictly(INTERNAL_MESSAGE, page.messages)
    assert messages
    assert all(message.agent_id == AGENT_ID for message in messages)
    check_paging(lambda **kw: client.batches.messages.list(BATCH_ID, **kw).messages)
    created = created_times(client.batches.messages.list(BATCH_ID, order="asc", limit=ALL).messages)
    assert created == sorted(created)


def test_sync_batch_messages_auto_pagination(client: Letta) -> None:
    unpaged = ids(client.batches.messages.list(BATCH_ID, limit=ALL).messages)
    walked = ids(client.batches.messages.list(BATCH_ID, limit=2))
    assert walked == unpaged
    assert len(walked) > 2


def test_sync_batch_create_rejects_a_malformed_agent_id(client: Letta) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        client.batches.create(requests=[MALFORMED_REQUEST])
    check_unprocessable(caught.value, ["body", "requests", 0, "agent_id"])


# -- async client: batches ---------------------------------------------------------------------
@pytest.mark.anyio
async def test_async_batch_create_retrieve_cancel(aclient: AsyncLetta) -> None:
    created = await aclient.batches.create(requests=[BATCH_REQUEST], callback_url="https://example.com/done")
    assert created.id.startswith("job-")
    assert created.status == "running"
    assert created.callback_url == "https://example.com/done"
    batch = await aclient.batches.retrieve(created.id)
    assert batch.id == created.id
    assert batch.job_type == "batch"
    raw = await aclient.batches.with_raw_response.cancel(created.id)
    assert raw.http_request.method == "PATCH"
    assert raw.status_code == 200
    assert await raw.parse() == raw.http_response.json()


@pytest.mark.anyio
async def test_async_batch_list(aclient: AsyncLetta) -> None:
    async def fetch(**kw: Any) -> list[BatchJob]:
        return strictly(BATCH, (await aclient.batches.list(**kw)).items)

    full = await acheck_paging(fetch)
    walked = [batch.id async for batch in aclient.batches.list(limit=2)]
    assert walked == full


@pytest.mark.anyio
async def test_async_batch_messages_list(aclient: AsyncLetta) -> None:
    async def fetch(**kw: Any) -> list[InternalMessage]:
        return strictly(INTERNAL_MESSAGE, (await aclient.batches.messages.list(BATCH_ID, **kw)).messages)

    full = await acheck_paging(fetch)
    filtered = await fetch(agent_id=AGENT_ID, limit=ALL)
    assert filtered
    assert all(message.agent_id == AGENT_ID for message in filtered)
    walked = [message.id async for message in aclient.batches.messages.list(BATCH_ID, limit=2)]
    assert walked == full


@pytest.mark.anyio
async def test_async_batch_create_rejects_a_malformed_agent_id(aclient: AsyncLetta) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await aclient.batches.create(requests=[MALFORMED_REQUEST])
    check_unprocessable(caught.value, ["body", "requests", 0, "agent_id"])


# -- lenient validation: what SDK-generated test suites send -----------------------------------


def test_lenient_server_answers_generator_placeholders(lenient_client: Letta) -> None:
    sdk = lenient_client
    created = sdk.batches.create(
        requests=[{"agent_id": "agent_id", "messages": [{"role": "user", "content": "string"}]}],
        callback_url="https://example.com",
    )
    assert created.callback_url == "https://example.com/"  # HttpUrl normal form
    assert created.status == "running"
    assert sdk.batches.retrieve("batch_id").id == "batch_id"
    # `limit=0` means "no limit" on the real batches list.
    batches = strictly(
        BATCH,
        sdk.batches.list(after="after", before="before", limit=0, order="asc", order_by="created_at").items,
    )
    assert len(batches) == len(sdk.batches.list(limit=ALL).items)
    sdk.batches.cancel("batch_id")
    messages = sdk.batches.messages.list(
        "batch_id",
        after="after",
        agent_id="agent_id",
        before="before",
        limit=0,
        order="asc",
        order_by="created_at",
    )
    assert isinstance(messages.messages, list)
    tagged = strictly(INTERNAL_MESSAGE, sdk.batches.messages.list("batch_id", agent_id="agent_id").messages)
    assert tagged
    assert all(message.agent_id == "agent_id" for message in tagged)

    assert sdk.runs.retrieve("run_id").id == "run_id"
    every_param: dict[str, Any] = {
        "active": True,
        "after": "after",
        "agent_id": "agent_id",
        "agent_ids": ["string"],
        "ascending": True,
        "background": True,
        "before": "before",
        "conversation_id": "conversation_id",
        "order": "asc",
        "order_by": "created_at",
        "statuses": ["string"],
        "stop_reason": "end_turn",
    }
    assert sdk.runs.list(limit=0, **every_param).items == []
    # A status the contract does not know is not put on the runs: they must still parse.
    assert strictly(RUN, sdk.runs.list(statuses=["string"]).items)
    runs = strictly(RUN, sdk.runs.list(**{**every_param, "active": False}).items)
    assert runs
    assert all(run.agent_id == "agent_id" and run.stop_reason == "end_turn" for run in runs)
    assert all(run.background is True and run.conversation_id == "conversation_id" for run in runs)

    paging: dict[str, Any] = {"after": "after", "before": "before", "order": "asc", "order_by": "created_at"}
    assert sdk.runs.messages.list("run_id", limit=0, **paging).items == []
    assert strictly(MESSAGE, sdk.runs.messages.list("run_id", **paging).items)
    assert sdk.runs.steps.list("run_id", limit=0, **paging).items == []
    assert all(
        step.run_id == "run_id" for step in strictly(STEP, sdk.runs.steps.list("run_id", **paging).items)
    )
    check_usage(sdk.runs.usage.retrieve("run_id"))
    events = list(
        sdk.runs.messages.stream(
            "run_id", batch_size=0, include_pings=True, poll_interval=0, starting_after=0
        )
    )
    check_stream("run_id", events, STREAM_KINDS)


def test_strict_server_rejects_generator_placeholders(client: Letta) -> None:
    """What the lenient server answers, the faithful default keeps rejecting."""
    with pytest.raises(UnprocessableEntityError) as caught:
        client.batches.create(
            requests=[{"agent_id": "agent_id", "messages": [{"role": "user", "content": "x"}]}]
        )
    check_unprocessable(caught.value, ["body", "requests", 0, "agent_id"])
    with pytest.raises(UnprocessableEntityError) as caught:
        client.runs.list(agent_id="agent_id", limit=0)
    check_unprocessable(caught.value, ["query", "limit"])
