"""The official SDK, letta-client 1.7.0, against the manual-clock stateful server.

Sync ``Letta`` and async ``AsyncLetta``, both with strict response validation and no retries:
batches move along their lifecycle as the clock is advanced, unknown ids raise the SDK's
``NotFoundError``, auto-pagination visits hundreds of stored batches and runs exactly once in
order, and a background run's stream delivers messages live while another thread (or task)
moves the clock.
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime
from typing import Any

import anyio
import httpx
import pydantic
import pytest
from letta_client import AsyncLetta, BadRequestError, Letta, NotFoundError
from letta_client.types.agents.letta_streaming_response import (
    LettaPing,
    LettaStopReason,
    LettaStreamingResponse,
    LettaUsageStatistics,
)
from letta_client.types.agents.run import Run
from letta_client.types.batch_job import BatchJob
from sdk_runs import strictly

from mockserver import MockServer

from .conftest import (
    AGENT_A,
    AGENT_B,
    JOB_DURATION,
    RUNNING_AFTER,
    UNKNOWN_JOB,
    UNKNOWN_RUN,
    MockApi,
    batch_request,
    stamp,
)

MANY = 250
LIVE_TYPES = [
    "ping",
    "reasoning_message",
    "assistant_message",
    "stop_reason",
    "usage_statistics",
]
MESSAGE_TYPES = {"reasoning_message", "assistant_message"}
STEP = 0.5
"""The default run's messages are due every half second; its end comes at 2 s."""
FIRST_STEP = 2 * STEP
"""From the opening ping to the reasoning: the user's input (due at 0.5 s) is stored, never streamed."""
BATCH = pydantic.TypeAdapter(BatchJob)
RUN = pydantic.TypeAdapter(Run)


def _requests() -> Any:
    return [batch_request(AGENT_A, "How are you?"), batch_request(AGENT_B, "What is new?")]


def _at(seconds: float) -> datetime:
    return datetime.fromisoformat(stamp(seconds))


# -- lifecycle ---------------------------------------------------------------------------------


def test_sync_batch_lifecycle_on_the_clock(client: Letta, api: MockApi) -> None:
    """``created`` from ``create``, ``running`` after 5% of the duration, ``completed`` at the end."""
    t0 = api.now()
    batch = client.batches.create(requests=_requests())
    assert isinstance(batch, BatchJob)
    assert (batch.status, batch.job_type) == ("created", "batch")
    assert batch.created_at == _at(t0)
    api.advance(RUNNING_AFTER)
    running = client.batches.retrieve(batch.id)
    assert running.status == "running"
    assert running.completed_at is None
    api.advance(JOB_DURATION - RUNNING_AFTER)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.completed_at == _at(t0 + JOB_DURATION)
    assert done.total_duration_ns == 2_000_000_000
    messages = client.batches.messages.list(batch.id, order="asc").messages
    assert [(m.role, m.agent_id) for m in messages] == [
        ("user", AGENT_A),
        ("user", AGENT_B),
        ("assistant", AGENT_A),
        ("assistant", AGENT_B),
    ]
    assert [m.batch_item_id for m in messages[:2]] == [m.batch_item_id for m in messages[2:]]
    only_b = client.batches.messages.list(batch.id, agent_id=AGENT_B, order="asc").messages
    assert [m.role for m in only_b] == ["user", "assistant"]


def test_sync_cancel_stops_a_running_batch(client: Letta, api: MockApi) -> None:
    """``cancel`` answers ``None``; the batch stays cancelled, without ``completed_at``,
    whatever the clock does.
    """
    batch = client.batches.create(requests=_requests())
    api.advance(0.5)
    assert client.batches.cancel(batch.id) is None
    api.advance(10 * JOB_DURATION)
    cancelled = client.batches.retrieve(batch.id)
    assert cancelled.status == "cancelled"
    assert cancelled.completed_at is None
    assert {b.id: b.status for b in strictly(BATCH, client.batches.list().items)} == {batch.id: "cancelled"}


