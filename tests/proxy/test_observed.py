"""Each quirk detector of ``_recording.observed`` on its own: what proves a quirk, and what does not."""

from __future__ import annotations

from typing import Any

from mockserver._contract.quirks import NAMES
from mockserver._recording.observed import Observer, parse_time

B1 = "job-00000000-0000-4000-8000-000000000001"
B2 = "job-00000000-0000-4000-8000-000000000002"
B3 = "job-00000000-0000-4000-8000-000000000003"


def batch(batch_id: str, status: str = "running", minute: int = 0, **more: Any) -> dict[str, Any]:
    return {"id": batch_id, "status": status, "created_at": f"2026-01-01T00:{minute:02d}:00Z", **more}


def see(
    observer: Observer,
    op: str,
    status: int,
    answer: Any,
    query: dict[str, list[str]] | None = None,
    path: dict[str, str] | None = None,
    stream: str | None = None,
) -> set[str]:
    seq = len(observer.created) + 100
    found = observer.see(seq, f"{op} request", op, path or {}, query or {}, status, answer, stream)
    return {sighting.quirk for sighting in found}


def test_the_detectors_cover_the_whole_catalogue() -> None:
    # Every quirk of the catalogue has a detector here; a new quirk needs one too.
    assert set(NAMES) == {
        "naive-timestamps",
        "validation-detail-string",
        "batch-list-active-only",
        "batch-messages-after-500",
        "run-delete-500",
        "job-cancel-500",
        "batch-cancel-unguarded",
        "cancelled-stream-no-done",
        "run-cursors-inverted",
        "job-cursors-chronological",
        "batch-polling-off",
        "callback-url-none-string",
        "batch-messages-before-ignored",
        "job-cursors-crossed-400",
        "stream-without-body-500",
        "run-retrieve-duration-null",
        "owner-ids",
    }


def test_naive_timestamps() -> None:
    observer = Observer()
    assert see(observer, "retrieve_batch", 200, batch(B1, completed_at="2026-01-01T00:00:00Z")) == set()
    assert see(observer, "retrieve_batch", 200, batch(B1, completed_at="2026-01-01T00:00:00+02:00")) == set()
    assert see(observer, "retrieve_batch", 200, batch(B1, completed_at=None)) == set()
    assert see(observer, "list_batches", 200, [batch(B1, completed_at="2026-01-01T00:00:00.5")]) == {
        "naive-timestamps"
    }
    assert (
        "completed_at '2026-01-01T00:00:00.5' has no UTC offset"
        in observer.seen["naive-timestamps"]["evidence"]
    )
    assert see(observer, "retrieve_run", 200, {"id": "run-1", "callback_sent_at": "2026-01-01 00:00:00"}) == {
        "naive-timestamps"
    }
    assert see(observer, "retrieve_run", 404, {"completed_at": "2026-01-01T00:00:00"}) == set()


def test_validation_detail_string() -> None:
    observer = Observer()
    assert (
        see(observer, "create_batch", 422, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}) == set()
    )
    assert see(observer, "create_batch", 400, {"detail": "Empty list"}) == set()
    assert see(observer, "create_batch", 422, {"detail": "[{'loc': ('body',)}]", "trace_id": ""}) == {
        "validation-detail-string"
    }


def test_the_always_500_routes() -> None:
    observer = Observer()
    assert see(observer, "delete_run", 200, {}) == set()
    assert see(observer, "delete_run", 500, {"detail": "An unknown error occurred"}) == {"run-delete-500"}
    assert see(observer, "cancel_job", 500, {}) == {"job-cancel-500"}
    assert see(observer, "retrieve_job", 500, {}) == set()  # a 500 elsewhere is no known quirk
    # Only with `after`: a 500 without it is some other failure.
    assert see(observer, "list_messages_for_batch", 500, {}) == set()
    assert see(observer, "list_messages_for_batch", 500, {}, {"after": ["message-1"]}) == {
        "batch-messages-after-500"
    }
    assert "after=message-1" in observer.seen["batch-messages-after-500"]["evidence"]


