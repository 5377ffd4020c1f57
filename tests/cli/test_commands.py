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

from mockserver._config import Config
from mockserver._running.cli import config_from_args


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


HINT = " (see letta-mockserver serve --help)"


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["serve", "--mode", "nope"], {}, "--mode nope: must be one of stateless, stateful" + HINT),
        (
            ["serve", "--validation", "loose"],
            {},
            "--validation loose: must be one of strict, lenient, off" + HINT,
        ),
        (["serve", "--port", "70000"], {}, "--port 70000: must be an integer from 0 to 65535" + HINT),
        (["serve", "--port", "99999"], {}, "--port 99999: must be an integer from 0 to 65535" + HINT),
        (
            ["serve", "--fixtures", "/nonexistent/dir"],
            {},
            "--fixtures /nonexistent/dir: must be an existing directory" + HINT,
        ),
        (
            ["serve", "--state", "/nonexistent/state.json"],
            {},
            "--state /nonexistent/state.json: must be an existing file" + HINT,
        ),
        (
            ["--openapi", "/nonexistent.json"],
            {},
            "--openapi /nonexistent.json: must be an existing file" + HINT,
        ),
        (["serve", "--frobnicate"], {}, "unrecognized arguments: --frobnicate (see letta-mockserver --help)"),
        (["serve", "--port"], {}, "--port: expected one argument" + HINT),
        (
            [],
            {"LETTA_MOCK_PORT": "abc"},
            "environment LETTA_MOCK_PORT=abc: must be an integer from 0 to 65535" + HINT,
        ),
        (
            [],
            {"LETTA_MOCK_MODE": "statefull"},
            "environment LETTA_MOCK_MODE=statefull: must be one of stateless, stateful" + HINT,
        ),
        (
            [],
            {"LETTA_MOCK_QUIET": "maybe"},
            "environment LETTA_MOCK_QUIET=maybe: must be one of 1, true, yes, on, 0, false, no, off" + HINT,
        ),
        (["--clock", "sundial"], {}, "--clock sundial: must be one of system, manual" + HINT),
        (
            ["--job-duration", "-1"],
            {},
            "--job-duration -1: must be a number of seconds from 0 up to 31536000" + HINT,
        ),
        (
            ["--stream-ping-interval", "0"],
            {},
            "--stream-ping-interval 0: must be a number of seconds above 0 up to 3600" + HINT,
        ),
        (
            ["--callback-timeout", "nan"],
            {},
            "--callback-timeout nan: must be a number of seconds above 0 up to 600" + HINT,
        ),
        (
            ["--api-key", "two words"],
            {},
            "--api-key 'two words': must be a non-empty printable string without spaces" + HINT,
        ),
        (
            ["--responses", "fuzz"],
            {},
            "--responses fuzz needs --mode stateless (stateful answers come from the simulation)" + HINT,
        ),
    ],
)
def test_bad_flags_exit_2_with_one_line(args: list[str], env: dict[str, str], line: str) -> None:
    """The flag (or variable), the value and the rule, on one line: no usage block, no Python names."""
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert result.returncode == 2
    assert result.stderr == f"letta-mockserver: {line}\n"
    assert result.stdout == ""


def test_a_bad_fuzz_flag_is_one_line_too() -> None:
    args = ["fuzz", "--base-url", "http://127.0.0.1:9", "--examples", "0"]
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("letta-mockserver: --examples ")
    assert "0" in line
    assert "usage:" not in line
    assert "_positive" not in line


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
