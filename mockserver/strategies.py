"""Hypothesis strategies for the Letta Batches & Runs API, read from the operation table.

``from_operation(operation_id, part=...)`` draws whole requests or documented response bodies;
the plural helpers (``batch_jobs()``, ``runs()``, ``letta_messages()``, ...) draw one component
each. Every value is valid by the shipped OpenAPI document. Two modes:

- default: explores the whole schema: any text UTF-8 can encode (NUL included), unbounded
  integers and floats, ``null`` wherever a schema admits it, empty and long arrays, every enum
  value, times from 0001-01-02 to 9999-12-30 with any UTC offset.
- ``realistic=True``: readable strings (ASCII letters, digits, `` .,``, at most 40 characters),
  ``<prefix>-<uuid4>`` ids by field name, times near 2026-01-05, small numbers, arrays of at
  most 3 items, and no enum value or union branch that letta-client 1.7.0 rejects.

In both modes ids whose schema has a known pattern (``Run.id``, ``Message.id``, the path ids)
are ``<prefix>-<uuid4>``, and times are RFC 3339 with an offset. Values are drawn from the
upstream document narrowed by ``schemas/mock-additions.json`` to what the strict mock accepts
(path id formats, a non-empty batch, RunStatus values in ``statuses``), so they are valid by
both.

Objects get their declared properties only (required ones always, the others sometimes), never
undeclared extra keys; free-form objects (``additionalProperties: true`` and no properties) get
arbitrary JSON. Unions with a discriminator (declared or a ``const`` property every branch has)
always carry it, as the server always writes ``message_type``.

Structure (``$ref``, ``anyOf``/``oneOf``, objects, arrays) is turned into strategies once per
JSON pointer and mode and cached; the leaves are handed to hypothesis-jsonschema's
``from_schema`` with ``custom_formats`` for ids, times, URIs and readable text. (Passing whole
schemas to ``from_schema`` re-canonicalises nested schemas on every draw: about a second and a
half per create_batch body.) A node using any other keyword is given whole to ``from_schema``,
with the document's ``components`` attached so that its references resolve.
"""

from __future__ import annotations

import copy
import functools
import json
import operator
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, overload
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis_jsonschema import from_schema

from mockserver._generate import (
    _ID_PREFIX_BY_NAME,
    _ID_PREFIX_BY_TITLE,
    _SDK_SCALAR_ONLY,
    ANCHOR,
    SDK_UNSAFE_VALUES,
    _prefix_from_pattern,
    rfc3339,
)
from mockserver._requests import _NON_NEGATIVE
from mockserver._resources import data_dir
from mockserver._schemas import SchemaSet
from mockserver._spec import (
    Operation,
    OperationTable,
    default_table,
    pointer_escape,
    resolve_pointer,
    schema_types,
)

__all__ = [
    "OperationRequest",
    "batch_jobs",
    "create_batch_requests",
    "from_component",
    "from_operation",
    "jobs",
    "letta_messages",
    "messages",
    "run_metrics",
    "runs",
    "steps",
    "usage_statistics",
]

