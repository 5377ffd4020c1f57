"""The ``stateless`` section: every list and retrieve of ``--mode stateless``, strict and lenient.

One baseline (bench/baseline_app.py with one literal route per path, answering the stateless
mock's own bodies), one stateless mock per validation level, and wrk on each endpoint, the
three servers interleaved per endpoint so that background load hits them alike. Targets (issue
15): every endpoint >= 0.6x of the baseline's req/s, and its p99 <= 1.5x the baseline's.

``python -m bench.stateless`` measures the same endpoints in-process (the apps' own CPU per
request, no sockets), which moves little when the machine is loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx

from bench import load
from bench.procs import baseline_argv, mock_argv

if TYPE_CHECKING:
    from bench.procs import Server
    from bench.report import Row
    from bench.run import Run
    from mockserver._contract.validation import Level

BATCH_ID = "job-00000000-0000-4000-8000-00000000000b"
RUN_ID = "run-00000000-0000-4000-8000-00000000000c"
ENDPOINTS = {
    "list_batches": "/v1/messages/batches?limit=10",
    "retrieve_batch": f"/v1/messages/batches/{BATCH_ID}",
    "list_messages_for_batch": f"/v1/messages/batches/{BATCH_ID}/messages",
    "list_runs": "/v1/runs/?limit=10",
    "list_active_runs": "/v1/runs/active",
    "retrieve_run": f"/v1/runs/{RUN_ID}",
    "list_messages_for_run": f"/v1/runs/{RUN_ID}/messages",
    "retrieve_usage_for_run": f"/v1/runs/{RUN_ID}/usage",
    "retrieve_metrics_for_run": f"/v1/runs/{RUN_ID}/metrics",
    "list_steps_for_run": f"/v1/runs/{RUN_ID}/steps",
    "retrieve_trace_for_run": f"/v1/runs/{RUN_ID}/trace",
    "list_jobs": "/v1/jobs/?limit=10",
    "list_active_jobs": "/v1/jobs/active",
    "retrieve_job": f"/v1/jobs/{BATCH_ID}",
}
"""Every ``GET`` operation of the API (the lists and the retrieves), with the path it is loaded on."""
LEVELS: tuple[Level, ...] = ("strict", "lenient")
MIN_RATIO = 0.6
MAX_P99_RATIO = 1.5


def section(run: Run) -> dict[str, Any]:
    """wrk on every endpoint: baseline, strict mock, lenient mock, interleaved per endpoint."""
    s = run.settings
    duration = s.stateless_duration
    mocks: dict[str, Server] = {
        level: run.spawn(f"stateless-{level}", mock_argv("--mode", "stateless", "--validation", level))
        for level in LEVELS
    }
    bodies: dict[str, Any] = {}
    with httpx.Client(timeout=30) as client:
        for level, mock in mocks.items():
            for key, target in ENDPOINTS.items():
                response = client.get(mock.url + target)
                if response.status_code != 200:
                    raise RuntimeError(f"stateless {level} {target}: {response.status_code} {response.text}")
                body = response.json()
                # Both levels answer the same bytes for one seed: one baseline serves for both.
                if bodies.setdefault(key, body) != body:
                    raise RuntimeError(f"stateless {target}: strict and lenient answers differ")
    paths_file = run.workdir / "stateless-paths.json"
    paths_file.write_text(
        json.dumps({ENDPOINTS[key].partition("?")[0]: body for key, body in bodies.items()}), encoding="utf-8"
    )
    baseline = run.spawn("stateless-baseline", baseline_argv("--paths", str(paths_file)))
    servers = {"baseline": baseline, **mocks}
    results: dict[str, dict[str, list[load.WrkResult]]] = {key: {n: [] for n in servers} for key in ENDPOINTS}
    cpu: dict[str, dict[str, list[float]]] = {key: {n: [] for n in servers} for key in ENDPOINTS}
    for rep in range(-1 if s.warmup else 0, s.stateless_reps):
        for key, target in ENDPOINTS.items():
            for name, server in servers.items():
                before = server.cpu_s()
                result = run.wrk(server.url + target, duration=s.warmup if rep < 0 else duration)
                if rep < 0:
                    continue  # the warm-up round: unmeasured
                results[key][name].append(result)
                cpu[key][name].append((server.cpu_s() - before) / max(1, result.requests) * 1e6)
                if not server.alive():
                    raise RuntimeError(f"{server.name} died under load")
        if rep >= 0:
            say_round(rep, s.stateless_reps, results)
    out: dict[str, Any] = {"duration_s": duration, "reps": s.stateless_reps, "endpoints": {}}
    for key, target in ENDPOINTS.items():
        summary = {name: load.summarise(found) for name, found in results[key].items()}
        base = summary["baseline"]
        entry: dict[str, Any] = {"path": target, "baseline": base.as_json()}
        for level in LEVELS:
            mine = summary[level]
            entry[level] = {
                **mine.as_json(),
                "ratio": round(mine.rps / base.rps, 3),
                "p99_ratio": round(mine.p99_ms / base.p99_ms, 3),
                "cpu_us_per_request": round(sorted(cpu[key][level])[len(cpu[key][level]) // 2], 1),
            }
        entry["baseline"]["cpu_us_per_request"] = round(
            sorted(cpu[key]["baseline"])[len(cpu[key]["baseline"]) // 2], 1
        )
        out["endpoints"][key] = entry
    for server in servers.values():
        run.stop(server)
    return out


def say_round(rep: int, reps: int, results: dict[str, dict[str, list[load.WrkResult]]]) -> None:
    worst = min(
        (found[level][-1].rps / found["baseline"][-1].rps, key, level)
        for key, found in results.items()
        for level in LEVELS
    )
    print(
        f"[bench {time.strftime('%H:%M:%S')}] stateless round {rep + 1}/{reps}: lowest ratio "
        f"{worst[0]:.2f}x ({worst[1]}, {worst[2]})",
        file=sys.stderr,
        flush=True,
    )


def rows(data: dict[str, Any]) -> list[Row]:
    from bench.report import ms_text, row

    out = []
    for key, entry in data["endpoints"].items():
        base = entry["baseline"]
        for level in LEVELS:
            mine = entry[level]
            out.append(
                row(
                    f"stateless {level} {key}: req/s (p99; server CPU per request)",
                    f"{base['rps']:,.0f} ({ms_text(base['p99_ms'])}; {base['cpu_us_per_request']:.0f} us)",
                    f"{mine['rps']:,.0f} ({ms_text(mine['p99_ms'])}; {mine['cpu_us_per_request']:.0f} us)",
                    f"{mine['ratio']:.2f}x (p99 {mine['p99_ratio']:.2f}x; CPU "
                    f"{mine['cpu_us_per_request'] / base['cpu_us_per_request']:.2f}x)",
                    f">= {MIN_RATIO}x (p99 <= {MAX_P99_RATIO}x)",
                    mine["ratio"] >= MIN_RATIO and mine["p99_ratio"] <= MAX_P99_RATIO,
                )
            )
    return out


# -- in-process: the apps' own CPU per request -----------------------------------------------------


async def _in_process(requests: int, rounds: int) -> dict[str, dict[str, float]]:
    from bench.asgi_profile import call
    from bench.baseline_app import create_app as baseline_app
    from mockserver._config import Config
    from mockserver._web.app import create_app

    apps: dict[str, Any] = {
        level: create_app(Config(port=0, mode="stateless", validation=level)) for level in LEVELS
    }
    bodies = {}
    for target in ENDPOINTS.values():
        status, data = await call(apps["strict"], "GET", target)
        assert status == 200, (target, status)
        bodies[target.partition("?")[0]] = json.loads(data)
    apps = {"baseline": baseline_app(paths=bodies), **apps}
    best: dict[str, dict[str, float]] = {key: {} for key in ENDPOINTS}
    for _ in range(rounds):
        for key, target in ENDPOINTS.items():
            for name, app in apps.items():
                started = time.process_time()
                for _ in range(requests):
                    status, _data = await call(app, "GET", target)
                    assert status == 200, (name, target, status)
                value = (time.process_time() - started) / requests * 1e6
                best[key][name] = min(best[key].get(name, value), value)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stateless", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    best = asyncio.run(_in_process(args.requests, args.rounds))
    print(f"CPU us per request, in-process ({args.requests} requests, best of {args.rounds} rounds)")
    print(f"{'endpoint':26}{'baseline':>10}" + "".join(f"{level:>10}{'ratio':>7}" for level in LEVELS))
    for key, found in best.items():
        cells = "".join(f"{found[level]:10.1f}{found['baseline'] / found[level]:7.2f}" for level in LEVELS)
        print(f"{key:26}{found['baseline']:10.1f}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
