"""The retention limit (``--max-records``): the first finished records go first, never a running one,
and an evicted id answers 404 saying why. Issue 15 item 5; the RSS soak lives in bench/memory.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from letta_client import Letta, NotFoundError

from mockserver import Config, MockServer
from mockserver._simulation.retention import DEFAULT_MAX_RECORDS

from .conftest import AGENT_A, JOB_DURATION, UNKNOWN_JOB, MockApi, ServerFactory, batch_request

BATCHES = "/v1/messages/batches"
LIMIT = 3
EVICTED = f"(evicted by the mock's retention limit, --max-records {LIMIT})"


@pytest.fixture
def small(server_factory: ServerFactory) -> Iterator[MockApi]:
    """A manual-clock server keeping at most three records, emptied just now."""
    server = server_factory(mode="stateful", clock="manual", max_records=LIMIT)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        api = MockApi(http)
        api.reset()
        yield api


def _evicted_count(api: MockApi) -> int:
    return int(api.obj(api.http.get("/_mock/state"))["evicted"])


def _batch_ids(api: MockApi) -> list[str]:
    return api.ids(BATCHES, order="asc")


def _create(api: MockApi, count: int, *, gap: float = 0.1) -> list[str]:
    ids = []
    for _ in range(count):
        ids.append(api.create_batch(batch_request(AGENT_A, "hi"))["id"])
        api.advance(gap)
    return ids


def test_the_first_finished_go_first_and_answer_404_saying_why(small: MockApi) -> None:
    ids = _create(small, 5)
    small.advance(JOB_DURATION)

    assert _batch_ids(small) == ids[2:]
    assert _evicted_count(small) == 2
    for gone in ids[:2]:
        for response in (
            small.http.get(f"{BATCHES}/{gone}"),
            small.http.get(f"{BATCHES}/{gone}/messages"),
            small.http.patch(f"{BATCHES}/{gone}/cancel"),
            small.http.get(f"/v1/jobs/{gone}"),
        ):
            assert response.status_code == 404, response.text
            assert response.json() == {"detail": f"Job not found with id='{gone}' {EVICTED}"}
    # An id that never existed says nothing about eviction.
    assert small.http.get(f"{BATCHES}/{UNKNOWN_JOB}").json() == {
        "detail": f"Job not found with id='{UNKNOWN_JOB}'"
    }
    # The survivors are whole: their messages are there.
    messages = small.obj(small.http.get(f"{BATCHES}/{ids[-1]}/messages"))["messages"]
    assert [m["role"] for m in messages] == ["assistant", "user"]


def test_records_still_running_are_never_evicted(small: MockApi) -> None:
    ids = _create(small, 5, gap=0.03)
    assert [small.batch(i)["status"] for i in ids[:2]] == ["running", "running"]
    assert _batch_ids(small) == ids  # five stored, over the limit, while none has finished
    assert _evicted_count(small) == 0

    run = small.seed_run(agent_id=AGENT_A, duration=60)  # a long run
    small.advance(JOB_DURATION)
    assert small.run(run["id"])["status"] in ("created", "running")
    # The batches finished, the run has not: only batches went, the run stays.
    assert len(_batch_ids(small)) == LIMIT - 1
    assert _batch_ids(small) == ids[-2:]
    assert _evicted_count(small) == 3

    small.advance(60)
    assert small.run(run["id"])["status"] == "completed"
    assert len(_batch_ids(small)) + len(small.ids("/v1/runs/")) == LIMIT


def test_finished_runs_are_evicted_too_and_say_so(small: MockApi) -> None:
    runs = [small.seed_run(agent_id=AGENT_A, status="completed")["id"] for _ in range(4)]
    assert set(small.ids("/v1/runs/")) == set(runs[1:])
    response = small.http.get(f"/v1/runs/{runs[0]}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Run not found with id='{runs[0]}' {EVICTED}"}


def test_a_deleted_record_is_not_counted_as_evicted(small: MockApi) -> None:
    ids = _create(small, LIMIT)
    small.advance(JOB_DURATION)
    assert small.http.delete(f"/v1/jobs/{ids[0]}").status_code == 200
    more = _create(small, 2)
    small.advance(JOB_DURATION)
    assert _evicted_count(small) == 1  # ids[1]; the deleted ids[0] was not evicted again
    assert _batch_ids(small) == [ids[2], *more]


def test_reset_forgets_evictions_and_a_snapshot_keeps_their_count(small: MockApi) -> None:
    _create(small, 5)
    small.advance(JOB_DURATION)
    state = small.obj(small.http.get("/_mock/state"))
    assert state["evicted"] == 2
    small.reset()
    assert _evicted_count(small) == 0
    restored = small.obj(small.http.put("/_mock/state", json=state))
    assert restored == state


def test_zero_keeps_everything(server_factory: ServerFactory) -> None:
    server = server_factory(mode="stateful", clock="manual", max_records=0)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        api = MockApi(http)
        api.reset()
        ids = _create(api, 12)
        api.advance(JOB_DURATION)
        assert _batch_ids(api) == ids
        assert _evicted_count(api) == 0


def test_the_sdk_raises_not_found_for_an_evicted_batch(small: MockApi) -> None:
    ids = _create(small, 4)
    small.advance(JOB_DURATION)
    with Letta(base_url=str(small.http.base_url).rstrip("/"), api_key="unused") as client:
        with pytest.raises(NotFoundError, match="retention limit"):
            client.batches.retrieve(ids[0])
        assert client.batches.retrieve(ids[-1]).status == "completed"


def test_the_setting_from_python_flag_and_variable() -> None:
    assert Config().max_records == DEFAULT_MAX_RECORDS
    assert Config(max_records=0).max_records == 0
    bad: Any
    for bad in (-1, 1.5, "10", True):
        with pytest.raises(ValueError, match=r"max_records must be an integer from 0 to 1000000000, not "):
            Config(max_records=bad)


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["--max-records", "-5"], {}, "--max-records -5: must be an integer from 0 to 1000000000"),
        (["--max-records", "lots"], {}, "--max-records lots: must be an integer from 0 to 1000000000"),
        (
            [],
            {"LETTA_MOCK_MAX_RECORDS": "1e3"},
            "environment LETTA_MOCK_MAX_RECORDS=1e3: must be an integer from 0 to 1000000000",
        ),
    ],
)
def test_bad_values_exit_2_with_one_line(args: list[str], env: dict[str, str], line: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert result.returncode == 2
    assert result.stderr == f"letta-mockserver: {line} (see letta-mockserver serve --help)\n"


def test_the_variable_reaches_a_running_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTA_MOCK_MAX_RECORDS", "1")
    from mockserver._running.cli import config_from_args

    config = config_from_args(["--clock", "manual", "--port", "0"])
    assert config.max_records == 1
    with MockServer(config) as server, httpx.Client(base_url=server.url) as http:
        api = MockApi(http)
        first, second = _create(api, 2)
        api.advance(JOB_DURATION)
        assert _batch_ids(api) == [second]
        body: dict[str, Any] = http.get(f"{BATCHES}/{first}").json()
        assert "--max-records 1)" in body["detail"]
