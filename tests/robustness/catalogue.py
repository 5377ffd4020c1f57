"""The catalogue of hostile requests, as data.

Cases are generated per operation of :func:`mockserver.default_table` (its path, query and body
parameters, their JSON types, enums and bounds) and per route of the control API (its payload
schemas in ``schemas/mock-control.schema.json``); a few hand-written ones cover what no schema
describes (methods, headers, duplicate keys, encodings). Each case says what the two servers of
``test_catalogue.py`` may answer: the stateful server with strict validation, and the stateless one
with lenient validation. ``python -m tests.robustness.catalogue`` prints how many cases there are.

Paths and queries are raw request targets (percent-encoded as sent). ``<batch>``, ``<run>`` and
``<job>`` stand for ids that exist on the stateful server, and are replaced before sending
(``<batch:encoded>``: the same id with every character percent-encoded).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mockserver import Operation, default_table
from mockserver._contract.spec import resolve_pointer, schema_types
from mockserver._contract.validation import SchemaSet
from mockserver._control.api import Control, load_control_document

AGENT = "agent-00000000-0000-4000-8000-00000000a11e"
UNKNOWN = {
    "batch_id": "job-00000000-0000-4000-8000-0000000bad00",
    "job_id": "job-00000000-0000-4000-8000-0000000bad01",
    "run_id": "run-00000000-0000-4000-8000-0000000bad02",
}
KNOWN = {"batch_id": "<batch>", "job_id": "<job>", "run_id": "<run>"}
KNOWN_ENCODED = {"batch_id": "<batch:encoded>", "job_id": "<job:encoded>", "run_id": "<run:encoded>"}
"""The same ids with every character percent-encoded."""
JSON_TYPE = "application/json"

OK = frozenset({200})
INVALID = frozenset({422})
BAD = frozenset({400})
MISSING = frozenset({404})


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    target: str
    body: bytes | None = None
    content_type: str | None = JSON_TYPE
    """Sent only with a body."""
    headers: tuple[tuple[str, str], ...] = ()
    strict: frozenset[int] = INVALID
    """Statuses the stateful, strict server may answer."""
    lenient: frozenset[int] = INVALID
    """Statuses the stateless, lenient server may answer."""
    field: str | None = None
    """The field at fault: every item of a 422 must name it in its ``loc``."""
    mutates: bool = False
    """A documented 2xx that changes the stateful server's store (the test restores it)."""

    def header_list(self) -> list[tuple[str, str]]:
        sent = list(self.headers)
        if self.body is not None and self.content_type is not None:
            sent.append(("Content-Type", self.content_type))
        return sent


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _encoded(text: str) -> str:
    """Percent-encode everything that is not unreserved (so ``/`` becomes ``%2F``)."""
    return quote(text, safe="")


def _fill(op: Operation, values: Mapping[str, str]) -> str:
    path = op.path
    for param in op.params_in("path"):
        path = path.replace("{" + param.name + "}", values[param.name])
    return path


# -- path parameters ---------------------------------------------------------------------------------

_MUTATING = frozenset({"DELETE", "PATCH"})


def _path_values(name: str) -> list[tuple[str, str, str]]:
    """(label, raw path segment, kind): kind is unknown (a well-formed id), malformed, or noroute."""
    unknown = UNKNOWN[name]
    prefix = unknown.split("-", 1)[0]
    return [
        ("unknown-id", unknown, "unknown"),
        ("percent-encoded-unknown-id", "".join(f"%{byte:02X}" for byte in unknown.encode()), "unknown"),
        ("percent-encoded-dash", unknown.replace("-", "%2D"), "unknown"),
        ("unicode", _encoded(f"{prefix}-ünïcödé-✓"), "malformed"),
        ("emoji", _encoded("🙂" * 12), "malformed"),
        ("right-to-left-override", _encoded(f"\u202e{unknown}"), "malformed"),
        ("nul", "%00", "malformed"),
        ("nul-inside", unknown[:10] + "%00" + unknown[11:], "malformed"),
        ("space", "%20", "malformed"),
        ("crlf", "%0D%0AX-Injected:%201", "malformed"),
        ("invalid-utf8", "%FF%FE%FD", "malformed"),
        ("uppercase", unknown.upper(), "malformed"),
        ("query-characters", _encoded("?limit=1#x"), "malformed"),
        ("long-8KiB", "j" * 8192, "malformed"),
        ("long-60KiB", "j" * 60_000, "malformed"),
        ("slash", "a/b/c/d", "noroute"),
        ("encoded-slash", "a%2Fb%2Fc%2Fd", "noroute"),
        ("dot-dot", "../../../_mock/reset", "noroute"),
        ("encoded-dot-dot", "..%2F..%2F..%2F_mock%2Freset", "noroute"),
    ]


