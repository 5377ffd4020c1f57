"""Answers shaped as the real server gives them, for the quirks of a profile (see ``_contract.quirks``).

Each marks the reply with the quirk that shaped it, so the contract report lists it as the server's
deviation rather than the client's violation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mockserver._answers.backend import JsonReply
from mockserver._contract.parsing import ParsedRequest
from mockserver._contract.quirks import QuirkSet
from mockserver._simulation.jobs import JobRecord

_UNKNOWN_ERROR = {"detail": "An unknown error occurred"}
"""The real server's body for any exception its handlers did not expect (``app.py:435-473``)."""


def unknown_error(quirk: str) -> JsonReply:
    return JsonReply(_UNKNOWN_ERROR, 500, quirks=(quirk,))


def error(status: int, detail: str, quirk: str) -> JsonReply:
    """An error the real server gives where the documentation promises none, as its handlers render it."""
    return JsonReply({"detail": detail}, status, quirks=(quirk,))


def marked(reply: JsonReply, quirks: Iterable[str]) -> JsonReply:
    """``reply`` with ``quirks`` added to those that shaped it."""
    if not quirks:
        return reply
    added = tuple(dict.fromkeys(quirk for quirk in quirks if quirk not in reply.quirks))
    return JsonReply(reply.body, reply.status, reply.headers, (*reply.quirks, *added)) if added else reply


def records_in(body: Any) -> list[dict[str, Any]]:
    """The records an answer shows: the record itself, or those of a list."""
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)]
    return []


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


def naive_fields(body: Any) -> Any:
    """``body`` (a record, a list of them, a callback payload) with naive completed_at and
    callback_sent_at: the fields the real server keeps in ``timestamp without time zone`` columns."""
    return _naive(body)


def naive_timestamps(reply: JsonReply) -> JsonReply:
    body = _naive(reply.body)
    if body == reply.body:
        return reply
    return JsonReply(body, reply.status, reply.headers, (*reply.quirks, "naive-timestamps"))


_ALWAYS_500 = {"delete_run": "run-delete-500", "cancel_job": "job-cancel-500"}


def always_500(request: ParsedRequest, quirks: QuirkSet) -> JsonReply | None:
    """The 500 a route that always fails on the real server answers, if its quirk is on; else None.
    Stateless mode's seam (the stateful one also changes the record first, as the real route does)."""
    operation = request.operation.operation_id
    quirk = _ALWAYS_500.get(operation)
    if quirk is None and operation == "list_messages_for_batch" and request.query.get("after"):
        quirk = "batch-messages-after-500"
    if quirk is None and operation == "retrieve_stream_for_run" and request.body is None:
        quirk = "stream-without-body-500"
    return unknown_error(quirk) if quirk is not None and quirk in quirks else None


def none_string_callback(reply: JsonReply) -> JsonReply:
    """A created batch without a callback URL, as the real route stores it: ``str(None)``."""
    if not isinstance(reply.body, dict) or reply.body.get("callback_url") is not None:
        return reply
    return marked(
        JsonReply(reply.body | {"callback_url": "None"}, reply.status, reply.headers, reply.quirks),
        ["callback-url-none-string"],
    )


_SHOWS_BATCHES = frozenset({"create_batch", "retrieve_batch", "list_batches", "retrieve_job", "delete_job"})
"""The operations whose answers are batch records (the jobs routes answer a batch's id too)."""


def batch_deviations(jobs: Mapping[str, JobRecord], request: ParsedRequest, reply: JsonReply) -> JsonReply:
    """Mark an answer showing a batch that a quirk shaped when it was created: one that no
    poller finishes, one whose callback_url is the string "None" (and its callback_error)."""
    operation = request.operation.operation_id
    if operation == "list_messages_for_batch":
        found = jobs.get(request.path["batch_id"])
        return marked(reply, ["batch-polling-off"] if found is not None and found.unpolled else [])
    if operation not in _SHOWS_BATCHES:
        return reply
    shaped = []
    for body in records_in(reply.body):
        found = jobs.get(body.get("id"))  # type: ignore[arg-type]
        if found is not None and found.unpolled:
            shaped.append("batch-polling-off")
        if body.get("callback_url") == "None" and found is not None and found.job_type == "batch":
            shaped.append("callback-url-none-string")
    return marked(reply, shaped)


_USER = ("user_id", "user-00000000-0000-4000-8000-000000000000")
_ORGANIZATION = ("organization_id", "org-00000000-0000-4000-8000-000000000000")
_OWNER = {
    **dict.fromkeys(
        ("create_batch", "retrieve_batch", "list_batches", "retrieve_job", "list_jobs", "delete_job"), _USER
    ),
    "retrieve_metrics_for_run": _ORGANIZATION,
    "list_steps_for_run": _ORGANIZATION,
}
"""The owner field the real server's models keep on each operation's records, with the default owner's id."""


def shaped_records(request: ParsedRequest, reply: JsonReply, quirks: QuirkSet) -> JsonReply:
    """The record-shaping quirks (``owner-ids``, ``run-retrieve-duration-null``) applied to a 2xx answer."""
    if not 200 <= reply.status < 300:
        return reply
    operation = request.operation.operation_id
    owner = _OWNER.get(operation) if "owner-ids" in quirks else None
    if owner is not None and records_in(reply.body):
        name, value = owner
        body = reply.body
        body = [item | {name: value} for item in body] if isinstance(body, list) else body | {name: value}
        reply = marked(JsonReply(body, reply.status, reply.headers, reply.quirks), ["owner-ids"])
    duration_null = operation == "retrieve_run" and "run-retrieve-duration-null" in quirks
    if duration_null and isinstance(reply.body, dict) and reply.body.get("total_duration_ns") is not None:
        body = reply.body | {"total_duration_ns": None}
        plain = JsonReply(body, reply.status, reply.headers, reply.quirks)
        reply = marked(plain, ["run-retrieve-duration-null"])
    return reply
