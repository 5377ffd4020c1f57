"""Property tests: generated valid requests get 2xx and documented bodies; invalid ones get 4xx, never 5xx.

Strategies come from the operation table's schemas through hypothesis-jsonschema. It needs
self-contained schemas, so each sub-schema gets ``"components": document["components"]`` at its
root, where its ``#/components/schemas/...`` refs then resolve. No schema of the document is
recursive (``test_no_component_schema_is_recursive``), so every strategy is finite.

Where the schema admits more than the strict server accepts, generation follows the real
server's rules, which the mock enforces too: ``statuses`` must be RunStatus values (else 400),
``limit`` is never negative (a mock rule; the real server fails with a database error),
create_batch's ``requests`` is not empty (else 400), and a ``batch_id``/``run_id`` path id, a
plain string in the schema, must be ``job-``/``run-`` plus a lower-case uuid4 (else 400). Values
breaking those rules are among the invalid requests. The lenient server checks none of them:
there, any printable id in those paths gets 2xx.

One schema is narrowed for speed only: create_batch's ``requests`` is capped at 2 items, since
hypothesis-jsonschema re-canonicalises each nested message schema on every draw (about 0.4 s per
item); everything else a request item may hold is generated.

``LETTA_MOCK_EXAMPLES`` raises the number of examples per property (default 25).
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from sse import sse_payloads

from mockserver import MockServer, Operation, OperationTable, default_table
from mockserver._answers.backend import JsonReply, StreamReply
from mockserver._answers.fixtures import load_response_fixtures
from mockserver._answers.stateless import StatelessBackend
from mockserver._contract.generate import DataGenerator
from mockserver._contract.parsing import parse_request
from mockserver._contract.resources import data_dir
from mockserver._contract.spec import resolve_pointer
from mockserver._contract.validation import SchemaSet

EXAMPLES = examples(25)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TABLE = default_table()
DOCUMENT: Mapping[str, Any] = TABLE.document
STRICT = SchemaSet(DOCUMENT, "strict")
LENIENT = SchemaSet(DOCUMENT, "lenient")
OPERATION_IDS = list(TABLE)
STREAM = "retrieve_stream_for_run"
CREATE_BATCH_MAX_REQUESTS = 2
# Plain-string path ids the real server checks in code (`raise_on_invalid_id`): name -> prefix.
SERVER_ID_PREFIXES = {"batch_id": "job", "run_id": "run"}
_NO_BODY: Any = object()
# The query-string spellings of booleans the server understands (FastAPI's), so never "invalid".
_BOOLEAN_WORDS = frozenset({"true", "1", "yes", "on", "t", "y", "false", "0", "no", "off", "f", "n"})


@dataclass(frozen=True)
class Call:
    """One HTTP request, ready to send."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    body: Any = _NO_BODY
    raw_body: bytes | None = None

    def send(self, client: httpx.Client) -> httpx.Response:
        if self.raw_body is not None:
            headers = {"content-type": "application/json"}
            return client.request(
                self.method, self.url, params=self.params, content=self.raw_body, headers=headers
            )
        if self.body is _NO_BODY:
            return client.request(self.method, self.url, params=self.params)
        return client.request(self.method, self.url, params=self.params, json=self.body)


@pytest.fixture(scope="module")
def client(stateless_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stateless_server.url, timeout=30) as http_client:
        yield http_client


@pytest.fixture(scope="module")
def lenient_client(lenient_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lenient_server.url, timeout=30) as http_client:
        yield http_client


# -- schemas and strategies --------------------------------------------------------------------


