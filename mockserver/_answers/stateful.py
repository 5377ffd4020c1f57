"""Stateful mode: every operation answered from the simulation's store.

What a client does changes what it later reads; jobs, batches and runs move along their
lifecycles on the injected clock. Errors follow the real server where the documentation is
silent (400 for a malformed batch or run id, 404 naming an unknown id, the stream's 400/410).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Literal, TypeVar

from mockserver._answers import sse as _sse
from mockserver._answers.backend import JsonReply, Reply, StreamReply
from mockserver._answers.deviations import error, marked, naive_timestamps, records_in, unknown_error
from mockserver._contract.errors import BadRequest, Gone, NotFound
from mockserver._contract.generate import prefixed_id
from mockserver._contract.parsing import ParsedRequest, batch_requests
from mockserver._contract.quirks import QuirkSet
from mockserver._simulation import lifecycle
from mockserver._simulation.index import Collection, Keyed, Order, UnknownCursor
from mockserver._simulation.lifecycle import RecordKind
from mockserver._simulation.observers import Event
from mockserver._simulation.records import JobRecord, RunRecord, date_stamp, stamp, usage_of
from mockserver._simulation.simulation import Simulation
from mockserver._simulation.wire import MessageRecord

STREAM_EXPIRY_SECONDS = 3 * 60 * 60
_PING_SEQ = 1
"""The ``seq_id`` of the ping a background run's stream opens with: its first stored chunk."""
R = TypeVar("R", bound=Keyed)
Cursors = Literal["documented", "inverted", "chronological"]
"""How a list reads ``before``/``after``: ``documented`` (in the sort order, nearest the cursor),
``inverted`` (each means the other, as the real runs list does) or ``chronological`` (``before``
older, ``after`` newer, as the real jobs list does); the last two keep the head of the sort order."""


def _ordering(request: ParsedRequest) -> str:
    """The sort order, with the deprecated ``ascending`` flag applied as each route family does."""
    query, provided = request.query, request.provided
    order = str(query.get("order", "desc"))
    if request.operation.operation_id == "list_runs" and query.get("ascending"):
        return "asc"  # runs: `ascending=true` forces ascending; false cannot force descending
    if request.operation.path.startswith("/v1/jobs") and "ascending" in provided and not query["ascending"]:
        return "desc"  # jobs: `ascending=false` forces descending; true leaves `order` alone
    if request.operation.operation_id == "list_active_jobs":
        return "asc" if query.get("ascending", True) else "desc"
    return order


