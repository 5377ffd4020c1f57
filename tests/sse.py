"""Reading server-sent event streams in tests: one parser for every suite that checks a run stream."""

from __future__ import annotations


def sse_payloads(text: str) -> list[str]:
    """The ``data:`` payloads of an event stream, in order (a multi-line event joined by newlines)."""
    payloads = []
    for block in text.split("\n\n"):
        data = [line.removeprefix("data:").strip() for line in block.splitlines() if line.startswith("data:")]
        if data:
            payloads.append("\n".join(data))
    return payloads
