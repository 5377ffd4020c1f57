"""Which of the real server's quirks (``_contract.quirks``) an upstream's answers show.

The proxy hands every exchange it forwarded to :meth:`Observer.see`; each quirk is named only on
evidence that is certain (a 500 on the route that always fails, a ``detail`` that is a string, an
item on the wrong side of a cursor whose creation time the observer saw), never on a guess: a list
of only running batches proves nothing until a finished batch is known and missing from it.

Pure: no I/O, no clock. The few facts later answers are judged by (creation times, statuses of
batches) are remembered, bounded, from the answers themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_TIMESTAMP_FIELDS = ("completed_at", "callback_sent_at")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_FINISHED = frozenset(("completed", "failed", "expired"))
_ACTIVE = frozenset(("created", "running", "pending"))
_ENDED = _FINISHED | {"cancelled"}
"""What a list of every batch would hold and an active-only one leaves out."""
_REMEMBERED = 10_000
"""Records whose creation time and status are kept to judge later answers by."""
_DEFAULT_LIMIT = 50
"""What the list operations answer at most without a `limit` (their documented default is larger
or absent; only a page shorter than both proves that nothing was left out)."""

_CURSOR_QUIRK = {
    "list_runs": "run-cursors-inverted",
    "list_batches": "job-cursors-chronological",
    "list_jobs": "job-cursors-chronological",
    "list_messages_for_batch": "batch-messages-before-ignored",
}
_ALWAYS_500 = {
    "list_messages_for_batch": "batch-messages-after-500",
    "delete_run": "run-delete-500",
    "cancel_job": "job-cancel-500",
}


@dataclass(frozen=True, slots=True)
class Sighting:
    quirk: str
    evidence: str


Query = Mapping[str, Sequence[str]]
"""Each query parameter's values, as the client sent them."""


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _items(answer: Any) -> list[dict[str, Any]]:
    """The records of an answer: the object itself, or a list's (a bare array, a page's ``data``, a
    batch's ``messages``)."""
    if isinstance(answer, dict):
        data = answer.get("data", answer.get("messages")) if "id" not in answer else None
        if isinstance(data, list):
            return [item for item in data if isinstance(item, dict)]
        return [answer]
    if isinstance(answer, list):
        return [item for item in answer if isinstance(item, dict)]
    return []


