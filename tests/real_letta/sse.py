"""Reading a run's stream as a client does: the events' kinds, in order, and how the stream ends."""

from __future__ import annotations

import json
from typing import Any

import httpx


def read_stream(http: httpx.Client, path: str, body: Any) -> dict[str, Any]:
    kinds: list[str] = []
    with http.stream("POST", path, json=body, timeout=httpx.Timeout(60, read=60)) as answer:
        if answer.status_code != 200:
            answer.read()
            return {"status": answer.status_code}
        content_type = answer.headers.get("content-type", "").split(";")[0]
        for line in answer.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                kinds.append("[DONE]")
                continue
            try:
                chunk = json.loads(data)
            except ValueError:
                kinds.append("not JSON")
                continue
            kinds.append(str(chunk.get("message_type")) if isinstance(chunk, dict) else "not an object")
    ending = kinds[-1] if kinds else "nothing"
    stop_reasons = sorted({k for k in kinds if k == "stop_reason"})
    return {
        "status": 200,
        "content_type": content_type,
        "ends_with": ending,
        "has_stop_reason": bool(stop_reasons),
        "kinds": sorted(set(kinds)),
    }
