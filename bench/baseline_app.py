"""The baseline: a bare Starlette app under uvicorn that answers constant bodies.

It has the four benchmarked routes and nothing else: no validation, no store, no journal.
Each answer is a ``JSONResponse`` of a constant (serialised per request, as the mock's are),
so the difference to the mock is what the mock does beyond routing and rendering JSON.
``--bodies FILE`` replaces the constants (the bench passes the mock's own answers, so both
servers send the same bytes). ``--paths FILE`` ({path: body}) adds one literal ``GET`` route per path
(the stateless section's endpoints, ids written into the path).

Run: ``python -m bench.baseline_app --port 0``; it prints ``baseline listening on URL``.
Same uvicorn settings as ``letta-mockserver serve``: log level warning, no access log,
uvloop and httptools (``uvicorn[standard]``), a socket bound before uvicorn starts.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BATCH_JOB: dict[str, Any] = {
    "created_by_id": "user-00000000-0000-4000-8000-000000000000",
    "last_updated_by_id": "user-00000000-0000-4000-8000-000000000000",
    "created_at": "2026-01-01T00:00:00.000000Z",
    "updated_at": "2026-01-01T00:00:02.000000Z",
    "status": "completed",
    "completed_at": "2026-01-01T00:00:02.000000Z",
    "stop_reason": None,
    "metadata": {"job_type": "batch_messages"},
    "job_type": "batch",
    "background": False,
    "agent_id": None,
    "callback_url": None,
    "callback_sent_at": None,
    "callback_status_code": None,
    "callback_error": None,
    "ttft_ns": None,
    "total_duration_ns": 2000000000,
    "id": "job-00000000-0000-4000-8000-000000000000",
}

DEFAULT_BODIES: dict[str, Any] = {
    "retrieve_batch": BATCH_JOB,
    "list_batches": [BATCH_JOB] * 10,
    "list_runs": [BATCH_JOB] * 10,
    "create_batch": {**BATCH_JOB, "status": "created", "completed_at": None, "total_duration_ns": None},
}


def create_app(bodies: Mapping[str, Any] | None = None, paths: Mapping[str, Any] | None = None) -> Starlette:
    answers = {**DEFAULT_BODIES, **(bodies or {})}
    retrieve, batches, runs, created = (
        answers["retrieve_batch"],
        answers["list_batches"],
        answers["list_runs"],
        answers["create_batch"],
    )

    async def retrieve_batch(_request: Request) -> Response:
        return JSONResponse(retrieve)

    async def list_batches(_request: Request) -> Response:
        return JSONResponse(batches)

    async def list_runs(_request: Request) -> Response:
        return JSONResponse(runs)

    async def create_batch(request: Request) -> Response:
        await request.body()
        return JSONResponse(created)

    def constant(body: Any) -> Any:
        async def answer(_request: Request) -> Response:
            return JSONResponse(body)

        return answer

    literal = [Route(path, constant(body), methods=["GET"]) for path, body in (paths or {}).items()]
    app = Starlette(
        routes=[
            *literal,
            Route("/v1/messages/batches", create_batch, methods=["POST"]),
            Route("/v1/messages/batches", list_batches, methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}", retrieve_batch, methods=["GET"]),
            Route("/v1/runs/", list_runs, methods=["GET"]),
        ]
    )
    app.router.redirect_slashes = False
    return app


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bodies", type=Path, help="JSON object: operationId -> body to answer with")
    parser.add_argument("--paths", type=Path, help="JSON object: literal GET path -> body to answer with")
    args = parser.parse_args(argv)
    bodies = json.loads(args.bodies.read_text(encoding="utf-8")) if args.bodies else None
    paths = json.loads(args.paths.read_text(encoding="utf-8")) if args.paths else None
    app = create_app(bodies, paths)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    )
    sock = _bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(f"baseline listening on http://{host}:{port}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
