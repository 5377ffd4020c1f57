"""The request journal and the contract report.

The journal is a bounded ring buffer (``--journal-size``), so memory stays flat under load.
The report counts every exercised operation and response code since the last reset (a few
integers per operation) and keeps the contract violations, also bounded.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from logging import INFO, WARNING
from typing import Any

from mockserver._contract.spec import pointer_escape
from mockserver._contract.validation import Violation
from mockserver._control.requestlog import LOGGER as _REQUEST_LOG
from mockserver._control.requestlog import log_request
from mockserver._recording.observed import Observer

_BODY_LIMIT = 64 * 1024
"""Bytes of a request body kept in the journal; the rest is cut (the journal is for reading, not replay)."""
_ANSWER_LIMIT = 4 * 1024
"""Bytes of an answer's body kept, to read a failed test's traffic; a longer one is cut and ends in "…"."""
_HEADERS_LIMIT = 64 * 1024
"""Characters of request headers (names and values) kept in the journal; the server itself bounds neither
their number nor their size, so without a cut a few huge requests would pin their headers in memory."""


_MAX_HEADERS = 200


def _kept_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    kept: dict[str, str] = {}
    left = _HEADERS_LIMIT
    for name, value in headers:
        if len(name) + len(value) > left:
            kept[name[:left]] = value[: max(left - len(name), 0)] + "…"
            break
        kept[name] = value
        left -= len(name) + len(value)
    return kept


def render_violation(label: str, violation: Violation) -> str:
    """One violation the way jsonschema explains an error: message, then schema and instance locations."""
    text = f"{label}: {violation.detail or violation.msg}"
    schema_parts = [part for part in violation.schema_path.split("/") if part]
    if schema_parts:
        keyword, *_ = reversed(schema_parts)
        where = "".join(f"[{_token(part)!r}]" for part in schema_parts[:-1])
        text += f"\n\nFailed validating {keyword!r} in schema{where}"
    location = "".join(f"[{part!r}]" for part in violation.loc[1:])
    part = violation.loc[0] if violation.loc else "request"
    return text + f"\n\nOn {part}{location}"


def pointer_of(violation: Violation) -> str:
    """The JSON pointer of the offending value inside its part (body, query, response, stream)."""
    return "".join(f"/{pointer_escape(str(part))}" for part in violation.loc[1:])


def _described(violation: Violation) -> dict[str, Any]:
    """A violation as the report lists it: where (part and JSON pointer), the rule, and its rendering."""
    return {
        **violation.as_json(),
        "part": str(violation.loc[0]) if violation.loc else "request",
        "pointer": pointer_of(violation),
        "rule": violation.type,
        "schema_path": violation.schema_path,
    }


def _token(part: str) -> str | int:
    return int(part) if part.isdigit() else part


@dataclass(slots=True)
class _Entry:
    seq: int
    at: float
    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    """Raw, as the server received them (at most `_MAX_HEADERS`); decoded only when read."""
    body: bytes
    status: int
    duration_ms: float
    operation_id: str | None
    violations: list[Violation]
    fault: str | None
    cut: bool = False
    override_violations: list[Violation] = field(default_factory=list)
    """How the answer an override gave breaks the contract (the request's own are ``violations``)."""
    answer: bytes = b""
    deviations: tuple[str, ...] = ()
    """The real server's quirks that shaped the answer (``--profile``): the server's, not the client's."""
    replayed: bool = False
    """Answered from a recording (``--replay``), not by the mock."""
    upstream_violations: list[Violation] = field(default_factory=list)
    """How the upstream's answer broke the contract (``letta-mockserver proxy``)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": _kept_headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in self.headers),
            "body": self.body.decode("utf-8", "replace") + ("…" if self.cut else ""),
            "status": self.status,
            "duration_ms": self.duration_ms,
            "operation_id": self.operation_id,
            "violations": [
                *({**v.as_json(), "source": "request"} for v in self.violations),
                *({**v.as_json(), "source": "override"} for v in self.override_violations),
                *({**v.as_json(), "source": "upstream"} for v in self.upstream_violations),
            ],
            "fault": self.fault,
            "response_body": self.answer.decode("utf-8", "replace"),
            "deviations": list(self.deviations),
            "replayed": self.replayed,
        }


@dataclass
class RequestJournal:
    size: int = 1000
    entries: deque[_Entry] = field(init=False)
    exercised: dict[str, Counter[int]] = field(default_factory=dict)
    violations: deque[dict[str, Any]] = field(init=False)
    deviations: deque[dict[str, Any]] = field(init=False)
    server_deviations: deque[dict[str, Any]] = field(init=False)
    """How an upstream's answers broke the contract (proxy mode): the server's doing, not the client's."""
    observer: Observer = field(default_factory=Observer)
    """The real server's quirks an upstream's answers showed (proxy mode)."""
    _seq: int = 0

    def __post_init__(self) -> None:
        self.entries = deque(maxlen=self.size)
        self.violations = deque(maxlen=self.size)
        self.deviations = deque(maxlen=self.size)
        self.server_deviations = deque(maxlen=self.size)

    def clear(self) -> None:
        self.entries.clear()
        self.exercised.clear()
        self.violations.clear()
        self.deviations.clear()
        self.server_deviations.clear()
        self.observer.clear()

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        status: int,
        duration: float,
        operation_id: str | None,
        label: str | None,
        violations: list[Violation] | None = None,
        fault: str | None = None,
        override_violations: list[Violation] | None = None,
        answer: bytes = b"",
        deviations: tuple[str, ...] = (),
        replayed: bool = False,
        upstream_violations: list[Violation] | None = None,
    ) -> None:
        """Journal one request; ``violations`` are the request's, ``override_violations`` those of the
        answer an override gave (both reach the contract report, each marked with its source)."""
        self._seq += 1
        found = violations or []
        answered = override_violations or []
        upstream = upstream_violations or []
        # Kept raw and decoded when read: the journal sits on every request's path.
        entry = _Entry(
            self._seq,
            time.time(),
            method,
            path,
            query,
            headers if len(headers) <= _MAX_HEADERS else headers[:_MAX_HEADERS],
            body if len(body) <= _BODY_LIMIT else body[:_BODY_LIMIT],
            status,
            round(duration * 1000, 3),
            operation_id,
            found,
            fault,
            len(body) > _BODY_LIMIT,
            answered,
            answer if len(answer) <= _ANSWER_LIMIT else answer[:_ANSWER_LIMIT] + "…".encode(),
            deviations,
            replayed,
            upstream,
        )
        self.entries.append(entry)
        if _REQUEST_LOG.isEnabledFor(WARNING if found or answered or upstream else INFO):
            log_request(entry)
        if operation_id is not None:
            counts = self.exercised.get(operation_id)
            if counts is None:
                counts = self.exercised[operation_id] = Counter()
            counts[status] += 1
        if not found and not answered and not deviations and not upstream:
            return
        where = label or f"{method} {path}"
        for violation in upstream:
            self.server_deviations.append(
                {"seq": self._seq, "operation_id": operation_id, "method": method, "path": path}
                | _described(violation)
                | {
                    "source": "upstream",
                    "status": status,
                    "message": render_violation(f"{where}, answered {status} by the upstream", violation),
                }
            )
        for quirk in deviations:  # the answer the real server would give: not the client's doing
            self.deviations.append(
                {"seq": self._seq, "operation_id": operation_id, "method": method, "path": path}
                | {"quirk": quirk, "source": "server", "message": f"{where}: answered with quirk {quirk}"}
            )
        for source, violation in chain((("request", v) for v in found), (("override", v) for v in answered)):
            self.violations.append(
                {
                    "seq": self._seq,
                    "operation_id": operation_id,
                    "method": method,
                    "path": path,
                    **_described(violation),
                    "source": source,
                    "message": render_violation(
                        where if source == "request" else f"{where}, answered by an override", violation
                    ),
                }
            )

    def query(
        self,
        *,
        operation_id: str | None = None,
        status: int | None = None,
        since: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Entries oldest first, filtered; ``since`` keeps those with a larger ``seq``."""
        found = [
            entry.as_json()
            for entry in self.entries
            if entry.seq > since
            and (operation_id is None or entry.operation_id == operation_id)
            and (status is None or entry.status == status)
        ]
        return found[-limit:] if limit else found

    @property
    def last_seq(self) -> int:
        return self._seq

    def report(self, operation_ids: Iterable[str], *, since: int = 0) -> dict[str, Any]:
        all_ops = list(operation_ids)
        exercised = {
            op: {str(code): n for code, n in sorted(self.exercised[op].items())}
            for op in all_ops
            if op in self.exercised
        }
        violations = [v for v in self.violations if v["seq"] > since]
        return {
            "exercised": exercised,
            "not_exercised": [op for op in all_ops if op not in self.exercised],
            "violations": violations,
            "deviations": [d for d in self.deviations if d["seq"] > since],
            "ok": not violations,
            # Who broke the contract, apart (proxy mode fills the last two).
            "client_violations": [v for v in violations if v["source"] == "request"],
            "server_deviations": [d for d in self.server_deviations if d["seq"] > since],
            "quirks_seen": {
                name: dict(seen) for name, seen in self.observer.seen.items() if seen["seq"] > since
            },
        }
