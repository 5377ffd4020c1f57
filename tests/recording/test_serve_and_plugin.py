"""``serve --record``/``--replay`` from the command line, and the plugin's one file per test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest
from cli.support import clean_env, serving
from plugin.support import run_inner

from mockserver._recording import har

from .support import AGENT

SUITE = f"""
import pytest

AGENT = "{AGENT}"


def test_creates(letta_mock):
    with letta_mock.http_client(headers={{"Authorization": "Bearer sk-inner"}}) as http:
        body = {{"requests": [{{"agent_id": AGENT, "input": "a"}}]}}
        assert http.post("/v1/messages/batches", json=body).status_code == 200


@pytest.mark.parametrize("limit", [1, 2])
def test_lists(letta_mock_asgi, limit):
    with letta_mock_asgi.http_client() as http:
        assert http.get("/v1/runs/", params={{"limit": limit}}).status_code == 200


@pytest.mark.letta_mock(record="elsewhere")
def test_marked(letta_mock):
    with letta_mock.http_client() as http:
        http.get("/v1/jobs/")
"""


def test_the_plugin_writes_one_file_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = run_inner(pytester, "--letta-mock-record=recordings")
    result.assert_outcomes(passed=4)
    files = sorted(p.name for p in (pytester.path / "recordings").iterdir())
    assert files == [
        "test_suite.py__test_creates.har",
        "test_suite.py__test_lists_1_.har",
        "test_suite.py__test_lists_2_.har",
    ]
    created = har.read(pytester.path / "recordings" / files[0])
    assert [(x.method, x.path, x.status) for x in created] == [("POST", "/v1/messages/batches", 200)]
    assert created[0].header("authorization", response=False) == "[redacted]"
    assert [x.query for x in har.read(pytester.path / "recordings" / files[2])] == ["limit=2"]
    (marked,) = (pytester.path / "elsewhere").iterdir()
    assert marked.name == "test_suite.py__test_marked.har"
    assert [x.path for x in har.read(marked)] == ["/v1/jobs/"]


@pytest.mark.slow
def test_without_the_option_the_plugin_records_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE.split("@pytest.mark.letta_mock")[0])
    run_inner(pytester).assert_outcomes(passed=3)
    assert not (pytester.path / "recordings").exists()


def test_serve_records_a_session_file_and_replays_it(tmp_path: Path) -> None:
    body = {"requests": [{"agent_id": AGENT, "input": "from the command line"}]}
    with serving(tmp_path, "serve", "--port", "0", "--record", str(tmp_path / "out"), "--quiet") as served:
        first = httpx.post(f"{served.url}/v1/messages/batches", json=body)
        (recording,) = (tmp_path / "out").glob("letta-mock-*-*.har")
        assert len(orjson.loads(recording.read_bytes())["log"]["entries"]) == 1
    assert served.process.pid == int(recording.stem.rsplit("-", 1)[1])
    with serving(tmp_path, "serve", "--port", "0", "--seed", "3", "--replay", str(recording)) as served:
        again = httpx.post(f"{served.url}/v1/messages/batches", json=body)
        other = httpx.post(
            f"{served.url}/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "x"}]}
        )
    assert again.content == first.content
    assert other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.har", b'{"log": {"entries": [{"request": {}}]}}', "log.entries[0]: 'response' is missing"),
        pytest.param("empty.har", b"", "not JSON: ", marks=pytest.mark.slow),
        pytest.param(
            "tape.yaml",
            b"interactions: 3",
            "not a VCR.py cassette: it has no interactions list",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_a_bad_recording_stops_serve_with_one_line_naming_it(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--replay", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"letta-mockserver: cannot start: replay file {str(path)!r}: {problem}")


@pytest.mark.slow
def test_a_missing_recording_and_a_file_to_record_into_are_refused_as_flags(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    for flag, value, rule in [
        ("--replay", tmp_path / "missing.har", "must be an existing file or directory"),
        ("--record", tmp_path / "a-file", "must be a directory (created if missing), not a file"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "mockserver", "serve", flag, str(value)],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
        assert result.returncode == 2
        assert f"{flag} {value}: {rule}" in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_a_file_as_the_record_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite="def test_nothing():\n    pass\n")
    (pytester.path / "taken").write_text("")
    result = run_inner(pytester, "--letta-mock-record=taken")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--letta-mock-record taken: must be a directory (created if missing), not a file*"]
    )
