"""What the server tells a person: the start-up URLs and one log line per request.

The request log is the ``mockserver.requests`` logger. ``letta-mockserver serve`` gives it a
console handler at INFO (unless ``--quiet``); a ``MockServer`` gives it none, so in a test
suite its records reach only the handlers the suite set up (pytest's capture, say). It does
not depend on uvicorn's ``--log-level``. A request that broke the contract logs at WARNING,
every other request at INFO; the journal calls :func:`log_request` only when that level is
enabled, so a quiet server pays one ``isEnabledFor`` per request.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from mockserver._version import __version__

if TYPE_CHECKING:
    from mockserver._contract.validation import Violation
    from mockserver._control.journal import _Entry

LOGGER = logging.getLogger("mockserver.requests")
# A library's logger: without a handler of the application's, records go nowhere (not to
# logging's last-resort stderr handler), so that an embedded MockServer prints nothing.
_NULL = logging.NullHandler()
LOGGER.addHandler(_NULL)

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
    if entry.upstream_violations:  # `letta-mockserver proxy`: the server's doing, not the client's
        line += " SERVER DEVIATION: " + violation_text(entry.upstream_violations).removeprefix(
            "CONTRACT VIOLATION: "
        )
        level = logging.WARNING
    if not line.isprintable():
        # The path is percent-decoded and violations quote what was sent: a newline there would
        # forge a log line of its own.
        line = line.encode("unicode_escape").decode("ascii")
    console = _direct_console()
    if console is not None:
        console.line(level, line)
        return
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


FLUSH_AFTER = 0.05
"""Seconds a console line may wait to be written with the lines that follow it."""


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The console's handler, a speed seam (issue 15; docs/performance.md has the counts).

    Lines are gathered and written together at most ``FLUSH_AFTER`` later: a write and a flush per
    line cost more than the line (sys.stderr is line-buffered, so the gathering has to be here).
    A warning, or a line logged where no event loop runs, is written at once (with those before
    it, in order); ``logging.shutdown`` writes what is left at exit. When it is the logger's one
    listener, :meth:`line` prints a request's line with no ``LogRecord`` at all.
    """

    def __init__(self, stream: TextIO, datefmt: str = "%H:%M:%S") -> None:
        super().__init__(stream)
        self.datefmt = datefmt
        self.own_formatter = _SecondsFormatter("%(asctime)s %(levelname)-7s %(message)s", datefmt)
        self.setFormatter(self.own_formatter)
        self._pending: list[str] = []
        self._armed: asyncio.AbstractEventLoop | None = None
        self._second = -1
        self._clock = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._pending.append(self.format(record) + self.terminator)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self._after_append(record.levelno)

    def line(self, level: int, message: str) -> None:
        """Print ``message`` as the formatter prints a record of it at ``level``, without the record."""
        now = time.time()
        if int(now) != self._second:
            self._second, self._clock = int(now), time.strftime(self.datefmt, time.localtime(now))
        text = f"{self._clock} {logging.getLevelName(level):<7} {message}{self.terminator}"
        self.acquire()
        try:
            self._pending.append(text)
            self._after_append(level)
        finally:
            self.release()

    def _after_append(self, level: int) -> None:
        """Write now, or make sure a write comes soon (called with the handler's lock held)."""
        if level >= logging.WARNING:
            self._write()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write()
            return
        if self._armed is not loop:  # one timer per loop at a time; a stopped loop's is never waited for
            self._armed = loop
            loop.call_later(FLUSH_AFTER, self._flush_later)

    def _flush_later(self) -> None:
        self.acquire()
        try:
            self._armed = None
            self._write()
        finally:
            self.release()

    def flush(self) -> None:
        self.acquire()
        try:
            self._write()
        finally:
            self.release()

    def _write(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self.stream.write(text)
        if self.stream and hasattr(self.stream, "flush"):
            self.stream.flush()


class _SecondsFormatter(logging.Formatter):
    """Formats a record's time once per second: ``%H:%M:%S`` is the same for every line in it."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, super().formatTime(record, datefmt)
        return self._text


def _direct_console() -> ConsoleHandler | None:
    """The console handler when nothing else would see a record: no other handler or filter on the
    logger, none above it, the console's own format. Then a request's line needs no LogRecord."""
    handlers = LOGGER.handlers
    if len(handlers) != 2 or LOGGER.propagate or LOGGER.filters or handlers[0] is not _NULL:
        return None
    console = handlers[1]
    if type(console) is not ConsoleHandler or console.formatter is not console.own_formatter:
        return None
    if console.filters or console.level > logging.INFO:
        return None
    return console


def attach_console(stream: TextIO | None = None) -> logging.Handler:
    """Print the request log on ``stream`` (stderr) at INFO, whatever uvicorn's log level."""
    for old in [h for h in LOGGER.handlers if h.get_name() == _CONSOLE]:
        LOGGER.removeHandler(old)  # serve() called again in the same process: one line per request still
        old.flush()
    handler = ConsoleHandler(stream or sys.stderr)
    handler.set_name(_CONSOLE)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    # The console line is the record's one appearance; an application's root handler would repeat it.
    LOGGER.propagate = False
    return handler
