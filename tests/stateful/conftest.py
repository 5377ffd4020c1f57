"""A shared manual-clock stateful server, reset before every test that uses it.

The session starts one server per configuration (``server_factory``), so every test here
shares the same store: the function-scoped :func:`api` fixture empties it (``POST /_mock/reset``,
which also rewinds the manual clock) before handing it over. Expectations about timestamps are
computed from the clock's own ``epoch``, never from the wall clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from letta_client import AsyncLetta, Letta
from sdk_runs import sdk_options

from mockserver import MockServer

ServerFactory = Callable[..., MockServer]

AGENT_A = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
AGENT_B = "agent-11111111-2222-4333-8444-555566667777"
AGENT_C = "agent-99999999-8888-4777-a666-555544443333"
UNKNOWN_JOB = "job-00000000-0000-4000-8000-000000000001"
UNKNOWN_RUN = "run-00000000-0000-4000-8000-000000000001"
JOB_DURATION = 2.0
"""The server's default ``--job-duration``."""
RUNNING_AFTER = JOB_DURATION * 0.05
"""A new batch, job or run starts running after 5% of its duration."""


def stamp(seconds: float) -> str:
    """``created_at``-style RFC 3339 text of POSIX ``seconds``, as the server writes it."""
    moment = datetime.fromtimestamp(seconds, UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z"


def date_stamp(seconds: float) -> str:
    """``LettaMessage.date``: whole seconds with ``+00:00``."""
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def batch_request(agent_id: str, text: str) -> dict[str, Any]:
    return {"agent_id": agent_id, "messages": [{"role": "user", "content": text}]}


class MockApi:
    """An httpx client of the manual-clock server, with the control API as methods."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    # -- control ---------------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        return self.obj(self.http.get("/_mock/clock"))

    def now(self) -> float:
        return float(self.clock()["epoch"])

    def advance(self, seconds: float) -> float:
        """Move the clock; the new ``epoch``."""
        return float(self.obj(self.http.post("/_mock/clock/advance", json={"seconds": seconds}))["epoch"])

    def reset(self) -> None:
        assert self.ok(self.http.post("/_mock/reset"))["reset"] is True

    def seed_run(self, **spec: Any) -> dict[str, Any]:
        spec.setdefault("agent_id", AGENT_A)
        return self.obj(self.http.post("/_mock/runs", json=spec), status=201)

    def seed_job(self, **spec: Any) -> dict[str, Any]:
        return self.obj(self.http.post("/_mock/jobs", json=spec), status=201)

    # -- the API ---------------------------------------------------------------------------

    def create_batch(self, *requests: dict[str, Any]) -> dict[str, Any]:
        body = {"requests": list(requests) or [batch_request(AGENT_A, "Hello there")]}
        return self.obj(self.http.post("/v1/messages/batches", json=body))

    def batch(self, batch_id: str) -> dict[str, Any]:
        return self.obj(self.http.get(f"/v1/messages/batches/{batch_id}"))

    def run(self, run_id: str) -> dict[str, Any]:
        return self.obj(self.http.get(f"/v1/runs/{run_id}"))

    def job(self, job_id: str) -> dict[str, Any]:
        return self.obj(self.http.get(f"/v1/jobs/{job_id}"))

    def get_list(self, path: str, **params: Any) -> list[dict[str, Any]]:
        found = self.ok(self.http.get(path, params=params))
        assert isinstance(found, list), found
        return [dict(item) for item in found]

    def ids(self, path: str, **params: Any) -> list[str]:
        return [str(item["id"]) for item in self.get_list(path, **params)]

    @classmethod
    def obj(cls, response: httpx.Response, status: int = 200) -> dict[str, Any]:
        """The JSON object of a response that must have ``status``."""
        found = cls.ok(response, status)
        assert isinstance(found, dict), found
        return dict(found)

    @staticmethod
    def ok(response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json")
        return response.json()


@pytest.fixture(scope="session")
def manual_server(server_factory: ServerFactory) -> MockServer:
    """Stateful mode, strict validation, manual clock, the default 2 s job duration."""
    return server_factory(mode="stateful", clock="manual")


@pytest.fixture
def api(manual_server: MockServer) -> Iterator[MockApi]:
    """A client of the shared manual-clock server, whose store was emptied just now."""
    with httpx.Client(base_url=manual_server.url, timeout=10) as http:
        client = MockApi(http)
        client.reset()
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client(manual_server: MockServer, api: MockApi) -> Iterator[Letta]:
    """letta-client 1.7.0 (sync) on the shared manual-clock server, its store emptied just now."""
    with Letta(**sdk_options(manual_server.url), timeout=10) as sdk:
        yield sdk


@pytest.fixture
async def aclient(manual_server: MockServer, api: MockApi, anyio_backend: str) -> AsyncIterator[AsyncLetta]:
    """The async SDK on the same server."""
    async with AsyncLetta(**sdk_options(manual_server.url), timeout=10) as sdk:
        yield sdk
