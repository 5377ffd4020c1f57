"""The stateful simulation: stored jobs, batches and runs moving along their lifecycles.

Every future change is an entry in one time-ordered heap; :meth:`Simulation.settle` applies
all entries due by "now", each with its own scheduled time, so a manual clock advanced by
ten seconds gives exactly the timestamps a real wait would have. The simulation runs on the
server's event loop and never awaits while changing state, so a request always sees a
consistent store.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import random
from collections.abc import Callable
from functools import partial
from typing import Any

from mockserver import _lifecycle as lifecycle
from mockserver._clock import Clock
from mockserver._generate import prefixed_id
from mockserver._records import (
    BatchItem,
    JobRecord,
    MessageRecord,
    PlannedMessage,
    RunRecord,
    StepRecord,
    internal_message,
    job_body,
    ns,
    run_body,
    stamp,
)
from mockserver._runs import RunPlan, plan_run
from mockserver._scenarios import Scenarios
from mockserver._store import Collection

Listener = Callable[[str, Any], None]
"""Called with ``("batch" | "job" | "run", record)`` whenever a record reaches a terminal status."""

RUNNING_SHARE = 0.05
"""A new job starts running after this share of its duration."""


class Simulation:
    def __init__(self, clock: Clock, *, seed: int = 0, job_duration: float = 2.0) -> None:
        self.clock = clock
        self.job_duration = job_duration
        self._seed = seed
        self._heap: list[tuple[float, int, Callable[[float], None]]] = []
        self._order = itertools.count()
        self.finished: list[Listener] = []
        self.changed: list[Callable[[RunRecord], None]] = []
        self.scenarios = Scenarios()
        self.freeze_gc = False
        self._stored = self._frozen_at = 0
        self.reset()

    def reset(self) -> None:
        # Streams following a run of the old state must end, not wait forever.
        for run in getattr(self, "runs", ()):
            run.deleted = True
            self._changed(run)
        self._stored = self._frozen_at = 0
        self.jobs: dict[str, JobRecord] = {}
        self.batches: Collection[JobRecord] = Collection()
        self.plain_jobs: Collection[JobRecord] = Collection()
        self.runs: Collection[RunRecord] = Collection()
        self.runs_by_agent: dict[str, Collection[RunRecord]] = {}
        self._heap.clear()
        self._rng = random.Random(f"simulation:{self._seed}")
        # Pings come and go with the connection's timing; they draw ids from their own
        # generator so that they do not shift the ids of everything else.
        self.rng_for_pings = random.Random(f"pings:{self._seed}")
        self._message_seq = itertools.count(1)
        self.clock.rewind()

    # -- time ------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def pending(self) -> int:
        """How many scheduled changes have not happened yet."""
        return len(self._heap)

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def settle(self) -> int:
        """Apply every change due by now; the number applied."""
        now = self.clock.now()
        applied = 0
        while self._heap and self._heap[0][0] <= now:
            due, _, change = heapq.heappop(self._heap)
            change(due)
            applied += 1
        return applied

    def _at(self, due: float, change: Callable[..., None], *args: Any) -> None:
        """Schedule ``change(*args, due)``: each change is told the time it was due at."""
        entry: tuple[float, int, Callable[[float], None]] = (due, next(self._order), partial(change, *args))
        heapq.heappush(self._heap, entry)

    def new_id(self, prefix: str) -> str:
        return prefixed_id(prefix, self._rng)

    # -- jobs and batches ------------------------------------------------------------------

    def create_batch(self, requests: list[dict[str, Any]], callback_url: str | None) -> JobRecord:
        created = self.now()
        job_id = self.new_id("job")
        body = job_body(
            job_id,
            created,
            job_type="batch",
            callback_url=callback_url,
            metadata={"job_type": "batch_messages"},
        )
        plan = self.scenarios.for_batch([request["agent_id"] for request in requests])
        duration = plan.duration if plan.duration is not None else self.job_duration
        record = JobRecord(job_id, created, body, final_status=plan.status or "completed")
        record.final_stop_reason = plan.stop_reason
        count = len(requests)
        for index, request in enumerate(requests):
            finish = created + duration * (index + 1) / count
            agent_id = request["agent_id"]
            item = BatchItem(self.new_id("batch_item"), agent_id, _user_text(request), finish)
            item.outcome = dict(plan.items.get(agent_id, {}))
            record.items.append(item)
        record.duration = duration
        self._store_job(record, self.batches)
        self.schedule_job(record)
        return record

    def seed_job(self, spec: dict[str, Any]) -> JobRecord:
        duration = float(spec.get("duration", self.job_duration))
        terminal = lifecycle.is_terminal("job", spec.get("status", "created"))
        # Like a run: a job seeded as finished has already lived its duration.
        created = spec.get("created", self.now() - duration if terminal else self.now())
        job_id = spec.get("id") or self.new_id("job")
        if job_id in self.jobs:
            raise ValueError(f"a job with id {job_id!r} exists already")
        body = job_body(
            job_id,
            created,
            job_type="job",
            callback_url=spec.get("callback_url"),
            metadata=spec.get("metadata"),
            agent_id=spec.get("agent_id"),
            background=spec.get("background"),
        )
        scripted = self.scenarios.for_id(job_id) or self.scenarios.for_job()
        final = spec.get("final_status", scripted.get("status", "completed"))
        record = JobRecord(job_id, created, body, final_status=final)
        record.final_stop_reason = scripted.get("stop_reason")
        self._store_job(record, self.plain_jobs)
        status = spec.get("status", "created")
        record.duration = float(spec.get("duration", scripted.get("duration", self.job_duration)))
        if lifecycle.is_terminal("job", status):
            self._finish_job(record, status, min(created + record.duration, max(created, self.now())))
        elif status != "created":
            self._set_job_status(record, status, created)
        self.schedule_job(record)
        return record

    def schedule_job(self, record: JobRecord) -> None:
        """Put what is still to happen to a job on the heap (at creation, and after a restore)."""
        if lifecycle.is_terminal("job", record.status):
            return
        if record.status in ("created", "pending"):
            starts = self._batch_running if record.items else self._job_running
            self._at(record.created + record.duration * RUNNING_SHARE, starts, record)
        for item in record.items:
            if not item.done:
                self._at(item.finish_at, self._item_finished, record, item)
        self._at(record.created + record.duration, self._job_finished, record)

    def _store_job(self, record: JobRecord, collection: Collection[JobRecord]) -> None:
        self.jobs[record.id] = record
        collection.add(record)
        self._grew()

    def _grew(self) -> None:
        """Freeze what is stored every 2,000 records (only when `freeze_gc` is set).

        Stored records live until a reset; a full garbage collection would scan them all again
        and again (a 1 s pause with ~70k batches). Frozen objects are skipped by the cyclic
        collector and still freed by reference counting when they are dropped; freezing is a
        list splice, so doing it often costs nothing and keeps every collection small.
        """
        self._stored += 1
        if self.freeze_gc and self._stored - self._frozen_at >= 2_000:
            gc.freeze()
            self._frozen_at = self._stored

    def _set_job_status(self, record: JobRecord, status: str, at: float) -> None:
        record.body["status"] = lifecycle.move("job", record.status, status)
        record.body["updated_at"] = stamp(at)

    def _job_running(self, record: JobRecord, at: float) -> None:
        if record.status in ("created", "pending"):
            self._set_job_status(record, "running", at)

    def _batch_running(self, record: JobRecord, at: float) -> None:
        if record.status != "created":
            return
        self._set_job_status(record, "running", at)
        for item in record.items:
            self._add_batch_message(record, item, "user", item.user_text, at)

    def _item_finished(self, record: JobRecord, item: BatchItem, at: float) -> None:
        if lifecycle.is_terminal("job", record.status) or item.done:
            return
        item.done = True
        outcome = item.outcome
        failed = outcome.get("status") in ("failed", "expired") or (
            outcome.get("stop_reason") is not None
            and lifecycle.STOP_REASON_STATUS.get(outcome["stop_reason"]) == "failed"
        )
        if failed:
            reason = outcome.get("stop_reason", "error")
            self._add_batch_message(
                record, item, "assistant", f"Error: the agent stopped ({reason}).", at, error=True
            )
            return
        reply = (
            outcome.get("reply") or f"Hello! This is {item.agent_id[:14]} replying to: {item.user_text[:60]}"
        )
        self._add_batch_message(record, item, "assistant", str(reply), at)

    def _add_batch_message(
        self, record: JobRecord, item: BatchItem, role: str, text: str, at: float, *, error: bool = False
    ) -> None:
        body = internal_message(
            self._rng, agent_id=item.agent_id, role=role, text=text, at=at, batch_item_id=item.id
        )
        if error:
            body["is_err"] = True
        record.messages.add(MessageRecord(body["id"], next(self._message_seq), body))

    def _job_finished(self, record: JobRecord, at: float) -> None:
        if lifecycle.is_terminal("job", record.status):
            return
        if record.status == "created" and record.items:
            self._batch_running(record, at)
        elif record.status in ("created", "pending"):
            self._job_running(record, at)
        for item in record.items:
            self._item_finished(record, item, at)
        self._finish_job(record, record.final_status, at)

    def _finish_job(self, record: JobRecord, status: str, at: float) -> None:
        self._set_job_status(record, status, at)
        # A cancelled batch gets no `completed_at` (as on the real server); everything else does.
        if not (status == "cancelled" and record.body["job_type"] == "batch"):
            record.body["completed_at"] = stamp(at)
        record.body["total_duration_ns"] = ns(at - record.created)
        if record.final_stop_reason is not None:
            record.body["stop_reason"] = record.final_stop_reason
        self._notify("batch" if record.body["job_type"] == "batch" else "job", record)

    def apply_scenario(self, record_id: str, outcome: dict[str, Any]) -> bool:
        """Change how an unfinished job or run ends; ``False`` if there is no such unfinished record."""
        job = self.jobs.get(record_id)
        if job is not None and not lifecycle.is_terminal("job", job.status):
            job.final_status = outcome.get("status", job.final_status)
            job.final_stop_reason = outcome.get("stop_reason", job.final_stop_reason)
            return True
        run = self.runs.get(record_id)
        if run is not None and not run.completed:
            reason = outcome.get("stop_reason") or _STOP_REASON_FOR.get(outcome.get("status", ""))
            if reason is not None:
                run.final_stop_reason = reason
                run.final_status = lifecycle.STOP_REASON_STATUS[reason]
            return True
        return False

    def cancel_job(self, record: JobRecord, *, set_completed_at: bool) -> bool:
        """Cancel a job that has not finished; ``False`` (and no change) if it has.

        The jobs route sets ``completed_at`` (as the real job manager does, for any job type);
        the batch route does not.
        """
        if lifecycle.is_terminal("job", record.status):
            return False
        at = self.now()
        self._set_job_status(record, "cancelled", at)
        if set_completed_at:
            record.body["completed_at"] = stamp(at)
        return True

    def delete_job(self, record: JobRecord) -> None:
        self.jobs.pop(record.id, None)
        (self.batches if record.body["job_type"] == "batch" else self.plain_jobs).remove(record.id)

    # -- runs ------------------------------------------------------------------------------

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

    # -- snapshots (see _snapshot) ----------------------------------------------------------

    def rng_state(self) -> Any:
        return self._rng.getstate()

    def restore_rng(self, state: Any) -> None:
        self._rng.setstate(state)

    def add_job(self, record: JobRecord) -> None:
        self._store_job(record, self.batches if record.body["job_type"] == "batch" else self.plain_jobs)
        self.schedule_job(record)

    def add_run(self, record: RunRecord) -> None:
        self.runs.add(record)
        self._grew()
        self.runs_by_agent.setdefault(record.body["agent_id"], Collection()).add(record)
        self.schedule_run(record)

    def resume_message_sequence(self) -> None:
        highest = max((m.seq for job in self.jobs.values() for m in job.messages), default=0)
        self._message_seq = itertools.count(highest + 1)

    # -- observers -------------------------------------------------------------------------

    def _notify(self, kind: str, record: Any) -> None:
        for listener in self.finished:
            listener(kind, record)

    def _changed(self, record: RunRecord) -> None:
        for listener in self.changed:
            listener(record)


_STOP_REASON_FOR = {"completed": "end_turn", "failed": "error", "cancelled": "cancelled"}


def _seed_fields(outcome: dict[str, Any]) -> dict[str, Any]:
    """A scenario's outcome as run seed fields: its status is the run's final one, hence a stop reason."""
    fields: dict[str, Any] = {name: outcome[name] for name in ("duration", "messages") if name in outcome}
    reason = outcome.get("stop_reason") or _STOP_REASON_FOR.get(outcome.get("status", ""))
    if reason is not None:
        fields["stop_reason"] = reason
    return fields


def _user_text(request: dict[str, Any]) -> str:
    given = request.get("input")
    if given is None and request.get("messages"):
        given = request["messages"][0].get("content")
    if isinstance(given, list):
        given = " ".join(str(part.get("text", "")) for part in given if isinstance(part, dict))
    return str(given or "")
