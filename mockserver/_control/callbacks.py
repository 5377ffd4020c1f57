"""Completion callbacks: one POST to ``callback_url`` when a job or run finishes, recorded on it.

The simulation reports finished records synchronously; this module queues them and delivers
from a few worker tasks on the server's event loop, so a receiver that hangs or fails costs
other requests nothing. Each record is queued at most once (it finishes once), and every
attempt is journaled in a bounded buffer.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from mockserver._answers.deviations import naive_fields
from mockserver._contract.quirks import QuirkSet
from mockserver._simulation.records import JobRecord, RunRecord, stamp, usage_of

# Which terminal statuses send a callback: jobs and batches on completion or failure (a
# cancelled batch sends none, as on the real server); runs also when cancelled.
_SENDS = {"batch": frozenset({"completed", "failed"}), "job": frozenset({"completed", "failed"}),
          "run": frozenset({"completed", "failed", "cancelled"})}  # fmt: skip
_RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
_FIRST_BACKOFF, _MAX_BACKOFF = 0.5, 8.0
MAX_WAIT = 20.0
"""Seconds a control request waits for callbacks at most, whatever the settings: the Python
control client gives up after 30 s, and a test should hear of a stuck receiver before that."""


@dataclass(frozen=True)
class CallbackSettings:
    timeout: float = 5.0
    retries: int = 0
    concurrency: int = 16
    allow_hosts: frozenset[str] = frozenset()
    """Hosts a callback may reach; empty means any."""
    journal_size: int = 1000


@dataclass(eq=False)
class _Delivery:
    kind: str
    record: JobRecord | RunRecord
    url: str
    payload: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    generation: int = 0
    """The dispatcher's generation when queued; a reset starts a new one."""
    finished: bool = False
    """Every attempt made (or refused, dropped by a reset, cut by shutdown): nothing more will happen."""
    waiter: asyncio.Future[None] | None = None
    """Made by :meth:`CallbackDispatcher.wait` for a delivery that has not finished yet."""


def payload_for(kind: str, record: JobRecord | RunRecord) -> dict[str, Any]:
    body = record.body
    if isinstance(record, RunRecord):
        result = {
            "messages": [message.body for message in record.messages],
            "stop_reason": {"message_type": "stop_reason", "stop_reason": body["stop_reason"]},
            "usage": usage_of(record, full=True),
            "logprobs": None,
            "turns": None,
        }
        metadata = {**(body.get("metadata") or {}), "result": result}
        return {
            "run_id": record.id,
            "status": body["status"],
            "completed_at": body["completed_at"],
            "metadata": metadata,
        }
    return {
        "job_id": record.id,
        "status": body["status"],
        "completed_at": body["completed_at"],
        "metadata": body["metadata"],
    }


