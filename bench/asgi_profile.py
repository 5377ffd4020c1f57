"""The application's own cost per request, without sockets: ``python -m bench.asgi_profile``.

Calls the mock's ASGI app (and the baseline's) directly in a loop, in one process, so that
neither uvicorn, the kernel nor wrk is in the measurement: what is left is routing,
validation, the backend, the journal and JSON rendering. Prints CPU microseconds per request
for each endpoint and app, then (``--profile``) a cProfile of the default mock per endpoint.

``--variants`` adds mocks changed in one respect, to estimate what an optimisation would win
(monkeypatches on one app instance, for measurement only): ``lenient``/``off`` (validation
levels), ``no-journal`` (``journal.record`` a no-op), ``cached-scalars`` (validation of
path/query scalars memoised per value), ``combined`` (the last two together). All apps
are measured interleaved, round by round, and the best round is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import json
import pstats
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bench import seed

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]
ENDPOINTS = ("retrieve_batch", "list_batches", "list_runs", "create_batch")
VARIANTS = ("lenient", "off", "no-journal", "cached-scalars", "combined")


async def call(app: App, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
    path, _, query = target.partition("?")
    headers = [(b"host", b"127.0.0.1:8283"), (b"user-agent", b"bench")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8283),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _cache_scalars(schemas: Any) -> None:
    original = schemas.violations

    @functools.lru_cache(maxsize=4096)
    def cached(pointer: str, instance: Any, prefix: Any) -> tuple[Any, ...]:
        return tuple(original(pointer, instance, prefix))

    def violations(pointer: str, instance: Any, prefix: Any = ()) -> list[Any]:
        if isinstance(instance, (str, int, float, bool)):
            return list(cached(pointer, instance, prefix))
        return list(original(pointer, instance, prefix))

    schemas.violations = violations


def mock_app(variant: str) -> App:
    from mockserver._config import Config
    from mockserver._contract.validation import Level
    from mockserver._web.app import create_app

    levels: dict[str, Level] = {"lenient": "lenient", "off": "off"}
    app: Any = create_app(Config(port=0, validation=levels.get(variant, "strict")))
    parts = app.state.parts
    if variant in ("no-journal", "combined"):
        parts.journal.record = lambda *_a, **_k: None
    if variant in ("cached-scalars", "combined"):
        _cache_scalars(parts.api.schemas)
    typed: App = app
    return typed


async def _ok(app: App, method: str, target: str, payload: Any = None) -> Any:
    body = json.dumps(payload).encode() if payload is not None else b""
    status, data = await call(app, method, target, body)
    if status >= 300:
        raise RuntimeError(f"{method} {target}: {status} {data[:300]!r}")
    return json.loads(data)


async def _targets(app: App) -> dict[str, tuple[str, str, bytes]]:
    batch_ids = [(await _ok(app, "POST", "/v1/messages/batches", seed.CREATE_BODY))["id"] for _ in range(100)]
    for _ in range(100):
        await _ok(app, "POST", "/_mock/runs", {"agent_id": seed.AGENT})
    await asyncio.sleep(2.3)  # the system clock's ticker finishes them
    body = json.dumps(seed.CREATE_BODY).encode()
    return {
        "retrieve_batch": ("GET", f"/v1/messages/batches/{batch_ids[0]}", b""),
        "list_batches": ("GET", "/v1/messages/batches?limit=10", b""),
        "list_runs": ("GET", "/v1/runs/?limit=10", b""),
        "create_batch": ("POST", "/v1/messages/batches", body),
    }


async def _loop(app: App, request: tuple[str, str, bytes], n: int) -> float:
    """CPU microseconds per request (process time: robust to other load on the machine)."""
    method, target, body = request
    started = time.process_time()
    for _ in range(n):
        status, _data = await call(app, method, target, body)
        if status != 200:
            raise RuntimeError(f"{method} {target}: {status}")
    return (time.process_time() - started) / n * 1e6


async def measure(args: argparse.Namespace) -> None:
    from bench.baseline_app import create_app as baseline_create

    apps: dict[str, App] = {}
    targets: dict[str, dict[str, tuple[str, str, bytes]]] = {}
    for variant in ["defaults", *args.variants]:
        apps[variant] = mock_app(variant)
        targets[variant] = await _targets(apps[variant])
    bodies = {}
    for key, (method, target, body) in targets["defaults"].items():
        _status, data = await call(apps["defaults"], method, target, body)
        bodies[key] = json.loads(data)
    apps = {"baseline": baseline_create(bodies), **apps}
    targets["baseline"] = targets["defaults"]
    best: dict[tuple[str, str], float] = {}
    for key in args.endpoint:
        for name, app in apps.items():
            await _loop(app, targets[name][key], min(500, args.requests))
    for _ in range(args.rounds):
        for key in args.endpoint:
            for name, app in apps.items():
                value = await _loop(app, targets[name][key], args.requests)
                best[key, name] = min(best.get((key, name), value), value)
    print(f"CPU us per request ({args.requests} requests, best of {args.rounds} interleaved rounds)")
    names = list(apps)
    print(f"{'endpoint':16}" + "".join(f"{name:>15}" for name in names))
    for key in args.endpoint:
        print(f"{key:16}" + "".join(f"{best[key, name]:15.1f}" for name in names))
    if args.profile:
        for key in args.endpoint:
            profiler = cProfile.Profile()
            profiler.enable()
            await _loop(apps["defaults"], targets["defaults"][key], args.requests)
            profiler.disable()
            buffer = io.StringIO()
            stats = pstats.Stats(profiler, stream=buffer)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top * 2)
            print(f"\n==== cProfile: {key} (mock, {args.requests} requests) ====")
            print(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.asgi_profile", description=__doc__)
    parser.add_argument("--endpoint", action="append", choices=ENDPOINTS)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--variants", default="", help=f"comma-separated mocks to compare: {', '.join(VARIANTS)}"
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile per endpoint")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    args.endpoint = args.endpoint or list(ENDPOINTS)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(unknown)}")
    asyncio.run(measure(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
