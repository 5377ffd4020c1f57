"""Stateless answers are generated once and kept: the memo must never change a byte.

The same seed gives byte-identical answers whether the answer was generated or remembered, in
one process and across a restart (a new process, another hash seed); another seed gives other
data; a cancel does not leak into the answers kept for later; and the memo stays bounded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockserver._answers import stateless

from .support import Call, answer, app_answers, backend

BATCH_ID = "job-00000000-0000-4000-8000-00000000000b"
RUN_ID = "run-00000000-0000-4000-8000-00000000000c"
AGENT_ID = "agent-00000000-0000-4000-8000-000000000001"
# Every list and retrieve, plain and with the filters a collection depends on; then pages of them.
TARGETS = [
    "/v1/messages/batches?limit=3",
    "/v1/messages/batches?limit=3&order=asc",
    f"/v1/messages/batches/{BATCH_ID}",
    f"/v1/messages/batches/{BATCH_ID}/messages?agent_id={AGENT_ID}",
    f"/v1/messages/batches/{BATCH_ID}/messages",
    "/v1/runs/",
    "/v1/runs/?statuses=failed&statuses=cancelled&limit=4",
    f"/v1/runs/?agent_id={AGENT_ID}&background=true",
    "/v1/runs/?stop_reason=end_turn",
    "/v1/runs/?active=true",
    "/v1/runs/active",
    f"/v1/runs/{RUN_ID}",
    f"/v1/runs/{RUN_ID}/messages",
    f"/v1/runs/{RUN_ID}/usage",
    f"/v1/runs/{RUN_ID}/metrics",
    f"/v1/runs/{RUN_ID}/steps",
    f"/v1/runs/{RUN_ID}/trace?limit=2",
    "/v1/jobs/?source_id=source-1",
    "/v1/jobs/active",
    f"/v1/jobs/{BATCH_ID}",
]


def _answers(url: str) -> list[bytes]:
    with httpx.Client(base_url=url, timeout=30) as client:
        found = []
        for target in TARGETS:
            response = client.get(target)
            assert response.status_code == 200, (target, response.text)
            found.append(response.content)
        stream = client.post(f"/v1/runs/{RUN_ID}/stream", json={})
        assert stream.status_code == 200
        return [*found, stream.content]


@contextmanager
def _serving(tmp_path: Path, *args: str, hash_seed: str) -> Iterator[str]:
    out = tmp_path / f"server-{hash_seed}.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTA_MOCK_")}
    env["PYTHONHASHSEED"] = hash_seed
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--quiet", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        end = time.monotonic() + 30
        while not (match := re.search(r"listening on (http://\S+)", out.read_text())):
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < end, out.read_text()
            time.sleep(0.02)
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(15)


@pytest.mark.parametrize("validation", ["strict", "lenient"])
def test_the_same_seed_gives_the_same_bytes_across_a_restart(tmp_path: Path, validation: str) -> None:
    args = ("--mode", "stateless", "--seed", "7", "--validation", validation)
    with _serving(tmp_path, *args, hash_seed="1") as url:
        first = _answers(url)
        again = _answers(url)  # remembered now
    with _serving(tmp_path, *args, hash_seed="2") as url:
        restarted = _answers(url)
    other_seed = ("--mode", "stateless", "--seed", "8", "--validation", validation)
    with _serving(tmp_path, *other_seed, hash_seed="3") as url:
        other = _answers(url)
    assert again == first
    assert restarted == first
    differ = [target for target, a, b in zip([*TARGETS, "stream"], first, other, strict=True) if a == b]
    # A retrieve of a fixture (trace) is the fixture's whatever the seed; everything generated differs.
    assert differ == [f"/v1/runs/{RUN_ID}/trace?limit=2"]


def test_a_remembered_answer_equals_a_freshly_generated_one() -> None:
    calls = [
        Call("list_runs", params=[("statuses", "failed"), ("limit", "2")]),
        Call("list_runs", params=[("statuses", "failed"), ("limit", "2"), ("after", "x")]),
        Call("list_runs", params=[("agent_ids", AGENT_ID), ("statuses", "running")]),
        Call("list_jobs", params=[("active", "true")]),
        Call("retrieve_job", {"job_id": BATCH_ID}),
        Call("list_messages_for_batch", {"batch_id": BATCH_ID}, params=[("agent_id", AGENT_ID)]),
        Call("list_steps_for_run", {"run_id": RUN_ID}, params=[("order", "asc")]),
    ]
    kept = backend(11, "realistic")
    remembered = [answer(kept, call) for call in calls + calls][len(calls) :]
    fresh = [answer(backend(11, "realistic"), call) for call in calls]
    assert remembered == fresh
    # Filters reach the items although the unfiltered collection is remembered too.
    statuses = {run["status"] for run in json.loads(remembered[0].text)}
    assert statuses == {"failed"}


def test_a_cancel_does_not_change_what_a_retrieve_remembers() -> None:
    kept = backend(3, "realistic")
    retrieve = Call("retrieve_job", {"job_id": BATCH_ID})
    before = answer(kept, retrieve)
    cancelled = answer(kept, Call("cancel_job", {"job_id": BATCH_ID}))
    assert '"status": "cancelled"' in cancelled.text
    assert answer(kept, retrieve) == before
    # And through HTTP, in one app.
    calls = [retrieve, Call("cancel_job", {"job_id": BATCH_ID}), retrieve]
    first, _, last = app_answers(3, "realistic", calls)
    assert first == last


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stateless, "CACHE_SIZE", 5)
    kept = backend(0, "realistic")
    ids = [f"job-00000000-0000-4000-8000-{n:012d}" for n in range(40)]
    bodies = [answer(kept, Call("retrieve_job", {"job_id": job_id})).text for job_id in ids]
    assert len(kept._memo) == 5
    # Forgotten answers come back the same when asked again.
    assert [answer(kept, Call("retrieve_job", {"job_id": job_id})).text for job_id in ids] == bodies
