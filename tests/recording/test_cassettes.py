"""VCR.py / pytest-recording cassettes replay: one written by hand (strings, ``!!binary``, gzip), one
recorded by VCR.py itself from letta-client talking to a real mock."""

from __future__ import annotations

import base64
import gzip
import re
from pathlib import Path

import httpx
import pytest
import vcr
from letta_client import Letta

from mockserver import MockServer
from mockserver._recording import cassette

from .support import AGENT

STREAM = b'data: {"message_type":"stop_reason","stop_reason":"end_turn"}\n\ndata: [DONE]\n\n'
RUN_ID = "run-11111111-2222-4333-8444-555566667777"
BATCH_ID = "batch-00000000-1111-4222-8333-444455556666"
CASSETTE = f"""\
interactions:
- request:
    body: '{{"requests": [{{"agent_id": "{AGENT}", "input": "hi"}}]}}'
    headers:
      Authorization: [Bearer sk-from-a-cassette]
      Content-Type: [application/json]
    method: POST
    uri: https://api.letta.com/v1/messages/batches
  response:
    status: {{code: 200, message: OK}}
    headers:
      Content-Type: [application/json]
    body: {{string: '{{"id": "{BATCH_ID}", "status": "created"}}'}}
- request:
    body: !!binary |
      e30=
    headers: {{}}
    method: POST
    uri: https://api.letta.com/v1/runs/{RUN_ID}/stream
  response:
    status: {{code: 200, message: OK}}
    headers:
      Content-Type: [text/event-stream; charset=utf-8]
    body:
      string: !!binary |
        {base64.b64encode(STREAM).decode()}
- request:
    body: null
    headers: {{}}
    method: GET
    uri: https://api.letta.com/v1/runs/{RUN_ID}
  response:
    status: {{code: 404, message: Not Found}}
    headers:
      Content-Type: [application/json]
      Content-Encoding: [gzip]
    body:
      string: !!binary |
        {base64.b64encode(gzip.compress(b'{"detail": "gone"}')).decode()}
version: 1
"""


def test_a_hand_written_cassette_replays(tmp_path: Path) -> None:
    path = tmp_path / "letta.yaml"
    path.write_text(CASSETTE)
    with MockServer(replay=path, clock="manual") as mock, httpx.Client(base_url=mock.url) as http:
        created = http.post("/v1/messages/batches", json={"requests": [{"input": "hi", "agent_id": AGENT}]})
        assert created.json() == {"id": BATCH_ID, "status": "created"}
        with http.stream("POST", f"/v1/runs/{RUN_ID}/stream", json={}) as stream:
            assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert list(stream.iter_lines()) == [line for line in STREAM.decode().split("\n")][:-1]
        gone = http.get(f"/v1/runs/{RUN_ID}")
        assert (gone.status_code, gone.json()) == (404, {"detail": "gone"})
        assert "content-encoding" not in gone.headers
        assert [entry["replayed"] for entry in mock.requests()] == [True, True, True]


def test_a_cassette_recorded_by_vcrpy_replays_on_another_seed(tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "letta.yaml"
    with (
        MockServer(seed=0, clock="manual") as source,
        vcr.use_cassette(str(path), record_mode="all"),
        Letta(base_url=source.url, api_key="sk-vcr", max_retries=0) as client,
    ):
        recorded = client.batches.create(requests=[{"agent_id": AGENT, "input": "recorded by vcr"}])
        recorded_again = client.batches.retrieve(recorded.id)
    assert "sk-vcr" in path.read_text()  # VCR.py filters nothing unless told; replay needs no key
    with (
        MockServer(replay=path, seed=5, clock="manual") as mock,
        Letta(base_url=mock.url, api_key="another-key", max_retries=0) as client,
    ):
        replayed = client.batches.create(requests=[{"agent_id": AGENT, "input": "recorded by vcr"}])
        assert replayed == recorded
        assert client.batches.retrieve(recorded.id) == recorded_again
        fresh = client.batches.create(requests=[{"agent_id": AGENT, "input": "not recorded"}])
        assert fresh.id != recorded.id


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("interactions: [", "not YAML: "),
        ("just: a mapping", "not a VCR.py cassette: it has no interactions list"),
        (
            "interactions: [{request: {method: GET}, response: {status: {code: 200}}}]",
            "interactions[0].request.uri",
        ),
        (
            "interactions: [{request: {method: GET, uri: /v1/runs/}, response: {status: {code: OK}}}]",
            "interactions[0].response.status.code must be an integer",
        ),
        ("interactions: [{request: {method: GET, uri: /}}]", "interactions[0] has no response mapping"),
    ],
)
def test_a_bad_cassette_names_its_problem(text: str, problem: str) -> None:
    with pytest.raises(cassette.CassetteError, match="^" + re.escape(problem)):
        cassette.loads(text.encode())
