"""Runs in the simulation: seeded, planned, produced on the clock, finished, deleted.

Functions of the one :class:`~mockserver._simulation.simulation.Simulation`, which calls them; kept apart so
that each module reads in one sitting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver._simulation import lifecycle
from mockserver._simulation.index import Collection
from mockserver._simulation.lifecycle import RecordKind
from mockserver._simulation.records import (
    MessageRecord,
    PlannedMessage,
    RunRecord,
    StepRecord,
    ns,
    run_body,
    stamp,
)
from mockserver._simulation.run_plans import RunPlan, plan_run
from mockserver._simulation.schedule import RUNNING_SHARE

if TYPE_CHECKING:
    from mockserver._simulation.simulation import Simulation

from mockserver._simulation.observers import Event


def seed(sim: Simulation, spec: dict[str, Any]) -> RunRecord:
    run_id = spec.get("id") or sim.new_id("run")
    if run_id in sim.runs:
        raise ValueError(f"a run with id {run_id!r} exists already")
    # A scenario fills in what the seed leaves out; the seed's own fields win.
    scripted = _seed_fields(sim.scenarios.for_id(run_id) or sim.scenarios.for_run(spec["agent_id"]))
    if "stop_reason" in spec or lifecycle.is_terminal("run", spec.get("status", "created")):
        scripted.pop("stop_reason", None)
    spec = {**scripted, **spec}
    plan: RunPlan = plan_run(spec, run_id=run_id, now=sim.now(), duration=sim.job_duration, new_id=sim.new_id)
    created = plan.created
    agent_id = spec["agent_id"]
    body = run_body(
        run_id,
        created,
        agent_id=agent_id,
        background=spec.get("background", True),
        callback_url=spec.get("callback_url"),
        metadata=spec.get("metadata"),
        conversation_id=spec.get("conversation_id"),
    )
    metrics = {
        "id": run_id,
        "agent_id": agent_id,
        "project_id": None,
        "run_start_ns": ns(created),
        "run_ns": None,
        "num_steps": 0,
        "tools_used": None,
        "template_id": None,
        "base_template_id": None,
    }
    record = RunRecord(
        run_id, created, body, metrics, final_status=plan.status, final_stop_reason=plan.stop_reason
    )
    sim.runs.add(record)
    sim.stored_one()
    sim.runs_by_agent.setdefault(agent_id, Collection()).add(record)
    record.duration = plan.duration
    record.pending = list(plan.messages)
    if lifecycle.is_terminal("run", plan.start_status):
        # Seeded as finished: everything it produced is there at once.
        for planned in list(record.pending):
            _message(sim, record, planned, planned.due)
        finish(sim, record, plan.status, plan.stop_reason, plan.end)
        return record
    if plan.start_status == "running":
        _set_status(sim, record, "running", created)
    schedule(sim, record)
    return record


def schedule(sim: Simulation, record: RunRecord) -> None:
    """Put what is still to happen to a run on the heap (at seeding, and after a restore)."""
    if record.completed:
        return
    if record.status == "created":
        sim.schedule.at(record.created + record.duration * RUNNING_SHARE, _running, sim, record)
    for planned in record.pending:
        sim.schedule.at(planned.due, _message, sim, record, planned)
    sim.schedule.at(record.created + record.duration, _finished, sim, record)


def _set_status(sim: Simulation, record: RunRecord, status: str, at: float) -> None:
    record.body["status"] = lifecycle.move("run", record.status, status)
    del at  # runs have no `updated_at`
    sim.emit(Event.CHANGED, RecordKind.RUN, record)


def _running(sim: Simulation, record: RunRecord, at: float) -> None:
    if record.status == "created" and not record.deleted:
        _set_status(sim, record, "running", at)


def _message(sim: Simulation, record: RunRecord, planned: PlannedMessage, at: float) -> None:
    if record.deleted or record.completed or planned not in record.pending:
        return
    record.pending.remove(planned)
    step = planned.step
    if step is not None and step["id"] not in record.steps:
        record.steps.add(StepRecord(step["id"], at, step))
        record.metrics["num_steps"] = len(record.steps)
    if planned.body:
        record.messages.add(MessageRecord(planned.body["id"], len(record.messages) + 1, planned.body))
    sim.emit(Event.CHANGED, RecordKind.RUN, record)


def _finished(sim: Simulation, record: RunRecord, at: float) -> None:
    if record.deleted or lifecycle.is_terminal("run", record.status):
        return
    finish(sim, record, record.final_status, record.final_stop_reason, at)


def finish(sim: Simulation, record: RunRecord, status: str, stop_reason: str | None, at: float) -> None:
    record.completed = True
    for step in lifecycle.path_to("run", record.status, status):
        record.body["status"] = lifecycle.move("run", record.status, step)
    record.body["stop_reason"] = stop_reason
    record.body["completed_at"] = stamp(at)
    record.body["total_duration_ns"] = ns(at - record.created)
    record.metrics["run_ns"] = ns(at - record.created)
    sim.emit(Event.CHANGED, RecordKind.RUN, record)
    sim.emit(Event.FINISHED, RecordKind.RUN, record)
    sim.retention.finished(record)


def delete(sim: Simulation, record: RunRecord) -> None:
    record.deleted = True
    sim.runs.remove(record.id)
    agent_runs = sim.runs_by_agent.get(record.body["agent_id"])
    if agent_runs is not None:
        agent_runs.remove(record.id)
    sim.emit(Event.CHANGED, RecordKind.RUN, record)


def _seed_fields(outcome: dict[str, Any]) -> dict[str, Any]:
    """A scenario's outcome as run seed fields: its status is the run's final one, hence a stop reason."""
    fields: dict[str, Any] = {name: outcome[name] for name in ("duration", "messages") if name in outcome}
    reason = outcome.get("stop_reason") or lifecycle.STOP_REASON_FOR_STATUS.get(outcome.get("status", ""))
    if reason is not None:
        fields["stop_reason"] = reason
    return fields
