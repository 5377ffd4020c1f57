"""What differs, for a client, between a recorded answer and the answer another server gave. Pure.

``verify`` replays a recording and hands each pair of exchanges here. Only differences a client can
trip over count: the status class (and the exact code between two 4xx), the answer's conformance to
its documented schema, fields one has and the other lacks, enum values, the order of lists, the
timestamp format (with or without an offset) and the shape of an event stream. Values that differ
between any two servers (ids, times, generated text, token counts) are compared by shape only: an id
is still an id of the same kind (and the one the id map expects), a time still a time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from mockserver._contract.spec import Operation, OperationTable, Refs, pointer_escape
from mockserver._contract.validation import SchemaSet
from mockserver._recording.bodies import NOT_JSON, kind_of_body, parse_json, sse_events, stream_shape
from mockserver._recording.exchange import Exchange
from mockserver._recording.idmap import IdMap, is_id, item_id, pair_items, prefix

SSE = "text/event-stream"
GENERIC_ERRORS = frozenset({400, 401, 404, 410})
"""Statuses every route may answer with ``{"detail": ...}`` beside those the operation documents."""
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?P<offset>Z|[+-]\d{2}:?\d{2})?$"
)
ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class Difference:
    index: int
    """The exchange's place in the recording (0-based)."""
    operation: str
    pointer: str
    """JSON pointer into the answer (``""``: the answer as a whole; ``/events``: the stream)."""
    kind: str
    recorded: str
    seen: str

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "operation": self.operation,
            "pointer": self.pointer,
            "kind": self.kind,
            "recorded": self.recorded,
            "seen": self.seen,
        }


def show(value: Any, limit: int = 120) -> str:
    """A value as the report shows it: JSON, cut short."""
    text = orjson.dumps(value, default=str).decode() if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def operation_for(table: OperationTable, method: str, path: str) -> Operation | None:
    """The operation a request is for; a literal segment wins over a parameter (``/v1/runs/active``)."""
    found = [
        op for op in table.values() if op.method == method.upper() and op.path_regex.match(path) is not None
    ]
    return min(found, key=lambda op: op.path.count("{"), default=None)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def timestamp_format(value: Any) -> str | None:
    """``"offset"`` or ``"naive"`` for a timestamp, ``None`` for anything else."""
    if not isinstance(value, str):
        return None
    found = _TIMESTAMP.match(value)
    if found is None:
        return None
    return "offset" if found.group("offset") else "naive"


def _when(value: Any) -> datetime | None:
    if timestamp_format(value) is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def direction(items: list[Any]) -> str | None:
    """How a list of records is ordered by ``created_at``: ``ascending``, ``descending``, or ``None``."""
    times = [_when(item.get("created_at")) if isinstance(item, Mapping) else None for item in items]
    known = [t for t in times if t is not None]
    if len(known) < 2 or len(known) < len(items) or len(set(known)) < 2:
        return None
    if all(a <= b for a, b in itertools.pairwise(known)):
        return "ascending"
    if all(a >= b for a, b in itertools.pairwise(known)):
        return "descending"
    return None


class _Schemas:
    """The schemas that may describe a value: ``$ref`` followed, and ``anyOf``/``oneOf``/``allOf`` flattened
    to the branches that admit it (an object branch whose ``const`` discriminator disagrees is left out)."""

    def __init__(self, refs: Refs) -> None:
        self.refs = refs

    def narrow(self, schemas: Iterable[Any], value: Any) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        for schema in schemas:
            self._add(schema, value, found, 0)
        return found

    def _add(self, schema: Any, value: Any, found: list[Mapping[str, Any]], depth: int) -> None:
        schema = self.refs.deref(schema)
        if not isinstance(schema, Mapping) or depth > 20 or not self._admits(schema, value):
            return
        found.append(schema)
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, ()):
                self._add(branch, value, found, depth + 1)

    def _admits(self, schema: Mapping[str, Any], value: Any) -> bool:
        declared = schema.get("type")
        kinds = {declared} if isinstance(declared, str) else set(declared or ())
        actual = json_type(value)
        if kinds and actual not in kinds and not (actual == "number" and "integer" in kinds):
            return False
        if isinstance(value, Mapping):
            for name, sub in (schema.get("properties") or {}).items():
                sub = self.refs.deref(sub)
                if isinstance(sub, Mapping) and name in value:
                    fixed = sub.get("const", sub["enum"][0] if len(sub.get("enum", ())) == 1 else None)
                    if fixed is not None and value[name] != fixed:
                        return False
        return True

    @staticmethod
    def enum(schemas: Iterable[Mapping[str, Any]]) -> bool:
        return any("enum" in s or "const" in s for s in schemas)

    def child(self, schemas: Iterable[Mapping[str, Any]], key: str | None) -> list[Any]:
        """The schemas of a property (``key``) or of a list's items (``None``)."""
        found: list[Any] = []
        for schema in schemas:
            if key is None:
                if isinstance(schema.get("items"), Mapping):
                    found.append(schema["items"])
            elif key in (schema.get("properties") or {}):
                found.append(schema["properties"][key])
            elif isinstance(schema.get("additionalProperties"), Mapping):
                found.append(schema["additionalProperties"])
        return found


