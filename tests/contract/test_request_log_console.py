"""The console's request log is written in batches, and without a LogRecord when nothing else
listens: neither may change a byte of what a person reads, nor hide a record from a handler of
the application's (tests/cli/test_output.py reads the lines of a real `serve`)."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from mockserver import Config
from mockserver._control import requestlog
from mockserver._web.app import create_app

LINE = re.compile(r"^\d\d:\d\d:\d\d (INFO   |WARNING) (.*)$")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = requestlog.attach_console(stream)
    try:
        yield stream
    finally:
        requestlog.LOGGER.removeHandler(handler)
        requestlog.LOGGER.setLevel(logging.NOTSET)
        requestlog.LOGGER.propagate = True


async def _requests(targets: list[str], *, wait: float) -> None:
    app = create_app(Config(mode="stateless"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://log.test") as client:
        for target in targets:
            await client.get(target)
        await asyncio.sleep(wait)


TARGETS = ["/v1/runs/?limit=2", "/v1/runs/?limit=-1", "/v1/nope", "/v1/jobs/active"]
EXPECTED = [
    ("INFO   ", r"GET /v1/runs/\?limit=2 200 \d+\.\d ms"),
    ("WARNING", r"GET /v1/runs/\?limit=-1 422 \d+\.\d ms CONTRACT VIOLATION: /query/limit: .*"),
    ("INFO   ", r"GET /v1/nope 404 \(no operation here\)"),
    ("INFO   ", r"GET /v1/jobs/active 200 \d+\.\d ms"),
]


def _lines(text: str) -> list[tuple[str, str]]:
    found = [LINE.match(line) for line in text.splitlines()]
    assert all(found), text
    return [(m.group(1), m.group(2)) for m in found if m]


def _check(lines: list[tuple[str, str]]) -> None:
    assert len(lines) == len(EXPECTED), lines
    for (level, message), (want_level, pattern) in zip(lines, EXPECTED, strict=True):
        assert level == want_level
        assert re.fullmatch(pattern, message), message


def test_lines_are_written_in_order_soon_after(console: io.StringIO) -> None:
    asyncio.run(_requests(TARGETS, wait=requestlog.FLUSH_AFTER * 4))
    _check(_lines(console.getvalue()))


def test_a_warning_writes_the_lines_before_it_at_once(console: io.StringIO) -> None:
    asyncio.run(_requests(TARGETS[:2], wait=0))
    # No waiting: the warning was written with the line before it, in order.
    assert [level for level, _ in _lines(console.getvalue())] == ["INFO   ", "WARNING"]


def test_a_handler_of_ones_own_still_gets_every_record(console: io.StringIO) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    mine = Keep()
    requestlog.LOGGER.addHandler(mine)
    try:
        asyncio.run(_requests(TARGETS, wait=requestlog.FLUSH_AFTER * 4))
    finally:
        requestlog.LOGGER.removeHandler(mine)
    _check(_lines(console.getvalue()))  # the console prints each line once, as before
    assert [r.getMessage() for r in records] == [m for _, m in _lines(console.getvalue())]
    assert [getattr(r, "status", None) for r in records] == [200, 422, 404, 200]
    assert records[0].operation_id == "list_runs"  # type: ignore[attr-defined]
