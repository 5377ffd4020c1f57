"""What the recording tests share: a session made with letta-client against a real, recording server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from letta_client import Letta

from mockserver import MockServer

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
KEY = "sk-letta-record-0123456789abcdef"
"""The API key the recorded client sends: no recording may hold it."""


@dataclass
class Session:
    har: Path
    requests: list[dict[str, Any]]
    """The server's journal of the session's API requests."""
    stream_text: bytes
    """A run stream as the client read it, byte for byte."""
    ids: set[str] = field(default_factory=set)


def record_session(directory: Path) -> Session:
    """Create, list, retrieve, cancel and stream with the SDK (and a 422 and a 401) on a recording mock."""
    with (
        MockServer(record=directory, api_key=KEY, clock="manual", seed=0) as mock,
        Letta(base_url=mock.url, api_key=KEY, max_retries=0) as client,
    ):
        batch = client.batches.create(requests=[{"agent_id": AGENT, "input": "hello"}])
        client.batches.list(limit=5)  # one page: iterating would fetch the next
        client.batches.retrieve(batch.id)
        client.batches.cancel(batch.id)
        client.batches.retrieve(batch.id)  # the same request again, answered differently
        run = mock.seed_run(agent_id=AGENT, status="completed")
        events = [event.message_type for event in client.runs.messages.stream(run["id"])]
        assert "assistant_message" in events
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.stream(
            "POST", f"{mock.url}/v1/runs/{run['id']}/stream", json={}, headers=headers
        ) as response:
            text = response.read()
        bad = httpx.post(f"{mock.url}/v1/messages/batches", json={}, headers=headers)
        assert bad.status_code == 422
        assert httpx.get(f"{mock.url}/v1/runs/").status_code == 401  # no key
        requests = mock.requests()
        (har,) = directory.glob("letta-mock-*.har")
        # Whole while the server still runs: nothing waits for a shutdown.
        assert len(orjson.loads(har.read_bytes())["log"]["entries"]) == len(requests)
        ids = {batch.id, run["id"]}
    return Session(har, requests, text, ids)
