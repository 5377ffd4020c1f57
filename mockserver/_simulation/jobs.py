"""Jobs and batches, held compactly: a few slots per record, wire bodies rendered when read.

A finished one-request batch used to keep ~5.5 KiB (its body and two message bodies as dicts, the
item as an object with a dict). It now keeps its scalars, its timestamps as text (written once, at
the transition) and, per request, one tuple ``(agent_id, user text, scripted outcome)``. Everything
else a batch shows is a function of those and of the batch's seeded id: item and message ids are
derived (``wire.derived_id``), an item's user message appears when the batch ran, its reply at its
finish time once ``answered`` counts it, since items finish in order. Measured in bench/memory.py.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from mockserver._simulation import lifecycle
from mockserver._simulation.index import Collection
from mockserver._simulation.schedule import RUNNING_SHARE
from mockserver._simulation.wire import (
    DEFAULT_USER,
    MessageRecord,
    derived_id,
    internal_message,
    ns,
    stamp,
)

Item = tuple[str, str, Mapping[str, Any] | None]
"""One request of a batch: its agent, its user text, and what a scenario scripted for it (if anything)."""

BATCH_METADATA: Mapping[str, Any] = {"job_type": "batch_messages"}


def item_finish(created: float, duration: float, count: int, index: int) -> float:
    """When item ``index`` of ``count`` finishes: spread evenly over the batch's own ``running`` interval,
    the last one at its end, so no item can answer before the batch runs (nor before its user message).
    """
    end = created + duration
    if index >= count - 1:
        return end
    running = created + duration * RUNNING_SHARE
    return running + (end - running) * (index + 1) / count


def fails(outcome: Mapping[str, Any] | None) -> bool:
    if not outcome:
        return False
    return outcome.get("status") in ("failed", "expired") or (
        outcome.get("stop_reason") is not None
        and lifecycle.STOP_REASON_STATUS.get(outcome["stop_reason"]) == "failed"
    )


def reply_of(item: Item) -> tuple[str, bool]:
    """An item's answer and whether it is an error, from what was scripted for it."""
    agent_id, user_text, outcome = item
    if outcome and fails(outcome):
        return f"Error: the agent stopped ({outcome.get('stop_reason', 'error')}).", True
    reply = (outcome or {}).get("reply")
    return str(reply or f"Hello! This is {agent_id[:14]} replying to: {user_text[:60]}"), False


