"""``--replay``: a recording answers its own requests byte for byte, on a server with another seed;
every other request is answered by the mock as usual."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from mockserver import MockServer
from mockserver._recording import har
from mockserver._recording.exchange import Exchange
from mockserver._recording.replay import Replay, load

from .support import AGENT, KEY, Session, record_session


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return record_session(tmp_path_factory.mktemp("recorded"))


def _send(http: httpx.Client, exchange: Exchange) -> httpx.Response:
    headers = {k: v for k, v in exchange.request_headers if k.lower() in ("content-type", "accept")}
    url = exchange.path + (f"?{exchange.query}" if exchange.query else "")
    request = http.build_request(exchange.method, url, content=exchange.request_body, headers=headers)
    return http.send(request)


def test_recorded_requests_get_their_recorded_answers_byte_for_byte(session: Session) -> None:
    recorded = har.read(session.har)
    with (
        MockServer(replay=session.har, seed=7, clock="manual") as mock,
        httpx.Client(base_url=mock.url) as http,
    ):
        for exchange in recorded:
            answer = _send(http, exchange)
            assert (exchange.method, exchange.path, answer.status_code) == (
                exchange.method,
                exchange.path,
                exchange.status,
            )
            assert answer.content == exchange.response_body
            assert answer.headers["content-type"] == exchange.header("content-type")
        journal = mock.requests()
        assert [entry["replayed"] for entry in journal] == [True] * len(recorded)
        # The recorded 422's request still breaks the contract: the report says so, as the client's.
        assert [v["source"] for v in mock.report()["violations"]] == ["request"]


def test_the_same_request_again_answers_in_recorded_order_then_repeats_the_last(session: Session) -> None:
    recorded = har.read(session.har)
    retrieves = [x for x in recorded if x.operation_id == "retrieve_batch"]
    first, second = (orjson.loads(x.response_body)["status"] for x in retrieves)
    assert (first, second) == ("created", "cancelled")
    with MockServer(replay=session.har, seed=7) as mock, httpx.Client(base_url=mock.url) as http:
        statuses = [http.get(retrieves[0].path).json()["status"] for _ in range(3)]
    assert statuses == ["created", "cancelled", "cancelled"]


def test_other_requests_are_answered_by_the_mock(session: Session) -> None:
    with (
        MockServer(replay=session.har, seed=7, clock="manual") as mock,
        httpx.Client(base_url=mock.url) as http,
    ):
        created = http.post(
            "/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "other"}]}
        )
        assert created.status_code == 200
        assert created.json()["id"] not in session.ids
        assert http.get(f"/v1/messages/batches/{created.json()['id']}").json()["status"] == "created"
        listed = http.get("/v1/messages/batches", params={"limit": 1})  # not the recorded limit=5
        assert [b["id"] for b in listed.json()] == [created.json()["id"]]
        # Recorded as a 401 (no key): credentials are no part of a match, so it answers as recorded.
        assert http.get("/v1/runs/").status_code == 401
        assert [entry["replayed"] for entry in mock.requests()] == [False, False, False, True]


def test_the_api_key_is_still_required(session: Session) -> None:
    with MockServer(replay=session.har, api_key=KEY) as mock, httpx.Client(base_url=mock.url) as http:
        recorded = har.read(session.har)[0]
        assert _send(http, recorded).status_code == 401
        http.headers["Authorization"] = f"Bearer {KEY}"
        assert _send(http, recorded).content == recorded.response_body


def _exchange(method: str, path: str, query: str, body: bytes, answer: bytes) -> Exchange:
    return Exchange(method, path, query, (), body, 200, (("content-type", "application/json"),), answer)


def test_matching_ignores_query_order_json_key_order_and_credentials() -> None:
    replay = Replay(
        [
            _exchange("GET", "/v1/runs/", "limit=2&order=asc&agent_ids=a&agent_ids=b", b"", b"1"),
            _exchange("POST", "/v1/messages/batches", "", b'{"a": 1, "b": [1, {"c": 2}]}', b"2"),
            _exchange("GET", "/v1/runs/", "api_key=%5Bredacted%5D", b"", b"3"),
        ]
    )
    assert replay.answer("GET", "/v1/runs/", "agent_ids=b&order=asc&agent_ids=a&limit=2", b"") is not None
    assert replay.answer("GET", "/v1/runs/", "agent_ids=b&order=asc&limit=2", b"") is None  # a pair missing
    assert replay.answer("GET", "/v1/runs/", "agent_ids=b&agent_ids=b&order=asc&limit=2", b"") is None
    found = replay.answer("POST", "/v1/messages/batches", "", b'{"b":[1,{"c":2.0}],"a":1}')
    assert found is not None
    assert found.response_body == b"2"
    assert replay.answer("POST", "/v1/messages/batches", "", b'{"b":[{"c":2},1],"a":1}') is None  # list order
    assert replay.answer("PATCH", "/v1/messages/batches", "", b'{"a": 1, "b": [1, {"c": 2}]}') is None
    keyed = replay.answer("GET", "/v1/runs/", "api_key=the-real-key", b"")
    assert keyed is not None
    assert keyed.response_body == b"3"


def test_a_directory_replays_every_recording_in_it(session: Session, tmp_path: Path) -> None:
    (tmp_path / "a.har").write_bytes(session.har.read_bytes())
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.har").write_bytes(har.dumps([_exchange("GET", "/v1/jobs/", "", b"", b"[]")]))
    (tmp_path / "notes.txt").write_text("not a recording")
    assert len(load(tmp_path)) == len(har.read(session.har)) + 1


def test_an_override_of_the_operation_answers_instead(session: Session) -> None:
    recorded = har.read(session.har)[0]
    with MockServer(replay=session.har) as mock, httpx.Client(base_url=mock.url) as http:
        mock.override("create_batch", lambda _request: {"id": "from-the-override"})
        assert _send(http, recorded).json() == {"id": "from-the-override"}
        mock.clear_overrides()
        assert _send(http, recorded).content == recorded.response_body
