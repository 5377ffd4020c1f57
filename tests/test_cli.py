"""The command line: it serves, prints where, and refuses bad flags with exit status 2."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockserver._cli import config_from_args
from mockserver._config import Config


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        assert match, f"no URL printed; stdout={line!r}"
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=15)
        assert process.returncode == 0, err


def test_serve_prints_its_url_and_answers() -> None:
    with running("serve", "--port", "0", "--seed", "3", "--mode", "stateless") as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/v1/runs/", params={"limit": 2}, timeout=10)
        assert response.status_code == 200
        assert len(response.json()) == 2


def test_environment_variables_configure_the_server() -> None:
    env = {"LETTA_MOCK_PORT": "0", "LETTA_MOCK_VALIDATION": "lenient", "LETTA_MOCK_MODE": "stateless"}
    with running(env=env) as url:
        # A malformed agent id is only refused under strict validation.
        body = {"requests": [{"agent_id": "agent_id", "input": "hi"}]}
        assert httpx.post(f"{url}/v1/messages/batches", json=body, timeout=10).status_code == 200


def test_flags_override_environment() -> None:
    os.environ["LETTA_MOCK_SEED"] = "5"
    try:
        assert config_from_args(["serve", "--seed", "9"]).seed == 9
        assert config_from_args([]).seed == 5
    finally:
        del os.environ["LETTA_MOCK_SEED"]


def test_defaults_match_the_documented_ones() -> None:
    assert config_from_args([]) == Config(
        host="127.0.0.1", port=8283, mode="stateful", validation="strict", clock="system", job_duration=2.0
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["serve", "--mode", "nope"], {}, "argument --mode: invalid choice: 'nope'"),
        (["serve", "--validation", "loose"], {}, "argument --validation: invalid choice: 'loose'"),
        (["serve", "--port", "70000"], {}, "argument --port: invalid _port value: '70000'"),
        (["serve", "--fixtures", "/nonexistent/dir"], {}, "--fixtures '/nonexistent/dir' is not a directory"),
        (["serve", "--frobnicate"], {}, "unrecognized arguments: --frobnicate"),
        ([], {"LETTA_MOCK_PORT": "abc"}, "environment variable LETTA_MOCK_PORT='abc' is not valid"),
        (["--clock", "sundial"], {}, "argument --clock: invalid choice: 'sundial'"),
        (["--job-duration", "-1"], {}, "argument --job-duration: invalid _seconds value: '-1'"),
        (["--stream-ping-interval", "0"], {}, "stream_ping_interval must be between 0 and 3600 seconds"),
    ],
)
def test_bad_flags_exit_2_with_a_message(args: list[str], env: dict[str, str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_broken_fixture_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "retrieve_run.json").write_text('{"id": 5}')
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--port", "0", "--fixtures", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "fixture retrieve_run.json does not match" in result.stderr
