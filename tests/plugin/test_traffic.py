"""The traffic section's bounds, on a real in-process mock: long tests, a full journal, long bodies."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from mockserver._running.inprocess import BASE_URL, InProcessMock
from mockserver._running.traffic import BODY_SHOWN, SHOWN, read, render

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
HEADERS = {"Authorization": "Bearer letta-mock", "Content-Type": "application/json"}
BAD = b'{"requests": [{"agent_id": "agent-1", "messages": [{"role": "user", "content": "hi"}]}]}'
GET = r"  GET    /v1/runs/ +200 +\d+\.\d ms  list_runs"


@pytest.fixture
def mock() -> Iterator[InProcessMock]:
    with InProcessMock(journal_size=150) as mock:
        yield mock


def _lines(mock: InProcessMock, since: int, *, full: bool = False) -> list[str]:
    return render(read(mock._parts(), since), BASE_URL, full=full).splitlines()


def test_a_long_test_lists_its_last_requests_and_every_violation(mock: InProcessMock) -> None:
    since = mock.reset()
    with mock.http_client(headers=HEADERS) as http:
        assert http.post("/v1/messages/batches", content=BAD).status_code == 422
        for _ in range(SHOWN + 20):
            assert http.get("/v1/runs/").status_code == 200

    first, bad, violation_1, violation_2, gap, *gets = _lines(mock, since)

    assert first == f"{SHOWN + 21} requests to {BASE_URL}, 2 contract violations, 0 callback attempts"
    assert re.fullmatch(r"  POST   /v1/messages/batches  422 +\d+\.\d ms  create_batch", bad)
    for violation in (violation_1, violation_2):
        assert violation.startswith("         ! contract violation at /body/requests/0/agent_id: ")
    assert gap == "  … 20 requests not shown …"
    assert len(gets) == SHOWN
    assert all(re.fullmatch(GET, line) for line in gets), gets


def test_requests_no_longer_journaled_are_counted(mock: InProcessMock) -> None:
    since = mock.reset()
    with mock.http_client(headers=HEADERS) as http:
        for _ in range(160):  # the journal keeps 150
            http.get("/v1/runs/")

    first, note, *rest = _lines(mock, since)

    assert first == f"160 requests to {BASE_URL}, 0 contract violations, 0 callback attempts"
    assert note == "  (10 earlier requests no longer journaled: reset() in the test, or past journal_size)"
    assert len(rest) == SHOWN + 1  # the gap, then the last SHOWN
    assert rest[0] == f"  … {150 - SHOWN} requests not shown …"


def test_full_cuts_a_long_body_and_keeps_it_on_one_line(mock: InProcessMock) -> None:
    since = mock.reset()
    content = "x" * (2 * BODY_SHOWN)
    requests = f'[{{"agent_id": "{AGENT}", "messages": [{{"role": "user", "content": "{content}"}}]}}]'
    body = '{\n"requests": ' + requests + "}"
    with mock.http_client(headers=HEADERS) as http:
        assert http.post("/v1/messages/batches", content=body).status_code == 200

    _first, _post, shown, answer = _lines(mock, since, full=True)

    assert shown.startswith('         body: {\\n"requests": [{"agent_id": ')
    assert shown.endswith(f"… ({len(body) - BODY_SHOWN} more characters)")
    assert len(shown) < BODY_SHOWN + 60
    assert answer.startswith("         answer: {")
    assert '"status":"created"' in answer


def test_full_shows_an_answer_up_to_what_the_journal_keeps(mock: InProcessMock) -> None:
    since = mock.reset()
    for _ in range(40):
        mock.seed_run(agent_id=AGENT)
    with mock.http_client(headers=HEADERS) as http:
        assert len(http.get("/v1/runs/").content) > 4096

    _first, _get, answer = _lines(mock, since, full=True)

    assert answer.startswith("         answer: [{")
    assert answer.endswith(f"… ({4096 - BODY_SHOWN + 1} more characters)")


def test_a_path_with_a_newline_stays_on_its_line(mock: InProcessMock) -> None:
    since = mock.reset()
    with mock.http_client(headers=HEADERS) as http:
        assert http.get("/v1/runs/run-%0Aforged").status_code >= 400

    _first, line, *_violations = _lines(mock, since)

    assert line.startswith("  GET    /v1/runs/run-\\nforged  ")


def test_injected_faults_are_named_on_their_lines(mock: InProcessMock) -> None:
    since = mock.reset()
    mock.add_fault("list_runs", error=503, times=1)
    mock.add_fault("list_batches", drop=True, times=1)
    with mock.http_client(headers=HEADERS) as http:
        assert http.get("/v1/runs/").status_code == 503
        with pytest.raises(ConnectionAbortedError):  # the in-process transport raises what a socket shows
            http.get("/v1/messages/batches")

    _first, failed, dropped = _lines(mock, since)

    assert re.fullmatch(
        r"  GET    /v1/runs/ +503 +\d+\.\d ms \(injected fault: error 503\)  list_runs", failed
    )
    assert re.fullmatch(r"  GET    /v1/messages/batches +dropped \(injected fault\)  list_batches", dropped)


def test_a_failed_callback_shows_its_error_once_and_each_attempt() -> None:
    with InProcessMock(clock="manual", callback_retries=1) as mock, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: each attempt is refused at once
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
        since = mock.reset()
        with mock.http_client(headers=HEADERS) as http:
            body = {"requests": [{"agent_id": AGENT, "input": "hi"}], "callback_url": url}
            made = http.post("/v1/messages/batches", json=body).json()
        mock.advance(10)  # returns once both attempts have failed

        first, _post, heading, *attempts = _lines(mock, since)

    assert first == f"1 request to {BASE_URL}, 0 contract violations, 2 callback attempts"
    assert heading == "callbacks:"
    expected = rf"  batch {made['id']} completed -> POST {re.escape(url)}  error: \S.*"
    assert re.fullmatch(expected, attempts[0]), attempts
    assert re.fullmatch(expected + r" \(attempt 2\)", attempts[1]), attempts
    # The journal's message names the record and the URL; the line says them once.
    assert all(line.count(url) == 1 and "Failed to dispatch" not in line for line in attempts), attempts
