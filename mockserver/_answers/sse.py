"""Server-sent events in the framing the real run stream uses: ``data: <json>`` and a blank line.

A run that stops with an error ends its stream the way the real agent loop does when an exception
ends it (``letta/agents/letta_agent_v3.py``, the ``except`` of its stream): the stop reason, then an
``event: error`` carrying a ``LettaErrorMessage``, and no usage and no ``[DONE]``. The official SDKs
raise on that event. Every other run ends with its stop reason, its usage and ``[DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

DONE = b"data: [DONE]\n\n"

ERROR_TYPES: Mapping[str, str] = {
    "error": "internal_error",
    "llm_api_error": "internal_error",
    "context_window_overflow_in_system_prompt": "context_window_overflow_in_system_prompt",
}
"""The stop reasons the real server reaches through an exception, and the ``error_type`` it sends."""

ERROR_MESSAGES: Mapping[str, str] = {
    "internal_error": "An error occurred during agent execution.",
    "context_window_overflow_in_system_prompt": (
        "Compaction failed because the system prompt is too large for this model's context window. "
        "Reduce system instructions, memory blocks, or tools, or use a model with a larger context window."
    ),
}


def dumps(value: Any) -> str:
    """Compact JSON, as the real server writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def event(payload: Any) -> bytes:
    return f"data: {dumps(payload)}\n\n".encode()


def error_event(payload: Any) -> bytes:
    """An ``event: error`` block: the SDKs raise an ``APIError`` carrying ``payload``."""
    return f"event: error\ndata: {dumps(payload)}\n\n".encode()


def error_message(run_id: str, stop_reason: str, seq_id: int) -> dict[str, Any]:
    """The ``LettaErrorMessage`` that ends the stream of a run stopped by ``stop_reason``."""
    error_type = ERROR_TYPES[stop_reason]
    return {
        "message_type": "error_message",
        "run_id": run_id,
        "error_type": error_type,
        "message": ERROR_MESSAGES[error_type],
        "detail": f"The run stopped with stop reason '{stop_reason}' (simulated by letta-mockserver).",
        "seq_id": seq_id,
    }
