"""Another Letta OpenAPI document (``--openapi FILE``): loaded, and checked against the simulation.

The mock simulates the 20 operations of the shipped document. A newer or older document may
move, retype or drop what those simulations write and read; such a document stops start-up
with the operation and the JSON pointer, rather than serving answers that break the contract
it serves. Operations the shipped document does not have are answered as stateless mode would
(:class:`DocumentBackend`), in both modes; simulated operations a document lacks are not routed.

The check compares each simulated operation with its shipped twin, schema by schema:
responses must still admit what the simulation writes (every JSON type and enum value of the
shipped schema, every field the shipped schema requires; no new required field), and requests
must still give what the simulation reads (every shipped parameter and required body field,
of no new type).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from mockserver._answers.backend import Backend, Reply
from mockserver._contract.parsing import ParsedRequest
from mockserver._contract.spec import OperationTable, Refs, default_table, schema_types

Direction = Literal["writes", "reads"]

# Components the mock builds bodies from by name, with the operations that need them.
_COMPONENTS: Mapping[str, tuple[str, ...]] = {
    "RunStatus": ("list_runs",),
    "Message": ("list_messages_for_batch",),
    "LettaMessageUnion": ("list_messages_for_run", "retrieve_stream_for_run"),
    "Step": ("list_steps_for_run",),
    "LettaPing": ("retrieve_stream_for_run",),
    "ReasoningMessage": ("retrieve_stream_for_run",),
    "AssistantMessage": ("retrieve_stream_for_run",),
    "LettaUsageStatistics": ("retrieve_stream_for_run", "retrieve_usage_for_run"),
}
_SHOWN = 5


class DocumentError(ValueError):
    """An ``--openapi`` document the mock cannot serve."""


def simulated() -> frozenset[str]:
    """The operationIds the mock simulates: those of the shipped document."""
    return frozenset(default_table())


def load_table(path: Path) -> OperationTable:
    """The operation table of the document at ``path``, checked against the simulation."""
    where = f"openapi file {str(path)!r}"
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise DocumentError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DocumentError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise DocumentError(f"{where}: not an OpenAPI document (a JSON object with 'paths')")
    broken = next(_broken_refs(Refs(document), document, ""), None)
    if broken is not None:
        raise DocumentError(f"{where}: {broken[0]}: $ref {broken[1]!r} does not resolve")
    try:
        table = OperationTable(document)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise DocumentError(f"{where}: not an OpenAPI document this mock can read: {exc!r}") from None
    for op in table.values():
        if not any(200 <= status < 300 for status in op.responses):
            pointer = f"/paths/{_escape(op.path)}/{op.method.lower()}/responses"
            raise DocumentError(f"{where}: {op.label}: {pointer}: no 2xx response to answer with")
    problems = check(table, default_table())
    if problems:
        listed = "; ".join(problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise DocumentError(f"{where} does not fit what the mock simulates: {listed}{more}")
    return table


def _broken_refs(refs: Refs, node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                if not ref.startswith("#"):
                    raise KeyError(ref)  # only references inside the document are followed
                refs.lookup(ref)
            except (KeyError, IndexError, ValueError, TypeError):
                yield pointer or "/", ref
        for key, value in node.items():
            yield from _broken_refs(refs, value, f"{pointer}/{_escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _broken_refs(refs, value, f"{pointer}/{index}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def check(table: OperationTable, shipped: OperationTable) -> list[str]:
    """Problems of ``table``'s simulated operations, as ``<operation>: <pointer>: <problem>``.

    A problem in a shared component is listed once, naming every operation it breaks.
    """
    found: dict[str, list[str]] = {}  # "<pointer>: <problem>" -> operations
    for operation_id, new in table.items():
        if operation_id not in shipped:
            continue
        old = shipped[operation_id]
        comparison = _Comparison(shipped.refs, table.refs)
        if (new.method, new.path) != (old.method, old.path):
            base = f"/paths/{_escape(new.path)}/{new.method.lower()}"
            comparison.problems.append(
                f"{base}: is {new.method} {new.path}; the simulation answers {old.method} {old.path}"
            )
        else:
            _compare_operation(comparison, old, new)
        for problem in comparison.problems:
            found.setdefault(problem, []).append(operation_id)
    for name, users in _COMPONENTS.items():
        present = [op for op in users if op in table]
        if present and name not in table.document.get("components", {}).get("schemas", {}):
            found.setdefault(f"/components/schemas/{name}: missing; the mock builds bodies from it", present)
    return [f"{', '.join(ops)}: {problem}" for problem, ops in found.items()]


def _compare_operation(comparison: _Comparison, old: Any, new: Any) -> None:
    base = f"/paths/{_escape(new.path)}/{new.method.lower()}"
    old_success, new_statuses = old.success, [s for s in new.responses if 200 <= s < 300]
    if old_success.status not in new_statuses:
        comparison.problems.append(f"{base}/responses: no {old_success.status} response to answer with")
    else:
        new_success = new.responses[old_success.status]
        for media, old_pointer in old_success.media_types.items():
            new_pointer = new_success.media_types.get(media)
            if new_pointer is None:
                where = f"{base}/responses/{old_success.status}/content"
                comparison.problems.append(f"{where}: no {media} schema; the simulation answers {media}")
            else:
                comparison.walk(old_pointer, new_pointer, "writes")
    new_params = {(p.name, p.location): p for p in new.parameters}
    for param in old.parameters:
        twin = new_params.get((param.name, param.location))
        if twin is None:
            comparison.problems.append(
                f"{base}/parameters: no {param.location} parameter {param.name!r}; the simulation reads it"
            )
        else:
            comparison.walk(param.pointer, twin.pointer, "reads")
    if old.body_pointer is not None:
        if new.body_pointer is None:
            comparison.problems.append(f"{base}/requestBody: no JSON body; the simulation reads one")
        else:
            comparison.walk(old.body_pointer, new.body_pointer, "reads")


def _widen(types: frozenset[str]) -> frozenset[str]:
    return types | {"integer"} if "number" in types else types


class _Comparison:
    """One walk of a shipped schema beside its counterpart in the new document."""

    def __init__(self, old: Refs, new: Refs) -> None:
        self.old, self.new = old, new
        self.problems: list[str] = []
        self._seen: set[tuple[str, str, Direction]] = set()

    def walk(self, old_pointer: str, new_pointer: str, direction: Direction) -> None:
        old_schema, old_pointer = _deref(self.old, old_pointer)
        new_schema, new_pointer = _deref(self.new, new_pointer)
        key = (old_pointer, new_pointer, direction)
        if key in self._seen:
            return
        self._seen.add(key)
        self._types((old_schema, old_pointer), (new_schema, new_pointer), direction)
        old_props, old_required = _properties(self.old, old_schema, old_pointer)
        new_props, new_required = _properties(self.new, new_schema, new_pointer)
        for name, old_child in old_props.items():
            new_child = new_props.get(name)
            if new_child is not None:
                self.walk(old_child, new_child, direction)
            elif name in old_required and (direction == "reads" or new_props):
                verb = "writes" if direction == "writes" else "reads"
                self.problems.append(f"{new_pointer}/properties: no field {name!r}; the simulation {verb} it")
        if direction == "writes":
            for name in sorted(new_required - old_props.keys()):
                self.problems.append(
                    f"{new_pointer}/required: requires {name!r}, which the simulation does not write"
                )
        old_items, new_items = (
            _items(self.old, old_schema, old_pointer),
            _items(self.new, new_schema, new_pointer),
        )
        if old_items is not None and new_items is not None:
            self.walk(old_items, new_items, direction)

    def _types(
        self, old: tuple[Mapping[str, Any], str], new: tuple[Mapping[str, Any], str], direction: Direction
    ) -> None:
        (old_schema, old_pointer), (new_schema, pointer) = old, new
        old_types, new_types = schema_types(self.old, old_schema), schema_types(self.new, new_schema)
        if old_types and new_types:
            if direction == "writes":
                extra = old_types - _widen(new_types)
                problem = f"admits {_names(new_types)}, but the simulation writes {_names(extra)}"
            else:
                extra = new_types - _widen(old_types)
                problem = f"admits {_names(extra)}, but the simulation reads only {_names(old_types)}"
            if extra:
                self.problems.append(f"{pointer}: {problem}")
                return
        if direction == "writes":
            old_enum, new_enum = (
                _enum(self.old, old_schema, old_pointer),
                _enum(self.new, new_schema, pointer),
            )
            if old_enum is not None and new_enum is not None:
                missing = [value for value in old_enum if value not in new_enum]
                if missing:
                    self.problems.append(
                        f"{pointer}: does not admit {', '.join(map(repr, missing))},"
                        " which the simulation writes"
                    )


def _names(types: frozenset[str]) -> str:
    return "/".join(sorted(types))


def _deref(refs: Refs, pointer: str) -> tuple[Mapping[str, Any], str]:
    schema, pointer = refs.deref_at(pointer)
    return (schema if isinstance(schema, dict) else {}), pointer


def _branches(refs: Refs, schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[Any, str]]:
    """The schema and every ``anyOf``/``oneOf``/``allOf`` branch under it, dereferenced."""
    yield schema, pointer
    for key in ("anyOf", "oneOf", "allOf"):
        for index, _branch in enumerate(schema.get(key, ())):
            branch, where = _deref(refs, f"{pointer}/{key}/{index}")
            yield from _branches(refs, branch, where)


def _properties(refs: Refs, schema: Mapping[str, Any], pointer: str) -> tuple[dict[str, str], frozenset[str]]:
    """Property name -> pointer, over every branch; required: what every object branch requires."""
    props: dict[str, str] = {}
    required: frozenset[str] | None = None
    for branch, where in _branches(refs, schema, pointer):
        for name in branch.get("properties", {}) if isinstance(branch.get("properties"), dict) else ():
            props.setdefault(name, f"{where}/properties/{_escape(name)}")
        if isinstance(branch.get("properties"), dict):
            names = frozenset(branch.get("required", ()))
            required = names if required is None else required & names
    return props, required or frozenset()


def _items(refs: Refs, schema: Mapping[str, Any], pointer: str) -> str | None:
    for branch, where in _branches(refs, schema, pointer):
        if isinstance(branch.get("items"), dict):
            return f"{where}/items"
    return None


def _enum(refs: Refs, schema: Mapping[str, Any], pointer: str) -> list[Any] | None:
    values: list[Any] = []
    constrained = False
    for branch, _where in _branches(refs, schema, pointer):
        if "enum" in branch or "const" in branch:
            constrained = True
            values += branch.get("enum", [branch.get("const")])
        elif branch.get("type") not in (None, "null") and not any(k in branch for k in ("anyOf", "oneOf")):
            return None  # an unconstrained branch admits any value of its type
    return values if constrained else None


class DocumentBackend:
    """Simulated operations to the simulation; the document's other operations, as stateless mode."""

    def __init__(self, simulation: Backend, generated: Backend, operation_ids: frozenset[str]) -> None:
        self._simulation = simulation
        self._generated = generated
        self._simulated = operation_ids

    async def handle(self, request: ParsedRequest) -> Reply:
        """Answer one parsed request from whichever backend knows its operation."""
        if request.operation.operation_id in self._simulated:
            return await self._simulation.handle(request)
        return await self._generated.handle(request)
