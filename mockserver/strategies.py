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

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver._contract.parsing import _NON_NEGATIVE
from mockserver._contract.spec import (
    Operation,
    OperationTable,
    default_table,
    pointer_escape,
    schema_types,
)
from mockserver._fuzzing.schema_walk import _node, _refs, _schema_at, _union_key

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
    types = schema_types(table.refs, schema)
    if types == {"array"}:
        items = table.deref(schema).get("items", {})
        types = schema_types(table.refs, items)
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
            if schema_types(_refs(), branch) != {"null"}
        ]
        strategy = st.one_of(branches)
    if name in _NON_NEGATIVE:
        # `0 <= value` as a partial, which Hypothesis turns into a bound on integers() instead of a filter.
        strategy = strategy.filter(functools.partial(operator.le, 0))
    return strategy
