"""The proxy's ``--record``: what passed through becomes a HAR file that ``verify`` replays against a server.

A session through the proxy in front of a ``contract`` mock is recorded; the recording agrees with a fresh
``contract`` mock and names, against a ``letta-oss`` mock, the quirks that tell the two apart.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
from letta_client import Letta

from mockserver import MockServer
from mockserver._fuzzing.verify_command import main as verify
from mockserver._recording import har
from proxy.support import proxy_to

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
SECRET = "sk-letta-recorded-secret"


def _session(url: str) -> None:
    """A client's session: the SDK creates, lists and retrieves; a bad request and a cancel go raw."""
    with Letta(base_url=url, api_key=SECRET, max_retries=0) as client:
        batch = client.batches.create(requests=[{"agent_id": AGENT, "input": "hello"}])
        client.batches.list()
        client.batches.retrieve(batch.id)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {SECRET}"}) as http:
        bad = http.post("/v1/messages/batches", json={"requests": [{"agent_id": "agent-1"}]})
        assert bad.status_code == 422
        http.get(f"/v1/messages/batches/{batch.id}/messages", params={"after": "message-1"})


def _verify(recording: Path, url: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    status = verify(str(recording), url, json_output=True, out=out)
    return status, json.loads(out.getvalue())


def test_a_recorded_session_verifies_against_its_own_profile_and_names_the_other(tmp_path: Path) -> None:
    with (
        MockServer(clock="manual", job_duration=0, quiet=True) as upstream,
        proxy_to(upstream.url, record=tmp_path) as proxy,
    ):
        _session(proxy.url)
    (recording,) = tmp_path.glob("*.har")
    exchanges = har.read(recording)
    assert [e.operation_id for e in exchanges] == [
        "create_batch",
        "list_batches",
        "retrieve_batch",
        "create_batch",
        "list_messages_for_batch",
    ]
    assert SECRET.encode() not in recording.read_bytes()
    assert exchanges[0].header("authorization", response=False) == "[redacted]"

    with MockServer(clock="manual", job_duration=0, quiet=True) as same:
        status, report = _verify(recording, same.url)
    assert status == 0, report
    with MockServer(clock="manual", job_duration=0, profile="letta-oss", quiet=True) as other:
        status, report = _verify(recording, other.url)
    assert status == 1
    assert "validation-detail-string" in json.dumps(report)
