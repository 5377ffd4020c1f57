"""The fixtures' guards: clean shutdown, strict SDK clients, the per-test watchdog, app-owned clients."""

from __future__ import annotations

import threading
import time

import pytest

from .support import receiver_source, run_inner

RECEIVER = receiver_source(200)


def test_the_in_process_mock_ends_its_callback_workers_and_ticker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_shutdown=RECEIVER
        + """

def test_a_callback_is_delivered(letta_mock_asgi, hook_url):
    with letta_mock_asgi.client() as client:
        created = client.batches.create(requests=[REQUEST], callback_url=hook_url)
    letta_mock_asgi.advance(5)
    [attempt] = letta_mock_asgi.wait_for_callbacks(1)
    assert (attempt["id"], attempt["status_code"]) == (created.id, 200)


@pytest.mark.letta_mock(clock="system", job_duration=0.05)
def test_on_the_system_clock_the_ticker_runs_too(letta_mock_asgi, hook_url):
    with letta_mock_asgi.client() as client:
        created = client.batches.create(requests=[REQUEST], callback_url=hook_url)
    letta_mock_asgi.wait_for(created.id, "completed")
    letta_mock_asgi.wait_for_callbacks(1)


def test_a_callback_still_queued_at_the_end_is_settled_not_leaked(letta_mock_asgi, hook_url):
    with letta_mock_asgi.client() as client:
        client.batches.create(requests=[REQUEST], callback_url=hook_url)
    letta_mock_asgi.advance(5)
"""
    )

    result = run_inner(pytester, "-W", "error")

    result.assert_outcomes(passed=3)
    assert result.ret == 0
    output = result.stdout.str() + result.stderr.str()
    for leak in ("Task was destroyed", "Event loop is closed", "was never awaited", "Unraisable"):
        assert leak not in output, output


def test_a_closed_in_process_mock_refuses_requests_and_closes_once() -> None:
    from mockserver._running.inprocess import InProcessMock

    with InProcessMock(mode="stateful", clock="manual") as mock:
        assert mock.clock()["clock"] == "manual"
        client = mock.http_client()
    mock.close()  # a second close is harmless

    with pytest.raises(RuntimeError, match="the in-process mock is closed"):
        client.get("/v1/runs/")


def test_sdk_clients_validate_answers_strictly_unless_told_not_to(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_strict="""
import asyncio

import pytest


@pytest.fixture(params=["letta_mock", "letta_mock_asgi"])
def mock(request):
    return request.getfixturevalue(request.param)


def test_strict_by_default(mock):
    with mock.client() as client:
        assert client._strict_response_validation is True
        assert client.max_retries == 2
        assert client.timeout == 10.0
        assert client.runs.list().items == []

    async def main():
        async with mock.async_client() as client:
            assert client._strict_response_validation is True
            return (await client.runs.list()).items

    assert asyncio.run(main()) == []


def test_the_caller_can_turn_it_off(mock):
    with mock.client(_strict_response_validation=False, max_retries=0, timeout=3) as client:
        assert (client._strict_response_validation, client.max_retries, client.timeout) == (False, 0, 3)
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=4)


HANGS = """
import threading

import pytest
from letta_client import Letta  # imported here, not while the watchdog runs


@pytest.fixture(params=["letta_mock", "letta_mock_asgi"])
def mock(request):
    return request.getfixturevalue(request.param)


@pytest.mark.letta_mock(timeout=3)
def test_pages_forever(mock):
    with mock.client() as client:
        while True:
            client.runs.list()


@pytest.mark.letta_mock(timeout=3)
def test_blocks_forever(letta_mock_asgi):
    letta_mock_asgi.clock()  # a control request: not journaled
    with letta_mock_asgi.client() as client:
        client.batches.list()
    threading.Event().wait()
"""


@pytest.mark.slow  # waits out a real per-test limit in an inner session
def test_a_hanging_test_fails_with_a_message_naming_the_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hangs=HANGS)

    result = run_inner(pytester)

    result.assert_outcomes(failed=3)
    for fixture, url in (
        ("letta_mock", "http://127.0.0.1:*"),
        ("letta_mock_asgi", "http://letta-mock.local"),
    ):
        result.stdout.fnmatch_lines(
            [
                f"E * test_hangs.py::test_pages_forever[[]{fixture}[]] did not finish within 3 s"
                f" (letta_mock_timeout), using the letta-mockserver {fixture} at {url}; it answered *"
                " request(s) in this test, the last GET /v1/runs/ (list_runs) with 200. Usual causes: *"
            ]
        )
    result.stdout.fnmatch_lines(
        [
            "E * test_hangs.py::test_blocks_forever did not finish within 3 s (letta_mock_timeout), using the"
            " letta-mockserver letta_mock_asgi at http://letta-mock.local; it answered 1 request(s) in this"
            " test, the last GET /v1/messages/batches (list_batches) with 200. *"
        ]
    )


@pytest.mark.slow  # waits out a real per-test limit in an inner session
def test_the_ini_option_sets_the_limit_and_zero_turns_it_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_limits="""
import time

import pytest


def test_over_the_ini_limit(letta_mock):
    time.sleep(3)


@pytest.mark.letta_mock(timeout=0)
def test_without_a_limit(letta_mock):
    time.sleep(1.5)


def test_without_the_fixture_there_is_no_limit():
    time.sleep(1.5)
"""
    )

    result = run_inner(pytester, "-o", "letta_mock_timeout=1")

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["E *::test_over_the_ini_limit did not finish within 1 s (letta_mock_timeout)*"]
    )


def test_a_bad_limit_is_refused_with_its_value(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
import pytest


@pytest.mark.letta_mock(timeout=-1)
def test_negative(letta_mock):
    pass
"""
    )

    by_ini = run_inner(pytester, "-o", "letta_mock_timeout=soon")
    by_marker = run_inner(pytester)

    assert by_ini.ret == pytest.ExitCode.USAGE_ERROR
    by_ini.stderr.fnmatch_lines(
        ["*the letta_mock_timeout ini option must be a number of seconds >= 0 (0: no limit), not 'soon'"]
    )
    by_marker.assert_outcomes(errors=1)
    by_marker.stdout.fnmatch_lines(
        ["E * @pytest.mark.letta_mock(timeout=...) must be a number of seconds >= 0 (0: no limit), not -1"]
    )