def parse_time(value: Any) -> datetime | None:
    """A timestamp as the real server writes it; one without an offset is read as UTC."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def naive_timestamp(items: Sequence[Mapping[str, Any]]) -> str | None:
    for item in items:
        for name in _TIMESTAMP_FIELDS:
            value = item.get(name)
            if isinstance(value, str) and _DATETIME.match(value) and not _OFFSET.search(value):
                return f"{item.get('id', 'a record')}: {name} {value!r} has no UTC offset"
    return None


def detail_string(status: int, answer: Any) -> str | None:
    if status == 422 and isinstance(answer, dict) and isinstance(answer.get("detail"), str):
        return f"a 422 whose detail is a string: {answer['detail'][:120]!r}"
    return None


def stream_without_done(stream: str) -> str | None:
    """A run stream that stopped as cancelled and ended without ``[DONE]``."""
    if "[DONE]" in stream:
        return None
    for line in stream.splitlines():
        if line.startswith("data:") and '"stop_reason"' in line and '"cancelled"' in line:
            return "the stream stopped with stop_reason cancelled and ended without [DONE]"
    return None


_OWNER_FIELDS = ("user_id", "organization_id")


def owner_ids(items: Sequence[Mapping[str, Any]]) -> str | None:
    for item in items:
        for name in _OWNER_FIELDS:
            if name in item:
                return f"{item.get('id')} carries {name}, which the documented schema leaves out"
    return None


def none_callback_url(operation_id: str, items: Sequence[Mapping[str, Any]]) -> str | None:
    if "messages" in operation_id:
        return None
    for item in items:
        if item.get("callback_url") == "None":
            return f"batch {item.get('id')} has callback_url 'None' (the string)"
    return None


def polling_off(operation_id: str | None, status: int, answer: Any) -> str | None:
    """A batch running as it is created, or a cancel refused as the real server refuses it unpolled."""
    created = operation_id == "create_batch" and 200 <= status < 300 and isinstance(answer, dict)
    if created and answer.get("status") == "running":
        return f"batch {answer.get('id')} was answered running as it was created"
    if operation_id == "cancel_batch" and status == 501 and "cancellation is not enabled" in _detail(answer):
        return "cancel answered 501: Batch job cancellation is not enabled"
    return None


def crossed_cursors(operation_id: str | None, query: Query, status: int, answer: Any) -> str | None:
    if operation_id not in ("list_batches", "list_jobs") or status != 400:
        return None
    if _first(query, "before") is None or _first(query, "after") is None:
        return None
    if "'before' reference must be later than 'after' reference" in _detail(answer):
        return f"{operation_id} with before and after answered 400: {_detail(answer)}"
    return None


def _detail(answer: Any) -> str:
    detail = answer.get("detail") if isinstance(answer, dict) else None
    return detail if isinstance(detail, str) else ""


@dataclass
class Observer:
    """The quirks seen so far (each with the request that first showed it) and what judging needs."""

    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: dict[str, datetime] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    status_seq: dict[str, int] = field(default_factory=dict)
    cancelled_finished: dict[str, str] = field(default_factory=dict)
    durations: dict[str, int] = field(default_factory=dict)
    """A run's total_duration_ns as a list answered it."""
    """Finished batches a cancel answered 2xx for: a later answer showing them cancelled is the quirk."""

    def clear(self) -> None:
        """Forget the sightings (a reset); what the upstream holds is still there, so the facts stay."""
        self.seen.clear()

    def see(
        self,
        seq: int,
        request: str,
        operation_id: str | None,
        path: Mapping[str, str],
        query: Query,
        status: int,
        answer: Any,
        stream: str | None = None,
        *,
        bodiless: bool = False,
    ) -> list[Sighting]:
        """Judge one exchange; returns the quirks it shows (new or not) and notes the new ones.
        ``bodiless``: the request came without a body."""
        found = self.judge(seq, operation_id, path, query, status, answer, stream, bodiless=bodiless)
        for sighting in found:
            if sighting.quirk not in self.seen:
                self.seen[sighting.quirk] = {"seq": seq, "request": request, "evidence": sighting.evidence}
        self.remember(seq, operation_id, status, answer)
        return found

    def judge(
        self,
        seq: int,
        operation_id: str | None,
        path: Mapping[str, str],
        query: Query,
        status: int,
        answer: Any,
        stream: str | None = None,
        *,
        bodiless: bool = False,
    ) -> list[Sighting]:
        found: list[Sighting] = []

        def note(quirk: str, evidence: str | None) -> None:
            if evidence:
                found.append(Sighting(quirk, evidence))

        items = _items(answer) if 200 <= status < 300 else []
        note("naive-timestamps", naive_timestamp(items))
        note("validation-detail-string", detail_string(status, answer))
        always = _ALWAYS_500.get(operation_id or "")
        if status == 500 and always is not None:
            after = _first(query, "after")
            if operation_id != "list_messages_for_batch" or after is not None:
                where = f" with after={after}" if after is not None else ""
                note(always, f"{operation_id}{where} answered 500")
        if operation_id == "retrieve_stream_for_run" and status == 500 and bodiless:
            note("stream-without-body-500", "a stream request without a body answered 500")
        if operation_id == "retrieve_run" and 200 <= status < 300 and isinstance(answer, dict):
            listed = self.durations.get(str(answer.get("id")))
            if answer.get("total_duration_ns") is None and listed is not None:
                note(
                    "run-retrieve-duration-null",
                    f"the run list gave total_duration_ns {listed}, the run null",
                )
        note("owner-ids", owner_ids(items))
        if operation_id == "retrieve_stream_for_run" and stream is not None:
            note("cancelled-stream-no-done", stream_without_done(stream))
        if operation_id == "cancel_batch" and 200 <= status < 300:
            batch_id = path.get("batch_id", "")
            before = self.status.get(batch_id)
            if before in _FINISHED:
                self.cancelled_finished[batch_id] = f"{before} at #{self.status_seq.get(batch_id, 0)}"
                self.cancelled_finished[batch_id] += f", cancelled at #{seq}"
        if "batch" in (operation_id or ""):
            note("batch-cancel-unguarded", self._cancel_unguarded(items))
            note("callback-url-none-string", none_callback_url(operation_id or "", items))
        note("batch-polling-off", polling_off(operation_id, status, answer))
        note("job-cursors-crossed-400", crossed_cursors(operation_id, query, status, answer))
        if operation_id == "list_batches" and status == 200:
            note("batch-list-active-only", self._active_only(query, items))
        cursor_quirk = _CURSOR_QUIRK.get(operation_id or "")
        if cursor_quirk is not None and status == 200:
            note(cursor_quirk, self._wrong_side(operation_id or "", query, items))
        return found

    def _cancel_unguarded(self, items: list[dict[str, Any]]) -> str | None:
        for item in items:
            history = self.cancelled_finished.get(str(item.get("id")))
            if item.get("status") == "cancelled" and history is not None:
                return f"batch {item['id']} was {history}, and is now answered as cancelled"
        return None

    def _active_only(self, query: Query, items: list[dict[str, Any]]) -> str | None:
        if _first(query, "after") is not None or _first(query, "before") is not None:
            return None
        limit = _first(query, "limit")
        try:
            cap = min(int(limit), _DEFAULT_LIMIT) if limit is not None else _DEFAULT_LIMIT
        except ValueError:
            return None
        if len(items) >= cap or any(item.get("status") not in _ACTIVE for item in items):
            return None
        listed = {item.get("id") for item in items}
        for batch_id, status in self.status.items():
            if status in _ENDED and batch_id not in listed:
                seq = self.status_seq.get(batch_id, 0)
                return (
                    f"the list held {len(items)} created or running batches (fewer than the page's"
                    f" {cap}) and not {batch_id}, {status} at #{seq}"
                )
        return None

    def _wrong_side(self, operation_id: str, query: Query, items: list[dict[str, Any]]) -> str | None:
        order = _first(query, "order") or "desc"
        if operation_id != "list_batches" and _first(query, "ascending") is not None and "order" not in query:
            order = "asc" if _first(query, "ascending") in ("true", "True", "1") else "desc"
        for cursor in ("after", "before"):
            mark = _first(query, cursor)
            at = self.created.get(mark) if mark is not None else None
            if mark is None or at is None:
                continue
            # Documented: `after` is what follows the cursor in the listed order, `before` what precedes it.
            want_newer = (cursor == "after") == (order == "asc")
            for item in items:
                created = parse_time(item.get("created_at"))
                if item.get("id") == mark:
                    return f"{cursor}={mark} (order={order}) answered the cursor's own record"
                if created is None or created == at:
                    continue
                if (created > at) != want_newer:
                    side = "newer" if created > at else "older"
                    return (
                        f"{cursor}={mark} (order={order}) answered {item.get('id')}, created"
                        f" {item.get('created_at')}, {side} than the cursor"
                    )
        return None

    def remember(self, seq: int, operation_id: str | None, status: int, answer: Any) -> None:
        if not 200 <= status < 300 or operation_id is None:
            return
        for item in _items(answer):
            record_id = item.get("id")
            if not isinstance(record_id, str):
                continue
            created = parse_time(item.get("created_at"))
            if created is not None:
                self.created[record_id] = created
            if (
                isinstance(item.get("status"), str)
                and "batch" in operation_id
                and "messages" not in operation_id
            ):
                self.status[record_id] = item["status"]
                self.status_seq[record_id] = seq
            duration = item.get("total_duration_ns")
            if operation_id == "list_runs" and isinstance(duration, int):
                self.durations[record_id] = duration
        for kept in (self.created, self.status, self.status_seq, self.cancelled_finished, self.durations):
            while len(kept) > _REMEMBERED:
                del kept[next(iter(kept))]