Part = Literal["request", "response"]
_PARTS: tuple[Part, ...] = ("request", "response")
_REQUEST_KEYS = ("path", "query", "body")
# Keywords that do not constrain a value; a node with only these besides the structural ones is
# walked here, anything else goes whole to hypothesis-jsonschema.
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "discriminator", "$comment", "readOnly"}
    | {"writeOnly", "example"}
)
_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems"})
# Scalars and free-form objects, given to hypothesis-jsonschema as they are.
_LEAF_KEYS = frozenset(
    {"type", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum"}
    | {"exclusiveMaximum", "multipleOf", "additionalProperties"}
)
_ADDITIONS_FILE = "mock-additions.json"
_READABLE = string.ascii_letters + string.digits + " .,"
_READABLE_MAX = 40
_REALISTIC_MAX_ITEMS = 3
_REALISTIC_SPAN = 10_000
_MAX_OFFSET_MINUTES = 24 * 60 - 1


# -- the drawn request -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperationRequest:
    """One request drawn by ``from_operation(..., part="request")``, valid for its operation.

    ``query`` holds JSON values (lists for repeated keys); a parameter that is absent is not
    sent, and none is ever ``None``, since a query string cannot say ``null``. ``body`` is
    ``None`` when the operation has no body or its optional body was left out.
    """

    operation_id: str
    method: str
    path_template: str
    path: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any

    @property
    def url(self) -> str:
        """The path with its parameters filled in, percent-encoded: ``/v1/runs/run-.../steps``."""
        return self.path_template.format(**{k: quote(v, safe="") for k, v in self.path.items()})

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """``query`` as the pairs a client sends: lists repeat the key, booleans are ``true``/``false``."""
        return tuple(
            (name, _query_text(item))
            for name, value in self.query.items()
            for item in (value if isinstance(value, list) else [value])
        )


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- public strategies -------------------------------------------------------------------------


@overload
def from_operation(
    operation_id: str,
    *,
    part: Literal["request"] = ...,
    status: int = ...,
    realistic: bool = ...,
    overrides: Mapping[str, Any] | None = ...,
) -> st.SearchStrategy[OperationRequest]: ...


@overload
def from_operation(
    operation_id: str,
    *,
    part: Literal["response"],
    status: int = ...,
    realistic: bool = ...,
    overrides: Mapping[str, Any] | None = ...,
) -> st.SearchStrategy[Any]: ...


def from_operation(
    operation_id: str,
    *,
    part: Part = "request",
    status: int = 200,
    realistic: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[Any]:
    """A strategy for one part of an operation of the Letta API.

    ``part="request"`` draws an :class:`OperationRequest`: path parameters (``job-<uuid4>`` and
    ``run-<uuid4>`` ids), query parameters and the JSON body, all valid for the operation and
    accepted by the strict mock (its rules beyond the schema are in ``mock-additions.json``).
    A negative ``limit`` is never drawn (the real server fails on one). ``part="response"``
    draws the body documented for ``status``; for an operation answering ``text/event-stream``
    (``retrieve_stream_for_run``) it is one event.

    ``overrides`` fixes fields. For a response it is merged over the drawn object (over every
    item, when the body is a list of objects). For a request it maps ``"path"``, ``"query"`` and
    ``"body"`` to mappings merged over that part; a query value of ``None`` leaves the parameter
    out, and a body override means a body is always sent. Overrides are not validated, so that
    invalid values can be injected on purpose. Bad arguments raise ``InvalidArgument`` at once.
    """
    table = default_table()
    if not isinstance(operation_id, str) or operation_id not in table:
        raise InvalidArgument(
            f"operation_id={operation_id!r} is not an operation of the Letta API; "
            f"expected one of: {', '.join(sorted(table))}"
        )
    op = table[operation_id]
    if part not in _PARTS:
        raise InvalidArgument(f"part={part!r} must be 'request' or 'response'")
    if isinstance(status, bool) or not isinstance(status, int):
        raise InvalidArgument(f"status={status!r} must be an integer HTTP status")
    _check_realistic(realistic)
    overrides = _check_overrides(overrides)
    if part == "request":
        if status != 200:
            raise InvalidArgument(f"status={status!r} applies only to part='response'")
        return _requests(op, realistic, _check_request_overrides(op, overrides))
    if status not in op.responses:
        documented = ", ".join(str(s) for s in sorted(op.responses))
        raise InvalidArgument(
            f"status={status!r} is not documented for {op.label}; expected one of: {documented}"
        )
    media_types = op.responses[status].media_types
    pointer = media_types.get("text/event-stream") or media_types.get("application/json")
    if pointer is None:
        if overrides:
            raise InvalidArgument(f"overrides cannot apply to the {status} response of {op.label}: no body")
        return st.none()
    _check_mergeable(table, pointer, overrides, f"the {status} response of {op.label}")
    return _merged(_node(pointer, realistic), overrides)


def from_component(
    name: str, *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[Any]:
    """Instances of the component schema ``name`` (``#/components/schemas/<name>``).

    ``overrides`` is merged over each drawn object; see :func:`from_operation` for the modes.
    """
    table = default_table()
    names = table.document["components"]["schemas"]
    if not isinstance(name, str) or name not in names:
        raise InvalidArgument(
            f"name={name!r} is not a component schema of the Letta API; "
            f"expected one of: {', '.join(sorted(names))}"
        )
    _check_realistic(realistic)
    overrides = _check_overrides(overrides)
    pointer = f"/components/schemas/{pointer_escape(name)}"
    _check_mergeable(table, pointer, overrides, f"component {name}")
    return _merged(_node(pointer, realistic), overrides)


def batch_jobs(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``BatchJob`` objects, as create/retrieve/list/cancel batch answer them."""
    return from_component("BatchJob", realistic=realistic, overrides=overrides)


def create_batch_requests(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``CreateBatch`` bodies for ``POST /v1/messages/batches``."""
    return from_component("CreateBatch", realistic=realistic, overrides=overrides)


def jobs(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``Job`` objects, as the ``/v1/jobs`` operations answer them."""
    return from_component("Job", realistic=realistic, overrides=overrides)


def letta_messages(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``LettaMessageUnion`` objects (one of the message types), as a run's messages are listed."""
    return from_component("LettaMessageUnion", realistic=realistic, overrides=overrides)


def messages(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``Message`` objects (the stored form), as a batch's messages are listed."""
    return from_component("Message", realistic=realistic, overrides=overrides)


def run_metrics(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``RunMetrics`` objects for ``GET /v1/runs/{run_id}/metrics``."""
    return from_component("RunMetrics", realistic=realistic, overrides=overrides)


def runs(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``Run`` objects."""
    return from_component("Run", realistic=realistic, overrides=overrides)


def steps(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``Step`` objects, as a run's steps are listed."""
    return from_component("Step", realistic=realistic, overrides=overrides)


def usage_statistics(
    *, realistic: bool = False, overrides: Mapping[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``UsageStatistics`` objects for ``GET /v1/runs/{run_id}/usage``."""
    return from_component("UsageStatistics", realistic=realistic, overrides=overrides)


# -- argument checks ---------------------------------------------------------------------------


def _check_realistic(realistic: object) -> None:
    if not isinstance(realistic, bool):
        raise InvalidArgument(f"realistic={realistic!r} must be True or False")


def _check_overrides(overrides: object) -> Mapping[str, Any]:
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise InvalidArgument(
            f"overrides={overrides!r} must be a mapping (a dict), not {type(overrides).__name__}"
        )
    return overrides


def _check_request_overrides(op: Operation, overrides: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    checked: dict[str, Mapping[str, Any]] = {}
    for key, value in overrides.items():
        if key not in _REQUEST_KEYS:
            raise InvalidArgument(
                f"overrides has unknown key {key!r} for a request; expected some of: 'path', 'query', 'body'"
            )
        if not isinstance(value, Mapping):
            raise InvalidArgument(
                f"overrides[{key!r}]={value!r} must be a mapping, not {type(value).__name__}"
            )
        checked[key] = value
    for location in ("path", "query"):
        known = [p.name for p in op.params_in(location)]
        for name in checked.get(location, {}):
            if name not in known:
                allowed = ", ".join(repr(n) for n in known) or "none"
                raise InvalidArgument(
                    f"overrides[{location!r}] has unknown parameter {name!r} for {op.label}; "
                    f"its {location} parameters: {allowed}"
                )
    if "body" in checked and op.body_pointer is None:
        raise InvalidArgument(f"overrides['body'] is given but {op.label} has no request body")
    return checked


def _check_mergeable(table: OperationTable, pointer: str, overrides: Mapping[str, Any], what: str) -> None:
    """Overrides need objects to merge into: an object schema, or an array of them."""
    if not overrides:
        return
    schema = table.schema_at(pointer)
    types = schema_types(table.document, schema)
    if types == {"array"}:
        items = _deref(schema).get("items", {})
        types = schema_types(table.document, items)
    if "object" not in types or not types <= {"object", "null"}:
        raise InvalidArgument(
            f"overrides cannot apply to {what}: its schema is not a JSON object or a list of objects"
        )


def _merged(strategy: st.SearchStrategy[Any], overrides: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    if not overrides:
        return strategy
    fixed = dict(overrides)
    return strategy.map(functools.partial(_merge, fixed))


def _merge(overrides: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict):
        return {**value, **overrides}
    if isinstance(value, list):
        return [_merge(overrides, item) for item in value]
    return value


# -- requests ----------------------------------------------------------------------------------


def _requests(
    op: Operation, realistic: bool, overrides: Mapping[str, Mapping[str, Any]]
) -> st.SearchStrategy[OperationRequest]:
    path = st.fixed_dictionaries({p.name: _path_value(op, p.name, realistic) for p in op.params_in("path")})
    query = st.fixed_dictionaries(
        {p.name: _query_value(op, p.name, realistic) for p in op.params_in("query") if p.required},
        optional={
            p.name: _query_value(op, p.name, realistic) for p in op.params_in("query") if not p.required
        },
    )
    body: st.SearchStrategy[Any] = st.none()
    if op.body_pointer is not None:
        body = _node(op.body_pointer, realistic)
        if not op.body_required and "body" not in overrides:
            body = st.none() | body
    if "path" in overrides:
        path = path.map(functools.partial(_merge, dict(overrides["path"])))
    if "body" in overrides:
        body = body.map(functools.partial(_merge, dict(overrides["body"])))
    # Built by the class itself, so that a failing example prints as `OperationRequest(...)`.
    return st.builds(
        OperationRequest,
        operation_id=st.just(op.operation_id),
        method=st.just(op.method),
        path_template=st.just(op.path),
        path=path,
        query=query.map(functools.partial(_sendable, dict(overrides.get("query", {})))),
        body=body,
    )


def _sendable(overrides: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    """``query`` with ``overrides`` merged in, less the ``None`` values, which a client leaves out."""
    return {name: value for name, value in {**query, **overrides}.items() if value is not None}


def _path_value(op: Operation, name: str, realistic: bool) -> st.SearchStrategy[Any]:
    param = next(p for p in op.params_in("path") if p.name == name)
    return _node(param.pointer, realistic, name)


def _query_value(op: Operation, name: str, realistic: bool) -> st.SearchStrategy[Any]:
    """Values a client can send: never ``None`` (a query string cannot say null)."""
    param = next(p for p in op.params_in("query") if p.name == name)
    schema = _schema_at(param.pointer)
    union = _union_key(schema)
    if union is None:
        strategy = _node(param.pointer, realistic, name)
    else:
        branches = [
            _node(f"{param.pointer}/{union}/{i}", realistic, name)
            for i, branch in enumerate(schema[union])
            if schema_types(_document(), branch) != {"null"}
        ]
        strategy = st.one_of(branches)
    if name in _NON_NEGATIVE:
        # `0 <= value` as a partial, which Hypothesis turns into a bound on integers() instead of a filter.
        strategy = strategy.filter(functools.partial(operator.le, 0))
    return strategy


# -- the walk ----------------------------------------------------------------------------------


@functools.cache
def _document() -> Mapping[str, Any]:
    """The document values are drawn from: upstream, narrowed to what the strict mock accepts.

    ``schemas/mock-additions.json`` lists what the server refuses beyond the upstream schema (the
    id format of path parameters, ``schema_patches`` such as a non-empty batch); the served
    document of the strict mode applies the same. Narrowing only, so that every value drawn is
    valid by the upstream document too, and pointers stay those of the operation table.
    """
    document: dict[str, Any] = copy.deepcopy(dict(default_table().document))
    with (data_dir("schemas") / _ADDITIONS_FILE).open(encoding="utf-8") as fh:
        additions: dict[str, Any] = json.load(fh)
    for pointer, patch in additions.get("schema_patches", {}).items():
        resolve_pointer(document, pointer).update(copy.deepcopy(patch))
    id_patterns: Mapping[str, str] = additions.get("id_patterns", {})
    for item in document["paths"].values():
        for operation in item.values():
            for param in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                pattern = id_patterns.get(param.get("name"))
                if param.get("in") == "path" and pattern is not None:
                    param["schema"] = {**param["schema"], "pattern": pattern}
    return document


def _schema_at(pointer: str) -> Any:
    return resolve_pointer(_document(), pointer)


def _deref(schema: Any) -> Any:
    while isinstance(schema, Mapping) and "$ref" in schema:
        schema = _schema_at(schema["$ref"].removeprefix("#"))
    return schema


def _union_key(schema: Any) -> str | None:
    if not isinstance(schema, Mapping):
        return None
    for key in ("anyOf", "oneOf"):
        if key in schema and set(schema) - _ANNOTATIONS == {key}:
            return key
    return None


@functools.cache
def _node(
    pointer: str,
    realistic: bool,
    name: str | None = None,
    owner: str | None = None,
    force: frozenset[str] = frozenset(),
) -> st.SearchStrategy[Any]:
    """Values of the schema at ``pointer``; ``name``/``owner`` are the property and object it is in."""
    schema = _schema_at(pointer)
    if isinstance(schema, bool):
        return _leaf(pointer, realistic, name, owner)
    keys = set(schema) - _ANNOTATIONS
    if keys == {"$ref"}:
        target = schema["$ref"].removeprefix("#")
        if not schema["$ref"].startswith("#/"):
            return _fallback(pointer)
        # Deferred: no schema of the document is recursive, but building stays lazy and would cope.
        return st.deferred(lambda: _node(target, realistic, name, owner, force))
    union = _union_key(schema)
    if union is not None:
        return _union(pointer, union, realistic, name, owner)
    kind = schema.get("type")
    if keys & {"enum", "const"} and keys <= {"enum", "const", "type"}:
        return _choices(schema, realistic)
    if kind == "object" and "properties" in schema and keys <= _OBJECT_KEYS:
        return _object(pointer, realistic, force)
    if kind == "array" and keys <= _ARRAY_KEYS:
        low = int(schema.get("minItems", 0))
        high = _max_items(low, schema.get("maxItems"), realistic)
        if "items" not in schema:
            return st.lists(_leaf_any(realistic), min_size=low, max_size=high)
        return st.lists(_node(f"{pointer}/items", realistic, name, owner), min_size=low, max_size=high)
    if keys <= _LEAF_KEYS and kind != "array":
        return _leaf(pointer, realistic, name, owner)
    return _fallback(pointer)


def _max_items(low: int, high: int | None, realistic: bool) -> int | None:
    if not realistic:
        return high
    return max(low, _REALISTIC_MAX_ITEMS) if high is None else min(high, max(low, _REALISTIC_MAX_ITEMS))


def _choices(schema: Mapping[str, Any], realistic: bool) -> st.SearchStrategy[Any]:
    values = list(schema["enum"]) if "enum" in schema else [schema["const"]]
    if "enum" in schema and "const" in schema:
        values = [v for v in values if v == schema["const"]]
    if realistic:
        values = [v for v in values if v not in SDK_UNSAFE_VALUES] or values
    return st.sampled_from(values)


def _object(pointer: str, realistic: bool, force: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    schema = _schema_at(pointer)
    title = schema.get("title")
    required = set(schema.get("required", ())) | force
    properties: Mapping[str, Any] = schema["properties"]
    fields = {
        prop: _node(f"{pointer}/properties/{pointer_escape(prop)}", realistic, prop, title)
        for prop in properties
    }
    missing = required - set(properties)
    if missing:  # a required property with no schema: anything goes
        fields.update({prop: _leaf_any(realistic) for prop in missing})
    return st.fixed_dictionaries(
        {p: s for p, s in fields.items() if p in required},
        optional={p: s for p, s in fields.items() if p not in required},
    )


def _union(
    pointer: str, key: str, realistic: bool, name: str | None, owner: str | None
) -> st.SearchStrategy[Any]:
    schema = _schema_at(pointer)
    branches = [_deref(b) for b in schema[key]]
    tag = _discriminator(schema, branches)
    chosen = list(range(len(branches)))
    if realistic:
        safe = [i for i in chosen if not _sdk_unsafe_branch(branches[i], name, tag)]
        chosen = safe or chosen
    force = frozenset({tag}) if tag else frozenset()
    options = [
        _node(
            f"{pointer}/{key}/{i}",
            realistic,
            name,
            owner,
            force if _has_property(branches[i], tag) else frozenset(),
        )
        for i in chosen
    ]
    strategy = st.one_of(options)
    if key == "oneOf" and not (tag and _distinct_consts(branches, tag)):
        # Each value came from one branch; it must not match another one as well.
        strategy = strategy.filter(_strict().validator(pointer).is_valid)
    return strategy


def _discriminator(schema: Mapping[str, Any], branches: Sequence[Any]) -> str | None:
    """The declared discriminator, or a property every branch fixes with a ``const`` of its own."""
    declared = schema.get("discriminator", {}).get("propertyName")
    if isinstance(declared, str):
        return declared
    if len(branches) < 2 or not all(isinstance(b, Mapping) and "properties" in b for b in branches):
        return None
    candidates: set[str] = set.intersection(*(set(b["properties"]) for b in branches))
    for prop in sorted(candidates):
        if _distinct_consts(branches, prop):
            return prop
    return None


def _has_property(branch: Any, prop: str | None) -> bool:
    return prop is not None and isinstance(branch, Mapping) and prop in branch.get("properties", {})


def _distinct_consts(branches: Sequence[Any], prop: str) -> bool:
    consts = []
    for branch in branches:
        if not _has_property(branch, prop) or "const" not in branch["properties"][prop]:
            return False
        consts.append(branch["properties"][prop]["const"])
    return len(set(map(repr, consts))) == len(consts)


def _sdk_unsafe_branch(branch: Any, name: str | None, tag: str | None) -> bool:
    if not isinstance(branch, Mapping):
        return False
    if name in _SDK_SCALAR_ONLY and branch.get("type") == "array":
        return True
    tag_schema = branch.get("properties", {}).get(tag or "message_type", {})
    return tag_schema.get("const") in SDK_UNSAFE_VALUES


@functools.cache
def _strict() -> SchemaSet:
    return SchemaSet(default_table().document, "strict")


# -- leaves: hypothesis-jsonschema with custom formats -----------------------------------------


def _ids(prefix: str) -> st.SearchStrategy[str]:
    return st.uuids(version=4).map(lambda u: f"{prefix}-{u}")


def _times(realistic: bool) -> st.SearchStrategy[str]:
    """RFC 3339 with an offset. Realistic: UTC (``Z``) within 30 days of 2026-01-05."""
    if realistic:
        return st.integers(0, 30 * 86_400_000).map(lambda ms: rfc3339(ANCHOR + timedelta(milliseconds=ms)))
    # Years 1..9999 less a day at each end, so that converting to UTC never leaves datetime's range.
    offsets = st.just(UTC) | st.integers(-_MAX_OFFSET_MINUTES, _MAX_OFFSET_MINUTES).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    moments = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=offsets)
    return st.builds(_time_text, moments, st.booleans())


def _time_text(moment: datetime, zulu: bool) -> str:
    text = moment.isoformat()
    return text.removesuffix("+00:00") + "Z" if zulu and text.endswith("+00:00") else text


def _readable(low: int, high: int | None) -> st.SearchStrategy[str]:
    upper = _READABLE_MAX if high is None else min(high, max(low, _READABLE_MAX))
    return st.text(_READABLE, min_size=low, max_size=max(low, upper))


def _id_prefix(schema: Mapping[str, Any], name: str | None, owner: str | None, realistic: bool) -> str | None:
    """The ``<prefix>`` of ``<prefix>-<uuid4>`` for an id field, if the field is one."""
    pattern = schema.get("pattern")
    by_owner = _ID_PREFIX_BY_TITLE.get(owner or "")
    if owner and owner.endswith("Message") and by_owner is None:
        by_owner = "message"
    if pattern is not None:
        prefix = _prefix_from_pattern(pattern) or (by_owner if name == "id" else None)
        sample = f"{prefix}-00000000-0000-4000-8000-000000000000"
        return prefix if prefix and re.search(pattern, sample) else None
    if not realistic or name is None:
        return None
    if name == "id":
        return by_owner
    singular = name.removesuffix("s") if name.endswith("_ids") else name
    return _ID_PREFIX_BY_NAME.get(singular)


def _leaf(pointer: str, realistic: bool, name: str | None, owner: str | None) -> st.SearchStrategy[Any]:
    schema = _schema_at(pointer)
    if isinstance(schema, bool) or not (set(schema) - _ANNOTATIONS):
        return _leaf_any(realistic) if schema is not False else st.nothing()
    schema = dict(schema)
    formats: dict[str, st.SearchStrategy[str]] = {}
    kind = schema.get("type")
    keys = set(schema) - _ANNOTATIONS - {"type", "additionalProperties"}
    if kind == "string":
        prefix = _id_prefix(schema, name, owner, realistic)
        if prefix is not None:
            schema["format"] = f"letta-id-{prefix}"
            formats[schema["format"]] = _ids(prefix)
        elif schema.get("format") == "date-time":
            # Renamed: overriding a standard format makes hypothesis-jsonschema warn.
            schema["format"] = "letta-date-time"
            formats["letta-date-time"] = _times(realistic)
        elif realistic and schema.get("format") == "uri":
            schema["format"] = "letta-uri"
            formats["letta-uri"] = st.sampled_from(("callback", "hooks/letta", "done")).map(
                "https://example.com/{}".format
            )
        elif realistic and "format" not in schema and "pattern" not in schema:
            schema["format"] = "letta-text"
            formats["letta-text"] = _readable(int(schema.get("minLength", 0)), schema.get("maxLength"))
    elif kind in ("integer", "number") and realistic:
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None:
            low = 0 if high is None or high >= 0 else high - _REALISTIC_SPAN
        schema.update(minimum=low, maximum=low + _REALISTIC_SPAN if high is None else high)
    elif kind == "object" and schema.get("additionalProperties", True) in (True, {}) and keys <= {"type"}:
        # Free-form: drawn here, as hypothesis-jsonschema rebuilds the value strategy for every key.
        return _readable_objects() if realistic else st.dictionaries(st.text(), from_schema({}))
    if _refers(schema):
        schema["components"] = _document()["components"]
    return from_schema(schema, custom_formats=formats or None)


def _refers(node: Any) -> bool:
    if isinstance(node, Mapping):
        return "$ref" in node or any(_refers(v) for v in node.values())
    return isinstance(node, list) and any(_refers(v) for v in node)


def _leaf_any(realistic: bool) -> st.SearchStrategy[Any]:
    if not realistic:
        return from_schema({})
    scalars = st.none() | st.booleans() | st.integers(0, _REALISTIC_SPAN) | _readable(0, None)
    return scalars | _readable_objects()


def _readable_objects() -> st.SearchStrategy[dict[str, Any]]:
    scalars = st.booleans() | st.integers(0, _REALISTIC_SPAN) | _readable(0, None)
    keys = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)
    return st.dictionaries(keys, scalars, max_size=_REALISTIC_MAX_ITEMS)


def _fallback(pointer: str) -> st.SearchStrategy[Any]:
    """The node whole to hypothesis-jsonschema, with the components its references need."""
    schema = _schema_at(pointer)
    if isinstance(schema, bool):
        return from_schema(schema)
    return from_schema({**schema, "components": _document()["components"]})
