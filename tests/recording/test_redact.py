"""Redaction: what could let a recording's reader call the server as its author never reaches the file."""

from __future__ import annotations

import pytest

from mockserver._recording.exchange import Exchange
from mockserver._recording.redact import REDACTED, redact, redact_query, secret_header


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "X-BARE-PASSWORD",
        "Cookie",
        "Set-Cookie",
        "Proxy-Authorization",
        "X-Api-Key",
        "api_key",
        "X-Letta-Mock-Token",
        "X-Auth-Token",
        "X-Client-Secret",
    ],
)
def test_credential_headers_are_secret(name: str) -> None:
    assert secret_header(name)


@pytest.mark.parametrize("name", ["Content-Type", "Accept", "User-Agent", "X-Stainless-Lang", "Host"])
def test_other_headers_are_kept(name: str) -> None:
    assert not secret_header(name)


@pytest.mark.parametrize(
    ("query", "redacted"),
    [
        ("api_key=k1&limit=2", "api_key=%5Bredacted%5D&limit=2"),
        (
            "key=k1&token=t1&access_token=a1",
            "key=%5Bredacted%5D&token=%5Bredacted%5D&access_token=%5Bredacted%5D",
        ),
        ("limit=2&order=asc&after=run-1", "limit=2&order=asc&after=run-1"),
        ("page_token=cursor-1", "page_token=cursor-1"),  # a cursor, kept so a replay can match it
        ("X-API-KEY=k&flag", "X-API-KEY=%5Bredacted%5D&flag"),
        ("monkey=1&keys=2&TOKEN=t", "monkey=1&keys=2&TOKEN=%5Bredacted%5D"),  # names that only contain "key"
        ("", ""),
    ],
)
def test_key_like_query_parameters_are_redacted_and_the_rest_kept_byte_for_byte(
    query: str, redacted: str
) -> None:
    assert redact_query(query) == redacted


def test_redact_covers_both_directions_and_keeps_everything_else() -> None:
    exchange = Exchange(
        "GET",
        "/v1/runs/",
        "token=t&limit=1",
        (("Authorization", "Bearer sk-1"), ("X-Bare-Password", "password sk-1"), ("Accept", "*/*")),
        b"",
        200,
        (("Set-Cookie", "session=abc"), ("Content-Type", "application/json")),
        b"[]",
        operation_id="list_runs",
    )
    clean = redact(exchange)
    assert clean.query == "token=%5Bredacted%5D&limit=1"
    assert clean.request_headers == (
        ("Authorization", REDACTED),
        ("X-Bare-Password", REDACTED),
        ("Accept", "*/*"),
    )
    assert clean.response_headers == (("Set-Cookie", REDACTED), ("Content-Type", "application/json"))
    assert (clean.method, clean.path, clean.response_body, clean.operation_id) == (
        "GET",
        "/v1/runs/",
        b"[]",
        "list_runs",
    )
