"""A Hypothesis state machine driving batches over HTTP against the manual-clock server.

Rules create, cancel, advance the clock, list and retrieve; a model predicts each batch's
status, timestamps and messages from the clock alone. Invariants: no batch is lost, statuses
only move along ``JOB_TRANSITIONS``, a terminal batch never changes again, and an SDK-style page
walk (``after=<last id>``, ``limit=3``, both orders) sees each stored batch exactly once.

``LETTA_MOCK_EXAMPLES`` raises the number of examples (default 15).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from budget import examples
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from mockserver import MockServer
from mockserver._simulation.lifecycle import JOB_TERMINAL, JOB_TRANSITIONS

from .conftest import AGENT_A, AGENT_B, AGENT_C, JOB_DURATION, RUNNING_AFTER, MockApi, batch_request, stamp

BATCHES = "/v1/messages/batches"
AGENTS = (AGENT_A, AGENT_B, AGENT_C)
EXAMPLES = examples(15)


class BatchModel:
    """What one batch should look like at a given time, from its creation and cancellation times."""

    def __init__(self, created: float, items: int) -> None:
        self.created = created
        self.items = items
        self.cancelled_at: float | None = None

    @property
    def running_at(self) -> float:
        return self.created + RUNNING_AFTER

    @property
    def end(self) -> float:
        return self.created + JOB_DURATION

    def finish_at(self, index: int) -> float:
        """Items finish evenly over the batch's running interval, the last one at its end."""
        if index == self.items - 1:
            return self.end
        return self.running_at + (self.end - self.running_at) * (index + 1) / self.items

    def changes(self) -> list[float]:
        """When something is scheduled to happen to this batch."""
        return [self.running_at, self.end, *(self.finish_at(index) for index in range(self.items))]

    def cancel(self, now: float) -> None:
        if self.cancelled_at is None and now < self.end:
            self.cancelled_at = now

    def status(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if now >= self.end:
            return "completed"
        return "running" if now >= self.running_at else "created"

    def expected(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        updated = {
            "created": self.created,
            "running": self.running_at,
            "completed": self.end,
            "cancelled": self.cancelled_at,
        }[status]
        assert updated is not None
        done = status == "completed"
        return {
            "status": status,
            "created_at": stamp(self.created),
            "updated_at": stamp(updated),
            "completed_at": stamp(self.end) if done else None,
            "total_duration_ns": 2_000_000_000 if done else None,
        }

    def roles(self, now: float) -> list[str]:
        """The roles of the batch's messages, oldest first."""
        until = now if self.cancelled_at is None else min(now, self.cancelled_at)
        if until < self.running_at:
            return []
        replies = sum(self.finish_at(index) <= until for index in range(self.items))
        return ["user"] * self.items + ["assistant"] * replies


class BatchMachine(RuleBasedStateMachine):
    base_url: ClassVar[str] = ""

    batches = Bundle("batches")

    def __init__(self) -> None:
        super().__init__()
        self.http = httpx.Client(base_url=self.base_url, timeout=10)
        self.api = MockApi(self.http)
        self.api.reset()
        self.now = self.api.now()
        self.models: dict[str, BatchModel] = {}
        self.last_status: dict[str, str] = {}
        self.frozen: dict[str, dict[str, Any]] = {}

    def teardown(self) -> None:
        self.http.close()

    def observe(self, body: dict[str, Any]) -> None:
        """Check one batch body against the model and against everything seen of it before."""
        batch_id = body["id"]
        model = self.models[batch_id]
        assert body["job_type"] == "batch"
        assert {key: body[key] for key in model.expected(self.now)} == model.expected(self.now)
        previous = self.last_status.get(batch_id)
        status = body["status"]
        if previous is not None and previous != status:
            assert status in JOB_TRANSITIONS[previous], f"{batch_id}: {previous} -> {status}"
        self.last_status[batch_id] = status
        if batch_id in self.frozen:
            assert body == self.frozen[batch_id], f"{batch_id} changed after reaching {status}"
        elif status in JOB_TERMINAL:
            self.frozen[batch_id] = body

    @rule(target=batches, agents=st.lists(st.sampled_from(AGENTS), min_size=1, max_size=3))
    def create(self, agents: list[str]) -> str:
        body = self.api.create_batch(
            *(batch_request(agent, f"question {i}") for i, agent in enumerate(agents))
        )
        self.models[body["id"]] = BatchModel(self.now, len(agents))
        self.observe(body)
        return str(body["id"])

    @rule(batch_id=batches)
    def cancel(self, batch_id: str) -> None:
        assert self.api.ok(self.http.patch(f"{BATCHES}/{batch_id}/cancel")) is None
        self.models[batch_id].cancel(self.now)
        self.observe(self.api.batch(batch_id))

    @rule(seconds=st.sampled_from([0.01, RUNNING_AFTER, 0.5, 1.0, 1.9, JOB_DURATION, 7.5]))
    def advance(self, seconds: float) -> None:
        expected = self.now + seconds
        self.now = self.api.advance(seconds)
        assert self.now == expected

    @rule()
    def advance_to_the_next_change(self) -> None:
        """Land exactly on the next scheduled change, where an off-by-one in time would show."""
        upcoming = [due for model in self.models.values() for due in model.changes() if due > self.now]
        if upcoming:
            self.advance(min(upcoming) - self.now)
            assert self.now == min(upcoming)

    @rule(batch_id=batches)
    def retrieve(self, batch_id: str) -> None:
        self.observe(self.api.batch(batch_id))
        body = self.api.obj(self.http.get(f"{BATCHES}/{batch_id}/messages", params={"order": "asc"}))
        messages = body["messages"]
        assert [m["role"] for m in messages] == self.models[batch_id].roles(self.now)
        items = [m["batch_item_id"] for m in messages if m["role"] == "user"]
        assert len(set(items)) == len(items)
        assert {m["batch_item_id"] for m in messages} <= set(items)

    @rule(order=st.sampled_from(["asc", "desc"]))
    def list_all(self, order: str) -> None:
        listed = self.api.get_list(BATCHES, order=order, limit=0)
        assert len(listed) == len(self.models)
        for body in listed:
            self.observe(body)

    @invariant()
    def no_batch_is_lost(self) -> None:
        for batch_id in self.models:
            self.observe(self.api.batch(batch_id))

    @invariant()
    def page_walk_sees_each_batch_once(self) -> None:
        for order in ("asc", "desc"):
            seen: list[str] = []
            page = self.api.ids(BATCHES, order=order, limit=3)
            for _ in range(len(self.models) + 2):
                if not page:
                    break
                assert len(page) <= 3
                seen += page
                page = self.api.ids(BATCHES, order=order, limit=3, after=page[-1])
            else:
                raise AssertionError("the page walk did not end")
            assert sorted(seen) == sorted(self.models), order
            chronological = sorted(
                self.models, key=lambda batch_id: (self.models[batch_id].created, batch_id)
            )
            assert seen == (chronological if order == "asc" else chronological[::-1])


def test_batches_state_machine(manual_server: MockServer) -> None:
    """Random sequences of batch operations keep the store consistent with the clock-driven model."""
    BatchMachine.base_url = manual_server.url
    run_state_machine_as_test(
        BatchMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=20, deadline=None),
    )
