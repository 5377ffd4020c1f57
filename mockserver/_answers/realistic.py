"""What makes a generated job, batch or run read like one record of a real Letta server.

``DataGenerator`` fills each field on its own; :func:`make_consistent` ties them together as
the real server's code does (the server behaviour reference, sections 3 and 4): times in
order, completion data only on finished records, a stop reason that implies the status, a
callback only where there is a callback URL and the status fires one, a batch that is a batch.
It repairs only what is inconsistent, so applying it twice changes nothing the second time.

Realistic stateless answers only: ``--responses fuzz`` keeps its inconsistent corners on purpose.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from mockserver._contract.generate import rfc3339
from mockserver._simulation import lifecycle

STOP_REASONS: dict[str, tuple[str, ...]] = {
    "completed": ("end_turn", "end_turn", "end_turn", "max_steps", "tool_rule", "requires_approval"),
    "failed": (
        "error",
        "llm_api_error",
        "invalid_llm_response",
        "invalid_tool_call",
        "no_tool_call",
        "max_tokens_exceeded",
        "context_window_overflow_in_system_prompt",
    ),
    "cancelled": ("cancelled",),
}
"""The stop reasons drawn for each run status, weighted towards the usual one (`insufficient_credits`
is left out: letta-client 1.7.0 does not know it). Which status a reason implies is the lifecycle's."""

TERMINAL = lifecycle.JOB_TERMINAL
STATUSES = frozenset(lifecycle.JOB_STATUSES)
# A batch is never `pending` (only plain jobs queue); every other job status is one a batch can have
# in the documented lifecycle the stateful mode simulates.
_BATCH_STATUS = {"pending": "running"}
_CALLBACK_FIELDS = ("callback_sent_at", "callback_status_code", "callback_error")
_CALLBACK_CODES = (200, 200, 200, 200, 201, 202, 204, 400, 404, 500, 502, 503)
_MAX_RUN = timedelta(minutes=2)


def status_of(stop_reason: str) -> str | None:
    """The run status a stop reason implies (``end_turn`` -> ``completed``), or ``None`` if unknown."""
    return lifecycle.STOP_REASON_STATUS.get(stop_reason)


def make_consistent(record: dict[str, Any], rng: random.Random) -> None:
    """Repair, in place, the fields of a generated record that no real server would combine.

    Handles ``BatchJob``, ``Job`` and ``Run`` bodies (told apart by ``job_type``), and the token
    counts and timestamps of any other record. Only keys already present are touched.
    """
    tokens = record.get("prompt_tokens"), record.get("completion_tokens")
    # Steps have nullable token counts: only derive the total when both parts are known.
    if "total_tokens" in record and all(isinstance(t, int) for t in tokens):
        record["total_tokens"] = sum(t for t in tokens if isinstance(t, int))
    created = _time(record.get("created_at"))
    if created is None:
        return
    if record.get("status") in STATUSES:
        _lifecycle(record, created, rng)
    updated = _time(record.get("updated_at"))
    if updated is not None:
        # The row is written last by the latest of these events: creation, completion, callback.
        later = [t for t in map(_time, (record.get("completed_at"), record.get("callback_sent_at"))) if t]
        latest = max([created, *later])
        if updated < latest:
            record["updated_at"] = rfc3339(latest)


def _lifecycle(record: dict[str, Any], created: datetime, rng: random.Random) -> None:
    job_type = record.get("job_type")
    batch = job_type == "batch"
    if batch:
        record["status"] = _BATCH_STATUS.get(record["status"], record["status"])
        # `create_batch` builds the job with no agent and the ORM's `background` default.
        for name, value in (("agent_id", None), ("background", False), ("stop_reason", None)):
            if name in record:
                record[name] = value
    status = record["status"]
    # A batch cancel does not set `completed_at`; every other terminal update does.
    finished = status in TERMINAL and not (batch and status == "cancelled")
    completed = _time(record.get("completed_at")) if finished else None
    if finished and "completed_at" in record and (completed is None or completed < created):
        updated = _time(record.get("updated_at"))
        completed = updated if updated is not None and updated > created else _duration(created, rng)
    if "completed_at" in record:
        record["completed_at"] = rfc3339(completed) if completed is not None else None
    if "stop_reason" in record and not batch:
        record["stop_reason"] = _stop_reason(record.get("stop_reason"), status, job_type, rng)
    _durations(record, created, completed, status, rng)
    _callback(record, completed, status, job_type is not None, rng)
    if "created_by_id" in record and "last_updated_by_id" in record:
        # One actor, the default user, creates and updates every row.
        actor = record["created_by_id"] or record["last_updated_by_id"]
        record["created_by_id"] = record["last_updated_by_id"] = actor


def _stop_reason(current: Any, status: str, job_type: Any, rng: random.Random) -> str | None:
    # Runs (and jobs of type `run`) carry the reason they stopped; plain jobs never have one.
    if job_type not in (None, "run") or status not in STOP_REASONS:
        return None
    if isinstance(current, str) and status_of(current) == status:
        return current
    return rng.choice(STOP_REASONS[status])


def _durations(
    record: dict[str, Any], created: datetime, completed: datetime | None, status: str, rng: random.Random
) -> None:
    total = None if completed is None else (completed - created) // timedelta(microseconds=1) * 1000
    if record.get("total_duration_ns") is not None or (total is None and "total_duration_ns" in record):
        record["total_duration_ns"] = total
    ttft = record.get("ttft_ns")
    if not isinstance(ttft, int):
        return
    if status in ("created", "pending"):
        record["ttft_ns"] = None  # no token yet before the work starts
    elif total is not None and not 0 <= ttft <= total:
        record["ttft_ns"] = int(total * rng.uniform(0.05, 0.6))


def _callback(
    record: dict[str, Any], completed: datetime | None, status: str, job: bool, rng: random.Random
) -> None:
    """Callback results exist once a callback was sent: a finished record with a URL, whose
    status fires one (jobs: completed or failed; runs: those and cancelled)."""
    fires = ("completed", "failed") if job else ("completed", "failed", "cancelled")
    if not record.get("callback_url") or completed is None or status not in fires:
        for name in _CALLBACK_FIELDS:
            if name in record:
                record[name] = None
        return
    sent = _time(record.get("callback_sent_at"))
    if "callback_sent_at" in record and (sent is None or sent < completed):
        record["callback_sent_at"] = rfc3339(completed + timedelta(milliseconds=rng.randint(5, 400)))
    code, error = record.get("callback_status_code"), record.get("callback_error")
    # Any HTTP answer records its status and no error; a failed delivery records only the error.
    if isinstance(code, int) and not 100 <= code <= 599:
        code = rng.choice(_CALLBACK_CODES)
    if code is None and error is None:
        code = rng.choice(_CALLBACK_CODES)
    if code is not None:
        error = None
    elif error is not None:
        kind, name = ("job", "job_id") if job else ("run", "run_id")
        error = (
            f"Failed to dispatch callback for {kind} {record.get('id', record.get(name))} "
            f"to {record['callback_url']}: ConnectError('All connection attempts failed')"
        )
    for name, value in (("callback_status_code", code), ("callback_error", error)):
        if name in record:
            record[name] = value


def _duration(created: datetime, rng: random.Random) -> datetime:
    return created + timedelta(microseconds=rng.randint(200_000, _MAX_RUN // timedelta(microseconds=1)))


def _time(value: Any) -> datetime | None:
    """A generated RFC 3339 time; ``None`` for null or for text that is not one (a fixture's)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
