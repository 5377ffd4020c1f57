"""Scenarios: scripted outcomes for runs, batches and jobs, by agent, by id, or for the next N."""

from __future__ import annotations

import httpx
import pytest
from letta_client import Letta

from mockserver import MockServer
from mockserver._running.controls import ControlError

from .support import (
    AGENT_X,
    AGENT_Y,
    JOB_DURATION,
    batch,
    batch_messages,
    create_batch,
    ok,
    run,
    stamp,
    text_of,
)

RUN_ID = "run-2f0c5b8e-3d7a-4c1b-9e6f-8a7b6c5d4e3f"


def test_agent_rule_fails_that_agents_seeded_runs_and_not_the_others(
    server: MockServer, http: httpx.Client, sdk: Letta
) -> None:
    server.add_scenario({"agent_id": AGENT_X}, status="failed", stop_reason="llm_api_error")
    x = server.seed_run(agent_id=AGENT_X)
    y = server.seed_run(agent_id=AGENT_Y)
    assert (x["status"], y["status"]) == ("created", "created")

    server.advance(JOB_DURATION)

    x_run, y_run = run(http, x["id"]), run(http, y["id"])
    assert (x_run["status"], x_run["stop_reason"]) == ("failed", "llm_api_error")
    assert (y_run["status"], y_run["stop_reason"]) == ("completed", "end_turn")
    failed = sdk.runs.list(statuses=["failed"])
    assert [one.id for one in failed] == [x["id"]]
    assert failed.items[0].stop_reason == "llm_api_error"


def test_agent_rule_in_a_batch_with_both_agents_makes_only_that_agents_item_an_error(
    server: MockServer, http: httpx.Client
) -> None:
    server.add_scenario({"agent_id": AGENT_X}, status="failed", stop_reason="llm_api_error")
    created = create_batch(http, AGENT_X, AGENT_Y)

    server.advance(JOB_DURATION)

    assert batch(http, created["id"])["status"] == "completed"
    replies = {m["agent_id"]: m for m in batch_messages(http, created["id"]) if m["role"] == "assistant"}
    assert set(replies) == {AGENT_X, AGENT_Y}
    assert replies[AGENT_X]["is_err"] is True
    assert text_of(replies[AGENT_X]) == "Error: the agent stopped (llm_api_error)."
    assert replies[AGENT_Y]["is_err"] is None
    assert (
        text_of(replies[AGENT_Y]) == "Hello! This is agent-11111111 replying to: question for agent-11111111"
    )


def test_agent_rule_reply_replaces_the_generated_answer(server: MockServer, http: httpx.Client) -> None:
    server.add_scenario({"agent_id": AGENT_Y}, reply="Forty-two.")
    created = create_batch(http, AGENT_X, AGENT_Y)

    server.advance(JOB_DURATION)

    replies = {
        m["agent_id"]: text_of(m) for m in batch_messages(http, created["id"]) if m["role"] == "assistant"
    }
    assert replies[AGENT_Y] == "Forty-two."
    assert replies[AGENT_X].startswith("Hello! This is agent-0a1b2c3d")


def test_next_batch_rule_expires_one_batch_after_its_duration_and_the_following_completes(
    server: MockServer, http: httpx.Client
) -> None:
    added = server.add_scenario({"next_batches": 1}, status="expired", duration=10)
    assert added["remaining"] == 1
    start = server.clock()["epoch"]
    expiring = create_batch(http, AGENT_X)
    following = create_batch(http, AGENT_X)
    assert server.scenarios() == []  # used up by the first batch

    server.advance(JOB_DURATION)
    assert batch(http, expiring["id"])["status"] == "running"
    assert batch(http, following["id"])["status"] == "completed"

    server.advance(10 - JOB_DURATION - 0.001)
    assert batch(http, expiring["id"])["status"] == "running"
    server.advance(0.001)
    expired = batch(http, expiring["id"])
    assert (expired["status"], expired["completed_at"]) == ("expired", stamp(start + 10))
    assert expired["total_duration_ns"] == 10_000_000_000


def test_batch_id_rule_changes_how_an_existing_batch_ends(server: MockServer, http: httpx.Client) -> None:
    created = create_batch(http, AGENT_X)
    other = create_batch(http, AGENT_X)
    server.advance(JOB_DURATION / 2)
    assert batch(http, created["id"])["status"] == "running"

    rule = server.add_scenario({"batch_id": created["id"]}, status="failed", stop_reason="error")
    server.advance(JOB_DURATION / 2)

    ended = batch(http, created["id"])
    assert (ended["status"], ended["stop_reason"]) == ("failed", None)  # never a batch-level reason
    assert batch(http, other["id"])["status"] == "completed"
    assert server.scenarios() == [rule]  # an id rule stays until cleared