def _path_cases(op: Operation) -> Iterator[Case]:
    for param in op.params_in("path"):
        if op.method not in _MUTATING:  # an existing id, every character percent-encoded: the record
            yield Case(
                f"{op.operation_id}:path:{param.name}:percent-encoded-existing-id",
                op.method,
                _fill(op, {**KNOWN, param.name: KNOWN_ENCODED[param.name]}),
                strict=OK,
                lenient=OK,
            )
        for label, raw, kind in _path_values(param.name):
            target = _fill(op, {**KNOWN, param.name: raw})
            if kind == "unknown":
                strict = MISSING
            elif kind == "malformed":
                # Job ids are checked by their schema (422); batch and run ids in code (400), as upstream.
                strict = INVALID if param.name == "job_id" else BAD
            else:
                strict = MISSING
            lenient = MISSING if kind == "noroute" else OK
            yield Case(
                f"{op.operation_id}:path:{param.name}:{label}",
                op.method,
                target,
                strict=strict,
                lenient=lenient,
                field=param.name,
            )


# -- query parameters --------------------------------------------------------------------------------

_CURSOR_UNKNOWN = {
    "list_batches": BAD,
    "list_jobs": BAD,
    "list_active_jobs": BAD,
    "list_runs": OK,
    "list_messages_for_batch": MISSING,
    "list_messages_for_run": MISSING,
    "list_steps_for_run": MISSING,
}


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    document = default_table().document
    found = []
    for branch in [schema, *schema.get("anyOf", ())]:
        while "$ref" in branch:
            branch = resolve_pointer(document, branch["$ref"].removeprefix("#"))
        found.append(branch)
    return found


def _query_values(
    op: Operation, name: str, schema: Mapping[str, Any]
) -> list[tuple[str, str, frozenset[int], frozenset[int]]]:
    """(label, raw value, strict statuses, lenient statuses) for one query parameter."""
    types = schema_types(default_table().document, schema)
    branches = _branches(schema)
    bounded = any("maximum" in branch for branch in branches)
    if "integer" in types:
        return [
            # Lenient validation enforces no range: a negative limit is an empty (or, where 0 means
            # "no limit", a whole) page.
            ("negative", "-1", INVALID, OK),
            ("huge-negative", "-99999999999999999999", INVALID, OK),
            ("huge", "99999999999999999999999", INVALID if bounded else OK, OK),
            ("5000-digits", "9" * 5000, INVALID, INVALID),
            ("word", "abc", INVALID, INVALID),
            ("exponent", "1e3", INVALID, INVALID),
            ("fraction", "1.5", INVALID, INVALID),
            ("hex", "0x10", INVALID, INVALID),
            ("empty", "", INVALID, INVALID),
            ("nul", "%00", INVALID, INVALID),
            ("nan", "NaN", INVALID, INVALID),
            ("infinity", "Infinity", INVALID, INVALID),
            ("unicode", _encoded("✓"), INVALID, INVALID),
        ]
    if "boolean" in types:
        return [
            (label, raw, INVALID, INVALID)
            for label, raw in [
                ("word", "maybe"),
                ("two", "2"),
                ("empty", ""),
                ("nul", "%00"),
                ("unicode", "%E2%9C%93"),
            ]
        ]
    if any("enum" in branch or "const" in branch for branch in branches) and not schema.get("items"):
        return [
            (label, raw, INVALID, INVALID)
            for label, raw in [("unknown", "sideways"), ("uppercase", "ASC"), ("empty", ""), ("nul", "%00")]
        ]
    if any(branch.get("type") == "array" for branch in branches):
        wrong = BAD if (op.operation_id == "list_runs" and name == "statuses") else OK
        return [
            ("unknown-twice", "bogus&" + name + "=bogus2", wrong, OK),
            ("nul", "%00", wrong, OK),
            ("long", "x" * 8192, wrong, OK),
        ]
    cursor = _CURSOR_UNKNOWN.get(op.operation_id, OK) if name in ("before", "after") else OK
    return [
        ("unknown-id", UNKNOWN["batch_id"], cursor, OK),
        ("empty", "", OK, OK),
        ("unicode", _encoded("ünïcödé-✓-🙂"), cursor, OK),
        ("nul", "%00", cursor, OK),
        ("invalid-utf8", "%FF%FE", cursor, OK),
        ("long-8KiB", "x" * 8192, cursor, OK),
    ]