def self_contained(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with the document's components at its root, so its refs resolve inside it."""
    return {**copy.deepcopy(dict(schema)), "components": DOCUMENT["components"]}


def _deref(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = resolve_pointer(DOCUMENT, schema["$ref"].removeprefix("#"))
    return schema


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    schema = _deref(schema)
    if "anyOf" in schema:
        return [b for branch in schema["anyOf"] for b in _branches(branch)]
    return [schema]


def _is_plain_string(schema: Mapping[str, Any]) -> bool:
    """A string schema with no constraint at all on its value."""
    constraints = {"pattern", "format", "minLength", "maxLength", "enum", "const"}
    return _deref(schema).get("type") == "string" and not constraints & set(_deref(schema))


def _query_schema(op: Operation, name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema valid values of one query parameter are generated from."""
    if op.operation_id == "list_runs" and name == "statuses":
        # The server parses each status with `RunStatus(s)`: any other string is a 400.
        return self_contained({"type": "array", "items": {"$ref": "#/components/schemas/RunStatus"}})
    if name == "limit":
        # Mock rule (the real server fails with a database error): `limit` is never negative.
        return self_contained({"allOf": [dict(schema), {"anyOf": [{"minimum": 0}, {"type": "null"}]}]})
    return self_contained(schema)


def printable_ids() -> st.SearchStrategy[str]:
    """Printable ids that stay one path segment: no '/', '?', '#', '%', and not a dot segment."""
    characters = st.characters(
        codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="/?#%"
    )
    return st.text(characters, min_size=1, max_size=40).filter(lambda s: s not in (".", ".."))


def server_ids(prefix: str) -> st.SearchStrategy[str]:
    """``<prefix>-<uuid4>`` in lower case: the only batch/run ids the strict server accepts."""
    return st.uuids(version=4).map(lambda uuid: f"{prefix}-{uuid}")


def _is_server_id(prefix: str) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        head, _, tail = value.partition("-")
        return head == prefix and tail == tail.lower() and _is_uuid4(tail)

    return check


def _is_uuid4(text: str) -> bool:
    parts = text.split("-")
    if [len(p) for p in parts] != [8, 4, 4, 4, 12] or not all(set(p) <= set(string.hexdigits) for p in parts):
        return False
    return parts[2][0] == "4" and parts[3][0].lower() in "89ab"


def _path_strategy(name: str, schema: Mapping[str, Any], *, lenient: bool) -> st.SearchStrategy[Any]:
    if not _is_plain_string(schema):
        return from_schema(self_contained(schema))
    if name in SERVER_ID_PREFIXES and not lenient:
        return server_ids(SERVER_ID_PREFIXES[name])
    return printable_ids()


def _encode_query(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []  # a query string cannot say `null`: absent is how a client sends it
    if isinstance(value, list):
        return [pair for item in value for pair in _encode_query(name, item)]
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema's integer 0.0: a client writes it as 0
    return [(name, str(value))]


def _url(op: Operation, path_values: Mapping[str, str]) -> str:
    return op.path.format(**{name: quote(value, safe="") for name, value in path_values.items()})


def _exactly_one(body: Any) -> Any:
    """A drawn ``CreateBatch`` body made to give each request exactly one of ``input`` and ``messages``
    (the real server's request model; the schema cannot say it in a way generation copes with)."""
    for item in body["requests"]:
        if item.get("input") is None and item.get("messages") is None:
            item["input"] = "hi"
        elif item.get("input") is not None and item.get("messages") is not None:
            del item["messages"]
    return body


def _body_schema(op: Operation) -> dict[str, Any]:
    assert op.body_pointer is not None
    schema = dict(_deref(TABLE.schema_at(op.body_pointer)))
    if op.operation_id == "create_batch":
        # minItems: the server's rule (an empty list is a 400); maxItems: for speed only.
        requests = {**schema["properties"]["requests"], "minItems": 1, "maxItems": CREATE_BATCH_MAX_REQUESTS}

        # pydantic's HttpUrl: an http(s) URL with a host (the document says only `format: uri`).
        url = {
            "type": "string",
            "pattern": r"^https?://[a-z][a-z0-9-]{0,20}(\.[a-z]{2,5})?(:[1-9][0-9]{0,3})?(/[A-Za-z0-9_-]{0,10})*$",
        }
        properties = {
            **schema["properties"],
            "requests": requests,
            "callback_url": {"anyOf": [url, {"type": "null"}]},
        }
        schema = {**schema, "properties": properties}
    return self_contained(schema)


@cache
def valid_calls(
    operation_id: str, *, with_body: bool = True, lenient: bool = False
) -> st.SearchStrategy[Call]:
    """Requests valid by the operation's schemas and the server's rules.

    ``with_body=False`` leaves the body out (to be replaced); ``lenient=True`` draws the
    batch/run path ids from all printable ids, as the lenient server accepts them.
    """
    op = TABLE[operation_id]
    path = {p.name: _path_strategy(p.name, p.schema, lenient=lenient) for p in op.params_in("path")}
    queries = op.params_in("query")
    required = {p.name: from_schema(_query_schema(op, p.name, p.schema)) for p in queries if p.required}
    optional = {p.name: from_schema(_query_schema(op, p.name, p.schema)) for p in queries if not p.required}
    body: st.SearchStrategy[Any] = st.just(_NO_BODY)
    if op.body_pointer is not None and with_body:
        body = from_schema(_body_schema(op))
        if operation_id == "create_batch":
            body = body.map(_exactly_one)
        if not op.body_required:
            body = st.just(_NO_BODY) | body

    def build(path_values: dict[str, str], query: dict[str, Any], body_value: Any) -> Call:
        params = tuple(pair for name, value in query.items() for pair in _encode_query(name, value))
        return Call(op.method, _url(op, path_values), params, body_value)

    return st.builds(
        build, st.fixed_dictionaries(path), st.fixed_dictionaries(required, optional=optional), body
    )


def _invalid_query_values(
    op: Operation, name: str, schema: Mapping[str, Any]
) -> st.SearchStrategy[str] | None:
    """Strings the parameter can never accept, or ``None`` when it accepts any string."""
    if op.operation_id == "list_runs" and name == "statuses":
        known = set(DOCUMENT["components"]["schemas"]["RunStatus"]["enum"])
        return st.text(string.ascii_letters, min_size=1).filter(lambda s: s not in known)
    branches = [b for b in _branches(schema) if b.get("type") != "null"]
    # A repeated key (an array parameter) takes each value by the item schema.
    branches = [
        item for b in branches for item in (_branches(b["items"]) if b.get("type") == "array" else [b])
    ]
    if any(b.get("type") == "string" and "enum" not in b and "const" not in b for b in branches):
        return None
    allowed = {str(v) for b in branches for v in b.get("enum", [b.get("const")])}
    # Letters only: never an integer; and not one of the boolean words or the allowed values.
    return st.text(string.ascii_letters + "_-", min_size=1, max_size=12).filter(
        lambda s: s not in allowed and s.strip().lower() not in _BOOLEAN_WORDS
    )


def _invalid_path_ids(name: str, schema: Mapping[str, Any]) -> st.SearchStrategy[str] | None:
    """Printable ids the path parameter never accepts, or ``None`` when it accepts them all."""
    if not _is_plain_string(schema):
        validator = Draft202012Validator(self_contained(schema))
        return printable_ids().filter(lambda value: not validator.is_valid(value))
    if name in SERVER_ID_PREFIXES:
        is_valid = _is_server_id(SERVER_ID_PREFIXES[name])
        return printable_ids().filter(lambda value: not is_valid(value))
    return None


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    _containers,
    max_leaves=8,
)


def _invalid_bodies(op: Operation) -> st.SearchStrategy[bytes]:
    """Bodies that break the body schema: non-objects, objects with wrong-typed fields, broken JSON."""
    assert op.body_pointer is not None
    pointer = op.body_pointer
    properties = sorted(_deref(TABLE.schema_at(pointer)).get("properties", {}))
    non_objects = st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(), st.lists(_JSON_VALUES, max_size=3)
    )
    wrong_fields = st.dictionaries(st.sampled_from(properties), _JSON_VALUES, min_size=1).filter(
        lambda value: not STRICT.is_valid(pointer, value)
    )
    # Encoded here: httpx's `json=None` would send no body at all rather than `null`.
    encoded = (non_objects | wrong_fields).map(lambda value: json.dumps(value).encode())
    broken = st.binary(min_size=1, max_size=40).filter(_is_broken_json)
    if op.operation_id == "create_batch":  # valid by the schema, refused by the server's rule
        return encoded | broken | st.builds(_empty_batch, st.none() | st.just("https://example.com/cb"))
    return encoded | broken


def _empty_batch(callback_url: str | None) -> bytes:
    return json.dumps({"requests": [], "callback_url": callback_url}).encode()


def _is_broken_json(raw: bytes) -> bool:
    if not raw.strip():
        return False
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


def _with_query(call: Call, name: str, value: str) -> Call:
    return Call(call.method, call.url, (*call.params, (name, value)), call.body)


@cache
def invalid_calls(operation_id: str) -> st.SearchStrategy[Call] | None:
    """Requests with exactly one broken part (a query value, a path id or the body), or ``None``."""
    op = TABLE[operation_id]
    valid = valid_calls(operation_id)
    options: list[st.SearchStrategy[Call]] = []
    for param in op.params_in("query"):
        bad = _invalid_query_values(op, param.name, param.schema)
        if bad is not None:
            options.append(st.builds(_with_query, valid, st.just(param.name), bad))
    for param in op.params_in("path"):
        bad_ids = _invalid_path_ids(param.name, param.schema)
        if bad_ids is not None:
            options.append(
                st.builds(
                    lambda call, value, name=param.name: Call(
                        call.method, _url(op, {name: value}), call.params, call.body
                    ),
                    valid,
                    bad_ids,
                )
            )
    if op.body_pointer is not None:
        options.append(
            st.builds(
                lambda call, raw: Call(call.method, call.url, call.params, raw_body=raw),
                valid_calls(operation_id, with_body=False),
                _invalid_bodies(op),
            )
        )
    return st.one_of(options) if options else None


def _violations(schemas: SchemaSet, pointer: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, v.loc)) or '<root>'}: {v.detail or v.msg}"
        for v in schemas.violations(pointer, instance)
    ]


