"""Recorded bodies as a client reads them: JSON or not, and an event stream's events and their shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

NOT_JSON: Any = object()


def parse_json(body: bytes) -> Any:
    if not body:
        return NOT_JSON
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return NOT_JSON


def kind_of_body(parsed: Any) -> str:
    return "not JSON" if parsed is NOT_JSON else "JSON"


def sse_events(body: bytes) -> list[tuple[str, str]]:
    """An event stream's events as (event name, data); a ping or comment alone is no event."""
    events: list[tuple[str, str]] = []
    name, data = "message", list[str]()
    for line in [*body.decode("utf-8", "replace").splitlines(), ""]:
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = "message", list[str]()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line.startswith("event:"):
            name = line[6:].strip()
    return events


def stream_shape(body: bytes) -> list[str]:
    """A stream as a client follows it: each event's kind, runs of the same kind as one."""
    shape: list[str] = []
    for name, data in sse_events(body):
        if data == "[DONE]":
            kind = "[DONE]"
        elif name == "error":
            kind = "event:error"
        else:
            parsed = parse_json(data.encode())
            kind = str(parsed.get("message_type", "data")) if isinstance(parsed, Mapping) else "data"
        if not shape or shape[-1] != kind:
            shape.append(kind)
    return shape
