"""What the server tells a person: the start-up URLs and one log line per request.

The request log is the ``mockserver.requests`` logger. ``letta-mockserver serve`` gives it a
console handler at INFO (unless ``--quiet``); a ``MockServer`` gives it none, so in a test
suite its records reach only the handlers the suite set up (pytest's capture, say). It does
not depend on uvicorn's ``--log-level``. A request that broke the contract logs at WARNING,
every other request at INFO; the journal calls :func:`log_request` only when that level is
enabled, so a quiet server pays one ``isEnabledFor`` per request.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from mockserver._version import __version__

if TYPE_CHECKING:
    from mockserver._contract.validation import Violation
    from mockserver._control.journal import _Entry

LOGGER = logging.getLogger("mockserver.requests")
# A library's logger: without a handler of the application's, records go nowhere (not to
# logging's last-resort stderr handler), so that an embedded MockServer prints nothing.
LOGGER.addHandler(logging.NullHandler())

LETTA_DOCS = "https://docs.letta.com/api-reference"
"""The reference of the API the mock serves."""
_CONSOLE = "letta-mockserver console"
_QUERY_SHOWN = 200
_VIOLATIONS_SHOWN = 3


def index(mode: str) -> dict[str, Any]:
    """The answer of ``GET /``: where the API, its document, the control API and the docs are."""
    return {
        "name": "letta-mockserver",
        "version": __version__,
        "mode": mode,
        "api": "/v1/",
        "openapi": "/openapi.json",
        "control": "/_mock",
        "report": "/_mock/report",
        "docs": LETTA_DOCS,
        "help": "letta-mockserver --help",
    }


def startup_lines(url: str, token: str | None = None) -> list[str]:
    """The URLs printed under the ``listening on`` line; with a control token, the dashboard's link
    carries it once (the page sets a cookie from it and drops it from the address)."""
    dashboard = f"{url}/_mock/ui" + (f"?token={quote(token, safe='')}" if token else "")
    return [
        f"  API:      {url}/v1/",
        f"  UI:       {dashboard} (live dashboard)",
        f"  OpenAPI:  {url}/openapi.json (the API and the control API /_mock)",
        f"  Report:   {url}/_mock/report (what was exercised, every contract violation)",
        f"  Docs:     {LETTA_DOCS}",
    ]


def _pointer(loc: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def violation_text(violations: list[Violation]) -> str:
    """``CONTRACT VIOLATION: <pointer>: <rule>`` for each (the first few), in one line."""
    shown = [f"{_pointer(tuple(v.loc))}: {v.msg}" for v in violations[:_VIOLATIONS_SHOWN]]
    text = "CONTRACT VIOLATION: " + "; ".join(shown)
    if len(violations) > _VIOLATIONS_SHOWN:
        text += f" (+{len(violations) - _VIOLATIONS_SHOWN} more)"
    return text


def log_request(entry: _Entry) -> None:
    """Log one journaled request: method, path, status, duration, and what went wrong, if anything."""
    target = entry.path
    if entry.query:
        query = entry.query if len(entry.query) <= _QUERY_SHOWN else entry.query[:_QUERY_SHOWN] + "…"
        target += "?" + query
    if entry.fault == "drop":
        line = f"{entry.method} {target} connection dropped (injected fault)"
    elif entry.fault is not None:
        line = f"{entry.method} {target} {entry.status} (injected fault: {entry.fault})"
    else:
        line = f"{entry.method} {target} {entry.status} {entry.duration_ms:.1f} ms"
    level = logging.INFO
    if entry.violations:
        line += " " + violation_text(entry.violations)
        level = logging.WARNING
    if entry.override_violations:
        line += " (answered by an override) " + violation_text(entry.override_violations)
        level = logging.WARNING
    if not line.isprintable():
        # The path is percent-decoded and violations quote what was sent: a newline there would
        # forge a log line of its own.
        line = line.encode("unicode_escape").decode("ascii")
    extra = {
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "duration_ms": entry.duration_ms,
        "operation_id": entry.operation_id,
        "fault": entry.fault,
    }
    # makeRecord + handle is what log() does, less its walk up the stack for the caller (which is
    # always this function): the console log is on by default, so this is on every request's path.
    LOGGER.handle(LOGGER.makeRecord(LOGGER.name, level, __file__, 0, line, (), None, "log_request", extra))


def log_unrouted(method: str, path: str, status: int) -> None:
    """Log a request no operation answers (404, 405): the journal never sees those."""
    if LOGGER.isEnabledFor(logging.INFO):
        if not path.isprintable():
            path = path.encode("unicode_escape").decode("ascii")
        LOGGER.info("%s %s %d (no operation here)", method, path, status, extra={"status": status})


def attach_console(stream: TextIO | None = None) -> logging.Handler:
    """Print the request log on ``stream`` (stderr) at INFO, whatever uvicorn's log level."""
    for old in [h for h in LOGGER.handlers if h.get_name() == _CONSOLE]:
        LOGGER.removeHandler(old)  # serve() called again in the same process: one line per request still
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_CONSOLE)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    # The console line is the record's one appearance; an application's root handler would repeat it.
    LOGGER.propagate = False
    return handler
