"""The newest letta-client (1.12.1, runs only) against a live stateless server.

It cannot share the virtualenv with 1.7.0, so this directory is not collected by a plain
``pytest`` run: ``tests/test_sdk_latest.py`` runs it in a subprocess with the newest SDK first
on ``PYTHONPATH`` (installed by ``scripts/test`` in ``.venv/sdk-latest``). The fixtures come
from ``tests/conftest.py``.

Array pages are built unvalidated even in strict mode; :func:`strictly` validates their items
as strict mode validates single objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import letta_client
import pydantic
import pytest
from letta_client import AsyncLetta, Letta, UnprocessableEntityError
from letta_client.types.agents.letta_streaming_response import (
    LettaPing,
    LettaStopReason,
    LettaStreamingResponse,
    LettaUsageStatistics,
)
from letta_client.types.agents.message import Message
from letta_client.types.agents.run import Run
from letta_client.types.step import Step

from mockserver import MockServer

EXPECTED_VERSION = "1.12.1"
T = TypeVar("T")

RUN_ID = "run-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
AGENT_ID = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
OTHER_AGENT_ID = "agent-11111111-2222-4333-8444-555566667777"
CONVERSATION_ID = "conversation-9f8e7d6c-5b4a-4392-a1b0-c9d8e7f6a5b4"
ALL = 100
STREAM_TYPES = ["ping", "reasoning_message", "assistant_message", "stop_reason", "usage_statistics"]

RUN = pydantic.TypeAdapter(Run)
STEP = pydantic.TypeAdapter(Step)
MESSAGE: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Message)


@pytest.fixture(autouse=True)
def _newest_sdk_only() -> None:
    """Fail every test loudly when the SDK on the path is not the one this suite is for."""
    assert letta_client.__version__ == EXPECTED_VERSION, (
        f"tests/sdk_latest imported letta-client {letta_client.__version__} from "
        f"{letta_client.__file__}, not {EXPECTED_VERSION}: run it through tests/test_sdk_latest.py"
    )


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
    """Odd ids are accepted and echoed under lenient validation only; strict answers 400."""
    with Letta(
        base_url=lenient_server.url, api_key="test-key", max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


@pytest.fixture
async def lenient_aclient(lenient_server: MockServer, anyio_backend: str) -> AsyncIterator[AsyncLetta]:
    async with AsyncLetta(
        base_url=lenient_server.url, api_key="test-key", max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


# -- helpers -----------------------------------------------------------------------------------


def strictly(adapter: pydantic.TypeAdapter[T], items: Iterable[pydantic.BaseModel]) -> list[T]:
    return [
        adapter.validate_python(
            item.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings="error")
        )
        for item in items
    ]


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def created_times(items: Iterable[Any]) -> list[datetime]:
    times = [item.created_at for item in items]
    assert all(isinstance(moment, datetime) for moment in times), times
    return times


def check_paging(fetch: Callable[..., Sequence[Any]], default_order: str = "desc") -> list[str]:
    full = ids(fetch(limit=ALL, order="desc"))
    assert len(full) > 4
    assert len(set(full)) == len(full)
    assert ids(fetch()) == (full if default_order == "desc" else full[::-1])
    assert ids(fetch(limit=3, order="desc")) == full[:3]
    assert ids(fetch(limit=ALL, order="asc", order_by="created_at")) == full[::-1]
    assert ids(fetch(limit=ALL, order="desc", after=full[1])) == full[2:]
    assert ids(fetch(limit=ALL, order="desc", before=full[4])) == full[:4]
    assert ids(fetch(limit=2, order="desc", before=full[4])) == full[2:4]
    return full


async def acheck_paging(
    fetch: Callable[..., Awaitable[Sequence[Any]]], default_order: str = "desc"
) -> list[str]:
    full = ids(await fetch(limit=ALL, order="desc"))
    assert len(full) > 4
    assert len(set(full)) == len(full)
    assert ids(await fetch()) == (full if default_order == "desc" else full[::-1])
    assert ids(await fetch(limit=3, order="desc")) == full[:3]
    assert ids(await fetch(limit=ALL, order="asc")) == full[::-1]
    assert ids(await fetch(limit=ALL, order="desc", after=full[1])) == full[2:]
    assert ids(await fetch(limit=2, order="desc", before=full[4])) == full[2:4]
    return full


def seq_id(event: LettaStreamingResponse) -> int:
    value = getattr(event, "seq_id", None)
    assert isinstance(value, int), event
    return value


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


def check_resumed(full: Sequence[LettaStreamingResponse], resumed: Sequence[LettaStreamingResponse]) -> None:
    assert [event.model_dump() for event in resumed] == [event.model_dump() for event in full[2:]]
    assert seq_id(resumed[0]) > seq_id(full[1])


def check_usage(usage: Any) -> None:
    assert isinstance(usage.prompt_tokens, int)
    assert isinstance(usage.completion_tokens, int)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def check_spans(spans: Sequence[dict[str, object]]) -> None:
    assert spans
    for span in spans:
        assert isinstance(span, dict)
        assert isinstance(span["trace_id"], str)
        assert isinstance(span["span_id"], str)
    span_ids = [span["span_id"] for span in spans]
    assert len(set(span_ids)) == len(span_ids)


RunFilter = tuple[dict[str, Any], Callable[[Run], bool]]
RUN_FILTERS: dict[str, RunFilter] = {
    "agent_id": ({"agent_id": AGENT_ID}, lambda run: run.agent_id == AGENT_ID),
    "agent_ids": (
        {"agent_ids": [AGENT_ID, OTHER_AGENT_ID]},
        lambda run: run.agent_id in {AGENT_ID, OTHER_AGENT_ID},
    ),
    "statuses": ({"statuses": ["created", "cancelled"]}, lambda run: run.status in {"created", "cancelled"}),
    "active": (
        {"active": True},
        lambda run: run.status in {"created", "running"} and run.stop_reason is None,
    ),
    "background": ({"background": False}, lambda run: run.background is False),
    "conversation_id": (
        {"conversation_id": CONVERSATION_ID},
        lambda run: run.conversation_id == CONVERSATION_ID,
    ),
    "stop_reason": (
        {"stop_reason": "max_steps"},
        lambda run: run.stop_reason == "max_steps" and run.status in {"completed", "failed"},
    ),
}


def test_the_newest_sdk_is_under_test(client: Letta) -> None:
    assert letta_client.__version__ == EXPECTED_VERSION
    assert hasattr(client.runs, "trace")
    assert not hasattr(client, "batches"), "the batches resource was removed after 1.7.0"


# -- sync client -------------------------------------------------------------------------------


def test_sync_run_retrieve_returns_the_requested_run(client: Letta) -> None:
    run = client.runs.retrieve(RUN_ID)
    assert run.id == RUN_ID
    assert client.runs.retrieve(RUN_ID).model_dump() == run.model_dump()


@pytest.mark.parametrize("run_id", ["run-x?y", "run with space", "run-%41", "run-\u00e4#1"])
def test_sync_run_retrieve_round_trips_ids_the_sdk_percent_encodes(
    lenient_client: Letta, run_id: str
) -> None:
    raw = lenient_client.runs.with_raw_response.retrieve(run_id)
    assert raw.http_request.url.raw_path.count(b"/") == 3, "the id must stay one path segment"
    assert raw.parse().id == run_id


@pytest.mark.parametrize("case", RUN_FILTERS, ids=str)
def test_sync_run_list_honours_filters(client: Letta, case: str) -> None:
    params, holds = RUN_FILTERS[case]
    runs = strictly(RUN, client.runs.list(limit=ALL, **params).items)
    assert runs
    assert all(holds(run) for run in runs)


def test_sync_run_list_pages_orders_and_auto_paginates(client: Letta) -> None:
    full = check_paging(lambda **kw: strictly(RUN, client.runs.list(**kw).items))
    created = created_times(strictly(RUN, client.runs.list(limit=ALL, order="asc").items))
    assert created == sorted(created)
    assert ids(client.runs.list(limit=ALL, ascending=True).items) == full[::-1]
    walked = ids(client.runs.list(limit=2))
    assert walked == full
    assert sorted(ids(client.runs.list(limit=2, before=full[-1]))) == sorted(full[:-1])


def test_sync_run_messages_list(client: Letta) -> None:
    messages = strictly(MESSAGE, client.runs.messages.list(RUN_ID, limit=ALL).items)
    assert messages
    assert all(getattr(message, "run_id", RUN_ID) == RUN_ID for message in messages)
    check_paging(lambda **kw: client.runs.messages.list(RUN_ID, **kw).items, default_order="asc")
    assert ids(client.runs.messages.list(RUN_ID, limit=2)) == ids(messages)


def test_sync_run_messages_stream(client: Letta) -> None:
    with client.runs.messages.stream(RUN_ID) as stream:
        events = list(stream)
    assert stream.response.is_closed
    check_stream(RUN_ID, events)
    resumed = list(client.runs.messages.stream(RUN_ID, starting_after=seq_id(events[1])))
    check_resumed(events, resumed)
    # 1.12.1 also sends agent_id, otid and run_id in the body; the path's run is still the one streamed.
    recovered = list(
        client.runs.messages.stream(
            RUN_ID,
            agent_id=AGENT_ID,
            otid="otid-7f3c",
            body_run_id=RUN_ID,
            include_pings=False,
            batch_size=10,
            poll_interval=0.1,
        )
    )
    assert [event.message_type for event in recovered] == [t for t in STREAM_TYPES if t != "ping"]
    assert all(getattr(event, "run_id", RUN_ID) == RUN_ID for event in recovered)


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


def test_sync_run_trace_retrieve(client: Letta) -> None:
    spans = client.runs.trace.retrieve(RUN_ID)
    check_spans(spans)
    assert len(spans) > 2
    assert client.runs.trace.retrieve(RUN_ID, limit=2) == spans[:2]
    assert client.runs.trace.retrieve(RUN_ID, limit=len(spans) + 10) == spans
    with pytest.raises(UnprocessableEntityError) as caught:
        client.runs.trace.retrieve(RUN_ID, limit=0)
    assert isinstance(caught.value.body, dict)
    assert [item["loc"] for item in caught.value.body["detail"]] == [["query", "limit"]]


# -- async client ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_run_retrieve_returns_the_requested_run(
    aclient: AsyncLetta, lenient_aclient: AsyncLetta
) -> None:
    assert (await aclient.runs.retrieve(RUN_ID)).id == RUN_ID
    assert (await lenient_aclient.runs.retrieve("run-x?y")).id == "run-x?y"


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
    assert [run.id async for run in aclient.runs.list(limit=2)] == full


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
    assert [step.id async for step in aclient.runs.steps.list(RUN_ID, limit=2)] == full


@pytest.mark.anyio
async def test_async_run_trace_retrieve(aclient: AsyncLetta) -> None:
    spans = await aclient.runs.trace.retrieve(RUN_ID)
    check_spans(spans)
    assert await aclient.runs.trace.retrieve(RUN_ID, limit=1) == spans[:1]
