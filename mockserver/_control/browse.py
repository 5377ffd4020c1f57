"""What the dashboard reads: stored batches, runs and jobs, a page at a time, and one in detail.

Pages come from the ordered collections (``Collection.page``), so a page of 10,000 stored batches
costs a bisection and the records it shows (plus those a filter skips), never the whole store.
A record's timeline is derived from its body and the schedule's rule for when a job starts
running: the simulation keeps no history of transitions, and a record says when it was created
and when it finished.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mockserver._contract.errors import NotFound
from mockserver._contract.validation import Violation
from mockserver._simulation import lifecycle
from mockserver._simulation.index import Collection, UnknownCursor
from mockserver._simulation.records import JobRecord, RunRecord, stamp
from mockserver._simulation.schedule import RUNNING_SHARE
from mockserver._simulation.simulation import Simulation

KINDS = ("batch", "run", "job")
PAGE_LIMIT = 200
"""The largest page (and the most messages or steps a detail view carries)."""
DEFAULT_LIMIT = 25

Record = JobRecord | RunRecord


class BrowseError(ValueError):
    """A query the dashboard sent that names an unknown kind, cursor or limit (422, naming the field)."""

    def __init__(self, field: str, message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.violation = Violation(("query", field), message, kind)


def _collection(sim: Simulation, kind: str) -> Collection[Any]:
    if kind == "batch":
        return sim.batches
    if kind == "run":
        return sim.runs
    if kind == "job":
        return sim.plain_jobs
    raise BrowseError("kind", f"Input should be 'batch', 'run' or 'job' (got {kind!r})", "literal_error")


def agents_of(record: Record) -> list[str]:
    if isinstance(record, JobRecord) and record.items:
        return list(dict.fromkeys(agent_id for agent_id, _text, _outcome in record.items))
    agent = record.body.get("agent_id")
    return [str(agent)] if agent else []


def _seconds(value: Any) -> float | None:
    return datetime.fromisoformat(value).timestamp() if isinstance(value, str) else None


def timeline(kind: str, record: Record) -> list[dict[str, Any]]:
    """created -> running -> terminal, each with its time (``at`` is ``None`` for a step still ahead)."""
    status = record.status
    terminal = lifecycle.is_terminal("run" if kind == "run" else "job", status)
    ended = _seconds(record.body.get("completed_at")) or _seconds(record.body.get("updated_at"))
    running_at = record.created + record.duration * RUNNING_SHARE
    steps: list[dict[str, Any]] = [{"status": "created", "at": stamp(record.created), "done": True}]
    # A record cancelled before its start never ran; one that finished (or runs) went through running.
    ran = status == "running" or (terminal and (ended is None or ended >= running_at))
    if ran or not terminal:
        steps.append({"status": "running", "at": stamp(min(running_at, ended or running_at)), "done": ran})
    if terminal:
        steps.append({"status": status, "at": stamp(ended) if ended is not None else None, "done": True})
    else:
        due = record.created + record.duration
        steps.append({"status": "terminal", "at": stamp(due), "done": False})
    return steps


def summary(kind: str, record: Record) -> dict[str, Any]:
    body = record.body
    found: dict[str, Any] = {
        "kind": kind,
        "id": record.id,
        "status": record.status,
        "created_at": body.get("created_at"),
        "completed_at": body.get("completed_at"),
        "stop_reason": body.get("stop_reason"),
        "agent_ids": agents_of(record),
        "callback_url": body.get("callback_url"),
        "callback_status_code": body.get("callback_status_code"),
        "callback_error": body.get("callback_error"),
        "timeline": timeline(kind, record),
    }
    if isinstance(record, JobRecord) and kind == "batch":
        found["items"] = len(record.items)
    return found


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise BrowseError("limit", "Input should be a valid integer", "int_parsing") from None
    if not 1 <= value <= PAGE_LIMIT:
        raise BrowseError("limit", f"Input should be between 1 and {PAGE_LIMIT} (got {value})")
    return value


def page(sim: Simulation, query: Mapping[str, str]) -> dict[str, Any]:
    """A page of one kind, newest first; ``after``/``before`` are record ids (cursors), filters exact."""
    kind = query.get("kind") or "batch"
    collection = _collection(sim, kind)
    limit = _limit(query)
    status = query.get("status") or None
    agent = query.get("agent_id") or None

    def where(record: Record) -> bool:
        return (status is None or record.status == status) and (agent is None or agent in agents_of(record))

    filtered = where if status is not None or agent is not None else None
    after, before = query.get("after") or None, query.get("before") or None
    try:
        # One more than asked tells whether another page follows in the direction walked.
        found = collection.page(order="desc", after=after, before=before, limit=limit + 1, where=filtered)
    except UnknownCursor as exc:
        raise BrowseError(exc.name, f"no {kind} with id {exc.value!r} (a page's cursor)") from None
    backwards = before is not None and after is None
    more = len(found) > limit
    if more:
        found = found[1:] if backwards else found[:limit]
    newer = more if backwards else after is not None
    older = (before is not None) if backwards else more
    return {
        "kind": kind,
        "records": [summary(kind, record) for record in found],
        "stored": len(collection),
        "newer": bool(newer and found),
        "older": bool(older and found),
    }


def _bodies(records: Iterable[Any], limit: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for record in records:
        if len(found) >= limit:
            break
        found.append(record.body)
    return found


def detail(sim: Simulation, record_id: str, callbacks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One record: its body, timeline, items, messages and steps (the first ``PAGE_LIMIT`` of each),
    and every callback attempt made for it."""
    if not record_id:
        raise BrowseError("id", "Field required", "missing")
    record: Record | None = sim.jobs.get(record_id) or sim.runs.get(record_id)
    if record is None:
        raise NotFound(f"no batch, run or job with id {record_id!r}")
    kind = (
        "run" if isinstance(record, RunRecord) else ("batch" if record.body["job_type"] == "batch" else "job")
    )
    found = summary(kind, record)
    found["record"] = record.body
    found["messages"] = _bodies(record.messages, PAGE_LIMIT)
    found["message_count"] = len(record.messages)
    if isinstance(record, JobRecord):
        # Items finish in order: the first `answered` are done.
        found["batch_items"] = [
            {
                "id": record.item_id(index),
                "agent_id": agent_id,
                "input": text,
                "done": index < record.answered,
            }
            for index, (agent_id, text, _outcome) in enumerate(record.items[:PAGE_LIMIT])
        ]
    else:
        found["steps"] = _bodies(record.steps, PAGE_LIMIT)
        found["step_count"] = len(record.steps)
    found["callbacks"] = [dict(entry) for entry in callbacks if entry.get("id") == record_id]
    return found