def _assert_documented(op: Operation, schemas: SchemaSet, content_type: str, text: str) -> None:
    """The answer is what the operation's success response documents, at the level of ``schemas``."""
    if op.operation_id == STREAM:
        assert content_type.startswith("text/event-stream")
        event_pointer = op.success.media_types["text/event-stream"]
        payloads = sse_payloads(text)
        assert payloads[-1] == "[DONE]"
        for payload in payloads[:-1]:
            assert _violations(schemas, event_pointer, json.loads(payload)) == [], payload
    else:
        assert content_type == "application/json"
        pointer = op.success.json_pointer
        assert pointer is not None
        assert _violations(schemas, pointer, json.loads(text)) == []


# -- the properties ----------------------------------------------------------------------------


def test_no_component_schema_is_recursive() -> None:
    """No component reaches itself through `$ref`, so hypothesis-jsonschema can inline every schema."""
    schemas = DOCUMENT["components"]["schemas"]

    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
            return found.union(*(refs(v) for k, v in node.items() if k != "$ref"))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()

    graph = {name: refs(schema) for name, schema in schemas.items()}
    for start in graph:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            assert name != start, f"{start} is recursive"
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
@PROPERTY
@given(data=st.data())
def test_valid_request_gets_2xx_and_a_documented_body(
    operation_id: str, data: st.DataObject, client: httpx.Client
) -> None:
    """Strict: any request valid by the operation's schemas (and the server's rules) gets 2xx and a
    body valid by its success schema; for the stream, every `data:` event before `[DONE]`."""
    call = data.draw(valid_calls(operation_id), label="call")
    response = call.send(client)
    assert 200 <= response.status_code < 300, response.text
    _assert_documented(TABLE[operation_id], STRICT, response.headers["content-type"], response.text)


