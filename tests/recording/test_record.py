"""``--record``: a session made with letta-client, written as HAR 1.2, whole and without credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from mockserver._recording import har
from mockserver._recording.exchange import Exchange
from mockserver._recording.recorder import Recorder, StreamCapture, captured, file_for_test, session_file

from .support import KEY, Session, record_session

REQUEST_KEYS = {
    "method",
    "url",
    "httpVersion",
    "cookies",
    "headers",
    "queryString",
    "headersSize",
    "bodySize",
}
RESPONSE_KEYS = {
    "status",
    "statusText",
    "httpVersion",
    "cookies",
    "headers",
    "content",
    "redirectURL",
    "headersSize",
    "bodySize",
}
ENTRY_KEYS = {"startedDateTime", "time", "request", "response", "cache", "timings"}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return record_session(tmp_path_factory.mktemp("recorded"))


def _entries(session: Session) -> list[dict[str, Any]]:
    document = orjson.loads(session.har.read_bytes())
    entries: list[dict[str, Any]] = document["log"]["entries"]
    return entries


def test_the_file_is_har_1_2_with_every_field_a_reader_needs(session: Session) -> None:
    document = orjson.loads(session.har.read_bytes())
    assert document["log"]["version"] == "1.2"
    assert document["log"]["creator"]["name"] == "letta-mockserver"
    for entry in document["log"]["entries"]:
        assert set(entry) >= ENTRY_KEYS
        assert set(entry["request"]) >= REQUEST_KEYS
        assert set(entry["response"]) >= RESPONSE_KEYS
        assert {"size", "mimeType"} <= set(entry["response"]["content"])
        assert entry["request"]["url"].startswith("http://127.0.0.1:")
        assert entry["startedDateTime"].endswith("Z")
        assert entry["time"] >= 0


def test_every_api_exchange_is_recorded_in_order(session: Session) -> None:
    recorded = [
        (e["request"]["method"], e["request"]["url"].split("?")[0], e["response"]["status"])
        for e in _entries(session)
    ]
    journaled = [(r["method"], r["path"], r["status"]) for r in session.requests]
    assert [(m, "/" + u.split("/", 3)[3], s) for m, u, s in recorded] == journaled
    operations = [e.get("_operationId") for e in _entries(session)]
    assert operations[:5] == [
        "create_batch",
        "list_batches",
        "retrieve_batch",
        "cancel_batch",
        "retrieve_batch",
    ]
    assert "retrieve_stream_for_run" in operations
    assert not any(e["request"]["url"].split("/", 3)[3].startswith("_mock") for e in _entries(session))
    # The exchanges read back as the shared model, bodies whole.
    exchanges = har.read(session.har)
    assert [x.status for x in exchanges] == [r["status"] for r in session.requests]
    assert orjson.loads(exchanges[0].request_body)["requests"][0]["input"] == "hello"


def test_a_stream_is_recorded_whole_as_text(session: Session) -> None:
    streams = [
        e for e in _entries(session) if e["response"]["content"]["mimeType"].startswith("text/event-stream")
    ]
    assert len(streams) == 2  # the SDK's and the raw client's
    text = streams[1]["response"]["content"]["text"]
    assert "encoding" not in streams[1]["response"]["content"]
    assert text.encode() == session.stream_text
    assert text.rstrip().endswith("data: [DONE]")
    assert streams[0]["response"]["content"]["text"].endswith("data: [DONE]\n\n")


def test_no_credential_reaches_the_file(session: Session) -> None:
    data = session.har.read_bytes()
    assert KEY.encode() not in data
    authorizations = [
        h["value"]
        for e in _entries(session)
        for h in e["request"]["headers"]
        if h["name"].lower() == "authorization"
    ]
    assert authorizations
    assert set(authorizations) == {"[redacted]"}


def test_the_file_is_whole_after_every_write_and_later_adds_are_dropped(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "deep" / "one.har")
    exchange = Exchange(
        "GET", "/v1/runs/", "api_key=abc&limit=2", (("x-api-key", "abc"),), b"", 200, (), b"[]"
    )
    assert har.read(recorder.path) == []
    for count in (1, 2, 3):
        recorder.add(exchange)
        read = har.read(recorder.path)
        assert len(read) == count
    assert read[0].query == "api_key=%5Bredacted%5D&limit=2"
    assert read[0].request_headers == (("x-api-key", "[redacted]"),)
    recorder.close()
    recorder.add(exchange)
    assert len(har.read(recorder.path)) == 3


def test_a_recorder_that_cannot_write_says_where(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=r"cannot record to .*file/x\.har"):
        Recorder(tmp_path / "file" / "x.har")


def test_a_long_stream_is_cut_at_the_limit_with_a_note() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"data: 0123456789\n\n"

    ended: list[tuple[bytes, str]] = []

    async def read() -> list[Any]:
        return [c async for c in captured(chunks(), lambda text, note: ended.append((text, note)), limit=40)]

    passed = asyncio.run(read())
    assert b"".join(passed) == b"data: 0123456789\n\n" * 5  # the client gets everything
    ((text, note),) = ended
    assert text == (b"data: 0123456789\n\n" * 3)[:40]
    assert note == "stream cut after 40 of its 90 bytes by the recorder"
    whole = StreamCapture(limit=100)
    whole.feed(b"abc")
    assert (whole.text(), whole.note()) == (b"abc", "")


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        ("tests/test_a.py::test_one", "tests_test_a.py__test_one.har"),
        ("tests/test_a.py::TestX::test_two[x-1/2]", "tests_test_a.py__TestX__test_two_x-1_2_.har"),
    ],
)
def test_a_test_file_is_named_for_its_node_id(nodeid: str, name: str) -> None:
    assert file_for_test(Path("d"), nodeid) == Path("d") / name


def test_two_servers_of_one_process_record_to_two_files(tmp_path: Path) -> None:
    first, second = Recorder(session_file(tmp_path)), Recorder(session_file(tmp_path))
    assert first.path != second.path
    assert second.path.name.startswith(first.path.stem)
    first.close()
    second.close()
