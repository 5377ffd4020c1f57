"""``python -m bench``: load the mock and a bare Starlette baseline, write bench/results/latest.*.

Sections (each can be picked with ``--only``):

- ``cold``: process spawn -> first 200, and RSS once idle, for both servers;
- ``throughput``: wrk on the four endpoints, baseline vs mock, interleaved, median of N runs;
  then more GETs until the mock has served ``--rss-requests`` (or ``--rss-budget`` seconds
  are spent) and its RSS after them;
- ``lists``: list latency with ``--stored-small`` vs ``--stored-large`` stored batches;
- ``callbacks``: ``--callbacks`` batches completed by one clock advance, delivered to a
  local receiver;
- ``reset``: the per-test reset cost of the pytest fixture;
- ``fixtures``: a ``letta_mock_asgi`` test's cost, the mock's CPU apart from the SDK's (bench/fixtures.py);
- ``stateless``: every list and retrieve of ``--mode stateless``, strict and lenient (bench/stateless.py).

Every server runs in its own process; see bench/README.md for the method.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import fixtures as fixtures_section
from bench import load, procs, report, seed
from bench import stateless as stateless_section
from bench.receiver import Receiver

SECTIONS = ("cold", "throughput", "lists", "callbacks", "reset", "fixtures", "stateless")
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    method: str
    path: str
    min_ratio: float
    max_p99_ratio: float
    """The mock's p99 at most this many times the baseline's, in the same run (issue 15)."""


@dataclass
class Settings:
    quick: bool
    duration: int
    connections: int
    threads: int
    reps: int
    warmup: int
    cold_starts: int
    rss_requests: int
    rss_budget: int
    stored_small: int
    stored_large: int
    latency_duration: int
    callbacks: int
    callback_timeout: float
    reset_iterations: int
    stateless_duration: int
    stateless_reps: int
    sections: tuple[str, ...]
    out: Path


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Benchmark letta-mockserver against a bare Starlette app."
    )
    parser.add_argument("--quick", action="store_true", help="short runs and small stores: a smoke run")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10; quick 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--reps", type=int, help="wrk runs per endpoint and server; the median is kept (3)")
    parser.add_argument("--warmup", type=int, help="seconds of unmeasured load per endpoint first (1)")
    parser.add_argument("--cold-starts", type=int, help="measured cold starts per server (5; quick 2)")
    parser.add_argument(
        "--rss-requests", type=int, help="requests the mock serves before 'RSS after load' (1000000)"
    )
    parser.add_argument(
        "--rss-budget", type=int, help="at most this many seconds of extra load to get there (120; quick 5)"
    )
    parser.add_argument("--stored-small", type=int, help="batches stored for the small list (1000)")
    parser.add_argument("--stored-large", type=int, help="batches stored for the large list (100000)")
    parser.add_argument("--latency-duration", type=int, help="seconds per list-latency run (5; quick 2)")
    parser.add_argument("--callbacks", type=int, help="callbacks to deliver (10000; quick 2000)")
    parser.add_argument("--reset-iterations", type=int, help="fixture resets to time (1000; quick 200)")
    parser.add_argument(
        "--stateless-duration", type=int, help="seconds per wrk run in the stateless section (4; quick 1)"
    )
    parser.add_argument("--stateless-reps", type=int, help="wrk runs per stateless endpoint and server (1)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory (bench/results)")
    args = parser.parse_args(argv)
    quick = bool(args.quick)

    def pick(value: int | None, full: int, short: int) -> int:
        return value if value is not None else (short if quick else full)

    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    settings = Settings(
        quick=quick,
        duration=pick(args.duration, 10, 2),
        connections=args.connections,
        threads=args.threads,
        reps=pick(args.reps, 3, 1),
        warmup=pick(args.warmup, 1, 1),
        cold_starts=pick(args.cold_starts, 5, 2),
        rss_requests=pick(args.rss_requests, 1_000_000, 1_000_000),
        rss_budget=pick(args.rss_budget, 120, 5),
        stored_small=pick(args.stored_small, 1000, 1000),
        stored_large=pick(args.stored_large, 100_000, 20_000),
        latency_duration=pick(args.latency_duration, 5, 2),
        callbacks=pick(args.callbacks, 10_000, 2000),
        callback_timeout=120.0,
        reset_iterations=pick(args.reset_iterations, 1000, 200),
        stateless_duration=pick(args.stateless_duration, 4, 1),
        stateless_reps=pick(args.stateless_reps, 1, 1),
        sections=sections,
        out=args.out,
    )
    for name in (
        "duration",
        "connections",
        "threads",
        "reps",
        "cold_starts",
        "stored_small",
        "callbacks",
        "stateless_duration",
        "stateless_reps",
    ):
        if getattr(settings, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if settings.stored_large < settings.stored_small:
        parser.error("--stored-large must not be smaller than --stored-small")
    return settings


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the run ---------------------------------------------------------------------------------


class Run:
    """The servers of one bench run (stopped at the end, whatever happens) and its settings."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.log_dir = workdir / "logs"
        self.log_dir.mkdir()
        self.servers: list[procs.Server] = []
        # Servers get a private, warm bytecode cache: a first (discarded) start compiles it.
        # This sandbox sets PYTHONDONTWRITEBYTECODE, which would make every start compile
        # the editable `mockserver` package from source; users have __pycache__ after one run.
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")

    def spawn(self, name: str, argv: list[str], **kwargs: Any) -> procs.Server:
        server = procs.spawn(name, argv, log_dir=self.log_dir, env=self.env, **kwargs)
        self.servers.append(server)
        return server

    def stop(self, server: procs.Server) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in list(self.servers):
            self.stop(server)

    def wrk(self, url: str, **kwargs: Any) -> load.WrkResult:
        kwargs.setdefault("threads", self.settings.threads)
        kwargs.setdefault("connections", self.settings.connections)
        kwargs.setdefault("duration", self.settings.duration)
        return load.run_wrk(url, **kwargs)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4) if values else math.nan


