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


def test_a_snapshot_writes_items_and_messages_and_restores_them_exactly(api: MockApi) -> None:
    batch = api.create_batch(batch_request(AGENT_A, "one"), batch_request(AGENT_B, "two"))
    api.advance(1.2)  # running, the first item answered
    state = _state(api)
    (job,) = state["jobs"]
    assert [item["done"] for item in job["items"]] == [True, False]
    assert [m["body"]["role"] for m in job["messages"]] == ["user", "user", "assistant"]
    assert [m["body"] for m in job["messages"]] == _messages(api, batch["id"])
    assert job["messages"][2]["body"]["batch_item_id"] == job["items"][0]["id"]

    api.advance(JOB_DURATION)
    finished = _messages(api, batch["id"])
    api.obj(api.http.put("/_mock/state", json=state))
    assert _state(api) == state
    api.advance(JOB_DURATION)
    assert _messages(api, batch["id"]) == finished


def test_an_older_snapshot_keeps_its_own_ids(api: MockApi) -> None:
    batch = api.create_batch(batch_request(AGENT_A, "one"))
    api.advance(0.5)
    state = _state(api)
    older = copy.deepcopy(state)
    (job,) = older["jobs"]
    job["items"][0]["id"] = OLD_ITEM
    (user,) = job["messages"]
    user["id"] = user["body"]["id"] = OLD_MESSAGE
    user["body"]["batch_item_id"] = OLD_ITEM

    assert api.obj(api.http.put("/_mock/state", json=older)) == older
    (message,) = _messages(api, batch["id"])
    assert (message["id"], message["batch_item_id"]) == (OLD_MESSAGE, OLD_ITEM)
    api.advance(JOB_DURATION)
    user_again, reply = _messages(api, batch["id"])
    assert user_again == message
    assert reply["batch_item_id"] == OLD_ITEM
    assert reply["id"] not in (OLD_MESSAGE, message["id"])
