"""HAR files: an exchange written and read back is the same exchange, streams and binary bodies included."""

from __future__ import annotations

import orjson

from mockserver._recording import har
from mockserver._recording.exchange import Exchange


def test_exchanges_round_trip_through_har() -> None:
    stream = Exchange(
        "GET",
        "/v1/runs/run-1/stream",
        "starting_after=2",
        (("authorization", "[redacted]"),),
        b"",
        200,
        (("content-type", "text/event-stream; charset=utf-8"),),
        b'data: {"seq_id": 3}\n\ndata: [DONE]\n\n',
        1_780_000_000.25,
        12.5,
        "retrieve_stream_for_run",
    )
    binary = Exchange(
        "POST",
        "/v1/messages/batches",
        "",
        (("content-type", "application/json"),),
        b"\xff\x00",
        422,
        (("content-type", "application/json"),),
        b'{"detail": []}',
    )
    document = orjson.loads(har.dumps([stream, binary]))
    assert document["log"]["version"] == "1.2"
    first = document["log"]["entries"][0]
    assert first["request"]["url"] == "http://127.0.0.1/v1/runs/run-1/stream?starting_after=2"
    assert first["request"]["queryString"] == [{"name": "starting_after", "value": "2"}]
    assert first["response"]["content"]["text"].endswith("data: [DONE]\n\n")
    assert document["log"]["entries"][1]["request"]["postData"]["encoding"] == "base64"
    assert har.loads(har.dumps([stream, binary])) == [stream, binary]