def test_sync_unknown_and_malformed_ids_raise(client: Letta) -> None:
    """Unknown batch and run ids raise ``NotFoundError`` naming them; malformed ones ``BadRequestError``."""
    with pytest.raises(NotFoundError) as batch_missing:
        client.batches.retrieve(UNKNOWN_JOB)
    assert batch_missing.value.body == {"detail": f"Job not found with id='{UNKNOWN_JOB}'"}
    with pytest.raises(NotFoundError) as run_missing:
        client.runs.retrieve(UNKNOWN_RUN)
    assert run_missing.value.body == {"detail": f"Run not found with id='{UNKNOWN_RUN}'"}
    with pytest.raises(NotFoundError):
        client.batches.cancel(UNKNOWN_JOB)
    with pytest.raises(NotFoundError):
        client.runs.messages.list(UNKNOWN_RUN)
    with pytest.raises(BadRequestError):
        client.batches.retrieve("batch_id")
    with pytest.raises(BadRequestError):
        client.runs.retrieve("run_id")


def test_sync_seeded_run_parses_strictly_on_every_endpoint(client: Letta, api: MockApi) -> None:
    """A finished seeded run, its messages, steps and usage all parse in strict mode and agree."""
    seeded = api.seed_run(agent_id=AGENT_B, status="completed", stop_reason="max_steps")
    run = client.runs.retrieve(seeded["id"])
    assert (run.status, run.stop_reason, run.agent_id) == ("completed", "max_steps", AGENT_B)
    messages = client.runs.messages.list(run.id).items
    assert [m.message_type for m in messages] == ["user_message", "reasoning_message", "assistant_message"]
    steps = client.runs.steps.list(run.id).items
    usage = client.runs.usage.retrieve(run.id)
    assert usage.total_tokens == sum(step.total_tokens or 0 for step in steps) > 0
    assert [r.id for r in strictly(RUN, client.runs.list(stop_reason="max_steps").items)] == [run.id]


@pytest.mark.anyio
async def test_async_batch_lifecycle_and_not_found(aclient: AsyncLetta, api: MockApi) -> None:
    """The async client sees the same lifecycle, and ``NotFoundError`` for unknown ids."""
    batch = await aclient.batches.create(requests=_requests())
    assert batch.status == "created"
    api.advance(RUNNING_AFTER)
    assert (await aclient.batches.retrieve(batch.id)).status == "running"
    api.advance(JOB_DURATION)
    assert (await aclient.batches.retrieve(batch.id)).status == "completed"
    assert await aclient.batches.cancel(batch.id) is None
    assert (await aclient.batches.retrieve(batch.id)).status == "completed"
    with pytest.raises(NotFoundError):
        await aclient.batches.retrieve(UNKNOWN_JOB)
    with pytest.raises(NotFoundError):
        await aclient.runs.retrieve(UNKNOWN_RUN)


# -- auto-pagination ---------------------------------------------------------------------------


@pytest.fixture
def many_batches(client: Letta, api: MockApi) -> list[str]:
    """250 batches created at 25 instants, 10 at each (ties break on id); oldest first."""
    made: list[tuple[float, str]] = []
    for index in range(MANY):
        if index and index % 10 == 0:
            api.advance(1.0)
        made.append((api.now(), client.batches.create(requests=_requests()[:1]).id))
    return [batch_id for _, batch_id in sorted(made)]


@pytest.fixture
def many_runs(api: MockApi) -> list[str]:
    """250 runs seeded at 25 instants in the past, in every terminal status; oldest first."""
    base = api.now() - 1_000
    made: list[tuple[float, str]] = []
    statuses = ("completed", "failed", "cancelled")
    for index in range(MANY):
        created = base + index % 25
        run = api.seed_run(created_at=stamp(created), status=statuses[index % 3])
        made.append((created, run["id"]))
    return [run_id for _, run_id in sorted(made)]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sync_auto_paging_visits_every_batch_once_in_order(
    client: Letta, many_batches: list[str], order: Any
) -> None:
    """``for batch in client.batches.list(limit=20, order=...)`` walks all 250 batches once, in order."""
    walked = [batch.id for batch in client.batches.list(limit=20, order=order)]
    assert walked == (many_batches if order == "asc" else many_batches[::-1])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sync_auto_paging_visits_every_run_once_in_order(
    client: Letta, many_runs: list[str], order: Any
) -> None:
    """``for run in client.runs.list(limit=20, order=...)`` walks all 250 seeded runs once, in order;
    started with ``before``, it walks every earlier run once, page by page backwards.
    """
    walked = [run.id for run in client.runs.list(limit=20, order=order)]
    assert walked == (many_runs if order == "asc" else many_runs[::-1])
    # Started with `before`, the SDK pages backwards (`before=<first id>`): pages come nearest-first,
    # each one in the requested order.
    backwards = [run.id for run in client.runs.list(limit=20, order=order, before=walked[-1])]
    earlier = walked[:-1]
    pages = [earlier[max(0, end - 20) : end] for end in range(len(earlier), 0, -20)]
    assert backwards == [run_id for page in pages for run_id in page]


