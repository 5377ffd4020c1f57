"""What the verify tests share: a recorder of real exchanges, a scripted client session, the command."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from mockserver import MockServer
from mockserver._recording import har
from mockserver._recording.exchange import Exchange

AGENTS = [f"agent-{uuid.UUID(int=n, version=4)}" for n in (1, 2)]
UNKNOWN_RUN = f"run-{uuid.UUID(int=99, version=4)}"
ServerFactory = Callable[..., MockServer]
SETTINGS: dict[str, Any] = {
    "mode": "stateful",
    "clock": "manual",
    "job_duration": 0.0,
    # Batches finish (a real server with its poller on), so their finished shape is what gets compared.
    "no_quirks": frozenset({"batch-polling-off"}),
}


class Recorder:
    """Every ``/v1`` exchange a client makes, whole, as the proxy's ``--record`` would keep it."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        if not request.url.path.startswith("/v1/"):
            return
        headers = tuple(
            (k, "[redacted]" if k.lower() == "authorization" else v) for k, v in request.headers.multi_items()
        )
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                request.url.query.decode(),
                headers,
                request.content,
                response.status_code,
                tuple(response.headers.multi_items()),
                response.content,
            )
        )

    def save(self, path: Path) -> Path:
        path.write_bytes(har.dumps(self.exchanges))
        return path


def session(server: MockServer) -> list[Exchange]:
    """A client session touching batches, a run made outside the API, errors, lists and a stream."""
    server.reset()
    run = server.seed_run(agent_id=AGENTS[0], status="completed")["id"]
    recorder = Recorder()
    with httpx.Client(base_url=server.url, timeout=10, event_hooks={"response": [recorder]}) as client:

        def batch(text: str) -> str:
            requests = [{"agent_id": a, "messages": [{"role": "user", "content": text}]} for a in AGENTS]
            answer = client.post("/v1/messages/batches", json={"requests": requests})
            assert answer.status_code == 200, answer.text
            return str(answer.json()["id"])

        first = batch("one")
        batch("two")
        client.get(f"/v1/messages/batches/{first}")
        client.get("/v1/messages/batches", params={"limit": 10})
        messages = client.get(f"/v1/messages/batches/{first}/messages").json()["messages"]
        client.get(f"/v1/messages/batches/{first}/messages", params={"after": messages[0]["id"], "limit": 1})
        client.post("/v1/messages/batches", json={"requests": "not a list"})
        client.get(f"/v1/runs/{run}")
        client.get(f"/v1/runs/{run}/messages")
        client.get(f"/v1/runs/{run}/steps")
        client.get(f"/v1/runs/{run}/usage")
        client.get("/v1/runs/", params={"agent_id": AGENTS[0]})
        client.get(f"/v1/runs/{UNKNOWN_RUN}")
        client.post(f"/v1/runs/{run}/stream", json={})
        client.get(f"/v1/jobs/{first}")
        client.delete(f"/v1/runs/{run}")
    return recorder.exchanges


def run_cli(*args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "verify", *args], capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def kinds(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(operation, pointer, kind) of every difference of a ``--json`` document."""
    return {(d["operation"], d["pointer"], d["kind"]) for d in document["differences"]}


def loads(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    return document
