"""The stateful simulation: stored jobs, batches and runs moving along their lifecycles.

One class owns everything the simulated world is made of: the schedule (one time-ordered heap,
each change applied with its own due time), ids and random generators, the observers, and the
ticker that settles the schedule on the system clock. Runs' behaviour lives in
``_simulation_runs`` as functions of this class. The simulation runs on the server's event loop
and never awaits while changing state, so a request always sees a consistent store.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from mockserver._contract.generate import prefixed_id
from mockserver._simulation import gc_freeze as _gc_freeze
from mockserver._simulation import lifecycle
from mockserver._simulation import runs as run_lifecycle
from mockserver._simulation.clock import Clock
from mockserver._simulation.index import Collection
from mockserver._simulation.jobs import BATCH_METADATA, JobRecord, fails, new_item
from mockserver._simulation.lifecycle import RecordKind
from mockserver._simulation.observers import Event, Observer, Observers
from mockserver._simulation.records import RunRecord
from mockserver._simulation.retention import DEFAULT_MAX_RECORDS, Retention
from mockserver._simulation.scenarios import Scenarios
from mockserver._simulation.schedule import RUNNING_SHARE, Schedule
from mockserver._simulation.wire import ns, stamp

TICK_SECONDS = 0.1
"""The longest the system-clock ticker sleeps between two looks at the schedule."""


class Simulation:
    """Stored jobs, batches and runs on one schedule."""

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        job_duration: float = 2.0,
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> None:
        self.clock = clock
        self.schedule = Schedule(clock)
        self.job_duration = job_duration
        self.scenarios = Scenarios()
        self._seed = seed
        self._observers = Observers()
        self._ticker: asyncio.Task[None] | None = None
        self.jobs: dict[str, JobRecord] = {}
        self.batches: Collection[JobRecord] = Collection()
        self.plain_jobs: Collection[JobRecord] = Collection()
        self.runs: Collection[RunRecord] = Collection()
        self.runs_by_agent: dict[str, Collection[RunRecord]] = {}
        self.retention = Retention(max_records, self._evict, lambda: len(self.jobs) + len(self.runs))
        self._restart()

    def reset(self) -> None:
        """Forget every record and scheduled change; ids and the clock start over."""
        # Streams following a run of the old state must end, not wait forever.
        for run in self.runs:
            run.deleted = True
            self.emit(Event.CHANGED, RecordKind.RUN, run)
        self.jobs = {}
        self.batches = Collection()
        self.plain_jobs = Collection()
        self.runs = Collection()
        self.runs_by_agent = {}
        self._restart()

    def _restart(self) -> None:
        self.schedule.clear()
        self.retention.clear()
        self._rng = random.Random(f"simulation:{self._seed}")
        # Pings come and go with the connection's timing; they draw ids from their own
        # generator so that they do not shift the ids of everything else.
        self.rng_for_pings = random.Random(f"pings:{self._seed}")

    # -- time ------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def settle(self) -> int:
        """Apply every change due by now; the number applied."""
        return self.schedule.settle()

    def pending(self) -> int:
        return self.schedule.pending()

    def next_due(self) -> float | None:
        return self.schedule.next_due()

    def start_ticker(self) -> None:
        """On the system clock, settle as changes fall due; call on the server's event loop."""
        if self._ticker is None and self.clock.kind == "system":
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="letta-mockserver-clock")

    async def stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def _tick(self) -> None:
        while True:
            due = self.next_due()
            wait = TICK_SECONDS if due is None else min(max(due - self.now(), 0.0), TICK_SECONDS)
            await asyncio.sleep(wait)
            self.settle()

    # -- ids and observers -----------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return prefixed_id(prefix, self._rng)

    def observe(self, event: Event, observer: Observer) -> None:
        """Call ``observer(kind, record)`` on every ``event`` from now on."""
        self._observers.add(event, observer)

    def emit(self, event: Event, kind: RecordKind, record: Any) -> None:
        self._observers.emit(event, kind, record)

    def stored_one(self) -> None:
        _gc_freeze.stored_one()
        self.retention.enforce()

    # -- retention (see _retention) ---------------------------------------------------------

    @property
    def max_records(self) -> int:
        return self.retention.max_records

    def was_evicted(self, record_id: str) -> bool:
        """Whether ``record_id`` named a record the retention limit evicted (the last ``max_records``)."""
        return self.retention.was_evicted(record_id)

    def _evict(self, record: JobRecord | RunRecord) -> bool:
        if isinstance(record, JobRecord):
            if self.jobs.get(record.id) is not record:
                return False  # deleted meanwhile
            self.delete_job(record)
        else:
            if self.runs.get(record.id) is not record:
                return False
            self.delete_run(record)
        return True

    # -- runs (see _simulation_runs) --------------------------------------------------------

    def seed_run(self, spec: dict[str, Any]) -> RunRecord:
        return run_lifecycle.seed(self, spec)

    def schedule_run(self, record: RunRecord) -> None:
        run_lifecycle.schedule(self, record)

    def delete_run(self, record: RunRecord) -> None:
        run_lifecycle.delete(self, record)

    # -- jobs and batches ------------------------------------------------------------------

    def create_batch(
        self, requests: list[dict[str, Any]], callback_url: str | None, *, polled: bool = True
    ) -> JobRecord:
        """Store a new batch and schedule its life. ``polled=False`` is the real server with batch
        polling off (its default): the batch runs at once and nothing finishes it, unless a scenario
        scripts its end (a ``next_batches`` one now, or one naming its id later)."""
        created = self.now()
        job_id = self.new_id("job")
        plan = self.scenarios.for_batch([request["agent_id"] for request in requests])
        # No batch-level stop reason (the real server never writes one): a failed batch's reason is
        # its items', each of which ends the way an agent scenario ends one item.
        failure = _item_failure(plan.status, plan.stop_reason)
        items = [
            new_item(r["agent_id"], _user_text(r), _failed_item(plan.items.get(r["agent_id"]), failure))
            for r in requests
        ]
        record = JobRecord(
            job_id,
            created,
            job_type="batch",
            duration=plan.duration if plan.duration is not None else self.job_duration,
            final_status=plan.status or "completed",
            callback_url=callback_url,
            metadata=BATCH_METADATA,
            items=items,
        )
        self._store_job(record, self.batches)
        if not polled and plan.status is None and plan.duration is None:
            record.unpolled = True
            self._batch_running(record, created)
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
        scripted = self.scenarios.for_id(job_id) or self.scenarios.for_job()
        record = JobRecord(
            job_id,
            created,
            job_type="job",
            duration=float(spec.get("duration", scripted.get("duration", self.job_duration))),
            final_status=spec.get("final_status", scripted.get("status", "completed")),
            callback_url=spec.get("callback_url"),
            metadata=spec.get("metadata"),
            agent_id=spec.get("agent_id"),
            background=spec.get("background"),
        )
        record.final_stop_reason = scripted.get("stop_reason")
        self._store_job(record, self.plain_jobs)
        status = spec.get("status", "created")
        if lifecycle.is_terminal("job", status):
            self._finish_job(record, status, min(created + record.duration, max(created, self.now())))
        elif status != "created":
            self._set_job_status(record, status, created)
        self.schedule_job(record)
        return record

    def schedule_job(self, record: JobRecord) -> None:
        """Put what is still to happen to a job on the heap (at creation, and after a restore)."""
        if lifecycle.is_terminal("job", record.status) or record.unpolled:
            return
        if record.status in ("created", "pending"):
            starts = self._batch_running if record.items else self._job_running
            self.schedule.at(record.created + record.duration * RUNNING_SHARE, starts, record)
        if record.answered < len(record.items) - 1:
            self._schedule_item(record)  # one at a time: each finish schedules the next
        self.schedule.at(record.created + record.duration, self._job_finished, record)

    def _store_job(self, record: JobRecord, collection: Collection[JobRecord]) -> None:
        self.jobs[record.id] = record
        collection.add(record)
        self.stored_one()

    def _set_job_status(self, record: JobRecord, status: str, at: float) -> None:
        record.status = lifecycle.move("job", record.status, status)
        record.updated_at = stamp(at)

    def _job_running(self, record: JobRecord, at: float) -> None:
        if record.status in ("created", "pending"):
            self._set_job_status(record, "running", at)

    def _batch_running(self, record: JobRecord, at: float) -> None:
        if record.status != "created":
            return
        self._set_job_status(record, "running", at)
        record.ran = True  # every item's user message is there from now on

    def _item_finished(self, record: JobRecord, index: int, at: float) -> None:
        del at  # an item's answer is dated by its own finish time, derived when read
        if lifecycle.is_terminal("job", record.status) or index < record.answered:
            return
        record.answered = index + 1
        if record.answered < len(record.items) - 1:
            self._schedule_item(record)

    def _schedule_item(self, record: JobRecord) -> None:
        """The next item's finish: items finish in order, so one entry per batch is enough. The last item
        has none: it finishes with its batch (``item_finish``), and the batch's end answers it."""
        index = record.answered
        self.schedule.at(record.item_finish(index), self._item_finished, record, index)

    def _job_finished(self, record: JobRecord, at: float) -> None:
        if lifecycle.is_terminal("job", record.status):
            return
        if record.status == "created" and record.items:
            self._batch_running(record, at)
        elif record.status in ("created", "pending"):
            self._job_running(record, at)
        record.answered = len(record.items)
        self._finish_job(record, record.final_status, at)

    def _finish_job(self, record: JobRecord, status: str, at: float) -> None:
        self._set_job_status(record, status, at)
        # A cancelled batch gets no `completed_at` (as on the real server); everything else does.
        if not (status == "cancelled" and record.job_type == "batch"):
            record.completed_at = record.updated_at
        record.total_duration_ns = ns(at - record.created)
        if record.final_stop_reason is not None and record.job_type != "batch":
            record.stop_reason = record.final_stop_reason
        kind = RecordKind.BATCH if record.job_type == "batch" else RecordKind.JOB
        self.emit(Event.FINISHED, kind, record)
        self.retention.finished(record)

    def apply_scenario(self, record_id: str, outcome: dict[str, Any]) -> bool:
        """Change how an unfinished job or run ends; ``False`` if there is no such unfinished record."""
        job = self.jobs.get(record_id)
        if job is not None and not lifecycle.is_terminal("job", job.status):
            if job.unpolled:
                self._poll(job, outcome.get("duration"))
            job.final_status = outcome.get("status", job.final_status)
            if job.job_type != "batch":
                job.final_stop_reason = outcome.get("stop_reason", job.final_stop_reason)
            failure = _item_failure(outcome.get("status"), outcome.get("stop_reason"))
            for index in range(job.answered, len(job.items)):
                agent_id, user_text, scripted = job.items[index]
                job.items[index] = (agent_id, user_text, _failed_item(scripted, failure))
            return True
        run = self.runs.get(record_id)
        if run is not None and not run.completed:
            reason = outcome.get("stop_reason") or lifecycle.STOP_REASON_FOR_STATUS.get(
                outcome.get("status", "")
            )
            if reason is not None:
                run.final_stop_reason = reason
                run.final_status = lifecycle.STOP_REASON_STATUS[reason]
            return True
        return False

    def _poll(self, record: JobRecord, duration: float | None) -> None:
        """A scenario finishes a batch no poller would: it ends ``duration`` after its creation (its
        own duration if none is given), or now if that has passed, its items answering before."""
        record.unpolled = False
        end = record.created + (record.duration if duration is None else float(duration))
        record.duration = max(end, self.now()) - record.created
        self.schedule_job(record)

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
            record.completed_at = record.updated_at
        self.retention.finished(record)
        return True

    def delete_job(self, record: JobRecord) -> None:
        self.jobs.pop(record.id, None)
        (self.batches if record.job_type == "batch" else self.plain_jobs).remove(record.id)

    # -- snapshots (see _snapshot) ----------------------------------------------------------

    def rng_state(self) -> Any:
        return self._rng.getstate()

    def restore_rng(self, state: Any) -> None:
        self._rng.setstate(state)

    def add_job(self, record: JobRecord) -> None:
        self._store_job(record, self.batches if record.job_type == "batch" else self.plain_jobs)
        self.schedule_job(record)
        if lifecycle.is_terminal("job", record.status):
            self.retention.finished(record)

    def add_run(self, record: RunRecord) -> None:
        self.runs.add(record)
        self.stored_one()
        self.runs_by_agent.setdefault(record.body["agent_id"], Collection()).add(record)
        self.schedule_run(record)
        if record.completed:
            self.retention.finished(record)


def _item_failure(status: str | None, stop_reason: str | None) -> dict[str, Any] | None:
    """How every item of a batch scripted to fail ends: failed, with the scenario's stop reason."""
    if status != "failed":
        return None
    return {"status": "failed", "stop_reason": stop_reason or "error"}


def _failed_item(
    outcome: Mapping[str, Any] | None, failure: dict[str, Any] | None
) -> Mapping[str, Any] | None:
    """An item's outcome once its batch fails; an agent scenario's own failure keeps its reason."""
    if failure is None or fails(outcome):
        return outcome
    return failure


def _user_text(request: dict[str, Any]) -> str:
    given = request.get("input")
    if given is None and request.get("messages"):
        given = request["messages"][0].get("content")
    if isinstance(given, list):
        given = " ".join(str(part.get("text", "")) for part in given if isinstance(part, dict))
    return str(given or "")
