"""The runs contract both official-SDK suites check, written once.

letta-client 1.7.0 (``tests/sdk``, in the project's virtualenv) and the newest letta-client
(``tests/sdk_latest``, run in a subprocess by ``tests/test_sdk_latest.py``) call ``client.runs``
the same way, so the test bodies live here, in :class:`RunsContract`, and each suite subclasses
it as ``TestRuns``, naming its own SDK's models in class attributes. This module imports no
``letta_client``: the two suites import two different installs of it, and each passes its own.

Strict mode validates single objects and object pages, but builds array pages (``runs.list``,
``runs.steps.list``, ...) with ``construct``, unvalidated: :func:`strictly` validates their
items the way strict mode validates single objects, so a schema slip in a list cannot hide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

import pydantic
import pytest

from mockserver import MockServer

T = TypeVar("T")

AGENT_ID = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
OTHER_AGENT_ID = "agent-11111111-2222-4333-8444-555566667777"
CONVERSATION_ID = "conversation-9f8e7d6c-5b4a-4392-a1b0-c9d8e7f6a5b4"
ALL = 100
"""A limit above the size of every generated collection: one page holds the whole list."""
STREAM_TYPES = ["ping", "reasoning_message", "assistant_message", "stop_reason", "usage_statistics"]


def sdk_options(url: str) -> dict[str, Any]:
    """How every SDK client under test is built: strict response validation, and no retries
    (a retry would hide a 5xx).
    """
    return {"base_url": url, "api_key": "test-key", "max_retries": 0, "_strict_response_validation": True}


def sdk_client_fixtures(letta: type[Any], async_letta: type[Any]) -> tuple[Any, Any, Any, Any]:
    """The ``client``, ``aclient``, ``lenient_client`` and ``lenient_aclient`` fixtures of one SDK's
    ``Letta`` and ``AsyncLetta``: a suite assigns them to those four names so pytest finds them.

    ``client``/``aclient`` talk to the strict stateless server, the lenient ones to the lenient
    server, where odd ids are accepted and echoed (strict answers 400). The async ones need the
    suite's ``anyio_backend`` fixture.
    """

    @pytest.fixture(name="client")
    def client(stateless_server: MockServer) -> Iterator[Any]:
        with letta(**sdk_options(stateless_server.url)) as sdk:
            yield sdk

    @pytest.fixture(name="aclient")
    async def aclient(stateless_server: MockServer, anyio_backend: str) -> AsyncIterator[Any]:
        async with async_letta(**sdk_options(stateless_server.url)) as sdk:
            yield sdk

    @pytest.fixture(name="lenient_client")
    def lenient_client(lenient_server: MockServer) -> Iterator[Any]:
        with letta(**sdk_options(lenient_server.url)) as sdk:
            yield sdk

    @pytest.fixture(name="lenient_aclient")
    async def lenient_aclient(lenient_server: MockServer, anyio_backend: str) -> AsyncIterator[Any]:
        async with async_letta(**sdk_options(lenient_server.url)) as sdk:
            yield sdk

    return client, aclient, lenient_client, lenient_aclient


def strictly(adapter: pydantic.TypeAdapter[T], items: Iterable[pydantic.BaseModel]) -> list[T]:
    """Validate page items (built unvalidated by the SDK) as strict mode validates single objects."""
    return [
        adapter.validate_python(
            item.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings="error")
        )
        for item in items
    ]


def ids(items: Iterable[Any]) -> list[str]:
    """The ``id`` of each item, in order."""
    return [item.id for item in items]


def created_times(items: Iterable[Any]) -> list[datetime]:
    """The ``created_at`` of each item, each checked to be parsed as a datetime."""
    times = [item.created_at for item in items]
    assert all(isinstance(moment, datetime) for moment in times), times
    return times


def _paging_cases(full: list[str], default_order: str) -> list[tuple[dict[str, Any], list[str]]]:
    """Each ``limit``/``order``/cursor query of a list with what it must return, given ``full``
    (its ids newest first); one table so the sync and async checks cannot drift apart.
    """
    assert len(full) > 4, "a generated collection should be long enough to page"
    assert len(set(full)) == len(full), "ids in a list must be unique"
    return [
        ({}, full if default_order == "desc" else full[::-1]),
        ({"limit": 3, "order": "desc"}, full[:3]),
        ({"limit": ALL, "order": "asc"}, full[::-1]),
        ({"limit": ALL, "order": "asc", "order_by": "created_at"}, full[::-1]),
        ({"limit": ALL, "order": "desc", "after": full[1]}, full[2:]),
        ({"limit": ALL, "order": "desc", "before": full[4]}, full[:4]),
        ({"limit": 2, "order": "desc", "before": full[4]}, full[2:4]),
        ({"limit": ALL, "order": "desc", "after": full[0], "before": full[3]}, full[1:3]),
        ({"limit": ALL, "order": "asc", "after": full[2]}, [full[1], full[0]]),
    ]


def check_paging(fetch: Callable[..., Sequence[Any]], default_order: str = "desc") -> list[str]:
    """limit, order and both cursors of one list, all judged against its unpaged contents."""
    full = ids(fetch(limit=ALL, order="desc"))
    for query, expected in _paging_cases(full, default_order):
        assert ids(fetch(**query)) == expected, query
    return full


async def acheck_paging(
    fetch: Callable[..., Awaitable[Sequence[Any]]], default_order: str = "desc"
) -> list[str]:
    """:func:`check_paging` for the async client."""
    full = ids(await fetch(limit=ALL, order="desc"))
    for query, expected in _paging_cases(full, default_order):
        assert ids(await fetch(**query)) == expected, query
    return full


class StreamKinds(NamedTuple):
    """The SDK's model classes of the stream's ping, stop reason and usage events."""

    ping: type[Any]
    stop_reason: type[Any]
    usage_statistics: type[Any]


def seq_id(event: Any) -> int:
    """The event's ``seq_id``, which must be an int."""
    value = getattr(event, "seq_id", None)
    assert isinstance(value, int), event
    return value


