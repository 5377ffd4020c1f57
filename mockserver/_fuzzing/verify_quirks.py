"""Which of the real server's known quirks a difference ``verify`` found looks like.

A difference between a recording and a server is either one of the quirks the profiles reproduce
(``_contract.quirks``), or something no profile knows yet. Naming the quirk tells a user which profile
matches their server and leaves the unnamed differences standing out. The signatures are the traces each
quirk leaves in a replay, whichever side (recording or target) shows it.
"""

from __future__ import annotations

from mockserver._contract.quirks import BY_NAME
from mockserver._recording.compare import Difference

_NAIVE_FIELDS = ("/completed_at", "/callback_sent_at")
_LISTING = frozenset({"missing_item", "extra_item", "length"})


def _five_hundred(difference: Difference) -> bool:
    return difference.kind == "status" and "500" in (difference.recorded, difference.seen)


def _cancelled(difference: Difference) -> bool:
    return "cancelled" in (difference.recorded.strip('"'), difference.seen.strip('"'))


def _done_differs(difference: Difference) -> bool:
    return ("[DONE]" in difference.recorded) != ("[DONE]" in difference.seen)


def _either(difference: Difference, value: str) -> bool:
    return value in (difference.recorded.strip('"'), difference.seen.strip('"'))


_CALLBACK_OUTCOME = ("/callback_error", "/callback_sent_at")
_BATCH_OPS = frozenset({"create_batch", "retrieve_batch", "list_batches"})


def explain(difference: Difference) -> str | None:
    """The quirk's name, or ``None`` when the difference looks like none of them."""
    op, kind, pointer = difference.operation, difference.kind, difference.pointer
    found: str | None = None
    if pointer.endswith(_NAIVE_FIELDS) and kind in ("timestamp_format", "schema"):
        found = "naive-timestamps"
    elif pointer.endswith("/callback_url") and (
        _either(difference, "string None") or _either(difference, "None")
    ):
        found = "callback-url-none-string"
    elif (
        pointer.endswith(("/callback_error", "/callback_sent_at"))
        and kind == "type"
        and _either(difference, "null null")
    ):
        # A batch that asked for no callback, with one attempted (to "None") and failed: the same quirk.
        found = "callback-url-none-string"
    elif pointer.endswith(("/user_id", "/organization_id")) and kind in ("extra", "missing", "schema"):
        found = "owner-ids"
    elif op == "retrieve_run" and pointer == "/total_duration_ns" and _either(difference, "null null"):
        found = "run-retrieve-duration-null"
    elif op == "retrieve_stream_for_run" and _five_hundred(difference):
        found = "stream-without-body-500"
    elif op in _BATCH_OPS and pointer.endswith("/status") and _either(difference, "running"):
        found = "batch-polling-off"  # running at once, where the documented server says created
    elif (
        op in ("list_batches", "list_jobs")
        and kind == "status"
        and "400" in (difference.recorded, difference.seen)
    ):
        found = "job-cursors-crossed-400"
    elif pointer in ("/detail", "/trace_id") or pointer.startswith("/detail/"):
        found = "validation-detail-string"
    elif op == "list_batches" and kind in _LISTING:
        found = "batch-list-active-only"
    elif op == "list_messages_for_batch" and _five_hundred(difference):
        found = "batch-messages-after-500"
    elif op == "delete_run" and _five_hundred(difference):
        found = "run-delete-500"
    elif op == "cancel_job" and _five_hundred(difference):
        found = "job-cancel-500"
    elif op == "cancel_batch" or (op == "retrieve_batch" and pointer == "/status" and _cancelled(difference)):
        found = "batch-cancel-unguarded"
    elif op == "retrieve_stream_for_run" and kind == "sse_sequence" and _done_differs(difference):
        found = "cancelled-stream-no-done"
    elif op == "list_runs" and kind in _LISTING | {"order"}:
        found = "run-cursors-inverted"
    elif op in ("list_batches", "list_jobs") and kind == "order":
        found = "job-cursors-chronological"
    return found if found in BY_NAME else None
