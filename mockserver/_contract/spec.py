"""The operation table: the OpenAPI document loaded once into frozen records.

Routes, request validation, response validation, generated data and Hypothesis strategies
all read from the :class:`OperationTable` built here; nothing else parses the document.
Schemas are referred to by JSON pointer into the document so that ``$ref``s keep resolving
against it. Pointers and ``$ref``s are resolved in one place, :class:`Refs`, through ``referencing``
(the library the validators resolve with), so both always agree on what a reference names.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from mockserver._contract.resources import ADDITIONS_FILE, BATCH_JOB_SCHEMA_FILE, OPENAPI_FILE, data_dir

JSON = Any
ParamLocation = Literal["path", "query", "header", "cookie"]
_MISSING: Any = object()
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOCUMENT_URI = "urn:letta-mockserver:openapi"
"""The URI a document is registered under; its local ``$ref``s (``#/...``) resolve against it."""
# What a pointer may keep unescaped as a URI fragment (RFC 3986 pchar + "/"), so quoting it is lossless.
_FRAGMENT_SAFE = "/~!$&'()*+,;=:@"


def pointer_escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def ref_pointer(ref: str) -> str:
    """The JSON pointer a local ``$ref`` (``#/components/...``) names: its fragment, percent-decoded."""
    return unquote(ref.removeprefix("#"))


class Refs:
    """One ``referencing`` resolver over one document: where its pointers and ``$ref``s lead.

    The only code that resolves them; everything else asks here. Lookups are cached, as they run
    on request paths, so the document must not change once a ``Refs`` has read it. A pointer or
    reference that leads nowhere raises ``KeyError``.
    """

    def __init__(self, document: Mapping[str, JSON]) -> None:
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            DOCUMENT_URI, DRAFT202012.create_resource(document)
        )
        self.resolver = self.registry.resolver(base_uri=DOCUMENT_URI)
        self._found: dict[str, Any] = {}  # by `$ref` value
        self._at: dict[str, Any] = {}  # by pointer

    def at(self, pointer: str) -> Any:
        """The node at JSON ``pointer`` (``""`` is the document itself)."""
        found = self._at.get(pointer, _MISSING)
        if found is _MISSING:
            found = self._at[pointer] = self.lookup("#" + quote(pointer, safe=_FRAGMENT_SAFE))
        return found

    def lookup(self, ref: str) -> Any:
        """The node a ``$ref`` value names."""
        found = self._found.get(ref, _MISSING)
        if found is _MISSING:
            try:
                found = self.resolver.lookup(ref).contents
            except Unresolvable as exc:
                raise KeyError(ref) from exc
            self._found[ref] = found
        return found

    def deref(self, schema: Any) -> Any:
        """``schema`` with its ``$ref`` chain followed to the schema that is not a reference."""
        # `dict`, not `Mapping`: documents are parsed JSON, and this runs for every generated value.
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.lookup(schema["$ref"])
        return schema

    def deref_at(self, pointer: str) -> tuple[Any, str]:
        """The schema at ``pointer`` with its ``$ref`` chain followed, and the pointer it ends at."""
        schema = self.at(pointer)
        while isinstance(schema, dict) and "$ref" in schema:
            pointer = ref_pointer(schema["$ref"])
            schema = self.lookup(schema["$ref"])
        return schema, pointer


def resolve_pointer(document: Mapping[str, JSON], pointer: str) -> Any:
    """The node at ``pointer`` in a document no table owns (a copy being patched, say); uncached."""
    return Refs(document).at(pointer)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: ParamLocation
    required: bool
    schema: Mapping[str, JSON]
    pointer: str
    """JSON pointer of ``schema`` inside the document."""
    default: JSON
    """The schema's default, or ``NO_DEFAULT``."""
    is_array: bool
    """Whether the query string may repeat the key (FastAPI's ``list[...]``)."""
    types: frozenset[str] = frozenset()
    """The JSON types the schema admits (:func:`schema_types`), worked out once, not per request."""
    item_types: frozenset[str] = frozenset()
    """What each repeated value may be: the array branch's item types, else :attr:`types`."""