@pytest.mark.slow
def test_a_sooner_pytest_timeout_alarm_wins_and_a_later_one_is_put_back(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_together="""
import time

import pytest


@pytest.mark.timeout(5)
@pytest.mark.letta_mock(timeout=30)
def test_pytest_timeout_is_sooner(letta_mock):
    time.sleep(30)


@pytest.fixture
def slow_teardown():
    yield
    time.sleep(30)


@pytest.mark.timeout(8)
@pytest.mark.letta_mock(timeout=6)
def test_its_alarm_still_rings_after_ours_stopped(slow_teardown, letta_mock):
    pass
"""
    )

    result = run_inner(pytester, "-p", "timeout", "--timeout-method=signal", isolated=False)

    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout (>5.0s) from pytest-timeout.*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_its_alarm_still_rings_after_ours_stopped*"])
    result.stdout.fnmatch_lines(["*Failed: Timeout (>8.0s) from pytest-timeout.*"])
    result.stdout.no_fnmatch_line("*did not finish within*")


def test_an_apps_own_client_reaches_either_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_injection="""
import asyncio

import pytest
from letta_client import AsyncLetta, Letta


class App:
    # An app that builds its own SDK client from settings, as most do.
    def __init__(self, base_url, http_client=None):
        self.letta = Letta(base_url=base_url, api_key="app-key", http_client=http_client)

    def active_runs(self):
        return [run.id for run in self.letta.runs.list(active=True).items]


@pytest.fixture(params=["letta_mock", "letta_mock_asgi"])
def mock(request):
    return request.getfixturevalue(request.param)


def test_sync(mock):
    seeded = mock.seed_run(agent_id="agent-1", status="running")
    app = App(mock.url, http_client=mock.http_client())
    assert app.active_runs() == [seeded["id"]]
    app.letta.close()
    assert mock.clock()["clock"] == "manual"  # closing the app's client left the mock serving


def test_async_and_a_bare_transport(mock):
    import httpx

    async def main():
        async with AsyncLetta(base_url=mock.url, api_key="k", http_client=mock.async_http_client()) as sdk:
            return [run.id for run in (await sdk.runs.list()).items]

    seeded = mock.seed_run(agent_id="agent-1")
    assert asyncio.run(main()) == [seeded["id"]]
    with httpx.Client(transport=mock.transport, base_url=mock.url) as plain:
        assert plain.get("/v1/runs/").json()[0]["id"] == seeded["id"]
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(passed=4)


def test_off_the_main_thread_the_watchdog_raises_in_the_test_thread() -> None:
    from mockserver.pytest_plugin import _Watchdog

    outcome: list[BaseException] = []

    def hanging_test() -> None:
        watchdog = _Watchdog(0.2, lambda: "the mock at http://letta-mock.local hung")
        try:
            while True:
                time.sleep(0.01)
        except BaseException as exc:  # Failed is an outcome exception, not an Exception
            outcome.append(exc)
        finally:
            watchdog.stop()

    worker = threading.Thread(target=hanging_test)
    worker.start()
    worker.join(30)

    [failure] = outcome
    assert isinstance(failure, pytest.fail.Exception)
    assert str(failure) == "the mock at http://letta-mock.local hung"


def test_a_stopped_thread_watchdog_never_rings() -> None:
    from mockserver.pytest_plugin import _Watchdog

    finished = threading.Event()

    def quick_test() -> None:
        _Watchdog(0.1, lambda: "rang").stop()
        time.sleep(0.3)  # past the limit: nothing may be raised here
        finished.set()

    worker = threading.Thread(target=quick_test)
    worker.start()
    worker.join(30)

    assert finished.is_set()
