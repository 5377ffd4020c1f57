"""What `serve` prints: the URLs at start-up, one log line per request, and nothing more with --quiet."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mockserver import MockServer, __version__

from .support import clean_env, serving

pytestmark = pytest.mark.slow  # servers in subprocesses, or load: the full run has them

BAD_AGENT = {"requests": [{"agent_id": "agent_id", "input": "hi"}]}
LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<level>[A-Z]+) +(?P<message>.*)$")


def log_lines(stderr: str) -> list[tuple[str, str]]:
    """(level, message) of every request log line; other lines are ignored."""
    return [(m.group("level"), m.group("message")) for m in map(LINE.match, stderr.splitlines()) if m]


def test_start_up_prints_the_useful_urls_after_the_first_line(tmp_path: Path) -> None:
    with serving(tmp_path, "serve", "--port", "0", "--mode", "stateless") as served:
        # Answered once, so its start-up is over: a stop while uvicorn still waits on the app's start-up
        # makes uvicorn log that wait's cancellation as an ERROR (seen once on a loaded machine).
        assert httpx.get(f"{served.url}/openapi.json", timeout=30).status_code == 200
    url = served.url
    first, *rest = served.stdout.splitlines()
    assert first == f"letta-mockserver listening on {url} (mode=stateless, validation=strict)"
    assert rest[0] == f"  API:      {url}/v1/"
    assert rest[1] == f"  UI:       {url}/_mock/ui (live dashboard)"
    assert rest[2].startswith(f"  OpenAPI:  {url}/openapi.json")
    assert rest[3].startswith(f"  Report:   {url}/_mock/report")
    assert rest[4].startswith("  Docs:     https://")
    assert "ERROR" not in served.stderr


def test_one_line_per_request_with_the_violation_and_the_fault(tmp_path: Path) -> None:
    with (
        serving(tmp_path, "--port", "0", "--mode", "stateless") as served,
        httpx.Client(base_url=served.url, timeout=10) as http,
    ):
        assert http.get("/v1/runs/", params={"limit": 2}).status_code == 200
        assert http.post("/v1/messages/batches", json=BAD_AGENT).status_code == 422
        assert http.get("/v1/nope").status_code == 404
        assert http.get("/v1/nope%0A00:00:00 INFO    forged").status_code == 404
        http.post(
            "/_mock/faults", json={"operation": "list_runs", "drop": True, "times": 1}
        ).raise_for_status()
        with pytest.raises(httpx.TransportError):
            http.get("/v1/runs/")
        fault = {"operation": "list_runs", "error": {"status": 503}, "times": 1}
        http.post("/_mock/faults", json=fault).raise_for_status()
        assert http.get("/v1/runs/").status_code == 503
    lines = log_lines(served.stderr)
    assert lines[0][0] == "INFO"
    assert re.fullmatch(r"GET /v1/runs/\?limit=2 200 \d+\.\d ms", lines[0][1])
    level, message = lines[1]
    assert level == "WARNING"
    assert re.match(
        r"POST /v1/messages/batches 422 \d+\.\d ms CONTRACT VIOLATION: /body/requests/0/agent_id: ", message
    )
    assert "String should match pattern" in message
    assert lines[2] == ("INFO", "GET /v1/nope 404 (no operation here)")
    # A newline in the (percent-decoded) path cannot forge a line of its own.
    assert lines[3] == ("INFO", "GET /v1/nope\\n00:00:00 INFO    forged 404 (no operation here)")
    assert lines[4] == ("INFO", "GET /v1/runs/ connection dropped (injected fault)")
    assert lines[5] == ("INFO", "GET /v1/runs/ 503 (injected fault: error 503)")
    assert len(lines) == 6, "the control API is not logged"
    # The drop is the fault it is, not a crash of the app.
    assert "ASGI callable" not in served.stderr
    assert "ERROR" not in served.stderr


def test_the_request_log_does_not_follow_uvicorns_log_level(tmp_path: Path) -> None:
    with serving(tmp_path, "--port", "0", "--log-level", "critical") as served:
        assert httpx.get(f"{served.url}/v1/runs/", timeout=10).status_code == 200
    first_level, first = log_lines(served.stderr)[0]
    assert (first_level, first.startswith("GET /v1/runs/ 200 ")) == ("INFO", True)


@pytest.mark.parametrize("quiet", [["--quiet"], []])
def test_quiet_prints_only_where_it_listens(tmp_path: Path, quiet: list[str]) -> None:
    env = clean_env(LETTA_MOCK_QUIET="1") if not quiet else None
    with (
        serving(tmp_path, "--port", "0", *quiet, env=env) as served,
        httpx.Client(base_url=served.url, timeout=10) as http,
    ):
        assert http.get("/v1/runs/").status_code == 200
        assert http.post("/v1/messages/batches", json=BAD_AGENT).status_code == 422
    assert served.stdout.splitlines() == [
        f"letta-mockserver listening on {served.url} (mode=stateful, validation=strict)"
    ]
    assert served.stderr == ""


@pytest.mark.parametrize(("flag", "env"), [(["--access-log"], {}), ([], {"LETTA_MOCK_ACCESS_LOG": "1"})])
def test_access_log_logs_without_log_level_info(tmp_path: Path, flag: list[str], env: dict[str, str]) -> None:
    with serving(tmp_path, "--port", "0", "--quiet", *flag, env=clean_env(**env)) as served:
        assert httpx.get(f"{served.url}/v1/runs/", timeout=10).status_code == 200
    assert re.search(r'"GET /v1/runs/ HTTP/1.1" 200', served.stdout), served.stdout


def test_get_root_points_at_the_api_and_the_docs(tmp_path: Path) -> None:
    with serving(tmp_path, "--port", "0", "--quiet") as served:
        response = httpx.get(f"{served.url}/", timeout=10)
        document = httpx.get(f"{served.url}/openapi.json", timeout=10).json()
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "letta-mockserver"
    assert body["version"] == __version__
    assert (body["api"], body["openapi"], body["control"]) == ("/v1/", "/openapi.json", "/_mock")
    assert body["docs"].startswith("https://")
    assert "/" not in document["paths"], "GET / is not an operation of the API"


def test_a_port_in_use_suggests_port_0() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mockserver", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(),
        )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"letta-mockserver: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "--port 0" in line


def test_mock_server_prints_nothing_but_its_records_reach_logging(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mockserver.requests"), MockServer(mode="stateless") as server:
        assert httpx.get(f"{server.url}/v1/runs/", timeout=10).status_code == 200
        assert httpx.post(f"{server.url}/v1/messages/batches", json=BAD_AGENT, timeout=10).status_code == 422
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    records = [r for r in caplog.records if r.name == "mockserver.requests"]
    assert [(r.levelname, r.status) for r in records] == [("INFO", 200), ("WARNING", 422)]  # type: ignore[attr-defined]
    assert "CONTRACT VIOLATION: /body/requests/0/agent_id" in records[1].getMessage()
