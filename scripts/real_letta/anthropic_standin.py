"""A stand-in for Anthropic's API: with it, the real server's batch create succeeds (status `running`).

The real server submits every batch to Anthropic's Message Batches API and stores a `failed` batch with a
500 when that fails. `POST /v1/messages/batches` answers an `in_progress` message batch, `GET /v1/models` an
empty list, and everything else 529 overloaded, so agents' own LLM calls fail the way a busy provider's do.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drain(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        raw = self._drain()
        if self.path.split("?")[0].rstrip("/") == "/v1/messages/batches":
            try:
                count = len(json.loads(raw or b"{}").get("requests", []))
            except (ValueError, AttributeError):
                count = 0
            now = datetime.now(UTC)
            self._send(
                200,
                {
                    "id": f"msgbatch_{uuid.uuid4().hex[:24]}",
                    "type": "message_batch",
                    "processing_status": "in_progress",
                    "request_counts": {
                        "processing": count,
                        "succeeded": 0,
                        "errored": 0,
                        "canceled": 0,
                        "expired": 0,
                    },
                    "ended_at": None,
                    "created_at": _iso(now),
                    "expires_at": _iso(now + timedelta(hours=24)),
                    "archived_at": None,
                    "cancel_initiated_at": None,
                    "results_url": None,
                },
            )
            return
        self._overloaded()

    def do_GET(self) -> None:
        self._drain()
        if self.path.split("?")[0].rstrip("/") == "/v1/models":
            self._send(200, {"data": [], "has_more": False, "first_id": None, "last_id": None})
            return
        self._overloaded()

    def do_DELETE(self) -> None:
        self._drain()
        self._overloaded()

    def _overloaded(self) -> None:
        """Called once the request body has been read (reading it twice would wait forever)."""
        self._send(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


def main() -> None:
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
