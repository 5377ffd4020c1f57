"""The document ``GET /openapi.json`` serves: upstream, plus what this mock really does.

Additions come from ``schemas/mock-additions.json`` and the control API's own schemas, and
are merged into a copy at start-up: the error answers the mock gives (with their
``{"detail": ...}`` schema), the id formats strict validation enforces on path parameters,
and the ``/_mock`` control API under its own tag. The upstream file is never modified, and
request validation keeps using the upstream document.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mockserver._contract.quirks import QUIRKS
from mockserver._contract.spec import load_additions, narrowed
from mockserver._contract.validation import LENIENT_OFF, without_keywords
from mockserver._control.api import ControlRoute

_ERROR_REF = {"$ref": "#/components/schemas/MockErrorDetail"}
_VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}
_COUNT = {"type": "integer", "minimum": 0}
_QUERY_PARAMS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "/_mock/requests": (
        ("operation", {"type": "string"}),
        ("status", {"type": "integer"}),
        ("since", _COUNT),
        ("limit", _COUNT),
    ),
    "/_mock/report": (("since", _COUNT),),
    "/_mock/record": (("id", {"type": "string", "minLength": 1}),),
}
_REQUIRED_PARAMS = frozenset({("/_mock/record", "id")})


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": dict(_ERROR_REF)}}}


def _control_schemas(control_document: Mapping[str, Any]) -> dict[str, Any]:
    """The control payload schemas as components named ``Mock<Name>``, their refs rewritten."""
    text = json.dumps(control_document.get("$defs", {}))
    text = re.sub(r'"#/\$defs/([A-Za-z]+)', r'"#/components/schemas/Mock\1', text)
    schemas = {f"Mock{name}": schema for name, schema in json.loads(text).items()}
    quirks = schemas.get("MockProfileSpec", {}).get("properties", {}).get("quirks")
    if quirks is not None:
        # The document names the valid quirks (from their one declaration); the control API checks
        # them in code, so that its 422 names the unknown one and lists the valid ones.
        quirks["propertyNames"] = {"enum": [quirk.name for quirk in QUIRKS]}
    return schemas


def _control_operation(route: ControlRoute) -> dict[str, Any]:
    name = re.sub(r"[{}]", "", route.path.removeprefix("/_mock/").replace("/", "_"))
    operation: dict[str, Any] = {
        "tags": ["mock-control"],
        "summary": route.summary or f"{route.method} {route.path}",
        "operationId": f"mock_{route.method.lower()}_{name}",
        "responses": {
            "200": {"description": "Done", "content": {"application/json": {"schema": {}}}},
            "400": _error("The endpoint needs the stateful mode."),
            "409": _error(
                "The request conflicts with the state: an id in use, or a system clock to advance."
            ),
        },
    }
    if route.payload is not None:
        schema_ref = {"$ref": f"#/components/schemas/Mock{route.payload}"}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema_ref}}}
        operation["responses"]["201"] = {
            "description": "Created",
            "content": {"application/json": {"schema": {}}},
        }
        operation["responses"]["422"] = {
            "description": "The payload does not match its schema",
            "content": {"application/json": {"schema": dict(_VALIDATION_REF)}},
        }
    if "{id}" in route.path:
        operation["parameters"] = [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
        operation["responses"]["404"] = _error("No scenario or fault in force has that id.")
    params = _QUERY_PARAMS.get(route.path, ())
    if params:
        operation["responses"]["422"] = {
            "description": "A query parameter is not of its type",
            "content": {"application/json": {"schema": dict(_VALIDATION_REF)}},
        }
        operation["parameters"] = [
            {
                "name": param,
                "in": "query",
                "required": (route.path, param) in _REQUIRED_PARAMS,
                "schema": dict(schema),
            }
            for param, schema in params
        ]
        if route.path == "/_mock/record":
            operation["responses"]["404"] = _error("No batch, run or job has that id.")
    return operation


def _at_least_zero(schema: dict[str, Any]) -> None:
    """A negative ``limit`` is refused (422) under strict validation; the document says so."""
    for branch in [schema, *schema.get("anyOf", ())]:
        if branch.get("type") == "integer" and "minimum" not in branch:
            branch["minimum"] = 0


_CALLBACK_URL = ("components", "schemas", "CreateBatch", "properties", "callback_url")


def _lenient(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document lenient validation answers to: types, required fields and enums, plus
    ``callback_url``'s own ``format: uri`` and length, because the real server's ``HttpUrl``
    refuses a non-http(s) URL whatever the validation level (and so does the mock)."""
    served: dict[str, Any] = without_keywords(document, LENIENT_OFF)
    original: Any = document
    target: Any = served
    for key in _CALLBACK_URL[:-1]:
        original, target = original.get(key, {}), target.get(key, {})
    if _CALLBACK_URL[-1] in original and isinstance(target, dict):
        target[_CALLBACK_URL[-1]] = copy.deepcopy(original[_CALLBACK_URL[-1]])
    return served


def served_document(
    document: Mapping[str, Any],
    *,
    strict: bool,
    api_key: bool,
    control_routes: Iterable[ControlRoute],
    control_document: Mapping[str, Any],
) -> dict[str, Any]:
    additions = load_additions()
    # The document says what the validation level enforces (the control API, added below, is
    # always validated strictly).
    served = narrowed(document) if strict else _lenient(document)
    served["tags"] = [*served.get("tags", []), *additions["tags"]]
    schemas = served.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(additions["schemas"]))
    schemas.update(_control_schemas(control_document))
    if not api_key:
        # Without --api-key the mock, like the OSS server, checks no credentials: say so.
        served.pop("security", None)
    described = additions["responses"]
    for path, item in served["paths"].items():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400", "404"] if "{" in path else ["400"]
            if path.endswith("/stream"):
                codes.append("410")
            if api_key:
                codes.append("401")
            for code in codes:
                operation["responses"].setdefault(code, _error(described[code]))
            if strict:
                for parameter in operation.get("parameters", ()):
                    if parameter.get("name") == "limit" and parameter.get("in") == "query":
                        _at_least_zero(parameter["schema"])
    for route in control_routes:
        served["paths"].setdefault(route.path, {})[route.method.lower()] = _control_operation(route)
    return served
