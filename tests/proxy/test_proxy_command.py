"""``letta-mockserver proxy``: its flags, its errors, the upstream key, and the report on exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cli.support import clean_env, serving

from mockserver import MockServer
from proxy.support import BrokenUpstream, proxy_to

SECRET = "sk-client-key-0123"
UPSTREAM_KEY = "sk-upstream-key-4567"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**env),
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "letta-mockserver: proxy needs --upstream URL (or LETTA_MOCK_UPSTREAM)"),
        (
            ["--upstream", "ftp://x"],
            {},
            "letta-mockserver: --upstream ftp://x: must be an http:// or https:// URL with a host",
        ),
        (
            [],
            {"LETTA_MOCK_UPSTREAM": "nowhere"},
            "letta-mockserver: environment LETTA_MOCK_UPSTREAM=nowhere: must be an http://",
        ),
        (
            ["--upstream", "http://x", "--upstream-timeout", "0"],
            {},
            "letta-mockserver: --upstream-timeout 0: must be a number",
        ),
    ],
)
def test_bad_proxy_settings_are_one_line_and_exit_2(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = run("proxy", *args, **env)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.endswith("(see letta-mockserver proxy --help)\n")


def test_serve_knows_no_upstream() -> None:
    result = run("serve", "--upstream", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "unrecognized arguments: --upstream" in result.stderr


def test_proxy_help_lists_the_proxy_flags() -> None:
    result = run("proxy", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for flag in (
        "--upstream URL",
        "--upstream-api-key KEY",
        "--upstream-timeout SECONDS",
        "--report-on-exit",
    ):
        assert flag in text
    assert "--port PORT" in text
    assert "--job-duration" not in text  # nothing is simulated


def test_the_upstream_key_replaces_the_clients_authorization() -> None:
    with BrokenUpstream() as upstream, proxy_to(upstream.url, upstream_api_key=UPSTREAM_KEY) as proxy:
        httpx.get(
            f"{proxy.url}/v1/runs/", headers={"Authorization": f"Bearer {SECRET}", "Connection": "close"}
        )
        assert upstream.headers[-1]["authorization"] == f"Bearer {UPSTREAM_KEY}"
        journal = httpx.get(f"{proxy.url}/_mock/requests").text
    assert SECRET not in journal
    assert UPSTREAM_KEY not in journal


def test_the_proxys_own_api_key_guards_it() -> None:
    with BrokenUpstream() as upstream, proxy_to(upstream.url, api_key="proxy-key") as proxy:
        assert httpx.get(f"{proxy.url}/v1/runs/").status_code == 401
        assert upstream.requests == []


def test_the_proxy_prints_only_the_urls_it_serves(tmp_path: Path) -> None:
    with serving(tmp_path, "proxy", "--upstream", "http://127.0.0.1:9", "--port", "0") as served:
        pass
    lines = served.stdout.splitlines()
    assert (
        lines[0]
        == f"letta-mockserver listening on {served.url} (proxy to http://127.0.0.1:9, validation=strict)"
    )
    assert lines[1] == f"  API:      {served.url}/v1/"
    assert not any("/_mock/ui" in line or "openapi.json" in line for line in lines)
    assert any(line.startswith("  Report:   ") for line in lines)


def test_report_on_exit_prints_violations_deviations_and_quirks(tmp_path: Path) -> None:
    with MockServer(profile="letta-oss", quiet=True) as upstream:
        upstream_url = upstream.url
        with serving(
            tmp_path, "proxy", "--upstream", upstream.url, "--port", "0", "--quiet", "--report-on-exit"
        ) as served:
            assert served.url.startswith("http://127.0.0.1:")
            answer = httpx.post(f"{served.url}/v1/messages/batches", json={"requests": "no"}, timeout=60)
            assert answer.status_code == 422
        out = served.stdout
    first, *_ = out.splitlines()
    assert first == f"letta-mockserver listening on {served.url} (proxy to {upstream_url}, validation=strict)"
    assert f"letta-mockserver proxy report (upstream {upstream_url}): 1 requests to 1 operations" in out
    assert "client violations: 1" in out
    assert "On body['requests']" in out
    assert "server deviations: 1" in out
    assert "answered 422 by the upstream" in out
    assert "quirks seen: 1" in out
    assert "  validation-detail-string: #1 POST /v1/messages/batches: a 422 whose detail is a string" in out
