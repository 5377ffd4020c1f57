"""Turning a raw request into validated values, the way FastAPI would.

Query strings are coerced before validation (``"5"`` -> ``5``, ``"true"`` -> ``True``,
repeated keys -> lists) and defaults are applied; the body is parsed as JSON only when the
operation has one. Everything wrong is collected into one list of violations, each with
a ``loc`` that starts with ``path``, ``query`` or ``body``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockserver._contract.errors import BadRequest, RequestInvalid
from mockserver._contract.models import check_create_batch
from mockserver._contract.spec import NO_DEFAULT, Operation, OperationTable
from mockserver._contract.validation import SchemaSet, Violation

_INT = re.compile(r"^[+-]?\d+$", re.ASCII)  # `int()` also reads other scripts' digits; pydantic does not
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})
# Limits the mock enforces although the schema has no bound: a negative `limit` makes the
# real server fail with a database error (500), which a client should never have to meet.
_NON_NEGATIVE = frozenset({"limit"})
# Python refuses to convert longer digit strings (ValueError, which would be a 500).
_MAX_INT_CHARS = 4300
MAX_JSON_DEPTH = 512
"""Deepest JSON body accepted. A body just under the decoder's recursion limit would be stored and then
fail to encode inside the deeper documents that embed it (a list, ``GET /_mock/state``): a 500 forever."""


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    operation: Operation
    path: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any
    provided: frozenset[str] = field(default_factory=frozenset)
    """Query parameter names the client actually sent (as opposed to defaults)."""


def _parse_scalar(raw: str, types: frozenset[str]) -> tuple[Any, Violation | None]:
    """Coerce one query-string value to the first type the schema allows."""
    if "string" in types:
        return raw, None
    if "integer" in types:
        if _INT.match(raw.strip()) and len(raw) <= _MAX_INT_CHARS:
            return int(raw), None
        return raw, Violation(
            (), "Input should be a valid integer, unable to parse string as an integer", "int_parsing"
        )
    if "number" in types:
        try:
            value = float(raw)
        except ValueError:
            return raw, Violation(
                (), "Input should be a valid number, unable to parse string as a number", "float_parsing"
            )
        if value != value or value in (float("inf"), float("-inf")):
            return raw, Violation((), "Input should be a finite number", "finite_number")
        return value, None
    if "boolean" in types:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return raw, Violation(
            (), "Input should be a valid boolean, unable to interpret input", "bool_parsing"
        )
    return raw, None


def parse_query(
    table: OperationTable, schemas: SchemaSet, op: Operation, items: Sequence[tuple[str, str]]
) -> tuple[dict[str, Any], frozenset[str], list[Violation]]:
    grouped: dict[str, list[str]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(value)
    values: dict[str, Any] = {}
    problems: list[Violation] = []
    for param in op.params_in("query"):
        loc = ("query", param.name)
        raw = grouped.get(param.name)
        if raw is None:
            if param.required:
                problems.append(Violation(loc, "Field required", "missing"))
            elif param.default is not NO_DEFAULT:
                values[param.name] = param.default
            continue
        if param.is_array:
            types = param.item_types
            before = len(problems)
            parsed = []
            for index, one in enumerate(raw):
                value, problem = _parse_scalar(one, types)
                if problem:
                    problems.append(Violation((*loc, index), problem.msg, problem.type))
                parsed.append(value)
            if len(problems) == before:
                problems.extend(schemas.violations(param.pointer, parsed, loc))
            values[param.name] = parsed
            continue
        value, problem = _parse_scalar(raw[-1], param.types)
        if problem:
            problems.append(Violation(loc, problem.msg, problem.type))
            continue
        if param.name in _NON_NEGATIVE and isinstance(value, int) and value < 0:
            if schemas.level == "strict":
                message = "Input should be greater than or equal to 0"
                problems.append(Violation(loc, message, "greater_than_equal", {"ge": 0}))
                continue
            values[param.name] = 0  # lenient: no range is enforced, and a negative page is empty
            continue
        problems.extend(schemas.violations(param.pointer, value, loc))
        values[param.name] = value
    return values, frozenset(k for k in grouped if k in values), problems


def parse_path(schemas: SchemaSet, op: Operation, raw: Mapping[str, str]) -> list[Violation]:
    problems: list[Violation] = []
    for param in op.params_in("path"):
        problems.extend(schemas.violations(param.pointer, raw[param.name], ("path", param.name)))
    return problems


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(raw: bytes, content_type: str) -> tuple[Any, list[Violation]]:
    """Parse a JSON body; problems are violations at ``loc`` ``["body", ...]``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media and not (media == "application/json" or media.endswith("+json")):
        return None, [
            Violation(
                ("body",),
                f"Content-Type must be application/json, got {media!r}",
                "content_type",
                {"expected": "application/json"},
            )
        ]
    fast = _fast_decode(raw)
    if fast is not _SLOW:
        return fast, []
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [Violation(("body", exc.pos), "JSON decode error", "json_invalid", {"error": exc.msg})]
    except ValueError as exc:  # NaN/Infinity, or bytes that are not UTF-8
        return None, [Violation(("body",), "JSON decode error", "json_invalid", {"error": str(exc)})]
    except RecursionError:
        return None, [_TOO_DEEP]
    problem = _unanswerable(value)
    return (None, [problem]) if problem is not None else (value, [])


