"""The pytest plugin, installed: fixtures, marker, settings, reset, teardown failure, light imports."""

from __future__ import annotations

import re

import pytest

from .support import run_inner

SHARED = """
import asyncio

import pytest

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
REQUEST = {"agent_id": AGENT, "messages": [{"role": "user", "content": "Hello there"}]}


@pytest.fixture(params=["letta_mock", "letta_mock_asgi"])
def mock(request):
    # Each test that asks for `mock` runs against the socket server and the in-process app.
    return request.getfixturevalue(request.param)
"""


def test_both_fixtures_drive_the_real_sdk(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixtures=SHARED
        + """


def test_batch_completes_when_the_clock_is_advanced(mock):
    with mock.client() as client:
        created = client.batches.create(requests=[REQUEST])
        assert created.status == "created"
        mock.advance(2)
        assert client.batches.retrieve(created.id).status == "completed"
        roles = [m.role for m in client.batches.messages.list(created.id, order="asc").messages]
        assert roles == ["user", "assistant"]


def test_a_seeded_run_is_listed(mock):
    seeded = mock.seed_run(agent_id=AGENT, status="completed")
    with mock.client() as client:
        runs = client.runs.list().items
    assert [(run.id, run.status) for run in runs] == [(seeded["id"], "completed")]


def test_the_async_client_works_too(mock):
    async def main():
        async with mock.async_client() as client:
            created = await client.batches.create(requests=[REQUEST])
            mock.advance(2)
            return (await client.batches.retrieve(created.id)).status

    assert asyncio.run(main()) == "completed"
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=6)


@pytest.mark.slow
def test_the_marker_changes_the_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker=SHARED
        + """
from mockserver import MockServer


@pytest.mark.letta_mock(mode="stateless")
def test_stateless_mode_lists_seven_generated_batches(letta_mock):
    with letta_mock.client() as client:
        assert len(client.batches.list().items) == 7


@pytest.mark.letta_mock(mode="stateless")
def test_the_in_process_fixture_follows_the_marker_too(letta_mock_asgi):
    with letta_mock_asgi.client() as client:
        assert len(client.batches.list().items) == 7


def _ids(url):
    import httpx

    return [item["id"] for item in httpx.get(url + "/v1/runs/").json()]


@pytest.mark.letta_mock(mode="stateless", seed=3)
def test_seed_gives_that_seeds_data(letta_mock):
    with MockServer(mode="stateless", seed=3) as same, MockServer(mode="stateless", seed=4) as other:
        assert _ids(letta_mock.url) == _ids(same.url)
        assert _ids(letta_mock.url) != _ids(other.url)


@pytest.mark.letta_mock(job_duration=10.0)
def test_job_duration(letta_mock):
    with letta_mock.client() as client:
        created = client.batches.create(requests=[REQUEST])
        letta_mock.advance(9.9)
        assert client.batches.retrieve(created.id).status == "running"
        letta_mock.advance(0.1)
        assert client.batches.retrieve(created.id).status == "completed"


def test_without_a_marker_the_mock_is_stateful_on_the_manual_clock(letta_mock):
    assert letta_mock.clock()["clock"] == "manual"
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=5)


@pytest.mark.slow
def test_letta_mock_settings_from_a_conftest_apply_and_the_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest


@pytest.fixture(scope="session")
def letta_mock_settings():
    return {"job_duration": 30.0}
"""
    )
    pytester.makepyfile(
        test_settings=SHARED
        + """
def _status_after(mock, seconds):
    with mock.client() as client:
        created = client.batches.create(requests=[REQUEST])
        mock.advance(seconds)
        return client.batches.retrieve(created.id).status


def test_the_suite_wide_duration_applies(letta_mock):
    assert _status_after(letta_mock, 29.9) == "running"
    letta_mock.advance(0.1)


def test_the_suite_wide_duration_applies_in_process(letta_mock_asgi):
    assert _status_after(letta_mock_asgi, 29.9) == "running"


@pytest.mark.letta_mock(job_duration=1.0)
def test_a_marker_overrides_the_suite(letta_mock):
    assert _status_after(letta_mock, 1.0) == "completed"
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=3)


@pytest.mark.slow
def test_each_test_starts_from_a_reset_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_isolation=SHARED
        + """
from mockserver import MockResponse

STARTED_AT = {}




def test_1_leaves_things_behind(mock):
    STARTED_AT[type(mock).__name__] = mock.clock()["epoch"]
    with mock.client() as client:
        client.batches.create(requests=[REQUEST])
    mock.seed_run(agent_id=AGENT)
    mock.advance(5)
    mock.add_fault("list_jobs", error={"status": 500})
    mock.add_scenario({"next_batches": 1}, status="failed")
    mock.override("list_runs", lambda request: MockResponse(status=418, body={}))


def test_2_sees_none_of_it(mock):
    with mock.client() as client:
        assert client.batches.list().items == []
        assert client.runs.list().items == []
    assert mock.faults() == []
    assert mock.scenarios() == []
    assert [entry["operation_id"] for entry in mock.requests()] == ["list_batches", "list_runs"]
    assert mock.clock()["epoch"] == STARTED_AT[type(mock).__name__]  # rewound
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=4)


def test_a_contract_violation_fails_the_test_at_teardown_unless_expected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_violations=SHARED
        + """
from letta_client import UnprocessableEntityError

BAD = {"agent_id": "agent-1", "messages": [{"role": "user", "content": "hi"}]}




def _send_bad_request(mock):
    with mock.client(max_retries=0) as client, pytest.raises(UnprocessableEntityError):
        client.batches.create(requests=[BAD])


def test_breaks_the_contract(mock):
    _send_bad_request(mock)


@pytest.mark.letta_mock(expect_violations=True)
def test_breaks_it_on_purpose(mock):
    _send_bad_request(mock)


def test_keeps_to_it(mock):
    with mock.client() as client:
        client.batches.create(requests=[REQUEST])
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=6, errors=2)
    teardown_failure = [
        r"_+ ERROR at teardown of test_breaks_the_contract\[{fixture}\] _+$",
        *(
            r"E\s+" + re.escape(line)
            for line in (
                "mockserver.ContractViolation: 2 request(s) broke the Letta API contract:",
                "1. create_batch (POST /v1/messages/batches): 'agent-1' is too short",
                "Failed validating 'minLength' in schema"
                "['properties']['requests']['items']['properties']['agent_id']",
                "On body['requests'][0]['agent_id']",
                "2. create_batch (POST /v1/messages/batches): 'agent-1' does not match '^agent-",
            )
        ),
    ]
    for fixture in ("letta_mock", "letta_mock_asgi"):
        result.stdout.re_match_lines([line.replace("{fixture}", fixture) for line in teardown_failure])
        result.stdout.fnmatch_lines([f"PASSED test_violations.py::test_breaks_it_on_purpose[[]{fixture}[]]"])


def test_loading_the_plugin_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_imports="""
import sys

HEAVY = {"starlette", "uvicorn", "hypothesis", "mockserver._web.app", "mockserver._running.server"}


def test_a_test_without_the_fixtures(request):
    assert request.config.pluginmanager.has_plugin("letta_mock")
    assert "mockserver.pytest_plugin" in sys.modules
    assert HEAVY & set(sys.modules) == set()


def test_the_fixture_then_imports_the_server(letta_mock):
    assert {"starlette", "uvicorn", "mockserver._running.server"} <= set(sys.modules)
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=2)
