"""The plugin under pytest-xdist: each worker is its own session, with its own mocks."""

from __future__ import annotations

import json

import pytest

from .support import run_inner

MODULE = """
import json
import time

import pytest

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
REQUEST = {"agent_id": AGENT, "messages": [{"role": "user", "content": "Hello there"}]}
OWN = {"gw0": 2, "gw1": 3}
\"\"\"Batches each worker creates: the mocks are seeded alike, so counts tell them apart, not ids.\"\"\"


def _meet(folder, kind, worker_id):
    # Each worker waits for the other to have created its records: both mocks are full at once.
    deadline = time.monotonic() + 60
    while len(list(folder.glob(f"{kind}-gw*.json"))) < len(OWN):
        assert time.monotonic() < deadline, f"{worker_id}: the other worker never came"
        time.sleep(0.02)


@pytest.fixture(params=["letta_mock", "letta_mock_asgi"])
def mock(request):
    return request.getfixturevalue(request.param)


def test_each_worker_sees_only_its_own_records(mock, worker_id, request):
    folder = request.config.rootpath / "met"
    folder.mkdir(exist_ok=True)
    kind = type(mock).__name__
    with mock.client() as client:
        mine = [client.batches.create(requests=[REQUEST]).id for _ in range(OWN[worker_id])]
        run = mock.seed_run(agent_id=AGENT, status="running")["id"]
        record = {"url": mock.url, "batches": len(mine)}
        (folder / f"{kind}-{worker_id}.json").write_text(json.dumps(record))
        _meet(folder, kind, worker_id)
        assert sorted(batch.id for batch in client.batches.list().items) == sorted(mine)
        assert [one.id for one in client.runs.list().items] == [run]
        mock.advance(5)
        assert {batch.status for batch in client.batches.list().items} == {"completed"}
    assert len(mock.requests(operation="create_batch")) == OWN[worker_id]


def test_a_failure_on_a_worker_shows_its_traffic(letta_mock, worker_id):
    with letta_mock.client() as client:
        client.runs.list()
    assert False, f"failed on {worker_id}"
"""


@pytest.mark.slow  # two workers, each starting its own interpreter and mocks
def test_each_xdist_worker_runs_its_own_mocks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_workers=MODULE)

    result = run_inner(pytester, "-n", "2", "--dist", "each", allow=("xdist",))

    result.assert_outcomes(passed=4, failed=2)
    met = {path.stem: json.loads(path.read_text()) for path in (pytester.path / "met").glob("*.json")}
    assert sorted(met) == [f"{kind}-gw{n}" for kind in ("InProcessMock", "MockServer") for n in (0, 1)]
    assert met["MockServer-gw0"]["url"] != met["MockServer-gw1"]["url"]  # two sockets, one per worker
    # The traffic section travels from the worker to the report like any captured output.
    for worker in ("gw0", "gw1"):
        result.stdout.re_match_lines(
            [
                rf"E\s+AssertionError: failed on {worker}",
                r"-+ letta_mock traffic -+",
                r"1 request to http://127\.0\.0\.1:\d+, 0 contract violations, 0 callback attempts",
                r"  GET    /v1/runs/  200 +\d+\.\d ms  list_runs",
            ]
        )


def test_a_fixed_port_is_refused_with_a_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_port="""
import pytest


@pytest.mark.letta_mock(port=8283)
def test_on_a_fixed_port(letta_mock):
    pass
"""
    )

    result = run_inner(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   * ValueError: letta_mock settings: port=8283 is not allowed:"
            " each session (each pytest-xdist worker) starts its mocks on a free port*"
        ]
    )
