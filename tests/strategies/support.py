"""Checks shared by the strategy tests: schema violations of drawn values, and walks over them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from budget import examples
from hypothesis import settings

from mockserver._contract.generate import SDK_UNSAFE_VALUES
from mockserver._contract.parsing import _ID_RULES, _NON_NEGATIVE
from mockserver._contract.spec import Operation, default_table
from mockserver._contract.validation import SchemaSet
from mockserver.strategies import OperationRequest

EXAMPLES = examples(20)
PROPERTY = settings(max_examples=EXAMPLES, deadline=None)
TABLE = default_table()
STRICT = SchemaSet(TABLE.document, "strict")
OPERATION_IDS = list(TABLE)
UUID4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def id_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(f"^{prefix}-{UUID4}$")


def response_pointer(op: Operation, status: int = 200) -> str:
    media_types = op.responses[status].media_types
    pointer = media_types.get("text/event-stream") or media_types.get("application/json")
    assert pointer is not None
    return pointer


def violations(pointer: str, value: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, v.loc)) or '<root>'}: {v.detail or v.msg}"
        for v in STRICT.violations(pointer, value)
    ]


def request_problems(op: Operation, request: OperationRequest) -> list[str]:
    """Everything that makes ``request`` invalid for ``op``, by its schemas and the server's rules."""
    problems: list[str] = []
    if (request.operation_id, request.method, request.path_template) != (op.operation_id, op.method, op.path):
        problems.append(f"drawn for another operation: {request!r}")
    for param in op.parameters:
        values = request.path if param.location == "path" else request.query
        if param.name not in values:
            if param.required:
                problems.append(f"{param.location}/{param.name}: missing")
            continue
        value = values[param.name]
        problems.extend(f"{param.location}/{item}" for item in violations(param.pointer, value))
        if value is None:
            problems.append(f"{param.location}/{param.name}: None cannot be sent")
        rule = _ID_RULES.get(param.name)
        if param.location == "path" and rule is not None and not rule[1].match(value):
            problems.append(f"path/{param.name}: {value!r} is not {rule[0]}-<uuid4>")
        if param.name in _NON_NEGATIVE and isinstance(value, int) and value < 0:
            problems.append(f"query/{param.name}: negative")
    known = {p.name for p in op.parameters}
    problems.extend(f"unknown parameter {name!r}" for name in {*request.path, *request.query} - known)
    if op.body_pointer is None:
        if request.body is not None:
            problems.append("a body for an operation without one")
    elif request.body is None:
        if op.body_required:
            problems.append("body: missing")
    else:
        problems.extend(f"body/{item}" for item in violations(op.body_pointer, request.body))
    return problems


def walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair inside ``value``, the key being the property a value sits in."""
    yield key, value
    if isinstance(value, dict):
        for name, item in value.items():
            yield from walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, key)


# Property names whose values are enum members (where letta-client 1.7.0 rejects unknown ones).
ENUM_KEYS = frozenset({"message_type", "role", "stop_reason", "status", "type", "job_type"})
ID_FIELDS = {"agent_id": "agent", "run_id": "run", "step_id": "step", "job_id": "job"}
READABLE_MAX = 64
REALISTIC_MAX_ITEMS = 3


def objects_of(value: Any) -> list[dict[str, Any]]:
    """The API objects of a drawn body: the object itself, a list's items, a batch's messages."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    if isinstance(value, dict) and set(value) == {"messages"} and isinstance(value["messages"], list):
        return objects_of(value["messages"])
    return [value] if isinstance(value, dict) else []


def realistic_problems(value: Any, id_prefix: str | None = None) -> list[str]:
    """What makes ``value`` unrealistic: unreadable strings, long arrays, SDK-unsafe values, odd ids."""
    problems: list[str] = []
    for key, item in walk(value):
        if isinstance(item, list) and len(item) > REALISTIC_MAX_ITEMS:
            problems.append(f"{key}: {len(item)} items")
        if not isinstance(item, str):
            continue
        if not (item.isascii() and item.isprintable() and len(item) <= READABLE_MAX):
            problems.append(f"{key}: unreadable {item!r}")
        if item in SDK_UNSAFE_VALUES and (key in ENUM_KEYS or "_" in item):
            problems.append(f"{key}: SDK-unsafe {item!r}")
    for obj in objects_of(value):
        expected = dict(ID_FIELDS)
        if id_prefix is not None:
            expected["id"] = id_prefix
        for field, prefix in expected.items():
            found = obj.get(field)
            if isinstance(found, str) and not id_pattern(prefix).match(found):
                problems.append(f"{field}: {found!r} is not {prefix}-<uuid4>")
    return problems