WITH_SERVER_IDS = [
    op for op in OPERATION_IDS if any(p.name in SERVER_ID_PREFIXES for p in TABLE[op].params_in("path"))
]


@pytest.mark.parametrize("operation_id", WITH_SERVER_IDS)
@PROPERTY
@given(data=st.data())
def test_lenient_server_accepts_any_printable_batch_or_run_id(
    operation_id: str, data: st.DataObject, lenient_client: httpx.Client
) -> None:
    """Lenient: any printable batch/run path id gets 2xx and a body valid at the lenient level."""
    call = data.draw(valid_calls(operation_id, lenient=True), label="call")
    response = call.send(lenient_client)
    assert 200 <= response.status_code < 300, response.text
    _assert_documented(TABLE[operation_id], LENIENT, response.headers["content-type"], response.text)


def test_every_operation_has_an_invalid_request_to_generate() -> None:
    """Each operation has a query value, a path id or a body that can be broken."""
    assert [op for op in OPERATION_IDS if invalid_calls(op) is None] == []


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
@PROPERTY
@given(data=st.data())
def test_invalid_request_gets_4xx_never_5xx(
    operation_id: str, data: st.DataObject, client: httpx.Client
) -> None:
    """A request with a wrong-typed query value, a malformed path id or a body breaking the schema is a
    JSON 4xx; a 422 lists where each problem is."""
    strategy = invalid_calls(operation_id)
    assert strategy is not None
    call = data.draw(strategy, label="call")
    response = call.send(client)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    if response.status_code == 422:
        assert detail, "a 422 lists at least one violation"
        assert all(item["loc"][0] in ("path", "query", "body") for item in detail)
    else:
        assert isinstance(detail, str)