class JobRecord:
    """A job of any type: batches (``job_type == "batch"``) and generic jobs share one id space."""

    __slots__ = (
        "agent_id",
        "answered",
        "background",
        "callback_error",
        "callback_sent_at",
        "callback_status_code",
        "callback_url",
        "completed_at",
        "created",
        "created_at",
        "duration",
        "final_status",
        "final_stop_reason",
        "id",
        "items",
        "job_type",
        "metadata",
        "ran",
        "renamed",
        "status",
        "stop_reason",
        "total_duration_ns",
        "unpolled",
        "updated_at",
    )

    def __init__(
        self,
        job_id: str,
        created: float,
        *,
        job_type: str,
        duration: float = 0.0,
        final_status: str = "completed",
        callback_url: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        agent_id: str | None = None,
        background: bool | None = False,
        items: list[Item] | None = None,
    ) -> None:
        self.id = job_id
        self.created = created
        self.job_type = job_type
        self.created_at = self.updated_at = stamp(created)
        self.completed_at: str | None = None
        self.status = "created"
        self.stop_reason: str | None = None
        self.total_duration_ns: int | None = None
        self.metadata = metadata
        self.background = background
        self.agent_id = agent_id
        self.callback_url = callback_url
        self.callback_sent_at: str | None = None
        self.callback_status_code: int | None = None
        self.callback_error: str | None = None
        self.final_status = final_status
        self.final_stop_reason: str | None = None
        self.duration = duration
        self.items: list[Item] = items if items is not None else []
        self.ran = False
        """The batch started running (its items' user messages exist)."""
        self.answered = 0
        """How many items have answered: always the first ones, as items finish in order."""
        self.unpolled = False
        """A batch nothing will finish: the real server with batch polling off (its default) leaves
        it running; only a scenario scripting its end finishes it (``Simulation.apply_scenario``)."""
        self.renamed: dict[str, str] | None = None
        """Derived id -> id a restored snapshot gave it (snapshots written before ids were derived)."""

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ns(self.created), self.id)

    @property
    def body(self) -> dict[str, Any]:
        """The wire body (``Job`` / ``BatchJob``), rendered anew: changing it changes nothing."""
        return {
            "created_by_id": DEFAULT_USER,
            "last_updated_by_id": DEFAULT_USER,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "status": self.status,
            "completed_at": self.completed_at,
            "stop_reason": self.stop_reason,
            "metadata": None if self.metadata is None else dict(self.metadata),
            "job_type": self.job_type,
            "background": self.background,
            "agent_id": self.agent_id,
            "callback_url": self.callback_url,
            "callback_sent_at": self.callback_sent_at,
            "callback_status_code": self.callback_status_code,
            "callback_error": self.callback_error,
            "ttft_ns": None,
            "total_duration_ns": self.total_duration_ns,
            "id": self.id,
        }

    def record_callback(self, sent_at: str, status_code: int | None, error: str | None) -> None:
        self.callback_sent_at, self.callback_status_code, self.callback_error = sent_at, status_code, error

    # -- a batch's items and messages, derived -----------------------------------------------

    def _name(self, derived: str) -> str:
        return derived if self.renamed is None else self.renamed.get(derived, derived)

    def item_id(self, index: int) -> str:
        return self._name(derived_id("batch_item", f"{self.id}/{index}"))

    def message_id(self, index: int, role: str) -> str:
        return self._name(derived_id("message", f"{self.id}/{index}/{role}"))

    def item_finish(self, index: int) -> float:
        return item_finish(self.created, self.duration, len(self.items), index)

    def item_ids(self) -> list[str]:
        return [self.item_id(index) for index in range(len(self.items))]

    def message_keys(self) -> list[tuple[int, str]]:
        """``(item index, role)`` of each message there is, oldest first (what ``message_list`` renders)."""
        if not self.ran:
            return []
        users = [(index, "user") for index in range(len(self.items))]
        return users + [(index, "assistant") for index in range(self.answered)]

    def message_list(self, item_ids: list[str] | None = None) -> list[MessageRecord]:
        """The batch's messages, oldest first: every user message when it ran, then each answer."""
        if not self.ran or not self.items:
            return []
        item_ids = item_ids or self.item_ids()
        count = len(self.items)
        running = stamp(self.created + self.duration * RUNNING_SHARE)
        found = []
        for index, (agent_id, user_text, _) in enumerate(self.items):
            found.append(self._message(index, "user", agent_id, user_text, running, index + 1, item_ids))
        for index in range(self.answered):
            text, error = reply_of(self.items[index])
            at = stamp(self.item_finish(index))
            agent_id = self.items[index][0]
            message = self._message(index, "assistant", agent_id, text, at, count + index + 1, item_ids)
            if error:
                message.body["is_err"] = True
            found.append(message)
        return found

    @property
    def messages(self) -> Collection[MessageRecord]:
        collection: Collection[MessageRecord] = Collection()
        for message in self.message_list():
            collection.add(message)
        return collection

    def _message(
        self, index: int, role: str, agent_id: str, text: str, at: str, seq: int, item_ids: list[str]
    ) -> MessageRecord:
        message_id = self.message_id(index, role)
        body = internal_message(
            message_id, agent_id=agent_id, role=role, text=text, at=at, batch_item_id=item_ids[index]
        )
        return MessageRecord(message_id, seq, body)


def new_item(agent_id: str, user_text: str, outcome: Mapping[str, Any] | None) -> Item:
    # Agent ids repeat across batches: one string each instead of one per request.
    return (sys.intern(agent_id), user_text, dict(outcome) if outcome else None)
