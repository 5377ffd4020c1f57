"""One declaration of the settings: every Config field is a flag and a variable, checked alike."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockserver import Config, MockServer, __version__
from mockserver._config import flag_of, settings
from mockserver._config.rules import Setting, env_of
from mockserver._running.cli import config_from_args as config_from_args_
from mockserver._running.cli import flag_table

from .support import clean_env

ROOT = Path(__file__).resolve().parents[2]
FUZZ_ONE = ["--operations", "list_runs", "--examples", "2"]
TABLE = re.compile(r"<!-- flags:start -->\n(?P<table>.*?)<!-- flags:end -->", re.DOTALL)


def other_value(name: str, setting: Setting, default: Any, tmp_path: Path) -> tuple[str, Any]:
    """A valid value that is not the default, as text and as the Config value."""
    if setting.choices:
        text = next(choice for choice in reversed(setting.choices) if choice != default)
        return text, text
    if setting.metavar in ("DIR", "FILE_OR_DIR"):
        return str(tmp_path), tmp_path
    if setting.metavar == "FILE":
        (tmp_path / "file.json").write_text("{}")
        return str(tmp_path / "file.json"), tmp_path / "file.json"
    if name in ("quirks", "no_quirks"):
        return "run-delete-500, job-cancel-500", frozenset({"run-delete-500", "job-cancel-500"})
    if name == "callback_allow_hosts":
        return "a.example, B.example", frozenset({"a.example", "b.example"})
    if name == "upstream":
        return "http://127.0.0.1:9/base", "http://127.0.0.1:9/base"
    if name == "host":
        return "0.0.0.0", "0.0.0.0"
    if isinstance(default, float):
        return "1.5", 1.5
    if isinstance(default, int) and not isinstance(default, bool):
        return str(default + 1), default + 1
    if default is None:
        return "s3cret", "s3cret"
    raise AssertionError(f"no sample value for {name}")


def changed(name: str, value: Any) -> Config:
    base = Config(mode="stateless") if name == "responses" else Config()
    return base.but(**{name: value})


@pytest.mark.parametrize(("name", "setting", "default"), settings(), ids=[name for name, *_ in settings()])
def test_every_field_is_a_flag_and_a_variable(
    name: str, setting: Setting, default: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [key for key in os.environ if key.startswith("LETTA_MOCK_")]:
        monkeypatch.delenv(key)
    extra = ["--mode", "stateless"] if name == "responses" else []
    # `letta-mockserver proxy`'s own flags: `serve` has none of them.
    command = ["proxy"] if setting.group == "proxy" else []

    def config_from_args(args: list[str]) -> Config:
        return config_from_args_([*command, *args])

    if setting.switch:
        assert config_from_args([flag_of(name), *extra]) == changed(name, True)
        assert config_from_args([f"--no-{flag_of(name)[2:]}", *extra]) == changed(name, False)
        monkeypatch.setenv(env_of(name), "yes")
        assert config_from_args(extra) == changed(name, True)
        assert config_from_args([f"--no-{flag_of(name)[2:]}", *extra]).__getattribute__(name) is False
        return
    text, value = other_value(name, setting, default, tmp_path)
    assert config_from_args([flag_of(name), text, *extra]) == changed(name, value)
    monkeypatch.setenv(env_of(name), text)
    assert config_from_args(extra) == changed(name, value)
    assert config_from_args(extra).__getattribute__(name) == value


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"port": 99999}, "port must be an integer from 0 to 65535, not 99999"),
        (
            {"stream_ping_interval": 0},
            "stream_ping_interval must be a number of seconds above 0 up to 3600, not 0",
        ),
        ({"callback_retries": 11}, "callback_retries must be an integer from 0 to 10, not 11"),
        ({"quiet": "yes"}, "quiet must be True or False, not 'yes'"),
        ({"clock": "sundial"}, "clock must be one of system, manual, not 'sundial'"),
        (
            {"callback_allow_hosts": ["a"]},
            "callback_allow_hosts must be a frozenset of host names, not ['a']",
        ),
    ],
)
def test_config_refuses_what_the_flags_refuse(settings_: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Config(**settings_)


def test_a_mock_server_refuses_a_bad_setting_before_it_starts() -> None:
    with pytest.raises(ValueError, match="api_key must be a non-empty printable string without spaces"):
        MockServer(api_key="")


@pytest.mark.parametrize(
    "args",
    [["--help"], ["serve", "--help"], ["--version"], ["serve", "--version"], ["fuzz", "--help"]],
)
def test_a_bad_variable_breaks_no_other_command(args: list[str]) -> None:
    env = clean_env(LETTA_MOCK_PORT="abc", LETTA_MOCK_MODE="nope")
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=30, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if "--version" in args:
        assert result.stdout == f"letta-mockserver {__version__}\n"
    else:
        assert result.stdout.startswith("usage: letta-mockserver")


def test_a_bad_variable_does_not_break_fuzz() -> None:
    with MockServer(mode="stateless") as server:
        result = subprocess.run(
            [sys.executable, "-m", "mockserver", "fuzz", "--base-url", server.url, *FUZZ_ONE],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean_env(LETTA_MOCK_PORT="abc", LETTA_MOCK_QUIET="maybe"),
        )
    assert "LETTA_MOCK" not in result.stdout + result.stderr
    assert result.returncode != 2, result.stderr


def test_serve_help_groups_the_flags_and_names_each_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--help"], capture_output=True, text=True, timeout=30
    )
    text = " ".join(result.stdout.split())  # argparse wraps the help text
    headings = [line for line in result.stdout.splitlines() if re.fullmatch(r"[a-z]+:", line)]
    assert headings == ["options:", "server:", "behaviour:", "callbacks:", "security:", "output:"]
    for name, setting, _default in settings():
        if setting.group == "proxy":
            continue
        assert flag_of(name) in text
        assert env_of(name) in text
    for new in ("--quiet, --no-quiet", "--state FILE", "--openapi FILE", "--version"):
        assert new in text
    assert "--port PORT port to listen on; 0 picks a free port (default: 8283; env LETTA_MOCK_PORT)" in text


def test_the_flag_table_in_docs_is_current() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    found = TABLE.search(page)
    assert found, "docs/cli.md has no <!-- flags:start --> ... <!-- flags:end --> block"
    assert found.group("table") == flag_table(), (
        "docs/cli.md's flag table is stale: put the output of"
        " `python -m mockserver._running.cli --markdown-table` in its place"
    )


def test_the_table_names_every_flag_and_variable() -> None:
    table = flag_table()
    for name, *_ in settings():
        assert f"`{flag_of(name)}" in table
        assert f"`{env_of(name)}`" in table
    result = subprocess.run(
        [sys.executable, "-m", "mockserver._running.cli", "--markdown-table"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == table