def test_cancelled_stream_without_done() -> None:
    observer = Observer()
    cancelled = 'data: {"message_type":"stop_reason","stop_reason":"cancelled"}\n\n'
    assert see(observer, "retrieve_stream_for_run", 200, None, stream=cancelled + "data: [DONE]\n\n") == set()
    ended = 'data: {"message_type":"stop_reason","stop_reason":"end_turn"}\n\n'
    assert see(observer, "retrieve_stream_for_run", 200, None, stream=ended) == set()
    assert see(observer, "retrieve_stream_for_run", 200, None, stream=cancelled) == {
        "cancelled-stream-no-done"
    }


def test_batch_list_active_only_needs_a_known_finished_batch_missing() -> None:
    observer = Observer()
    # Only running batches, but nothing is known to have finished: no proof.
    assert see(observer, "list_batches", 200, [batch(B2)]) == set()
    assert see(observer, "retrieve_batch", 200, batch(B1, "completed")) == set()
    # A full page proves nothing either (the finished one may be on the next).
    assert see(observer, "list_batches", 200, [batch(B2)], {"limit": ["1"]}) == set()
    # Nor a page after a cursor.
    assert see(observer, "list_batches", 200, [batch(B2)], {"after": [B3]}) == set()
    # Nor a list that holds a finished batch.
    assert see(observer, "list_batches", 200, [batch(B2), batch(B3, "failed")]) == set()
    assert see(observer, "list_batches", 200, [batch(B2)]) == {"batch-list-active-only"}
    assert B1 in observer.seen["batch-list-active-only"]["evidence"]


def test_batch_cancel_unguarded_needs_a_finished_batch_seen_cancelled_after_the_cancel() -> None:
    observer = Observer()
    see(observer, "retrieve_batch", 200, batch(B1, "running"))
    see(observer, "cancel_batch", 200, None, path={"batch_id": B1})
    assert see(observer, "retrieve_batch", 200, batch(B1, "cancelled")) == set()  # a running one may be
    see(observer, "retrieve_batch", 200, batch(B2, "completed"))
    see(observer, "cancel_batch", 200, None, path={"batch_id": B2})
    assert see(observer, "retrieve_batch", 200, batch(B2, "completed")) == set()  # guarded: unchanged
    see(observer, "cancel_batch", 200, None, path={"batch_id": B2})
    assert see(observer, "list_batches", 200, [batch(B2, "cancelled")]) == {"batch-cancel-unguarded"}


def test_job_cursors_chronological() -> None:
    observer = Observer()
    see(observer, "list_batches", 200, [batch(B3, minute=3), batch(B2, minute=2), batch(B1, minute=1)])
    # Documented, order desc: after=B2 is older than B2; asc: newer. Either way right here.
    assert see(observer, "list_batches", 200, [batch(B1, minute=1)], {"after": [B2]}) == set()
    assert (
        see(observer, "list_batches", 200, [batch(B3, minute=3)], {"after": [B2], "order": ["asc"]}) == set()
    )
    assert (
        see(observer, "list_batches", 200, [batch(B1, minute=1)], {"before": [B2], "order": ["asc"]}) == set()
    )
    # An unknown cursor proves nothing.
    assert see(observer, "list_batches", 200, [batch(B3, minute=3)], {"after": ["job-unknown"]}) == set()
    assert see(observer, "list_batches", 200, [batch(B3, minute=3)], {"after": [B2]}) == {
        "job-cursors-chronological"
    }
    assert "newer than the cursor" in observer.seen["job-cursors-chronological"]["evidence"]
    assert see(observer, "list_jobs", 200, [batch(B2, minute=2)], {"after": [B2]}) == {
        "job-cursors-chronological"
    }


def test_run_cursors_inverted() -> None:
    observer = Observer()
    runs = [{"id": f"run-{n}", "created_at": f"2026-01-01T00:0{n}:00Z"} for n in (1, 2, 3)]
    see(observer, "list_runs", 200, runs)
    assert see(observer, "list_runs", 200, [runs[0]], {"after": ["run-2"]}) == set()
    assert see(observer, "list_runs", 200, [runs[2]], {"after": ["run-2"], "order": ["asc"]}) == set()
    assert see(observer, "list_runs", 200, [runs[0]], {"after": ["run-2"], "order": ["asc"]}) == {
        "run-cursors-inverted"
    }
    assert see(observer, "list_runs", 200, [runs[2]], {"before": ["run-2"]}) == set()
    assert see(observer, "list_runs", 200, [runs[0]], {"before": ["run-2"]}) == {"run-cursors-inverted"}


