"""Which quirks ``--mode stateless`` answers with: those its generated answers can show (timestamps,
the 422 body, the always-500 routes, the "None" callback URL); the rest need stored records and are
"stateful only" in ``letta-mockserver quirks`` and docs/profiles.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from mockserver._contract.quirks import QUIRKS
from mockserver._running.inprocess import InProcessMock

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
JOB = "job-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
RUN = "run-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
HEADERS = {"Authorization": "Bearer letta-mock"}
STATELESS = sorted(quirk.name for quirk in QUIRKS if quirk.stateless)
STATEFUL_ONLY = sorted(quirk.name for quirk in QUIRKS if not quirk.stateless)

# Requests reaching every family of answers, the ones each quirk reshapes when it can.
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/messages/batches", {"json": {"requests": [{"agent_id": AGENT, "input": "hi"}]}}),
    ("GET", "/v1/messages/batches", {"params": {"limit": 5}}),
    ("GET", "/v1/messages/batches", {"params": {"limit": 2, "after": JOB, "before": JOB}}),
    ("GET", f"/v1/messages/batches/{JOB}", {}),
    ("GET", f"/v1/messages/batches/{JOB}/messages", {"params": {"limit": 3, "before": "message-1"}}),
    ("PATCH", f"/v1/messages/batches/{JOB}/cancel", {}),
    ("GET", "/v1/runs/", {"params": {"limit": 3, "after": RUN}}),
    ("GET", f"/v1/runs/{RUN}", {}),
    ("POST", f"/v1/runs/{RUN}/stream", {"json": {}}),
    ("GET", "/v1/jobs/", {"params": {"limit": 3}}),
    ("GET", f"/v1/jobs/{JOB}", {}),
]


@pytest.fixture
def oss() -> Iterator[httpx.Client]:
    with (
        InProcessMock(mode="stateless", profile="letta-oss") as mock,
        mock.http_client(headers=HEADERS) as http,
    ):
        yield http


def test_naive_timestamps_and_the_none_callback_url_in_stateless_answers(oss: httpx.Client) -> None:
    made = oss.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]}).json()
    assert made["callback_url"] == "None"
    given = {"requests": [{"agent_id": AGENT, "input": "hi"}], "callback_url": "https://example.com/hook"}
    assert oss.post("/v1/messages/batches", json=given).json()["callback_url"] == "https://example.com/hook"
    runs = oss.get("/v1/runs/", params={"limit": 20}).json()
    finished = [run for run in runs if run["completed_at"] is not None]
    assert finished, "twenty generated runs, none finished"
    for run in finished:
        assert datetime.fromisoformat(run["completed_at"]).tzinfo is None, run["completed_at"]
        assert datetime.fromisoformat(run["created_at"]).tzinfo is not None


def test_the_always_500_routes_and_the_422_string_in_stateless_answers(oss: httpx.Client) -> None:
    unknown = {"detail": "An unknown error occurred"}
    for method, path, params in [
        ("DELETE", f"/v1/runs/{RUN}", {}),
        ("PATCH", f"/v1/jobs/{JOB}/cancel", {}),
        ("GET", f"/v1/messages/batches/{JOB}/messages", {"after": "message-1"}),
    ]:
        answer = oss.request(method, path, params=params)
        assert (answer.status_code, answer.json()) == (500, unknown), path
    bad = oss.get("/v1/runs/", params={"limit": 0})
    assert bad.status_code == 422
    assert isinstance(bad.json()["detail"], str)


def test_the_report_names_them_as_the_servers_deviations() -> None:
    with (
        InProcessMock(mode="stateless", profile="letta-oss") as mock,
        mock.http_client(headers=HEADERS) as http,
    ):
        http.delete(f"/v1/runs/{RUN}")
        http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]})
        report = http.get("/_mock/report").json()
    assert report["violations"] == []
    assert [(d["operation_id"], d["quirk"]) for d in report["deviations"]] == [
        ("delete_run", "run-delete-500"),
        ("create_batch", "owner-ids"),
        ("create_batch", "callback-url-none-string"),
    ]


def test_the_stateful_only_quirks_change_no_stateless_answer() -> None:
    """letta-oss less its stateless quirks answers byte for byte as contract: the rest do nothing there."""
    answers = []
    for profile, off in (("contract", frozenset[str]()), ("letta-oss", frozenset(STATELESS))):
        with (
            InProcessMock(mode="stateless", seed=7, profile=profile, no_quirks=off) as mock,
            mock.http_client(headers=HEADERS) as http,
        ):
            assert mock.profile()["quirks"] == {
                q.name: profile == "letta-oss" and q.name in STATEFUL_ONLY for q in QUIRKS
            }
            answers.append(
                [(r.status_code, r.content) for r in (http.request(m, p, **k) for m, p, k in REQUESTS)]
            )
    contract, oss = answers
    assert all(status < 500 for status, _ in contract), contract
    assert oss == contract
