"""The whole simulated state as JSON, and back: ``GET`` and ``PUT /_mock/state``.

A snapshot holds every record with what it still has to do (item finish times, a run's
messages to come), the manual clock's time, the generators' states and the scenarios, so a
restored server continues exactly where the snapshot was taken.
"""

from __future__ import annotations

import math
import random
import sys
from typing import Any

from mockserver._simulation import lifecycle
from mockserver._simulation.clock import ManualClock
from mockserver._simulation.index import Collection
from mockserver._simulation.jobs import BATCH_METADATA, JobRecord, new_item
from mockserver._simulation.records import (
    MessageRecord,
    PlannedMessage,
    RunRecord,
    StepRecord,
)
from mockserver._simulation.scenarios import Rule
from mockserver._simulation.simulation import Simulation

VERSION = 2
READABLE = (1, 2)
"""Version 2 writes a job's slots as they are held (items as tuples, nothing derived); version 1, which
wrote every batch's items and messages out in full (~13 s for 100k batches), is still read."""


class SnapshotError(ValueError):
    """A snapshot this server cannot restore."""


def _rng_state(state: Any) -> Any:
    return [state[0], list(state[1]), state[2]]


def _messages(collection: Collection[MessageRecord]) -> list[dict[str, Any]]:
    return [{"id": m.id, "seq": m.seq, "body": m.body} for m in collection]


def _job_slots(job: JobRecord) -> dict[str, Any]:
    """A job as version 2 writes it: its slots in their order, which is everything it holds (``jobs.py``).

    Spelt out, as :func:`_job_v2` reads them, rather than looped over ``__slots__`` (a speed seam): a
    dict display reads slots with specialised bytecode, 1.9 -> 1.0 us a job, ~0.09 s of a 100k-record
    ``GET`` or ``PUT /_mock/state``. ``tests/control/test_snapshot.py`` holds both to ``__slots__``."""
    return {
        "agent_id": job.agent_id,
        "answered": job.answered,
        "background": job.background,
        "callback_error": job.callback_error,
        "callback_sent_at": job.callback_sent_at,
        "callback_status_code": job.callback_status_code,
        "callback_url": job.callback_url,
        "completed_at": job.completed_at,
        "created": job.created,
        "created_at": job.created_at,
        "duration": job.duration,
        "final_status": job.final_status,
        "final_stop_reason": job.final_stop_reason,
        "id": job.id,
        "items": job.items,
        "job_type": job.job_type,
        "metadata": None if job.metadata is None else dict(job.metadata),
        "ran": job.ran,
        "renamed": job.renamed,
        "status": job.status,
        "stop_reason": job.stop_reason,
        "total_duration_ns": job.total_duration_ns,
        "unpolled": job.unpolled,
        "updated_at": job.updated_at,
    }


def snapshot(sim: Simulation) -> dict[str, Any]:
    jobs = [_job_slots(job) for collection in (sim.batches, sim.plain_jobs) for job in collection]
    runs = [
        {
            "created": run.created,
            "body": run.body,
            "metrics": run.metrics,
            "final_status": run.final_status,
            "final_stop_reason": run.final_stop_reason,
            "completed": run.completed,
            "duration": run.duration,
            "messages": _messages(run.messages),
            "steps": [{"id": s.id, "created": s.created, "body": s.body} for s in run.steps],
            "pending": [{"due": p.due, "body": p.body, "step": p.step} for p in run.pending],
        }
        for run in sim.runs
    ]
    return {
        "version": VERSION,
        "clock": {"kind": sim.clock.kind, "now": sim.now()},
        "rng": _rng_state(sim.rng_state()),
        "jobs": jobs,
        "runs": runs,
        "scenarios": [_scenario(rule) for rule in sim.scenarios.all()],
        "evicted": sim.retention.evicted,
    }


def _scenario(rule: Rule) -> dict[str, Any]:
    """The rule's spec, with a "next N" match counting only the matches it has left."""
    spec = dict(rule.spec)
    if rule.remaining is not None:
        (key,) = spec["match"]
        spec["match"] = {key: rule.remaining}
    return spec


def restore(sim: Simulation, data: dict[str, Any]) -> None:
    """Replace the simulation's state with ``data``; on a bad snapshot nothing changes."""
    version = data.get("version")
    if version not in READABLE:
        raise SnapshotError(
            f"snapshot version {version!r} is not supported (this server reads versions {READABLE})"
        )
    read_job = _job if version == 1 else _job_v2
    try:
        jobs = [read_job(one) for one in data["jobs"]]
        runs = [_run(one) for one in data["runs"]]
        rng = data["rng"]
        rng_state = (rng[0], tuple(rng[1]), rng[2])
        random.Random().setstate(rng_state)  # a malformed state fails here, before anything changes
        now = float(data["clock"]["now"])
        if not math.isfinite(now):
            raise ValueError(f"clock.now is {now!r}")
        evicted = int(data.get("evicted", 0))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SnapshotError(f"snapshot is not one this server wrote: {type(exc).__name__}: {exc}") from None
    sim.reset()
    if isinstance(sim.clock, ManualClock):
        sim.clock.set_to(now)
    sim.restore_rng(rng_state)
    for job in jobs:
        sim.add_job(job)
    for run in runs:
        sim.add_run(run)
    sim.scenarios.clear()  # `sim.reset()` keeps the scenarios; the snapshot's replace them
    for spec in data.get("scenarios", []):
        sim.scenarios.add(spec)
    sim.retention.evicted += evicted  # what the snapshot's server had evicted, and any restoring it evicted


