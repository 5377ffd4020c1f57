"""Realistic stateless records could all come from one real server; fuzzed ones need not.

For every BatchJob, Job and Run a realistic stateless answer holds (retrieve, list, create,
cancel, delete), `support.inconsistencies` lists what a real server would never write: times
out of order, completion data on unfinished records, stop reasons that contradict the status,
callback results without a callback URL or with a status code that is no HTTP status, a batch
that is not a batch. The rules behind them (`mockserver._answers.realistic.make_consistent`) are also
checked alone, on generated records with every field scrambled.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver._answers.realistic import make_consistent
from mockserver._contract.generate import ANCHOR, DataGenerator, rfc3339
from mockserver.strategies import from_operation

from .support import PROPERTY, TABLE, Call, answer, backend, inconsistencies, moment, violations

Family = Literal["batch", "job", "run"]
RECORD_OPERATIONS: dict[str, Family] = {
    "list_batches": "batch",
    "retrieve_batch": "batch",
    "create_batch": "batch",
    "list_runs": "run",
    "list_active_runs": "run",
    "retrieve_run": "run",
    "list_jobs": "job",
    "list_active_jobs": "job",
    "retrieve_job": "job",
    "cancel_job": "job",
    "delete_job": "job",
}
"""Operations answering BatchJob, Job or Run records, and which."""
MESSAGE_DATES = {"list_messages_for_run": "date", "list_messages_for_batch": "created_at"}


def records(operation_id: str, body: Any) -> list[dict[str, Any]]:
    found = body if isinstance(body, list) else [body]
    return [record for record in found if isinstance(record, dict)]


def realistic_records(seed: int, call: Call) -> list[dict[str, Any]]:
    found = answer(backend(seed, "realistic"), call)
    assert found.status == 200, found.text
    return records(call.operation_id, json.loads(found.text))


def drawn_call(data: st.DataObject, operation_id: str) -> Call:
    drawn = data.draw(from_operation(operation_id, realistic=True), label="request")
    return Call(operation_id, dict(drawn.path), drawn.params, drawn.body)


@pytest.mark.parametrize("operation_id", RECORD_OPERATIONS)
@PROPERTY
@given(data=st.data(), seed=st.integers())
def test_realistic_records_are_consistent_for_any_seed_and_request(
    operation_id: str, data: st.DataObject, seed: int
) -> None:
    family = RECORD_OPERATIONS[operation_id]
    found = realistic_records(seed, drawn_call(data, operation_id))
    assert found or operation_id.startswith("list_")
    for record in found:
        assert inconsistencies(record, family) == [], record


@pytest.mark.slow
def test_the_issue_examples_hold_and_the_data_stays_varied_over_many_seeds() -> None:
    """The issue's three examples (completion before creation, `callback_status_code: 28`, a batch of
    `job_type: "run"`), over seeds 0..199 and each record operation's default request."""
    path_ids = {
        "batch_id": "job-00000000-0000-4000-8000-00000000000b",
        "run_id": "run-00000000-0000-4000-8000-00000000000c",
    }
    path_ids["job_id"] = path_ids["batch_id"]
    bodies = {
        "create_batch": {
            "requests": [{"agent_id": "agent-00000000-0000-4000-8000-000000000001", "input": "hi"}]
        }
    }
    seen: dict[str, set[Any]] = {"status": set(), "stop_reason": set(), "callback_status_code": set()}
    for seed in range(200):
        for operation_id, family in RECORD_OPERATIONS.items():
            op = TABLE[operation_id]
            call = Call(
                operation_id,
                {p.name: path_ids[p.name] for p in op.params_in("path")},
                body=bodies.get(operation_id),
            )
            for record in realistic_records(seed, call):
                completed, created = moment(record.get("completed_at")), moment(record["created_at"])
                assert created is not None
                assert completed is None or completed >= created
                assert record.get("callback_status_code") in (None, *range(100, 600))
                assert family == "run" or record["job_type"] == family
                for name, values in seen.items():
                    values.add(record.get(name))
    # Consistent, and still varied: every status, stop reasons of each kind, callback answers.
    assert seen["status"] >= {"created", "running", "completed", "failed", "cancelled", "pending", "expired"}
    assert {"end_turn", "error", "cancelled", None} <= seen["stop_reason"]
    assert len(seen["callback_status_code"]) > 3


