"""A failing test shows its traffic: the section the plugin adds to the report of a failing test."""

from __future__ import annotations

import re

import pytest

from mockserver._running.inprocess import BASE_URL

from .support import receiver_source, run_inner

MODULE = (
    receiver_source(202)
    + """
import time

from letta_client import UnprocessableEntityError

BAD = {"agent_id": "agent-1", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(params=["letta_mock", "letta_mock_asgi"])
def mock(request):
    return request.getfixturevalue(request.param)


def _send_bad_request(client):
    with pytest.raises(UnprocessableEntityError):
        client.batches.create(requests=[BAD])


def test_1_passes(mock):
    # Its requests go to the same session-wide mock as the next test's: none may show there.
    with mock.client() as client:
        assert client.runs.list().items == []


@pytest.mark.letta_mock(expect_violations=True)
def test_2_fails(mock, hook_url):
    with mock.client(max_retries=0) as client:
        created = client.batches.create(requests=[REQUEST], callback_url=hook_url)
        _send_bad_request(client)
        mock.advance(5)
        assert client.batches.retrieve(created.id).status == "completed"
    assert mock.callbacks()[0]["status_code"] == 202
    assert False, "the app got it wrong"


def test_3_breaks_the_contract_and_nothing_else(mock):
    with mock.client(max_retries=0) as client:
        _send_bad_request(client)


def test_4_fails_and_breaks_the_contract(mock):
    with mock.client(max_retries=0) as client:
        _send_bad_request(client)
    assert False, "failed before its teardown"


@pytest.fixture
def broken(mock):
    with mock.client() as client:
        client.batches.retrieve("job-00000000-0000-4000-8000-000000000000")
    raise RuntimeError("the fixture broke")


def test_6_a_fixture_fails_in_setup(broken):
    pass


# Long enough for its one request on a loaded machine; the watchdog stops the sleep, not the request.
@pytest.mark.letta_mock(timeout=3)
def test_5_hangs(mock):
    with mock.client() as client:
        client.batches.list()
    time.sleep(30)
"""
)

VIOLATIONS = [
    r"         ! contract violation at /body/requests/0/agent_id: String should have at least 42 characters",
    r"         ! contract violation at /body/requests/0/agent_id: String should match pattern '\^agent-.*",
]


def sections(output: str) -> dict[str, str]:
    """Each traffic section of a pytest output, keyed by the heading it sits under and its title:
    ``"test_2_fails[letta_mock] / letta_mock traffic"`` or ``"ERROR at teardown of ... / ..."``."""
    found: dict[str, str] = {}
    heading, title = "", None
    lines: list[str] = []
    for line in [*output.splitlines(), "=" * 10]:
        under_heading = re.fullmatch(r"_+ (.+?) _+", line)
        separator = re.fullmatch(r"-{3,} (.+?) -{3,}", line)
        if title is not None and (under_heading or separator or line.startswith("=" * 10)):
            found[f"{heading} / {title}"] = "\n".join(lines)
            title = None
        if under_heading:
            heading = under_heading.group(1)
        elif separator and separator.group(1).endswith(" traffic"):
            title, lines = separator.group(1), []
        elif title is not None:
            lines.append(line)
    return found


def assert_lines(text: str, patterns: list[str]) -> None:
    lines = text.splitlines()
    assert len(lines) == len(patterns), text
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r} in\n{text}"


def _url(fixture: str) -> str:
    return r"http://127\.0\.0\.1:\d+" if fixture == "letta_mock" else re.escape(BASE_URL)


HOOK = r"http://127\.0\.0\.1:\d+/hook"
JOB = "job-[0-9a-f-]{36}"
GOOD_BODY = (
    r'         body: \{"requests":\[\{"agent_id":"agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3",'
    rf'"messages":\[\{{"role":"user","content":"Hello there"\}}\]\}}\],"callback_url":"{HOOK}"\}}'
)
BAD_BODY = (
    r'         body: \{"requests":\[\{"agent_id":"agent-1",'
    r'"messages":\[\{"role":"user","content":"hi"\}\]\}\]\}'
)
PAYLOAD = rf'         payload: \{{"job_id":"{JOB}","status":"completed","completed_at":"[^"]+",.*\}}'