_SHOWS_BATCHES = frozenset({"create_batch", "retrieve_batch", "list_batches", "retrieve_job", "delete_job"})
"""The operations whose answers are batch records (the jobs routes answer a batch's id too)."""


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
            "list_batches": lambda r: self._list_jobs(r, self.sim.batches, batches=True),
            "retrieve_batch": lambda r: JsonReply(self._batch(r).body),
            "list_messages_for_batch": self._batch_messages,
            "cancel_batch": self._cancel_batch,
            "list_runs": self._list_runs,
            "list_active_runs": self._list_runs,
            "retrieve_run": lambda r: JsonReply(self._run(r).body),
            "delete_run": self._delete_run,
            "list_messages_for_run": self._run_messages,
            "retrieve_usage_for_run": self._usage,
            "retrieve_metrics_for_run": lambda r: JsonReply(self._run(r).metrics),
            "list_steps_for_run": self._steps,
            "retrieve_trace_for_run": self._trace,
            "retrieve_stream_for_run": self._stream,
            "list_jobs": lambda r: self._list_jobs(r, self.sim.plain_jobs),
            "list_active_jobs": lambda r: self._list_jobs(r, self.sim.plain_jobs),
            "retrieve_job": lambda r: JsonReply(self._job(r).body),
            "delete_job": self._delete_job,
            "cancel_job": self._cancel_job,
        }

    async def handle(self, request: ParsedRequest) -> Reply:
        reply = self._handlers[request.operation.operation_id](request)
        if not isinstance(reply, JsonReply):
            return reply
        if "naive-timestamps" in self.quirks:
            reply = naive_timestamps(reply)
        return self._batch_deviations(request, reply)

    def _batch_deviations(self, request: ParsedRequest, reply: JsonReply) -> JsonReply:
        """Mark an answer showing a batch that a quirk shaped when it was created: one that no
        poller finishes, one whose callback_url is the string "None" (and its callback_error)."""
        operation = request.operation.operation_id
        if operation == "list_messages_for_batch":
            found = self.sim.jobs.get(request.path["batch_id"])
            return marked(reply, ["batch-polling-off"] if found is not None and found.unpolled else [])
        if operation not in _SHOWS_BATCHES:
            return reply
        shaped = []
        for body in records_in(reply.body):
            found = self.sim.jobs.get(body.get("id"))  # type: ignore[arg-type]
            if found is not None and found.unpolled:
                shaped.append("batch-polling-off")
            if body.get("callback_url") == "None" and found is not None and found.job_type == "batch":
                shaped.append("callback-url-none-string")
        return marked(reply, shaped)

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

    @staticmethod
    def _page(
        request: ParsedRequest,
        collection: Collection[R],
        *,
        unknown: Callable[[UnknownCursor], None],
        where: Callable[[R], bool] | None = None,
        zero_is_unlimited: bool = False,
        order: str | None = None,
        default_limit: int | None = None,
        cursors_read: Cursors = "documented",
        ignored: frozenset[str] = frozenset(),
    ) -> list[R]:
        query = request.query
        limit = query.get("limit", default_limit)
        if limit == 0 and zero_is_unlimited:
            limit = None
        sort: Order = "asc" if (order or _ordering(request)) == "asc" else "desc"
        # An empty cursor is no cursor (the real managers test them with `if before:`).
        cursors = {name: None if name in ignored else query.get(name) or None for name in ("before", "after")}
        head = cursors_read != "documented" and any(cursors.values())
        if cursors_read == "inverted" or (cursors_read == "chronological" and sort == "desc"):
            cursors = {"before": cursors["after"], "after": cursors["before"]}
        while True:
            try:
                found = collection.page(order=sort, limit=None if head else limit, where=where, **cursors)
                # The real managers filter by the cursor and keep the first `limit` rows of the order.
                return found[:limit] if head and limit is not None else found
            except UnknownCursor as exc:
                unknown(exc)  # raises, or lets the cursor be ignored
                cursors[exc.name] = None

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

    def _list_jobs(
        self, request: ParsedRequest, collection: Collection[JobRecord], *, batches: bool = False
    ) -> Reply:
        query = request.query
        asked_active = bool(query.get("active")) or request.operation.operation_id == "list_active_jobs"
        active_only = batches and "batch-list-active-only" in self.quirks and not asked_active
        cursors_given = bool(query.get("before") or query.get("after"))
        chronological = "job-cursors-chronological" in self.quirks and cursors_given
        if "job-cursors-crossed-400" in self.quirks and self._crossed(query):
            return error(
                400, "'before' reference must be later than 'after' reference", "job-cursors-crossed-400"
            )
        source = query.get("source_id")

        def unknown(exc: UnknownCursor) -> None:
            raise BadRequest(f"Job with id {exc.value} not found")

        def listing(active: bool, cursors: Cursors) -> list[JobRecord]:
            def where(record: JobRecord) -> bool:
                if active and record.status not in lifecycle.ACTIVE:
                    return False
                return source is None or (record.body.get("metadata") or {}).get("source_id") == source

            filtered = where if (active or source is not None) else None
            return self._page(
                request,
                collection,
                unknown=unknown,
                where=filtered,
                zero_is_unlimited=True,
                cursors_read=cursors,
            )

        cursors: Cursors = "chronological" if chronological else "documented"
        found = listing(asked_active or active_only, cursors)
        # A quirk is the server's deviation only where the answer differs from the documented one.
        shaped = []
        if active_only and listing(asked_active, cursors) != found:
            shaped.append("batch-list-active-only")
        if chronological and listing(asked_active or active_only, "documented") != found:
            shaped.append("job-cursors-chronological")
        return JsonReply([record.body for record in found], quirks=tuple(shaped))

    def _crossed(self, query: Mapping[str, Any]) -> bool:
        """Both cursors name jobs and ``before``'s is the older: the real job manager refuses the window."""
        before, after = (
            self.sim.jobs.get(query.get("before") or ""),
            self.sim.jobs.get(query.get("after") or ""),
        )
        return before is not None and after is not None and before.sort_key < after.sort_key

    def _batch_messages(self, request: ParsedRequest) -> Reply:
        batch = self._batch(request)
        if request.query.get("after") and "batch-messages-after-500" in self.quirks:
            return unknown_error("batch-messages-after-500")
        agent = request.query.get("agent_id")

        def unknown(exc: UnknownCursor) -> None:
            raise NotFound(f"No message found with id '{exc.value}' in batch '{batch.id}'")

        def listing(ignored: frozenset[str] = frozenset()) -> list[MessageRecord]:
            return self._page(
                request,
                batch.messages,
                unknown=unknown,
                where=(lambda m: m.body["agent_id"] == agent) if agent is not None else None,
                ignored=ignored,
            )

        shaped: tuple[str, ...] = ()
        if request.query.get("before") and "batch-messages-before-ignored" in self.quirks:
            found = listing(frozenset({"before"}))
            try:
                documented: list[MessageRecord] | None = listing()
            except NotFound:
                documented = None
            shaped = ("batch-messages-before-ignored",) if documented != found else ()
        else:
            found = listing()
        return JsonReply({"messages": [message.body for message in found]}, quirks=shaped)

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

    def _list_runs(self, request: ParsedRequest) -> Reply:
        query = request.query
        active_route = request.operation.operation_id == "list_active_runs"
        agent = query.get("agent_id")
        collection = self.sim.runs if agent is None else self.sim.runs_by_agent.get(agent, Collection())
        agents = set(query.get("agent_ids") or ()) if agent is None else set()
        statuses = query.get("statuses")
        if active_route or (query.get("active") and not statuses):
            statuses = list(lifecycle.ACTIVE)
        wanted = {
            name: query[name]
            for name in ("background", "stop_reason", "conversation_id")
            if query.get(name) is not None
        }

        def where(run: RunRecord) -> bool:
            body = run.body
            if agents and body["agent_id"] not in agents:
                return False
            if statuses and body["status"] not in statuses:
                return False
            return all(body.get(name) == value for name, value in wanted.items())

        def listing(cursors: Cursors) -> list[RunRecord]:
            return self._page(
                request,
                collection,
                unknown=lambda _exc: None,  # the real server ignores an unknown runs cursor
                where=where if (agents or statuses or wanted) else None,
                order="desc" if active_route else None,
                default_limit=100 if active_route else None,  # the deprecated route returns at most 100
                cursors_read=cursors,
            )

        inverted = "run-cursors-inverted" in self.quirks and not active_route
        inverted = inverted and bool(query.get("before") or query.get("after"))
        found = listing("inverted" if inverted else "documented")
        shaped = ("run-cursors-inverted",) if inverted and listing("documented") != found else ()
        return JsonReply([run.body for run in found], quirks=shaped)

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

        found = self._page(request, run.messages, unknown=unknown)
        return JsonReply([message.body for message in found])

    def _steps(self, request: ParsedRequest) -> Reply:
        run = self._run(request)

        def unknown(exc: UnknownCursor) -> None:
            raise NotFound(f"No Step found with id {exc.value}")

        found = self._page(request, run.steps, unknown=unknown)
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
