"""Nothing in a fixtures directory is silently ignored: unknown or unusable files stop start-up."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
import pytest

from mockserver import Config, MockServer
from mockserver._config import MODES, Mode
from mockserver._contract.resources import data_dir
from mockserver._web.app import create_app

from .support import AGENT, STATS, create_batch, ok, shipped, with_stats, write

RUN = "run-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
SPANS = json.loads((data_dir("fixtures") / "retrieve_trace_for_run.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", ["stateless", "stateful"])
def test_a_misspelt_fixture_names_the_file_and_the_valid_names(tmp_path: Path, mode: Mode) -> None:
    write(tmp_path, "list_batchez.json", [])
    with pytest.raises(ValueError, match=re.escape("list_batchez.json is not a fixture name")) as raised:
        create_app(Config(mode=mode, fixtures=tmp_path))
    message = str(raised.value)
    assert message.startswith(
        f"fixtures directory {str(tmp_path)!r}: list_batchez.json is not a fixture name"
    )
    assert "(did you mean list_batches.json?)" in message
    assert "list_batches.json" in message.split("valid: ")[1]
    assert "retrieve_stream_for_run.json" in message
    assert "batches.json, jobs.json, runs.json (state seeds, stateful mode)" in message


@pytest.mark.parametrize("seed", ["batches.json", "jobs.json", "runs.json"])
def test_a_state_seed_in_stateless_mode_is_an_error(tmp_path: Path, seed: str) -> None:
    write(tmp_path, seed, [])
    expected = f"{seed} is a state seed, which stateless mode cannot use; start with --mode stateful"
    with pytest.raises(ValueError, match=re.escape(expected)):
        create_app(Config(mode="stateless", fixtures=tmp_path))


def test_a_response_fixture_the_simulation_replaces_is_an_error_in_stateful_mode(tmp_path: Path) -> None:
    write(tmp_path, "list_batches.json", [])
    expected = (
        "list_batches.json is a response fixture for list_batches (GET /v1/messages/batches), which stateful"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        create_app(Config(mode="stateful", fixtures=tmp_path))
    create_app(Config(mode="stateless", fixtures=tmp_path))  # where it is used


def test_other_files_are_ignored_and_fixtures_answer(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# our fixtures\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not json", encoding="utf-8")
    (tmp_path / "drafts.json").mkdir()  # a directory is no fixture file
    shutil.copy(data_dir("fixtures") / "retrieve_trace_for_run.json", tmp_path)
    for mode in MODES:
        with (
            MockServer(Config(port=0, mode=mode, clock="manual", fixtures=tmp_path)) as server,
            httpx.Client(base_url=server.url) as http,
        ):
            run_id = server.seed_run(agent_id=AGENT)["id"] if mode == "stateful" else RUN
            assert ok(http.get(f"/v1/runs/{run_id}/trace")) == SPANS


@pytest.mark.parametrize("mode", ["stateless", "stateful"])
def test_the_shipped_directory_loads_in_both_modes(mode: Mode) -> None:
    with (
        MockServer(Config(port=0, mode=mode, clock="manual")) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        run_id = server.seed_run(agent_id=AGENT)["id"] if mode == "stateful" else RUN
        assert ok(http.get(f"/v1/runs/{run_id}/trace")) == SPANS


def test_a_fixture_for_an_operation_of_another_document_answers_in_stateful_mode(tmp_path: Path) -> None:
    document = write(tmp_path, "letta.json", with_stats(shipped()))
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    write(fixtures, "retrieve_batch_stats.json", {"batch_id": "x", "total": 3, "completed": 1})
    with (
        MockServer(Config(port=0, clock="manual", openapi=document, fixtures=fixtures)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        created = create_batch(http, AGENT)
        assert ok(http.get(STATS.format(batch_id=created["id"]))) == {
            "batch_id": "x",
            "total": 3,
            "completed": 1,
        }
    write(fixtures, "retrieve_batch_stats.json", {"batch_id": "x", "total": -1, "completed": 1})
    with pytest.raises(ValueError, match=re.escape("fixture retrieve_batch_stats.json does not match")):
        create_app(Config(openapi=document, fixtures=fixtures))
    # Without the document that defines it, the name is unknown.
    with pytest.raises(ValueError, match=re.escape("retrieve_batch_stats.json is not a fixture name")):
        create_app(Config(fixtures=fixtures))
