"""Stateful mode: every operation answered from the simulation's store.

What a client does changes what it later reads; jobs, batches and runs move along their
lifecycles on the injected clock. Errors follow the real server where the documentation is
silent (400 for a malformed batch or run id, 404 naming an unknown id, the stream's 400/410).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from mockserver._answers import lists
from mockserver._answers import sse as _sse
from mockserver._answers.backend import JsonReply, Reply, StreamReply
from mockserver._answers.deviations import (
    always_500,
    batch_deviations,
    error,
    naive_timestamps,
    shaped_records,
    unknown_error,
)
from mockserver._contract.errors import BadRequest, Gone, NotFound
from mockserver._contract.generate import prefixed_id
from mockserver._contract.parsing import ParsedRequest, batch_requests
from mockserver._contract.quirks import QuirkSet
from mockserver._simulation.index import UnknownCursor
from mockserver._simulation.lifecycle import RecordKind
from mockserver._simulation.observers import Event
from mockserver._simulation.records import JobRecord, RunRecord, date_stamp, stamp, usage_of
from mockserver._simulation.simulation import Simulation

STREAM_EXPIRY_SECONDS = 3 * 60 * 60
_PING_SEQ = 1
"""The ``seq_id`` of the ping a background run's stream opens with: its first stored chunk."""


