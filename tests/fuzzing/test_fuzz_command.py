"""`letta-mockserver fuzz`: zero findings against the mock, and a broken server is caught."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver import MockServer

from .support import serving


def fuzz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "fuzz", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
@pytest.mark.parametrize("settings", [{"mode": "stateful", "clock": "manual"}, {"mode": "stateless"}])
def test_fuzzing_the_mock_finds_nothing(settings: dict[str, str]) -> None:
    with MockServer(**settings) as server:  # type: ignore[arg-type]
        result = fuzz("--base-url", server.url, "--examples", "5")
    assert result.returncode == 0, result.stdout
    assert "0 finding(s)" in result.stdout
    assert "| list_runs |" in result.stdout
    assert "100/100" in result.stderr  # the progress bar reached the end


async def _wrong_runs(_request: Request) -> JSONResponse:
    # `id` must be a string and `agent_id` is required: a parser built from the contract breaks here.
    return JSONResponse([{"id": 42, "status": "completed"}])


async def _crash(_request: Request) -> JSONResponse:
    return JSONResponse({"detail": "boom"}, status_code=500)


@pytest.fixture
def broken_server() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/runs/", _wrong_runs), Route("/v1/runs/active", _crash)])
    with serving(app) as url:
        yield url


def test_fuzzing_a_broken_server_reports_each_kind_of_violation(broken_server: str) -> None:
    result = fuzz(
        "--base-url", broken_server, "--operations", "list_runs,list_active_runs", "--examples", "3"
    )
    assert result.returncode == 1
    assert "list_runs [response_schema] 200 response.0.id: 42 is not of type 'string'" in result.stdout
    assert (
        "list_runs [response_schema] 200 response.0.agent_id: 'agent_id' is a required property"
        in result.stdout
    )
    assert "list_active_runs [server_error] 500" in result.stdout
    # Broken requests answered 2xx are reported too.
    assert "list_runs [invalid_accepted]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "http://127.0.0.1:9", "--operations", "nope"], "unknown operation(s): nope"),
        (["--base-url", "http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9"),
        (["--examples", "3"], "the following arguments are required: --base-url"),
        (["--base-url", "http://x", "--examples", "0"], "--examples '0': must be an integer of at least 1"),
        (
            ["--base-url", "http://x", "--header", "no colon"],
            "--header: 'no colon' must be 'Name: value' with a valid header name",
        ),
        (
            ["--base-url", "http://x", "--header", "Bad Name: v"],
            "--header: 'Bad Name: v' must be 'Name: value' with a valid header name",
        ),
    ],
)
def test_bad_fuzz_arguments_exit_2(args: list[str], message: str) -> None:
    result = fuzz(*args)
    assert result.returncode == 2
    assert message in result.stderr
