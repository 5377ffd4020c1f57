"""Facts of the server behaviour reference, written out independently of mockserver's own tables.

Tests compare the mock against these: copying the mock's tables into a test would check nothing.
"""

from __future__ import annotations

STOP_REASONS_BY_STATUS: dict[str, set[str]] = {
    "completed": {"end_turn", "max_steps", "tool_rule", "requires_approval"},
    "failed": {
        "error",
        "invalid_tool_call",
        "no_tool_call",
        "invalid_llm_response",
        "llm_api_error",
        "max_tokens_exceeded",
        "context_window_overflow_in_system_prompt",
        "insufficient_credits",
    },
    "cancelled": {"cancelled"},
}
"""The run status each stop reason implies (behaviour reference, section 3)."""

RUN_STATUS_OF_STOP_REASON = {
    reason: status for status, reasons in STOP_REASONS_BY_STATUS.items() for reason in reasons
}