NO_DEFAULT: Any = _MISSING


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: int
    media_types: Mapping[str, str]
    """Media type -> JSON pointer of its schema."""

    @property
    def json_pointer(self) -> str | None:
        return self.media_types.get("application/json")


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    """Upper-case HTTP method."""
    path: str
    parameters: tuple[Parameter, ...]
    body_pointer: str | None
    """JSON pointer of the ``application/json`` request body schema, if the operation has a body."""
    body_required: bool
    responses: Mapping[int, ResponseSpec]
    path_regex: re.Pattern[str] = field(compare=False)

    @property
    def label(self) -> str:
        """How errors name the operation: ``create_batch (POST /v1/messages/batches)``."""
        return f"{self.operation_id} ({self.method} {self.path})"

    def params_in(self, location: ParamLocation) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == location)

    @property
    def success(self) -> ResponseSpec:
        return self.responses[min(s for s in self.responses if 200 <= s < 300)]


def _path_regex(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


def schema_types(refs: Refs | Mapping[str, JSON], schema: Mapping[str, JSON]) -> frozenset[str]:
    """The JSON types a schema admits, looking through ``$ref``, ``anyOf`` and ``oneOf``.

    ``refs`` resolves the references: a table's :attr:`OperationTable.refs`, or a bare document.
    """
    if not isinstance(refs, Refs):
        refs = Refs(refs)
    schema = refs.deref(schema)
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(declared)
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        found.update(_json_type(v) for v in values)
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, ()):
            found |= schema_types(refs, branch)
    return frozenset(found)


