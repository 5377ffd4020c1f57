"""How a session gets what the 20 operations cannot make: an agent, and finished runs.

The real server makes runs through the agent's own endpoints (async messages, a background stream), outside
the 20 operations, so they go straight to it (never through a proxy). The mock is seeded through /_mock.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

TERMINAL = {"completed", "failed", "cancelled"}


class Setup(Protocol):
    def agent_id(self) -> str: ...

    def close(self) -> None: ...

    def async_run(self, agent_id: str) -> str:
        """A run made by the agent's async messages endpoint, returned once it has finished."""
        ...

    def background_run(self, agent_id: str) -> str:
        """A run made by a background streaming send, returned once it has finished."""
        ...


class RealSetup:
    """Set-up calls to the real server itself (base URL of the server, not of a proxy)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=300)

    def close(self) -> None:
        self.http.close()

    def agent_id(self) -> str:
        answer = self.http.post(
            "/v1/agents/",
            json={
                "name": f"conformance-{uuid.uuid4().hex[:8]}",
                # Batches need an Anthropic agent; the stand-in accepts its batch submissions.
                "llm_config": {
                    "model": "claude-3-5-sonnet-20241022",
                    "model_endpoint_type": "anthropic",
                    "model_endpoint": "https://api.anthropic.com/v1",
                    "context_window": 200000,
                },
                "embedding": "letta/letta-free",
                "include_base_tools": True,
            },
        )
        answer.raise_for_status()
        agent: str = answer.json()["id"]
        self._warm_up(agent)
        return agent

    def _warm_up(self, agent_id: str) -> None:
        """A freshly started server's first batch stalls its event loop on a busy machine, long enough for
        the next request's database connection to time out (a 500): one batch and list first, outside the
        session, until the list answers."""
        batch = self.http.post(
            "/v1/messages/batches",
            json={"requests": [{"agent_id": agent_id, "messages": [{"role": "user", "content": "warm-up"}]}]},
        )
        batch.raise_for_status()
        for _ in range(5):
            if self.http.get("/v1/messages/batches", params={"limit": 1}).status_code == 200:
                break
            time.sleep(2)
        # Cancelled (answered 501 with default settings), so it leaves the active batches' list.
        self.http.patch(f"/v1/messages/batches/{batch.json()['id']}/cancel")

    def _finished(self, run_id: str) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run = self.http.get(f"/v1/runs/{run_id}").json()
            if run.get("status") in TERMINAL:
                return run_id
            time.sleep(0.5)
        raise AssertionError(f"run {run_id} did not finish within 120 s")

    def async_run(self, agent_id: str) -> str:
        answer = self.http.post(
            f"/v1/agents/{agent_id}/messages/async", json={"messages": [{"role": "user", "content": "hello"}]}
        )
        answer.raise_for_status()
        return self._finished(answer.json()["id"])

    def background_run(self, agent_id: str) -> str:
        run_id: str | None = None
        with self.http.stream(
            "POST",
            f"/v1/agents/{agent_id}/messages/stream",
            json={
                "messages": [{"role": "user", "content": "hello"}],
                "background": True,
                "stream_tokens": True,
            },
        ) as answer:
            for line in answer.iter_lines():
                if run_id is None and '"run_id"' in line:
                    run_id = _field(line, "run_id")
        if run_id is None:
            before = {r["id"] for r in self.http.get("/v1/runs/", params={"agent_id": agent_id}).json()}
            raise AssertionError(f"the background stream named no run_id (runs: {sorted(before)})")
        return self._finished(run_id)


def _field(line: str, name: str) -> str | None:
    import json

    if not line.startswith("data:"):
        return None
    try:
        chunk: Any = json.loads(line[5:])
    except ValueError:
        return None
    value = chunk.get(name) if isinstance(chunk, dict) else None
    return value if isinstance(value, str) else None


class MockSetup:
    """The mock's runs are seeded, finished the way the real server's end without a reachable LLM."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.seeded = 0

    def _next_time(self) -> str:
        """A second apart, in the recent past, as the real server's runs come one after another (equal
        times would order by id); the clock itself stays put, so the batches do not move on."""
        now = datetime.fromisoformat(self.http.get("/_mock/clock").json()["now"])
        self.seeded += 1
        moment = now - timedelta(seconds=60 - self.seeded)
        return moment.isoformat().replace("+00:00", "Z")

    def close(self) -> None:
        self.http.close()

    def agent_id(self) -> str:
        return f"agent-{uuid.uuid4()}"

    def _seed(self, agent_id: str, background: bool, stop_reason: str) -> str:
        answer = self.http.post(
            "/_mock/runs",
            json={
                "agent_id": agent_id,
                "background": background,
                "status": "failed",
                "stop_reason": stop_reason,
                # The real server's runs that fail at the LLM call list no messages.
                "messages": [],
                "created_at": self._next_time(),
            },
        )
        answer.raise_for_status()
        run_id: str = answer.json()["id"]
        return run_id

    def async_run(self, agent_id: str) -> str:
        return self._seed(agent_id, background=False, stop_reason="error")

    def background_run(self, agent_id: str) -> str:
        return self._seed(agent_id, background=True, stop_reason="llm_api_error")