def check_stream(run_id: str, events: Sequence[Any], kinds: StreamKinds) -> None:
    """A whole stateless run stream: its five events, ordered seq_ids, and usage that adds up."""
    assert [event.message_type for event in events] == STREAM_TYPES
    ping, reasoning, assistant, stop, usage = events
    assert isinstance(ping, kinds.ping)
    assert isinstance(stop, kinds.stop_reason)
    assert stop.stop_reason == "end_turn"
    assert isinstance(usage, kinds.usage_statistics)
    seq_ids = [seq_id(event) for event in (ping, reasoning, assistant)]
    assert seq_ids == sorted(seq_ids)
    assert len(set(seq_ids)) == len(seq_ids)
    assert [getattr(event, "run_id", None) for event in (ping, reasoning, assistant)] == [run_id] * 3
    assert isinstance(usage.prompt_tokens, int)
    assert isinstance(usage.completion_tokens, int)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.run_ids == [run_id]


def check_resumed(full: Sequence[Any], resumed: Sequence[Any]) -> None:
    """``starting_after=<seq_id of the 2nd event>`` replays exactly what followed it."""
    assert [event.model_dump() for event in resumed] == [event.model_dump() for event in full[2:]]
    assert seq_id(resumed[0]) > seq_id(full[1])


def check_usage(usage: Any) -> None:
    """Token counts are non-negative ints that add up."""
    assert isinstance(usage.prompt_tokens, int)
    assert usage.prompt_tokens >= 0
    assert isinstance(usage.completion_tokens, int)
    assert usage.completion_tokens >= 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def check_unprocessable(error: Any, loc: list[Any]) -> None:
    """A 422 whose every ``detail`` item points at ``loc``."""
    assert error.status_code == 422
    body = error.body
    assert isinstance(body, dict)
    assert isinstance(body["detail"], list)
    assert body["detail"]
    for item in body["detail"]:
        assert item["loc"] == loc, item
        assert isinstance(item["msg"], str)
        assert isinstance(item["type"], str)


RunFilter = tuple[dict[str, Any], Callable[[Any], bool]]
"""The query parameters of one ``runs.list`` filter, and what every returned run must then satisfy."""
COMMON_RUN_FILTERS: dict[str, RunFilter] = {
    "agent_id": ({"agent_id": AGENT_ID}, lambda run: run.agent_id == AGENT_ID),
    "agent_ids": (
        {"agent_ids": [AGENT_ID, OTHER_AGENT_ID]},
        lambda run: run.agent_id in {AGENT_ID, OTHER_AGENT_ID},
    ),
    "active": (
        {"active": True},
        lambda run: run.status in {"created", "running"} and run.stop_reason is None,
    ),
    "conversation_id": (
        {"conversation_id": CONVERSATION_ID},
        lambda run: run.conversation_id == CONVERSATION_ID,
    ),
}
"""The filters both suites check the same way; each adds its own status and stop-reason values."""


