"""Server instructions per request, uvicorn included: ``python -m bench.server_instructions``.

Each server (the mock with its bench flags, the baseline with the mock's bodies) runs under
``valgrind --tool=callgrind``; once it answers, ``callgrind_control -z`` zeroes its counters, wrk
loads one endpoint at a few connections, and ``callgrind_control -d`` dumps the count. Divided by
the requests wrk completed, that is what one request costs the whole server process (sockets,
httptools, uvicorn, the app, the event loop), and unlike req/s it does not move when other work
shares the machine: the ratio of the two counts is the throughput ratio an idle machine would
show, if both servers are CPU-bound. Slow (valgrind runs ~50x slower): about a minute a server.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import procs, seed

ENDPOINTS = ("retrieve_batch", "list_batches", "list_runs", "create_batch")


def _count(
    server: procs.Server, out_dir: Path, url: str, method: str, body: Path | None, seconds: int
) -> float:
    subprocess.run(["callgrind_control", "-z", str(server.pid)], capture_output=True, check=True)
    argv = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", url]
    if method == "POST":
        script = out_dir / "post.lua"
        payload = json.dumps(body.read_text(encoding="utf-8")) if body else '""'
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = {payload}\nwrk.headers["Content-Type"] = "application/json"\n',
            encoding="utf-8",
        )
        argv[1:1] = ["-s", str(script)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    subprocess.run(["callgrind_control", "-d", str(server.pid)], capture_output=True, check=True)
    requests = int(re.search(r"(\d+) requests in", done.stdout).group(1))  # type: ignore[union-attr]
    time.sleep(0.5)
    dumps = sorted(out_dir.glob(f"callgrind.{server.pid}.*"), key=lambda p: p.stat().st_mtime)
    text = dumps[-1].read_text(errors="replace")
    total = int(re.search(r"^totals:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    return total / max(1, requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server_instructions", description=__doc__)
    parser.add_argument("--endpoint", action="append", choices=ENDPOINTS)
    parser.add_argument("--seconds", type=int, default=15, help="wrk seconds per server and endpoint")
    parser.add_argument("--mock-flag", action="append", default=[], help="an extra flag for the mock")
    args = parser.parse_args(argv)
    endpoints = args.endpoint or list(ENDPOINTS)
    with tempfile.TemporaryDirectory(prefix="letta-server-callgrind-") as workdir:
        out_dir = Path(workdir)
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir}/callgrind.%p"]
        mock_flags = ["--clock", "manual", *args.mock_flag]
        mock = procs.spawn("mock", valgrind + procs.mock_argv(*mock_flags), log_dir=out_dir, timeout=600)
        try:
            with httpx.Client(base_url=mock.url, timeout=120) as client:
                batch = seed.ok(client.post("/v1/messages/batches", json=seed.CREATE_BODY))
                for _ in range(20):
                    seed.ok(client.post("/_mock/runs", json={"agent_id": seed.AGENT}))
                if "system" in args.mock_flag:
                    time.sleep(5)  # the system clock finishes them (valgrind runs slowly)
                else:
                    seed.ok(client.post("/_mock/clock/advance", json={"seconds": 30}))
                paths = {
                    "retrieve_batch": f"/v1/messages/batches/{batch['id']}",
                    "list_batches": "/v1/messages/batches?limit=10",
                    "list_runs": "/v1/runs/?limit=10",
                    "create_batch": "/v1/messages/batches",
                }
                bodies = {k: seed.ok(client.get(p)) for k, p in paths.items() if k != "create_batch"}
                bodies["create_batch"] = batch
            bodies_file = out_dir / "bodies.json"
            bodies_file.write_text(json.dumps(bodies), encoding="utf-8")
            body_file = out_dir / "create.json"
            body_file.write_text(json.dumps(seed.CREATE_BODY), encoding="utf-8")
            baseline = procs.spawn(
                "baseline",
                valgrind + procs.baseline_argv("--bodies", str(bodies_file)),
                log_dir=out_dir,
                timeout=600,
            )
            try:
                print("server instructions per request (callgrind; wrk -t1 -c4)")
                for key in endpoints:
                    method = "POST" if key == "create_batch" else "GET"
                    found = {
                        name: _count(
                            server, out_dir, server.url + paths[key], method, body_file, args.seconds
                        )
                        for name, server in (("baseline", baseline), ("mock", mock))
                    }
                    base, mine = found["baseline"] / 1000, found["mock"] / 1000
                    ratio = base / mine
                    print(f"{key:16} baseline {base:8.1f} k  mock {mine:8.1f} k  baseline/mock {ratio:.2f}")
            finally:
                baseline.stop()
        finally:
            mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
