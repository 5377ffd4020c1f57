"""Response fixtures: ``<operationId>.json`` files that replace generated bodies.

A fixture for a list operation is the whole collection (still paged by ``limit``, ``order``
and the cursors); for an operation with an id in its path, the fixture's ``id`` is replaced
by the requested one; otherwise the body is answered as it is. Every fixture is validated
against its operation's response schema when it is loaded, so a broken one stops start-up
with a message naming the file, not a client parser later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver._schemas import SchemaSet
from mockserver._spec import OperationTable


class FixtureError(ValueError):
    """A fixture file that cannot be used."""


def load_response_fixtures(directory: Path, table: OperationTable, schemas: SchemaSet) -> Mapping[str, Any]:
    """Every ``<operationId>.json`` directly inside ``directory``, validated."""
    if not directory.is_dir():
        raise FixtureError(f"fixtures directory {str(directory)!r} does not exist")
    found: dict[str, Any] = {}
    for path in sorted(directory.glob("*.json")):
        operation_id = path.stem
        if operation_id not in table:
            continue  # other fixture kinds (state seeds) live beside response fixtures
        op = table[operation_id]
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FixtureError(f"fixture {path.name}: not valid JSON: {exc}") from exc
        pointer = op.success.json_pointer
        if op.operation_id == "retrieve_stream_for_run":
            pointer = op.success.media_types.get("text/event-stream")
            events = body if isinstance(body, list) else [body]
            problems = (
                [v for event in events for v in schemas.violations(pointer or "", event)] if pointer else []
            )
        else:
            problems = schemas.violations(pointer, body) if pointer else []
        if problems:
            listed = "; ".join(
                f"{'.'.join(map(str, p.loc)) or '<root>'}: {p.detail or p.msg}" for p in problems[:5]
            )
            raise FixtureError(f"fixture {path.name} does not match the {op.label} response schema: {listed}")
        found[operation_id] = body
    return found