_SLOW = object()
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_NUMBER = b"0" * 19
"""Integers orjson cannot hold in 64 bits have 19 digits or more. Translating the body and searching it for
this run costs ~0.3 us for a one-request batch, where ``re`` takes ~2.4 us to look for ``\\d{19}``."""


def _fast_decode(raw: bytes) -> Any:
    """A speed seam: orjson parses a body about five times faster than ``json.loads`` (bench/instructions.py,
    ``create_batch``: decoding and walking the body was a quarter of a create without its backend). It
    refuses by itself all that :func:`_unanswerable` looks for (NaN, numbers out of float range, lone
    surrogates, bytes that are not UTF-8) but nesting between our limit and its own. A body that could nest
    that deep (more opening brackets than our limit) is read inside :data:`_PAD` arrays, so that orjson's
    own limit is ours: a 100k-record snapshot (``PUT /_mock/state``) costs one parse, where walking it for
    its depth took longer than the parse. Anything orjson refuses, or might read differently (integers past
    64 bits, which it turns into floats), takes the standard library's path, so every error message stays
    the one ``json`` gives and every value the one it reads."""
    if _LONG_NUMBER in raw.translate(_DIGITS_AS_ZEROS):
        return _SLOW
    padded = _PAD > 0 and raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH
    try:
        value = orjson.loads(b"[" * _PAD + raw + b"]" * _PAD if padded else raw)
    except orjson.JSONDecodeError:
        return _SLOW
    for _ in range(_PAD if padded else 0):
        # Each array of the padding holds the one value it was put around; more (`1],[2`), or none,
        # means the body closed the padding's arrays itself: not JSON, and `json` says why.
        if len(value) != 1:
            return _SLOW
        value = value[0]
    return value


def loads(raw: bytes) -> Any:
    """``json.loads(raw)``: the same value, the same errors, read by orjson wherever it reads the same
    (files the mock loads: ``--state`` snapshots, fixtures)."""
    fast = _fast_decode(raw)
    return json.loads(raw) if fast is _SLOW else fast


def _orjson_depth() -> int:
    """How many nested containers orjson reads (1,024 in 3.13; found, not assumed, as it may change)."""
    low, high = 1, 1 << 14
    while low < high:
        middle = (low + high + 1) // 2
        try:
            orjson.loads(b"[" * middle + b"]" * middle)
            low = middle
        except orjson.JSONDecodeError:
            high = middle - 1
    return low


_PAD = _orjson_depth() - MAX_JSON_DEPTH
"""Arrays around a body that could nest too deeply: ``MAX_JSON_DEPTH`` nested containers are the most we
take, so the padding leaves orjson room for exactly that many. Not positive: orjson refuses such a body
itself, and the standard library's path judges it."""


