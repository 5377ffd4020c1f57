"""Running ``wrk`` with ``bench/lua/bench.lua`` and reading its one-line summary."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua" / "bench.lua"
_MARK = "BENCH_RESULT "


class WrkFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    bytes: int
    errors: dict[str, int]

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def wrk_version() -> str:
    path = shutil.which("wrk")
    if path is None:
        return "missing"
    done = subprocess.run([path, "-v"], capture_output=True, text=True, check=False)
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0].split(" Copyright")[0].strip() if text else "wrk"


def run_wrk(
    url: str,
    *,
    threads: int,
    connections: int,
    duration: int,
    method: str = "GET",
    body_file: Path | None = None,
    paths: Sequence[str] = (),
    timeout: str = "5s",
) -> WrkResult:
    """One wrk run against ``url`` (whose path is used unless ``paths`` mixes several)."""
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{max(connections, threads)}",
        f"-d{max(1, int(duration))}s",
        "--timeout",
        timeout,
        "-s",
        str(LUA),
        url,
        "--",
        method,
        str(body_file) if body_file is not None else "-",
        *paths,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=duration + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(_MARK)), None)
    if done.returncode != 0 or line is None:
        raise WrkFailed(f"wrk failed ({done.returncode}): {' '.join(argv)}\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len(_MARK) :])
    duration_s = raw["duration_us"] / 1e6
    errors = {
        name: int(raw[f"err_{name}"])
        for name in ("connect", "read", "write", "status", "timeout")
        if raw[f"err_{name}"]
    }
    return WrkResult(
        requests=int(raw["requests"]),
        duration_s=round(duration_s, 3),
        rps=round(raw["requests"] / duration_s, 1) if duration_s else 0.0,
        mean_ms=round(raw["mean_us"] / 1000, 3),
        p50_ms=round(raw["p50_us"] / 1000, 3),
        p90_ms=round(raw["p90_us"] / 1000, 3),
        p99_ms=round(raw["p99_us"] / 1000, 3),
        max_ms=round(raw["max_us"] / 1000, 3),
        bytes=int(raw["bytes"]),
        errors=errors,
    )


@dataclass(frozen=True)
class Summary:
    """The median of each figure over repeated runs (each figure on its own)."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    runs: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def summarise(results: Sequence[WrkResult]) -> Summary:
    return Summary(
        rps=round(statistics.median(r.rps for r in results), 1),
        p50_ms=round(statistics.median(r.p50_ms for r in results), 3),
        p99_ms=round(statistics.median(r.p99_ms for r in results), 3),
        requests=sum(r.requests for r in results),
        errors=sum(r.error_count for r in results),
        runs=len(results),
    )