def test_a_quirk_is_reported_with_the_first_request_that_showed_it() -> None:
    observer = Observer()
    observer.see(7, "DELETE /v1/runs/run-1", "delete_run", {}, {}, 500, {}, None)
    observer.see(9, "DELETE /v1/runs/run-2", "delete_run", {}, {}, 500, {}, None)
    assert observer.seen["run-delete-500"] == {
        "seq": 7,
        "request": "DELETE /v1/runs/run-1",
        "evidence": "delete_run answered 500",
    }
    observer.clear()
    assert observer.seen == {}


def test_timestamps_without_offset_read_as_utc() -> None:
    assert parse_time("2026-01-01T00:00:00") == parse_time("2026-01-01T00:00:00Z")
    assert parse_time("not a time") is None
    assert parse_time(5) is None


def test_batch_polling_off() -> None:
    observer = Observer()
    assert see(observer, "create_batch", 200, batch(B1, status="created")) == set()
    assert see(observer, "create_batch", 200, batch(B2, status="running")) == {"batch-polling-off"}
    refused = {"detail": "Batch job cancellation is not enabled"}
    assert see(Observer(), "cancel_batch", 501, refused) == {"batch-polling-off"}
    assert see(Observer(), "cancel_batch", 501, {"detail": "Not Implemented"}) == set()


def test_callback_url_none_string() -> None:
    assert see(Observer(), "retrieve_batch", 200, batch(B1, callback_url=None)) == set()
    assert see(Observer(), "list_batches", 200, [batch(B1, callback_url="None")]) == {
        "callback-url-none-string"
    }


def test_job_cursors_crossed_400() -> None:
    crossed = {"detail": "'before' reference must be later than 'after' reference"}
    both = {"before": [B1], "after": [B2]}
    assert see(Observer(), "list_batches", 400, crossed, both) == {"job-cursors-crossed-400"}
    assert see(Observer(), "list_jobs", 400, crossed, {"before": [B1]}) == set()
    assert see(Observer(), "list_batches", 400, {"detail": "bad"}, both) == set()


def test_batch_messages_before_ignored() -> None:
    observer = Observer()
    first = {"id": "message-1", "created_at": "2026-01-01T00:00:00Z"}
    second = {"id": "message-2", "created_at": "2026-01-01T00:01:00Z"}
    assert see(observer, "list_messages_for_batch", 200, {"messages": [second, first]}) == set()
    before = {"before": ["message-1"]}
    assert see(observer, "list_messages_for_batch", 200, {"messages": []}, before) == set()
    assert see(observer, "list_messages_for_batch", 200, {"messages": [second, first]}, before) == {
        "batch-messages-before-ignored"
    }


def test_stream_without_body_500() -> None:
    failed = {"detail": "An unknown error occurred"}
    assert see(Observer(), "retrieve_stream_for_run", 500, failed) == set()  # it had a body
    found = Observer().see(1, "r", "retrieve_stream_for_run", {}, {}, 500, failed, bodiless=True)
    assert {s.quirk for s in found} == {"stream-without-body-500"}


def test_run_retrieve_duration_null() -> None:
    observer = Observer()
    run = {"id": "run-1", "created_at": "2026-01-01T00:00:00Z"}
    assert see(observer, "retrieve_run", 200, run | {"total_duration_ns": None}) == set()  # no list seen yet
    assert see(observer, "list_runs", 200, [run | {"total_duration_ns": 5}]) == set()
    assert see(observer, "retrieve_run", 200, run | {"total_duration_ns": 5}) == set()
    null = run | {"total_duration_ns": None}
    assert see(observer, "retrieve_run", 200, null) == {"run-retrieve-duration-null"}


def test_owner_ids() -> None:
    assert see(Observer(), "retrieve_batch", 200, batch(B1)) == set()
    assert see(Observer(), "retrieve_batch", 200, batch(B1, user_id="user-1")) == {"owner-ids"}
    steps = [{"id": "step-1", "organization_id": "org-1"}]
    assert see(Observer(), "list_steps_for_run", 200, steps) == {"owner-ids"}
