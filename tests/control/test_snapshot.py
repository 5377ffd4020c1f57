"""Snapshot and restore (``GET``/``PUT /_mock/state``): a restored server continues exactly where it was."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mockserver import MockServer
from mockserver._simulation.clock import ManualClock
from mockserver._simulation.simulation import Simulation
from mockserver._simulation.snapshot import restore, snapshot

from .support import AGENT_X, AGENT_Y, BATCHES, batch, batch_messages, create_batch, ids, ok, run

Observed = dict[str, Any]


def _observe(http: httpx.Client, batch_id: str, run_id: str) -> Observed:
    """Everything the API tells about one batch and one run."""
    return {
        "batch": batch(http, batch_id),
        "batch_messages": batch_messages(http, batch_id),
        "run": run(http, run_id),
        "run_messages": ok(http.get(f"/v1/runs/{run_id}/messages", params={"order": "asc"})),
        "steps": ok(http.get(f"/v1/runs/{run_id}/steps", params={"order": "asc"})),
        "usage": ok(http.get(f"/v1/runs/{run_id}/usage")),
        "batches": ids(http, BATCHES),
        "runs": ids(http, "/v1/runs/"),
    }


def _midway(server: MockServer, http: httpx.Client) -> tuple[str, str]:
    """A two-item batch with one item answered and a run with two of its three messages."""
    created = create_batch(http, AGENT_X, AGENT_Y)
    seeded = server.seed_run(agent_id=AGENT_X)
    server.add_scenario({"next_batches": 2}, status="failed")
    server.advance(1.1)  # the first of two items answers at 1.05 s, halfway through running
    assert batch(http, created["id"])["status"] == "running"
    assert len(batch_messages(http, created["id"])) == 3  # two questions, one answer
    assert run(http, seeded["id"])["status"] == "running"
    assert len(ok(http.get(f"/v1/runs/{seeded['id']}/messages"))) == 2
    return created["id"], seeded["id"]


def test_restore_brings_back_the_snapshot_and_the_future_it_had(
    server: MockServer, http: httpx.Client
) -> None:
    batch_id, run_id = _midway(server, http)
    state = server.snapshot()
    assert ok(http.get("/_mock/state")) == state
    server.advance(5)
    would_have = _observe(http, batch_id, run_id)
    assert would_have["batch"]["status"] == "completed"
    assert would_have["run"]["status"] == "completed"

    server.restore(state)
    create_batch(http, AGENT_Y)  # uses up one of the two scripted batches
    server.seed_run(agent_id=AGENT_Y)
    server.seed_job()
    server.add_scenario({"agent_id": AGENT_X}, status="failed", stop_reason="llm_api_error")
    server.advance(3)
    assert len(ids(http, BATCHES)) == 2

    server.restore(state)

    assert server.snapshot() == state
    assert ids(http, BATCHES) == [batch_id]
    assert ids(http, "/v1/runs/") == [run_id]
    assert ids(http, "/v1/jobs/") == []
    assert [(s["match"], s["remaining"]) for s in server.scenarios()] == [({"next_batches": 2}, 2)]
    server.advance(5)
    assert _observe(http, batch_id, run_id) == would_have


def test_put_state_over_http_answers_the_restored_state(server: MockServer, http: httpx.Client) -> None:
    _midway(server, http)
    state = ok(http.get("/_mock/state"))
    server.advance(5)

    assert ok(http.put("/_mock/state", json=state)) == state
    assert server.clock()["epoch"] == state["clock"]["now"]


def test_put_state_preferring_a_minimal_return_restores_and_answers_204(
    server: MockServer, http: httpx.Client
) -> None:
    _midway(server, http)
    state = ok(http.get("/_mock/state"))
    server.advance(5)
    assert ok(http.get("/_mock/state")) != state

    answer = http.put("/_mock/state", json=state, headers={"Prefer": "return=minimal"})

    assert (answer.status_code, answer.content) == (204, b"")
    assert answer.headers["preference-applied"] == "return=minimal"
    assert ok(http.get("/_mock/state")) == state
    bad = http.put("/_mock/state", json={**state, "version": 3}, headers={"Prefer": "return=minimal"})
    assert bad.status_code == 422  # refused as without the preference
    assert ok(http.get("/_mock/state")) == state


def test_snapshot_keeps_what_is_left_of_a_next_n_rule(server: MockServer, http: httpx.Client) -> None:
    server.add_scenario({"next_batches": 2}, status="failed")
    create_batch(http, AGENT_X)
    state = server.snapshot()
    assert state["scenarios"] == [{"match": {"next_batches": 1}, "status": "failed"}]

    server.restore(state)
    [rule] = server.scenarios()
    assert rule["remaining"] == 1
    last = create_batch(http, AGENT_X)
    after = create_batch(http, AGENT_X)
    server.advance(2)

    assert batch(http, last["id"])["status"] == "failed"
    assert batch(http, after["id"])["status"] == "completed"


def test_ids_after_a_restore_are_the_ones_the_snapshot_would_have_given(
    server: MockServer, http: httpx.Client
) -> None:
    create_batch(http, AGENT_X)
    state = server.snapshot()
    next_batch = create_batch(http, AGENT_X)["id"]
    next_run = server.seed_run(agent_id=AGENT_X)["id"]

    server.restore(state)

    assert create_batch(http, AGENT_X)["id"] == next_batch
    assert server.seed_run(agent_id=AGENT_X)["id"] == next_run


Breaker = Callable[[dict[str, Any]], None]


def _set(path: tuple[str | int, ...], value: Any) -> Breaker:
    def breaker(state: dict[str, Any]) -> None:
        target: Any = state
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return breaker


def _delete(path: tuple[str | int, ...]) -> Breaker:
    def breaker(state: dict[str, Any]) -> None:
        target: Any = state
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return breaker


NOT_OURS = "snapshot is not one this server wrote: "
BAD_SNAPSHOTS: list[tuple[str, Breaker, int, Any]] = [
    # What the schema refuses is a 422 like any invalid payload ...
    (
        "version",
        _set(("version",), 3),
        422,
        [
            {
                "loc": ["body", "version"],
                "msg": "Input should be 1 or 2",
                "type": "enum",
                "ctx": {"expected": "1 or 2"},
            }
        ],
    ),
    (
        "no runs",
        _delete(("runs",)),
        422,
        [{"loc": ["body", "runs"], "msg": "Field required", "type": "missing"}],
    ),
    # ... and a schema-valid payload that is no snapshot of this server a 400.
    (
        "rng of the wrong size",
        _set(("rng",), [3, [1, 2], None]),
        400,
        NOT_OURS + "ValueError: state vector is the wrong size",
    ),
    (
        "job without job_type",
        _delete(("jobs", 0, "job_type")),
        400,
        NOT_OURS + "KeyError: 'job_type'",
    ),
    ("run without agent", _delete(("runs", 0, "body", "agent_id")), 400, NOT_OURS + "KeyError: 'agent_id'"),
    (
        "item outcome not an object",
        _set(("jobs", 0, "items", 0, 2), 5),
        400,
        NOT_OURS + "TypeError: 'int' object is not iterable",
    ),
    (
        "run of an unknown status",
        _set(("runs", 0, "body", "status"), "bogus"),
        400,
        NOT_OURS + "ValueError: run {run_id!r} has an unknown status 'bogus'",
    ),
]


@pytest.mark.parametrize(
    ("breaker", "status", "detail"),
    [(breaker, status, detail) for _, breaker, status, detail in BAD_SNAPSHOTS],
    ids=[name for name, _, _, _ in BAD_SNAPSHOTS],
)
def test_a_bad_snapshot_is_refused_and_changes_nothing(
    server: MockServer, http: httpx.Client, breaker: Breaker, status: int, detail: Any
) -> None:
    batch_id, run_id = _midway(server, http)
    state = server.snapshot()
    seen = _observe(http, batch_id, run_id)
    bad = copy.deepcopy(state)
    breaker(bad)

    expected = detail.format(run_id=run_id) if isinstance(detail, str) else detail
    assert ok(http.put("/_mock/state", json=bad), status) == {"detail": expected}

    assert server.snapshot() == state
    assert _observe(http, batch_id, run_id) == seen


def test_a_snapshot_restored_on_a_clock_that_started_later_resumes_at_its_own_time() -> None:
    """A server started after the snapshot was taken (``--state`` on a later day) goes back to the
    snapshot's time instead of finishing, at once, everything that was still to happen."""
    taken_on = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    job = taken_on.create_batch(
        [{"agent_id": AGENT_X, "messages": [{"role": "user", "content": "hi"}]}], None
    )
    taken_on.clock.advance(1.0)
    taken_on.settle()
    state = snapshot(taken_on)
    later = Simulation(ManualClock(1_800_000_000.0), max_records=0)
    restore(later, copy.deepcopy(state))
    later.settle()
    assert later.now() == 1_700_000_001.0
    assert later.jobs[job.id].status == "running"
    assert snapshot(later) == state
