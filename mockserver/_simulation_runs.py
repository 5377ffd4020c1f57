"""Runs in the simulation: seeded, planned, produced on the clock, finished, deleted."""

from __future__ import annotations

from typing import Any

from mockserver import _lifecycle as lifecycle
from mockserver._records import MessageRecord, PlannedMessage, RunRecord, StepRecord, ns, run_body, stamp
from mockserver._runs import RunPlan, plan_run
from mockserver._scenarios import Scenarios
from mockserver._schedule import RUNNING_SHARE, Scheduler
from mockserver._store import Collection


class RunSimulation(Scheduler):
    """The run half of :class:`mockserver._simulation.Simulation` (which sets these up)."""

    runs: Collection[RunRecord]
    runs_by_agent: dict[str, Collection[RunRecord]]
    scenarios: Scenarios
    job_duration: float

    def seed_run(self, spec: dict[str, Any]) -> RunRecord:
        run_id = spec.get("id") or self.new_id("run")
        if run_id in self.runs:
            raise ValueError(f"a run with id {run_id!r} exists already")
        # A scenario fills in what the seed leaves out; the seed's own fields win.
        scripted = _seed_fields(self.scenarios.for_id(run_id) or self.scenarios.for_run(spec["agent_id"]))
        if "stop_reason" in spec or lifecycle.is_terminal("run", spec.get("status", "created")):
            scripted.pop("stop_reason", None)
        spec = {**scripted, **spec}
        plan: RunPlan = plan_run(
            spec, run_id=run_id, now=self.now(), duration=self.job_duration, new_id=self.new_id
        )
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
        self.runs.add(record)
        self._grew()
        self.runs_by_agent.setdefault(agent_id, Collection()).add(record)
        record.duration = plan.duration
        record.pending = list(plan.messages)
        if lifecycle.is_terminal("run", plan.start_status):
            # Seeded as finished: everything it produced is there at once.
            for planned in list(record.pending):
                self._run_message(record, planned, planned.due)
            self.finish_run(record, plan.status, plan.stop_reason, plan.end)
            return record
        if plan.start_status == "running":
            self._set_run_status(record, "running", created)
        self.schedule_run(record)
        return record

    def schedule_run(self, record: RunRecord) -> None:
        """Put what is still to happen to a run on the heap (at seeding, and after a restore)."""
        if record.completed:
            return
        if record.status == "created":
            self._at(record.created + record.duration * RUNNING_SHARE, self._run_running, record)
        for planned in record.pending:
            self._at(planned.due, self._run_message, record, planned)
        self._at(record.created + record.duration, self._run_finished, record)

    def _set_run_status(self, record: RunRecord, status: str, at: float) -> None:
        record.body["status"] = lifecycle.move("run", record.status, status)
        del at  # runs have no `updated_at`
        self._changed(record)

    def _run_running(self, record: RunRecord, at: float) -> None:
        if record.status == "created" and not record.deleted:
            self._set_run_status(record, "running", at)

    def _run_message(self, record: RunRecord, planned: PlannedMessage, at: float) -> None:
        if record.deleted or record.completed or planned not in record.pending:
            return
        record.pending.remove(planned)
        step = planned.step
        if step is not None and step["id"] not in record.steps:
            record.steps.add(StepRecord(step["id"], at, step))
            record.metrics["num_steps"] = len(record.steps)
        if planned.body:
            record.messages.add(MessageRecord(planned.body["id"], len(record.messages) + 1, planned.body))
        self._changed(record)

    def _run_finished(self, record: RunRecord, at: float) -> None:
        if record.deleted or lifecycle.is_terminal("run", record.status):
            return
        self.finish_run(record, record.final_status, record.final_stop_reason, at)

    def finish_run(self, record: RunRecord, status: str, stop_reason: str | None, at: float) -> None:
        record.completed = True
        for step in lifecycle.path_to("run", record.status, status):
            record.body["status"] = lifecycle.move("run", record.status, step)
        record.body["stop_reason"] = stop_reason
        record.body["completed_at"] = stamp(at)
        record.body["total_duration_ns"] = ns(at - record.created)
        record.metrics["run_ns"] = ns(at - record.created)
        self._changed(record)
        self._notify("run", record)

    def delete_run(self, record: RunRecord) -> None:
        record.deleted = True
        self.runs.remove(record.id)
        agent_runs = self.runs_by_agent.get(record.body["agent_id"])
        if agent_runs is not None:
            agent_runs.remove(record.id)
        self._changed(record)


_STOP_REASON_FOR = {"completed": "end_turn", "failed": "error", "cancelled": "cancelled"}


def _seed_fields(outcome: dict[str, Any]) -> dict[str, Any]:
    """A scenario's outcome as run seed fields: its status is the run's final one, hence a stop reason."""
    fields: dict[str, Any] = {name: outcome[name] for name in ("duration", "messages") if name in outcome}
    reason = outcome.get("stop_reason") or _STOP_REASON_FOR.get(outcome.get("status", ""))
    if reason is not None:
        fields["stop_reason"] = reason
    return fields
