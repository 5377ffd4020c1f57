"""Credentials out of an exchange before it is written anywhere (``--record``, the proxy's files).

A recording is shared (committed next to tests, attached to issues), so what could let its reader
call the server as its author never reaches it: the headers that carry credentials, any header
named like a key or token, and the query parameters clients put keys in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import parse_qsl, quote

from mockserver._recording.exchange import Exchange, Headers

REDACTED = "[redacted]"

_HEADERS = frozenset({"authorization", "proxy-authorization", "x-bare-password", "cookie", "set-cookie"})
_NAMED_LIKE_A_SECRET = re.compile(r"api[-_]?key|token|secret|password|passwd|credential|session", re.I)
_QUERY = frozenset({"key", "token", "auth", "sig", "signature"})
# Narrower than the headers' rule: a query parameter named like a cursor (``page_token``) must survive,
# or a replay could not match the request again.
_QUERY_LIKE_A_SECRET = re.compile(r"api[-_]?key|access[-_]?token|secret|password|passwd|credential", re.I)


def secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _HEADERS or _NAMED_LIKE_A_SECRET.search(lowered) is not None


def redact_headers(headers: Headers) -> Headers:
    return tuple((name, REDACTED if secret_header(name) else value) for name, value in headers)


def redact_raw_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI holds them (raw bytes, the journal's form), with the same secrets redacted."""
    secret = REDACTED.encode()
    return [(name, secret if secret_header(name.decode("latin-1")) else value) for name, value in headers]


def redact_query(query: str) -> str:
    """The query with the values of key-like parameters replaced; others are kept byte for byte."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, eq, _value = part.partition("=")
        decoded = parse_qsl(name + "=", keep_blank_values=True)
        plain = decoded[0][0] if decoded else name
        if eq and (plain.lower() in _QUERY or _QUERY_LIKE_A_SECRET.search(plain) is not None):
            part = f"{name}={quote(REDACTED)}"
        parts.append(part)
    return "&".join(parts)


def redact(exchange: Exchange) -> Exchange:
    """The exchange with every credential it carried replaced by ``[redacted]``."""
    return replace(
        exchange,
        query=redact_query(exchange.query),
        request_headers=redact_headers(exchange.request_headers),
        response_headers=redact_headers(exchange.response_headers),
    )
