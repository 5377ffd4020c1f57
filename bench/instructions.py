"""Instructions per request, counted by valgrind's callgrind: ``python -m bench.instructions``.

CPU time moves with whatever else runs on the machine; an instruction count does not. This runs
the apps in-process (as bench/asgi_profile.py does: no sockets, no uvicorn) under
``valgrind --tool=callgrind``, and marks each measured loop by calling ``os.getppid()`` before and
after it: ``--dump-before=os_getppid`` then writes one counter dump per loop. Divided by the loop's
requests, that is the application's own cost per request, repeatable to a fraction of a percent.

Needs valgrind (``apt-get install valgrind``); a run takes about a minute (valgrind is ~50x slower).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import seed

_MARK = "os_getppid"
STATEFUL = ("retrieve_batch", "list_batches", "list_runs", "create_batch", "create_batch_finished")
"""``create_batch_finished``: creates, then one clock advance that runs and finishes them all, per create:
what a create costs a server on the system clock once its batch has finished (its lifecycle included)."""
STATELESS = ("stateless_list_batches", "stateless_retrieve_batch", "stateless_list_runs")
VARIANTS = ("defaults", "lenient", "off", "quiet-off", "no-journal", "no-backend")
"""``lenient``/``off``: validation levels; ``quiet-off``: the request log at INFO on the console (a
buffered stream), as ``serve`` without ``--quiet`` has it; ``no-journal``: ``journal.record`` a no-op;
``no-backend``: the backend answers a constant body (what is left is the HTTP layer, parsing,
validation and the journal). The last two are monkeypatches, for measurement only."""


async def _inner(endpoints: list[str], variants: list[str], requests: int) -> list[str]:
    """Runs under valgrind: every (variant, endpoint) loop between two marks; returns their names."""
    from bench.asgi_profile import call
    from bench.baseline_app import create_app as baseline_app
    from mockserver._config import Config
    from mockserver._control.requestlog import attach_console
    from mockserver._web.app import create_app

    apps: dict[str, Any] = {}
    targets: dict[str, tuple[str, str, bytes]] = {}
    for variant in variants:
        level: Any = variant if variant in ("lenient", "off") else "strict"
        apps[variant] = create_app(Config(port=0, validation=level, clock="manual"))
        apps[f"stateless-{variant}"] = create_app(Config(port=0, mode="stateless", validation=level))
    console = open(os.devnull, "w", buffering=1 << 16)  # noqa: SIM115 (lives as long as the run)
    body = json.dumps(seed.CREATE_BODY).encode()
    first = apps[variants[0]]
    status, data = await call(first, "POST", "/v1/messages/batches", body)
    batch_id = json.loads(data)["id"]
    for app in (apps[v] for v in variants):
        if app is not first:
            await call(app, "POST", "/v1/messages/batches", body)  # the same id: the same seed
    targets = {
        "retrieve_batch": ("GET", f"/v1/messages/batches/{batch_id}", b""),
        "list_batches": ("GET", "/v1/messages/batches?limit=10", b""),
        "list_runs": ("GET", "/v1/runs/?limit=10", b""),
        "create_batch": ("POST", "/v1/messages/batches", body),
        "create_batch_finished": ("POST", "/v1/messages/batches", body),
        "stateless_list_batches": ("GET", "/v1/messages/batches?limit=10", b""),
        "stateless_retrieve_batch": ("GET", f"/v1/messages/batches/{batch_id}", b""),
        "stateless_list_runs": ("GET", "/v1/runs/?limit=10", b""),
    }
    for variant in variants:
        for _ in range(20):
            await call(apps[variant], "POST", "/_mock/runs", json.dumps({"agent_id": seed.AGENT}).encode())
    constant: dict[str, Any] = {}
    for variant in variants:
        parts = apps[variant].state.parts
        if variant == "no-journal":
            parts.journal.record = lambda *_a, **_k: None
        if variant == "no-backend":
            parts.api.backend = _Constant(constant)
    bodies = {}
    for key in STATEFUL[:4]:
        method, target, payload = targets[key]
        status, data = await call(apps[variants[0]], method, target, payload)
        assert status == 200, (key, status, data[:200])
        bodies[key] = json.loads(data)
        constant[targets[key][1]] = bodies[key]
    apps["baseline"] = baseline_app(bodies)
    loops: list[tuple[str, Any, tuple[str, str, bytes]]] = []
    for key in endpoints:
        stateless = key.startswith("stateless_")
        plain = key.removeprefix("stateless_")
        if not stateless:
            baseline_target = targets["create_batch" if plain == "create_batch_finished" else plain]
            loops.append((f"{key} baseline", apps["baseline"], baseline_target))
        for variant in variants:
            app = apps[f"stateless-{variant}" if stateless else variant]
            loops.append((f"{key} {variant}", app, targets[key]))
    names = []
    for name, app, (method, target, payload) in loops:
        logged = name.endswith("quiet-off")
        handler = attach_console(console) if logged else None
        finishing = name.startswith("create_batch_finished") and app is not apps["baseline"]
        for _ in range(max(10, requests // 10)):  # warm: memos, caches, the first-call paths
            await call(app, method, target, payload)
        if finishing:
            await call(app, "POST", "/_mock/clock/advance", b'{"seconds": 30}')
        os.getppid()
        for _ in range(requests):
            status, data = await call(app, method, target, payload)
            assert status == 200, (name, status, data[:200])
        if finishing:
            status, data = await call(app, "POST", "/_mock/clock/advance", b'{"seconds": 30}')
            assert status == 200, (name, status, data[:200])
        os.getppid()
        if handler is not None:
            detach_console(handler)
        names.append(name)
    return names


class _Constant:
    """A backend answering each path's body from a dict (filled once the real answers are known)."""

    def __init__(self, bodies: dict[str, Any]) -> None:
        self._bodies = bodies

    async def handle(self, request: Any) -> Any:
        from mockserver._answers.backend import JsonReply

        path = request.operation.path.format(**request.path)
        query = "?limit=10" if "limit" in request.provided else ""
        return JsonReply(self._bodies[path + query])


