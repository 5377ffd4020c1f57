"""Batches held compactly (items and messages derived when read) still snapshot and restore whole,
including snapshots whose item and message ids were not derived (written by an older server)."""

from __future__ import annotations

import copy
from typing import Any

from .conftest import AGENT_A, AGENT_B, JOB_DURATION, MockApi, batch_request

BATCHES = "/v1/messages/batches"
OLD_ITEM = "batch_item-00000000-0000-4000-8000-00000000000a"
OLD_MESSAGE = "message-00000000-0000-4000-8000-00000000000b"


def _messages(api: MockApi, batch_id: str) -> list[dict[str, Any]]:
    body = api.obj(api.http.get(f"{BATCHES}/{batch_id}/messages", params={"order": "asc"}))
    messages: list[dict[str, Any]] = body["messages"]
    return messages


def _state(api: MockApi) -> dict[str, Any]:
    return api.obj(api.http.get("/_mock/state"))


def test_a_snapshot_holds_what_a_batch_holds_and_restores_it_exactly(api: MockApi) -> None:
    batch = api.create_batch(batch_request(AGENT_A, "one"), batch_request(AGENT_B, "two"))
    api.advance(1.2)  # running, the first item answered
    state = _state(api)
    assert state["version"] == 2
    (job,) = state["jobs"]
    assert [item[:2] for item in job["items"]] == [[AGENT_A, "one"], [AGENT_B, "two"]]
    assert (job["ran"], job["answered"], "messages" in job) == (True, 1, False)  # messages are derived
    running = _messages(api, batch["id"])
    assert [m["role"] for m in running] == ["user", "user", "assistant"]

    api.advance(JOB_DURATION)
    finished = _messages(api, batch["id"])
    api.obj(api.http.put("/_mock/state", json=state))
    assert _state(api) == state
    assert _messages(api, batch["id"]) == running
    api.advance(JOB_DURATION)
    assert _messages(api, batch["id"]) == finished


_BODY_FIELDS = (
    *("id", "job_type", "status", "stop_reason", "created_at", "updated_at", "completed_at"),
    *("total_duration_ns", "callback_url", "callback_sent_at", "callback_status_code", "callback_error"),
    *("metadata", "agent_id", "background"),
)


def _as_version_1(api: MockApi, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` as a server before snapshot version 2 wrote it: every item and message written out."""
    older = copy.deepcopy(state)
    older["version"] = 1
    for index, job in enumerate(state["jobs"]):
        messages = _messages(api, job["id"])
        item_ids = [m["batch_item_id"] for m in messages if m["role"] == "user"]
        older["jobs"][index] = {
            **{key: job[key] for key in ("created", "duration", "final_status", "final_stop_reason")},
            "body": {key: job[key] for key in _BODY_FIELDS},
            "items": [
                {
                    "id": item_id,
                    "agent_id": agent,
                    "user_text": text,
                    "finish_at": 0.0,
                    "done": number < job["answered"],
                    "outcome": outcome or {},
                }
                for number, (item_id, (agent, text, outcome)) in enumerate(
                    zip(item_ids, job["items"], strict=True)
                )
            ],
            "messages": [{"id": m["id"], "seq": seq, "body": m} for seq, m in enumerate(messages, 1)],
        }
    return older


def test_an_older_snapshot_keeps_its_own_ids(api: MockApi) -> None:
    batch = api.create_batch(batch_request(AGENT_A, "one"))
    api.advance(0.5)
    older = _as_version_1(api, _state(api))
    (job,) = older["jobs"]
    job["items"][0]["id"] = OLD_ITEM
    (user,) = job["messages"]
    user["id"] = user["body"]["id"] = OLD_MESSAGE
    user["body"]["batch_item_id"] = OLD_ITEM

    api.obj(api.http.put("/_mock/state", json=older))
    (message,) = _messages(api, batch["id"])
    assert (message["id"], message["batch_item_id"]) == (OLD_MESSAGE, OLD_ITEM)
    api.advance(JOB_DURATION)
    user_again, reply = _messages(api, batch["id"])
    assert user_again == message
    assert reply["batch_item_id"] == OLD_ITEM
    assert reply["id"] not in (OLD_MESSAGE, message["id"])
    assert _state(api)["jobs"][0]["renamed"]  # written as version 2 from now on, its own ids kept


def test_restored_batches_share_what_created_ones_share() -> None:
    # What every batch holds alike is one object however many batches are restored: 100k restored
    # batches held ~2.0M objects where as many created held 1.2M before this was so.
    import orjson

    from mockserver._simulation.clock import ManualClock
    from mockserver._simulation.jobs import BATCH_METADATA
    from mockserver._simulation.simulation import Simulation
    from mockserver._simulation.snapshot import restore, snapshot

    made = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    for agent in (AGENT_A, AGENT_B):
        made.create_batch([{"agent_id": agent, "input": "hi"}], None)
    made.clock.advance(60)
    made.settle()
    restored = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    # Through bytes, as a PUT's payload arrives: every string a new object.
    restore(restored, orjson.loads(orjson.dumps(snapshot(made))))
    first, second = restored.batches
    assert first.status == second.status == "completed"
    assert first.status is second.status
    assert first.job_type is second.job_type
    assert first.final_status is second.final_status
    assert first.metadata is BATCH_METADATA
    assert second.metadata is BATCH_METADATA
    assert first.completed_at is first.updated_at
