"""``python -m bench memory``: what a stored record costs, and whether memory levels off.

Sections (``--only``, comma-separated):

- ``bytes``: RSS growth per finished record in this process, over ``--creates`` one-request batches and
  ``--big-creates`` 100-request batches (no retention limit), and where the bytes go (tracemalloc, by
  allocation site, over 5,000 batches);
- ``store``: ``--soak`` one-request batches through one ``Simulation`` with the default retention limit,
  RSS sampled as it goes (the store alone, fast);
- ``scale`` (issue 15 item 6): the store's part of a list request (``page(limit=10)`` and its bodies)
  with ``--small`` and ``--large`` stored batches, and snapshot (+ JSON) and restore (JSON +) of
  ``--snapshot-records`` finished one-request batches, in this process and as ``PUT``/``GET /_mock/state``
  on a server process (the gc seam armed, as a server process has it);
- ``app``: a server's ASGI app in this process (both process-wide seams armed, as ``serve()`` arms them)
  under ``--server-creates`` POSTs, RSS, Python's allocated blocks and glibc's heap sampled as it goes:
  where a server's RSS goes when it steps (issue 15 item 5: it was glibc's heap, not Python's);
- ``server``: a real server process (system clock, ``--job-duration 0.05``) under ``--server-creates``
  POSTs from ``--connections`` keep-alive connections, its RSS sampled as it goes (minutes).

Writes ``bench/results/memory.json`` and prints a markdown summary.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import http.client
import json
import math
import platform
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench import procs
from mockserver._simulation import gc_freeze, mmap_threshold
from mockserver._simulation.clock import ManualClock
from mockserver._simulation.retention import DEFAULT_MAX_RECORDS
from mockserver._simulation.simulation import Simulation
from mockserver._simulation.snapshot import restore, snapshot

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("bytes", "store", "scale", "app", "server")
AGENTS = [f"agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c{index:03d}" for index in range(100)]
PACE = 1 / 5_000
"""Simulated seconds between two creates: ~5k creates/s, as the server manages, so the schedule holds
what a live server's would (about 10k unfinished batches with the 2 s default duration)."""


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * 4096


def _requests(count: int) -> list[dict[str, Any]]:
    return [
        {"agent_id": AGENTS[i % len(AGENTS)], "input": f"What is the weather like, {i}?"}
        for i in range(count)
    ]


def _fill(sim: Simulation, creates: int, per_batch: int, sample_every: int = 0) -> list[tuple[int, float]]:
    samples = []
    for index in range(creates):
        sim.create_batch(_requests(per_batch), None)
        sim.clock.advance(PACE)
        if index % 100 == 0:
            sim.settle()
        if sample_every and index % sample_every == 0:
            samples.append((index, rss_bytes() / 2**20))
    sim.clock.advance(3_600)
    sim.settle()
    return samples


def bytes_per_record(creates: int, per_batch: int) -> float:
    sim = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    gc.collect()
    before = rss_bytes()
    _fill(sim, creates, per_batch)
    gc.collect()
    assert len(sim.jobs) == creates
    return (rss_bytes() - before) / creates


def where_the_bytes_go(batches: int = 5_000) -> list[dict[str, Any]]:
    sim = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    tracemalloc.start(1)
    first = tracemalloc.take_snapshot()
    _fill(sim, batches, 1)
    gc.collect()
    second = tracemalloc.take_snapshot()
    tracemalloc.stop()
    root = str(Path(__file__).resolve().parent.parent)
    rows = []
    for stat in second.compare_to(first, "lineno")[:12]:
        frame = stat.traceback[0]
        rows.append(
            {
                "site": f"{frame.filename.replace(root + '/', '')}:{frame.lineno}",
                "bytes": stat.size_diff / batches,
            }
        )
    return rows


def section_bytes(args: argparse.Namespace) -> dict[str, Any]:
    # Each measurement in its own process, so one's freed memory cannot hide the next one's growth.
    def child(creates: int, per_batch: int) -> float:
        code = f"from bench.memory import bytes_per_record as f; print(f({creates}, {per_batch}))"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=procs.ROOT
        )
        return float(out.stdout.strip())

    one = child(args.creates, 1)
    big = child(args.big_creates, 100)
    return {
        "one_request_batch_bytes": round(one),
        "hundred_request_batch_bytes": round(big),
        "per_extra_request_bytes": round((big - one) / 99),
        "creates": args.creates,
        "big_creates": args.big_creates,
        "sites_per_one_request_batch": where_the_bytes_go(),
    }


