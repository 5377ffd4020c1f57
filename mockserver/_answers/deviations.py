"""Answers shaped as the real server gives them, for the quirks of a profile (see ``_contract.quirks``).

Each marks the reply with the quirk that shaped it, so the contract report lists it as the server's
deviation rather than the client's violation.
"""

from __future__ import annotations

from typing import Any

from mockserver._answers.backend import JsonReply

_UNKNOWN_ERROR = {"detail": "An unknown error occurred"}
"""The real server's body for any exception its handlers did not expect (``app.py:435-473``)."""


def unknown_error(quirk: str) -> JsonReply:
    return JsonReply(_UNKNOWN_ERROR, 500, quirks=(quirk,))


_NAIVE_FIELDS = ("completed_at", "callback_sent_at")


def _naive(body: Any) -> Any:
    """A record (or list of records) with those fields as the real server's naive columns write them."""
    if isinstance(body, list):
        return [_naive(item) for item in body]
    if isinstance(body, dict) and any(isinstance(body.get(name), str) for name in _NAIVE_FIELDS):
        return body | {
            name: body[name].removesuffix("Z") for name in _NAIVE_FIELDS if isinstance(body.get(name), str)
        }
    return body


def naive_timestamps(reply: JsonReply) -> JsonReply:
    body = _naive(reply.body)
    if body == reply.body:
        return reply
    return JsonReply(body, reply.status, reply.headers, (*reply.quirks, "naive-timestamps"))