class CallbackDispatcher:
    def __init__(
        self, settings: CallbackSettings, now: Callable[[], float], quirks: QuirkSet | None = None
    ) -> None:
        self.settings = settings
        self._now = now
        self.quirks = quirks if quirks is not None else QuirkSet()
        self.journal: deque[dict[str, Any]] = deque(maxlen=settings.journal_size)
        self._queue: asyncio.Queue[_Delivery] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._clients: list[httpx.AsyncClient] = []
        self._current: set[_Delivery] = set()
        self._backlog: list[_Delivery] = []
        """Finished before the event loop ran (state fixtures); queued by :meth:`start`."""
        self._generation = 0
        self._captured: list[_Delivery] | None = None

    # -- called by the simulation ----------------------------------------------------------

    def on_finished(self, kind: str, record: Any) -> None:
        # The record's fields, not its body: a job's body is rendered anew on each read (18 keys), and
        # every finished batch comes here, with a callback URL or not.
        url = record.callback_url
        if not url or record.status not in _SENDS.get(kind, frozenset()):
            return
        payload = payload_for(kind, record)
        if "naive-timestamps" in self.quirks:
            # The real server sends a fresh naive `utcnow().isoformat()`, as its columns hold them.
            payload = naive_fields(payload)
        delivery = _Delivery(kind, record, str(url), payload, generation=self._generation)
        if self._captured is not None:
            self._captured.append(delivery)
        refusal = self._refusal(delivery.url)
        if refusal is not None:
            self._record(delivery, started=self._now(), status=None, error=refusal, duration=0.0)
            self._finish(delivery)
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # seeded from state fixtures while the app is built
            self._backlog.append(delivery)
            return
        self._ensure_started().put_nowait(delivery)

    def _refusal(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "Request URL is missing an 'http://' or 'https://' protocol."
        allowed = self.settings.allow_hosts
        if allowed and parts.hostname.lower() not in allowed:
            return f"host {parts.hostname!r} is not in --callback-allow-hosts ({', '.join(sorted(allowed))})"
        return None

    # -- delivery --------------------------------------------------------------------------

    def start(self) -> None:
        """Queue what finished before the server's event loop ran; call on that loop."""
        if self._backlog:
            queue = self._ensure_started()
            for delivery in self._backlog:
                queue.put_nowait(delivery)
            self._backlog.clear()

    def _ensure_started(self) -> asyncio.Queue[_Delivery]:
        if self._queue is None:
            self._queue = asyncio.Queue()
            timeout = httpx.Timeout(self.settings.timeout)
            # One small client per worker: a shared pool makes every request poll every pooled
            # connection, which cost ~3x the delivery rate with 16 workers.
            self._clients = [
                httpx.AsyncClient(
                    timeout=timeout, follow_redirects=False, limits=httpx.Limits(max_connections=4)
                )
                for _ in range(self.settings.concurrency)
            ]
            loop = asyncio.get_running_loop()
            self._workers = [
                loop.create_task(self._work(client), name=f"letta-mockserver-callback-{i}")
                for i, client in enumerate(self._clients)
            ]
        return self._queue

    async def _work(self, client: httpx.AsyncClient) -> None:
        assert self._queue is not None
        while True:
            delivery = await self._queue.get()
            self._current.add(delivery)
            try:
                await self._deliver(delivery, client)
            except Exception as exc:  # a worker must outlive any one delivery
                self._record(delivery, started=self._now(), status=None, error=repr(exc), duration=0.0)
            finally:
                self._current.discard(delivery)
                self._finish(delivery)
                self._queue.task_done()

    async def _deliver(self, delivery: _Delivery, client: httpx.AsyncClient) -> None:
        backoff = _FIRST_BACKOFF
        for attempt in range(self.settings.retries + 1):
            started, clock = self._now(), time.perf_counter()
            status: int | None = None
            error: str | None = None
            try:
                # One bound for the whole attempt (httpx's own timeouts are per read: a receiver dripping
                # its answer would hold a worker forever), and the answer is read to its end but not kept
                # (only its status is recorded): a huge answer costs no memory.
                async with (
                    asyncio.timeout(self.settings.timeout),
                    client.stream("POST", delivery.url, json=delivery.payload) as response,
                ):
                    async for _chunk in response.aiter_raw():
                        pass
                    status = response.status_code
            except (TimeoutError, httpx.TimeoutException) as exc:
                error = f"timed out after {self.settings.timeout:g} s ({type(exc).__name__})"
            except (httpx.HTTPError, OSError, ValueError) as exc:
                error = str(exc) or type(exc).__name__
            self._record(
                delivery, started=started, status=status, error=error, duration=time.perf_counter() - clock
            )
            retry = error is not None or status in _RETRY_STATUSES
            if not retry or attempt == self.settings.retries or self._stale(delivery):
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)

    def _record(
        self, delivery: _Delivery, *, started: float, status: int | None, error: str | None, duration: float
    ) -> None:
        if self._stale(delivery):
            return  # its record was reset away: the journal no longer knows it
        noun = "run" if delivery.kind == "run" else "job"
        message = (
            None
            if error is None
            else f"Failed to dispatch callback for {noun} {delivery.record.id} to {delivery.url}: {error}"
        )
        delivery.record.record_callback(stamp(started), status, message)
        entry = {
            "kind": delivery.kind,
            "id": delivery.record.id,
            "url": delivery.url,
            "payload": delivery.payload,
            "status_code": status,
            "error": message,
            "started_at": stamp(started),
            "duration_ms": round(duration * 1000, 3),
            "attempt": len(delivery.attempts) + 1,
        }
        delivery.attempts.append(entry)
        self.journal.append(entry)

    # -- waiting for what a request triggered ----------------------------------------------

    @contextmanager
    def capture(self) -> Iterator[list[_Delivery]]:
        """Collect the deliveries queued (or refused) while the block runs: what it triggered."""
        outer, self._captured = self._captured, []
        try:
            yield self._captured
        finally:
            if outer is not None:
                outer.extend(self._captured)
            self._captured = outer

    def bound(self, count: int) -> float:
        """Seconds ``count`` new deliveries may take: every attempt timing out, every backoff slept,
        in as many waves as the workers need; at most :data:`MAX_WAIT`."""
        retries = self.settings.retries
        backoffs = sum(min(_FIRST_BACKOFF * 2.0**n, _MAX_BACKOFF) for n in range(retries))
        # The margin covers connecting and recording, which the per-attempt timeout does not bound.
        one = self.settings.timeout * (retries + 1) + backoffs + 0.5
        waves = max(1, math.ceil(count / max(1, self.settings.concurrency)))
        return min(one * waves, MAX_WAIT)

    async def wait(self, deliveries: Sequence[_Delivery], timeout: float) -> int:
        """Wait until every one of ``deliveries`` has finished, at most ``timeout`` seconds.

        Awaits (the workers run on this same event loop); returns how many are still unfinished.
        """
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[None]] = []
        for delivery in deliveries:
            if delivery.finished:
                continue
            if delivery.waiter is None:
                delivery.waiter = loop.create_future()
            waiting.append(delivery.waiter)
        if waiting:
            # `asyncio.wait` neither raises on the timeout nor cancels what it waited for.
            await asyncio.wait(waiting, timeout=timeout)
        return sum(not delivery.finished for delivery in deliveries)

    @staticmethod
    def _finish(delivery: _Delivery) -> None:
        delivery.finished = True
        if delivery.waiter is not None and not delivery.waiter.done():
            delivery.waiter.set_result(None)

    # -- lifecycle -------------------------------------------------------------------------

    def _stale(self, delivery: _Delivery) -> bool:
        return delivery.generation != self._generation

    def reset(self) -> None:
        """Forget every delivery: the journal, what is queued, and the outcome of what is in flight."""
        self._generation += 1
        self.journal.clear()
        self._backlog.clear()
        while self._queue is not None and not self._queue.empty():
            self._finish(self._queue.get_nowait())
            self._queue.task_done()
        for delivery in self._current:  # their outcome is forgotten: nobody waits for it any longer
            self._finish(delivery)

    def pending(self) -> int:
        queued = self._queue.qsize() if self._queue is not None else 0
        in_flight = sum(not self._stale(delivery) for delivery in self._current)
        return queued + in_flight + len(self._backlog)

    async def drain(self, timeout: float) -> None:
        """Wait until nothing is queued or in flight, at most ``timeout`` seconds."""
        if self._queue is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout)

    async def close(self) -> None:
        """Let deliveries in flight finish within the timeout; record the rest as errors."""
        await self.drain(self.settings.timeout + 1.0)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        unfinished = list(self._current)
        while self._queue is not None and not self._queue.empty():
            unfinished.append(self._queue.get_nowait())
        for delivery in unfinished:
            self._record(
                delivery,
                started=self._now(),
                status=None,
                error="the mock server shut down first",
                duration=0.0,
            )
            self._finish(delivery)
        self._current.clear()
        for client in self._clients:
            await client.aclose()
        self._workers, self._queue, self._clients = [], None, []