def _json_type(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _parameter(refs: Refs, raw: Mapping[str, JSON], pointer: str) -> Parameter:
    schema = raw.get("schema", {})
    types = schema_types(refs, schema)
    arrays = [b for b in map(refs.deref, [schema, *schema.get("anyOf", ())]) if b.get("type") == "array"]
    return Parameter(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required", False)),
        schema=schema,
        pointer=f"{pointer}/schema",
        default=schema.get("default", NO_DEFAULT),
        is_array="array" in types,
        types=types,
        item_types=schema_types(refs, arrays[0].get("items", {})) if arrays else types,
    )


def _operation(refs: Refs, path: str, method: str, raw: Mapping[str, JSON]) -> Operation:
    base = f"/paths/{pointer_escape(path)}/{method}"
    parameters = tuple(
        _parameter(refs, refs.deref(p), f"{base}/parameters/{i}")
        for i, p in enumerate(raw.get("parameters", ()))
    )
    body_pointer = None
    body_required = False
    if "requestBody" in raw:
        body = raw["requestBody"]
        if "application/json" in body.get("content", {}):
            body_pointer = f"{base}/requestBody/content/application~1json/schema"
        body_required = bool(body.get("required", False))
    responses = {}
    for status, response in raw.get("responses", {}).items():
        if not str(status).isdigit():
            continue  # `default`, `2XX`: no status the mock could answer with
        media = {
            media_type: f"{base}/responses/{status}/content/{pointer_escape(media_type)}/schema"
            for media_type, content in response.get("content", {}).items()
            if "schema" in content
        }
        responses[int(status)] = ResponseSpec(int(status), media)
    return Operation(
        operation_id=raw["operationId"],
        method=method.upper(),
        path=path,
        parameters=parameters,
        body_pointer=body_pointer,
        body_required=body_required,
        responses=responses,
        path_regex=_path_regex(path),
    )


class OperationTable(Mapping[str, Operation]):
    """Every operation of the document, keyed by operationId, in document order."""

    def __init__(self, document: Mapping[str, JSON]) -> None:
        self.document = document
        operations: dict[str, Operation] = {}
        for path, item in document.get("paths", {}).items():
            for method in _HTTP_METHODS:
                if method in item:
                    op = _operation(self.refs, path, method, item[method])
                    if op.operation_id in operations:
                        raise ValueError(f"duplicate operationId {op.operation_id!r} in the OpenAPI document")
                    operations[op.operation_id] = op
        self._operations = operations

    def __getitem__(self, operation_id: str) -> Operation:
        try:
            return self._operations[operation_id]
        except KeyError:
            raise KeyError(
                f"unknown operation {operation_id!r}; known: {', '.join(sorted(self._operations))}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._operations)

    def __len__(self) -> int:
        return len(self._operations)

    @cached_property
    def paths(self) -> Mapping[str, Mapping[str, Operation]]:
        """Path template -> upper-case method -> operation."""
        by_path: dict[str, dict[str, Operation]] = {}
        for op in self._operations.values():
            by_path.setdefault(op.path, {})[op.method] = op
        return by_path

    @cached_property
    def refs(self) -> Refs:
        """The resolver of this table's document, built once and shared by everything reading it."""
        return Refs(self.document)

    def schema_at(self, pointer: str) -> Any:
        """The node at JSON ``pointer`` in the document; ``KeyError`` if there is none."""
        return self.refs.at(pointer)

    def deref(self, schema: Any) -> Any:
        """``schema`` with its ``$ref`` chain followed."""
        return self.refs.deref(schema)

    def component(self, name: str) -> Mapping[str, JSON]:
        schema: Mapping[str, JSON] = self.schema_at(f"/components/schemas/{pointer_escape(name)}")
        return schema


def load_document(path: Path | None = None) -> dict[str, JSON]:
    path = path or data_dir("schemas") / OPENAPI_FILE
    with path.open(encoding="utf-8") as fh:
        document: dict[str, JSON] = json.load(fh)
    return document


def load_batch_job_schema() -> dict[str, JSON]:
    with (data_dir("schemas") / BATCH_JOB_SCHEMA_FILE).open(encoding="utf-8") as fh:
        schema: dict[str, JSON] = json.load(fh)
    return schema


_TABLE: OperationTable | None = None


def default_table() -> OperationTable:
    """The table of the shipped document, loaded once per process.

    Loading it also loads ``schemas/batch-job.schema.json``, the BatchJob schema this project started
    from: the document's ``BatchJob`` must be that schema, or the two files have drifted apart.
    """
    global _TABLE
    if _TABLE is None:
        document = load_document()
        seed = {k: v for k, v in load_batch_job_schema().items() if k not in ("$schema", "$id")}
        if document["components"]["schemas"]["BatchJob"] != seed:
            raise ValueError(
                f"{OPENAPI_FILE}: /components/schemas/BatchJob differs from {BATCH_JOB_SCHEMA_FILE}; "
                "update both together (schemas/NOTES.md)"
            )
        _TABLE = OperationTable(document)
    return _TABLE


@functools.cache
def load_additions() -> Mapping[str, Any]:
    """``schemas/mock-additions.json``: what the mock enforces and answers beyond the upstream document."""
    with (data_dir("schemas") / ADDITIONS_FILE).open(encoding="utf-8") as fh:
        additions: dict[str, Any] = json.load(fh)
    return additions


def narrowed(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` narrowed to what strict validation refuses beyond it.

    The one place the additions' ``schema_patches`` (a non-empty batch, say) and ``id_patterns`` (the
    ``<prefix>-<uuid4>`` path ids) are merged: the strict served document and the Hypothesis strategies
    both start from it. Narrowing only, so pointers stay the operation table's. A patch whose target
    a document lacks (``--openapi``) is skipped.
    """
    additions = load_additions()
    copied: dict[str, Any] = copy.deepcopy(dict(document))
    for pointer, patch in additions.get("schema_patches", {}).items():
        try:
            target = resolve_pointer(copied, pointer)
        except (KeyError, IndexError, ValueError):
            continue
        if isinstance(target, dict):
            target.update(copy.deepcopy(patch))
    id_patterns: Mapping[str, str] = additions.get("id_patterns", {})
    for item in copied.get("paths", {}).values():
        for operation in item.values() if isinstance(item, dict) else ():
            for param in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                pattern = id_patterns.get(param.get("name"))
                if param.get("in") == "path" and pattern is not None:
                    param["schema"] = {**param["schema"], "pattern": pattern}
    return copied
