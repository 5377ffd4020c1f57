"""What the stateful mode stores, and the wire bodies it answers with.

A run keeps its wire body (the JSON the API returns) next to the little the simulation needs to
move it along; jobs and batches are held compactly (``jobs``) and render their bodies when read.
Builders here are pure: ids come from the caller's rng, times are POSIX seconds passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver._simulation.index import Collection
from mockserver._simulation.jobs import JobRecord as JobRecord
from mockserver._simulation.wire import DEFAULT_MODEL
from mockserver._simulation.wire import MessageRecord as MessageRecord
from mockserver._simulation.wire import date_stamp as date_stamp
from mockserver._simulation.wire import ns as ns
from mockserver._simulation.wire import stamp as stamp


@dataclass(eq=False)
class StepRecord:
    id: str
    created: float
    body: dict[str, Any]

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ns(self.created), self.id)


@dataclass(eq=False)
class PlannedMessage:
    """A message a run will produce at ``due``, with the step that produced it (if any)."""

    due: float
    body: dict[str, Any]
    step: dict[str, Any] | None = None


@dataclass(eq=False)
class RunRecord:
    id: str
    created: float
    body: dict[str, Any]
    metrics: dict[str, Any]
    messages: Collection[MessageRecord] = field(default_factory=Collection)
    steps: Collection[StepRecord] = field(default_factory=Collection)
    final_status: str = "completed"
    final_stop_reason: str | None = "end_turn"
    deleted: bool = False
    completed: bool = False
    duration: float = 0.0
    pending: list[PlannedMessage] = field(default_factory=list)
    """What the run has still to produce, in order."""

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ns(self.created), self.id)

    @property
    def status(self) -> str:
        return str(self.body["status"])

    @property
    def callback_url(self) -> str | None:
        url = self.body.get("callback_url")
        return None if url is None else str(url)

    def record_callback(self, sent_at: str, status_code: int | None, error: str | None) -> None:
        self.body.update(callback_sent_at=sent_at, callback_status_code=status_code, callback_error=error)


def run_body(
    run_id: str,
    created: float,
    *,
    agent_id: str,
    background: bool,
    callback_url: str | None,
    metadata: dict[str, Any] | None,
    conversation_id: str | None,
) -> dict[str, Any]:
    return {
        "id": run_id,
        "status": "created",
        "created_at": stamp(created),
        "completed_at": None,
        "agent_id": agent_id,
        "conversation_id": conversation_id,
        "base_template_id": None,
        "background": background,
        "metadata": metadata,
        "request_config": {
            "use_assistant_message": True,
            "assistant_message_tool_name": "send_message",
            "assistant_message_tool_kwarg": "message",
            "include_return_message_types": None,
        },
        "stop_reason": None,
        "callback_url": callback_url,
        "callback_sent_at": None,
        "callback_status_code": None,
        "callback_error": None,
        "ttft_ns": None,
        "total_duration_ns": None,
    }


def letta_message(
    message: dict[str, Any], *, message_id: str, at: float, run_id: str, step_id: str | None
) -> dict[str, Any]:
    """Complete a (possibly partial) ``LettaMessage`` with the fields every message carries."""
    full: dict[str, Any] = {
        "id": message_id,
        "date": date_stamp(at),
        "name": None,
        "otid": None,
        "sender_id": None,
        "step_id": step_id,
        "is_err": None,
        "seq_id": None,
        "run_id": run_id,
    }
    full.update(message)
    full["run_id"] = run_id
    return full


def step_body(
    step_id: str,
    *,
    run_id: str,
    agent_id: str,
    prompt_tokens: int,
    completion_tokens: int,
    stop_reason: str | None,
) -> dict[str, Any]:
    return {
        "id": step_id,
        "origin": None,
        "provider_id": None,
        "run_id": run_id,
        "agent_id": agent_id,
        "provider_name": "anthropic",
        "provider_category": "base",
        "model": DEFAULT_MODEL,
        "model_handle": f"anthropic/{DEFAULT_MODEL}",
        "model_endpoint": "https://api.anthropic.com/v1",
        "context_window_limit": 200_000,
        "completion_tokens": completion_tokens,
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cached_input_tokens": None,
        "cache_write_tokens": None,
        "reasoning_tokens": None,
        "completion_tokens_details": None,
        "prompt_tokens_details": None,
        "stop_reason": stop_reason,
        "tags": [],
        "tid": None,
        "trace_id": None,
        "request_id": None,
        "messages": [],
        "feedback": None,
        "project_id": None,
        "error_type": None,
        "error_data": None,
        "status": "success",
    }


def usage_of(run: RunRecord, *, full: bool) -> dict[str, Any]:
    """Token usage summed over the run's steps.

    ``full``: ``LettaUsageStatistics`` (stream and callback); otherwise ``UsageStatistics`` (``/usage``).
    """
    prompt = sum(step.body.get("prompt_tokens") or 0 for step in run.steps)
    completion = sum(step.body.get("completion_tokens") or 0 for step in run.steps)
    totals = {"completion_tokens": completion, "prompt_tokens": prompt, "total_tokens": prompt + completion}
    if not full:
        return {**totals, "prompt_tokens_details": None, "completion_tokens_details": None}
    return {
        "message_type": "usage_statistics",
        **totals,
        "step_count": len(run.steps),
        "run_ids": None,
        "cached_input_tokens": None,
        "cache_write_tokens": None,
        "reasoning_tokens": None,
        "context_tokens": None,
    }
