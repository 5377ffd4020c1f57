"""Filling a mock with data: through the API, or in one ``PUT /_mock/state``.

``PUT /_mock/state`` takes a snapshot (the format of ``mockserver/_snapshot.py``); building
one with N batches in the bench process and sending it is far faster than N
``POST /v1/messages/batches`` (see bench/README.md for the measured rates), so the large
stores are made that way. Bodies are copied from a batch the mock itself created, with
fresh ids and timestamps, so they look exactly like the mock's own.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

import httpx

from mockserver._simulation.records import stamp

AGENT = "agent-00000000-0000-4000-8000-000000000000"
CREATE_BODY: dict[str, Any] = {"requests": [{"agent_id": AGENT, "input": "What's the weather like today?"}]}


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} answered {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()


def create_batches(client: httpx.Client, count: int, callback_url: str | None = None) -> list[str]:
    body = dict(CREATE_BODY, callback_url=callback_url) if callback_url else CREATE_BODY
    return [ok(client.post("/v1/messages/batches", json=body))["id"] for _ in range(count)]


def seed_runs(client: httpx.Client, count: int) -> list[str]:
    return [ok(client.post("/_mock/runs", json={"agent_id": AGENT}))["id"] for _ in range(count)]


def batch_jobs(
    template: dict[str, Any],
    count: int,
    *,
    now: float,
    finished: bool,
    duration: float = 2.0,
    seed: int = 1,
) -> list[dict[str, Any]]:
    """``count`` snapshot jobs shaped like ``template`` (a batch body the mock answered with), as snapshot
    version 1 writes them (``SNAPSHOT_VERSION``: put them in a state of that version; the mock reads both).

    ``finished``: completed batches created 10 ms apart before ``now``, nothing left to do.
    Otherwise: batches created at ``now`` with one unfinished item, due at ``now + duration``.
    """
    rng = random.Random(f"bench:{seed}")
    jobs = []
    for index in range(count):
        created = now - (count - index) * 0.01 if finished else now
        end = created + duration
        body = dict(template)
        body["id"] = f"job-{uuid4(rng)}"
        body["created_at"] = stamp(created)
        if finished:
            body.update(
                status="completed",
                updated_at=stamp(end),
                completed_at=stamp(end),
                total_duration_ns=round(duration * 1e9),
            )
        else:
            body.update(
                status="created", updated_at=stamp(created), completed_at=None, total_duration_ns=None
            )
        jobs.append(
            {
                "created": created,
                "body": body,
                "final_status": "completed",
                "final_stop_reason": None,
                "duration": duration,
                "items": [
                    {
                        "id": f"batch_item-{uuid4(rng)}",
                        "agent_id": AGENT,
                        "user_text": "What's the weather like today?",
                        "finish_at": end,
                        "done": finished,
                        "outcome": {},
                    }
                ],
                "messages": [],
            }
        )
    return jobs


SNAPSHOT_VERSION = 1
"""The snapshot version ``batch_jobs`` writes."""


def put_state(client: httpx.Client, state: dict[str, Any]) -> dict[str, Any]:
    """Send a snapshot; the seconds it took and its size (the mock answers with the whole state)."""
    payload = json.dumps(state, separators=(",", ":")).encode()
    started = time.perf_counter()
    response = client.put(
        "/_mock/state", content=payload, headers={"content-type": "application/json"}, timeout=600
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"PUT /_mock/state answered {response.status_code}: {response.text[:500]}")
    return {
        "seconds": round(elapsed, 3),
        "request_mib": round(len(payload) / 2**20, 1),
        "response_mib": round(len(response.content) / 2**20, 1),
    }
