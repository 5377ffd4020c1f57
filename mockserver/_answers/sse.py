"""Server-sent events in the framing the real run stream uses: ``data: <json>`` and a blank line."""

from __future__ import annotations

import json
from typing import Any

DONE = b"data: [DONE]\n\n"


def dumps(value: Any) -> str:
    """Compact JSON, as the real server writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def event(payload: Any) -> bytes:
    return f"data: {dumps(payload)}\n\n".encode()