CREATED = rf'         answer: \{{(?=.*"id":"{JOB}")(?=.*"status":"created").*\}}'
REFUSED = r'         answer: \{"detail":\[\{"loc":\["body","requests",0,"agent_id"\],.*\]\}'
COMPLETED = rf'         answer: \{{(?=.*"id":"{JOB}")(?=.*"status":"completed").*\}}'


def _expected_failure(fixture: str, *, full: bool = False) -> list[str]:
    """test_2_fails's section: a valid batch with a callback, an invalid one, a read; the callback."""
    return [
        rf"3 requests to {_url(fixture)}, 2 contract violations, 1 callback attempt",
        r"  POST   /v1/messages/batches +200 +\d+\.\d ms  create_batch",
        *([GOOD_BODY, CREATED] if full else []),
        r"  POST   /v1/messages/batches +422 +\d+\.\d ms  create_batch",
        *VIOLATIONS,
        *([BAD_BODY, REFUSED] if full else []),
        rf"  GET    /v1/messages/batches/{JOB}  200 +\d+\.\d ms  retrieve_batch",
        *([COMPLETED] if full else []),
        r"callbacks:",
        rf"  batch {JOB} completed -> POST {HOOK}  202 \d+\.\d ms",
        *([PAYLOAD] if full else []),
    ]


def test_a_failing_test_shows_its_own_traffic_and_a_passing_one_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=MODULE)

    result = run_inner(pytester)

    result.assert_outcomes(passed=4, failed=6, errors=6)
    found = sections(result.stdout.str())
    for fixture in ("letta_mock", "letta_mock_asgi"):
        title = f"{fixture} traffic"
        assert_lines(found.pop(f"test_2_fails[{fixture}] / {title}"), _expected_failure(fixture))
        # Failing only at teardown (the contract), the section comes with that error.
        test_3 = f"ERROR at teardown of test_3_breaks_the_contract_and_nothing_else[{fixture}] / {title}"
        assert_lines(
            found.pop(test_3),
            [
                rf"1 request to {_url(fixture)}, 2 contract violations, 0 callback attempts",
                r"  POST   /v1/messages/batches  422 +\d+\.\d ms  create_batch",
                *VIOLATIONS,
            ],
        )
        # Failing in the test, then at teardown: the section once, with the test's own failure.
        test_4 = found.pop(f"test_4_fails_and_breaks_the_contract[{fixture}] / {title}")
        assert re.match(rf"1 request to {_url(fixture)}, 2 contract violations", test_4), test_4
        # A test the watchdog stopped: its journal is read directly, not through the mock's loop.
        assert_lines(
            found.pop(f"test_5_hangs[{fixture}] / {title}"),
            [
                rf"1 request to {_url(fixture)}, 0 contract violations, 0 callback attempts",
                r"  GET    /v1/messages/batches  200 +\d+\.\d ms  list_batches",
            ],
        )
        assert_lines(
            found.pop(f"ERROR at setup of test_6_a_fixture_fails_in_setup[{fixture}] / {title}"),
            [
                rf"1 request to {_url(fixture)}, 0 contract violations, 0 callback attempts",
                r"  GET    /v1/messages/batches/job-0{8}-0{4}-4000-8000-0{12}  404 +\d+\.\d ms"
                r"  retrieve_batch",
            ],
        )
    assert found == {}, "a passing test, or a teardown after a failure already shown, has a section"
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_4_fails_and_breaks_the_contract[[]letta_mock[]]*"]
    )
    assert "list_runs" not in result.stdout.str()  # test_1's request, to the same session-wide mocks


@pytest.mark.slow  # two more inner sessions
def test_full_adds_the_bodies_and_off_leaves_the_section_out(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=MODULE)

    full = run_inner(pytester, "--letta-mock-report=full", "-k", "test_2")

    full.assert_outcomes(failed=2)
    found = sections(full.stdout.str())
    for fixture in ("letta_mock", "letta_mock_asgi"):
        text = found.pop(f"test_2_fails[{fixture}] / {fixture} traffic")
        assert_lines(text, _expected_failure(fixture, full=True))
        assert "Bearer" not in text  # headers carry the API key: never shown
    assert found == {}

    off = run_inner(pytester, "--letta-mock-report=off", "-k", "test_2")

    off.assert_outcomes(failed=2)
    assert sections(off.stdout.str()) == {}
    off.stdout.fnmatch_lines(["*AssertionError: the app got it wrong"])