def _body(data: dict[str, Any], kind: lifecycle.Kind, *keys: str) -> dict[str, Any]:
    """A record's body, with what restoring it reads checked before the state is replaced."""
    body = dict(data["body"])
    for key in ("id", "status", *keys):
        if key not in body:
            raise KeyError(key)
    statuses = lifecycle.JOB_STATUSES if kind == "job" else lifecycle.RUN_STATUSES
    if body["status"] not in statuses:
        raise ValueError(f"{kind} {body['id']!r} has an unknown status {body['status']!r}")
    return body


_new_job = JobRecord.__new__


def _shared(name: str) -> str:
    # A status or a type: a handful of words, each held once however many jobs say it.
    return sys.intern(name)


def _job_v2(data: dict[str, Any]) -> JobRecord:
    """A job as :func:`_job_slots` wrote it. Every slot is read first, in slot order (a missing one is a
    KeyError: not a snapshot this server wrote), then those read as a type are converted and checked.

    Spelt out rather than looped over ``__slots__`` with ``setattr`` (a speed seam): 3.1 -> 1.2 us a job,
    ~0.19 s of a 100k-record ``PUT /_mock/state``."""
    record = _new_job(JobRecord)
    record.agent_id = data["agent_id"]
    record.answered = data["answered"]
    record.background = data["background"]
    record.callback_error = data["callback_error"]
    record.callback_sent_at = data["callback_sent_at"]
    record.callback_status_code = data["callback_status_code"]
    record.callback_url = data["callback_url"]
    record.completed_at = data["completed_at"]
    record.created = data["created"]
    record.created_at = data["created_at"]
    record.duration = data["duration"]
    record.final_status = data["final_status"]
    record.final_stop_reason = data["final_stop_reason"]
    record.id = data["id"]
    record.items = data["items"]
    record.job_type = data["job_type"]
    record.metadata = data["metadata"]
    record.ran = data["ran"]
    record.renamed = data["renamed"]
    record.status = data["status"]
    record.stop_reason = data["stop_reason"]
    record.total_duration_ns = data["total_duration_ns"]
    record.unpolled = data["unpolled"]
    record.updated_at = data["updated_at"]
    record.id, record.job_type = str(record.id), _shared(str(record.job_type))
    record.created, record.duration = float(record.created), float(record.duration)
    record.final_status = _shared(str(record.final_status))
    if record.status not in lifecycle.JOB_STATUSES:
        raise ValueError(f"job {record.id!r} has an unknown status {record.status!r}")
    # As compact as a created job: what every job holds alike is one object, not one per job read
    # (100k restored batches held ~2.0M objects where as many created held 1.2M).
    record.status = _shared(record.status)
    if record.metadata == BATCH_METADATA:
        record.metadata = BATCH_METADATA
    if record.created_at == record.updated_at:
        record.created_at = record.updated_at
    if record.completed_at == record.updated_at:
        record.completed_at = record.updated_at
    record.items = [new_item(str(agent), str(text), outcome) for agent, text, outcome in record.items]
    record.answered, record.ran = int(record.answered), bool(record.ran)
    return record


def _job(data: dict[str, Any]) -> JobRecord:
    body = _body(data, "job", "job_type")
    record = JobRecord(
        str(body["id"]),
        float(data["created"]),
        job_type=str(body["job_type"]),
        duration=float(data["duration"]),
        final_status=str(data["final_status"]),
        callback_url=body.get("callback_url"),
        metadata=body.get("metadata"),
        agent_id=body.get("agent_id"),
        background=body.get("background"),
        items=[new_item(i["agent_id"], i["user_text"], dict(i["outcome"])) for i in data["items"]],
    )
    record.final_stop_reason = data.get("final_stop_reason")
    for name in _RESTORED:
        if name in body:
            setattr(record, name, body[name])
    record.unpolled = data.get("unpolled") is True and record.status == "running"
    record.answered = sum(bool(i["done"]) for i in data["items"])
    messages = [(m["id"], m["body"]) for m in sorted(data["messages"], key=lambda m: int(m["seq"]))]
    record.ran = bool(messages) or (bool(record.items) and record.status == "running")
    # A snapshot from before ids were derived names them its own way: keep its names.
    renamed = {record.item_id(index): str(i["id"]) for index, i in enumerate(data["items"])}
    renamed.update(
        (record.message_id(index, role), str(stored_id))
        for (index, role), (stored_id, _) in zip(record.message_keys(), messages, strict=False)
    )
    renamed = {derived: stored for derived, stored in renamed.items() if derived != stored}
    record.renamed = renamed or None
    return record


_RESTORED = (
    "created_at",
    "updated_at",
    "completed_at",
    "status",
    "stop_reason",
    "total_duration_ns",
    "callback_sent_at",
    "callback_status_code",
    "callback_error",
)
"""Body fields a job restores as written (the rest is either constant or the job's own settings)."""


def _run(data: dict[str, Any]) -> RunRecord:
    body = _body(data, "run", "agent_id")
    record = RunRecord(str(body["id"]), float(data["created"]), body, dict(data["metrics"]))
    record.final_status = str(data["final_status"])
    record.final_stop_reason = data.get("final_stop_reason")
    record.completed = bool(data["completed"])
    record.duration = float(data["duration"])
    for message in data["messages"]:
        record.messages.add(MessageRecord(message["id"], int(message["seq"]), message["body"]))
    for step in data["steps"]:
        record.steps.add(StepRecord(step["id"], float(step["created"]), step["body"]))
    record.pending = [PlannedMessage(float(p["due"]), p["body"], p["step"]) for p in data["pending"]]
    return record
