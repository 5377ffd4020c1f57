"""`POST /_mock/clock/advance` answers once the callbacks it triggered have arrived or failed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from letta_client import Letta

from mockserver import MockServer
from mockserver._control.callbacks import MAX_WAIT, CallbackDispatcher, CallbackSettings

from .support import AGENT, Receiver, Reply, advance, create_batch, get, journal, seed_run

Dedicated = Callable[..., httpx.Client]


def test_callbacks_have_arrived_when_advance_answers(
    manual_server: MockServer, mock: httpx.Client, receiver: Receiver
) -> None:
    url = receiver.on("/done")
    with Letta(base_url=manual_server.url, api_key="letta-mock", max_retries=0) as sdk:
        batch = sdk.batches.create(
            requests=[{"agent_id": AGENT, "input": "hi"}],
            callback_url=url,
        )

    answer = advance(mock)

    assert answer["callbacks"] == {"triggered": 1, "pending": 0, "waited": True}
    # No polling: both the receiver and the journal have it the moment advance answered.
    [request] = receiver.requests
    assert (request.method, request.path, request.json()["job_id"]) == ("POST", "/done", batch.id)
    assert request.json()["status"] == "completed"
    [entry] = journal(mock)["callbacks"]
    assert (entry["id"], entry["status_code"], entry["error"]) == (batch.id, 200, None)
    stored = get(mock, f"/v1/messages/batches/{batch.id}")
    assert stored["callback_status_code"] == 200


def test_advance_waits_for_every_retry(dedicated: Dedicated, receiver: Receiver) -> None:
    mock = dedicated(callback_retries=2)
    url = receiver.on("/flaky", Reply(status=503), Reply(status=200))
    created = create_batch(mock, url)

    answer = advance(mock)

    assert answer["callbacks"] == {"triggered": 1, "pending": 0, "waited": True}
    assert len(receiver.requests) == 2
    attempts = [(e["attempt"], e["status_code"]) for e in journal(mock)["callbacks"]]
    assert attempts == [(1, 503), (2, 200)]
    assert get(mock, f"/v1/messages/batches/{created['id']}")["callback_status_code"] == 200


def test_runs_and_batches_finishing_together_are_all_waited_for(
    mock: httpx.Client, receiver: Receiver
) -> None:
    batch_url, run_url = receiver.on("/batch"), receiver.on("/run")
    batches = [create_batch(mock, batch_url)["id"] for _ in range(3)]
    run = seed_run(mock, callback_url=run_url)
    advance(mock, 0.5)  # nothing has finished yet
    assert receiver.requests == []

    answer = advance(mock)

    assert answer["callbacks"] == {"triggered": 4, "pending": 0, "waited": True}
    assert sorted(r.path for r in receiver.requests) == ["/batch", "/batch", "/batch", "/run"]
    assert {e["id"] for e in journal(mock)["callbacks"]} == {*batches, run["id"]}


def test_a_hanging_receiver_holds_advance_only_until_the_timeout(
    dedicated: Dedicated, receiver: Receiver
) -> None:
    mock = dedicated(callback_timeout=0.5)
    url = receiver.on("/hang", Reply(delay=30))
    created = create_batch(mock, url)

    answer = advance(mock)

    assert answer["callbacks"] == {"triggered": 1, "pending": 0, "waited": True}
    [entry] = journal(mock)["callbacks"]
    assert entry["status_code"] is None
    assert "timed out after 0.5 s" in entry["error"]
    assert len(receiver.requests) == 1
    assert receiver.requests[0].answered is None  # still asleep: the mock gave up first
    batch = get(mock, f"/v1/messages/batches/{created['id']}")
    assert batch["callback_error"] == entry["error"]


def test_wait_for_callbacks_false_answers_at_once(mock: httpx.Client, receiver: Receiver) -> None:
    url = receiver.on("/slow", Reply(delay=30))  # cut short when the receiver closes
    create_batch(mock, url)

    answer = advance(mock, wait=False)

    assert answer["callbacks"] == {"triggered": 1, "pending": 1, "waited": False}
    assert journal(mock) == {"callbacks": [], "pending": 1}


def test_a_refused_url_is_finished_without_waiting(mock: httpx.Client, receiver: Receiver) -> None:
    # A run's callback_url is a plain string (a batch's is an HttpUrl: ftp would be a 422 at create).
    seed_run(mock, callback_url=f"ftp://127.0.0.1:{receiver.port}/no")

    answer = advance(mock)

    assert answer["callbacks"] == {"triggered": 1, "pending": 0, "waited": True}
    [entry] = journal(mock)["callbacks"]
    assert entry["error"].endswith("Request URL is missing an 'http://' or 'https://' protocol.")
    assert receiver.requests == []


def test_an_advance_that_finishes_nothing_reports_no_callbacks(mock: httpx.Client) -> None:
    create_batch(mock)  # no callback_url

    assert advance(mock)["callbacks"] == {"triggered": 0, "pending": 0, "waited": True}


@pytest.mark.parametrize("bad", ["no", 1, None])
def test_wait_for_callbacks_must_be_a_boolean(mock: httpx.Client, bad: object) -> None:
    before = mock.get("/_mock/clock").json()["epoch"]

    reply = mock.post("/_mock/clock/advance", json={"seconds": 1, "wait_for_callbacks": bad})

    assert reply.status_code == 422
    [problem] = reply.json()["detail"]
    assert problem["loc"] == ["body", "wait_for_callbacks"]
    assert problem["type"] == "bool_type"
    assert mock.get("/_mock/clock").json()["epoch"] == before  # refused whole: the clock did not move


def test_the_wait_is_bounded_by_the_settings_and_never_long() -> None:
    def bound(count: int, **settings: float) -> float:
        return CallbackDispatcher(CallbackSettings(**settings), lambda: 0.0).bound(count)  # type: ignore[arg-type]

    assert bound(1, timeout=2.0) == 2.5
    assert bound(1, timeout=1.0, retries=3) == 1.0 * 4 + (0.5 + 1 + 2) + 0.5
    assert bound(17, timeout=1.0, concurrency=16) == 2 * 1.5  # two waves of workers
    assert bound(1, timeout=600.0) == MAX_WAIT
    assert bound(10_000) == MAX_WAIT