def _query_cases(op: Operation) -> Iterator[Case]:
    path = _fill(op, KNOWN)
    for param in op.params_in("query"):
        for label, raw, strict, lenient in _query_values(op, param.name, param.schema):
            yield Case(
                f"{op.operation_id}:query:{param.name}:{label}",
                op.method,
                f"{path}?{param.name}={raw}",
                strict=strict,
                lenient=lenient,
                field=param.name,
            )
    if op.params_in("query"):
        yield Case(
            f"{op.operation_id}:query:unknown-parameter",
            op.method,
            f"{path}?zzz=%00%FF&zzz=1",
            strict=OK,
            lenient=OK,
        )
        yield Case(
            f"{op.operation_id}:query:50KiB-of-parameters",
            op.method,
            f"{path}?" + "&".join(["a=b"] * 12_500),
            strict=OK,
            lenient=OK,
        )
    integers = [
        p for p in op.params_in("query") if "integer" in schema_types(default_table().document, p.schema)
    ]
    if integers:
        name = integers[0].name
        yield Case(
            f"{op.operation_id}:query:{name}:repeated-last-wins",
            op.method,
            f"{path}?{name}=1&{name}=abc",
            field=name,
        )


# -- bodies --------------------------------------------------------------------------------------------

_SAMPLES: dict[str, Any] = {
    "string": "x",
    "integer": 7,
    "number": 7.5,
    "boolean": True,
    "array": ["x"],
    "object": {"k": "v"},
    "null": None,
}


def _wrong_values(types: frozenset[str]) -> list[tuple[str, Any]]:
    if not types:
        return []
    admitted = set(types)
    if "number" in admitted:
        admitted.add("integer")
    return [(kind, value) for kind, value in _SAMPLES.items() if kind not in admitted]


MALFORMED: list[tuple[str, bytes]] = [
    ("open-brace", b"{"),
    ("open-key", b'{"'),
    ("truncated-array", b'{"requests": ['),
    ("truncated-string", b'{"requests": [{"agent_id": "agent-0000'),
    ("trailing-comma", b'{"a": 1,}'),
    ("single-quotes", b"{'a': 1}"),
    ("unquoted-key", b"{a: 1}"),
    ("extra-data", b"{}x"),
    ("two-documents", b"{}{}"),
    ("invalid-utf8", b"\xff\xfe\xfd"),
    ("latin1-in-string", b'{"a": "caf\xe9"}'),
    ("raw-nul", b"\x00"),
    ("raw-nul-in-string", b'{"a": "x\x00y"}'),
    ("raw-newline-in-string", b'{"a": "x\ny"}'),
    ("bad-escape", b'{"a": "\\q"}'),
    ("truncated-escape", b'{"a": "\\u12"}'),
    ("nan", b'{"a": NaN}'),
    ("infinity", b'{"a": Infinity}'),
    ("minus-infinity", b'{"a": -Infinity}'),
    ("leading-zero", b'{"a": 01}'),
    ("hex-number", b'{"a": 0x10}'),
    ("lone-minus", b'{"a": -}'),
    ("lone-backslash", b"\\"),
    ("nested-10k-arrays", b"[" * 10_000 + b"]" * 10_000),
    ("nested-10k-objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
    ("nested-10k-unclosed", b"[" * 10_000),
    ("nested-600-arrays", b"[" * 600 + b"]" * 600),
    ("digits-5000", b'{"a": ' + b"9" * 5000 + b"}"),
]
NOT_OBJECTS: list[tuple[str, bytes]] = [
    ("array", b"[]"),
    ("array-of-object", b"[{}]"),
    ("integer", b"1"),
    ("float", b"-1.5"),
    ("string", b'"s"'),
    ("true", b"true"),
    ("false", b"false"),
    ("null", b"null"),
]
WRONG_CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "text/json",
    "application/jsonx",
    "*/*",
]