def test_duration_moves_the_completion_time(server: MockServer, http: httpx.Client) -> None:
    server.add_scenario({"next_batches": 1}, duration=6)
    start = server.clock()["epoch"]
    created = create_batch(http, AGENT_X, AGENT_Y)

    server.advance(JOB_DURATION)
    assert batch(http, created["id"])["status"] == "running"
    assert [m["agent_id"] for m in batch_messages(http, created["id"]) if m["role"] == "assistant"] == []
    # The first of two items finishes halfway through the running interval (0.3 s to 6 s): 3.15 s.
    server.advance(1.2)
    assert [m["agent_id"] for m in batch_messages(http, created["id"]) if m["role"] == "assistant"] == [
        AGENT_X
    ]
    server.advance(2.8)

    done = batch(http, created["id"])
    assert (done["status"], done["completed_at"]) == ("completed", stamp(start + 6))


def test_next_runs_rule_with_duration_and_status(server: MockServer, http: httpx.Client) -> None:
    server.add_scenario({"next_runs": 1}, status="cancelled", duration=8)
    start = server.clock()["epoch"]
    scripted = server.seed_run(agent_id=AGENT_X)
    plain = server.seed_run(agent_id=AGENT_X)

    server.advance(JOB_DURATION)
    assert run(http, scripted["id"])["status"] == "running"
    assert run(http, plain["id"])["status"] == "completed"
    server.advance(6)

    ended = run(http, scripted["id"])
    assert (ended["status"], ended["stop_reason"], ended["completed_at"]) == (
        "cancelled",
        "cancelled",
        stamp(start + 8),
    )


def test_run_id_rule_applies_to_a_run_seeded_later_and_to_an_existing_one(
    server: MockServer, http: httpx.Client
) -> None:
    server.add_scenario({"run_id": RUN_ID}, stop_reason="max_tokens_exceeded")
    later = server.seed_run(id=RUN_ID, agent_id=AGENT_X)
    existing = server.seed_run(agent_id=AGENT_Y)
    server.add_scenario({"run_id": existing["id"]}, status="failed")

    server.advance(JOB_DURATION)

    assert (run(http, later["id"])["status"], run(http, later["id"])["stop_reason"]) == (
        "failed",
        "max_tokens_exceeded",
    )
    assert (run(http, existing["id"])["status"], run(http, existing["id"])["stop_reason"]) == (
        "failed",
        "error",
    )


def test_a_seed_that_says_how_the_run_ends_wins_over_the_agent_rule(
    server: MockServer, http: httpx.Client
) -> None:
    server.add_scenario({"agent_id": AGENT_X}, stop_reason="llm_api_error")

    finished = server.seed_run(agent_id=AGENT_X, status="completed")
    explicit = server.seed_run(agent_id=AGENT_X, stop_reason="max_steps")
    server.advance(JOB_DURATION)

    assert (finished["status"], finished["stop_reason"]) == ("completed", "end_turn")
    assert (run(http, explicit["id"])["status"], run(http, explicit["id"])["stop_reason"]) == (
        "completed",
        "max_steps",
    )


def test_next_jobs_rule_scripts_seeded_jobs(server: MockServer, http: httpx.Client) -> None:
    server.add_scenario({"next_jobs": 2}, status="failed")
    first, second, third = server.seed_job(), server.seed_job(), server.seed_job()

    server.advance(JOB_DURATION)

    statuses = [ok(http.get(f"/v1/jobs/{job['id']}"))["status"] for job in (first, second, third)]
    assert statuses == ["failed", "failed", "completed"]


@pytest.mark.parametrize("match", [{"run_id": RUN_ID}, {"next_runs": 1}])
def test_a_run_cannot_be_scripted_to_expire(
    server: MockServer, http: httpx.Client, match: dict[str, object]
) -> None:
    refused = http.post("/_mock/scenarios", json={"match": match, "status": "expired"})

    assert ok(refused, 400) == {
        "detail": "status: a run cannot expire (RunStatus has no 'expired'); use failed or cancelled"
    }
    with pytest.raises(ControlError, match="a run cannot expire"):
        server.add_scenario(match, status="expired")
    assert server.scenarios() == []


def test_cleared_scenarios_no_longer_apply(server: MockServer, http: httpx.Client) -> None:
    server.add_scenario({"agent_id": AGENT_X}, status="failed")
    server.clear_scenarios()
    seeded = server.seed_run(agent_id=AGENT_X)

    server.advance(JOB_DURATION)

    assert run(http, seeded["id"])["status"] == "completed"
