"""Choosing a profile and its quirks: the one declaration, the CLI, the control API, Python, pytest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mockserver import Config, MockServer
from mockserver._contract.quirks import NAMES, PROFILES, QUIRKS, quirk_table


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LETTA_MOCK_")}


ROOT = Path(__file__).resolve().parents[2]
TABLE = re.compile(r"<!-- quirks:start -->\n(?P<table>.*?)<!-- quirks:end -->", re.DOTALL)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )


def test_the_quirk_table_in_docs_is_current() -> None:
    found = TABLE.search((ROOT / "docs" / "profiles.md").read_text(encoding="utf-8"))
    assert found, "docs/profiles.md has no <!-- quirks:start --> ... <!-- quirks:end --> block"
    assert found.group("table") == quirk_table(), (
        "docs/profiles.md's quirk table is stale: put the output of"
        " `python -m mockserver._contract.quirks --markdown-table` in its place"
    )


def test_every_quirk_is_in_the_real_server_profile_and_none_in_contract() -> None:
    assert PROFILES["contract"].quirks == frozenset()
    assert PROFILES["letta-oss"].quirks == frozenset(NAMES)
    assert "56ba9c255" in PROFILES["letta-oss"].server


def test_the_quirks_command_lists_every_quirk_with_its_code_and_profiles() -> None:
    result = run_cli("quirks")
    assert result.returncode == 0, result.stderr
    for quirk in QUIRKS:
        block = result.stdout.split(quirk.name + "\n", 1)[1]
        assert block.startswith(
            f"  {quirk.description}\n  code: {quirk.code}\n  modes: {quirk.modes}\n  profiles: letta-oss\n"
        )
    assert "profile letta-oss: letta-ai/letta at commit 56ba9c255" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "letta-cloud"], "--profile letta-cloud: must be one of contract, letta-oss"),
        (["--quirk", "nope"], "--quirk nope: must be quirk names (see `letta-mockserver quirks`), some of"),
        (
            ["--no-quirk", "run-delete-500", "--no-quirk", "x"],
            "--no-quirk run-delete-500,x: must be quirk names",
        ),
    ],
)
def test_unknown_names_on_the_command_line_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    if "quirk" in args[0]:
        assert all(name in result.stderr for name in NAMES)


def test_the_quirk_flags_repeat_and_the_variables_take_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver._running.cli import config_from_args

    for key in [key for key in os.environ if key.startswith("LETTA_MOCK_")]:
        monkeypatch.delenv(key)
    config = config_from_args(
        ["--profile", "letta-oss", "--no-quirk", "run-delete-500", "--no-quirk", "job-cancel-500"]
    )
    assert config.profile == "letta-oss"
    assert config.no_quirks == frozenset({"run-delete-500", "job-cancel-500"})
    monkeypatch.setenv("LETTA_MOCK_PROFILE", "letta-oss")
    monkeypatch.setenv("LETTA_MOCK_QUIRKS", "run-delete-500,job-cancel-500")
    assert config_from_args([]) == Config(
        profile="letta-oss", quirks=frozenset({"run-delete-500", "job-cancel-500"})
    )


def test_unknown_names_in_python_are_a_value_error_listing_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"profile must be one of contract, letta-oss, not 'oss'"):
        MockServer(profile="oss")
    with pytest.raises(
        ValueError, match=re.escape("unknown quirk in quirks 'nope': the quirks are " + ", ".join(NAMES))
    ):
        Config(quirks=frozenset({"nope"}))
    # A marker's list (quirks=[...]) becomes the field's frozenset.
    assert Config(quirks=["run-delete-500"]).quirks == frozenset({"run-delete-500"})  # type: ignore[arg-type]


def test_the_profile_endpoint_says_what_is_in_force_and_switches_until_a_reset() -> None:
    with (
        MockServer(profile="letta-oss", no_quirks={"run-delete-500"}) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        answer = http.get("/_mock/profile").json()
        assert answer["profile"] == "letta-oss"
        assert "56ba9c255" in answer["server"]
        assert answer["quirks"] == {name: name != "run-delete-500" for name in NAMES}

        switched = http.put(
            "/_mock/profile", json={"profile": "contract", "quirks": {"job-cancel-500": True}}
        )
        assert switched.status_code == 200, switched.text
        assert switched.json()["quirks"] == {name: name == "job-cancel-500" for name in NAMES}
        assert http.get("/_mock/profile").json()["profile"] == "contract"

        http.post("/_mock/reset")
        assert http.get("/_mock/profile").json() == answer


def test_unknown_names_on_the_control_api_are_a_422_listing_the_valid_ones() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=10) as http:
        bad_quirk = http.put("/_mock/profile", json={"profile": "letta-oss", "quirks": {"nope": True}})
        assert bad_quirk.status_code == 422
        (item,) = bad_quirk.json()["detail"]
        assert item["loc"] == ["body", "quirks", "nope"]
        assert all(name in item["msg"] for name in NAMES)
        bad_profile = http.put("/_mock/profile", json={"profile": "letta-cloud"})
        assert bad_profile.status_code == 422
        assert bad_profile.json()["detail"][0]["loc"] == ["body", "profile"]
        assert "contract" in str(bad_profile.json())
        assert "letta-oss" in str(bad_profile.json())
        assert http.get("/_mock/profile").json()["profile"] == "contract"


def test_the_served_document_is_the_documented_contract_under_every_profile() -> None:
    with MockServer() as contract, MockServer(profile="letta-oss") as real:
        documents = [
            httpx.get(server.url + "/openapi.json", timeout=10).json() for server in (contract, real)
        ]
    assert documents[0] == documents[1]
    detail = documents[1]["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert detail["type"] == "array"  # the documented list, although letta-oss answers a string


def test_the_python_controls_read_and_switch_the_profile() -> None:
    with MockServer() as server:
        assert server.profile()["quirks"] == dict.fromkeys(NAMES, False)
        switched = server.set_profile("letta-oss", {"naive-timestamps": False})
        assert switched["quirks"] == {name: name != "naive-timestamps" for name in NAMES}
        with pytest.raises(ValueError, match="unknown quirk 'nope': the quirks are naive-timestamps"):
            server.set_profile("letta-oss", {"nope": True})
        with pytest.raises(ValueError, match="unknown profile 'x': the profiles are contract, letta-oss"):
            server.set_profile("x")
        server.reset()
        assert server.profile()["profile"] == "contract"
