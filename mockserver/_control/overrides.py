"""Custom responses in code: a function of the request replaces one operation's answer.

Register with ``MockServer.override(operation_id, function)``. The function gets a
:class:`MockRequest` (already validated) and returns a :class:`MockResponse`, any JSON value
(answered with 200), or ``None`` to fall back to the mock's own answer. It may be a
coroutine function. It runs on the server's event loop, so it must not block for long.

An override's answer is held to the contract like the mock's own: its JSON body is validated
against the operation's documented schema for its status, and what does not match is
journaled as the override's violation (``"source": "override"``, ``loc`` under ``response``).
For a cursor-paged list operation, a list answered is the whole collection, oldest first, and
is paged by the request's ``limit``, ``order``, ``before`` and ``after`` as the mock's own
lists are, so that an SDK's auto-pagination ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver._answers.backend import JsonReply
from mockserver._answers.paging import page_by_query
from mockserver._contract.parsing import ParsedRequest
from mockserver._contract.spec import Operation, OperationTable
from mockserver._contract.validation import SchemaSet, Violation


@dataclass(frozen=True)
class MockRequest:
    operation_id: str
    method: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, Any]
    """Query parameters as validated: coerced to their types, defaults applied."""
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class MockResponse:
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    paginate: bool = True
    """For a list operation answering a list: page it by the request's cursors (the list is the
    whole collection, oldest first). ``False``: the body is already the page, sent as it is."""


Override = Callable[[MockRequest], Any]
"""Returns a :class:`MockResponse`, a JSON value, ``None`` (the default answer), or an awaitable of those."""


def _is_cursor_list(table: OperationTable, op: Operation) -> bool:
    """A list its clients walk page by page (``after=<last id>``): an array answer and an ``after`` cursor."""
    pointer = op.success.json_pointer
    return (
        pointer is not None
        and table.schema_at(pointer).get("type") == "array"
        and any(param.name == "after" for param in op.params_in("query"))
    )


def override_reply(
    table: OperationTable, schemas: SchemaSet, parsed: ParsedRequest, result: Any
) -> tuple[JsonReply, list[Violation]]:
    """The answer for what an override returned (not ``None``), and how it breaks the contract."""
    response = result if isinstance(result, MockResponse) else MockResponse(body=result)
    body = response.body
    op = parsed.operation
    if (
        isinstance(body, list)
        and response.paginate
        and 200 <= response.status < 300
        and _is_cursor_list(table, op)
    ):
        body = page_by_query(body, parsed.query, parsed.provided, op.operation_id)
    return JsonReply(body, response.status, response.headers), answer_violations(
        schemas, op, response.status, body
    )


def answer_violations(schemas: SchemaSet, op: Operation, status: int, body: Any) -> list[Violation]:
    """How a JSON answer breaks the schema documented for ``status`` (nothing to check if none is)."""
    spec = op.responses.get(status)
    pointer = spec.json_pointer if spec is not None else None
    if pointer is None:
        return []
    return schemas.violations(pointer, body, ("response",))
