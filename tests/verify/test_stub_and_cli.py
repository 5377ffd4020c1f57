"""``verify`` against a server that is not the mock at all, and the command line: exit codes, ``--json``,
bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzzing.support import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver._running.cli import main

from .support import ServerFactory, kinds, run_cli

WRONG_BATCH = {"id": 42, "status": "exploded", "created_at": "yesterday", "agent_id": None}


async def _batch(request: Request) -> JSONResponse:
    return JSONResponse(WRONG_BATCH)


async def _batches(request: Request) -> JSONResponse:
    return JSONResponse({"batches": "none"})


def _wrong_types() -> Starlette:
    """Answers the batch routes with the wrong types; everything else is its 404."""
    return Starlette(
        routes=[
            Route("/v1/messages/batches", _batch, methods=["POST"]),
            Route("/v1/messages/batches", _batches, methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}", _batch, methods=["GET"]),
        ]
    )


def test_a_server_answering_wrong_types_fails_with_schema_differences(recordings: dict[str, Path]) -> None:
    with serving(_wrong_types()) as url:
        status, out, err = run_cli("--recording", str(recordings["contract"]), "--base-url", url, "--json")
    assert status == 1, err
    document = json.loads(out)
    found = kinds(document)
    assert ("create_batch", "/id", "schema") in found
    assert ("create_batch", "/id", "type") in found  # a string recorded, a number seen
    assert ("create_batch", "/status", "enum") in found
    assert ("create_batch", "/status", "schema") in found
    assert ("list_batches", "", "type") in found  # a list recorded, an object seen
    shown = next(d for d in document["differences"] if d["pointer"] == "/status" and d["kind"] == "enum")
    assert shown["seen"] == "exploded"
    assert shown["recorded"] in {"created", "running", "completed"}
    assert document["differ"] is True
    # No quirk of the real server looks like this: the differences stand out as unexplained.
    assert document["unexplained"] > 0
    assert next(d for d in document["differences"] if d["pointer"] == "/id")["quirk"] is None
    rows = document["exchanges"]
    assert [row["index"] for row in rows] == list(range(len(rows)))
    assert rows[0]["operation"] == "create_batch"
    assert rows[0]["differences"] > 0


def test_exit_status_0_when_the_server_agrees(recordings: dict[str, Path], target: ServerFactory) -> None:
    server = target("contract")
    status, out, err = run_cli(
        "--recording", str(recordings["contract"].parent), "--base-url", server.url, "--seed-mock"
    )
    assert status == 0, out + err
    assert out.rstrip().splitlines()[-1].startswith("no difference in 16 exchange(s)")


def test_exit_status_1_and_json_when_it_does_not(recordings: dict[str, Path], target: ServerFactory) -> None:
    server = target("letta-oss")
    status, out, _ = run_cli(
        "--recording", str(recordings["contract"]), "--base-url", server.url, "--seed-mock", "--json"
    )
    assert status == 1
    document = json.loads(out)
    assert {d["kind"] for d in document["differences"]} >= {"status", "timestamp_format", "missing_item"}
    assert len(document["exchanges"]) == 16


def _exit(args: list[str]) -> int:
    try:
        return main(["verify", *args])
    except SystemExit as exit:
        return int(exit.code or 0)


def test_bad_input_is_exit_2_and_one_line(
    recordings: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.har"
    not_har = tmp_path / "broken.har"
    not_har.write_text("{not json")
    empty = tmp_path / "empty"
    empty.mkdir()
    recording = str(recordings["contract"])
    cases = [
        (
            ["--recording", str(missing), "--base-url", "http://127.0.0.1:9"],
            f"--recording {str(missing)!r}: no such",
        ),
        (["--recording", str(not_har), "--base-url", "http://127.0.0.1:9"], "--recording file "),
        (["--recording", str(empty), "--base-url", "http://127.0.0.1:9"], "holds no .har, .yaml or .yml"),
        (
            ["--recording", recording, "--base-url", "ftp://example"],
            "--base-url ftp://example: must be an http",
        ),
        (["--recording", recording, "--base-url", "http://127.0.0.1:9"], "cannot reach the server"),
        (
            ["--recording", recording, "--base-url", "http://x", "--timeout", "0"],
            "--timeout '0': must be a number",
        ),
        (["--base-url", "http://x"], "the following arguments are required: --recording"),
    ]
    for args, expected in cases:
        status = _exit(args)
        out, err = capsys.readouterr()
        assert status == 2, (args, out, err)
        assert expected in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
        assert out == ""
