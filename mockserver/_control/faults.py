"""Injected faults: latency, an error answer, a dropped connection, a run stream cut by an error.

A fault is a small list of steps (``Delay``, ``Fail``, ``Drop``, ``StreamError``) applied in order
before the request reaches the API, for the next ``times`` matching requests or until removed. The
layer is an outer ASGI app, so a fault never touches the handlers, and with no fault set it
costs one attribute check per request.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from mockserver._contract.spec import Operation, OperationTable

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Recorder = Callable[[Scope, Operation, int, str], None]


@dataclass(frozen=True)
class Delay:
    low: float
    high: float

    async def apply(self, rng: random.Random) -> None:
        await asyncio.sleep(self.low if self.low == self.high else rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class Fail:
    status: int
    body: Any
    retry_after: float | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"content-type", b"application/json")]
        if self.retry_after is not None:
            headers.append((b"retry-after", str(math.ceil(self.retry_after)).encode()))
            headers.append((b"retry-after-ms", str(round(self.retry_after * 1000)).encode()))
        return headers


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer."""


@dataclass(frozen=True)
class StreamError:
    """Let the answer start, then end it after ``after_events`` server-sent events with the event the
    real server sends when something fails mid-stream (``streaming_response.py``): ``event: error``,
    ``{"error": ..., "code": "INTERNAL_SERVER_ERROR"}``, and nothing after it."""

    after_events: int
    message: str

    def event(self) -> bytes:
        payload = {"error": self.message, "code": "INTERNAL_SERVER_ERROR"}
        return f"event: error\ndata: {json.dumps(payload)}\n\n".encode()


class _StreamCut(Exception):
    """Raised through the app's ``send`` once a :class:`StreamError` has ended the answer: the
    handler stops producing events (a live run's stream would otherwise wait for the clock)."""


Step = Delay | Fail | Drop | StreamError


@dataclass
class Fault:
    id: str
    operation: str | None
    """An operationId, or ``None`` for every operation of the API."""
    steps: tuple[Step, ...]
    remaining: int | None
    spec: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec, "remaining": self.remaining}


def fault_from_spec(fault_id: str, spec: Mapping[str, Any]) -> Fault:
    steps: list[Step] = []
    latency = spec.get("latency")
    if latency is not None:
        low = float(latency.get("seconds", latency.get("min", 0.0)))
        steps.append(Delay(low, float(latency.get("max", low))))
    error = spec.get("error")
    if error is not None:
        status = int(error["status"])
        body = error.get("body", {"detail": f"injected fault: HTTP {status} from letta-mockserver"})
        steps.append(Fail(status, body, error.get("retry_after")))
    if spec.get("drop"):
        steps.append(Drop())
    cut = spec.get("stream_error")
    if cut is not None:
        message = cut.get("message", "injected fault: the stream failed (letta-mockserver)")
        steps.append(StreamError(int(cut.get("after_events", 0)), message))
    operation = spec.get("operation")
    return Fault(
        fault_id, None if operation in (None, "*") else operation, tuple(steps), spec.get("times"), dict(spec)
    )


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.rng = random.Random(f"faults:{seed}")

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def add(self, spec: Mapping[str, Any]) -> Fault:
        fault = fault_from_spec(f"fault-{next(self._ids)}", spec)
        self._faults.append(fault)
        return fault

    def all(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()

    def remove(self, fault_id: str) -> bool:
        """Drop one fault; ``False`` when none has that id."""
        kept = [fault for fault in self._faults if fault.id != fault_id]
        found = len(kept) < len(self._faults)
        self._faults = kept
        return found

    def take(self, operation_id: str) -> list[Fault]:
        """The faults that apply to this request, each counted once."""
        taken = [f for f in self._faults if f.operation in (None, operation_id)]
        for fault in taken:
            if fault.remaining is not None:
                fault.remaining -= 1
        self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return taken


def _abort(send: Send) -> bool:
    # uvicorn's `send` is a bound method of its request cycle, which holds the transport;
    # aborting it drops the TCP connection the way a crashed server would.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    return True


class FaultLayer:
    def __init__(
        self, app: ASGIApp, faults: Faults, table: OperationTable, record: Recorder | None = None
    ) -> None:
        self.app = app
        self.faults = faults
        self._table = table
        self._record = record

    def __getattr__(self, name: str) -> Any:
        # Outermost so that it sees uvicorn's own `send`; everything else is the wrapped app's.
        return getattr(self.app, name)

    def _operation(self, scope: Scope) -> Operation | None:
        for by_method in self._table.paths.values():
            op = by_method.get(scope["method"])
            if op is not None and op.path_regex.match(scope["path"]):
                return op
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active:
            return await self.app(scope, receive, send)
        op = self._operation(scope)
        taken = self.faults.take(op.operation_id) if op is not None else []
        if not taken or op is None:
            return await self.app(scope, receive, send)
        for step in (step for fault in taken for step in fault.steps):
            if isinstance(step, Delay):
                await step.apply(self.faults.rng)
            elif isinstance(step, Drop):
                if self._record:
                    self._record(scope, op, 0, "drop")
                if not _abort(send):
                    raise ConnectionAbortedError("letta-mockserver dropped the connection (injected fault)")
                # The transport reports the lost connection on the loop's next turn; returning before
                # it would make uvicorn log "ASGI callable returned without starting response" at ERROR,
                # which reads as a crash. The drop is journaled (and logged) above as the fault it is.
                await asyncio.sleep(0)
                return None
            elif isinstance(step, StreamError):
                return await self._cut(scope, receive, send, op, step)
            else:
                body = json.dumps(step.body, separators=(",", ":")).encode()
                headers = [*step.headers(), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": step.status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                if self._record:
                    self._record(scope, op, step.status, f"error {step.status}")
                return None
        return await self.app(scope, receive, send)

    async def _cut(
        self, scope: Scope, receive: Receive, send: Send, op: Operation, step: StreamError
    ) -> None:
        events = 0
        streaming = False

        async def cutting(message: MutableMapping[str, Any]) -> None:
            nonlocal events, streaming
            await send(message)
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            elif message["type"] == "http.response.body" and message.get("more_body", False):
                events += bytes(message.get("body", b"")).count(b"\n\n")
            else:
                return  # the answer is complete: the stream ended before the fault's turn
            # An error answer (404, 410, ...) is left alone; a stream is cut as soon as it has sent
            # its events, not when it next has something to send (a live run may wait for the clock).
            if streaming and events >= step.after_events:
                await send({"type": "http.response.body", "body": step.event(), "more_body": False})
                raise _StreamCut

        try:
            await self.app(scope, receive, cutting)
        except _StreamCut:
            if self._record:
                self._record(scope, op, 200, "stream error")
