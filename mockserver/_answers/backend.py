"""What a backend answers, and the one method every backend (stateless, stateful) has."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mockserver._contract.parsing import ParsedRequest


@dataclass(frozen=True, slots=True)
class JsonReply:
    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    quirks: tuple[str, ...] = ()
    """The real server's quirks that shaped this answer: the contract report names them as the
    server's deviations, not the client's violations."""


@dataclass(frozen=True, slots=True)
class StreamReply:
    """A ``text/event-stream`` body, produced chunk by chunk."""

    chunks: AsyncIterator[bytes]
    status: int = 200
    quirks: tuple[str, ...] = ()


Reply = JsonReply | StreamReply


class Backend(Protocol):
    async def handle(self, request: ParsedRequest) -> Reply: ...
