"""Jobs over HTTP on the manual clock, and the control API itself: reset, payload errors, clock kinds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import (
    AGENT_A,
    JOB_DURATION,
    RUNNING_AFTER,
    UNKNOWN_JOB,
    MockApi,
    ServerFactory,
    parse_time,
    stamp,
)

JOBS = "/v1/jobs/"
Job = dict[str, Any]


def _oldest_first(jobs: list[Job]) -> list[str]:
    return [job["id"] for job in sorted(jobs, key=lambda job: (parse_time(job["created_at"]), job["id"]))]


def test_seeded_job_runs_and_completes_on_the_clock(api: MockApi) -> None:
    """A seeded job is ``created``, ``running`` at 5% of its duration, ``completed`` at its end,
    with exact times.
    """
    t0 = api.now()
    job = api.seed_job(metadata={"source_id": "source-1"}, agent_id=AGENT_A)
    assert (job["job_type"], job["status"], job["agent_id"]) == ("job", "created", AGENT_A)
    assert job["metadata"] == {"source_id": "source-1"}
    assert job["created_at"] == job["updated_at"] == stamp(t0)
    api.advance(RUNNING_AFTER)
    running = api.job(job["id"])
    assert (running["status"], running["updated_at"]) == ("running", stamp(t0 + RUNNING_AFTER))
    api.advance(JOB_DURATION)
    done = api.job(job["id"])
    assert done["status"] == "completed"
    assert done["completed_at"] == done["updated_at"] == stamp(t0 + JOB_DURATION)
    assert done["total_duration_ns"] == 2_000_000_000


@pytest.mark.parametrize(
    ("spec", "at_start", "after_running", "final"),
    [
        ({"status": "pending"}, "pending", "running", "completed"),
        ({"status": "running"}, "running", "running", "completed"),
        ({"final_status": "failed"}, "created", "running", "failed"),
        ({"final_status": "expired"}, "created", "running", "expired"),
        ({"status": "failed"}, "failed", "failed", "failed"),
        ({"status": "expired"}, "expired", "expired", "expired"),
    ],
)
def test_seeded_job_variants(
    api: MockApi, spec: dict[str, Any], at_start: str, after_running: str, final: str
) -> None:
    """Seeded ``status`` and ``final_status`` decide where a job starts and how it ends."""
    job = api.seed_job(**spec)
    assert job["status"] == at_start
    api.advance(RUNNING_AFTER)
    assert api.job(job["id"])["status"] == after_running
    api.advance(JOB_DURATION)
    done = api.job(job["id"])
    assert done["status"] == final
    assert done["completed_at"] is not None


def test_seeded_job_duration_and_created_at(api: MockApi) -> None:
    """``duration`` sets when the job ends;
    ``created_at`` backdates it, and what is overdue happens at once.
    """
    t0 = api.now()
    slow = api.seed_job(duration=100)
    api.advance(99)
    assert api.job(slow["id"])["status"] == "running"
    api.advance(1)
    assert api.job(slow["id"])["completed_at"] == stamp(t0 + 100)
    old = api.seed_job(created_at=stamp(t0 - 3_600))
    assert old["created_at"] == stamp(t0 - 3_600)
    assert api.job(old["id"])["completed_at"] == stamp(t0 - 3_600 + JOB_DURATION)


def test_seeding_an_existing_job_id_is_409(api: MockApi) -> None:
    """A job id can be seeded once; batches share the id space."""
    job = api.seed_job(id=UNKNOWN_JOB)
    response = api.http.post("/_mock/jobs", json={"id": UNKNOWN_JOB})
    assert response.status_code == 409
    assert UNKNOWN_JOB in response.json()["detail"]
    assert api.job(UNKNOWN_JOB) == job


def test_list_jobs_holds_plain_jobs_only(api: MockApi) -> None:
    """``/v1/jobs/`` lists ``job_type: job`` only: batches are excluded, though retrievable as jobs."""
    first = api.seed_job()
    batch = api.create_batch()
    api.advance(1.0)
    second = api.seed_job(status="running")
    listed = api.get_list(JOBS)
    assert [job["id"] for job in listed] == [second["id"], first["id"]]
    assert all(job["job_type"] == "job" for job in listed)
    assert api.job(batch["id"])["job_type"] == "batch"
    assert api.job(batch["id"])["status"] == "running"
    assert batch["id"] not in api.ids(JOBS, active=True)
    assert api.ids("/v1/messages/batches") == [batch["id"]]


@pytest.fixture
def jobs(api: MockApi) -> list[Job]:
    """Six jobs at three instants; at ``t0 + 1``: one completed, four running, one still pending."""
    made = [api.seed_job(status="completed"), api.seed_job(status="pending")]
    api.advance(0.5)
    made += [api.seed_job(), api.seed_job(metadata={"source_id": "source-1"})]
    api.advance(0.5)
    made.append(api.seed_job(status="running", metadata={"source_id": "source-1"}))
    made.append(api.seed_job(status="pending", duration=1_000))
    return made


def test_list_jobs_filters_and_active_endpoint(api: MockApi, jobs: list[Job]) -> None:
    """``active`` keeps created and running jobs (not pending); ``source_id`` filters on metadata."""
    everything = [api.job(job["id"]) for job in jobs]
    oldest_first = _oldest_first(everything)
    active = [job for job in everything if job["status"] in ("created", "running")]
    assert [job["status"] for job in everything] == [
        "completed",
        "running",
        "running",
        "running",
        "running",
        "pending",
    ]
    assert len(active) == 4
    assert api.ids(JOBS) == oldest_first[::-1]
    assert api.ids(JOBS, active=True) == _oldest_first(active)[::-1]
    assert api.ids("/v1/jobs/active") == _oldest_first(active)
    assert api.ids("/v1/jobs/active", ascending=False) == _oldest_first(active)[::-1]
    sourced = [job for job in everything if (job["metadata"] or {}).get("source_id") == "source-1"]
    assert api.ids(JOBS, source_id="source-1") == _oldest_first(sourced)[::-1]
    assert api.ids(JOBS, source_id="source-2") == []
    api.advance(JOB_DURATION)  # every running job completes; the pending one is still pending
    assert api.job(jobs[-1]["id"])["status"] == "pending"
    assert api.ids(JOBS, active=True) == []
    assert api.ids("/v1/jobs/active") == []
    api.advance(100)
    assert api.ids(JOBS, active=True) == [jobs[-1]["id"]]


def test_list_jobs_order_ascending_flag_cursors_and_limit(api: MockApi, jobs: list[Job]) -> None:
    """``order`` sorts; ``ascending=false`` forces descending; cursors follow the order;
    ``limit=0`` is all.
    """
    oldest_first = _oldest_first([api.job(job["id"]) for job in jobs])
    newest_first = oldest_first[::-1]
    assert api.ids(JOBS, order="asc") == oldest_first
    assert api.ids(JOBS, order="asc", ascending=True) == oldest_first
    assert api.ids(JOBS, order="asc", ascending=False) == newest_first
    for order, ids in (("asc", oldest_first), ("desc", newest_first)):
        assert api.ids(JOBS, order=order, after=ids[0], limit=2) == ids[1:3]
        assert api.ids(JOBS, order=order, before=ids[5], limit=2) == ids[3:5]
        assert api.ids(JOBS, order=order, after=ids[1], before=ids[4]) == ids[2:4]
        assert api.ids(JOBS, order=order, limit=0) == ids
    assert len(api.ids("/v1/jobs/active", limit=1)) == 1


@pytest.mark.parametrize("path", [JOBS, "/v1/jobs/active"])
def test_list_jobs_unknown_cursor_is_400(api: MockApi, path: str) -> None:
    """An unknown job cursor answers 400 ``Job with id X not found``."""
    api.seed_job()
    response = api.http.get(path, params={"before": UNKNOWN_JOB})
    assert response.status_code == 400
    assert response.json() == {"detail": f"Job with id {UNKNOWN_JOB} not found"}


def test_delete_job_returns_it_then_404(api: MockApi) -> None:
    """``DELETE`` answers the deleted job; it is then 404 and gone from the list."""
    job = api.seed_job()
    deleted = api.obj(api.http.delete(f"/v1/jobs/{job['id']}"))
    assert deleted == job
    response = api.http.get(f"/v1/jobs/{job['id']}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Job not found with id='{job['id']}'"}
    assert api.http.delete(f"/v1/jobs/{job['id']}").status_code == 404
    assert api.get_list(JOBS) == []
    api.advance(JOB_DURATION)
    assert api.http.get(f"/v1/jobs/{job['id']}").status_code == 404


def test_delete_through_jobs_removes_a_batch(api: MockApi) -> None:
    """Batches are jobs: deleting one through ``/v1/jobs`` removes it from the batches API too."""
    batch = api.create_batch()
    assert api.obj(api.http.delete(f"/v1/jobs/{batch['id']}"))["id"] == batch["id"]
    assert api.http.get(f"/v1/messages/batches/{batch['id']}").status_code == 404
    assert api.get_list("/v1/messages/batches") == []


def test_cancel_job_sets_completed_at_and_sticks(api: MockApi) -> None:
    """A cancelled job gets ``completed_at`` (unlike a batch) and stays cancelled;
    cancelling again changes nothing.
    """
    t0 = api.now()
    job = api.seed_job()
    api.advance(0.5)
    cancelled = api.obj(api.http.patch(f"/v1/jobs/{job['id']}/cancel"))
    assert cancelled["status"] == "cancelled"
    assert cancelled["completed_at"] == cancelled["updated_at"] == stamp(t0 + 0.5)
    assert api.job(job["id"]) == cancelled
    api.advance(10)
    assert api.job(job["id"]) == cancelled
    assert api.obj(api.http.patch(f"/v1/jobs/{job['id']}/cancel")) == cancelled


def test_cancel_finished_job_is_a_no_op(api: MockApi) -> None:
    """Cancelling a completed job answers it unchanged."""
    job = api.seed_job()
    api.advance(JOB_DURATION)
    done = api.job(job["id"])
    assert api.obj(api.http.patch(f"/v1/jobs/{job['id']}/cancel")) == done


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("DELETE", ""), ("PATCH", "/cancel")])
def test_unknown_and_malformed_job_ids(api: MockApi, method: str, suffix: str) -> None:
    """Unknown job ids are 404 naming them;
    malformed ones are 422 at ``path.job_id`` (the ``JobId`` validator).
    """
    response = api.http.request(method, f"/v1/jobs/{UNKNOWN_JOB}{suffix}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Job not found with id='{UNKNOWN_JOB}'"}
    response = api.http.request(method, f"/v1/jobs/job_id{suffix}")
    assert response.status_code == 422
    assert {tuple(p["loc"]) for p in response.json()["detail"]} == {("path", "job_id")}


# -- the control API ---------------------------------------------------------------------------


def test_reset_empties_everything_and_rewinds_the_clock(api: MockApi) -> None:
    """After ``POST /_mock/reset`` nothing is stored, nothing is pending,
    and the clock is back at its start.
    """
    start = api.clock()
    assert start["clock"] == "manual"
    assert start["pending_changes"] == 0
    batch = api.create_batch()
    run = api.seed_run()
    job = api.seed_job()
    api.advance(0.5)
    assert api.clock()["pending_changes"] > 0
    api.advance(1_000)
    api.reset()
    assert api.clock() == start
    for path in ("/v1/messages/batches", "/v1/runs/", JOBS, "/v1/runs/active", "/v1/jobs/active"):
        assert api.get_list(path) == [], path
    for path in (f"/v1/messages/batches/{batch['id']}", f"/v1/runs/{run['id']}", f"/v1/jobs/{job['id']}"):
        assert api.http.get(path).status_code == 404, path


def test_reset_makes_ids_repeat(api: MockApi) -> None:
    """The id generator is re-seeded by a reset: the same calls give the same ids and times again."""
    first = (api.create_batch(), api.seed_run(), api.seed_job())
    api.reset()
    again = (api.create_batch(), api.seed_run(), api.seed_job())
    assert again == first


def test_clock_reports_time_and_pending_changes(api: MockApi) -> None:
    """``GET /_mock/clock`` gives the kind, the time as text and epoch, and how many changes are scheduled."""
    before = api.clock()
    assert before["now"] == stamp(before["epoch"])
    api.create_batch()
    assert api.clock()["pending_changes"] > 0
    after = api.obj(api.http.post("/_mock/clock/advance", json={"seconds": 2.5}))
    assert after == {
        "clock": "manual",
        "now": stamp(before["epoch"] + 2.5),
        "epoch": before["epoch"] + 2.5,
        "pending_changes": 0,
        "callbacks": {"triggered": 0, "pending": 0, "waited": True},
    }


@pytest.mark.parametrize(
    ("path", "payload", "loc", "kind"),
    [
        ("/_mock/clock/advance", {"seconds": -1}, ["body", "seconds"], "greater_than_equal"),
        ("/_mock/clock/advance", {"seconds": "soon"}, ["body", "seconds"], None),
        ("/_mock/clock/advance", {}, ["body", "seconds"], "missing"),
        ("/_mock/clock/advance", {"seconds": 1, "minutes": 1}, ["body", "minutes"], "extra_forbidden"),
        ("/_mock/runs", {}, ["body", "agent_id"], "missing"),
        ("/_mock/runs", {"agent_id": AGENT_A, "colour": "red"}, ["body", "colour"], "extra_forbidden"),
        ("/_mock/runs", {"agent_id": AGENT_A, "status": "pending"}, ["body", "status"], None),
        ("/_mock/runs", {"agent_id": AGENT_A, "id": "run-1"}, ["body", "id"], None),
        ("/_mock/jobs", {"status": "done"}, ["body", "status"], None),
        ("/_mock/jobs", {"flavour": "plain"}, ["body", "flavour"], "extra_forbidden"),
    ],
)
def test_control_payload_errors_are_422(
    api: MockApi, path: str, payload: dict[str, Any], loc: list[Any], kind: str | None
) -> None:
    """Control payloads are validated like API bodies: 422 with ``detail`` items at the offending ``loc``."""
    response = api.http.post(path, json=payload)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [p["loc"] for p in problems] == [loc] * len(problems)
    if kind is not None:
        assert kind in {p["type"] for p in problems}
    assert api.clock()["pending_changes"] == 0


@pytest.mark.parametrize("raw", [b"", b"{not json"])
def test_control_payload_that_is_not_json_is_422(api: MockApi, raw: bytes) -> None:
    """A missing or malformed JSON body is a 422 at ``body``."""
    response = api.http.post(
        "/_mock/clock/advance", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_advancing_a_system_clock_server_is_409(server_factory: ServerFactory) -> None:
    """A stateful server on the system clock refuses to be advanced, and says how to get a manual clock."""
    server = server_factory(mode="stateful")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/_mock/clock").json()["clock"] == "system"
        response = http.post("/_mock/clock/advance", json={"seconds": 1})
    assert response.status_code == 409
    assert "--clock manual" in response.json()["detail"]