# -- cold start --------------------------------------------------------------------------------


def cold_start(run: Run) -> dict[str, Any]:
    kinds = {"baseline": procs.baseline_argv(), "mock": procs.mock_argv()}
    out: dict[str, Any] = {}
    for name, argv in kinds.items():
        first = run.spawn(f"cold-{name}", argv)  # compiles the bytecode cache; not counted
        out[name] = {"empty_bytecode_cache_s": round(first.first_200_s, 4), "runs": []}
        run.stop(first)
    for index in range(run.settings.cold_starts):
        for name, argv in kinds.items():
            server = run.spawn(f"cold-{name}", argv)
            time.sleep(0.5)
            out[name]["runs"].append(
                {
                    "listening_s": round(server.listening_s, 4),
                    "first_200_s": round(server.first_200_s, 4),
                    "first_200_cpu_s": round(server.first_200_cpu_s, 3),
                    "rss_idle_mib": round(server.rss_mib(), 1),
                }
            )
            run.stop(server)
        say(
            f"cold start {index + 1}/{run.settings.cold_starts}: "
            + ", ".join(f"{name} {out[name]['runs'][-1]['first_200_s']:.3f} s" for name in kinds)
        )
    for name in kinds:
        runs = out[name]["runs"]
        for key in ("listening_s", "first_200_s", "first_200_cpu_s", "rss_idle_mib"):
            out[name][key] = _median([r[key] for r in runs])
    return out


# -- throughput ------------------------------------------------------------------------------


