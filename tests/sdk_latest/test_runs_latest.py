"""The newest letta-client (1.12.1, runs only) against a live stateless server.

It cannot share the virtualenv with 1.7.0, so this directory is not collected by a plain
``pytest`` run: ``tests/test_sdk_latest.py`` runs it in a subprocess with the newest SDK first
on ``PYTHONPATH`` (installed by ``scripts/test`` in ``.venv/sdk-latest``). The fixtures come
from ``tests/conftest.py``.

The runs tests are shared with the 1.7.0 suite: they live in ``tests/sdk_runs.py`` and run here
through :class:`TestRuns`, which names this SDK's models. What only the newest SDK has (the trace
resource, the stream's recovery arguments, percent-encoded ids) is tested here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import letta_client
import pydantic
import pytest
from letta_client import AsyncLetta, BadRequestError, Letta, UnprocessableEntityError
from letta_client.types.agents.letta_streaming_response import (
    LettaPing,
    LettaStopReason,
    LettaUsageStatistics,
)
from letta_client.types.agents.message import Message
from letta_client.types.agents.run import Run
from letta_client.types.step import Step
from sdk_runs import AGENT_ID, COMMON_RUN_FILTERS, RunFilter, RunsContract, StreamKinds, sdk_client_fixtures

EXPECTED_VERSION = "1.12.1"

RUN_ID = "run-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"

RUN_FILTERS: dict[str, RunFilter] = {
    **COMMON_RUN_FILTERS,
    "statuses": ({"statuses": ["created", "cancelled"]}, lambda run: run.status in {"created", "cancelled"}),
    "background": ({"background": False}, lambda run: run.background is False),
    "stop_reason": (
        {"stop_reason": "max_steps"},
        lambda run: run.stop_reason == "max_steps" and run.status in {"completed", "failed"},
    ),
}


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


client, aclient, lenient_client, lenient_aclient = sdk_client_fixtures(Letta, AsyncLetta)


def check_spans(spans: Sequence[dict[str, object]]) -> None:
    assert spans
    for span in spans:
        assert isinstance(span, dict)
        assert isinstance(span["trace_id"], str)
        assert isinstance(span["span_id"], str)
    span_ids = [span["span_id"] for span in spans]
    assert len(set(span_ids)) == len(span_ids)


class TestRuns(RunsContract):
    """The shared runs tests (``tests/sdk_runs.py``), sync and async, with the newest SDK's models."""

    run_id = RUN_ID
    other_run_id = RUN_ID.replace("5e6f", "6a7b")
    run_filters = RUN_FILTERS
    run_adapter = pydantic.TypeAdapter(Run)
    step_adapter = pydantic.TypeAdapter(Step)
    message_adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Message)
    stream_kinds = StreamKinds(LettaPing, LettaStopReason, LettaUsageStatistics)
    bad_request = BadRequestError
    unprocessable = UnprocessableEntityError
    # 1.12.1 also sends agent_id, otid and run_id in the body; the path's run is still the one streamed.
    quiet_stream_options: ClassVar[dict[str, Any]] = {
        "agent_id": AGENT_ID,
        "otid": "otid-7f3c",
        "body_run_id": RUN_ID,
    }

    @pytest.mark.anyio
    async def test_async_run_retrieve_returns_the_requested_run(  # one more fixture than the base's
        self, aclient: Any, lenient_aclient: Any
    ) -> None:
        """The shared checks, and a percent-encoded id echoed by the lenient server."""
        await super().test_async_run_retrieve_returns_the_requested_run(aclient)
        assert (await lenient_aclient.runs.retrieve("run-x?y")).id == "run-x?y"


def test_the_newest_sdk_is_under_test(client: Letta) -> None:
    assert letta_client.__version__ == EXPECTED_VERSION
    assert hasattr(client.runs, "trace")
    assert not hasattr(client, "batches"), "the batches resource was removed after 1.7.0"


@pytest.mark.parametrize("run_id", ["run-x?y", "run with space", "run-%41", "run-\u00e4#1"])
def test_sync_run_retrieve_round_trips_ids_the_sdk_percent_encodes(
    lenient_client: Letta, run_id: str
) -> None:
    raw = lenient_client.runs.with_raw_response.retrieve(run_id)
    assert raw.http_request.url.raw_path.count(b"/") == 3, "the id must stay one path segment"
    assert raw.parse().id == run_id


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


@pytest.mark.anyio
async def test_async_run_trace_retrieve(aclient: AsyncLetta) -> None:
    spans = await aclient.runs.trace.retrieve(RUN_ID)
    check_spans(spans)
    assert await aclient.runs.trace.retrieve(RUN_ID, limit=1) == spans[:1]
