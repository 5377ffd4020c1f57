"""Custom responses in code: a function of the request replaces one operation's answer.

Register with ``MockServer.override(operation_id, function)``. The function gets a
:class:`MockRequest` (already validated) and returns a :class:`MockResponse`, any JSON value
(answered with 200), or ``None`` to fall back to the mock's own answer. It may be a
coroutine function. It runs on the server's event loop, so it must not block for long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MockRequest:
    operation_id: str
    method: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, Any]
    """Query parameters as validated: coerced to their types, defaults applied."""
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class MockResponse:
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


Override = Callable[[MockRequest], Any]
"""Returns a :class:`MockResponse`, a JSON value, ``None`` (the default answer), or an awaitable of those."""
