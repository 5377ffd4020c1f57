"""Server processes: each server under test runs in its own process (its own GIL).

A server prints ``... listening on URL`` once its socket is bound; :func:`spawn` reads
that line, then polls a probe path until it answers 200, and records both times from
the moment the process was spawned (the cold start).
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
_URL = re.compile(r"listening on (http://\S+)")


class ServerFailed(RuntimeError):
    """A server did not start, or stopped answering."""


@dataclass
class Server:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    listening_s: float
    """From spawning the process to the printed URL (socket bound)."""
    first_200_s: float
    """From spawning the process to the first 200 answer of the probe (the cold start)."""
    first_200_cpu_s: float
    """CPU time the server had used by then (robust to other load on the machine)."""
    requests_served: int = 0
    """Requests the bench has counted against this process (wrk totals and seeding)."""
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mib(self) -> float:
        return rss_mib(self.proc.pid)

    def cpu_s(self) -> float:
        return cpu_seconds(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), then SIGKILL after 15 s; this process only."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def rss_mib(pid: int) -> float:
    """VmRSS of a process, in MiB (Linux ``/proc``)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise ServerFailed(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``, clock-tick resolution)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mock_argv(*flags: str) -> list[str]:
    # --quiet: the per-request console log is for people; under load it would measure the terminal.
    return [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--quiet", *flags]


def baseline_argv(*flags: str) -> list[str]:
    return [sys.executable, "-m", "bench.baseline_app", "--port", "0", *flags]


def _pump(stream: IO[bytes], lines: queue.Queue[str], log_path: Path) -> None:
    with log_path.open("ab") as log:
        for raw in iter(stream.readline, b""):
            log.write(raw)
            log.flush()
            lines.put(raw.decode("utf-8", "replace"))
    stream.close()


def probe(url: str, path: str, deadline: float) -> None:
    """GET ``path`` on a fresh connection until it answers 200 (connections refused are retried)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    last: object = None
    while time.perf_counter() < deadline:
        conn = http.client.HTTPConnection(host, port, timeout=max(0.1, deadline - time.perf_counter()))
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except OSError as exc:
            last = exc
        finally:
            conn.close()
        time.sleep(0.002)
    raise ServerFailed(f"{url}{path} did not answer 200 in time (last: {last})")


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_dir: Path,
    env: dict[str, str] | None = None,
    probe_path: str = "/v1/messages/batches?limit=1",
    timeout: float = 60.0,
) -> Server:
    """Start ``argv`` in its own process and wait until ``probe_path`` answers 200."""
    log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
    with log_path.open("ab") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env if env is not None else dict(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines, log_path), daemon=True).start()
    deadline = started + timeout
    url = None
    try:
        while url is None:
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                if proc.poll() is not None:
                    raise ServerFailed(f"{name} exited with {proc.returncode}; see {log_path}") from None
                if time.perf_counter() > deadline:
                    raise ServerFailed(f"{name} printed no URL in {timeout} s; see {log_path}") from None
                continue
            found = _URL.search(line)
            if found:
                url = found.group(1)
        listening = time.perf_counter() - started
        probe(url, probe_path, deadline)
        first_200 = time.perf_counter() - started
        first_200_cpu = cpu_seconds(proc.pid)
    except BaseException:
        proc.kill()
        proc.wait(5)
        raise
    return Server(name, list(argv), proc, url, log_path, listening, first_200, first_200_cpu)


def log_tail(server: Server, lines: int = 20) -> str:
    try:
        return "\n".join(server.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
