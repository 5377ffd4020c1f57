"""The comparison, pure: each kind of difference from two hand-made exchanges, and what is no difference."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from mockserver._contract.spec import default_table
from mockserver._recording.bodies import stream_shape
from mockserver._recording.compare import Comparison, Difference, direction, timestamp_format
from mockserver._recording.exchange import Exchange
from mockserver._recording.idmap import IdMap

JSON = (("content-type", "application/json"),)
SSE = (("content-type", "text/event-stream; charset=utf-8"),)


def ident(kind: str, n: int) -> str:
    return f"{kind}-{uuid.UUID(int=n, version=4)}"


BATCH, OTHER, AGENT = ident("job", 1), ident("job", 2), ident("agent", 3)


def batch(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": BATCH,
        "status": "completed",
        "job_type": "batch",
        "created_at": "2026-01-01T00:00:00Z",
        "completed_at": "2026-01-01T00:00:02Z",
        "metadata": {"job_type": "batch"},
        "callback_url": None,
    }
    return {**body, **fields}


def answer(
    body: Any,
    status: int = 200,
    path: str = f"/v1/messages/batches/{BATCH}",
    raw: bytes | None = None,
    headers: tuple[tuple[str, str], ...] = JSON,
) -> Exchange:
    content = raw if raw is not None else orjson.dumps(body)
    return Exchange("GET", path, "", (), b"", status, headers, content)


def differences(recorded: Exchange, seen: Exchange, ids: IdMap | None = None) -> list[Difference]:
    return Comparison(default_table(), ids if ids is not None else IdMap()).compare(3, recorded, seen)


def found(recorded: Exchange, seen: Exchange, ids: IdMap | None = None) -> set[tuple[str, str]]:
    return {(d.pointer, d.kind) for d in differences(recorded, seen, ids)}


def test_equal_shapes_with_other_values_do_not_differ() -> None:
    seen = batch(id=OTHER, created_at="2026-05-05T10:00:00.123456+00:00", completed_at="2026-05-05T10:00:09Z")
    assert differences(answer(batch()), answer(seen)) == []


def test_each_difference_names_index_operation_pointer_kind_and_values() -> None:
    [difference] = differences(answer(batch()), answer(batch(completed_at="2026-01-01T00:00:02")))[-1:]
    assert difference == Difference(
        3,
        "retrieve_batch",
        "/completed_at",
        "timestamp_format",
        "offset 2026-01-01T00:00:02Z",
        "naive 2026-01-01T00:00:02",
    )


def test_status_class_and_exact_4xx() -> None:
    assert ("", "status") in found(answer(batch()), answer({"detail": "boom"}, 500))
    assert ("", "status") in found(answer({"detail": "x"}, 404), answer({"detail": "x"}, 410))
    assert found(answer({"detail": "x"}, 500), answer({"detail": "y"}, 503)) == set()


def test_fields_missing_extra_and_types_recursively() -> None:
    seen = batch(metadata={"job_type": "batch", "extra": 1}, callback_url="http://x")
    del seen["job_type"]
    result = found(answer(batch()), answer(seen))
    assert ("/job_type", "missing") in result
    assert ("/metadata/extra", "extra") in result
    assert ("/callback_url", "type") in result  # null recorded, a string seen


def test_enum_fields_must_be_equal_free_strings_need_not() -> None:
    assert ("/status", "enum") in found(answer(batch()), answer(batch(status="cancelled")))
    run_path = f"/v1/runs/{ident('run', 5)}"
    run = {
        "id": ident("run", 5),
        "agent_id": AGENT,
        "status": "completed",
        "stop_reason": "end_turn",
        "created_at": "2026-01-01T00:00:00Z",
        "background": True,
    }
    other = {**run, "stop_reason": "max_steps", "agent_id": ident("agent", 9)}
    assert found(answer(run, path=run_path), answer(other, path=run_path)) == {("/stop_reason", "enum")}


def test_schema_conformance_of_the_target_only_where_the_recording_conformed() -> None:
    result = found(answer(batch()), answer(batch(status=7)))
    assert ("/status", "schema") in result
    naive = batch(completed_at="2026-01-01T00:00:02")
    assert ("/completed_at", "schema") not in found(answer(naive), answer(naive))


def test_list_items_pair_by_id_and_report_missing_extra_and_order() -> None:
    path = "/v1/messages/batches"
    first, second = batch(), batch(id=OTHER, created_at="2026-01-01T00:00:05Z")
    ids = IdMap()
    ids.same(BATCH)
    ids.same(OTHER)
    assert found(answer([second, first], path=path), answer([second], path=path), ids) == {
        ("/1", "missing_item")
    }
    assert found(answer([second], path=path), answer([second, first], path=path), ids) == {("", "extra_item")}
    result = differences(answer([second, first], path=path), answer([first, second], path=path), ids)
    assert [(d.kind, d.recorded, d.seen) for d in result] == [
        ("order", "created_at descending", "created_at ascending")
    ]


def test_records_made_at_the_same_moment_may_come_in_either_order() -> None:
    path = "/v1/messages/batches"
    first, second = batch(), batch(id=OTHER)
    ids = IdMap()
    ids.same(BATCH)
    ids.same(OTHER)
    assert found(answer([first, second], path=path), answer([second, first], path=path), ids) == set()


def test_ids_are_learned_and_a_wrong_reference_is_reported() -> None:
    ids = IdMap()
    differences(answer(batch()), answer(batch(id=OTHER)), ids)
    assert ids.get(BATCH) == OTHER
    wrong = ident("job", 77)
    assert ("/id", "id_reference") in found(answer(batch()), answer(batch(id=wrong)), ids)
    assert ("/id", "id") in found(answer(batch()), answer(batch(id="job_42")), ids)


def test_event_streams_compare_event_kinds_done_and_errors() -> None:
    path = f"/v1/runs/{ident('run', 5)}/stream"
    message = {
        "message_type": "assistant_message",
        "id": ident("message", 1),
        "date": "2026-01-01T00:00:00Z",
        "content": "hi",
    }
    stop = {"message_type": "stop_reason", "stop_reason": "end_turn"}

    def stream(*events: str) -> Exchange:
        return Exchange("POST", path, "", (), b"", 200, SSE, "".join(events).encode())

    def data(value: Any) -> str:
        return f"data: {orjson.dumps(value).decode()}\n\n"

    whole = stream(data(message), data({**message, "content": " there"}), data(stop), "data: [DONE]\n\n")
    assert stream_shape(whole.response_body) == ["assistant_message", "stop_reason", "[DONE]"]
    no_done = stream(data(message), data(stop))
    failed = stream(
        data(message), 'event: error\ndata: {"error": "boom", "code": "INTERNAL_SERVER_ERROR"}\n\n'
    )
    assert differences(whole, stream(data(message), data(stop), ": ping\n\n", "data: [DONE]\n\n")) == []
    [difference] = differences(whole, no_done)
    assert (difference.pointer, difference.kind) == ("/events", "sse_sequence")
    assert difference.seen == "assistant_message stop_reason"
    assert "event:error" in differences(whole, failed)[0].seen
    assert ("", "content_type") in found(whole, answer({"detail": "x"}, path=path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T00:00:00Z", "offset"),
        ("2026-01-01T00:00:00.5+02:00", "offset"),
        ("2026-01-01T00:00:00", "naive"),
        ("2026-01-01 00:00:00.123", "naive"),
        ("tomorrow", None),
        (5, None),
    ],
)
def test_timestamp_formats(text: Any, expected: str | None) -> None:
    assert timestamp_format(text) == expected


def test_direction_by_created_at() -> None:
    at = [{"created_at": f"2026-01-0{day}T00:00:00Z"} for day in (1, 2, 3)]
    assert direction(at) == "ascending"
    assert direction(at[::-1]) == "descending"
    assert direction([at[1], at[0], at[2]]) is None
    assert direction(at[:1]) is None


def test_differences_are_named_by_the_quirk_they_look_like() -> None:
    from mockserver._fuzzing.verify_quirks import explain

    def named(operation: str, pointer: str, kind: str, recorded: str = "", seen: str = "") -> str | None:
        return explain(Difference(0, operation, pointer, kind, recorded, seen))

    assert named("retrieve_run", "/completed_at", "timestamp_format") == "naive-timestamps"
    assert named("cancel_job", "", "status", "200", "500") == "job-cancel-500"
    assert (
        named("retrieve_batch", "/status", "enum", '"completed"', '"cancelled"') == "batch-cancel-unguarded"
    )
    shown = ("assistant_message stop_reason usage_statistics [DONE]", "assistant_message stop_reason")
    assert named("retrieve_stream_for_run", "/events", "sse_sequence", *shown) == "cancelled-stream-no-done"
    assert named("list_runs", "", "order") == "run-cursors-inverted"
    assert named("list_jobs", "", "order") == "job-cursors-chronological"
    assert named("retrieve_run", "/status", "enum", '"running"', '"completed"') is None
    assert named("retrieve_stream_for_run", "/events", "sse_sequence", "a [DONE]", "b [DONE]") is None