_TOO_DEEP = Violation(
    ("body",),
    "JSON decode error",
    "json_invalid",
    {"error": f"JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)"},
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unanswerable(value: Any) -> Violation | None:
    """What parsed but could not be stored and sent back: nesting deeper than :data:`MAX_JSON_DEPTH`, a
    lone surrogate (``"\\ud800"``: no UTF-8 answer can carry it), a number out of float range (``1e400``).
    Walked without recursion; the location is kept as a linked ``(parent, key)`` chain until needed."""
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return _TOO_DEEP
            for key, child in node.items() if isinstance(node, dict) else enumerate(node):
                if isinstance(key, str) and _SURROGATE.search(key):
                    shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
                    return Violation((*_loc(where), shown), _NOT_UNICODE, "string_unicode")
                if isinstance(child, dict | list | str | float):
                    stack.append((child, depth + 1, (where, key)))
        elif isinstance(node, str):
            if _SURROGATE.search(node):
                return Violation(_loc(where), _NOT_UNICODE, "string_unicode")
        elif isinstance(node, float) and not math.isfinite(node):
            return Violation(_loc(where), "Input should be a finite number", "finite_number")
    return None


_NOT_UNICODE = "Input should be a valid string, unable to parse raw data as a unicode string"


def _loc(where: Any) -> tuple[str | int, ...]:
    keys: list[str | int] = []
    while where is not None:
        where, key = where
        keys.append(key)
    return ("body", *reversed(keys))


def parse_body(
    schemas: SchemaSet, op: Operation, raw: bytes, content_type: str
) -> tuple[Any, list[Violation]]:
    if op.body_pointer is None:
        return None, []
    if not raw.strip():
        if op.body_required:
            return None, [Violation(("body",), "Field required", "missing")]
        return None, []
    body, problems = decode_json(raw, content_type)
    if problems:
        return None, problems
    return body, schemas.violations(op.body_pointer, body, ("body",))


def parse_request(
    table: OperationTable,
    schemas: SchemaSet,
    op: Operation,
    path: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    body: bytes,
    content_type: str,
) -> ParsedRequest:
    """Validate and coerce one request, or raise :class:`RequestInvalid` listing every problem."""
    problems = parse_path(schemas, op, path)
    values, provided, query_problems = parse_query(table, schemas, op, query)
    problems.extend(query_problems)
    parsed_body, body_problems = parse_body(schemas, op, body, content_type)
    if op.operation_id == "create_batch" and schemas.level != "off":
        parsed_body, body_problems = check_create_batch(parsed_body, schemas.level, body_problems)
    problems.extend(body_problems)
    if problems and schemas.level != "off":
        raise RequestInvalid(op, problems)
    if problems:  # `off`: keep what could be parsed, drop the rest
        parsed_body = parsed_body if not body_problems else None
    return ParsedRequest(op, dict(path), values, parsed_body, provided)


_UUID4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
# Batch and run path ids are plain strings in the schema; the real server checks them in code
# (`raise_on_invalid_id`) and answers 400. Job ids are checked by the schema itself (422).
_ID_RULES = {
    "batch_id": ("job", re.compile(f"^job-{_UUID4}$")),
    "run_id": ("run", re.compile(f"^run-{_UUID4}$")),
}


def batch_requests(body: Any) -> list[Any]:
    """The requests of a ``create_batch`` body, or the real server's 400 when there are none.

    The one statement of that rule: the strict check, the stateful answer (every validation level)
    and batches seeded at start-up all ask here. The served document says ``minItems: 1``.
    """
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        raise BadRequest("Empty list of batch_requests passed in!")  # `ValueError` -> 400 there
    return requests


def check_semantics(table: OperationTable, level: str, request: ParsedRequest) -> None:
    """Rules the real server enforces in code rather than in its schema (strict level only)."""
    if level != "strict":
        return
    if request.operation.operation_id == "create_batch":
        batch_requests(request.body)
    for name, value in request.path.items():
        rule = _ID_RULES.get(name)
        if rule is not None and not rule[1].match(value):
            prefix = rule[0]
            raise BadRequest(
                f"INVALID_ARGUMENT: Invalid {prefix} ID format: {value}. Expected format: '{prefix}-<uuid4>'"
            )
    statuses = request.query.get("statuses")
    if request.operation.operation_id == "list_runs" and statuses:
        known = table.component("RunStatus")["enum"]
        for status in statuses:
            if status not in known:
                # The real server answers this from `RunStatus(s)`: a ValueError, hence 400.
                raise BadRequest(f"{status!r} is not a valid RunStatus")