class RunsContract:
    """The ``client.runs`` tests of every SDK version, sync and async.

    A suite subclasses it as ``Test...`` (pytest collects the inherited methods) and sets the class
    attributes below; it also provides the ``client`` and ``aclient`` fixtures (sync and async SDK
    clients of the stateless strict server) and ``anyio_backend``.
    """

    run_id: ClassVar[str]
    other_run_id: ClassVar[str]
    """Another well-formed run id, answered just as well."""
    run_filters: ClassVar[dict[str, RunFilter]]
    run_adapter: ClassVar[pydantic.TypeAdapter[Any]]
    step_adapter: ClassVar[pydantic.TypeAdapter[Any]]
    message_adapter: ClassVar[pydantic.TypeAdapter[Any]]
    stream_kinds: ClassVar[StreamKinds]
    bad_request: ClassVar[type[Exception]]
    unprocessable: ClassVar[type[Exception]]
    quiet_stream_options: ClassVar[dict[str, Any]] = {}
    """Extra arguments of the quiet (no pings) stream request, for an SDK that sends more."""

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize ``case`` over this suite's run filters (pytest calls this per class)."""
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", list(self.run_filters), ids=str)

    # -- sync client ---------------------------------------------------------------------------

    def test_sync_run_retrieve_returns_the_requested_run(self, client: Any) -> None:
        run = client.runs.retrieve(self.run_id)
        assert run.id == self.run_id
        assert run.agent_id.startswith("agent-")
        if run.status in {"created", "running"}:
            assert run.completed_at is None
            assert run.stop_reason is None
        assert client.runs.retrieve(self.run_id).model_dump() == run.model_dump()

    def test_sync_run_list_honours_filters(self, client: Any, case: str) -> None:
        params, holds = self.run_filters[case]
        runs = strictly(self.run_adapter, client.runs.list(limit=ALL, **params).items)
        assert runs, "a filter this generous should match some runs"
        assert all(holds(run) for run in runs), [
            run.model_dump(include={"status", "stop_reason"}) for run in runs
        ]

    def test_sync_run_list_contradictory_filters_match_nothing(self, client: Any) -> None:
        assert client.runs.list(active=True, stop_reason="error").items == []
        assert client.runs.list(statuses=["running"], stop_reason="end_turn").items == []

    def test_sync_run_list_pages_and_orders(self, client: Any) -> None:
        full = check_paging(lambda **kw: strictly(self.run_adapter, client.runs.list(**kw).items))
        created = created_times(strictly(self.run_adapter, client.runs.list(limit=ALL, order="asc").items))
        assert created == sorted(created)
        assert ids(client.runs.list(limit=ALL, ascending=True).items) == full[::-1]
        assert ids(client.runs.list(limit=ALL, ascending=False).items) == full

    def test_sync_run_list_auto_pagination_visits_each_run_once(self, client: Any) -> None:
        unpaged = ids(client.runs.list(limit=ALL).items)
        assert len(client.runs.list(limit=2).items) == 2
        walked = ids(client.runs.list(limit=2))
        assert walked == unpaged
        assert len(walked) > 2
        filtered = list(client.runs.list(limit=2, agent_id=AGENT_ID))
        assert ids(filtered) == unpaged
        assert all(run.agent_id == AGENT_ID for run in filtered)

    def test_sync_run_list_backward_auto_pagination(self, client: Any) -> None:
        unpaged = ids(client.runs.list(limit=ALL).items)
        walked = ids(client.runs.list(limit=2, before=unpaged[-1]))
        assert sorted(walked) == sorted(unpaged[:-1])
        assert len(walked) == len(set(walked))

    def test_sync_run_messages_list(self, client: Any) -> None:
        messages = strictly(self.message_adapter, client.runs.messages.list(self.run_id, limit=ALL).items)
        assert messages
        assert all(getattr(message, "run_id", self.run_id) == self.run_id for message in messages)
        # The documented default order of run messages is oldest first.
        check_paging(lambda **kw: client.runs.messages.list(self.run_id, **kw).items, default_order="asc")
        assert ids(client.runs.messages.list(self.run_id, limit=2)) == ids(messages)

    def test_sync_run_messages_stream(self, client: Any) -> None:
        with client.runs.messages.stream(self.run_id) as stream:
            events = list(stream)
        assert stream.response.is_closed
        check_stream(self.run_id, events, self.stream_kinds)
        resumed = list(client.runs.messages.stream(self.run_id, starting_after=seq_id(events[1])))
        check_resumed(events, resumed)
        quiet = list(
            client.runs.messages.stream(
                self.run_id,
                include_pings=False,
                batch_size=10,
                poll_interval=0.1,
                **self.quiet_stream_options,
            )
        )
        assert [event.message_type for event in quiet] == [t for t in STREAM_TYPES if t != "ping"]
        assert all(getattr(event, "run_id", self.run_id) == self.run_id for event in quiet)

    def test_sync_run_usage_retrieve(self, client: Any) -> None:
        usage = client.runs.usage.retrieve(self.run_id)
        check_usage(usage)
        assert client.runs.usage.retrieve(self.run_id).model_dump() == usage.model_dump()

    def test_sync_run_steps_list(self, client: Any) -> None:
        steps = strictly(self.step_adapter, client.runs.steps.list(self.run_id, limit=ALL).items)
        assert steps
        assert all(step.run_id == self.run_id for step in steps)
        check_paging(
            lambda **kw: strictly(self.step_adapter, client.runs.steps.list(self.run_id, **kw).items)
        )
        assert ids(client.runs.steps.list(self.run_id, limit=2)) == ids(steps)

    def test_sync_run_list_rejects_what_the_contract_rejects(self, client: Any) -> None:
        with pytest.raises(self.unprocessable) as caught:
            client.runs.list(limit=0)
        check_unprocessable(caught.value, ["query", "limit"])
        with pytest.raises(self.bad_request) as bad:
            client.runs.list(statuses=["finished"])
        error: Any = bad.value
        assert error.status_code == 400
        assert isinstance(error.body, dict)
        assert "finished" in str(error.body["detail"])

    # -- async client --------------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_async_run_retrieve_returns_the_requested_run(self, aclient: Any) -> None:
        run = await aclient.runs.retrieve(self.run_id)
        assert run.id == self.run_id
        assert (await aclient.runs.retrieve(self.other_run_id)).id == self.other_run_id
        assert (await aclient.runs.retrieve(self.run_id)).model_dump() == run.model_dump()

    @pytest.mark.anyio
    async def test_async_run_list_honours_filters(self, aclient: Any, case: str) -> None:
        params, holds = self.run_filters[case]
        runs = strictly(self.run_adapter, (await aclient.runs.list(limit=ALL, **params)).items)
        assert runs
        assert all(holds(run) for run in runs)

    @pytest.mark.anyio
    async def test_async_run_list_pages_and_auto_paginates(self, aclient: Any) -> None:
        async def fetch(**kw: Any) -> list[Any]:
            return strictly(self.run_adapter, (await aclient.runs.list(**kw)).items)

        full = await acheck_paging(fetch)
        walked = [run.id async for run in aclient.runs.list(limit=2)]
        assert walked == full
        assert len(walked) > 2
        backwards = [run.id async for run in aclient.runs.list(limit=2, before=full[-1])]
        assert sorted(backwards) == sorted(full[:-1])

    @pytest.mark.anyio
    async def test_async_run_messages_list(self, aclient: Any) -> None:
        async def fetch(**kw: Any) -> list[Any]:
            return strictly(self.message_adapter, (await aclient.runs.messages.list(self.run_id, **kw)).items)

        full = await acheck_paging(fetch, default_order="asc")
        walked = [
            message.id async for message in aclient.runs.messages.list(self.run_id, limit=2, order="desc")
        ]
        assert walked == full

    @pytest.mark.anyio
    async def test_async_run_messages_stream(self, aclient: Any) -> None:
        stream = await aclient.runs.messages.stream(self.run_id)
        async with stream:
            events = [event async for event in stream]
        assert stream.response.is_closed
        check_stream(self.run_id, events, self.stream_kinds)
        resumed = [
            event
            async for event in await aclient.runs.messages.stream(
                self.run_id, starting_after=seq_id(events[1])
            )
        ]
        check_resumed(events, resumed)

    @pytest.mark.anyio
    async def test_async_run_usage_retrieve(self, aclient: Any) -> None:
        check_usage(await aclient.runs.usage.retrieve(self.run_id))

    @pytest.mark.anyio
    async def test_async_run_steps_list(self, aclient: Any) -> None:
        async def fetch(**kw: Any) -> list[Any]:
            return strictly(self.step_adapter, (await aclient.runs.steps.list(self.run_id, **kw)).items)

        full = await acheck_paging(fetch)
        assert all(step.run_id == self.run_id for step in await fetch(limit=ALL))
        walked = [step.id async for step in aclient.runs.steps.list(self.run_id, limit=2)]
        assert walked == full
