"""What the control-API tests share: agents, batch requests, and short readers of the mocked API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

AGENT_X = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
AGENT_Y = "agent-11111111-2222-4333-8444-555566667777"
UNKNOWN_BATCH = "job-00000000-0000-4000-8000-000000000001"
JOB_DURATION = 2.0
"""The server's default ``--job-duration``."""
BATCHES = "/v1/messages/batches"


def stamp(seconds: float) -> str:
    """``created_at``-style RFC 3339 text of POSIX ``seconds``, as the server writes it."""
    moment = datetime.fromtimestamp(seconds, UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z"


def batch_request(agent_id: str, text: str = "Hello there") -> dict[str, Any]:
    return {"agent_id": agent_id, "messages": [{"role": "user", "content": text}]}


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def create_batch(http: httpx.Client, *agents: str) -> dict[str, Any]:
    body = {"requests": [batch_request(agent, f"question for {agent[:14]}") for agent in agents]}
    created: dict[str, Any] = ok(http.post(BATCHES, json=body))
    return created


def batch(http: httpx.Client, batch_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(http.get(f"{BATCHES}/{batch_id}"))
    return found


def batch_messages(http: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    """The batch's messages, oldest first."""
    found: list[dict[str, Any]] = ok(http.get(f"{BATCHES}/{batch_id}/messages", params={"order": "asc"}))[
        "messages"
    ]
    return found


def run(http: httpx.Client, run_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(http.get(f"/v1/runs/{run_id}"))
    return found


def ids(http: httpx.Client, path: str, **params: Any) -> list[str]:
    return [str(item["id"]) for item in ok(http.get(path, params=params))]


def text_of(message: dict[str, Any]) -> str:
    return str(message["content"][0]["text"])
