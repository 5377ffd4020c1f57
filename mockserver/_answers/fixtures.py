"""Response fixtures: ``<operationId>.json`` files that replace generated bodies.

A fixture for a list operation is the whole collection (still paged by ``limit``, ``order``
and the cursors); for an operation with an id in its path, the fixture's ``id`` is replaced
by the requested one; otherwise the body is answered as it is. Every fixture is validated
against its operation's response schema when it is loaded, so a broken one stops start-up
with a message naming the file, not a client parser later.

Beside them may lie the state seeds (``batches.json``, ``jobs.json``, ``runs.json``), which
``_control.startup`` loads in stateful mode. Nothing in a user's directory is
ignored without a word: a ``.json`` file that is neither, or one the mode cannot use, stops
start-up. The shipped directory is ours, so what a mode cannot use there is skipped.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver._answers.compat import simulated
from mockserver._contract.parsing import loads
from mockserver._contract.spec import OperationTable
from mockserver._contract.validation import SchemaSet

STATE_SEEDS = ("batches.json", "jobs.json", "runs.json")
# The one response fixture the stateful mode reads: the simulation has no spans of its own.
_STATEFUL_FIXTURES = frozenset({"retrieve_trace_for_run"})


class FixtureError(ValueError):
    """A fixture file that cannot be used."""


def load_response_fixtures(
    directory: Path,
    table: OperationTable,
    schemas: SchemaSet,
    *,
    mode: str = "stateless",
    user: bool = True,
) -> Mapping[str, Any]:
    """Every ``<operationId>.json`` directly inside ``directory``, validated.

    ``user``: the directory was given (``--fixtures``); a file in it that ``mode`` cannot use,
    or that is no fixture at all, is a :class:`FixtureError` rather than skipped.
    """
    if not directory.is_dir():
        raise FixtureError(f"fixtures directory {str(directory)!r} does not exist")
    where = f"fixtures directory {str(directory)!r}"
    found: dict[str, Any] = {}
    for path in sorted(p for p in directory.glob("*.json") if p.is_file()):
        operation_id = path.stem
        if path.name in STATE_SEEDS:
            if mode != "stateful" and user:
                raise FixtureError(
                    f"{where}: {path.name} is a state seed, which stateless mode cannot use;"
                    " start with --mode stateful, or remove it"
                )
            continue  # the control layer's StartupState seeds it
        if operation_id not in table:
            if user:
                close = difflib.get_close_matches(operation_id, [*table, *(n[:-5] for n in STATE_SEEDS)], 1)
                hint = f" (did you mean {close[0]}.json?)" if close else ""
                raise FixtureError(f"{where}: {path.name} is not a fixture name{hint}; {_valid_names(table)}")
            continue
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
        if problems and not user:
            continue  # ours, written for the shipped document: another one may have changed the schema
        if problems:
            listed = "; ".join(
                f"{'.'.join(map(str, p.loc)) or '<root>'}: {p.detail or p.msg}" for p in problems[:5]
            )
            raise FixtureError(f"fixture {path.name} does not match the {op.label} response schema: {listed}")
        if mode == "stateful" and operation_id in simulated() and operation_id not in _STATEFUL_FIXTURES:
            if user:
                raise FixtureError(
                    f"{where}: {path.name} is a response fixture for {op.label}, which stateful mode answers"
                    " from the simulation; use --mode stateless, or seed state (batches.json, jobs.json,"
                    " runs.json, --state)"
                )
            continue
        found[operation_id] = body
    return found


def _valid_names(table: OperationTable) -> str:
    responses = ", ".join(f"{operation_id}.json" for operation_id in sorted(table))
    return f"valid: {responses} (response fixtures); {', '.join(STATE_SEEDS)} (state seeds, stateful mode)"


def read_json(path: Path, where: str) -> Any:
    """The JSON in ``path``; a ``ValueError`` starting with ``where`` if there is none."""
    return parse_json(read_bytes(path, where), where)


def read_bytes(path: Path, where: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FixtureError(f"{where}: cannot read it: {exc.strerror or exc}") from None


def parse_json(raw: bytes, where: str) -> Any:
    try:
        return loads(raw)
    except ValueError as exc:
        raise FixtureError(f"{where}: not valid JSON: {exc}") from None


def read_state_seeds(directory: Path) -> list[tuple[str, list[Any]]]:
    """The state seed files in ``directory`` (name, items), in the order they are seeded."""
    found = []
    for name in STATE_SEEDS:
        path = directory / name
        if path.is_file():
            seeds = read_json(path, f"fixture {name}")
            if not isinstance(seeds, list):
                raise FixtureError(f"fixture {name}: must be a JSON array")
            found.append((name, seeds))
    return found
