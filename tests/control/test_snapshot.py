"""Snapshot and restore (``GET``/``PUT /_mock/state``): a restored server continues exactly where it was."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from mockserver import MockServer
from mockserver._simulation.clock import ManualClock
from mockserver._simulation.jobs import JobRecord
from mockserver._simulation.simulation import Simulation
from mockserver._simulation.snapshot import SnapshotError, restore, snapshot

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

    answer = http.put("/_mock/state", json=state)

    assert ok(answer) == state
    assert answer.content == http.get("/_mock/state").content  # the same bytes as a GET after it
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


def _one_batch_state() -> dict[str, Any]:
    sim = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    sim.create_batch([{"agent_id": AGENT_X, "messages": [{"role": "user", "content": "hi"}]}], None)
    state: dict[str, Any] = orjson.loads(orjson.dumps(snapshot(sim)))  # as a client holds it: no tuples
    return state


def test_a_job_is_written_with_each_of_its_slots_and_restored_from_each_of_them() -> None:
    """Snapshots spell a job's slots out (``_job_slots``, ``_job_v2``): none forgotten, none swapped."""
    state = _one_batch_state()
    [job] = state["jobs"]
    assert list(job) == list(JobRecord.__slots__)
    job_id = "job-00000000-0000-4000-8000-00000000abcd"
    distinct: dict[str, Any] = {
        "agent_id": AGENT_Y,
        "answered": 1,
        "background": True,
        "callback_error": "connection refused",
        "callback_sent_at": "2023-11-14T22:13:23Z",
        "callback_status_code": 503,
        "callback_url": "http://127.0.0.1:9/callback",
        "completed_at": "2023-11-14T22:13:22Z",
        "created": 1_700_000_000.5,
        "created_at": "2023-11-14T22:13:20.500000Z",
        "duration": 2.5,
        "final_status": "failed",
        "final_stop_reason": "error",
        "id": job_id,
        "items": [[AGENT_X, "first", None], [AGENT_Y, "second", {"reply": "scripted"}]],
        "job_type": "batch",
        "metadata": {"job_type": "batch_messages", "mine": 7},
        "ran": True,
        "renamed": {"message-a": "message-b"},
        "status": "failed",
        "stop_reason": "llm_api_error",
        "total_duration_ns": 2_500_000_000,
        "unpolled": False,
        "updated_at": "2023-11-14T22:13:22.500000Z",
    }
    assert list(distinct) == list(job)
    job.update(distinct)
    sim = Simulation(ManualClock(1.0), max_records=0)

    restore(sim, copy.deepcopy(state))

    assert orjson.loads(orjson.dumps(snapshot(sim))) == state
    restored = sim.jobs[job_id]
    assert restored.items[1] == (AGENT_Y, "second", {"reply": "scripted"})


@pytest.mark.parametrize("slot", JobRecord.__slots__)
def test_a_job_without_one_of_its_slots_is_refused(slot: str) -> None:
    state = _one_batch_state()
    del state["jobs"][0][slot]
    sim = Simulation(ManualClock(1.0), max_records=0)
    before = snapshot(sim)

    with pytest.raises(SnapshotError, match=f"^snapshot is not one this server wrote: KeyError: '{slot}'$"):
        restore(sim, state)
    assert snapshot(sim) == before


_PAUSED_PUT = textwrap.dedent(
    """
    import gc, sys
    import httpx, orjson
    from mockserver import MockServer
    from mockserver._simulation import gc_freeze
    from mockserver._simulation.clock import ManualClock
    from mockserver._simulation.simulation import Simulation
    from mockserver._simulation.snapshot import snapshot

    source = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    for n in range(20_000):
        request = {"agent_id": sys.argv[2], "messages": [{"role": "user", "content": str(n)}]}
        source.create_batch([request], None)
    body = orjson.dumps(snapshot(source))
    del source
    with MockServer(clock="manual", max_records=0) as server:
        if sys.argv[1] == "armed":
            gc_freeze.arm()  # as serve() does in a process of its own
        with httpx.Client(base_url=server.url, timeout=120) as http:
            full = gc.get_stats()[2]["collections"]
            answer = http.put("/_mock/state", content=body, headers={"content-type": "application/json"})
            full = gc.get_stats()[2]["collections"] - full
    gc.disable()
    with gc_freeze.paused():
        pass
    print(answer.status_code, answer.content == body, full, gc.isenabled())
    """
)


@pytest.mark.parametrize("armed", [True, False], ids=["server-process", "embedded"])
def test_a_server_process_restores_a_large_state_without_rescanning_it(armed: bool) -> None:
    """``gc_freeze.paused``: no full collection while a 20k-record snapshot is parsed, restored and written
    back in a process the mock owns; in one it shares (a test run, an application) the collector is left
    alone, and it is never turned on by the mock where someone else turned it off."""
    mode = "armed" if armed else "embedded"
    done = subprocess.run(
        [sys.executable, "-c", _PAUSED_PUT, mode, AGENT_X], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    status, same, full, enabled = done.stdout.split()
    assert (status, same, enabled) == ("200", "True", "False")
    assert (int(full) == 0) is armed, f"{full} full collections during the PUT"