class Comparison:
    """Compares the exchanges of one replay; the id map learns from every answer it is shown."""

    def __init__(self, table: OperationTable, ids: IdMap, schemas: SchemaSet | None = None) -> None:
        self.table = table
        self.ids = ids
        self.validator = schemas or SchemaSet(table.refs, "strict")
        self.schemas = _Schemas(table.refs)

    def compare(self, index: int, recorded: Exchange, seen: Exchange) -> list[Difference]:
        op = operation_for(self.table, recorded.method, recorded.path)
        name = op.operation_id if op else f"{recorded.method} {recorded.path}"
        found = list(self._differences(op, recorded, seen))
        return [Difference(index, name, pointer, kind, r, s) for pointer, kind, r, s in found]

    def _differences(
        self, op: Operation | None, recorded: Exchange, seen: Exchange
    ) -> Iterator[tuple[str, str, str, str]]:
        classes = (recorded.status // 100, seen.status // 100)
        if classes[0] != classes[1] or (classes == (4, 4) and recorded.status != seen.status):
            yield "", "status", str(recorded.status), str(seen.status)
        yield from self._conformance(op, recorded, seen)
        if classes[0] != classes[1]:
            return  # a success and an error have nothing else in common
        streams = (SSE in (recorded.header("content-type") or ""), SSE in (seen.header("content-type") or ""))
        if streams[0] != streams[1]:
            shown = ["event stream" if s else "not an event stream" for s in streams]
            yield "", "content_type", shown[0], shown[1]
            return
        if streams[0]:
            yield from self._stream(op, recorded, seen)
            return
        left, right = parse_json(recorded.response_body), parse_json(seen.response_body)
        if left is NOT_JSON or right is NOT_JSON:
            if (left is NOT_JSON) != (right is NOT_JSON):
                yield "", "body", kind_of_body(left), kind_of_body(right)
            return
        spec = op.responses.get(recorded.status) if op else None
        start = [self.table.refs.at(spec.json_pointer)] if spec and spec.json_pointer else []
        yield from self._walk(left, right, start, "")

    def _conformance(
        self, op: Operation | None, recorded: Exchange, seen: Exchange
    ) -> Iterator[tuple[str, str, str, str]]:
        """The target's answer against its documented schema; a violation the recorded answer shares
        (same place, same rule) is no difference: the recording's server broke the contract the same way."""
        if op is None or seen.status == 0:
            return
        if seen.status not in op.responses:
            if seen.status not in GENERIC_ERRORS and seen.status < 500 and recorded.status != seen.status:
                yield "", "undocumented_status", "", f"{seen.status} is not documented for {op.label}"
            return
        shared = {v[:2] for v in self._violations(op, recorded)} if recorded.status == seen.status else set()
        for found in self._violations(op, seen):
            if found[:2] not in shared:
                yield found[0], "schema", "", found[2]

    def _violations(self, op: Operation, exchange: Exchange) -> list[tuple[str, str, str]]:
        """(pointer, rule, message) of each way an answer breaks its status's documented schema."""
        spec = op.responses.get(exchange.status)
        if spec is None:
            return []
        found: list[tuple[str, str, str]] = []
        if SSE in (exchange.header("content-type") or "") and SSE in spec.media_types:
            pointer = spec.media_types[SSE]
            for i, (_name, data) in enumerate(sse_events(exchange.response_body)):
                event = parse_json(data.encode())
                if event is NOT_JSON:
                    continue  # [DONE] and pings; the sequence check judges them
                for v in self.validator.violations(pointer, event, ("events", i)):
                    found.append((_pointer(v.loc), v.type, v.detail or v.msg))
            return found
        if spec.json_pointer is None:
            return found
        body = parse_json(exchange.response_body)
        if body is NOT_JSON:
            return [("", "json", "the body is not JSON")]
        return [
            (_pointer(v.loc), v.type, v.detail or v.msg)
            for v in self.validator.violations(spec.json_pointer, body)
        ]

    def _stream(
        self, op: Operation | None, recorded: Exchange, seen: Exchange
    ) -> Iterator[tuple[str, str, str, str]]:
        left = stream_shape(recorded.response_body)
        right = stream_shape(seen.response_body)
        if left != right:
            yield "/events", "sse_sequence", " ".join(left), " ".join(right)
        for (_, a), (_, b) in zip(
            sse_events(recorded.response_body), sse_events(seen.response_body), strict=False
        ):
            self.ids.learn_bodies(parse_json(a.encode()), parse_json(b.encode()))

    def _walk(
        self, left: Any, right: Any, schemas: list[Any], where: str
    ) -> Iterator[tuple[str, str, str, str]]:
        narrowed = self.schemas.narrow(schemas, left)
        kinds = json_type(left), json_type(right)
        if kinds[0] != kinds[1]:
            yield where, "type", f"{kinds[0]} {show(left, 60)}", f"{kinds[1]} {show(right, 60)}"
            return
        if self.schemas.enum(narrowed) and left != right:
            yield where, "enum", show(left), show(right)
            return
        if isinstance(left, dict):
            # In the answers' own order, so that a report reads the same every time.
            for key in left:
                if key not in right:
                    yield f"{where}/{pointer_escape(key)}", "missing", show(left[key]), ABSENT
            for key in right:
                if key not in left:
                    yield f"{where}/{pointer_escape(key)}", "extra", ABSENT, show(right[key])
            for key in left:
                if key in right:
                    child = self.schemas.child(narrowed, key)
                    yield from self._walk(left[key], right[key], child, f"{where}/{pointer_escape(key)}")
        elif isinstance(left, list):
            yield from self._list(left, right, self.schemas.child(narrowed, None), where)
        elif isinstance(left, str):
            yield from self._string(left, right, where)

    def _string(self, left: str, right: str, where: str) -> Iterator[tuple[str, str, str, str]]:
        if is_id(left) or is_id(right):
            if not (is_id(left) and is_id(right)) or prefix(left) != prefix(right):
                yield where, "id", left, right
                return
            expected = self.ids.get(left)
            if expected is None:
                self.ids.learn(left, right)
            elif expected != right:
                yield where, "id_reference", f"{left} (here {expected})", right
            return
        formats = timestamp_format(left), timestamp_format(right)
        if formats[0] != formats[1] and None not in formats:
            yield where, "timestamp_format", f"{formats[0]} {left}", f"{formats[1]} {right}"

    def _list(
        self, left: list[Any], right: list[Any], items: list[Any], where: str
    ) -> Iterator[tuple[str, str, str, str]]:
        if (not left) != (not right):
            yield where, "length", f"{len(left)} items", f"{len(right)} items"
        keyed = any(item_id(item) for item in [*left, *right])
        pairs = list(pair_items(left, right, self.ids))
        if keyed:
            # Learn first, so that items below (and later requests) see the whole map.
            for a, b in pairs:
                self.ids.learn_bodies(a, b)
            yield from self._membership(left, right, pairs, where)
        place = {id(item): position for position, item in enumerate(left)}
        for a, b in pairs:
            yield from self._walk(a, b, items, f"{where}/{place[id(a)]}")

    def _membership(
        self, left: list[Any], right: list[Any], pairs: list[tuple[Any, Any]], where: str
    ) -> Iterator[tuple[str, str, str, str]]:
        paired_left = {id(a) for a, _ in pairs}
        paired_right = {id(b) for _, b in pairs}
        for position, item in enumerate(left):
            if id(item) not in paired_left:
                yield f"{where}/{position}", "missing_item", str(item_id(item)), ABSENT
        for item in right:
            own = item_id(item)
            # Only what this replay made or seeded can be told apart from the target's other records.
            if id(item) not in paired_right and own and self.ids.knows_seen(own):
                yield where, "extra_item", ABSENT, own
        orders = direction(left), direction(right)
        if None not in orders and orders[0] != orders[1]:
            yield where, "order", f"created_at {orders[0]}", f"created_at {orders[1]}"
            return
        swapped = _out_of_order(pairs, right)
        if swapped:
            yield where, "order", *swapped


def _out_of_order(pairs: list[tuple[Any, Any]], right: list[Any]) -> tuple[str, str] | None:
    """Two paired items the target lists the other way round (records created at the same moment
    may come in either order): their ids, as recorded and as seen."""
    spot = {id(item): position for position, item in enumerate(right)}
    placed = [(spot[id(b)], a) for a, b in pairs]
    for i, (here, a) in enumerate(placed):
        for there, b in placed[i + 1 :]:
            if here > there and not _same_moment(a, b):
                first, second = str(item_id(a)), str(item_id(b))
                return f"{first} before {second}", f"{second} before {first}"
    return None


def _same_moment(a: Any, b: Any) -> bool:
    when = [_when(item.get("created_at")) if isinstance(item, Mapping) else None for item in (a, b)]
    return when[0] is not None and when[0] == when[1]


def _pointer(loc: Iterable[str | int]) -> str:
    parts = [str(part) for part in loc]
    if parts[:1] == ["response"]:
        parts = parts[1:]
    return "".join(f"/{pointer_escape(part)}" for part in parts)
