"""Edges found in review: resets during streams, finished seeds, caps and clock limits."""

from __future__ import annotations

import math
import threading

import httpx
import pytest

from mockserver import MockServer
from mockserver._simulation.clock import ManualClock

from .conftest import AGENT_A, MockApi, batch_request


def test_a_reset_ends_a_stream_that_follows_a_run(api: MockApi, manual_server: MockServer) -> None:
    run = api.seed_run()
    chunks: list[str] = []

    def follow() -> None:
        with (
            httpx.Client(base_url=manual_server.url, timeout=10) as http,
            http.stream("POST", f"/v1/runs/{run['id']}/stream", json={}) as response,
        ):
            chunks.extend(response.iter_text())

    reader = threading.Thread(target=follow)
    reader.start()
    reader.join(0.3)  # the stream is open and waiting for the clock
    api.reset()
    reader.join(10)
    assert not reader.is_alive(), "the stream kept waiting after the reset"
    assert "data: [DONE]" in "".join(chunks)


def test_a_run_seeded_as_finished_never_finished_in_the_future(api: MockApi) -> None:
    now = api.now()
    created_at = api.clock()["now"]
    run = api.seed_run(status="completed", created_at=created_at)
    assert run["completed_at"] == created_at
    assert run["total_duration_ns"] == 0
    assert api.now() == now


def test_a_job_seeded_as_finished_has_lived_its_duration(api: MockApi) -> None:
    now = api.now()
    job = api.seed_job(status="completed")
    assert job["total_duration_ns"] == 2_000_000_000
    assert job["completed_at"] == api.clock()["now"]
    assert api.now() == now


def test_the_active_runs_route_returns_at_most_100(api: MockApi) -> None:
    for _ in range(105):
        api.seed_run()
    assert len(api.get_list("/v1/runs/active")) == 100
    assert len(api.get_list("/v1/runs/", active="true", limit=1000)) == 105


def test_cancelling_a_batch_through_the_jobs_route_sets_completed_at(api: MockApi) -> None:
    through_jobs = api.create_batch(batch_request(AGENT_A, "hi"))
    through_batches = api.create_batch(batch_request(AGENT_A, "hi"))
    cancelled = api.obj(api.http.patch(f"/v1/jobs/{through_jobs['id']}/cancel"))
    assert cancelled["status"] == "cancelled"
    assert cancelled["completed_at"] == api.clock()["now"]
    assert api.ok(api.http.patch(f"/v1/messages/batches/{through_batches['id']}/cancel")) is None
    assert api.batch(through_batches["id"])["completed_at"] is None


@pytest.mark.parametrize("seconds", [math.inf, -math.inf, math.nan, -1.0])
def test_the_manual_clock_refuses_what_no_timestamp_could_show(seconds: float) -> None:
    clock = ManualClock(start=1_000.0)
    with pytest.raises(ValueError, match="finite, non-negative"):
        clock.advance(seconds)
    assert clock.now() == 1_000.0
