"""Faults of the mock's surroundings.

- Callback receivers that answer in ways ``tests/callbacks`` does not cover: dripping the answer
  forever (each piece inside httpx's per-read timeout), and a 256 MiB answer; slow receivers must
  not starve the others.
- Clients that leave a run stream: the server stops following the run for them.
- SIGINT and SIGTERM of a server (a subprocess) while streams and callbacks are in flight.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

from mockserver import MockServer

from .catalogue import AGENT
from .support import DEADLINE, MIB, SOCKET_TIMEOUT, address, head_bytes, measured, read_head, spawn

ServerFactory = Callable[..., MockServer]


class RawReceiver:
    """A callback receiver on 127.0.0.1 that misbehaves on purpose, per connection:

    - ``drip-head``: the status line and headers, one byte every 0.2 s;
    - ``drip-body``: a 200 head, then a chunked body of one byte every 0.2 s, without end;
    - ``huge``: a 200 with a ``size``-byte body, sent as fast as it is read;
    - ``silent``: reads nothing, answers nothing (until the receiver closes);
    - ``ok``: ``200 {}`` at once.
    """

    def __init__(self, mode: str, size: int = 0) -> None:
        self.mode, self.size = mode, size
        self.stopping = threading.Event()
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/callback"
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, name=f"receiver-{mode}", daemon=True)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.accepted += 1
                self._connections.append(connection)
                worker = threading.Thread(target=self._serve, args=(connection,), daemon=True)
                self._threads.append(worker)
            worker.start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(SOCKET_TIMEOUT)
            if self.mode == "silent":
                self.stopping.wait(60)
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                data += chunk
            # The request's body too: closing with it unread makes the kernel reset the connection, and
            # the mock could then lose the end of an answer it was still reading (a ReadError, not ours).
            head, _, body = data.partition(b"\r\n\r\n")
            declared = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            while declared is not None and len(body) < int(declared.group(1)):
                chunk = connection.recv(65536)
                if not chunk:
                    return
                body += chunk
            if self.mode == "ok":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            elif self.mode == "drip-head":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}":
                    if self.stopping.wait(0.2):
                        return
                    connection.sendall(bytes([byte]))
            elif self.mode == "drip-body":
                connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                while not self.stopping.wait(0.2):
                    connection.sendall(b"1\r\nx\r\n")
            elif self.mode == "huge":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % self.size)
                block = b"0" * MIB
                for _ in range(self.size // MIB):
                    connection.sendall(block)
        except OSError:
            pass  # the mock gave up on us: that is what these tests provoke
        finally:
            connection.close()

    def __enter__(self) -> RawReceiver:
        self._acceptor.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._acceptor.join(SOCKET_TIMEOUT)
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()
            threads = list(self._threads)
        for thread in threads:
            thread.join(SOCKET_TIMEOUT)


def _callbacks(http: httpx.Client) -> dict[str, Any]:
    reply = http.get("/_mock/callbacks")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _wait_callbacks(http: httpx.Client, count: int, deadline: float = DEADLINE) -> list[dict[str, Any]]:
    end = time.monotonic() + deadline
    while True:
        body = _callbacks(http)
        if len(body["callbacks"]) >= count and body["pending"] == 0:
            entries: list[dict[str, Any]] = body["callbacks"]
            return entries
        assert time.monotonic() < end, f"callbacks not done in {deadline} s: {body}"
        time.sleep(0.02)


def _create_batch(http: httpx.Client, callback_url: str) -> str:
    reply = http.post(
        "/v1/messages/batches",
        json={"requests": [{"agent_id": AGENT, "input": "hi"}], "callback_url": callback_url},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["id"])


@pytest.fixture
def dedicated(server_factory: ServerFactory) -> Iterator[Callable[..., httpx.Client]]:
    """A client of a manual-clock stateful server with the given settings, reset before and after."""
    made: list[tuple[MockServer, httpx.Client]] = []

    def make(**settings: Any) -> httpx.Client:
        server = server_factory(mode="stateful", clock="manual", seed=10, **settings)
        server.reset()
        client = httpx.Client(base_url=server.url, timeout=10)
        made.append((server, client))
        return client

    yield make
    for server, client in made:
        _wait_callbacks(client, 0)
        client.close()
        server.reset()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["drip-head", "drip-body"])
def test_a_receiver_dripping_its_answer_is_cut_off_at_the_timeout(
    dedicated: Callable[..., httpx.Client], mode: str
) -> None:
    """``--callback-timeout`` bounds the whole attempt, not each read: a drip never holds a worker."""
    http = dedicated(callback_timeout=1.0)
    with RawReceiver(mode) as receiver:
        batch = _create_batch(http, receiver.url)
        http.post("/_mock/clock/advance", json={"seconds": 3, "wait_for_callbacks": False})
        started = time.monotonic()
        [entry] = _wait_callbacks(http, 1, deadline=5)
        assert time.monotonic() - started < 3
    assert entry["status_code"] is None
    assert entry["error"].startswith(f"Failed to dispatch callback for job {batch} to {receiver.url}: ")
    assert "timed out after 1 s" in entry["error"]
    assert 900 <= entry["duration_ms"] < 2500


@pytest.mark.slow
def test_slow_receivers_cannot_starve_the_others(dedicated: Callable[..., httpx.Client]) -> None:
    """Two workers, four dripping receivers queued first: the good receiver is still served, in time."""
    http = dedicated(callback_timeout=1.0, callback_concurrency=2)
    with RawReceiver("drip-body") as slow, RawReceiver("ok") as good:
        for _ in range(4):
            _create_batch(http, slow.url)
        fine = _create_batch(http, good.url)
        http.post("/_mock/clock/advance", json={"seconds": 3, "wait_for_callbacks": False})
        started = time.monotonic()
        entries = _wait_callbacks(http, 5, deadline=10)
        elapsed = time.monotonic() - started
    by_id = {entry["id"]: entry for entry in entries}
    assert (by_id[fine]["status_code"], by_id[fine]["error"]) == (200, None)
    assert sum("timed out" in (entry["error"] or "") for entry in entries) == 4
    assert elapsed < 2 * 1.0 + 2.5  # two rounds of timeouts on two workers, then the good one


def _self_status(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == name:
            return int(value.split()[0]) * 1024
    raise AssertionError(name)


@pytest.mark.slow
def test_a_256_mib_answer_is_read_but_not_kept(dedicated: Callable[..., httpx.Client]) -> None:
    """The answer is drained as it comes (only its status is recorded): no memory to speak of."""
    http = dedicated()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from now
    except OSError:
        pytest.skip("cannot reset VmHWM of this process")
    before = _self_status("VmRSS")
    with RawReceiver("huge", size=256 * MIB) as receiver:
        _create_batch(http, receiver.url)
        http.post("/_mock/clock/advance", json={"seconds": 3})
        [entry] = _wait_callbacks(http, 1)
    growth = (_self_status("VmHWM") - before) / MIB
    measured("256 MiB callback answer: peak RSS growth of the pytest process", growth, "MiB")
    assert (entry["status_code"], entry["error"]) == (200, None)
    assert growth < 64


# -- run streams ---------------------------------------------------------------------------------


def _open_stream(url: str, run_id: str) -> socket.socket:
    host, port = address(url)
    sock = socket.create_connection((host, port), timeout=SOCKET_TIMEOUT)
    body = b"{}"
    sock.sendall(
        head_bytes(
            "POST",
            f"/v1/runs/{run_id}/stream",
            host,
            port,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            close=False,
        )
        + body
    )
    status, headers, _rest = read_head(sock, time.monotonic() + DEADLINE)
    assert status == 200, (status, headers)
    assert headers["content-type"].startswith("text/event-stream"), headers
    return sock


def _read_to_end(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the stream did not end: {data[-200:]!r}")


def test_clients_leaving_a_run_stream_free_it(server_factory: ServerFactory) -> None:
    """Twenty clients follow a running run, then hang up: every waiter and connection is released."""
    server = server_factory(mode="stateful", clock="manual", seed=11)
    server.reset()
    stateful = server._parts().stateful
    assert stateful is not None
    uvicorn_server = server._server
    assert uvicorn_server is not None
    with httpx.Client(base_url=server.url, timeout=10) as http:
        run = http.post("/_mock/runs", json={"agent_id": AGENT, "status": "running", "duration": 3600})
        assert run.status_code == 201, run.text
        run_id = run.json()["id"]
        assert http.get("/v1/runs/").status_code == 200  # the client's own connection is open now
        connections = len(uvicorn_server.server_state.connections)
        streams = [_open_stream(server.url, run_id) for _ in range(20)]
        end = time.monotonic() + DEADLINE
        while len(stateful._waiters.get(run_id, ())) < 20:
            assert time.monotonic() < end, "the streams never started following the run"
            time.sleep(0.01)
        for sock in streams:
            sock.close()
        state = uvicorn_server.server_state
        while stateful._waiters or len(state.connections) > connections:
            assert time.monotonic() < end, f"still following: {stateful._waiters}, {len(state.connections)}"
            time.sleep(0.01)
        started = time.monotonic()
        assert http.post("/_mock/clock/advance", json={"seconds": 1}).status_code == 200
        assert http.get(f"/v1/runs/{run_id}").status_code == 200
        assert time.monotonic() - started < 1.0
    server.reset()


# -- shutdown ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_shutdown_with_streams_and_callbacks_in_flight_is_clean_and_prompt(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """Three open streams and two callbacks to a receiver that never answers: exit 0, promptly,
    every stream ended with ``[DONE]``, nothing on stderr that looks like a crash."""
    timeout = 2.0
    with (
        RawReceiver("silent") as receiver,
        spawn(tmp_path, "--clock", "manual", "--callback-timeout", str(timeout)) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        running = http.post("/_mock/runs", json={"agent_id": AGENT, "status": "running", "duration": 3600})
        assert running.status_code == 201, running.text
        streams = [_open_stream(server.url, running.json()["id"]) for _ in range(3)]
        finished = http.post(
            "/_mock/runs",
            json={
                "agent_id": AGENT,
                "status": "completed",
                "stop_reason": "end_turn",
                "callback_url": receiver.url,
            },
        )
        assert finished.status_code == 201, finished.text
        _create_batch(http, receiver.url)
        no_wait = {"seconds": 3, "wait_for_callbacks": False}  # the callbacks must still be in flight
        assert http.post("/_mock/clock/advance", json=no_wait).status_code == 200
        end = time.monotonic() + DEADLINE
        while receiver.accepted < 2 or _callbacks(http)["pending"] < 2:
            assert time.monotonic() < end, "the callbacks never went out"
            time.sleep(0.02)
        code, seconds, stderr = server.stop(signum)
        endings = [_read_to_end(sock, time.monotonic() + DEADLINE) for sock in streams]
        for sock in streams:
            sock.close()
    measured(f"shutdown on {signal.Signals(signum).name} with streams and callbacks in flight", seconds, "s")
    assert code == 0, stderr
    assert seconds < timeout + 1.0 + 3.0, f"shutdown took {seconds:.1f} s"
    for ending in endings:
        assert b"data: [DONE]" in ending, ending[-300:]
    for word in ("Traceback", "ERROR", "Exception"):
        assert word not in stderr, stderr