def section_store(args: argparse.Namespace) -> dict[str, Any]:
    sim = Simulation(ManualClock(1_700_000_000.0), max_records=args.max_records)
    samples = _fill(sim, args.soak, 1, sample_every=max(1, args.soak // 20))
    return {
        "creates": args.soak,
        "max_records": args.max_records,
        "stored": len(sim.jobs),
        "evicted": sim.retention.evicted,
        "rss_mib": [(n, round(mib, 1)) for n, mib in samples],
    }


def _filled(count: int) -> Simulation:
    sim = Simulation(ManualClock(1_700_000_000.0), max_records=0)
    _fill(sim, count, 1)
    return sim


def _page_us(sim: Simulation, rounds: int = 2_000) -> float:
    best = math.inf
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(rounds):
            [record.body for record in sim.batches.page(order="desc", limit=10)]
        best = min(best, (time.perf_counter() - began) / rounds)
    return best * 1e6


def section_scale(args: argparse.Namespace) -> dict[str, Any]:
    # As a server process does (`serve()` arms the seam): without it every full collection rescans
    # every stored record, and filling a million takes many minutes of collector time.
    gc_freeze.arm()
    # Snapshots first: a client process that has just held a million records reads a 65 MiB answer
    # ~0.4-0.8 s slower (GET 0.68 s here against 0.30 s standalone), which is not the server's time.
    sim = _filled(args.snapshot_records)
    began = time.perf_counter()
    text = orjson.dumps(snapshot(sim))
    taken = time.perf_counter() - began
    began = time.perf_counter()
    restore(Simulation(ManualClock(1_700_000_000.0), max_records=0), orjson.loads(text))
    restored = time.perf_counter() - began
    del sim
    over_http = _state_over_http(text)
    mib = round(len(text) / 2**20, 1)
    del text
    gc.collect()
    small = _page_us(_filled(args.small))
    large_sim = _filled(args.large)
    large = _page_us(large_sim)
    del large_sim
    return {
        "list_page_us": {f"{args.small:,}": round(small, 2), f"{args.large:,}": round(large, 2)},
        "list_ratio": round(large / small, 2),
        "snapshot_records": args.snapshot_records,
        "snapshot_s": round(taken, 2),
        "restore_s": round(restored, 2),
        "snapshot_mib": mib,
        "http": over_http,
    }


def _state_over_http(text: bytes) -> dict[str, float]:
    """``PUT /_mock/state`` with the snapshot, then ``GET /_mock/state``, on a server process: seconds
    each, the client's reading of the answer included. The PUT answers with the whole state again (as
    ``restore()`` returns it), so its time is a restore and a snapshot."""
    with tempfile.TemporaryDirectory(prefix="letta-bench-state-") as workdir:
        flags = ["--clock", "manual", "--max-records", "0"]
        server = procs.spawn("mock-state", procs.mock_argv(*flags), log_dir=Path(workdir))
        try:
            parts = urlsplit(server.url)
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)
            timings = {}
            runs: tuple[tuple[str, str, bytes | None, dict[str, str]], ...] = (
                ("put", "PUT", text, {}),
                ("get", "GET", None, {}),
                ("put_minimal", "PUT", text, {"prefer": "return=minimal"}),  # restore() sends it
            )
            for name, method, body, extra in runs:
                began = time.perf_counter()
                headers = {"content-type": "application/json", **extra} if body is not None else {}
                conn.request(method, "/_mock/state", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                timings[f"{name}_s"] = round(time.perf_counter() - began, 2)
                if response.status not in (200, 204):
                    raise RuntimeError(f"{method} /_mock/state answered {response.status}: {answer[:300]!r}")
            conn.close()
            timings["server_rss_mib"] = round(server.rss_mib(), 1)
        finally:
            server.stop()
    return timings


class _MallInfo2(ctypes.Structure):
    # All ten fields, though three are read: the C function writes the whole struct.
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("brk", "_1", "_2", "_3", "mmapped", "_5", "_6", "in_use", "_8", "_9")
    ]


def _glibc_heap_mib() -> dict[str, float]:
    """glibc's brk heap, its mmapped blocks and its bytes in use, MiB (``mallinfo2``)."""
    if not mmap_threshold.is_glibc():
        return {}
    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = _MallInfo2
    found = mallinfo2()
    return {name: round(getattr(found, name) / 2**20, 1) for name in ("brk", "mmapped", "in_use")}


def section_app(args: argparse.Namespace) -> dict[str, Any]:
    from bench.asgi_profile import call
    from mockserver._config import Config
    from mockserver._web.app import create_app

    app = create_app(Config(port=0, job_duration=0.05, max_records=args.max_records, quiet=True))
    gc_freeze.arm()
    body = json.dumps({"requests": [{"agent_id": AGENTS[0], "input": "hello"}]}).encode()
    every = max(1, args.server_creates // 20)

    async def soak() -> list[dict[str, Any]]:
        samples = []
        for index in range(1, args.server_creates + 1):
            status, answer = await call(app, "POST", "/v1/messages/batches", body)
            if status != 200:
                raise RuntimeError(f"POST answered {status}: {answer[:300]!r}")
            if index % every == 0:
                blocks = sys.getallocatedblocks()
                samples.append({"creates": index, "rss": round(rss_bytes() / 2**20, 1), "blocks": blocks})
                samples[-1] |= {"frozen": gc.get_freeze_count(), **_glibc_heap_mib()}
        return samples

    samples = asyncio.run(soak())
    return {
        "creates": args.server_creates,
        "max_records": args.max_records,
        "rss_mib": [(row["creates"], row["rss"]) for row in samples],
        "samples": samples,
    }


def _post_batches(url: str, count: int, done: list[int], stop: threading.Event) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    body = json.dumps({"requests": [{"agent_id": AGENTS[0], "input": "hello"}]}).encode()
    headers = {"content-type": "application/json"}
    for _ in range(count):
        if stop.is_set():
            break
        conn.request("POST", "/v1/messages/batches", body, headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise procs.ServerFailed(f"POST answered {response.status}")
        done[0] += 1
    conn.close()


def section_server(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="letta-bench-memory-") as workdir:
        flags = ["--job-duration", "0.05", "--max-records", str(args.max_records)]
        server = procs.spawn("mock-memory", procs.mock_argv(*flags), log_dir=Path(workdir))
        try:
            idle = server.rss_mib()
            per_connection = args.server_creates // args.connections
            counters = [[0] for _ in range(args.connections)]
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=_post_batches, args=(server.url, per_connection, counter, stop), daemon=True
                )
                for counter in counters
            ]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            samples = []
            while any(thread.is_alive() for thread in threads):
                time.sleep(args.sample_seconds)
                samples.append((sum(c[0] for c in counters), round(server.rss_mib(), 1)))
            elapsed = time.monotonic() - began
            samples.append((sum(c[0] for c in counters), round(server.rss_mib(), 1)))
        finally:
            server.stop()
    return {
        "creates": samples[-1][0],
        "max_records": args.max_records,
        "seconds": round(elapsed, 1),
        "idle_rss_mib": round(idle, 1),
        "rss_mib": samples,
    }


def markdown(data: dict[str, Any]) -> str:
    lines = [f"# Memory ({data['date']}, {data['machine']})", ""]
    if "bytes" in data:
        b = data["bytes"]
        lines += [
            f"- one-request batch, finished: {b['one_request_batch_bytes']} B"
            f" (over {b['creates']:,} creates)",
            f"- each extra request of a 100-request batch: {b['per_extra_request_bytes']} B",
            "",
            "| where (one-request batch) | bytes |",
            "|---|---|",
            *(f"| `{row['site']}` | {row['bytes']:.0f} |" for row in b["sites_per_one_request_batch"]),
            "",
        ]
    if "scale" in data:
        c = data["scale"]
        lines += [
            f"- list page (store part): {c['list_page_us']} us, ratio {c['list_ratio']}x",
            f"- snapshot of {c['snapshot_records']:,} records: {c['snapshot_s']} s ({c['snapshot_mib']} MiB),"
            f" restore {c['restore_s']} s",
            f"- over HTTP: PUT /_mock/state {c['http']['put_s']} s (restore, then the state answered back),"
            f" GET /_mock/state {c['http']['get_s']} s, PUT with `Prefer: return=minimal`"
            f" {c['http']['put_minimal_s']} s",
            "",
        ]
    for name in ("store", "app", "server"):
        if name in data:
            s = data[name]
            every = max(1, len(s["rss_mib"]) // 10)
            curve = ", ".join(f"{n:,}: {mib}" for n, mib in s["rss_mib"][::every])
            lines += [
                f"- {name}: {s['creates']:,} creates, max_records {s['max_records']:,};"
                f" RSS MiB by creates: {curve}",
                "",
            ]
            if name == "app":  # RSS beside what Python and glibc hold, at the same readings
                rows = [
                    f"{r['creates']:,}: {r['blocks']:,} blocks, {r.get('brk')}/{r.get('in_use')}"
                    for r in s["samples"][::every]
                ]
                lines += [
                    f"- app: Python's allocated blocks, glibc's brk heap/bytes in use MiB: {', '.join(rows)}",
                    "",
                ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="bytes,store", help=f"sections: {', '.join(SECTIONS)}")
    parser.add_argument("--creates", type=int, default=200_000)
    parser.add_argument("--big-creates", type=int, default=2_000)
    parser.add_argument("--soak", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--snapshot-records", type=int, default=100_000)
    parser.add_argument("--server-creates", type=int, default=300_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--max-records", type=int, default=DEFAULT_MAX_RECORDS)
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    data: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    runners = {
        "bytes": section_bytes,
        "store": section_store,
        "scale": section_scale,
        "app": section_app,
        "server": section_server,
    }
    for name in sections:
        print(f"bench memory: section {name}", file=sys.stderr)
        data[name] = runners[name](args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