def detach_console(handler: Any) -> None:
    from mockserver._control.requestlog import LOGGER

    LOGGER.removeHandler(handler)
    LOGGER.setLevel(0)  # back to the default: a quiet server's
    LOGGER.propagate = True


def _totals(out: Path) -> list[int]:
    """The instruction count of each dump, in the order they were written."""
    files = sorted(out.parent.glob(out.name + ".*"), key=lambda p: int(p.suffix[1:]))
    found = []
    for path in files:
        match = re.search(r"^totals:\s+(\d+)", path.read_text(errors="replace"), re.M)
        found.append(int(match.group(1)) if match else 0)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--endpoint", action="append", choices=STATEFUL + STATELESS)
    parser.add_argument("--variants", default="defaults", help=f"comma-separated: {', '.join(VARIANTS)}")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    endpoints = args.endpoint or list(STATEFUL)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if any(v not in VARIANTS for v in variants):
        parser.error(f"--variants: choose from {', '.join(VARIANTS)}")
    if args.inner:
        names = asyncio.run(_inner(endpoints, variants, args.requests))
        print("LOOPS " + json.dumps(names), flush=True)
        return 0
    if shutil.which("valgrind") is None:
        print("bench.instructions: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="letta-callgrind-") as workdir:
        out = Path(workdir) / "callgrind.out"
        inner = [sys.executable, "-m", "bench.instructions", "--inner", "--requests", str(args.requests)]
        inner += [f"--endpoint={e}" for e in endpoints] + [f"--variants={','.join(variants)}"]
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--dump-before={_MARK}", f"--callgrind-out-file={out}", *inner],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        match = re.search(r"^LOOPS (.*)$", done.stdout, re.M)
        if done.returncode != 0 or match is None:
            print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
            return 1
        names = json.loads(match.group(1))
        totals = _totals(out)
    # Dumps: start-up with the first warm-up, then each measured loop and the next warm-up in turn.
    measured = totals[1::2][: len(names)]
    print(f"instructions per request (callgrind, {args.requests} requests per loop, in-process)")
    for name, total in zip(names, measured, strict=True):
        print(f"{name:40} {total / args.requests / 1000:10.1f} k")
    return 0


if __name__ == "__main__":
    sys.exit(main())
