"""Writing exchanges to a HAR file as they happen (``--record``, the plugin's per-test files, the proxy).

The file is a whole HAR document after every write: each entry is written where the document's
closing brackets were, and the brackets after it. A server killed mid-session leaves a file every
HAR reader opens, holding every exchange answered until then; nothing waits for a shutdown.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import IO

from mockserver._recording import har
from mockserver._recording.exchange import Exchange
from mockserver._recording.redact import redact

STREAM_LIMIT = 16 * 1024 * 1024
"""Bytes of a stream's text kept in a recording; a longer stream is cut there, and says so."""


def session_file(directory: Path) -> Path:
    """``DIR/letta-mock-<UTC time>-<pid>.har``: one server's file, never another's (a second server of
    the same process in the same second gets ``-2``, and so on)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"letta-mock-{stamp}-{os.getpid()}"
    path, number = directory / f"{name}.har", 1
    while path.exists():
        number += 1
        path = directory / f"{name}-{number}.har"
    return path


def file_for_test(directory: Path, nodeid: str) -> Path:
    """``DIR/<nodeid>.har``, the node id made a portable file name (``tests/a.py::t[x]`` ->
    ``tests_a.py__t_x_.har``)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", nodeid).strip(".") or "test"
    return directory / f"{name[:200]}.har"


class Recorder:
    """Appends exchanges, redacted, to one HAR file; safe to call from several threads.

    ``base_url``: the scheme and host of the entries' URLs; without it each request's own ``Host``.
    An exchange added after :meth:`close` (a stream that ended after its test did) is dropped.
    """

    def __init__(self, path: Path, base_url: str | None = None) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] | None = path.open("wb")
        except OSError as exc:
            raise ValueError(f"cannot record to {str(path)!r}: {exc.strerror or exc}") from None
        self.path = path
        self.base_url = base_url
        self.count = 0
        self._lock = threading.Lock()
        self._tail = har.tail()
        self._file.write(har.head() + self._tail)
        self._file.flush()

    def add(self, exchange: Exchange) -> None:
        base = self.base_url or "http://" + (exchange.header("host", response=False) or "127.0.0.1")
        data = har.entry_bytes(redact(exchange), base)
        with self._lock:
            if self._file is None:
                return
            self._file.seek(-len(self._tail), os.SEEK_END)
            self._file.write((b",\n" if self.count else b"\n") + data + self._tail)
            self._file.truncate()
            self._file.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    @property
    def closed(self) -> bool:
        return self._file is None


class StreamCapture:
    """A stream's text as it is sent, kept up to ``limit`` bytes; past it, counted and noted."""

    def __init__(self, limit: int = STREAM_LIMIT) -> None:
        self.limit = limit
        self.total = 0
        self._kept: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self._size < self.limit:
            taken = chunk[: self.limit - self._size]
            self._kept.append(taken)
            self._size += len(taken)

    def text(self) -> bytes:
        return b"".join(self._kept)

    def note(self) -> str:
        if self.total <= self.limit:
            return ""
        return f"stream cut after {self.limit} of its {self.total} bytes by the recorder"


Chunk = bytes | str | memoryview


async def captured(
    chunks: AsyncIterable[Chunk], done: Callable[[bytes, str], None], limit: int = STREAM_LIMIT
) -> AsyncIterator[Chunk]:
    """``chunks``, passed on unchanged; ``done(text, note)`` once the stream ends, however it ends
    (finished, failed, or the client gone)."""
    capture = StreamCapture(limit)
    try:
        async for chunk in chunks:
            capture.feed(chunk.encode() if isinstance(chunk, str) else bytes(chunk))
            yield chunk
    finally:
        done(capture.text(), capture.note())


def with_note(exchange: Exchange, note: str) -> Exchange:
    if not note:
        return exchange
    return replace(exchange, comment=f"{exchange.comment}; {note}" if exchange.comment else note)