def _properties(schema: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = resolve_pointer(document, schema["$ref"].removeprefix("#"))
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    return properties


def _shape_cases(prefix: str, method: str, target: str) -> Iterator[Case]:
    """Bodies no operation can take: malformed JSON, JSON that is no object, the wrong media type."""
    for label, raw in MALFORMED:
        yield Case(f"{prefix}:malformed:{label}", method, target, body=raw, field="body")
    for label, raw in NOT_OBJECTS:
        yield Case(f"{prefix}:not-an-object:{label}", method, target, body=raw, field="body")
    for media in WRONG_CONTENT_TYPES:
        yield Case(
            f"{prefix}:content-type:{media}", method, target, body=b"{}", content_type=media, field="body"
        )


def _field_cases(
    prefix: str,
    method: str,
    target: str,
    properties: Mapping[str, Any],
    document: Mapping[str, Any],
    wrap: Any,
    *,
    strict: frozenset[int] = INVALID,
    lenient: frozenset[int] = INVALID,
) -> Iterator[Case]:
    """A value of every JSON type the field does not admit, one field at a time (``wrap`` places it)."""
    for name, schema in properties.items():
        for kind, value in _wrong_values(schema_types(document, schema)):
            yield Case(
                f"{prefix}:wrong-type:{name}:{kind}",
                method,
                target,
                body=_dumps(wrap(name, value)),
                strict=strict,
                lenient=lenient,
                field=name,
            )
        for label, value in [("lone-surrogate", "a\ud800b"), ("out-of-range-float", float("inf"))]:
            raw = _dumps(wrap(name, value)).replace(b"Infinity", b"1e400")
            yield Case(f"{prefix}:{label}:{name}", method, target, body=raw, field=name)
        yield Case(
            f"{prefix}:nested-600:{name}",
            method,
            target,
            body=_dumps(wrap(name, "@")).replace(b'"@"', b"[" * 600 + b"]" * 600),
            field="body",
        )


def _create_batch_cases(op: Operation) -> Iterator[Case]:
    document = default_table().document
    target = op.path
    prefix = op.operation_id
    valid_request = {"agent_id": AGENT, "input": "hi"}
    yield from _shape_cases(prefix, op.method, target)
    yield Case(f"{prefix}:empty-body", op.method, target, body=b"", field="body")
    yield Case(f"{prefix}:whitespace-body", op.method, target, body=b" \r\n\t ", field="body")
    yield Case(f"{prefix}:no-body-no-type", op.method, target, content_type=None, field="body")
    top = _properties(resolve_pointer(document, op.body_pointer or ""), document)
    yield from _field_cases(
        prefix, op.method, target, top, document, lambda n, v: {"requests": [valid_request], n: v}
    )
    item = _properties(top["requests"]["items"], document)
    yield from _field_cases(
        f"{prefix}:requests[0]", op.method, target, item, document,
        lambda n, v: {"requests": [{**valid_request, n: v}]},
    )  # fmt: skip
    yield Case(f"{prefix}:missing:requests", op.method, target, body=b"{}", field="requests")
    yield Case(f"{prefix}:missing:agent_id", op.method, target, body=b'{"requests": [{}]}', field="agent_id")
    items: list[tuple[str, Any]] = [("string", "x"), ("null", None), ("array", []), ("integer", 1)]
    for label, value in items:
        yield Case(
            f"{prefix}:requests-item:{label}",
            op.method,
            target,
            body=_dumps({"requests": [value]}),
            field="requests",
        )
    # Rules beyond types: strict only (lenient validation checks types, required fields and enums).
    for label, agent in [
        ("unicode", "agent-ünïcödé-0000-4000-8000-000000000000"),
        ("escaped-nul", "agent-00000000-0000-4000-8000-00000000000\u0000"),
        ("uppercase", AGENT.upper()),
        ("too-long", AGENT + "0" * 5000),
        ("empty", ""),
    ]:
        body = _dumps({"requests": [{"agent_id": agent}]})
        yield Case(f"{prefix}:agent_id:{label}", op.method, target, body=body, lenient=OK, field="agent_id")
    for label, url in [
        ("not-a-url", "not a url"),
        ("empty", ""),
        ("too-long", "https://x.test/" + "a" * 3000),
        ("nul", "http://x\u0000/"),
    ]:
        body = _dumps({"requests": [valid_request], "callback_url": url})
        # pydantic's HttpUrl, which the real server applies whatever the validation level.
        yield Case(f"{prefix}:callback_url:{label}", op.method, target, body=body, field="callback_url")
    for label, url in [
        ("ftp", "ftp://x.test/done"),
        ("javascript", "javascript:alert(1)"),
        ("no-host", "http://"),
    ]:
        body = _dumps({"requests": [valid_request], "callback_url": url})
        yield Case(f"{prefix}:callback_url:{label}", op.method, target, body=body, field="callback_url")
    model_cases: list[tuple[str, dict[str, Any]]] = [
        ("neither-input-nor-messages", {"agent_id": AGENT}),
        ("null-input-and-messages", {"agent_id": AGENT, "input": None, "messages": None}),
        ("both-input-and-messages", {**valid_request, "input": "hi", "messages": []}),
    ]
    for label, item in model_cases:
        # The real server's request model; lenient accepts it (SDK-generated tests send agent_id alone).
        body = _dumps({"requests": [item]})
        yield Case(
            f"{prefix}:requests-item:{label}", op.method, target, body=body, lenient=OK, field="requests"
        )
    yield Case(
        f"{prefix}:requests:empty", op.method, target, body=b'{"requests": []}', strict=BAD, lenient=OK
    )
    valid = _dumps({"requests": [valid_request]})
    duplicate_empty_last = b'{"requests": ' + _dumps([valid_request]) + b', "requests": []}'
    yield Case(
        f"{prefix}:duplicate-keys:last-empty",
        op.method,
        target,
        body=duplicate_empty_last,
        strict=BAD,
        lenient=OK,
    )
    # Documented 2xx that store a batch: FastAPI ignores unknown fields, keeps the last duplicate key,
    # and reads a body without a Content-Type as JSON.
    duplicate_valid_last = b'{"requests": [], "requests": ' + _dumps([valid_request]) + b"}"
    for label, body, media in [
        ("duplicate-keys:last-valid", duplicate_valid_last, JSON_TYPE),
        (
            "unknown-field:top",
            _dumps({"requests": [valid_request], "zzz": {"callback_allow_hosts": ["*"]}}),
            JSON_TYPE,
        ),
        (
            "unknown-field:nested",
            _dumps({"requests": [{**valid_request, "zzz": [1, {"a": None}]}]}),
            JSON_TYPE,
        ),
        ("unknown-field:nested-500", valid[:-1] + b', "zzz": ' + b"[" * 500 + b"]" * 500 + b"}", JSON_TYPE),
        (
            "unknown-field:escaped-nul-key",
            _dumps({"requests": [valid_request], "\u0000": "\u0000"}),
            JSON_TYPE,
        ),
        ("max_steps:negative", _dumps({"requests": [{**valid_request, "max_steps": -1}]}), JSON_TYPE),
        ("max_steps:huge", _dumps({"requests": [{**valid_request, "max_steps": 10**30}]}), JSON_TYPE),
        ("no-content-type", valid, None),
        ("content-type:+json", valid, "application/vnd.letta+json"),
        ("content-type:uppercase", valid, "APPLICATION/JSON; charset=UTF-8"),
        ("utf16-body", json.dumps({"requests": [valid_request]}).encode("utf-16"), JSON_TYPE),
        ("surrogate-pair", _dumps({"requests": [{**valid_request, "input": "🙂 \U0001f600"}]}), JSON_TYPE),
    ]:
        yield Case(
            f"{prefix}:{label}",
            op.method,
            target,
            body=body,
            content_type=media,
            strict=OK,
            lenient=OK,
            mutates=True,
        )


def _stream_cases(op: Operation) -> Iterator[Case]:
    document = default_table().document
    target = _fill(op, KNOWN)
    prefix = op.operation_id
    yield from _shape_cases(prefix, op.method, target)
    properties = _properties(resolve_pointer(document, op.body_pointer or ""), document)
    yield from _field_cases(prefix, op.method, target, properties, document, lambda n, v: {n: v})
    # The body is optional, every field has a default, unknown fields are ignored: 200 and a stream.
    for label, body, media in [
        ("empty-body", b"", JSON_TYPE),
        ("whitespace-body", b"  \n", JSON_TYPE),
        ("no-content-type", b"{}", None),
        ("unknown-field", b'{"zzz": 1, "callback_allow_hosts": "*"}', JSON_TYPE),
        ("escaped-nul", b'{"\\u0000": "\\u0000", "otid": "\\u0000"}', JSON_TYPE),
        ("duplicate-keys:last-valid", b'{"starting_after": "x", "starting_after": 0}', JSON_TYPE),
        ("starting_after:negative", b'{"starting_after": -1}', JSON_TYPE),
        ("starting_after:huge", b'{"starting_after": ' + str(10**30).encode() + b"}", JSON_TYPE),
        ("starting_after:integral-float", b'{"starting_after": 1.0}', JSON_TYPE),
        ("batch_size:negative", b'{"batch_size": -5}', JSON_TYPE),
        ("poll_interval:negative", b'{"poll_interval": -1}', JSON_TYPE),
        ("poll_interval:tiny", b'{"poll_interval": 1e-320}', JSON_TYPE),
        ("unknown-field:nested-500", b'{"zzz": ' + b"[" * 500 + b"]" * 500 + b"}", JSON_TYPE),
        ("content-type:+json", b"{}", "application/merge-patch+json"),
        ("utf16-body", '{"include_pings": false}'.encode("utf-16"), JSON_TYPE),
        ("utf8-bom", b"\xef\xbb\xbf{}", JSON_TYPE),
    ]:
        yield Case(
            f"{prefix}:{label}", op.method, target, body=body, content_type=media, strict=OK, lenient=OK
        )
    yield Case(
        f"{prefix}:duplicate-keys:last-invalid",
        op.method,
        target,
        body=b'{"starting_after": 0, "starting_after": "x"}',
        field="starting_after",
    )


def _ignored_body_cases(op: Operation) -> Iterator[Case]:
    """Operations without a body ignore one, whatever it holds (``PATCH .../cancel`` included)."""
    ids = {name: UNKNOWN[name] for name in KNOWN} if op.method in _MUTATING else KNOWN
    target = _fill(op, ids)
    has_ids = bool(op.params_in("path"))
    strict = MISSING if (has_ids and op.method in _MUTATING) else OK
    for label, body, media in [
        ("empty-json", b"", JSON_TYPE),
        ("malformed-json", b'{"requests": [', JSON_TYPE),
        ("array", b"[]", JSON_TYPE),
        ("binary", bytes(range(256)), "application/octet-stream"),
    ]:
        yield Case(
            f"{op.operation_id}:ignored-body:{label}",
            op.method,
            target,
            body=body,
            content_type=media,
            strict=strict,
            lenient=OK,
        )
    if op.method in _MUTATING and has_ids:
        # The same on a record that exists: the documented 200 (it cancels or deletes it).
        yield Case(
            f"{op.operation_id}:ignored-body:empty-json:existing",
            op.method,
            _fill(op, KNOWN),
            body=b"",
            strict=OK,
            lenient=OK,
            mutates=True,
        )


def _method_cases() -> Iterator[Case]:
    table = default_table()
    for path, methods in table.paths.items():
        wrong = next(m for m in ("PUT", "DELETE", "PATCH", "POST") if m not in methods)
        ids = {name: UNKNOWN[name] for name in KNOWN}
        target = path
        for name, value in ids.items():
            target = target.replace("{" + name + "}", value)
        yield Case(f"method:{wrong} {path}", wrong, target, strict=frozenset({405}), lenient=frozenset({405}))


def api_cases() -> Iterator[Case]:
    for op in default_table().values():
        yield from _path_cases(op)
        yield from _query_cases(op)
        if op.operation_id == "create_batch":
            yield from _create_batch_cases(op)
        elif op.operation_id == "retrieve_stream_for_run":
            yield from _stream_cases(op)
        else:
            yield from _ignored_body_cases(op)
    yield from _method_cases()


# -- the control API -------------------------------------------------------------------------------

_STATEFUL_ONLY = frozenset({"/_mock/clock", "/_mock/state", "/_mock/records", "/_mock/record"})
_NEEDS_QUERY = frozenset({"/_mock/record"})
"""Routes whose required query parameter (``id``) the ignored-body case leaves out: a 422 naming it."""
_CONTROL_BASES: dict[str, dict[str, Any]] = {
    "ClockAdvance": {"seconds": 1},
    "ProfileSpec": {"profile": "contract"},
    "RunSeed": {"agent_id": AGENT},
    "JobSeed": {},
    "ScenarioSpec": {"match": {"agent_id": AGENT}},
    "FaultSpec": {"operation": "list_runs", "latency": {"seconds": 0}},
    "StateSnapshot": {"version": 1, "clock": {"kind": "manual", "now": 0}, "rng": [], "jobs": [], "runs": []},
}
"""A valid payload of each control schema, so that a wrong field is the only fault."""


def control_cases() -> Iterator[Case]:
    document = load_control_document()
    control = Control(None, SchemaSet(default_table().document, "strict"))
    by_path: dict[str, set[str]] = {}
    for route in control.routes():
        by_path.setdefault(route.path, set()).add(route.method)
        prefix = f"control:{route.method} {route.path}"
        if route.payload is None:
            ok = INVALID if route.path in _NEEDS_QUERY else OK
            stateless_ok = BAD if route.path in _STATEFUL_ONLY else ok
            if route.method == "POST":  # /_mock/reset: no body to be hostile with, and it changes the state
                continue
            target = route.path.replace("{id}", "scenario-0")
            if target != route.path:  # nothing is in force under that id: a 404 naming it
                ok = stateless_ok = MISSING
            yield Case(
                f"{prefix}:ignored-body",
                route.method,
                target,
                body=b'{"seconds": -1, "zzz": [',
                strict=ok,
                lenient=stateless_ok,
            )
            continue
        yield from _shape_cases(prefix, route.method, route.path)
        yield Case(f"{prefix}:empty-body", route.method, route.path, body=b"", field="body")
        yield Case(f"{prefix}:no-body-no-type", route.method, route.path, content_type=None, field="body")
        schema = document["$defs"][route.payload]
        properties = _properties(schema, document)
        base = _CONTROL_BASES[route.payload]
        yield from _field_cases(
            prefix, route.method, route.path, properties, document, lambda n, v, base=base: {**base, n: v}
        )
        if schema.get("additionalProperties") is False:
            body = _dumps({**base, "zzz": 1})
            yield Case(f"{prefix}:unknown-field", route.method, route.path, body=body, field="zzz")
    for path, label, query in [
        ("/_mock/requests", "limit:negative", "limit=-1"),
        ("/_mock/requests", "limit:huge-negative", "limit=-99999999999999999999"),
        ("/_mock/requests", "limit:5000-digits", "limit=" + "9" * 5000),
        ("/_mock/requests", "limit:word", "limit=abc"),
        ("/_mock/requests", "since:word", "since=abc"),
        ("/_mock/requests", "since:fraction", "since=1.5"),
        ("/_mock/requests", "since:negative", "since=-5"),
        ("/_mock/requests", "status:word", "status=abc"),
        ("/_mock/requests", "status:nul", "status=%00"),
        ("/_mock/report", "since:word", "since=abc"),
        ("/_mock/report", "since:unicode", "since=%E2%9C%93"),
    ]:
        name = label.split(":")[0]
        yield Case(f"control:GET {path}:query:{label}", "GET", f"{path}?{query}", field=name)
    for path, label, query in [
        ("/_mock/requests", "limit:huge", "limit=99999999999999999999"),
        ("/_mock/requests", "operation:unknown", "operation=%00%FF"),
        ("/_mock/requests", "unknown-parameter", "zzz=1"),
        ("/_mock/report", "since:huge", "since=99999999999999999999"),
    ]:
        yield Case(f"control:GET {path}:query:{label}", "GET", f"{path}?{query}", strict=OK, lenient=OK)
    for path, methods in by_path.items():
        wrong = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in methods)
        yield Case(
            f"control:method:{wrong} {path}", wrong, path, strict=frozenset({405}), lenient=frozenset({405})
        )
    yield Case("control:unknown-path", "GET", "/_mock/nothing-here", strict=MISSING, lenient=MISSING)
    # The server decodes the path before routing (as every ASGI server does): this is POST /_mock/reset.
    yield Case("control:encoded-path", "POST", "/_mock%2Freset", strict=OK, lenient=OK, mutates=True)


