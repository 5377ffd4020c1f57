"""``python -m bench streams`` (issue 15 item 6): N concurrent SSE streams on one live run.

A mock process (system clock) gets one seeded run that lives ``--duration`` seconds and produces
``--messages`` agent messages spread over that time; the bench opens ``--streams`` (1,000)
``POST /v1/runs/{id}/stream`` connections on it at once and reads each to its end. The server's RSS
(``/proc/<pid>/status``) is sampled every ``--sample-ms`` in a thread: before the streams (after a
warm-up of ``--warmup`` streams on a short run), its peak while they are open, and after they ended.

Targets: RSS growth (peak - before) < 50 MiB, and every stream ends with ``data: [DONE]`` after the
same events. Writes ``bench/results/streams.json`` and prints a markdown summary.

The client is raw asyncio sockets (HTTP/1.1, chunked), not httpx: on 2 shared cores the bench's own
per-stream cost would otherwise compete with the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import procs

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_GROWTH_MIB = 50.0
AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c000"
DONE = b"data: [DONE]"


@dataclass
class Stream:
    """What one client connection saw."""

    status: int = 0
    events: list[str] = field(default_factory=list)
    """``seq_id:message_type`` of each event but keepalive pings (timing decides how many of those)."""
    keepalive_pings: int = 0
    done: bool = False
    after_done: int = 0
    error: str | None = None
    opened_s: float | None = None
    """From the start of the burst to this stream's first event."""
    ended_s: float | None = None


@dataclass
class Progress:
    """Counters the sampler thread reads while the event loop updates them."""

    bursting: bool = False
    opened: int = 0
    ended: int = 0


