"""VCR.py (and pytest-recording) YAML cassettes to exchanges, so recordings a team already has replay.

A cassette is ``{interactions: [{request: {method, uri, body, headers}, response: {status: {code,
message}, headers, body: {string}}}], version: 1}``; header values are lists, a body is a string,
bytes (``!!binary``, base64 in the file) or null. VCR.py keeps a compressed answer compressed unless
told to decode it: gzip and deflate bodies are decompressed here, since replay serves them plain.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from mockserver._recording.exchange import Exchange, Headers


class CassetteError(ValueError):
    """A file that is not a cassette as far as replay needs; the message says where."""


def _bytes(value: Any, where: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and "string" in value:  # a request body written the way responses are
        return _bytes(value["string"], where)
    raise CassetteError(f"{where} must be a string, !!binary or null, not {type(value).__name__}")


def _headers(value: Any, where: str) -> Headers:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise CassetteError(f"{where} must be a mapping of header names to lists of values")
    pairs = []
    for name, values in value.items():
        for one in values if isinstance(values, list) else [values]:
            pairs.append((str(name), one.decode("latin-1") if isinstance(one, bytes) else str(one)))
    return tuple(pairs)


def _decoded(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    encoding = next((v.strip().lower() for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding not in ("gzip", "deflate") or not body:
        return body, headers
    try:
        plain = zlib.decompress(body, 47 if encoding == "gzip" else zlib.MAX_WBITS)
    except zlib.error:
        plain = zlib.decompress(body, -zlib.MAX_WBITS)  # deflate as some servers send it, raw
    kept = tuple((k, v) for k, v in headers if k.lower() not in ("content-encoding", "content-length"))
    return plain, kept


def _exchange(item: Any, where: str) -> Exchange:
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        raise CassetteError(f"{where} has no request mapping")
    request, response = item["request"], item.get("response")
    if not isinstance(response, dict):
        raise CassetteError(f"{where} has no response mapping")
    for key in ("method", "uri"):
        if not isinstance(request.get(key), str):
            raise CassetteError(f"{where}.request.{key} must be a string")
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    if not isinstance(code, int) or isinstance(code, bool):
        raise CassetteError(f"{where}.response.status.code must be an integer")
    # Older VCR.py wrote httpx's answers under `content`, every other library's under `body.string`.
    body = response["body"] if "body" in response else response.get("content")
    raw = _bytes(body.get("string") if isinstance(body, dict) else body, f"{where}.response.body.string")
    response_body, response_headers = _decoded(raw, _headers(response.get("headers"), f"{where}.response"))
    url = urlsplit(request["uri"])
    return Exchange(
        method=request["method"].upper(),
        path=url.path or "/",
        query=url.query,
        request_headers=_headers(request.get("headers"), f"{where}.request.headers"),
        request_body=_bytes(request.get("body"), f"{where}.request.body"),
        status=code,
        response_headers=response_headers,
        response_body=response_body,
    )


def loads(text: bytes) -> list[Exchange]:
    """The exchanges of a cassette, in its order; ``CassetteError`` naming the first problem."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CassetteError(f"not YAML: {' '.join(str(exc).split())}") from None
    interactions = document.get("interactions") if isinstance(document, dict) else None
    if not isinstance(interactions, list):
        raise CassetteError("not a VCR.py cassette: it has no interactions list")
    return [_exchange(item, f"interactions[{n}]") for n, item in enumerate(interactions)]


def read(path: Path) -> list[Exchange]:
    return loads(path.read_bytes())
