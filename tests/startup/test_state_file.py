"""``state=FILE``: a snapshot loaded at start-up; reset returns to it, as it does to state fixtures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import Config, MockServer
from mockserver._web.app import create_app

from .support import AGENT, BATCHES, create_batch, ok, write


def _runs(http: httpx.Client) -> list[tuple[str, str]]:
    return sorted((run["id"], run["status"]) for run in ok(http.get("/v1/runs/")))


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    """A batch half answered and a run under way, taken from a running server."""
    with (
        MockServer(Config(port=0, clock="manual")) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        create_batch(http, AGENT, "agent-11111111-2222-4333-8444-555566667777")
        server.seed_run(agent_id=AGENT)
        server.advance(1.0)
        return server.snapshot()


def test_the_state_file_is_loaded_and_continues(tmp_path: Path, snapshot: dict[str, Any]) -> None:
    path = write(tmp_path, "state.json", snapshot)
    with (
        MockServer(Config(port=0, clock="manual", state=path)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert server.snapshot() == snapshot
        (batch,) = ok(http.get(BATCHES))
        assert batch["status"] == "running"
        server.advance(5.0)
        assert ok(http.get(f"{BATCHES}/{batch['id']}"))["status"] == "completed"
        assert [status for _id, status in _runs(http)] == ["completed"]
        server.reset()
        assert server.snapshot() == snapshot  # back to the loaded state, not to an empty store
        assert ok(http.get(f"{BATCHES}/{batch['id']}"))["status"] == "running"


def test_state_and_state_fixtures_load_together_and_come_back_on_reset(
    tmp_path: Path, snapshot: dict[str, Any]
) -> None:
    path = write(tmp_path, "state.json", snapshot)
    fixtures = tmp_path / "fixtures"  # not beside state.json: that is no fixture name
    fixtures.mkdir()
    write(fixtures, "runs.json", [{"agent_id": AGENT, "status": "completed"}])
    with (
        MockServer(Config(port=0, clock="manual", state=path, fixtures=fixtures)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        loaded = _runs(http)
        assert sorted(status for _id, status in loaded) == ["completed", "running"]
        server.seed_run(agent_id=AGENT)
        http.delete(f"/v1/runs/{loaded[0][0]}")
        assert _runs(http) != loaded
        server.reset()
        assert _runs(http) == loaded


def test_state_fixtures_come_back_on_reset(tmp_path: Path) -> None:
    write(tmp_path, "jobs.json", [{"metadata": {"source_id": "s-1"}}])
    with (
        MockServer(Config(port=0, clock="manual", fixtures=tmp_path)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        (job,) = ok(http.get("/v1/jobs/"))
        ok(http.delete(f"/v1/jobs/{job['id']}"))
        assert ok(http.get("/v1/jobs/")) == []
        server.reset()
        assert ok(http.get("/v1/jobs/")) == [job]


def test_state_needs_the_stateful_mode(tmp_path: Path, snapshot: dict[str, Any]) -> None:
    path = write(tmp_path, "state.json", snapshot)
    expected = f"state file {str(path)!r}: --state needs --mode stateful"
    with pytest.raises(ValueError, match=re.escape(expected)):
        MockServer(Config(port=0, mode="stateless", state=path)).start()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it"),
        ("{oops", "not valid JSON"),
        (
            '{"jobs": []}',
            "not a snapshot as GET /_mock/state writes it: version: Field required; clock: Field required",
        ),
        ("version-3", "snapshot version 3 is not supported"),
        ("bad-status", "snapshot is not one this server wrote: ValueError: job"),
    ],
    ids=["missing", "not-json", "not-a-snapshot", "version", "bad-record"],
)
def test_an_unusable_state_file_is_a_clear_error(
    tmp_path: Path, snapshot: dict[str, Any], content: str | None, expected: str
) -> None:
    path = tmp_path / "state.json"
    if content == "version-3":
        content = json.dumps({**snapshot, "version": 3})
    elif content == "bad-status":
        broken = json.loads(json.dumps(snapshot))
        broken["jobs"][0]["status"] = "paused"
        content = json.dumps(broken)
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(
        ValueError, match=re.escape(f"state file {str(path)!r}: ") + ".*" + re.escape(expected)
    ):
        create_app(Config(state=path))