@pytest.mark.parametrize("operation_id", MESSAGE_DATES)
@PROPERTY
@given(data=st.data(), seed=st.integers())
def test_messages_are_dated_in_their_order(operation_id: str, data: st.DataObject, seed: int) -> None:
    call = drawn_call(data, operation_id)
    found = json.loads(answer(backend(seed, "realistic"), call).text)
    messages = found["messages"] if isinstance(found, dict) else found
    dates = [moment(message[MESSAGE_DATES[operation_id]]) for message in messages]
    ascending = dict(call.params).get("order", "asc" if operation_id == "list_messages_for_run" else "desc")
    assert dates == sorted(dates, reverse=ascending == "desc")  # type: ignore[type-var]
    for message in messages:
        if message.get("updated_at") is not None:
            assert moment(message["updated_at"]) >= moment(message["created_at"])  # type: ignore[operator]


# -- the rules alone -------------------------------------------------------------------------

COMPONENTS: dict[str, Family] = {"BatchJob": "batch", "Job": "job", "Run": "run"}
TIMES = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 2, 1), timezones=st.just(UTC))
STATUSES = TABLE.component("JobStatus")["enum"]
STOP_REASONS = TABLE.component("StopReasonType")["enum"]


@st.composite
def scrambled(draw: st.DrawFn) -> tuple[dict[str, Any], Family]:
    """A generated BatchJob, Job or Run whose lifecycle fields are drawn independently of each other."""
    name = draw(st.sampled_from(sorted(COMPONENTS)))
    family = COMPONENTS[name]
    record = DataGenerator(TABLE).component(name, random.Random(draw(st.integers())), draw(TIMES))
    if family != "run":
        record["job_type"] = family
    statuses = TABLE.component("RunStatus")["enum"] if family == "run" else STATUSES
    scramble: dict[str, st.SearchStrategy[Any]] = {
        "status": st.sampled_from(statuses),
        "created_at": TIMES.map(rfc3339),
        "updated_at": st.none() | TIMES.map(rfc3339),
        "completed_at": st.none() | TIMES.map(rfc3339),
        "callback_sent_at": st.none() | TIMES.map(rfc3339),
        "callback_url": st.none() | st.just("https://example.com/letta/callback"),
        "callback_status_code": st.none() | st.integers(-(2**31), 2**31),
        "callback_error": st.none() | st.text(max_size=20),
        "stop_reason": st.none() | st.sampled_from(STOP_REASONS),
        "total_duration_ns": st.none() | st.integers(0, 2**62),
        "ttft_ns": st.none() | st.integers(0, 2**62),
    }
    for field, values in scramble.items():
        if field in record:
            record[field] = draw(values)
    return record, family


@PROPERTY
@given(case=scrambled(), seed=st.integers())
def test_make_consistent_repairs_any_scrambled_record(case: tuple[dict[str, Any], Family], seed: int) -> None:
    record, family = case
    name = {value: key for key, value in COMPONENTS.items()}[family]
    make_consistent(record, random.Random(seed))
    assert inconsistencies(record, family) == []
    assert violations(f"/components/schemas/{name}", record) == []
    again = dict(record)
    make_consistent(again, random.Random(seed + 1))
    assert again == record, "the rules repair only what is inconsistent: a second pass changes nothing"


def test_make_consistent_keeps_a_consistent_record_as_it_is() -> None:
    created = ANCHOR
    record = {
        "id": "run-00000000-0000-4000-8000-000000000001",
        "status": "completed",
        "created_at": rfc3339(created),
        "completed_at": rfc3339(created + timedelta(seconds=3)),
        "stop_reason": "max_steps",
        "callback_url": "https://example.com/cb",
        "callback_sent_at": rfc3339(created + timedelta(seconds=3, milliseconds=20)),
        "callback_status_code": 404,
        "callback_error": None,
        "ttft_ns": 120_000_000,
        "total_duration_ns": 3_000_000_000,
    }
    kept = dict(record)
    make_consistent(record, random.Random(0))
    assert record == kept


# -- fuzzed answers stay adversarial ---------------------------------------------------------


def test_fuzzed_records_keep_their_contradictions() -> None:
    """`--responses fuzz` is schema-valid, not consistent: the rules are not applied to it."""
    found: list[str] = []
    for seed in range(30):
        for operation_id in ("list_runs", "list_jobs"):
            body = json.loads(answer(backend(seed, "fuzz"), Call(operation_id)).text)
            for record in records(operation_id, body):
                if "status" in record and "created_at" in record:
                    found += inconsistencies(record, RECORD_OPERATIONS[operation_id])
    assert any("before created_at" in problem for problem in found)
    assert any(problem.startswith("callback_status_code") for problem in found)
