"""The compiled fast validator (jsonschema-rs) and jsonschema agree on what is valid.

The server trusts the fast "valid" answer without asking jsonschema, so a schema the two read
differently would let a violation through. Drawn instances (valid, and the same broken) of
every request schema and of the response schemas are judged by both, at both levels.
"""

from __future__ import annotations

from typing import Any

import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from mockserver import default_table
from mockserver._contract.validation import LEVELS, SchemaSet
from mockserver._control.api import load_control_document
from mockserver.strategies import from_operation

EXAMPLES = examples(25)
TABLE = default_table()
BROKEN: list[Any] = [
    None,
    0,
    -1,
    1.5,
    "",
    "x" * 5,
    "not a uri",
    "2026-13-45T99:00:00Z",
    [],
    {},
    [None],
    {"x": 1},
]


def _agree(schemas: SchemaSet, pointer: str, value: Any) -> None:
    fast = schemas.fast_validator(pointer).is_valid(value)
    slow = schemas.validator(pointer).is_valid(value)
    assert fast == slow, f"{pointer}: jsonschema-rs says {fast}, jsonschema says {slow} for {value!r}"


def _breakings(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, dict) and value:
        return st.tuples(st.sampled_from(sorted(value)), st.sampled_from(BROKEN)).map(
            lambda change: {**value, change[0]: change[1]}
        )
    return st.sampled_from(BROKEN)


@pytest.mark.parametrize("level", [level for level in LEVELS if level != "off"])
@pytest.mark.parametrize("operation_id", list(TABLE))
def test_request_schemas_are_read_alike(operation_id: str, level: str) -> None:
    op = TABLE[operation_id]
    schemas = SchemaSet(TABLE.document, level)  # type: ignore[arg-type]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(request=from_operation(operation_id), data=st.data())
    def check(request: Any, data: st.DataObject) -> None:
        for param in op.parameters:
            value = {"path": request.path, "query": request.query}.get(param.location, {}).get(param.name)
            if value is not None:
                _agree(schemas, param.pointer, value)
                _agree(schemas, param.pointer, data.draw(_breakings(value)))
        if op.body_pointer is not None and request.body is not None:
            _agree(schemas, op.body_pointer, request.body)
            _agree(schemas, op.body_pointer, data.draw(_breakings(request.body)))

    check()


@pytest.mark.parametrize("operation_id", list(TABLE))
def test_response_schemas_are_read_alike(operation_id: str) -> None:
    op = TABLE[operation_id]
    pointer = op.success.json_pointer
    assert pointer is not None
    schemas = SchemaSet(TABLE.document, "strict")

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=from_operation(operation_id, part="response"), data=st.data())
    def check(body: Any, data: st.DataObject) -> None:
        _agree(schemas, pointer, body)
        _agree(schemas, pointer, data.draw(_breakings(body)))

    check()


CONTROL_DOCUMENT = load_control_document()
CONTROL = SchemaSet(CONTROL_DOCUMENT, "strict")
CONTROL_DEFS = sorted(CONTROL_DOCUMENT["$defs"])


@pytest.mark.parametrize("name", CONTROL_DEFS)
def test_control_payload_schemas_are_read_alike(name: str) -> None:
    """The control API's payloads (a snapshot of 100k records among them) get the fast validator too:
    it compiles with the document's `$defs` (it used to fail, and every payload went to jsonschema)."""
    pointer = f"/$defs/{name}"
    CONTROL.fast_validator(pointer)  # compiles, or the test fails here
    defs = CONTROL_DOCUMENT["$defs"]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value=from_schema({**defs[name], "$defs": defs}), data=st.data())
    def check(value: Any, data: st.DataObject) -> None:
        _agree(CONTROL, pointer, value)
        _agree(CONTROL, pointer, data.draw(_breakings(value)))

    check()