class StatefulBackend:
    def __init__(
        self,
        sim: Simulation,
        *,
        trace_spans: list[Any] | None = None,
        ping_interval: float = 20.0,
        quirks: QuirkSet | None = None,
    ) -> None:
        self.sim = sim
        self.quirks = quirks if quirks is not None else QuirkSet()
        self._trace_spans = list(trace_spans or [])
        self._ping_interval = ping_interval
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._closing = False
        sim.observe(Event.CHANGED, self._wake_streams)
        self._handlers: Mapping[str, Callable[[ParsedRequest], Reply]] = {
            "create_batch": self._create_batch,
            "list_batches": lambda r: lists.list_jobs(
                self.sim, self.quirks, r, self.sim.batches, batches=True
            ),
            "retrieve_batch": lambda r: JsonReply(self._batch(r).body),
            "list_messages_for_batch": lambda r: lists.batch_messages(self._batch(r), self.quirks, r),
            "cancel_batch": self._cancel_batch,
            "list_runs": lambda r: lists.list_runs(sim, self.quirks, r),
            "list_active_runs": lambda r: lists.list_runs(sim, self.quirks, r),
            "retrieve_run": lambda r: JsonReply(self._run(r).body),
            "delete_run": self._delete_run,
            "list_messages_for_run": self._run_messages,
            "retrieve_usage_for_run": self._usage,
            "retrieve_metrics_for_run": lambda r: JsonReply(self._run(r).metrics),
            "list_steps_for_run": self._steps,
            "retrieve_trace_for_run": self._trace,
            "retrieve_stream_for_run": self._stream,
            "list_jobs": lambda r: lists.list_jobs(sim, self.quirks, r, sim.plain_jobs),
            "list_active_jobs": lambda r: lists.list_jobs(sim, self.quirks, r, sim.plain_jobs),
            "retrieve_job": lambda r: JsonReply(self._job(r).body),
            "delete_job": self._delete_job,
            "cancel_job": self._cancel_job,
        }

    async def handle(self, request: ParsedRequest) -> Reply:
        if request.operation.operation_id == "retrieve_stream_for_run":
            refused = always_500(request, self.quirks)  # the stream's 500 changes no record
            if refused is not None:
                return refused
        reply = self._handlers[request.operation.operation_id](request)
        if not isinstance(reply, JsonReply):
            return reply
        if "naive-timestamps" in self.quirks:
            reply = naive_timestamps(reply)
        reply = shaped_records(request, reply, self.quirks)
        return batch_deviations(self.sim.jobs, request, reply)

    # -- lookups ---------------------------------------------------------------------------

    def _batch(self, request: ParsedRequest) -> JobRecord:
        # Batch routes answer any job id, as the real server's do (batches are jobs).
        return self._job(request, "batch_id")

    def _job(self, request: ParsedRequest, param: str = "job_id") -> JobRecord:
        job_id = request.path[param]
        record = self.sim.jobs.get(job_id)
        if record is None:
            raise NotFound(f"Job not found with id='{job_id}'" + self._evicted(job_id))
        return record

    def _run(self, request: ParsedRequest) -> RunRecord:
        run_id = request.path["run_id"]
        record = self.sim.runs.get(run_id)
        if record is None:
            raise NotFound(f"Run not found with id='{run_id}'" + self._evicted(run_id))
        return record

    def _evicted(self, record_id: str) -> str:
        if not self.sim.was_evicted(record_id):
            return ""
        return f" (evicted by the mock's retention limit, --max-records {self.sim.max_records})"

    # -- batches and jobs ------------------------------------------------------------------

    def _create_batch(self, request: ParsedRequest) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        requests = batch_requests(body)
        # With validation off anything may arrive: a request needs at least an agent to answer as.
        usable = [r for r in requests if isinstance(r, dict) and isinstance(r.get("agent_id"), str)]
        if len(usable) != len(requests):
            raise BadRequest("requests: every request needs an agent_id string (even with validation off)")
        callback_url = body.get("callback_url")
        if not isinstance(callback_url, str):
            # The real route stores `str(payload.callback_url)`: "None" for a batch without one.
            callback_url = "None" if "callback-url-none-string" in self.quirks else None
        polled = "batch-polling-off" not in self.quirks
        return JsonReply(self.sim.create_batch(usable, callback_url, polled=polled).body)

    def _cancel_batch(self, request: ParsedRequest) -> Reply:
        record = self._batch(request)
        shaped: tuple[str, ...] = ()
        cancelled = self.sim.cancel_job(record, set_completed_at=False)
        if not cancelled and "batch-cancel-unguarded" in self.quirks and record.status != "cancelled":
            # The real route writes the status with no transition check: a finished batch becomes
            # cancelled, keeping its completed_at, and no callback fires.
            record.status = "cancelled"  # past the lifecycle table, as the real route writes it
            record.updated_at = stamp(self.sim.now())
            shaped = ("batch-cancel-unguarded",)
        if record.unpolled:
            # With polling off the server has no provider client to cancel the batch's provider
            # request with (it stays running): 501, after storing the batch as cancelled, every time.
            return error(501, "Batch job cancellation is not enabled", "batch-polling-off")
        return JsonReply(None, quirks=shaped)

    def _delete_job(self, request: ParsedRequest) -> Reply:
        record = self._job(request)
        self.sim.delete_job(record)
        return JsonReply(record.body)

    def _cancel_job(self, request: ParsedRequest) -> Reply:
        record = self._job(request)
        self.sim.cancel_job(record, set_completed_at=True)
        if "job-cancel-500" in self.quirks:
            return unknown_error("job-cancel-500")
        return JsonReply(record.body)

    # -- runs ------------------------------------------------------------------------------

    def _delete_run(self, request: ParsedRequest) -> Reply:
        if "run-delete-500" in self.quirks:
            # The real route fails on a method that does not exist before it looks anything up.
            return unknown_error("run-delete-500")
        self.sim.delete_run(self._run(request))
        return JsonReply(None)

    def _run_messages(self, request: ParsedRequest) -> Reply:
        run = self._run(request)

        def unknown(exc: UnknownCursor) -> None:
            raise NotFound(f"No message found with id '{exc.value}' for run '{run.id}'")

        found = lists.page(request, run.messages, unknown=unknown)
        return JsonReply([message.body for message in found])

    def _steps(self, request: ParsedRequest) -> Reply:
        run = self._run(request)

        def unknown(exc: UnknownCursor) -> None:
            raise NotFound(f"No Step found with id {exc.value}")

        found = lists.page(request, run.steps, unknown=unknown)
        return JsonReply([step.body for step in found])

    def _usage(self, request: ParsedRequest) -> Reply:
        return JsonReply(usage_of(self._run(request), full=False))

    def _trace(self, request: ParsedRequest) -> Reply:
        self._run(request)
        limit = request.query.get("limit")
        return JsonReply(self._trace_spans[:limit] if isinstance(limit, int) else self._trace_spans)

    # -- the run stream --------------------------------------------------------------------

    def _stream(self, request: ParsedRequest) -> Reply:
        run = self._run(request)
        if not run.body.get("background"):
            raise BadRequest(
                "INVALID_ARGUMENT: Run was not created in background mode, so it cannot be retrieved."
            )
        if self.sim.now() - run.created > STREAM_EXPIRY_SECONDS:
            raise Gone("EXPIRED: Run was created more than 3 hours ago, and is now expired.")
        body = request.body if isinstance(request.body, dict) else {}
        after = body.get("starting_after")
        starting_after = after if isinstance(after, int) and not isinstance(after, bool) else 0
        pings = body.get("include_pings", True) is not False
        shaped = ("cancelled-stream-no-done",) if self._no_done(run) else ()
        return StreamReply(self._events(run, starting_after, pings), quirks=shaped)

    def _no_done(self, run: RunRecord) -> bool:
        return run.body.get("stop_reason") == "cancelled" and "cancelled-stream-no-done" in self.quirks

    def _wake_streams(self, kind: RecordKind, run: RunRecord) -> None:
        del kind  # only runs change observably
        for event in self._waiters.get(run.id, ()):
            event.set()

    def end_streams(self) -> None:
        """The server is shutting down: every open run stream ends now (``[DONE]``) instead of
        holding the shutdown for uvicorn's graceful timeout and being cancelled with a traceback."""
        self._closing = True
        for events in self._waiters.values():
            for event in events:
                event.set()

    async def _events(self, run: RunRecord, starting_after: int, pings: bool) -> AsyncIterator[bytes]:
        """The run's stream as the real server replays it from Redis, each chunk with its ``seq_id``:
        1 is the ping the agent's stream opened with, then the agent's messages (the user's input is
        not part of it), then the ending (see :mod:`.sse`). ``starting_after`` skips what a client
        saw; keepalive pings carry the last ``seq_id`` this connection sent (null before any)."""
        last_sent: int | None = None
        if pings and starting_after < _PING_SEQ:
            last_sent = _PING_SEQ
            yield _sse.event(self._ping(run, _PING_SEQ, at=run.created))  # stored when the run began
        event = asyncio.Event()
        self._waiters.setdefault(run.id, set()).add(event)
        try:
            while True:
                event.clear()
                seq = _PING_SEQ
                for message in run.messages:
                    if message.body.get("message_type") == "user_message":
                        continue
                    seq += 1
                    if seq > starting_after and (last_sent is None or seq > last_sent):
                        last_sent = seq
                        yield _sse.event({**message.body, "seq_id": seq})
                if run.completed:
                    for chunk in self._ending(run, seq + 1, starting_after):
                        yield chunk
                    return
                if run.deleted or self._closing:
                    yield _sse.DONE
                    return
                try:
                    await asyncio.wait_for(event.wait(), self._ping_interval)
                except TimeoutError:
                    if pings:
                        yield _sse.event(self._ping(run, last_sent))
        finally:
            waiters = self._waiters.get(run.id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[run.id]

    def _ending(self, run: RunRecord, first: int, starting_after: int) -> list[bytes]:
        """The chunks after a finished run's messages, ``first`` being the stop reason's ``seq_id``.

        A cursor at or past the end gets ``[DONE]`` alone (or nothing after an error), where the real
        server would wait forever sending pings (its reader never finds a chunk after the cursor).
        """
        reason = run.body["stop_reason"]
        stop = _sse.event({"message_type": "stop_reason", "stop_reason": reason})
        if reason in _sse.ERROR_TYPES:
            error = _sse.error_event(_sse.error_message(run.id, reason, first + 1))
            return [chunk for seq, chunk in enumerate((stop, error), first) if seq > starting_after]
        if self._no_done(run):
            return [stop] if first > starting_after else []
        usage = _sse.event(usage_of(run, full=True))
        return [*(chunk for seq, chunk in enumerate((stop, usage), first) if seq > starting_after), _sse.DONE]

    def _ping(self, run: RunRecord, seq_id: int | None, at: float | None = None) -> dict[str, Any]:
        return {
            "id": prefixed_id("ping", self.sim.rng_for_pings),
            "date": date_stamp(self.sim.now() if at is None else at),
            "name": None,
            "message_type": "ping",
            "otid": None,
            "sender_id": None,
            "step_id": None,
            "is_err": None,
            "seq_id": seq_id,
            "run_id": run.id,
        }
