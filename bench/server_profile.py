"""Where the mock spends its time under load: ``python -m bench.server_profile ENDPOINT``.

Starts a mock in its own process, loads one endpoint with wrk and samples the server with
py-spy (``pip install py-spy``; not a project dependency), or, with ``--tool cprofile``,
runs the server under cProfile instead (slower, and it distorts, but needs nothing). Prints
the share of samples per package and the hottest functions, self and inclusive.

ENDPOINT: retrieve_batch, list_batches, list_runs, create_batch, callbacks (delivery of
``--count`` completion callbacks after one clock advance), reset (the fixture's reset loop).
"""

from __future__ import annotations

import argparse
import io
import json
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import httpx

from bench import load, procs, seed
from bench.receiver import Receiver

ENDPOINTS = ("retrieve_batch", "list_batches", "list_runs", "create_batch", "callbacks", "reset")


def _frame_parts(frame: str) -> tuple[str, str]:
    """``"function (path/file.py:12)"`` -> (function, path)."""
    name, _, rest = frame.partition(" (")
    return name, rest.rsplit(":", 1)[0]


def _package(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            if marker == "/lib/python3":
                return "stdlib:" + tail.split("/", 2)[1].removesuffix(".py")
            return tail.split("/", 1)[0].removesuffix(".py")
    if "/mockserver/" in path:
        return "mockserver/" + path.rsplit("/", 1)[1]
    return path.rsplit("/", 1)[-1] or "?"


def _short(frame: str) -> str:
    name, path = _frame_parts(frame)
    root = str(Path(__file__).resolve().parent.parent) + "/"
    where = path.split("site-packages/", 1)[-1].split(root, 1)[-1]
    if "/lib/python3" in where:
        where = "stdlib/" + where.split("/lib/python3", 1)[1].split("/", 1)[1]
    return f"{name} ({where})"


def summarise_collapsed(lines: Iterable[str], top: int) -> str:
    selfs: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        leaf = frames[-1]
        selfs[_short(leaf)] += count
        packages[_package(_frame_parts(leaf)[1])] += count
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += count
    out = [f"{total} samples (active time only)", "", "self time by package/module:"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in packages.most_common(top)]
    out += ["", "hottest functions (self):"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in selfs.most_common(top)]
    out += ["", "inclusive (function and what it calls):"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top * 2)]
    return "\n".join(out)


def summarise_pstats(path: Path, top: int) -> str:
    out = []
    for key in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(str(path), stream=buffer).sort_stats(key).print_stats(top)
        out.append(f"== sorted by {key} ==\n" + buffer.getvalue())
    return "\n".join(out)


def _seed_gets(url: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        batch_ids = seed.create_batches(client, 100)
        run_ids = seed.seed_runs(client, 100)
        time.sleep(2.3)  # everything finishes on the system clock
        seed.ok(client.get(f"/v1/runs/{run_ids[-1]}"))
    return {
        "retrieve_batch": f"/v1/messages/batches/{batch_ids[0]}",
        "list_batches": "/v1/messages/batches?limit=10",
        "list_runs": "/v1/runs/?limit=10",
        "create_batch": "/v1/messages/batches",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server_profile", description=__doc__)
    parser.add_argument("endpoint", choices=ENDPOINTS)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--count", type=int, default=5000, help="callbacks to deliver (callbacks)")
    parser.add_argument("--tool", choices=("py-spy", "cprofile"), default=None)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="also write the summary to this file")
    args = parser.parse_args(argv)
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    tool = args.tool or ("py-spy" if Path(pyspy).exists() else "cprofile")
    if tool == "py-spy" and not Path(pyspy).exists():
        parser.error("py-spy is not installed (.venv/bin/pip install py-spy), or use --tool cprofile")
    with tempfile.TemporaryDirectory(prefix="letta-profile-") as tmp:
        workdir = Path(tmp)
        prof = workdir / "server.prof"
        flags: list[str] = []
        if args.endpoint in ("callbacks", "reset"):
            flags += ["--clock", "manual", "--journal-size", str(max(20_000, 2 * args.count))]
        argv_ = procs.mock_argv(*flags)
        if tool == "cprofile":
            argv_ = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "mockserver", *argv_[3:]]
        server = procs.spawn("profile", argv_, log_dir=workdir)
        receiver: Receiver | None = None
        try:
            sampler = None
            raw = workdir / "stacks.txt"

            def start_sampler(seconds: int) -> subprocess.Popen[bytes] | None:
                if tool != "py-spy":
                    return None
                return subprocess.Popen(
                    [
                        pyspy,
                        "record",
                        "-p",
                        str(server.pid),
                        "-d",
                        str(seconds),
                        "-r",
                        "250",
                        "-f",
                        "raw",
                        "-o",
                        str(raw),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )

            if args.endpoint == "callbacks":
                receiver = Receiver().start()
                with httpx.Client(base_url=server.url, timeout=120) as client:
                    body = dict(seed.CREATE_BODY, callback_url=receiver.url)
                    template = seed.ok(client.post("/v1/messages/batches", json=body))
                    base = seed.ok(client.get("/_mock/state"))
                    jobs = seed.batch_jobs(template, args.count, now=base["clock"]["now"], finished=False)
                    seed.put_state(
                        client,
                        {**base, "version": seed.SNAPSHOT_VERSION, "jobs": jobs, "runs": [], "scenarios": []},
                    )
                    sampler = start_sampler(args.seconds)
                    started = time.perf_counter()
                    seed.ok(client.post("/_mock/clock/advance", json={"seconds": 2.5}))
                    while receiver.received < args.count and time.perf_counter() - started < args.seconds:
                        time.sleep(0.01)
                    print(f"{receiver.received} callbacks in {time.perf_counter() - started:.2f} s")
            elif args.endpoint == "reset":
                sampler = start_sampler(args.seconds)
                with httpx.Client(base_url=server.url, timeout=30) as client:
                    deadline = time.perf_counter() + args.seconds
                    n = 0
                    while time.perf_counter() < deadline:
                        seed.ok(client.post("/_mock/reset"))
                        seed.ok(client.get("/_mock/requests", params={"limit": 1}))
                        n += 1
                print(f"{n} resets in {args.seconds} s")
            else:
                path = _seed_gets(server.url)[args.endpoint]
                body_file = workdir / "body.json"
                body_file.write_text(json.dumps(seed.CREATE_BODY), encoding="utf-8")
                load.run_wrk(
                    server.url + path,
                    threads=2,
                    connections=args.connections,
                    duration=1,
                    method="POST" if args.endpoint == "create_batch" else "GET",
                    body_file=body_file if args.endpoint == "create_batch" else None,
                )
                sampler = start_sampler(args.seconds)
                result = load.run_wrk(
                    server.url + path,
                    threads=2,
                    connections=args.connections,
                    duration=args.seconds,
                    method="POST" if args.endpoint == "create_batch" else "GET",
                    body_file=body_file if args.endpoint == "create_batch" else None,
                )
                print(
                    f"{args.endpoint}: {result.rps:.0f} req/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms"
                )
            if sampler is not None:
                sampler.wait(args.seconds + 30)
        finally:
            server.stop()
            if receiver is not None:
                receiver.stop()
        if tool == "py-spy":
            summary = summarise_collapsed(raw.read_text(encoding="utf-8").splitlines(), args.top)
        else:
            summary = summarise_pstats(prof, args.top)
    text = f"# {args.endpoint} ({tool})\n{summary}\n"
    print(text)
    if args.save:
        args.save.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
