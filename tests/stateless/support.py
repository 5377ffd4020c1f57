"""Shared by the stateless tests: the app in-process (httpx's ASGI transport, no socket), the
documented schemas of each answer, and what a consistent job, batch or run record is.

The record rules here are written from the server behaviour reference, apart from
``mockserver._answers.realistic``, so that the tests check the mock against the reference rather
than against itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

import httpx
from budget import examples
from hypothesis import HealthCheck, settings
from reference import RUN_STATUS_OF_STOP_REASON
from sse import sse_payloads

from mockserver import Config, default_table
from mockserver._answers.backend import JsonReply, StreamReply
from mockserver._answers.fixtures import load_response_fixtures
from mockserver._answers.stateless import StatelessBackend
from mockserver._contract.parsing import parse_request
from mockserver._contract.resources import data_dir
from mockserver._contract.spec import Operation
from mockserver._contract.validation import SchemaSet
from mockserver._web.app import create_app

EXAMPLES = examples(25)
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TABLE = default_table()
STRICT = SchemaSet(TABLE.document, "strict")
STREAM = "retrieve_stream_for_run"
EVENT_POINTER = TABLE[STREAM].success.media_types["text/event-stream"]
Responses = Literal["realistic", "fuzz"]
RESPONSES: tuple[Responses, ...] = ("realistic", "fuzz")
FIXTURES = load_response_fixtures(data_dir("fixtures"), TABLE, STRICT)


@dataclass(frozen=True)
class Call:
    operation_id: str
    path: Mapping[str, str] = field(default_factory=dict)
    params: Sequence[tuple[str, str]] = ()
    body: Any = None
    """A JSON body, or ``None`` for none."""

    @property
    def url(self) -> str:
        return TABLE[self.operation_id].path.format(**{k: quote(v, safe="") for k, v in self.path.items()})


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    text: str


def backend(seed: int, responses: Responses) -> StatelessBackend:
    """The stateless backend the app builds for ``seed`` and ``responses``, shipped fixtures included.

    Seed sweeps call it directly: building the whole app (its served document) costs more than
    the requests, and the HTTP layer is the same for every seed (``app_answers`` checks it).
    """
    return StatelessBackend(TABLE, seed=seed, fixtures=FIXTURES, adversarial=responses == "fuzz")


def answer(stateless: StatelessBackend, call: Call) -> Answer:
    """``stateless``'s answer to ``call``, validated and parsed as the app does first."""
    op = TABLE[call.operation_id]
    body = b"" if call.body is None else json.dumps(call.body).encode()
    request = parse_request(TABLE, STRICT, op, call.path, list(call.params), body, "application/json")

    async def run() -> Answer:
        reply = await stateless.handle(request)
        if isinstance(reply, StreamReply):
            text = b"".join([chunk async for chunk in reply.chunks]).decode()
            return Answer(reply.status, "text/event-stream; charset=utf-8", text)
        assert isinstance(reply, JsonReply)
        return Answer(reply.status, "application/json", json.dumps(reply.body))

    return asyncio.run(run())


def app_answers(seed: int, responses: Responses, calls: Sequence[Call]) -> list[Answer]:
    """The answers of a fresh stateless app (``seed``, ``responses``) to ``calls``, through HTTP.

    httpx's ASGI transport re-raises an exception of the app, so a crash fails the test loudly
    where a socket client would only see a cut connection.
    """

    async def run() -> list[Answer]:
        app = create_app(Config(mode="stateless", seed=seed, responses=responses))
        transport = httpx.ASGITransport(app=app)
        found = []
        async with httpx.AsyncClient(transport=transport, base_url="http://stateless.test") as client:
            for call in calls:
                extra = {} if call.body is None else {"json": call.body}
                method = TABLE[call.operation_id].method
                response = await client.request(method, call.url, params=list(call.params), **extra)
                found.append(Answer(response.status_code, response.headers["content-type"], response.text))
        return found

    return asyncio.run(run())


def violations(pointer: str, value: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, v.loc)) or '<root>'}: {v.detail or v.msg}"
        for v in STRICT.violations(pointer, value)
    ]


