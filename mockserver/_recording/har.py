"""HAR 1.2 files (the format browsers, Postman and WireMock read) to and from exchanges."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from mockserver._recording.exchange import Exchange, Headers
from mockserver._version import __version__

CREATOR = {"name": "letta-mockserver", "version": __version__}


def _text(body: bytes) -> dict[str, Any]:
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _headers(headers: Headers) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def entry(exchange: Exchange, base_url: str = "http://127.0.0.1") -> dict[str, Any]:
    """One HAR entry for an exchange."""
    url = base_url.rstrip("/") + exchange.path + (f"?{exchange.query}" if exchange.query else "")
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(exchange.query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        mime = exchange.header("content-type", response=False) or "application/json"
        request["postData"] = {"mimeType": mime, **_text(exchange.request_body)}
    mime = exchange.header("content-type") or ""
    return {
        "startedDateTime": datetime.fromtimestamp(exchange.started, UTC).isoformat().replace("+00:00", "Z"),
        "time": exchange.duration_ms,
        "request": request,
        "response": {
            "status": exchange.status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(exchange.response_headers),
            "content": {
                "size": len(exchange.response_body),
                "mimeType": mime,
                **_text(exchange.response_body),
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(exchange.response_body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": exchange.duration_ms, "receive": 0},
        **({"comment": exchange.comment} if exchange.comment else {}),
        **({"_operationId": exchange.operation_id} if exchange.operation_id else {}),
    }


def dumps(exchanges: Iterable[Exchange], base_url: str = "http://127.0.0.1") -> bytes:
    """A whole HAR 1.2 document."""
    log = {"version": "1.2", "creator": CREATOR, "entries": [entry(e, base_url) for e in exchanges]}
    return orjson.dumps({"log": log}, option=orjson.OPT_INDENT_2)


def head() -> bytes:
    """A HAR document up to its first entry: ``head() + tail()`` is a valid, empty one.

    Written this way so that a file growing entry by entry (``Recorder``) is a whole document after
    every write: an entry goes where the tail was, followed by the tail again.
    """
    creator = orjson.dumps(CREATOR)
    return b'{"log": {"version": "1.2", "creator": ' + creator + b', "entries": ['


def tail() -> bytes:
    return b"\n]}}\n"


def entry_bytes(exchange: Exchange, base_url: str = "http://127.0.0.1") -> bytes:
    return orjson.dumps(entry(exchange, base_url))


def _body(content: dict[str, Any] | None) -> bytes:
    if not content or "text" not in content:
        return b""
    text = content["text"]
    return base64.b64decode(text) if content.get("encoding") == "base64" else str(text).encode("utf-8")


def _pairs(items: list[dict[str, Any]]) -> Headers:
    return tuple((str(item["name"]), str(item["value"])) for item in items)


def _started(text: str | None) -> float:
    if not text:
        return 0.0
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class HarError(ValueError):
    """A document that is not HAR 1.2 as far as reading exchanges needs; the message says where."""


def loads(data: bytes) -> list[Exchange]:
    """The exchanges of a HAR document, in its order; ``HarError`` naming the first problem."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise HarError(f"not JSON: {exc}") from None
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise HarError("not a HAR document: it has no log.entries list")
    exchanges = []
    for number, item in enumerate(entries):
        try:
            exchanges.append(_exchange(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problem = f"{exc} is missing" if isinstance(exc, KeyError) else str(exc)
            raise HarError(f"log.entries[{number}]: {problem}") from None
    return exchanges


def _exchange(item: dict[str, Any]) -> Exchange:
    request, response = item["request"], item["response"]
    url = urlsplit(request["url"])
    return Exchange(
        method=request["method"].upper(),
        path=url.path,
        query=url.query,
        request_headers=_pairs(request.get("headers", [])),
        request_body=_body(request.get("postData")),
        status=int(response["status"]),
        response_headers=_pairs(response.get("headers", [])),
        response_body=_body(response.get("content")),
        started=_started(item.get("startedDateTime")),
        duration_ms=float(item.get("time") or 0),
        operation_id=item.get("_operationId"),
        comment=item.get("comment", ""),
    )


def read(path: Path) -> list[Exchange]:
    return loads(path.read_bytes())
