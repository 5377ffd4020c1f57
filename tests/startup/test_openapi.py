"""``openapi=FILE``: another document in place of the shipped one, checked against the simulation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import Config, MockServer
from mockserver._contract.resources import data_dir
from mockserver._contract.validation import SchemaSet
from mockserver._web.app import create_app

from .support import AGENT, BATCHES, STATS, create_batch, ok, shipped, with_stats, write

RUN = "run-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
SPANS = json.loads((data_dir("fixtures") / "retrieve_trace_for_run.json").read_text(encoding="utf-8"))


def _valid(served: dict[str, Any], path: str, body: Any) -> list[str]:
    """Violations of ``body`` against the 200 schema of ``GET path`` in the served document."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/get/responses/200/content/application~1json/schema"
    return [v.msg for v in SchemaSet(served, "strict").violations(pointer, body)]


def test_an_extra_operation_is_answered_from_the_document_while_batches_simulate(tmp_path: Path) -> None:
    document = write(tmp_path, "letta.json", with_stats(shipped()))
    with (
        MockServer(Config(port=0, clock="manual", openapi=document)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        created = create_batch(http, AGENT)
        assert created["status"] == "created"
        stats = ok(http.get(STATS.format(batch_id=created["id"])))
        served = ok(http.get("/openapi.json"))
        assert _valid(served, STATS, stats) == []
        assert stats == ok(http.get(STATS.format(batch_id=created["id"])))  # generated, deterministic
        server.advance(2.0)
        assert ok(http.get(f"{BATCHES}/{created['id']}"))["status"] == "completed"
        report = server.report()
        assert report["violations"] == []


def test_stateless_mode_answers_the_extra_operation_too(tmp_path: Path) -> None:
    document = write(tmp_path, "letta.json", with_stats(shipped()))
    with (
        MockServer(Config(port=0, mode="stateless", openapi=document)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        batch_id = "job-00000000-0000-4000-8000-000000000001"
        stats = ok(http.get(STATS.format(batch_id=batch_id)))
        assert _valid(ok(http.get("/openapi.json")), STATS, stats) == []
        assert ok(http.get(f"{BATCHES}/{batch_id}"))["id"] == batch_id


def test_openapi_json_serves_the_loaded_document_augmented(tmp_path: Path) -> None:
    document = with_stats(shipped())
    document["info"]["version"] = "9.9.9-startup-test"
    with (
        MockServer(Config(port=0, clock="manual", openapi=write(tmp_path, "letta.json", document))) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        served = ok(http.get("/openapi.json"))
    assert served["info"]["version"] == "9.9.9-startup-test"
    assert served["paths"][STATS]["get"]["operationId"] == "retrieve_batch_stats"
    assert "400" in served["paths"][STATS]["get"]["responses"]  # the mock's own answers, described
    assert "/_mock/state" in served["paths"]
    assert served["components"]["schemas"]["CreateBatch"]["properties"]["requests"]["minItems"] == 1


def test_a_retyped_field_the_simulation_writes_stops_start_up(tmp_path: Path) -> None:
    document = shipped()
    document["components"]["schemas"]["BatchJob"]["properties"]["status"] = {"type": "integer"}
    path = write(tmp_path, "letta.json", document)
    with pytest.raises(ValueError, match="does not fit what the mock simulates") as raised:
        MockServer(Config(port=0, openapi=path)).start()
    message = str(raised.value)
    assert f"openapi file {str(path)!r} does not fit what the mock simulates" in message
    assert "create_batch" in message
    assert (
        "/components/schemas/BatchJob/properties/status: admits integer, but the simulation writes" in message
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["components"]["schemas"]["JobStatus"]["enum"].remove("expired"),
            "/components/schemas/JobStatus: does not admit 'expired', which the simulation writes",
        ),
        (
            lambda d: d["components"]["schemas"]["Run"]["required"].append("priority"),
            "/components/schemas/Run/required: requires 'priority', which the simulation does not write",
        ),
        (
            lambda d: d["paths"]["/v1/runs/"]["get"]["parameters"].pop(0),
            "list_runs: /paths/~1v1~1runs~1/get/parameters: no query parameter 'agent_id';"
            " the simulation reads it",
        ),
        (
            lambda d: d["paths"].__setitem__("/v2/runs/", d["paths"].pop("/v1/runs/")),
            "list_runs: /paths/~1v2~1runs~1/get: is GET /v2/runs/; the simulation answers GET /v1/runs/",
        ),
        (
            lambda d: d["components"]["schemas"].pop("Step"),
            "/items: $ref '#/components/schemas/Step' does not resolve",
        ),
    ],
    ids=["enum", "required", "parameter", "moved", "ref"],
)
def test_what_the_simulation_needs_is_checked(tmp_path: Path, change: Any, expected: str) -> None:
    document = shipped()
    change(document)
    with pytest.raises(ValueError, match=re.escape(expected)):
        create_app(Config(openapi=write(tmp_path, "letta.json", document)))


def test_an_operation_the_document_lacks_is_not_routed(tmp_path: Path) -> None:
    document = shipped()
    del document["paths"]["/v1/runs/{run_id}"]["delete"]  # delete_run; retrieve_run stays
    del document["paths"]["/v1/runs/{run_id}/trace"]  # retrieve_trace_for_run, its path alone
    with (
        MockServer(Config(port=0, clock="manual", openapi=write(tmp_path, "letta.json", document))) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        seeded = server.seed_run(agent_id=AGENT)
        gone = http.get(f"/v1/runs/{seeded['id']}/trace")
        assert gone.status_code == 404, gone.text
        refused = http.delete(f"/v1/runs/{seeded['id']}")
        assert refused.status_code == 405, refused.text  # the path is still there, for GET
        assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD"}
        assert ok(http.get(f"/v1/runs/{seeded['id']}"))["id"] == seeded["id"]
        assert "delete_run" not in str(ok(http.get("/openapi.json"))["paths"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not an OpenAPI document (a JSON object with 'paths')"),
        ('{"paths": {"/x": {"get": {"responses": {}}}}}', "not an OpenAPI document this mock can read"),
        (
            '{"paths": {"/x": {"get": {"operationId": "x",'
            ' "responses": {"default": {"description": "d"}}}}}}',
            "x (GET /x): /paths/~1x/get/responses: no 2xx response to answer with",
        ),
    ],
    ids=["missing", "not-json", "not-an-object", "no-operation-id", "no-2xx"],
)
def test_an_unusable_file_is_a_clear_error(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "letta.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(
        ValueError, match=re.escape(f"openapi file {str(path)!r}: ") + ".*" + re.escape(expected)
    ):
        create_app(Config(openapi=path))


def test_a_document_with_only_other_operations_starts(tmp_path: Path) -> None:
    """No simulated operation at all: every answer comes from the document (and `/x` sorts fine)."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "other", "version": "1"},
        "paths": {
            "/health": {
                "get": {
                    "operationId": "health",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["ok"],
                                        "properties": {"ok": {"type": "boolean"}},
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    with (
        MockServer(Config(port=0, clock="manual", openapi=write(tmp_path, "other.json", document))) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert isinstance(ok(http.get("/health"))["ok"], bool)
        assert http.get(BATCHES).status_code == 404


def test_a_reference_outside_the_document_is_refused(tmp_path: Path) -> None:
    document = shipped()
    document["components"]["schemas"]["Step"] = {"$ref": "steps.json#/Step"}
    with pytest.raises(ValueError, match=re.escape("$ref 'steps.json#/Step' does not resolve")):
        create_app(Config(openapi=write(tmp_path, "letta.json", document)))


def test_a_shipped_fixture_the_document_no_longer_admits_is_skipped(tmp_path: Path) -> None:
    document = shipped()
    trace = document["paths"]["/v1/runs/{run_id}/trace"]["get"]["responses"]["200"]["content"]
    only_strings = {"type": "object", "additionalProperties": {"type": "string"}}
    trace["application/json"]["schema"] = {"type": "array", "items": only_strings}
    with (
        MockServer(
            Config(port=0, mode="stateless", openapi=write(tmp_path, "letta.json", document))
        ) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        spans = ok(http.get(f"/v1/runs/{RUN}/trace"))
    assert spans != SPANS  # generated from the new schema instead
    assert all(isinstance(value, str) for span in spans for value in span.values())
