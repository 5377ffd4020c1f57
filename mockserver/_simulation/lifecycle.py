"""The lifecycle of jobs and runs, as data. Pure: no I/O, no clock, no threads.

``JOB_TRANSITIONS`` and ``RUN_TRANSITIONS`` say which status may follow which; :func:`move`
checks one step and raises :class:`IllegalTransition` for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

JobStatus = Literal["created", "running", "completed", "failed", "pending", "cancelled", "expired"]
RunStatus = Literal["created", "running", "completed", "failed", "cancelled"]
Kind = Literal["job", "run"]
"""Which transition table: batches are jobs."""


class RecordKind(StrEnum):
    """What a stored record is; equal to its name as a string (``RecordKind.BATCH == "batch"``)."""

    BATCH = "batch"
    JOB = "job"
    RUN = "run"


JOB_STATUSES: tuple[JobStatus, ...] = (
    "created",
    "running",
    "completed",
    "failed",
    "pending",
    "cancelled",
    "expired",
)
RUN_STATUSES: tuple[RunStatus, ...] = ("created", "running", "completed", "failed", "cancelled")

JOB_TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled", "expired"})
RUN_TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
ACTIVE: tuple[str, ...] = ("created", "running")
"""What `active` filters and the "active" routes mean, for jobs and runs alike."""

_JOB_ENDS = frozenset({"completed", "failed", "cancelled", "expired"})
JOB_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "created": frozenset({"pending", "running"}) | _JOB_ENDS,
    "pending": frozenset({"running"}) | _JOB_ENDS,
    "running": _JOB_ENDS,
    "completed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
}
RUN_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "created": frozenset({"running", "completed", "failed", "cancelled"}),
    "running": frozenset({"completed", "failed", "cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}

# The run status each stop reason implies (the behaviour reference, section 3).
STOP_REASON_STATUS: Mapping[str, RunStatus] = {
    "end_turn": "completed",
    "max_steps": "completed",
    "tool_rule": "completed",
    "requires_approval": "completed",
    "error": "failed",
    "invalid_tool_call": "failed",
    "no_tool_call": "failed",
    "invalid_llm_response": "failed",
    "llm_api_error": "failed",
    "max_tokens_exceeded": "failed",
    "context_window_overflow_in_system_prompt": "failed",
    "insufficient_credits": "failed",
    "cancelled": "cancelled",
}


# The stop reason a run ending in a status gets when nobody said which.
STOP_REASON_FOR_STATUS: Mapping[str, str] = {
    "completed": "end_turn",
    "failed": "error",
    "cancelled": "cancelled",
}


class IllegalTransition(ValueError):
    """A status change the lifecycle table does not allow."""

    def __init__(self, kind: Kind, current: str, target: str) -> None:
        allowed = sorted(table(kind).get(current, frozenset()))
        super().__init__(
            f"a {kind} cannot move from {current!r} to {target!r}; "
            + (
                f"from {current!r} it may move to {', '.join(allowed)}"
                if allowed
                else f"{current!r} is final"
            )
        )
        self.kind, self.current, self.target = kind, current, target


def table(kind: Kind) -> Mapping[str, frozenset[str]]:
    return JOB_TRANSITIONS if kind == "job" else RUN_TRANSITIONS


def is_terminal(kind: Kind, status: str) -> bool:
    return status in (JOB_TERMINAL if kind == "job" else RUN_TERMINAL)


def move(kind: Kind, current: str, target: str) -> str:
    """``target`` if the table allows ``current -> target``, else :class:`IllegalTransition`."""
    transitions = table(kind)
    if current not in transitions or target not in transitions:
        raise IllegalTransition(kind, current, target)
    if target not in transitions[current]:
        raise IllegalTransition(kind, current, target)
    return target


def path_to(kind: Kind, current: str, target: str) -> list[str]:
    """The statuses to pass through from ``current`` to ``target`` (``running`` on the way if allowed)."""
    if current == target:
        return []
    transitions = table(kind)
    if "running" in transitions.get(current, frozenset()) and target in transitions["running"]:
        return ["running", target]
    move(kind, current, target)
    return [target]