def _wait_finished(client: httpx.Client, paths: list[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    for path in paths:
        while seed.ok(client.get(path))["status"] not in ("completed", "failed", "cancelled"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} did not finish in {timeout} s")
            time.sleep(0.1)


def throughput(run: Run) -> dict[str, Any]:
    s = run.settings
    say("throughput: starting the mock (GETs), the mock (POSTs) and the baseline")
    mock_get = run.spawn("mock-get", procs.mock_argv())
    with httpx.Client(base_url=mock_get.url, timeout=30) as client:
        batch_ids = seed.create_batches(client, 100)
        run_ids = seed.seed_runs(client, 100)
        mock_get.requests_served += 200
        _wait_finished(client, [f"/v1/messages/batches/{batch_ids[-1]}", f"/v1/runs/{run_ids[-1]}"])
        endpoints = [
            Endpoint(
                "retrieve_batch",
                "GET /v1/messages/batches/{id}",
                "GET",
                f"/v1/messages/batches/{batch_ids[0]}",
                0.75,
                1.3,
            ),
            Endpoint(
                "list_batches",
                "GET /v1/messages/batches?limit=10",
                "GET",
                "/v1/messages/batches?limit=10",
                0.7,
                1.3,
            ),
            Endpoint("list_runs", "GET /v1/runs/?limit=10", "GET", "/v1/runs/?limit=10", 0.7, 1.3),
            Endpoint(
                "create_batch",
                "POST /v1/messages/batches (1 request)",
                "POST",
                "/v1/messages/batches",
                0.45,
                3.0,
            ),
        ]
        bodies = {ep.key: seed.ok(client.get(ep.path)) for ep in endpoints if ep.method == "GET"}
    mock_post = run.spawn("mock-post", procs.mock_argv())
    with httpx.Client(base_url=mock_post.url, timeout=30) as client:
        bodies["create_batch"] = seed.ok(client.post("/v1/messages/batches", json=seed.CREATE_BODY))
        mock_post.requests_served += 1
    bodies_file = run.workdir / "baseline-bodies.json"
    bodies_file.write_text(json.dumps(bodies), encoding="utf-8")
    body_file = run.workdir / "create-batch.json"
    body_file.write_text(json.dumps(seed.CREATE_BODY), encoding="utf-8")
    baseline = run.spawn("baseline", procs.baseline_argv("--bodies", str(bodies_file)))

    def mock_for(ep: Endpoint) -> procs.Server:
        return mock_post if ep.method == "POST" else mock_get

    cpu_us: dict[str, dict[str, list[float]]] = {ep.key: {"baseline": [], "mock": []} for ep in endpoints}

    def load_once(server: procs.Server, ep: Endpoint, duration: int) -> load.WrkResult:
        cpu_before = server.cpu_s()
        result = run.wrk(
            server.url + ep.path,
            duration=duration,
            method=ep.method,
            body_file=body_file if ep.method == "POST" else None,
        )
        server.requests_served += result.requests
        name = "baseline" if server is baseline else "mock"
        cpu_us[ep.key][name].append((server.cpu_s() - cpu_before) / max(1, result.requests) * 1e6)
        if not server.alive():
            raise procs.ServerFailed(f"{server.name} died under load:\n{procs.log_tail(server)}")
        return result

    out: dict[str, Any] = {"endpoints": {}, "response_bytes": {}}
    with httpx.Client(timeout=30) as client:
        for ep in endpoints:
            sizes = {}
            for name, server in (("baseline", baseline), ("mock", mock_for(ep))):
                body = seed.CREATE_BODY if ep.method == "POST" else None
                response = client.request(ep.method, server.url + ep.path, json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"{name} {ep.label} answered {response.status_code}: {response.text}")
                sizes[name] = len(response.content)
                server.requests_served += 1
            out["response_bytes"][ep.key] = sizes
    rss_loaded_before = {"mock_get": round(mock_get.rss_mib(), 1), "mock_post": round(mock_post.rss_mib(), 1)}
    if s.warmup:
        for ep in endpoints:
            for server in (baseline, mock_for(ep)):
                load_once(server, ep, s.warmup)
        cpu_us.update({ep.key: {"baseline": [], "mock": []} for ep in endpoints})
    runs: dict[str, dict[str, list[load.WrkResult]]] = {
        ep.key: {"baseline": [], "mock": []} for ep in endpoints
    }
    for rep in range(s.reps):
        for ep in endpoints:
            for name, server in (("baseline", baseline), ("mock", mock_for(ep))):
                result = load_once(server, ep, s.duration)
                runs[ep.key][name].append(result)
                say(
                    f"rep {rep + 1}/{s.reps} {ep.label:40} {name:8} {result.rps:9.0f} req/s"
                    f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms"
                    + (f"  errors {result.errors}" if result.errors else "")
                )
    for ep in endpoints:
        summary = {name: load.summarise(results) for name, results in runs[ep.key].items()}
        out["endpoints"][ep.key] = {
            "label": ep.label,
            "path": ep.path,
            "method": ep.method,
            "min_ratio": ep.min_ratio,
            "max_p99_ratio": ep.max_p99_ratio,
            "baseline": summary["baseline"].as_json(),
            "mock": summary["mock"].as_json(),
            "ratio": round(summary["mock"].rps / summary["baseline"].rps, 3),
            "cpu_us_per_request": {name: _median(values) for name, values in cpu_us[ep.key].items()},
            "runs": {name: [r.as_json() for r in results] for name, results in runs[ep.key].items()},
        }
    out["rss"] = rss_after_load(run, mock_get, baseline, mock_post, endpoints, runs, rss_loaded_before)
    for server in (mock_get, mock_post, baseline):
        run.stop(server)
    return out


def rss_after_load(
    run: Run,
    mock_get: procs.Server,
    baseline: procs.Server,
    mock_post: procs.Server,
    endpoints: list[Endpoint],
    runs: dict[str, dict[str, list[load.WrkResult]]],
    before: dict[str, float],
) -> dict[str, Any]:
    """Top the GET mock up to ``--rss-requests`` with a GET mix, within ``--rss-budget`` seconds."""
    s = run.settings
    mix = [ep.path for ep in endpoints if ep.method == "GET"]
    started = time.monotonic()
    extra = 0
    while mock_get.requests_served < s.rss_requests and time.monotonic() - started < s.rss_budget:
        rates = [r.rps for ep in endpoints if ep.method == "GET" for r in runs[ep.key]["mock"]]
        rate = statistics.median(rates) if rates else 1000.0
        left = s.rss_budget - (time.monotonic() - started)
        seconds = min(30, math.ceil((s.rss_requests - mock_get.requests_served) / rate), math.floor(left))
        if seconds < 1:
            break
        result = run.wrk(mock_get.url + mix[0], duration=seconds, paths=mix)
        mock_get.requests_served += result.requests
        extra += result.requests
        say(f"RSS load: {mock_get.requests_served:,} requests served, RSS {mock_get.rss_mib():.1f} MiB")
    creates = mock_post.requests_served
    post_rss = mock_post.rss_mib()
    return {
        "mock_get": {
            "requests": mock_get.requests_served,
            "extra_mix_requests": extra,
            "reached_target": mock_get.requests_served >= s.rss_requests,
            "rss_before_load_mib": before["mock_get"],
            "rss_after_mib": round(mock_get.rss_mib(), 1),
        },
        "baseline": {"requests": baseline.requests_served, "rss_after_mib": round(baseline.rss_mib(), 1)},
        "mock_post": {
            "requests": creates,
            "rss_before_load_mib": before["mock_post"],
            "rss_after_mib": round(post_rss, 1),
            "kib_per_stored_batch": round((post_rss - before["mock_post"]) * 1024 / max(1, creates), 2),
        },
    }


# -- lists with a small and a large store -------------------------------------------------------


def list_latency(run: Run) -> dict[str, Any]:
    s = run.settings
    mock = run.spawn("mock-lists", procs.mock_argv("--clock", "manual"))
    out: dict[str, Any] = {"sizes": {}}
    with httpx.Client(base_url=mock.url, timeout=600) as client:
        started = time.perf_counter()
        ids = seed.create_batches(client, s.stored_small)
        elapsed = time.perf_counter() - started
        out["post_loop_batches_per_s"] = round(s.stored_small / elapsed, 1)
        seed.ok(client.post("/_mock/clock/advance", json={"seconds": 2.5}))
        template = seed.ok(client.get(f"/v1/messages/batches/{ids[0]}"))
        base = seed.ok(client.get("/_mock/state"))
        for size in (s.stored_small, s.stored_large):
            jobs = seed.batch_jobs(template, size, now=base["clock"]["now"], finished=True)
            state = {**base, "version": seed.SNAPSHOT_VERSION, "jobs": jobs, "runs": [], "scenarios": []}
            put = seed.put_state(client, state)
            put["batches_per_s"] = round(size / put["seconds"], 1)
            middle = jobs[size // 2]["body"]["id"]
            say(f"lists: {size:,} batches stored in {put['seconds']:.2f} s by PUT /_mock/state")
            plain = run.wrk(
                mock.url + "/v1/messages/batches?limit=10",
                threads=1,
                connections=1,
                duration=s.latency_duration,
            )
            cursor = run.wrk(
                mock.url + f"/v1/messages/batches?limit=10&after={middle}",
                threads=1,
                connections=1,
                duration=s.latency_duration,
            )
            loaded = run.wrk(mock.url + "/v1/messages/batches?limit=10", duration=s.latency_duration)
            out["sizes"][str(size)] = {
                "stored": size,
                "put_state": put,
                "rss_mib": round(mock.rss_mib(), 1),
                "c1": plain.as_json(),
                "c1_after_cursor": cursor.as_json(),
                "loaded": loaded.as_json(),
            }
            say(
                f"lists: {size:,} stored: p50 {plain.p50_ms:.3f} ms (after-cursor {cursor.p50_ms:.3f} ms),"
                f" {loaded.rps:.0f} req/s at {s.connections} connections"
            )
    small, large = (out["sizes"][str(n)] for n in (s.stored_small, s.stored_large))
    out["p50_ratio"] = round(large["c1"]["p50_ms"] / small["c1"]["p50_ms"], 3)
    out["p50_ratio_after_cursor"] = round(
        large["c1_after_cursor"]["p50_ms"] / small["c1_after_cursor"]["p50_ms"], 3
    )
    run.stop(mock)
    return out


# -- callbacks ---------------------------------------------------------------------------------


def callbacks(run: Run) -> dict[str, Any]:
    s = run.settings
    count = s.callbacks
    receiver = Receiver().start()
    journal_size = max(20_000, 2 * count)
    mock = run.spawn(
        "mock-callbacks", procs.mock_argv("--clock", "manual", "--journal-size", str(journal_size))
    )
    try:
        with httpx.Client(base_url=mock.url, timeout=120) as client:
            body = dict(seed.CREATE_BODY, callback_url=receiver.url)
            template = seed.ok(client.post("/v1/messages/batches", json=body))
            base = seed.ok(client.get("/_mock/state"))
            jobs = seed.batch_jobs(template, count, now=base["clock"]["now"], finished=False)
            put = seed.put_state(
                client, {**base, "version": seed.SNAPSHOT_VERSION, "jobs": jobs, "runs": [], "scenarios": []}
            )
            pending = seed.ok(client.get("/_mock/clock"))["pending_changes"]
            say(f"callbacks: {count:,} batches with a callback_url stored; {pending:,} changes pending")
            receiver.clear()
            started = time.perf_counter()
            seed.ok(client.post("/_mock/clock/advance", json={"seconds": 2.5}))
            advanced = time.perf_counter() - started
            deadline = started + s.callback_timeout
            while receiver.received < count and time.perf_counter() < deadline:
                time.sleep(0.005)
            received = time.perf_counter() - started
            journal: dict[str, Any] = {}
            while time.perf_counter() < deadline:
                journal = seed.ok(client.get("/_mock/callbacks"))
                if journal["pending"] == 0 and len(journal["callbacks"]) >= count:
                    break
                time.sleep(0.1)
            confirmed = time.perf_counter() - started
    finally:
        run.stop(mock)
        receiver.stop()
    entries = journal.get("callbacks", [])
    expected = {job["body"]["id"] for job in jobs}
    failed = [e for e in entries if e.get("error") or e.get("status_code") != 200]
    return {
        "count": count,
        "journal_size": journal_size,
        "put_state": put,
        "advance_request_s": round(advanced, 3),
        "receiver_got_all_s": round(received, 3),
        "mock_confirmed_s": round(confirmed, 3),
        "timed_out": confirmed >= s.callback_timeout,
        "received": receiver.received,
        "unique_received": len(expected & set(receiver.ids)),
        "lost": len(expected - set(receiver.ids)),
        "duplicates": sum(n - 1 for n in receiver.ids.values() if n > 1),
        "journal_entries": len(entries),
        "journal_pending": journal.get("pending"),
        "journal_failed": len(failed),
        "failed_examples": failed[:3],
        "delivery_span_s": (
            round(receiver.last_at - receiver.first_at, 3)
            if receiver.first_at is not None and receiver.last_at is not None
            else None
        ),
    }


# -- the pytest fixture's reset ---------------------------------------------------------------


def _timed(iterations: int, once: Callable[[], object], warmup: int = 50) -> dict[str, float]:
    for _ in range(warmup):
        once()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        once()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "mean_ms": round(statistics.fmean(samples), 4),
        "p50_ms": round(samples[len(samples) // 2], 4),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 4),
        "iterations": iterations,
    }


@contextlib.contextmanager
def _raw_connection(url: str) -> Iterator[http.client.HTTPConnection]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _raw(conn: http.client.HTTPConnection, method: str, path: str) -> bytes:
    conn.request(method, path, body=b"" if method == "POST" else None)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}: {data[:200]!r}")
    return data


def reset_cost(run: Run) -> dict[str, Any]:
    n = run.settings.reset_iterations
    mock = run.spawn("mock-reset", procs.mock_argv("--clock", "manual"))
    out: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=mock.url, timeout=30) as client:

            def httpx_reset() -> None:
                seed.ok(client.post("/_mock/reset"))
                seed.ok(client.get("/_mock/requests", params={"limit": 1}))

            out["subprocess_httpx"] = _timed(n, httpx_reset)
        with _raw_connection(mock.url) as conn:

            def raw_reset() -> None:
                _raw(conn, "POST", "/_mock/reset")
                _raw(conn, "GET", "/_mock/requests?limit=1")

            out["subprocess_raw_socket"] = _timed(n, raw_reset)
            out["subprocess_raw_reset_only"] = _timed(n, lambda: _raw(conn, "POST", "/_mock/reset"))
    finally:
        run.stop(mock)
    # What the pytest plugin really does (pytest_plugin.py): a MockServer thread in the test process,
    # reset() before each test (its answer is the journal's last sequence number), report() after it.
    from mockserver import Config, MockServer

    server = MockServer(Config(port=0, clock="manual")).start()

    def fixture_setup() -> None:
        server.reset()

    def fixture_setup_and_teardown() -> None:
        server.report(since=server.reset())

    try:
        out["in_process_fixture"] = _timed(n, fixture_setup)
        out["in_process_fixture_with_teardown"] = _timed(n, fixture_setup_and_teardown)
    finally:
        server.stop()
    say(
        "reset: "
        + ", ".join(f"{name} {value['mean_ms']:.3f} ms" for name, value in out.items() if "mean_ms" in value)
    )
    return out


# -- machine and output --------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """A path as the results file keeps it: relative to the checkout where it is inside it, so that a
    committed result names no directory of the machine that ran it."""
    try:
        return str(path.resolve().relative_to(procs.ROOT.resolve()))
    except ValueError:
        return str(path)


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=procs.ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if done.returncode == 0:
            return done.stdout.strip()
    return ""


def machine_info() -> dict[str, Any]:
    versions = {}
    for name in ("starlette", "uvicorn", "uvloop", "httptools", "jsonschema", "httpx"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": load.wrk_version(),
        "packages": versions,
        "commit": (_git("rev-parse", "--short", "HEAD") or "unknown") + (" (modified)" if status else ""),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def write_results(out_dir: Path, data: dict[str, Any], markdown: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("latest.json", json.dumps(data, indent=2, default=str) + "\n"),
        ("latest.md", markdown),
    ):
        tmp = out_dir / f"{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out_dir / name)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (scripts/bench installs it with apt-get)", file=sys.stderr)
        return 1
    data: dict[str, Any] = {
        "settings": {k: (_shown(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()},
        "machine": machine_info(),
    }
    began = time.monotonic()
    sections: dict[str, Callable[[Run], dict[str, Any]]] = {
        "cold": cold_start,
        "throughput": throughput,
        "lists": list_latency,
        "callbacks": callbacks,
        "reset": reset_cost,
        "fixtures": fixtures_section.section,
        "stateless": stateless_section.section,
    }
    with tempfile.TemporaryDirectory(prefix="letta-bench-") as workdir:
        run = Run(settings, Path(workdir))
        try:
            for name, section in sections.items():
                if name in settings.sections:
                    say(f"section {name}")
                    section_start = time.monotonic()
                    data[name] = section(run)
                    data[name]["section_seconds"] = round(time.monotonic() - section_start, 1)
        except KeyboardInterrupt:
            say("interrupted; nothing written")
            return 130
        finally:
            run.stop_all()
    data["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    data["total_seconds"] = round(time.monotonic() - began, 1)
    data["rows"] = report.rows(data, settings.sections)
    markdown = report.markdown(data)
    write_results(settings.out, data, markdown)
    print(markdown)
    say(f"done in {data['total_seconds']:.0f} s; wrote {settings.out / 'latest.md'} and latest.json")
    return 0
