"""The shipped OpenAPI document, its two patches, the BatchJob schema file, and the operation table."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from starlette.routing import Route

from mockserver import Config, OperationTable, create_app
from mockserver._contract.generate import ANCHOR, DataGenerator
from mockserver._contract.resources import data_dir
from mockserver._contract.spec import load_batch_job_schema
from mockserver._contract.validation import SchemaSet

SCHEMAS = data_dir("schemas")
STREAM_MEDIA = (
    "paths",
    "/v1/runs/{run_id}/stream",
    "post",
    "responses",
    "200",
    "content",
    "text/event-stream",
)

# operationId -> (method, path), as the documentation lists them.
OPERATIONS: dict[str, tuple[str, str]] = {
    "create_batch": ("POST", "/v1/messages/batches"),
    "list_batches": ("GET", "/v1/messages/batches"),
    "retrieve_batch": ("GET", "/v1/messages/batches/{batch_id}"),
    "list_messages_for_batch": ("GET", "/v1/messages/batches/{batch_id}/messages"),
    "cancel_batch": ("PATCH", "/v1/messages/batches/{batch_id}/cancel"),
    "list_runs": ("GET", "/v1/runs/"),
    "list_active_runs": ("GET", "/v1/runs/active"),
    "retrieve_run": ("GET", "/v1/runs/{run_id}"),
    "delete_run": ("DELETE", "/v1/runs/{run_id}"),
    "list_messages_for_run": ("GET", "/v1/runs/{run_id}/messages"),
    "retrieve_usage_for_run": ("GET", "/v1/runs/{run_id}/usage"),
    "retrieve_metrics_for_run": ("GET", "/v1/runs/{run_id}/metrics"),
    "list_steps_for_run": ("GET", "/v1/runs/{run_id}/steps"),
    "retrieve_trace_for_run": ("GET", "/v1/runs/{run_id}/trace"),
    "retrieve_stream_for_run": ("POST", "/v1/runs/{run_id}/stream"),
    "list_jobs": ("GET", "/v1/jobs/"),
    "list_active_jobs": ("GET", "/v1/jobs/active"),
    "retrieve_job": ("GET", "/v1/jobs/{job_id}"),
    "delete_job": ("DELETE", "/v1/jobs/{job_id}"),
    "cancel_job": ("PATCH", "/v1/jobs/{job_id}/cancel"),
}


def _at(document: Any, *keys: str) -> Any:
    node = document
    for key in keys:
        node = node[key]
    return node


# -- the document ------------------------------------------------------------------------------


def test_document_validates_as_openapi_3_1(document: dict[str, Any]) -> None:
    """schemas/letta-openapi.json is a valid OpenAPI 3.1 document."""
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_patch_1_event_stream_media_type_has_only_a_schema(document: dict[str, Any]) -> None:
    """Patch 1: the stream's text/event-stream Media Type object has no `description` key."""
    media = _at(document, *STREAM_MEDIA)
    assert set(media) == {"schema"}


def test_undoing_patch_1_makes_the_document_invalid(document: dict[str, Any]) -> None:
    """Patch 1 is needed: with the upstream `description` back, OpenAPI 3.1 validation fails."""
    unpatched = copy.deepcopy(document)
    _at(unpatched, *STREAM_MEDIA)["description"] = "Server-Sent Events stream"
    with pytest.raises(OpenAPIValidationError, match="'description' was unexpected"):
        validate(unpatched, cls=OpenAPIV31SpecValidator)


def test_patch_2_enable_thinking_default_is_the_string_true(document: dict[str, Any]) -> None:
    """Patch 2: LettaBatchRequest.enable_thinking is `type: string` with the default "true" (a string)."""
    field = document["components"]["schemas"]["LettaBatchRequest"]["properties"]["enable_thinking"]
    assert field["type"] == "string"
    assert field["default"] == "true"
    assert isinstance(field["default"], str)


def test_undoing_patch_2_makes_the_document_invalid(document: dict[str, Any]) -> None:
    """Patch 2 is needed: with the upstream boolean default back, OpenAPI 3.1 validation fails."""
    unpatched = copy.deepcopy(document)
    unpatched["components"]["schemas"]["LettaBatchRequest"]["properties"]["enable_thinking"]["default"] = True
    with pytest.raises(OpenAPIValidationError, match="True is not of type 'string'"):
        validate(unpatched, cls=OpenAPIV31SpecValidator)