# -- requests that are hostile in their head --------------------------------------------------------


def header_cases() -> Iterator[Case]:
    many = tuple((f"X-Many-{i}", "v") for i in range(2000))
    yield Case("headers:2000-headers", "GET", "/v1/runs/", headers=many, strict=OK, lenient=OK)
    yield Case(
        "headers:256KiB-header",
        "GET",
        "/v1/runs/",
        headers=(("X-Big", "v" * 256 * 1024),),
        strict=OK,
        lenient=OK,
    )
    yield Case(
        "headers:latin1-value", "GET", "/v1/runs/", headers=(("X-Latin", "caf\xe9"),), strict=OK, lenient=OK
    )
    yield Case(
        "headers:forged-control-token",
        "GET",
        "/v1/runs/",
        headers=(("X-Letta-Mock-Token", "x" * 100),),
        strict=OK,
        lenient=OK,
    )
    yield Case(
        "headers:two-content-types",
        "POST",
        "/v1/messages/batches",
        body=b"{}",
        headers=(("Content-Type", "text/plain"),),
        field="body",
    )
    yield Case(
        "headers:expect-100-continue",
        "POST",
        "/v1/messages/batches",
        body=b"[]",
        headers=(("Expect", "100-continue"),),
        field="body",
    )


@dataclass(frozen=True)
class Catalogue:
    cases: list[Case] = field(default_factory=list)

    @classmethod
    def build(cls) -> Catalogue:
        cases = [*api_cases(), *control_cases(), *header_cases()]
        ids = [case.id for case in cases]
        duplicates = sorted({one for one in ids if ids.count(one) > 1})
        assert not duplicates, f"duplicate case ids: {duplicates}"
        return cls(cases)

    def __len__(self) -> int:
        return len(self.cases)


CASES = Catalogue.build().cases
"""Every hostile case; each runs against both servers of ``test_catalogue.py``."""


if __name__ == "__main__":
    print(f"{len(CASES)} hostile requests in the catalogue ({2 * len(CASES)} checks against two servers)")
