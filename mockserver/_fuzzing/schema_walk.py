"""The schema walker behind ``mockserver.strategies``: one strategy per schema node, built once.

Objects, arrays, unions and ``$ref`` are walked here; leaves go to hypothesis-jsonschema with
custom formats. Private: the public API is ``mockserver.strategies``.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from mockserver._contract.generate import (
    _ID_PREFIX_BY_NAME,
    _ID_PREFIX_BY_TITLE,
    _SDK_SCALAR_ONLY,
    ANCHOR,
    SDK_UNSAFE_VALUES,
    _prefix_from_pattern,
    rfc3339,
)
from mockserver._contract.spec import (
    Refs,
    default_table,
    narrowed,
    pointer_escape,
    ref_pointer,
)
from mockserver._contract.validation import SchemaSet

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
_READABLE = string.ascii_letters + string.digits + " .,"
_READABLE_MAX = 40
_REALISTIC_MAX_ITEMS = 3
_REALISTIC_SPAN = 10_000
_MAX_OFFSET_MINUTES = 24 * 60 - 1


# -- the walk ----------------------------------------------------------------------------------


@functools.cache
def _document() -> Mapping[str, Any]:
    """The document values are drawn from: upstream, narrowed to what the strict mock accepts.

    ``schemas/mock-additions.json`` lists what the server refuses beyond the upstream schema (the
    id format of path parameters, ``schema_patches`` such as a non-empty batch); the served
    document of the strict mode applies the same. Narrowing only, so that every value drawn is
    valid by the upstream document too, and pointers stay those of the operation table.
    """
    return narrowed(default_table().document)


@functools.cache
def _refs() -> Refs:
    """The resolver of :func:`_document`, built once: every node below is looked up through it."""
    return Refs(_document())


def _schema_at(pointer: str) -> Any:
    return _refs().at(pointer)


def _deref(schema: Any) -> Any:
    return _refs().deref(schema)


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
        target = ref_pointer(schema["$ref"])
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
    exclusive = _exactly_one_of(schema)
    if kind == "object" and "properties" in schema and keys <= _OBJECT_KEYS | {"oneOf"} and exclusive:
        return st.one_of(
            [_object(pointer, realistic, force | {name}, leave_out=exclusive - {name}) for name in exclusive]
        )
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


def _exactly_one_of(schema: Mapping[str, Any]) -> frozenset[str]:
    """The properties of which an object must give exactly one (not null), when its ``oneOf`` says
    only that (``schema_patches``' rule for a batch request's ``input`` and ``messages``); else empty."""
    names: list[str] = []
    for branch in schema.get("oneOf", ()):
        if not isinstance(branch, Mapping) or set(branch) != {"required", "properties"}:
            return frozenset()
        required: list[str] = list(branch["required"])
        if len(required) != 1 or branch["properties"] != {required[0]: {"not": {"type": "null"}}}:
            return frozenset()
        names.append(required[0])
    return frozenset(names)


def _object(
    pointer: str, realistic: bool, force: frozenset[str], leave_out: frozenset[str] = frozenset()
) -> st.SearchStrategy[dict[str, Any]]:
    schema = _schema_at(pointer)
    title = schema.get("title")
    required = set(schema.get("required", ())) | force
    properties: Mapping[str, Any] = schema["properties"]
    fields = {
        prop: _node(f"{pointer}/properties/{pointer_escape(prop)}", realistic, prop, title)
        for prop in properties
        if prop not in leave_out
    }
    for prop in force & set(fields):
        # A forced property is one that must be given: null would count as left out.
        fields[prop] = fields[prop].filter(lambda value: value is not None)
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
    return SchemaSet(default_table().refs, "strict")


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
    # A free-form key that names an id ("run_id") would promise an id and hold prose.
    keys = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12).filter(
        lambda k: not k.endswith("id")
    )
    return st.dictionaries(keys, scalars, max_size=_REALISTIC_MAX_ITEMS)


def _fallback(pointer: str) -> st.SearchStrategy[Any]:
    """The node whole to hypothesis-jsonschema, with the components its references need."""
    schema = _schema_at(pointer)
    if isinstance(schema, bool):
        return from_schema(schema)
    return from_schema({**schema, "components": _document()["components"]})