@pytest.mark.anyio
async def test_async_auto_paging_over_batches_and_runs(
    aclient: AsyncLetta, many_batches: list[str], many_runs: list[str]
) -> None:
    """The async client's ``async for`` walks the same 250 batches and 250 runs once each."""
    assert [batch.id async for batch in aclient.batches.list(limit=20, order="asc")] == many_batches
    assert [run.id async for run in aclient.runs.list(limit=20)] == many_runs[::-1]


# -- the live stream ---------------------------------------------------------------------------


def _check_live_events(events: list[LettaStreamingResponse], run_id: str) -> None:
    assert [event.message_type for event in events] == LIVE_TYPES
    assert isinstance(events[0], LettaPing)
    assert [getattr(event, "seq_id", None) for event in events[:3]] == [1, 2, 3]
    assert all(getattr(event, "run_id", None) == run_id for event in events[:3])
    stop, usage = events[3], events[4]
    assert isinstance(stop, LettaStopReason)
    assert stop.stop_reason == "end_turn"
    assert isinstance(usage, LettaUsageStatistics)
    assert usage.step_count == 1
    assert usage.total_tokens == (usage.prompt_tokens or 0) + (usage.completion_tokens or 0) > 0


def test_sync_stream_delivers_messages_live_while_a_thread_advances_the_clock(
    client: Letta, api: MockApi, manual_server: MockServer
) -> None:
    """Each message arrives while the run is still running, right after the clock reaches its due time."""
    run_id = api.seed_run()["id"]
    requests: queue.Queue[float | None] = queue.Queue()
    failures: list[BaseException] = []

    def advancer() -> None:
        with httpx.Client(base_url=manual_server.url, timeout=10) as http:
            while (seconds := requests.get(timeout=30)) is not None:
                try:
                    MockApi(http).advance(seconds)
                except BaseException as exc:  # reported by the main thread
                    failures.append(exc)
                    return

    thread = threading.Thread(target=advancer, name="clock-advancer", daemon=True)
    thread.start()
    events: list[LettaStreamingResponse] = []
    seen_while: list[tuple[str, int]] = []
    try:
        with client.runs.messages.stream(run_id) as stream:
            for event in stream:
                events.append(event)
                if event.message_type == "ping" or event.message_type in MESSAGE_TYPES:
                    # What the server holds at the moment the event reached us; then let time move on.
                    stored = len(api.get_list(f"/v1/runs/{run_id}/messages"))
                    seen_while.append((api.run(run_id)["status"], stored))
                    requests.put(FIRST_STEP if event.message_type == "ping" else STEP)
    finally:
        requests.put(None)
        thread.join(10)
    assert not failures
    assert not thread.is_alive()
    _check_live_events(events, run_id)
    assert seen_while == [("created", 0), ("running", 2), ("running", 3)]
    assert api.run(run_id)["status"] == "completed"


@pytest.mark.anyio
async def test_async_stream_delivers_messages_live_while_a_task_advances_the_clock(
    aclient: AsyncLetta, api: MockApi, manual_server: MockServer
) -> None:
    """The async stream gets each message as soon as a concurrent task moves the clock to it."""
    run_id = api.seed_run()["id"]
    send, receive = anyio.create_memory_object_stream[float](max_buffer_size=10)
    events: list[LettaStreamingResponse] = []
    statuses: list[str] = []

    async def advancer() -> None:
        async with httpx.AsyncClient(base_url=manual_server.url, timeout=10) as http, receive:
            async for seconds in receive:
                response = await http.post("/_mock/clock/advance", json={"seconds": seconds})
                assert response.status_code == 200, response.text

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(advancer)
        async with send:
            stream = await aclient.runs.messages.stream(run_id)
            async with stream:
                async for event in stream:
                    events.append(event)
                    if event.message_type == "ping" or event.message_type in MESSAGE_TYPES:
                        run = await aclient.runs.retrieve(run_id)
                        statuses.append(run.status or "")
                        await send.send(FIRST_STEP if event.message_type == "ping" else STEP)
    _check_live_events(events, run_id)
    assert statuses == ["created", "running", "running"]
