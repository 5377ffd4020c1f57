"""The whole simulated state as JSON, and back: ``GET`` and ``PUT /_mock/state``.

A snapshot holds every record with what it still has to do (item finish times, a run's
messages to come), the manual clock's time, the generators' states and the scenarios, so a
restored server continues exactly where the snapshot was taken.
"""

from __future__ import annotations

import math
import operator
import random
from collections import deque
from itertools import repeat
from typing import Any

from mockserver._simulation import lifecycle
from mockserver._simulation.clock import ManualClock
from mockserver._simulation.index import Collection
from mockserver._simulation.jobs import JobRecord, new_item
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


_SLOTS = JobRecord.__slots__
_held = operator.attrgetter(*_SLOTS)


def _job_slots(job: JobRecord) -> dict[str, Any]:
    """A job as version 2 writes it: its slots, which is everything it holds (``jobs.py``)."""
    data = dict(zip(_SLOTS, _held(job), strict=True))
    if job.metadata is not None:
        data["metadata"] = dict(job.metadata)
    return data


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


_JOB_SCALARS = {"id": str, "job_type": str, "created": float, "duration": float, "final_status": str}
"""Slots a version 2 job must hold, with the type each is read as; the rest are read as written."""


def _job_v2(data: dict[str, Any]) -> JobRecord:
    record = JobRecord.__new__(JobRecord)
    # A missing slot is a KeyError: not a snapshot this server wrote.
    deque(map(setattr, repeat(record), _SLOTS, [data[name] for name in _SLOTS]), maxlen=0)
    for name, kind in _JOB_SCALARS.items():
        setattr(record, name, kind(data[name]))
    if record.status not in lifecycle.JOB_STATUSES:
        raise ValueError(f"job {record.id!r} has an unknown status {record.status!r}")
    record.items = [new_item(str(agent), str(text), outcome) for agent, text, outcome in data["items"]]
    record.answered, record.ran = int(data["answered"]), bool(data["ran"])
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
