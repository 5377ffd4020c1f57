"""``verify`` against real servers: the profile that made a recording agrees with it, the other does not,
and says where; ids are mapped, runs made outside the API are seeded."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fuzzing.support import serving

from mockserver._fuzzing.verify_command import main
from mockserver._recording import har

from .support import ServerFactory, kinds


def verified(recording: Path, url: str, **options: Any) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    status = main(str(recording), url, json_output=True, out=out, **options)
    document: dict[str, Any] = json.loads(out.getvalue())
    return status, document


@pytest.mark.parametrize("profile", ["contract", "letta-oss"])
def test_a_recording_agrees_with_a_fresh_server_of_its_profile(
    profile: str, recordings: dict[str, Path], target: ServerFactory
) -> None:
    server = target(profile)
    status, document = verified(recordings[profile], server.url, seed_mock=True)
    assert document["differences"] == [], document["differences"]
    assert status == 0
    assert document["differ"] is False
    recorded = har.read(recordings[profile])
    assert [row["recorded"] for row in document["exchanges"]] == [e.status for e in recorded]
    assert [row["seen"] for row in document["exchanges"]] == [e.status for e in recorded]
    # The target's ids are its own (another seed): the batch retrieved was found through the id map.
    created = json.loads(recorded[0].response_body)["id"]
    assert server.snapshot()["jobs"]
    assert created not in json.dumps(server.snapshot()["jobs"])
    assert any("seeded (3 messages, 1 steps, usage)" in note for note in document["seeding"])


def test_without_seeding_the_runs_read_are_missing(
    recordings: dict[str, Path], target: ServerFactory
) -> None:
    status, document = verified(recordings["contract"], target("contract").url)
    assert status == 1
    statuses = {
        (d["operation"], d["recorded"], d["seen"]) for d in document["differences"] if d["kind"] == "status"
    }
    assert ("retrieve_run", "200", "404") in statuses
    assert document["seeding"] == []


def test_contract_recording_against_letta_oss_names_each_quirk(
    recordings: dict[str, Path], target: ServerFactory
) -> None:
    status, document = verified(recordings["contract"], target("letta-oss").url, seed_mock=True)
    assert status == 1
    found = kinds(document)
    # naive-timestamps: completed_at without an offset, which the documented date-time refuses
    assert ("retrieve_run", "/completed_at", "timestamp_format") in found
    assert ("retrieve_batch", "/completed_at", "timestamp_format") in found
    assert ("retrieve_run", "/completed_at", "schema") in found
    # validation-detail-string: the 422's detail is a string
    assert ("create_batch", "/detail", "type") in found
    assert ("create_batch", "/trace_id", "extra") in found
    # batch-list-active-only: the finished batches are not listed
    assert ("list_batches", "/0", "missing_item") in found
    assert ("list_batches", "/1", "missing_item") in found
    # batch-messages-after-500 and run-delete-500
    statuses = {
        (d["operation"], d["recorded"], d["seen"]) for d in document["differences"] if d["kind"] == "status"
    }
    assert statuses == {("list_messages_for_batch", "200", "500"), ("delete_run", "200", "500")}
    # Each difference is named by the quirk it shows, and none is left unnamed.
    assert document["quirks"] == [
        "owner-ids",
        "callback-url-none-string",
        "naive-timestamps",
        "batch-list-active-only",
        "batch-messages-after-500",
        "validation-detail-string",
        "run-retrieve-duration-null",
        "run-delete-500",
    ]
    assert document["unexplained"] == 0
    assert all(d["quirk"] for d in document["differences"])
    # Nothing else: every difference is one of the quirks above.
    assert {kind for _, _, kind in found} == {
        "timestamp_format",
        "schema",
        "type",
        "extra",
        "missing_item",
        "length",
        "status",
    }


def test_letta_oss_recording_against_contract_names_the_other_side(
    recordings: dict[str, Path], target: ServerFactory
) -> None:
    status, document = verified(recordings["letta-oss"], target("contract").url, seed_mock=True)
    assert status == 1
    found = kinds(document)
    assert ("retrieve_job", "/completed_at", "timestamp_format") in found
    assert ("create_batch", "/detail", "type") in found
    assert ("create_batch", "/trace_id", "missing") in found
    assert ("list_batches", "", "extra_item") in found
    shown = next(d for d in document["differences"] if d["kind"] == "timestamp_format")
    assert shown["recorded"].startswith("naive ")
    assert shown["seen"].startswith("offset ")
    # The contract server's answers conform: no schema difference is its fault.
    assert not [d for d in document["differences"] if d["kind"] == "schema"]


def test_the_summary_table_lists_every_exchange_then_the_differences(
    recordings: dict[str, Path], target: ServerFactory
) -> None:
    out = io.StringIO()
    status = main(str(recordings["contract"]), target("letta-oss").url, seed_mock=True, out=out)
    text = out.getvalue()
    assert status == 1
    lines = text.splitlines()
    assert lines[0].split() == ["#", "request", "status", "differences"]
    rows = lines[1:17]
    assert [row.split()[0] for row in rows] == [str(i) for i in range(16)]
    delete = rows[15].split()
    assert delete[1] == "DELETE"
    assert delete[-2:] == ["200/500", "1"]
    # callback_url "None" (callback-url-none-string); user_id, extra and against its schema (owner-ids)
    assert rows[0].split()[-2:] == ["200/200", "3"]
    assert "Seeded before replaying:" in text
    assert "#15 delete_run (answer) [status]: 200 -> 500 (quirk run-delete-500)" in text
    assert "0 difference(s) match none" in text
    # 2 timestamps of batches and jobs, 2 of runs (each a format and a schema difference), the list's
    # length and its two batches, the 422's detail (schema, type) and trace_id, and two 500s; and the
    # "None" callback URL of both batches where they are read (the list's, the create's, the retrieves':
    # url, the failed attempt's time and error).
    # And owner-ids' user_id and organization_id wherever a batch, job, step or metrics is read, and the
    # run's total_duration_ns null where it is retrieved (run-retrieve-duration-null).
    assert lines[-1].startswith("37 difference(s) in 11 of 16 exchange(s): ")


def test_seeding_a_server_that_is_no_mock_is_said_and_skipped(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    from starlette.applications import Starlette

    with serving(Starlette()) as url:
        status, document = verified(recordings["contract"], url, seed_mock=True)
    assert status == 1
    assert document["seeding"] == [
        "the target does not answer GET /_mock/profile: not a mock, nothing seeded"
    ]
    # Every path is a 404 there; the unknown run's 404 differs only in its body, which is not JSON.
    assert {d["kind"] for d in document["differences"]} == {"status", "body"}


def test_a_body_that_is_not_text_is_replayed_as_recorded(target: ServerFactory, tmp_path: Path) -> None:
    import httpx

    from .support import Recorder

    server = target("contract")
    recorder = Recorder()
    with httpx.Client(base_url=server.url, event_hooks={"response": [recorder]}) as client:
        headers = {"content-type": "application/json"}
        assert client.post("/v1/messages/batches", content=b"\xff\x00", headers=headers).status_code == 422
    status, document = verified(recorder.save(tmp_path / "binary.har"), server.url)
    assert (status, document["differences"]) == (0, [])
    assert document["exchanges"][0]["seen"] == 422


def test_a_run_whose_recorded_messages_the_mock_refuses_is_seeded_without_them(
    target: ServerFactory, tmp_path: Path
) -> None:
    import dataclasses

    import httpx
    import orjson

    from .support import AGENTS, Recorder

    server = target("contract")
    run = server.seed_run(agent_id=AGENTS[1], status="completed")["id"]
    recorder = Recorder()
    with httpx.Client(base_url=server.url, event_hooks={"response": [recorder]}) as client:
        client.get(f"/v1/runs/{run}")
        client.get(f"/v1/runs/{run}/messages")
    messages = orjson.loads(recorder.exchanges[1].response_body)
    messages[0]["message_type"] = "assistant_message"
    messages[0]["content"] = 5  # no documented message has a number for content
    recorder.exchanges[1] = dataclasses.replace(recorder.exchanges[1], response_body=orjson.dumps(messages))
    recording = recorder.save(tmp_path / "refused.har")
    server.reset()
    status, document = verified(recording, server.url, seed_mock=True)
    [note] = document["seeding"]
    assert note.startswith(f"{run}: seeded (0 messages, 0 steps)")
    assert "without its messages and steps, which the mock refused" in note
    assert status == 1
    assert {d["index"] for d in document["differences"]} == {1}  # the run itself agrees; its messages do not


def test_a_mock_with_a_control_token_is_seeded_with_it(
    recordings: dict[str, Path], server_factory: ServerFactory
) -> None:
    from .support import SETTINGS

    server = server_factory(profile="contract", seed=3, control_token="s3cret", **SETTINGS)
    server.reset()
    status, document = verified(recordings["contract"], server.url, seed_mock=True)
    assert status == 1
    assert document["seeding"] == [
        "the target's control API refused GET /_mock/profile (401): give its --control-token; nothing seeded"
    ]
    server.reset()
    status, document = verified(recordings["contract"], server.url, seed_mock=True, control_token="s3cret")
    assert (status, document["differences"]) == (0, [])
