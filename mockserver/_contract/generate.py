"""Realistic, schema-conformant data from a seeded generator.

The walk follows the schema (``$ref``, ``anyOf``/``oneOf``, ``const``, ``enum``, objects,
arrays, bounds and formats) and uses a property's *name* to pick a realistic value
(``agent_id`` -> ``agent-<uuid4>``, ``created_at`` -> an RFC 3339 time). Nothing here reads
the clock or global randomness: the caller passes a :class:`random.Random` and an anchor time.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mockserver._contract.spec import OperationTable

# Values the newest OpenAPI document has that letta-client 1.7.0 rejects in strict mode;
# a mock inventing values on its own must pick ones both SDK versions accept.
SDK_UNSAFE_VALUES = frozenset({"insufficient_credits", "summary_message", "event_message", "summary"})
# Properties whose array branch (content parts) is newer than letta-client 1.7.0, which types them
# as strings and rejects a list in strict mode.
_SDK_SCALAR_ONLY = frozenset({"func_response", "tool_return"})

_ID_PREFIX_BY_TITLE = {
    "BatchJob": "job",
    "Job": "job",
    "Run": "run",
    "RunMetrics": "run",
    "Step": "step",
    "Message": "message",
    "LettaPing": "ping",
}
_ID_PREFIX_BY_NAME = {
    "agent_id": "agent",
    "run_id": "run",
    "job_id": "job",
    "step_id": "step",
    "batch_item_id": "batch_item",
    "created_by_id": "user",
    "last_updated_by_id": "user",
    "sender_id": "agent",
    "conversation_id": "conversation",
    "group_id": "group",
    "project_id": "project",
    "provider_id": "provider",
    "template_id": "template",
    "base_template_id": "base_template",
    "approval_request_id": "message",
    "source_id": "source",
}
_TIME_OFFSETS = {
    "created_at": 0.0,
    "date": 0.0,
    "updated_at": 1.5,
    "completed_at": 2.0,
    "callback_sent_at": 2.1,
}
_WORDS = [
    "the",
    "agent",
    "reviewed",
    "the",
    "batch",
    "and",
    "summarised",
    "every",
    "request",
    "in",
    "a",
    "short",
    "friendly",
    "reply",
    "checking",
    "memory",
    "blocks",
    "before",
    "answering",
    "with",
    "the",
    "weather",
    "report",
    "for",
    "tomorrow",
]
_MODELS = ("claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022", "gpt-4o-mini")
_MAX_DEPTH = 12


def rfc3339(moment: datetime) -> str:
    """``2026-01-05T09:00:00.250000Z``: RFC 3339 with an offset, as the real server writes ``created_at``."""
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z"


def message_date(moment: datetime) -> str:
    """``2026-01-05T09:00:00+00:00``: seconds precision, the format of ``LettaMessage.date``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def prefixed_id(prefix: str, rng: random.Random) -> str:
    """``<prefix>-<uuid4>`` from ``rng``: the same text as ``uuid.UUID(int=..., version=4)``,
    formatted directly because ``uuid.UUID`` costs more than the rest of a request's ids."""
    value = rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
    text = f"{value:032x}"
    return f"{prefix}-{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


@dataclass
class _Walk:
    rng: random.Random
    anchor: datetime
    realistic_nulls: bool


