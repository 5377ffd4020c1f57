"""One recorded HTTP exchange: what a client sent and what it was answered, whole.

The one model that recording (``--record``), replay (``--replay``), ``verify`` and the proxy share; the
file formats (HAR, cassettes) are read into it and written from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    path: str
    """The URL's path, ``/v1/...``, without scheme, host or query."""
    query: str
    """The raw query string, without its ``?`` ("" for none)."""
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    response_body: bytes
    """Whole, a stream's text included (``text/event-stream``)."""
    started: float = 0.0
    """Seconds since the epoch when the request was sent."""
    duration_ms: float = 0.0
    operation_id: str | None = None
    comment: str = field(default="", compare=False)

    def header(self, name: str, response: bool = True) -> str | None:
        """The first value of a header (case-insensitive), of the response by default."""
        wanted = name.lower()
        for key, value in self.response_headers if response else self.request_headers:
            if key.lower() == wanted:
                return value
        return None
