"""What the robustness tests share: raw HTTP/1.1 over sockets, and a mock server in a subprocess.

Raw sockets send exactly the bytes a case names (httpx would normalise paths, refuse NULs and
re-encode percent escapes). Every socket operation has a timeout and every wait a deadline, so a
server that hangs fails a test instead of stopping the suite.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

MIB = 1024 * 1024
SOCKET_TIMEOUT = 10.0
"""Seconds any single socket operation may block."""
DEADLINE = 20.0
"""Seconds a whole exchange may take."""


MEASURED: dict[str, str] = {}
"""Figures the tests measured (memory, times, request counts), printed in the terminal summary."""


def measured(name: str, value: float, unit: str) -> float:
    MEASURED[name] = f"{value:.1f} {unit}" if isinstance(value, float) else f"{value} {unit}"
    return value


def address(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    assert parsed.port is not None, url
    return parsed.host, parsed.port


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip()

    def json(self) -> Any:
        return json.loads(self.body)

    def __str__(self) -> str:
        return f"{self.status} {self.headers.get('content-type', '')} {self.body[:500]!r}"


def head_bytes(
    method: str,
    target: str,
    host: str,
    port: int,
    headers: Sequence[tuple[str, str]] = (),
    *,
    close: bool = True,
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_head(sock: socket.socket, deadline: float) -> tuple[int, dict[str, str], bytes]:
    """The status, the headers and whatever of the body came with them."""
    data = b""
    while b"\r\n\r\n" not in data:
        assert time.monotonic() < deadline, f"no response head in time; got {data[:200]!r}"
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response head: {data[:200]!r}"
        data += chunk
    return _parse_head(data)


def _parse_head(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ")[1]), headers, rest


def _dechunk(data: bytes) -> bytes:
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body += data[:size]
        data = data[size + 2 :]
    return body


def read_response(sock: socket.socket, deadline: float) -> RawResponse:
    """One response: by ``Content-Length`` if it has one, else (chunked, or closing) to the end.
    Interim ``1xx`` answers (``100 Continue``) are skipped."""
    status, headers, body = read_head(sock, deadline)
    while 100 <= status < 200:
        rest = body
        while b"\r\n\r\n" not in rest:
            assert time.monotonic() < deadline, "no final response after an interim one"
            chunk = sock.recv(65536)
            assert chunk, "connection closed after an interim response"
            rest += chunk
        status, headers, body = _parse_head(rest)
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(body) < length:
            assert time.monotonic() < deadline, "no complete response body in time"
            chunk = sock.recv(65536)
            assert chunk, "connection closed in the middle of the response body"
            body += chunk
        return RawResponse(status, headers, body[:length])
    while not (headers.get("transfer-encoding") == "chunked" and body.endswith(b"0\r\n\r\n")):
        assert time.monotonic() < deadline, f"the response did not end in time: {body[-300:]!r}"
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return RawResponse(status, headers, body)


def exchange(url: str, request: bytes, *, timeout: float = SOCKET_TIMEOUT) -> RawResponse:
    """Send ``request`` (whole, as given) on a fresh connection and read one response."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(request)
        return read_response(sock, time.monotonic() + DEADLINE)


def send(
    url: str,
    method: str,
    target: str,
    *,
    body: bytes | None = None,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = SOCKET_TIMEOUT,
) -> RawResponse:
    host, port = address(url)
    sent = list(headers)
    if body is not None:
        sent.append(("Content-Length", str(len(body))))
    return exchange(url, head_bytes(method, target, host, port, sent) + (body or b""), timeout=timeout)


# -- a server in a subprocess, whose memory is its own ----------------------------------------------


def _status_field(pid: int, name: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == name:
            return int(value.split()[0]) * 1024
    raise AssertionError(f"/proc/{pid}/status has no {name}")


@dataclass
class Spawned:
    process: subprocess.Popen[bytes]
    url: str
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss(self) -> int:
        """Resident memory now, in bytes (``VmRSS``)."""
        return _status_field(self.pid, "VmRSS")

    def peak_rss(self) -> int:
        """The most resident memory so far, in bytes (``VmHWM``)."""
        return _status_field(self.pid, "VmHWM")

    def reset_peak(self) -> bool:
        """Restart ``VmHWM`` from the current ``VmRSS`` (``/proc/<pid>/clear_refs``); whether it could."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def settled_rss(self, seconds: float = 3.0) -> int:
        """The lowest ``VmRSS`` seen over ``seconds`` (freed memory takes a moment to leave)."""
        end = time.monotonic() + seconds
        lowest = self.rss()
        while time.monotonic() < end:
            time.sleep(0.1)
            lowest = min(lowest, self.rss())
        return lowest

    def stop(self, signum: int = signal.SIGINT, timeout: float = 15.0) -> tuple[int, float, str]:
        """Signal the server; its exit status, how long it took to exit, and its stderr."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(f"the server did not exit within {timeout} s of signal {signum}") from None
        return code, time.monotonic() - started, self.stderr.read_text(errors="replace")


@contextmanager
def spawn(
    directory: Path, *args: str, env: Mapping[str, str] | None = None, startup: float = 20.0
) -> Iterator[Spawned]:
    """``python -m mockserver serve --port 0 *args``; killed on the way out if it is still running.

    ``LETTA_MOCK_*`` variables of this environment are not passed on: only ``args`` and ``env`` count."""
    stdout, stderr = directory / "server.out", directory / "server.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("LETTA_MOCK_")}, **(env or {})},
        )
    try:
        end = time.monotonic() + startup
        while True:
            match = re.search(r"listening on (http://\S+)", stdout.read_text(errors="replace"))
            if match:
                break
            if process.poll() is not None or time.monotonic() > end:
                raise AssertionError(
                    f"the server did not start (exit {process.poll()}): {stderr.read_text(errors='replace')}"
                )
            time.sleep(0.02)
        yield Spawned(process, match.group(1), stdout, stderr)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