def test_notes_describe_both_patches_and_the_batch_job_file() -> None:
    """schemas/NOTES.md names the upstream source, both patched locations and batch-job.schema.json."""
    notes = (SCHEMAS / "NOTES.md").read_text(encoding="utf-8")
    for needle in (
        "letta-openapi-batches-runs.json",
        "text/event-stream",
        "POST /v1/runs/{run_id}/stream",
        "LettaBatchRequest.enable_thinking",
        "batch-job.schema.json",
        "verbatim",
    ):
        assert needle in notes


# -- batch-job.schema.json ---------------------------------------------------------------------


def test_batch_job_schema_file_is_the_openapi_batch_job_component(document: dict[str, Any]) -> None:
    """batch-job.schema.json minus `$schema`/`$id` equals components.schemas.BatchJob."""
    raw = json.loads((SCHEMAS / "batch-job.schema.json").read_text(encoding="utf-8"))
    assert raw["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert raw["$id"] == "#/components/schemas/BatchJob"
    stripped = {key: value for key, value in raw.items() if key not in ("$schema", "$id")}
    assert stripped == document["components"]["schemas"]["BatchJob"]
    assert load_batch_job_schema() == raw


def _batch_job_validators(document: dict[str, Any]) -> tuple[Draft202012Validator, Draft202012Validator]:
    """Validators for the OpenAPI component and for the file, both resolving `#/components/...` in the
    document through a registry. The file's schema is mounted in a copy of the document at the
    component's place, so its own fragment-only refs resolve against the document around it."""
    file_schema = {k: v for k, v in load_batch_job_schema().items() if k not in ("$schema", "$id")}
    with_file = copy.deepcopy(document)
    with_file["components"]["schemas"]["BatchJob"] = file_schema
    registry: Registry[Any] = Registry().with_resources(
        [
            ("urn:test:openapi", DRAFT202012.create_resource(document)),
            ("urn:test:openapi-with-file", DRAFT202012.create_resource(with_file)),
        ]
    )
    checker = FormatChecker()
    component = Draft202012Validator(
        {"$ref": "urn:test:openapi#/components/schemas/BatchJob"}, registry=registry, format_checker=checker
    )
    from_file = Draft202012Validator(
        {"$ref": "urn:test:openapi-with-file#/components/schemas/BatchJob"},
        registry=registry,
        format_checker=checker,
    )
    return component, from_file


@pytest.mark.parametrize("seed", range(40))
def test_generated_batch_jobs_validate_against_the_file_and_the_component(
    seed: int, table: OperationTable, document: dict[str, Any]
) -> None:
    """BatchJobs made by the data generator validate against both the file's schema and the component."""
    component, from_file = _batch_job_validators(document)
    moment = ANCHOR + timedelta(hours=seed)
    job = DataGenerator(table).component("BatchJob", random.Random(seed), moment)
    assert list(component.iter_errors(job)) == []
    assert list(from_file.iter_errors(job)) == []


@pytest.mark.parametrize(
    ("change", "keyword"),
    [
        ({"status": "finished"}, "enum"),
        ({"job_type": "task"}, "enum"),
        ({"id": "batch-1"}, "pattern"),
        ({"created_at": "yesterday"}, "format"),
        ({"user_id": "user-1"}, "additionalProperties"),
    ],
)
def test_both_batch_job_schemas_reject_the_same_broken_job(
    change: dict[str, str], keyword: str, table: OperationTable, document: dict[str, Any]
) -> None:
    """The two BatchJob validators are not vacuous: a broken job fails both, on the same keyword."""
    component, from_file = _batch_job_validators(document)
    job = DataGenerator(table).component("BatchJob", random.Random(1), datetime(2026, 1, 1, tzinfo=UTC))
    job.update(change)
    assert [e.validator for e in component.iter_errors(job)] == [keyword]
    assert [e.validator for e in from_file.iter_errors(job)] == [keyword]


# -- the operation table -----------------------------------------------------------------------


def test_table_has_exactly_the_20_documented_operations(table: OperationTable) -> None:
    """The operation table holds exactly the 20 documented operationIds, no more."""
    assert len(table) == 20
    assert set(table) == set(OPERATIONS)


@pytest.mark.parametrize(("operation_id", "method_and_path"), OPERATIONS.items())
def test_operation_has_the_documented_method_and_path(
    operation_id: str, method_and_path: tuple[str, str], table: OperationTable
) -> None:
    """Each operationId maps to its documented method and path."""
    op = table[operation_id]
    assert (op.method, op.path) == method_and_path


def _routes(table: OperationTable) -> list[Route]:
    app = create_app(Config(mode="stateless"), table=table)
    return [route for route in app.routes if isinstance(route, Route)]


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_operation_has_a_route(operation_id: str, table: OperationTable) -> None:
    """The app has a route at the operation's exact path that accepts the operation's method."""
    op = table[operation_id]
    matching = [r for r in _routes(table) if r.path == op.path and op.method in (r.methods or ())]
    assert len(matching) == 1


def test_app_api_routes_are_exactly_the_table_paths(table: OperationTable) -> None:
    """Under /v1 the app serves exactly the table's 17 paths, and it serves /openapi.json beside them."""
    paths = [route.path for route in _routes(table)]
    assert sorted(p for p in paths if p.startswith("/v1/")) == sorted(table.paths)
    assert len(table.paths) == 17
    assert "/openapi.json" in paths


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_operation_has_a_json_success_response_schema(operation_id: str, table: OperationTable) -> None:
    """The operation's success response is 200 with an application/json schema in the document."""
    op = table[operation_id]
    assert op.success.status == 200
    pointer = op.success.json_pointer
    assert pointer is not None
    assert isinstance(table.schema_at(pointer), dict)
    assert 422 in op.responses


def test_only_the_stream_has_an_event_stream_schema(table: OperationTable) -> None:
    """retrieve_stream_for_run alone documents a text/event-stream schema (a oneOf of 13 event types)."""
    with_stream = [op.operation_id for op in table.values() if "text/event-stream" in op.success.media_types]
    assert with_stream == ["retrieve_stream_for_run"]
    pointer = table["retrieve_stream_for_run"].success.media_types["text/event-stream"]
    assert len(table.schema_at(pointer)["oneOf"]) == 13


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_operation_has_a_compiled_validator_for_each_parameter_and_body(
    operation_id: str, table: OperationTable
) -> None:
    """Each parameter and request body has a validator whose refs resolve and that accepts generated data."""
    op = table[operation_id]
    schemas = SchemaSet(table.document, "strict")
    generator = DataGenerator(table)
    pointers = [p.pointer for p in op.parameters]
    if op.body_pointer is not None:
        pointers.append(op.body_pointer)
    for pointer in pointers:
        validator = schemas.validator(pointer)
        assert validator is schemas.validator(pointer), "validators are compiled once and cached"
        sample = generator.at(pointer, random.Random(pointer), ANCHOR)
        assert list(validator.iter_errors(sample)) == [], pointer


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_operation_has_a_compiled_validator_for_each_success_schema(
    operation_id: str, table: OperationTable
) -> None:
    """Each success media type has a validator whose refs resolve and that accepts generated data."""
    op = table[operation_id]
    schemas = SchemaSet(table.document, "strict")
    generator = DataGenerator(table)
    for pointer in op.success.media_types.values():
        sample = generator.at(pointer, random.Random(pointer), ANCHOR)
        assert list(schemas.validator(pointer).iter_errors(sample)) == [], pointer


def test_parameters_of_the_table_match_the_document(table: OperationTable, document: dict[str, Any]) -> None:
    """Every parameter of the document is in the table, at a pointer that resolves to its schema."""
    for op in table.values():
        raw = document["paths"][op.path][op.method.lower()].get("parameters", [])
        assert [(p.name, p.location) for p in op.parameters] == [(r["name"], r["in"]) for r in raw]
        for param, declared in zip(op.parameters, raw, strict=True):
            assert table.schema_at(param.pointer) == declared["schema"]
            assert param.required == declared.get("required", False)