def raise_fd_limit(needed: int) -> tuple[int, str | None]:
    """Raise this process's soft ``RLIMIT_NOFILE`` towards the hard limit; the server process
    inherits it. Returns the soft limit in force and a note when it stays below ``needed``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(max(soft, needed), hard)
    if wanted > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            return soft, f"could not raise the file-descriptor limit from {soft} to {wanted}: {exc}"
    if soft < needed:
        return soft, (
            f"file-descriptor limit {soft} (hard {hard}) is below the {needed} this run needs;"
            " raise the hard limit (ulimit -Hn) or run fewer --streams"
        )
    return soft, None


def _event_key(block: bytes, index: int) -> tuple[str, bool]:
    """The key of one SSE block, and whether it is a keepalive ping (any ping but the opening one)."""
    if block.startswith(b"event: error"):
        return "error", False
    data = b"".join(line[5:].strip() for line in block.split(b"\n") if line.startswith(b"data:"))
    payload = json.loads(data)
    kind = payload.get("message_type", "?")
    return f"{payload.get('seq_id')}:{kind}", kind == "ping" and index > 0


async def read_stream(
    host: str, port: int, run_id: str, body: bytes, began: float, progress: Progress, timeout: float
) -> Stream:
    seen = Stream()
    try:
        async with asyncio.timeout(timeout):
            await _read_stream(host, port, run_id, body, began, progress, seen)
    except TimeoutError:
        seen.error = f"no end after {timeout:.0f} s"
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        seen.error = f"{type(exc).__name__}: {exc}"
    if seen.opened_s is None:
        progress.opened += 1  # a stream that failed before its first event no longer holds the burst
    progress.ended += 1
    seen.ended_s = time.perf_counter() - began
    return seen


async def _read_stream(
    host: str, port: int, run_id: str, body: bytes, began: float, progress: Progress, seen: Stream
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"POST /v1/runs/{run_id}/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        seen.status = int(head.split(b" ", 2)[1])
        if seen.status != 200 or b"transfer-encoding: chunked" not in head.lower():
            raise ValueError(f"answer {head.splitlines()[0]!r} is not a chunked 200 stream")
        buffer = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                break
            buffer += (await reader.readexactly(size + 2))[:-2]
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                if seen.done:
                    seen.after_done += 1
                elif block == DONE:
                    seen.done = True
                else:
                    key, keepalive = _event_key(block, len(seen.events) + seen.keepalive_pings)
                    if keepalive:
                        seen.keepalive_pings += 1
                    else:
                        seen.events.append(key)
                if seen.opened_s is None:
                    seen.opened_s = time.perf_counter() - began
                    progress.opened += 1
        if buffer.strip():
            raise ValueError(f"the stream ended inside an event: {buffer[:80]!r}")
    finally:
        writer.close()


def _burst(
    url: str, run_id: str, count: int, timeout: float, progress: Progress
) -> tuple[list[Stream], float]:
    parts = urlsplit(url)
    body = json.dumps({"include_pings": True}).encode()

    async def everything() -> tuple[list[Stream], float]:
        progress.bursting = True
        began = time.perf_counter()
        streams = await asyncio.gather(
            *(
                read_stream(
                    parts.hostname or "127.0.0.1", parts.port or 80, run_id, body, began, progress, timeout
                )
                for _ in range(count)
            )
        )
        return list(streams), time.perf_counter() - began

    return asyncio.run(everything())


def _seed(http: httpx.Client, duration: float, messages: int) -> str:
    # One user message, then reasoning and assistant messages in turn, due evenly over the duration.
    spec: list[dict[str, Any]] = [{"message_type": "user_message", "content": "Tell me a long story."}]
    for index in range(messages):
        if index % 2 == 0:
            spec.append(
                {"message_type": "reasoning_message", "reasoning": f"Part {index // 2}: what comes next?"}
            )
        else:
            spec.append({"message_type": "assistant_message", "content": f"And then, part {index // 2}."})
    answer = http.post(
        "/_mock/runs", json={"agent_id": AGENT, "status": "running", "duration": duration, "messages": spec}
    )
    if answer.status_code != 201:
        raise procs.ServerFailed(f"POST /_mock/runs answered {answer.status_code}: {answer.text}")
    return str(answer.json()["id"])


class Sampler(threading.Thread):
    """The server's RSS every ``interval`` seconds, with how many streams were open then."""

    def __init__(self, pid: int, interval: float, progress: Progress) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.progress = pid, interval, progress
        self.samples: list[tuple[float, float, int]] = []
        self.before: float | None = None
        """The last RSS sampled before the burst began."""
        self.began = time.perf_counter()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            bursting, open_now = self.progress.bursting, self.progress.opened - self.progress.ended
            rss = procs.rss_mib(self.pid)
            if not bursting:
                self.before = rss
            self.samples.append((time.perf_counter() - self.began, rss, open_now))
            self.stop.wait(self.interval)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    limit, note = raise_fd_limit(args.streams + 200)
    if note is not None:
        print(f"bench streams: {note}", file=sys.stderr)
    flags = ["--stream-ping-interval", str(args.ping_interval)]
    with tempfile.TemporaryDirectory(prefix="letta-bench-streams-") as workdir:
        server = procs.spawn("mock-streams", procs.mock_argv(*flags), log_dir=Path(workdir))
        try:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                # Warm-up: the stream path once through (imports, first allocations), on a short run.
                warm = _burst(server.url, _seed(http, 1.0, 2), args.warmup, 30.0, Progress())
                if not all(s.done for s in warm[0]):
                    raise procs.ServerFailed(f"warm-up streams did not all end with [DONE]; see {server.log}")
                time.sleep(1.0)
                progress = Progress()
                sampler = Sampler(server.pid, args.sample_ms / 1000, progress)
                sampler.start()
                time.sleep(0.5)
                run_id = _seed(http, args.duration, args.messages)
                streams, wall = _burst(
                    server.url, run_id, args.streams, args.duration + args.timeout, progress
                )
                time.sleep(args.settle)
                sampler.stop.set()
                sampler.join()
                after = server.rss_mib()
                status = http.get(f"/v1/runs/{run_id}").json()["status"]
        finally:
            server.stop()
    return summarise(args, streams, wall, sampler, after, limit, note, status)