class DataGenerator:
    """Generates instances of the document's schemas."""

    def __init__(self, table: OperationTable) -> None:
        self._table = table

    def at(self, pointer: str, rng: random.Random, anchor: datetime, **overrides: Any) -> Any:
        """An instance of the schema at ``pointer``, with top-level ``overrides`` applied."""
        return self.instance(self._table.schema_at(pointer), rng, anchor, **overrides)

    def component(self, name: str, rng: random.Random, anchor: datetime, **overrides: Any) -> Any:
        return self.instance(self._table.component(name), rng, anchor, **overrides)

    def instance(
        self, schema: Mapping[str, Any], rng: random.Random, anchor: datetime, **overrides: Any
    ) -> Any:
        value = self._value(schema, _Walk(rng, anchor, True), None, None, 0)
        if overrides and isinstance(value, dict):
            value.update(overrides)
        return value

    def fill_required(
        self,
        schema: Mapping[str, Any],
        partial: Mapping[str, Any],
        rng: random.Random,
        anchor: datetime,
        *,
        skip: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """``partial`` with the required properties it lacks (but ``skip``) generated from ``schema``."""
        schema = self._resolve(schema)
        full = dict(partial)
        walk = _Walk(rng, anchor, True)
        for name in schema.get("required", ()):
            if name not in full and name not in skip:
                full[name] = self._value(schema["properties"][name], walk, name, schema.get("title"), 1)
        return full

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        resolved: Mapping[str, Any] = self._table.deref(schema)
        return resolved

    def _value(
        self, schema: Mapping[str, Any], walk: _Walk, name: str | None, owner: str | None, depth: int
    ) -> Any:
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._enum(schema["enum"], walk)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._union(schema, key, walk, name, owner, depth)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self._value(merged, walk, name, owner, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, walk, name, depth)
        if kind == "array":
            return self._array(schema, walk, name, owner, depth)
        if kind == "string":
            return self._string(schema, walk, name, owner)
        if kind == "integer":
            return self._integer(schema, walk, name)
        if kind == "number":
            return self._number(schema, walk)
        if kind == "boolean":
            return walk.rng.random() < 0.5
        return None

    # The hooks below are where `_adversarial.AdversarialGenerator` differs.

    def _enum(self, values: list[Any], walk: _Walk) -> Any:
        return walk.rng.choice([v for v in values if v not in SDK_UNSAFE_VALUES] or values)

    def _number(self, schema: Mapping[str, Any], walk: _Walk) -> float:
        low = float(schema.get("minimum", 0.0))
        return round(walk.rng.uniform(low, float(schema.get("maximum", low + 10.0))), 3)

    def _union(
        self,
        schema: Mapping[str, Any],
        key: str,
        walk: _Walk,
        name: str | None,
        owner: str | None,
        depth: int,
    ) -> Any:
        branches = [b for b in schema[key] if not _excluded_branch(self._resolve(b), name)]
        non_null = [b for b in branches if self._resolve(b).get("type") != "null"]
        if not non_null:
            return None
        if len(non_null) < len(branches) and (depth >= _MAX_DEPTH or walk.rng.random() < _null_odds(name)):
            return None
        return self._value(walk.rng.choice(non_null), walk, name, owner, depth + 1)

    def _object(self, schema: Mapping[str, Any], walk: _Walk, name: str | None, depth: int) -> dict[str, Any]:
        title = schema.get("title")
        properties: Mapping[str, Any] = schema.get("properties", {})
        if not properties:
            return _free_object(name)
        return {
            prop: self._value(sub, walk, prop, title, depth + 1)
            for prop, sub in properties.items()
            if prop in schema.get("required", ()) or depth < _MAX_DEPTH
        }

    def _array(
        self, schema: Mapping[str, Any], walk: _Walk, name: str | None, owner: str | None, depth: int
    ) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, 2)))
        count = (
            low if depth >= _MAX_DEPTH else walk.rng.randint(max(low, min(1, high)), max(low, min(high, 2)))
        )
        items = schema.get("items", {})
        return [self._value(items, walk, name, owner, depth + 1) for _ in range(count)]

    def _string(self, schema: Mapping[str, Any], walk: _Walk, name: str | None, owner: str | None) -> str:
        fmt = schema.get("format")
        if fmt == "date-time" or name in _TIME_OFFSETS:
            moment = walk.anchor + timedelta(seconds=_TIME_OFFSETS.get(name or "", 0.0))
            return message_date(moment) if name == "date" else rfc3339(moment)
        if fmt == "uri" or name in ("callback_url", "url"):
            return "https://example.com/letta/callback"
        pattern = schema.get("pattern", "")
        if name == "id" or pattern:
            prefix = _prefix_from_pattern(pattern) or _ID_PREFIX_BY_TITLE.get(owner or "", "message")
            return prefixed_id(prefix, walk.rng)
        if name in _ID_PREFIX_BY_NAME:
            return prefixed_id(_ID_PREFIX_BY_NAME[name], walk.rng)
        if name in ("model", "model_handle"):
            return walk.rng.choice(_MODELS)
        text = _sentence(walk.rng, name)
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))
        if len(text) < low:
            text = text + "x" * (low - len(text))
        return text[:high]

    def _integer(self, schema: Mapping[str, Any], walk: _Walk, name: str | None) -> int:
        low = int(schema.get("minimum", 0))
        if name and name.endswith("_ns"):
            high = int(schema.get("maximum", low + 5_000_000_000))
            return walk.rng.randint(max(low, 50_000_000), max(low, high))
        if name in ("callback_status_code", "status_code"):
            return walk.rng.choice((200, 200, 200, 204, 500))
        if name == "seq_id":
            return walk.rng.randint(max(low, 1), max(low, 40))
        return walk.rng.randint(low, int(schema.get("maximum", low + 2_000)))


def _excluded_branch(schema: Mapping[str, Any], name: str | None) -> bool:
    if name in _SDK_SCALAR_ONLY and schema.get("type") == "array":
        return True
    message_type = schema.get("properties", {}).get("message_type", {})
    return message_type.get("const") in SDK_UNSAFE_VALUES


def _null_odds(name: str | None) -> float:
    # Fields that a real response nearly always fills are filled; the rest are null now and then.
    if name in ("agent_id", "run_id", "status", "created_at", "updated_at", "content", "text", "reasoning"):
        return 0.0
    if name and name.startswith("callback_"):
        return 0.6
    return 0.25


def _prefix_from_pattern(pattern: str) -> str | None:
    head = pattern.removeprefix("^").split("-", 1)[0]
    if head.startswith("(") and "|" in head:
        return None
    return head if head.isidentifier() else None


def _sentence(rng: random.Random, name: str | None) -> str:
    if name in ("name", "tool_name", "function"):
        return rng.choice(("send_message", "core_memory_append", "web_search", "archival_memory_search"))
    start = rng.randrange(len(_WORDS))
    words = [_WORDS[(start + i) % len(_WORDS)] for i in range(rng.randint(3, 9))]
    return " ".join(words).capitalize() + "."


def _free_object(name: str | None) -> dict[str, Any]:
    if name == "metadata":
        return {"source": "letta-mockserver"}
    return {}


ANCHOR = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
"""The moment generated collections start from, so that a seed always gives the same data."""
