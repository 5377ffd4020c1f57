"""`--fixtures DIR` seeds batches, jobs and runs at start; a bad one stops start-up naming it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mockserver import MockServer

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"


def test_batches_jobs_and_runs_are_seeded_and_progress(tmp_path: Path) -> None:
    (tmp_path / "batches.json").write_text(json.dumps([{"requests": [{"agent_id": AGENT, "input": "hi"}]}]))
    (tmp_path / "jobs.json").write_text(json.dumps([{"metadata": {"source_id": "s-1"}}]))
    (tmp_path / "runs.json").write_text(
        json.dumps([{"agent_id": AGENT, "status": "completed"}, {"agent_id": AGENT}])
    )
    with (
        MockServer(mode="stateful", clock="manual", fixtures=tmp_path) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        (batch,) = http.get("/v1/messages/batches").json()
        assert batch["status"] == "created"
        (job,) = http.get("/v1/jobs/").json()
        assert job["metadata"] == {"source_id": "s-1"}
        assert sorted(run["status"] for run in http.get("/v1/runs/").json()) == ["completed", "created"]
        server.advance(2.0)
        assert http.get(f"/v1/messages/batches/{batch['id']}").json()["status"] == "completed"
        assert all(run["status"] == "completed" for run in http.get("/v1/runs/").json())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("batches.json", [{"requests": [{"agent_id": "bad"}]}], "fixture batches.json, item 0: create_batch"),
        ("batches.json", [{"requests": []}], "fixture batches.json, item 0: Empty list of batch_requests"),
        # The real server's request model applies to seeded batches too.
        (
            "batches.json",
            [{"requests": [{"agent_id": AGENT}]}],
            "item 0: create_batch.*body.requests.0: Value error, Must specify either 'input' or 'messages'.",
        ),
        (
            "batches.json",
            [{"requests": [{"agent_id": AGENT, "input": "hi"}], "callback_url": "ftp://x.test/"}],
            "item 0: create_batch.*body.callback_url: URL scheme should be 'http' or 'https'",
        ),
        ("runs.json", [{"status": "running"}], "fixture runs.json, item 0:"),
        ("jobs.json", {"not": "a list"}, "fixture jobs.json: must be a JSON array"),
    ],
)
def test_a_bad_state_fixture_stops_start_up_naming_the_file(
    tmp_path: Path, name: str, content: object, message: str
) -> None:
    (tmp_path / name).write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        MockServer(mode="stateful", clock="manual", fixtures=tmp_path).start()
