"""What one test sent to its mock, as the text of a section of pytest's failure report.

The pytest plugin takes a :class:`Traffic` when a test using ``letta_mock`` or ``letta_mock_asgi``
ends, and renders it only if the test failed. It is read straight from the journals, not through
``/_mock``: the test may have failed because the server's loop hangs, and a report must come out
then too. Only requests journaled after the test's reset are kept, so a mock the session shares
shows no other test's requests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver._web.app import Parts

SHOWN = 100
"""Requests listed at most (the last ones; any with a violation is listed wherever it is)."""
BODY_SHOWN = 2000
"""Characters of one body ``full`` prints; a report is for reading, and a list can be megabytes."""
QUERY_SHOWN = 120


@dataclass
class Traffic:
    """One test's requests to one mock (journal entries as JSON) and the callbacks they led to."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    lost: int = 0
    """Requests of this test no longer journaled: a ``reset()`` in the test, or past ``journal_size``."""


def read(parts: Parts, since: int, until: int | None = None) -> Traffic:
    """The requests journaled after ``since`` (up to ``until``) and the callback attempts journaled.

    Safe from another thread than the server's: each journal is copied in one step, and neither
    an entry nor an attempt changes once journaled. The callback journal is emptied by every reset,
    so what it holds was fired during this test.
    """
    journal = parts.journal
    last = journal.last_seq if until is None else until
    entries = [entry for entry in journal.entries.copy() if since < entry.seq <= last]
    first = entries[0].seq if entries else last + 1
    callbacks = list(parts.callbacks.journal.copy()) if parts.callbacks is not None else []
    return Traffic([entry.as_json() for entry in entries], callbacks, lost=max(first - since - 1, 0))


def _printable(text: str) -> str:
    # Paths are percent-decoded and violations quote what was sent: keep each on its line.
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def _body(text: str) -> str:
    """A body as sent, on one line (a newline in it is escaped), cut at ``BODY_SHOWN`` characters."""
    return _printable(_cut(text, BODY_SHOWN))


def _pointer(loc: list[Any]) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def _target(entry: dict[str, Any]) -> str:
    query = entry["query"]
    return _printable(entry["path"] + ("?" + _cut(query, QUERY_SHOWN) if query else ""))


def _request_lines(entry: dict[str, Any], width: int, full: bool) -> list[str]:
    if entry["fault"] == "drop":
        outcome = "dropped (injected fault)"
    else:
        outcome = f"{entry['status']} {entry['duration_ms']:7.1f} ms"
        if entry["fault"]:
            outcome += f" (injected fault: {entry['fault']})"
    operation = f"  {entry['operation_id']}" if entry["operation_id"] else ""
    lines = [f"{_printable(entry['method']):<6} {_target(entry):<{width}}  {outcome}{operation}"]
    for violation in entry["violations"]:
        source = " (in an override's answer)" if violation.get("source") == "override" else ""
        where = _pointer(violation.get("loc", []))
        lines.append(_printable(f"       ! contract violation{source} at {where}: {violation['msg']}"))
    for quirk in entry.get("deviations", ()):
        # The profile's doing: what the real server answers, not a mistake of the client's.
        lines.append(
            _printable(f"       ~ server deviation: answered with quirk {quirk} (the real server's way)")
        )
    if full and entry["body"]:
        lines.append("       body: " + _body(entry["body"]))
    if full and entry.get("response_body"):  # journaled up to 4 KiB
        lines.append("       answer: " + _body(entry["response_body"]))
    return lines


def _callback_lines(attempt: dict[str, Any], full: bool) -> list[str]:
    status = attempt["payload"].get("status", "?") if isinstance(attempt["payload"], dict) else "?"
    if attempt["error"]:
        # The journal's message names the record and the URL again: the line already has them.
        outcome = "error: " + (attempt["error"].partition(f" to {attempt['url']}: ")[2] or attempt["error"])
    else:
        outcome = f"{attempt['status_code']} {attempt['duration_ms']:.1f} ms"
    again = f" (attempt {attempt['attempt']})" if attempt["attempt"] > 1 else ""
    line = f"{attempt['kind']} {attempt['id']} {status} -> POST {attempt['url']}  {outcome}{again}"
    lines = [_printable(line)]
    if full:
        lines.append("       payload: " + _body(json.dumps(attempt["payload"], separators=(",", ":"))))
    return lines


def _shown(requests: list[dict[str, Any]]) -> list[dict[str, Any] | int]:
    """The requests to list, with the count of those left out in their place (``SHOWN`` at most,
    the last ones, plus every one with a violation: that is usually why the test failed)."""
    keep = {id(entry) for entry in requests[-SHOWN:]}
    keep |= {id(entry) for entry in requests if entry["violations"]}
    shown: list[dict[str, Any] | int] = []
    for entry in requests:
        if id(entry) in keep:
            shown.append(entry)
        elif shown and isinstance(shown[-1], int):
            shown[-1] += 1
        else:
            shown.append(1)
    return shown


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render(traffic: Traffic, url: str, *, full: bool) -> str:
    """The report section: one line per request (violations and the profile's deviations under it),
    then one per callback attempt.

    ``full`` adds request and response bodies and callback payloads, each cut at ``BODY_SHOWN`` characters.
    Headers are never shown: they carry the API key and the control token into CI logs.
    """
    requests, callbacks = traffic.requests, traffic.callbacks
    violations = sum(len(entry["violations"]) for entry in requests)
    deviations = sum(len(entry.get("deviations", ())) for entry in requests)
    count = len(requests) + traffic.lost
    shaped = f", {_count(deviations, 'server deviation')} (profile quirks)" if deviations else ""
    lines = [
        f"{_count(count, 'request')} to {url}, {_count(violations, 'contract violation')}{shaped},"
        f" {_count(len(callbacks), 'callback attempt')}"
    ]
    shown = _shown(requests)
    width = min(max((len(_target(item)) for item in shown if not isinstance(item, int)), default=0), 64)
    if traffic.lost:
        lost = _count(traffic.lost, "earlier request")
        lines.append(f"  ({lost} no longer journaled: reset() in the test, or past journal_size)")
    for item in shown:
        if isinstance(item, int):
            lines.append(f"  … {_count(item, 'request')} not shown …")
        else:
            lines += ["  " + line for line in _request_lines(item, width, full)]
    if callbacks:
        lines.append("callbacks:")
        for attempt in callbacks:
            lines += ["  " + line for line in _callback_lines(attempt, full)]
    return "\n".join(lines)