def undocumented(op: Operation, answer: Answer) -> list[str]:
    """What in a 2xx answer the operation's success response does not document (empty: all good)."""
    if op.operation_id == STREAM:
        if not answer.content_type.startswith("text/event-stream"):
            return [f"content type {answer.content_type}"]
        payloads = sse_payloads(answer.text)
        if not payloads or payloads[-1] != "[DONE]":
            return [f"the stream does not end with [DONE]: {payloads[-1:]}"]
        return [v for payload in payloads[:-1] for v in violations(EVENT_POINTER, json.loads(payload))]
    if answer.content_type != "application/json":
        return [f"content type {answer.content_type}"]
    pointer = op.success.json_pointer
    assert pointer is not None
    return violations(pointer, json.loads(answer.text))


# -- what a real server's records look like (server behaviour reference, sections 3 and 4) -------

TERMINAL = {"completed", "failed", "cancelled", "expired"}
BATCH_STATUSES = {"created", "running", "completed", "failed", "cancelled", "expired"}
"""Every job status but `pending` (only plain jobs queue), as in the documented lifecycle."""


def moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def inconsistencies(record: dict[str, Any], family: Literal["batch", "job", "run"]) -> list[str]:
    """Every way ``record`` (a realistic BatchJob, Job or Run) differs from what one real server writes."""
    problems: list[str] = []

    def expect(holds: bool, what: str) -> None:
        if not holds:
            problems.append(what)

    status = record["status"]
    created, updated = moment(record["created_at"]), moment(record.get("updated_at"))
    completed, sent = moment(record.get("completed_at")), moment(record.get("callback_sent_at"))
    assert created is not None
    expect(updated is None or created <= updated, "updated_at before created_at")
    expect(completed is None or status in TERMINAL, f"completed_at on a {status} record")
    expect(completed is None or created <= completed, "completed_at before created_at")
    expect(completed is None or updated is None or completed <= updated, "updated_at before completed_at")
    finishes = status in TERMINAL and not (family == "batch" and status == "cancelled")
    expect(
        completed is not None or not finishes or "completed_at" not in record,
        f"{status} without completed_at",
    )
    expect(
        sent is None or (completed is not None and completed <= sent), "callback_sent_at before completed_at"
    )
    code = record.get("callback_status_code")
    expect(code is None or 100 <= code <= 599, f"callback_status_code {code}")
    callback = [
        name for name in ("callback_sent_at", "callback_status_code", "callback_error") if record.get(name)
    ]
    expect(not callback or bool(record.get("callback_url")), f"{callback} without a callback_url")
    expect(not callback or sent is not None, f"{callback} without callback_sent_at")
    expect(
        code is None or record.get("callback_error") is None, "both a callback status and a callback error"
    )
    fires = {"completed", "failed"} | ({"cancelled"} if family == "run" else set())
    expect(sent is None or status in fires, f"a callback sent for a {status} {family}")
    reason = record.get("stop_reason")
    if family == "run":
        expect(status in TERMINAL or reason is None, f"stop_reason {reason} on a {status} run")
        expect(
            status not in TERMINAL or RUN_STATUS_OF_STOP_REASON.get(str(reason)) == status,
            f"stop_reason {reason} on a {status} run",
        )
    else:
        expect(reason is None, f"stop_reason {reason} on a {family}")
        expect(record["job_type"] == family, f"job_type {record['job_type']} on a {family}")
    if family == "batch":
        expect(status in BATCH_STATUSES, f"status {status} on a batch")
        expect(record.get("agent_id") is None, "a batch with an agent_id")
    duration = record.get("total_duration_ns")
    if duration is not None:
        expect(completed is not None, "total_duration_ns on an unfinished record")
        if completed is not None:
            expect(duration == (completed - created) // timedelta(microseconds=1) * 1000, "duration != times")
    ttft = record.get("ttft_ns")
    expect(ttft is None or duration is None or 0 <= ttft <= duration, "ttft_ns beyond total_duration_ns")
    if "created_by_id" in record:
        expect(record["created_by_id"] == record.get("last_updated_by_id"), "two actors on one record")
    return problems
