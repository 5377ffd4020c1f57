"""Planning a seeded run: what it will produce, when, and how it ends. Pure.

A seed (``POST /_mock/runs``) says as little or as much as it likes: only ``agent_id`` is
required. What it leaves out is filled in with a small realistic exchange: the user's
message, the agent's reasoning and its reply, in one step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver._simulation import lifecycle
from mockserver._simulation.records import PlannedMessage, letta_message, step_body

DEFAULT_EXCHANGE: tuple[dict[str, Any], ...] = (
    {"message_type": "user_message", "content": "What will the weather be like tomorrow?"},
    {
        "message_type": "reasoning_message",
        "source": "reasoner_model",
        "reasoning": "The user asks about tomorrow's weather; a short, friendly answer will do.",
        "signature": None,
    },
    {
        "message_type": "assistant_message",
        "content": "Tomorrow looks sunny, with a light breeze in the afternoon.",
    },
)


class SeedError(ValueError):
    """A seed whose fields contradict each other; ``field`` names the one at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RunPlan:
    created: float
    start_status: str
    status: str
    """The status the run ends in."""
    stop_reason: str | None
    duration: float
    messages: list[PlannedMessage]

    @property
    def end(self) -> float:
        return self.created + self.duration


def _final(spec: dict[str, Any]) -> tuple[str, str, str | None]:
    start = spec.get("status", "created")
    stop_reason = spec.get("stop_reason")
    if lifecycle.is_terminal("run", start):
        stop_reason = stop_reason or lifecycle.STOP_REASON_FOR_STATUS[start]
        implied = lifecycle.STOP_REASON_STATUS[stop_reason]
        if implied != start:
            raise SeedError(
                "stop_reason",
                f"stop_reason {stop_reason!r} means status {implied!r}, but status is {start!r}",
            )
        return start, start, stop_reason
    stop_reason = stop_reason or "end_turn"
    return start, lifecycle.STOP_REASON_STATUS[stop_reason], stop_reason


def plan_run(
    spec: dict[str, Any], *, run_id: str, now: float, duration: float, new_id: Callable[[str], str]
) -> RunPlan:
    start, status, stop_reason = _final(spec)
    duration = float(spec.get("duration", duration))
    terminal = lifecycle.is_terminal("run", start)
    # A run seeded as finished has already lived its duration; one in progress starts now.
    created = float(spec["created"]) if "created" in spec else (now - duration if terminal else now)
    if terminal and created + duration > now:
        # A finished run cannot have finished in the future.
        duration = max(0.0, now - created)
    partials = list(spec["messages"]) if spec.get("messages") is not None else list(DEFAULT_EXCHANGE)
    if status == "cancelled" and spec.get("messages") is None:
        partials = partials[:1]
    agent_id = spec["agent_id"]
    steps = _steps(spec, partials, run_id=run_id, agent_id=agent_id, new_id=new_id, stop_reason=stop_reason)
    planned: list[PlannedMessage] = []
    count = len(partials)
    for index, partial in enumerate(partials):
        step = steps[index * len(steps) // count] if steps else None
        due = created + duration * (index + 1) / (count + 1)
        body = letta_message(
            partial, message_id=new_id("message"), at=due, run_id=run_id, step_id=step["id"] if step else None
        )
        first_of_step = step is not None and all(p.step is not step for p in planned)
        planned.append(PlannedMessage(due, body, step if first_of_step else None))
    # Steps with no message of their own still happen, at the end.
    for step in steps:
        if all(p.step is not step for p in planned):
            planned.append(PlannedMessage(created + duration, {}, step))
    return RunPlan(created, start, status, stop_reason, duration, planned)


def _steps(
    spec: dict[str, Any],
    partials: list[dict[str, Any]],
    *,
    run_id: str,
    agent_id: str,
    new_id: Callable[[str], str],
    stop_reason: str | None,
) -> list[dict[str, Any]]:
    given = spec.get("steps")
    count = (
        len(given)
        if given is not None
        else max(1, sum(p.get("message_type") == "assistant_message" for p in partials))
    )
    usage = spec.get("usage") or {}
    prompt = int(usage.get("prompt_tokens", 1_200 * count))
    completion = int(usage.get("completion_tokens", 85 * count))
    steps = []
    for index in range(count):
        share_prompt = prompt // count + (1 if index < prompt % count else 0)
        share_completion = completion // count + (1 if index < completion % count else 0)
        step = step_body(
            new_id("step"),
            run_id=run_id,
            agent_id=agent_id,
            prompt_tokens=share_prompt,
            completion_tokens=share_completion,
            stop_reason=stop_reason if index == count - 1 else None,
        )
        if given is not None:
            step.update(given[index])
            step["run_id"] = run_id
        steps.append(step)
    return steps