def summarise(
    args: argparse.Namespace,
    streams: list[Stream],
    wall: float,
    sampler: Sampler,
    after: float,
    limit: int,
    note: str | None,
    run_status: str,
) -> dict[str, Any]:
    samples = sampler.samples
    before = sampler.before if sampler.before is not None else samples[0][1]
    peak = max(rss for _, rss, _ in samples)
    opened = sorted(s.opened_s for s in streams if s.opened_s is not None)
    sequences = Counter(tuple(s.events) for s in streams if s.done)
    common = sequences.most_common(1)[0][0] if sequences else ()
    done = sum(s.done for s in streams)
    errors = Counter((s.error or "").split(":")[0] for s in streams if s.error)
    every = max(1, len(samples) // 60)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "streams": args.streams,
        "run": {"duration_s": args.duration, "agent_messages": args.messages, "status_after": run_status},
        "fd_limit": limit,
        "fd_note": note,
        "rss_before_mib": round(before, 1),
        "rss_peak_mib": round(peak, 1),
        "rss_after_mib": round(after, 1),
        "growth_mib": round(peak - before, 1),
        "growth_per_stream_kib": round((peak - before) * 1024 / max(1, args.streams), 1),
        "done": done,
        "failed": sum(s.error is not None for s in streams),
        "errors": dict(errors),
        "cut": sum(s.error is None and not s.done for s in streams),
        "events_after_done": sum(s.after_done for s in streams),
        "events_per_stream": len(common),
        "events": list(common),
        "event_sequences": len(sequences),
        "streams_with_other_events": sum(n for seq, n in sequences.items() if seq != common),
        "keepalive_pings": sum(s.keepalive_pings for s in streams),
        "all_open_s": round(opened[-1], 2) if len(opened) == len(streams) else None,
        "median_open_s": round(opened[len(opened) // 2], 3) if opened else None,
        "wall_s": round(wall, 2),
        "met": {"growth": peak - before < TARGET_GROWTH_MIB, "done": done == args.streams},
        "rss_mib": [(round(t, 2), round(rss, 1), n) for t, rss, n in samples[::every]],
    }


def markdown(d: dict[str, Any]) -> str:
    def yes(flag: bool) -> str:
        return "yes" if flag else "**no**"

    lines = [
        f"# {d['streams']:,} concurrent run streams ({d['date']}, {d['machine']})",
        "",
        f"One live run ({d['run']['duration_s']} s, {d['run']['agent_messages']} agent messages;"
        f" {d['run']['status_after']} afterwards), {d['streams']:,} `POST /v1/runs/{{id}}/stream`"
        " opened at once."
        f" File-descriptor limit {d['fd_limit']:,}" + (f" ({d['fd_note']})" if d["fd_note"] else "") + ".",
        "",
        "| figure | value | target | met? |",
        "|---|---|---|---|",
        f"| server RSS before | {d['rss_before_mib']} MiB | | |",
        f"| server RSS peak | {d['rss_peak_mib']} MiB | | |",
        f"| RSS growth (peak - before) | {d['growth_mib']} MiB ({d['growth_per_stream_kib']} KiB/stream)"
        f" | < {TARGET_GROWTH_MIB:.0f} MiB | {yes(d['met']['growth'])} |",
        f"| server RSS after all ended | {d['rss_after_mib']} MiB | | |",
        f"| streams ending with `[DONE]` | {d['done']:,} | {d['streams']:,} | {yes(d['met']['done'])} |",
        f"| failed / cut without `[DONE]` | {d['failed']:,} / {d['cut']:,} {d['errors'] or ''} | 0 | |",
        f"| events per stream (keepalive pings aside) | {d['events_per_stream']}"
        f" ({d['event_sequences']} distinct sequence(s), {d['streams_with_other_events']} streams differ)"
        f" | all the same | {yes(d['event_sequences'] <= 1)} |",
        f"| keepalive pings, all streams | {d['keepalive_pings']:,} | | |",
        f"| all streams open after | {d['all_open_s']} s (median {d['median_open_s']} s) | | |",
        f"| wall time | {d['wall_s']} s | | |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench streams", description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1_000, help="concurrent streams (1,000)")
    parser.add_argument("--duration", type=float, default=20.0, help="the run's life in seconds (20)")
    parser.add_argument("--messages", type=int, default=20, help="agent messages the run produces (20)")
    parser.add_argument("--warmup", type=int, default=50, help="streams of the warm-up run (50)")
    parser.add_argument(
        "--ping-interval", type=float, default=20.0, help="the server's --stream-ping-interval"
    )
    parser.add_argument("--sample-ms", type=float, default=50.0, help="RSS sampling period (50 ms)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds a stream may run past the run's end"
    )
    parser.add_argument("--settle", type=float, default=1.0, help="seconds before the RSS after the streams")
    args = parser.parse_args(argv)
    for name in ("streams", "messages", "warmup"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    for name in ("duration", "ping_interval", "sample_ms", "timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be above 0, got {getattr(args, name)}")
    if args.messages > 499:
        parser.error(
            f"--messages must be at most 499 (a seeded run holds 500 with the user's), got {args.messages}"
        )
    data = measure(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "streams.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown(data))
    return 0 if all(data["met"].values()) and data["event_sequences"] <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