# -- the generator, without HTTP ---------------------------------------------------------------


def _response_pointers(table: OperationTable) -> list[str]:
    return sorted(
        {
            pointer
            for op in table.values()
            for response in op.responses.values()
            for pointer in response.media_types.values()
        }
    )


@PROPERTY
@given(
    pointer=st.sampled_from(_response_pointers(TABLE)),
    seed=st.integers(),
    anchor=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_data_generator_output_validates_for_any_seed(pointer: str, seed: int, anchor: datetime) -> None:
    """DataGenerator's instance of every response schema (success and 422) is valid for any seed and time."""
    instance = DataGenerator(TABLE).at(pointer, random.Random(seed), anchor)
    assert _violations(STRICT, pointer, instance) == []


_FIXTURES = load_response_fixtures(data_dir("fixtures"), TABLE, STRICT)


async def _collect(reply: JsonReply | StreamReply) -> str:
    if isinstance(reply, JsonReply):
        return json.dumps(reply.body)
    return b"".join([chunk async for chunk in reply.chunks]).decode()


@PROPERTY
@given(
    operation_id=st.sampled_from(OPERATION_IDS),
    seed=st.integers(),
    with_fixtures=st.booleans(),
    lenient=st.booleans(),
    data=st.data(),
)
def test_stateless_backend_answers_validate_for_any_seed(
    operation_id: str, seed: int, with_fixtures: bool, lenient: bool, data: st.DataObject
) -> None:
    """StatelessBackend's answer to every operation's default request validates for any seed: strictly
    for the ids a strict server lets through, at the lenient level for any printable id."""
    op = TABLE[operation_id]
    backend = StatelessBackend(TABLE, seed=seed, fixtures=_FIXTURES if with_fixtures else None)
    path = {
        p.name: str(data.draw(_path_strategy(p.name, p.schema, lenient=lenient), label=p.name))
        for p in op.params_in("path")
    }
    body = b'{"requests": []}' if op.body_required else b""
    request = parse_request(TABLE, STRICT, op, path, [], body, "application/json")
    reply = asyncio.run(backend.handle(request))
    assert 200 <= reply.status < 300
    content_type = "text/event-stream" if isinstance(reply, StreamReply) else "application/json"
    _assert_documented(op, LENIENT if lenient else STRICT, content_type, asyncio.run(_collect(reply)))
