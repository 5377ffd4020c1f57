"""The official Python SDK, letta-client 1.7.0, against a live stateless server.

1.7.0 is the last release with the ``batches`` resource, so every method of ``client.batches``
and ``client.runs`` is exercised here, with the sync ``Letta`` and the async ``AsyncLetta``
client, both in strict response validation and without retries (a retry would hide a 5xx).

Strict mode validates single objects and object pages, but builds array pages (``runs.list``,
``runs.steps.list``, ...) with ``construct``, unvalidated: :func:`strictly` validates their
items the way strict mode validates single objects, so a schema slip in a list cannot hide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import pydantic
import pytest
from letta_client import AsyncLetta, BadRequestError, Letta, UnprocessableEntityError
from letta_client.types.agents.internal_message import InternalMessage
from letta_client.types.agents.letta_streaming_response import (
    LettaPing,
    LettaStopReason,
    LettaStreamingResponse,
    LettaUsageStatistics,
)
from letta_client.types.agents.message import Message
from letta_client.types.agents.run import Run
from letta_client.types.batch_job import BatchJob
from letta_client.types.step import Step

from mockserver import MockServer

T = TypeVar("T")

RUN_ID = "run-2f0c5b8e-3d7a-4c1b-9e6f-8a7b6c5d4e3f"
BATCH_ID = "job-7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
AGENT_ID = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
OTHER_AGENT_ID = "agent-11111111-2222-4333-8444-555566667777"
CONVERSATION_ID = "conversation-9f8e7d6c-5b4a-4392-a1b0-c9d8e7f6a5b4"
ALL = 100
"""A limit above the size of every generated collection: one page holds the whole list."""
STREAM_TYPES = ["ping", "reasoning_message", "assistant_message", "stop_reason", "usage_statistics"]
BATCH_REQUEST: Any = {"agent_id": AGENT_ID, "messages": [{"role": "user", "content": "Hello there"}]}
MALFORMED_REQUEST: Any = {**BATCH_REQUEST, "agent_id": "agent-1"}

RUN = pydantic.TypeAdapter(Run)
STEP = pydantic.TypeAdapter(Step)
MESSAGE: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Message)
BATCH = pydantic.TypeAdapter(BatchJob)
INTERNAL_MESSAGE = pydantic.TypeAdapter(InternalMessage)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client(stateless_server: MockServer) -> Iterator[Letta]:
    with Letta(
        base_url=stateless_server.url, api_key="test-key", max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


@pytest.fixture
async def aclient(stateless_server: MockServer, anyio_backend: str) -> AsyncIterator[AsyncLetta]:
    async with AsyncLetta(
        base_url=stateless_server.url, api_key="test-key", max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


@pytest.fixture
def lenient_client(lenient_server: MockServer) -> Iterator[Letta]:
    with Letta(
        base_url=lenient_server.url, api_key="test-key", max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


# -- helpers -----------------------------------------------------------------------------------


def strictly(adapter: pydantic.TypeAdapter[T], items: Iterable[pydantic.BaseModel]) -> list[T]:
    """Validate page items (built unvalidated by the SDK) as strict mode validates single objects."""
    return [
        adapter.validate_python(
            item.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings="error")
        )
        for item in items
    ]


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def check_paging(fetch: Callable[..., Sequence[Any]], default_order: str = "desc") -> list[str]:
    """limit, order and both cursors of one list, all judged against its unpaged contents."""
    full = ids(fetch(limit=ALL, order="desc"))
    assert len(full) > 4, "a generated collection should be long enough to page"
    assert len(set(full)) == len(full), "ids in a list must be unique"
    assert ids(fetch()) == (full if default_order == "desc" else full[::-1])
    assert ids(fetch(limit=3, order="desc")) == full[:3]
    assert ids(fetch(limit=ALL, order="asc", order_by="created_at")) == full[::-1]
    assert ids(fetch(limit=ALL, order="desc", after=full[1])) == full[2:]
    assert ids(fetch(limit=ALL, order="desc", before=full[4])) == full[:4]
    assert ids(fetch(limit=2, order="desc", before=full[4])) == full[2:4]
    assert ids(fetch(limit=ALL, order="desc", after=full[0], before=full[3])) == full[1:3]
    assert ids(fetch(limit=ALL, order="asc", after=full[2])) == [full[1], full[0]]
    return full


async def acheck_paging(
    fetch: Callable[..., Awaitable[Sequence[Any]]], default_order: str = "desc"
) -> list[str]:
    """:func:`check_paging` for the async client."""
    full = ids(await fetch(limit=ALL, order="desc"))
    assert len(full) > 4
    assert len(set(full)) == len(full)
    assert ids(await fetch()) == (full if default_order == "desc" else full[::-1])
    assert ids(await fetch(limit=3, order="desc")) == full[:3]
    assert ids(await fetch(limit=ALL, order="asc", order_by="created_at")) == full[::-1]
    assert ids(await fetch(limit=ALL, order="desc", after=full[1])) == full[2:]
    assert ids(await fetch(limit=ALL, order="desc", before=full[4])) == full[:4]
    assert ids(await fetch(limit=2, order="desc", before=full[4])) == full[2:4]
    return full


def check_stream(run_id: str, events: Sequence[LettaStreamingResponse]) -> None:
    assert [event.message_type for event in events] == STREAM_TYPES
    ping, reasoning, assistant, stop, usage = events
    assert isinstance(ping, LettaPing)
    assert isinstance(stop, LettaStopReason)
    assert stop.stop_reason == "end_turn"
    assert isinstance(usage, LettaUsageStatistics)
    seq_ids = [seq_id(event) for event in (ping, reasoning, assistant)]
    assert seq_ids == sorted(seq_ids)
    assert len(set(seq_ids)) == len(seq_ids)
    assert [getattr(event, "run_id", None) for event in (ping, reasoning, assistant)] == [run_id] * 3
    assert isinstance(usage.prompt_tokens, int)
    assert isinstance(usage.completion_tokens, int)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.run_ids == [run_id]


def seq_id(event: LettaStreamingResponse) -> int:
    value = getattr(event, "seq_id", None)
    assert isinstance(value, int), event
    return value


def check_resumed(full: Sequence[LettaStreamingResponse], resumed: Sequence[LettaStreamingResponse]) -> None:
    """``starting_after=<seq_id of the 2nd event>`` replays exactly what followed it."""
    assert [event.model_dump() for event in resumed] == [event.model_dump() for event in full[2:]]
    assert seq_id(resumed[0]) > seq_id(full[1])


def created_times(items: Iterable[Any]) -> list[datetime]:
    times = [item.created_at for item in items]
    assert all(isinstance(moment, datetime) for moment in times), times
    return times


def check_usage(usage: Any) -> None:
    assert isinstance(usage.prompt_tokens, int)
    assert usage.prompt_tokens >= 0
    assert isinstance(usage.completion_tokens, int)
    assert usage.completion_tokens >= 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def check_unprocessable(error: UnprocessableEntityError, loc: list[Any]) -> None:
    assert error.status_code == 422
    body = error.body
    assert isinstance(body, dict)
    assert isinstance(body["detail"], list)
    assert body["detail"]
    for item in body["detail"]:
        assert item["loc"] == loc, item
        assert isinstance(item["msg"], str)
        assert isinstance(item["type"], str)


# Every filter of `runs.list`, with what the returned runs must then satisfy.
RunFilter = tuple[dict[str, Any], Callable[[Run], bool]]
RUN_FILTERS: dict[str, RunFilter] = {
    "agent_id": ({"agent_id": AGENT_ID}, lambda run: run.agent_id == AGENT_ID),
    "agent_ids": (
        {"agent_ids": [AGENT_ID, OTHER_AGENT_ID]},
        lambda run: run.agent_id in {AGENT_ID, OTHER_AGENT_ID},
    ),
    "statuses": ({"statuses": ["completed", "failed"]}, lambda run: run.status in {"completed", "failed"}),
    "active": (
        {"active": True},
        lambda run: run.status in {"created", "running"} and run.stop_reason is None,
    ),
    "background-true": ({"background": True}, lambda run: run.background is True),
    "background-false": ({"background": False}, lambda run: run.background is False),
    "conversation_id": (
        {"conversation_id": CONVERSATION_ID},
        lambda run: run.conversation_id == CONVERSATION_ID,
    ),
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


# -- sync client: runs -------------------------------------------------------------------------


def test_sync_run_retrieve_returns_the_requested_run(client: Letta) -> None:
    run = client.runs.retrieve(RUN_ID)
    assert run.id == RUN_ID
    assert run.agent_id.startswith("agent-")
    if run.status in {"created", "running"}:
        assert run.completed_at is None
        assert run.stop_reason is None
    assert client.runs.retrieve(RUN_ID).model_dump() == run.model_dump()


@pytest.mark.parametrize("case", RUN_FILTERS, ids=str)
def test_sync_run_list_honours_filters(client: Letta, case: str) -> None:
    params, holds = RUN_FILTERS[case]
    runs = strictly(RUN, client.runs.list(limit=ALL, **params).items)
    assert runs, "a filter this generous should match some runs"
    assert all(holds(run) for run in runs), [
        run.model_dump(include={"status", "stop_reason"}) for run in runs
    ]


def test_sync_run_list_contradictory_filters_match_nothing(client: Letta) -> None:
    assert client.runs.list(active=True, stop_reason="error").items == []
    assert client.runs.list(statuses=["running"], stop_reason="end_turn").items == []


def test_sync_run_list_pages_and_orders(client: Letta) -> None:
    full = check_paging(lambda **kw: strictly(RUN, client.runs.list(**kw).items))
    created = created_times(strictly(RUN, client.runs.list(limit=ALL, order="asc").items))
    assert created == sorted(created)
    assert ids(client.runs.list(limit=ALL, ascending=True).items) == full[::-1]
    assert ids(client.runs.list(limit=ALL, ascending=False).items) == full


def test_sync_run_list_auto_pagination_visits_each_run_once(client: Letta) -> None:
    unpaged = ids(client.runs.list(limit=ALL).items)
    assert len(client.runs.list(limit=2).items) == 2
    walked = ids(client.runs.list(limit=2))
    assert walked == unpaged
    assert len(walked) > 2
    filtered = list(client.runs.list(limit=2, agent_id=AGENT_ID))
    assert ids(filtered) == unpaged
    assert all(run.agent_id == AGENT_ID for run in filtered)


def test_sync_run_list_backward_auto_pagination(client: Letta) -> None:
    unpaged = ids(client.runs.list(limit=ALL).items)
    walked = ids(client.runs.list(limit=2, before=unpaged[-1]))
    assert sorted(walked) == sorted(unpaged[:-1])
    assert len(walked) == len(set(walked))


def test_sync_run_messages_list(client: Letta) -> None:
    messages = strictly(MESSAGE, client.runs.messages.list(RUN_ID, limit=ALL).items)
    assert messages
    assert all(getattr(message, "run_id", RUN_ID) == RUN_ID for message in messages)
    # The documented default order of run messages is oldest first.
    check_paging(lambda **kw: client.runs.messages.list(RUN_ID, **kw).items, default_order="asc")
    assert ids(client.runs.messages.list(RUN_ID, limit=2)) == ids(messages)


def test_sync_run_messages_stream(client: Letta) -> None:
    with client.runs.messages.stream(RUN_ID) as stream:
        events = list(stream)
    assert stream.response.is_closed
    check_stream(RUN_ID, events)
    resumed = list(client.runs.messages.stream(RUN_ID, starting_after=seq_id(events[1])))
    check_resumed(events, resumed)
    quiet = list(client.runs.messages.stream(RUN_ID, include_pings=False, batch_size=10, poll_interval=0.1))
    assert [event.message_type for event in quiet] == [t for t in STREAM_TYPES if t != "ping"]


def test_sync_run_usage_retrieve(client: Letta) -> None:
    usage = client.runs.usage.retrieve(RUN_ID)
    check_usage(usage)
    assert client.runs.usage.retrieve(RUN_ID).model_dump() == usage.model_dump()


def test_sync_run_steps_list(client: Letta) -> None:
    steps = strictly(STEP, client.runs.steps.list(RUN_ID, limit=ALL).items)
    assert steps
    assert all(step.run_id == RUN_ID for step in steps)
    check_paging(lambda **kw: strictly(STEP, client.runs.steps.list(RUN_ID, **kw).items))
    assert ids(client.runs.steps.list(RUN_ID, limit=2)) == ids(steps)


def test_sync_run_list_rejects_what_the_contract_rejects(client: Letta) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        client.runs.list(limit=0)
    check_unprocessable(caught.value, ["query", "limit"])
    with pytest.raises(BadRequestError) as bad:
        client.runs.list(statuses=["finished"])
    assert bad.value.status_code == 400
    assert isinstance(bad.value.body, dict)
    assert "finished" in str(bad.value.body["detail"])


# -- async client ------------------------------------------------------------------------------


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


@pytest.mark.anyio
async def test_async_run_retrieve_returns_the_requested_run(aclient: AsyncLetta) -> None:
    run = await aclient.runs.retrieve(RUN_ID)
    assert run.id == RUN_ID
    other_id = RUN_ID.replace("2f0c", "3a1d")
    assert (await aclient.runs.retrieve(other_id)).id == other_id
    assert (await aclient.runs.retrieve(RUN_ID)).model_dump() == run.model_dump()


@pytest.mark.anyio
@pytest.mark.parametrize("case", RUN_FILTERS, ids=str)
async def test_async_run_list_honours_filters(aclient: AsyncLetta, case: str) -> None:
    params, holds = RUN_FILTERS[case]
    runs = strictly(RUN, (await aclient.runs.list(limit=ALL, **params)).items)
    assert runs
    assert all(holds(run) for run in runs)


@pytest.mark.anyio
async def test_async_run_list_pages_and_auto_paginates(aclient: AsyncLetta) -> None:
    async def fetch(**kw: Any) -> list[Run]:
        return strictly(RUN, (await aclient.runs.list(**kw)).items)

    full = await acheck_paging(fetch)
    walked = [run.id async for run in aclient.runs.list(limit=2)]
    assert walked == full
    assert len(walked) > 2
    backwards = [run.id async for run in aclient.runs.list(limit=2, before=full[-1])]
    assert sorted(backwards) == sorted(full[:-1])


@pytest.mark.anyio
async def test_async_run_messages_list(aclient: AsyncLetta) -> None:
    async def fetch(**kw: Any) -> list[Any]:
        return strictly(MESSAGE, (await aclient.runs.messages.list(RUN_ID, **kw)).items)

    full = await acheck_paging(fetch, default_order="asc")
    walked = [message.id async for message in aclient.runs.messages.list(RUN_ID, limit=2, order="desc")]
    assert walked == full


@pytest.mark.anyio
async def test_async_run_messages_stream(aclient: AsyncLetta) -> None:
    stream = await aclient.runs.messages.stream(RUN_ID)
    async with stream:
        events = [event async for event in stream]
    assert stream.response.is_closed
    check_stream(RUN_ID, events)
    resumed = [
        event async for event in await aclient.runs.messages.stream(RUN_ID, starting_after=seq_id(events[1]))
    ]
    check_resumed(events, resumed)


@pytest.mark.anyio
async def test_async_run_usage_retrieve(aclient: AsyncLetta) -> None:
    check_usage(await aclient.runs.usage.retrieve(RUN_ID))


@pytest.mark.anyio
async def test_async_run_steps_list(aclient: AsyncLetta) -> None:
    async def fetch(**kw: Any) -> list[Step]:
        return strictly(STEP, (await aclient.runs.steps.list(RUN_ID, **kw)).items)

    full = await acheck_paging(fetch)
    assert all(step.run_id == RUN_ID for step in await fetch(limit=ALL))
    walked = [step.id async for step in aclient.runs.steps.list(RUN_ID, limit=2)]
    assert walked == full


# -- lenient validation: what SDK-generated test suites send -----------------------------------


def test_lenient_server_answers_generator_placeholders(lenient_client: Letta) -> None:
    sdk = lenient_client
    created = sdk.batches.create(
        requests=[{"agent_id": "agent_id", "messages": [{"role": "user", "content": "string"}]}],
        callback_url="https://example.com",
    )
    assert created.callback_url == "https://example.com"
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
    check_stream("run_id", events)


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
