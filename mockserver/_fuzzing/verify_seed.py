"""Bringing a letta-mockserver to the state a recording saw, before ``verify`` replays it.

Runs are made outside the 20 operations (by an agent's async messages), so a recording reads runs that
no request of it created. Against a mock, each such run is stored through ``POST /_mock/runs`` from its
recorded answers (its ``retrieve_run`` body, else a list's item; its messages, steps and usage when
they were recorded) under its recorded id, and the id map maps its ids to themselves. What a seed
cannot carry is said in the notes ``verify`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from mockserver._contract.spec import OperationTable
from mockserver._recording.compare import operation_for, timestamp_format
from mockserver._recording.exchange import Exchange
from mockserver._recording.idmap import IdMap, is_id, walk_ids

RUN_STATUSES = frozenset({"created", "running", "completed", "failed", "cancelled"})
TERMINAL = frozenset({"completed", "failed", "cancelled"})
# What RunSeed takes as it is (schemas/mock-control.schema.json); anything else of a run is the mock's own.
_COPIED = ("agent_id", "callback_url", "metadata", "conversation_id")
_RUN_BODIES = ("retrieve_run", "list_runs", "list_active_runs")


@dataclass
class RunSeed:
    run_id: str
    payload: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Seen:
    body: dict[str, Any] | None = None
    from_retrieve: bool = False
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, Any] | None = None


def _body(exchange: Exchange) -> Any:
    try:
        return orjson.loads(exchange.response_body) if exchange.response_body else None
    except orjson.JSONDecodeError:
        return None


def _merge(into: dict[str, dict[str, Any]], items: Any) -> None:
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and is_id(item.get("id")):
            into.setdefault(item["id"], item)


def _collect(exchanges: Iterable[Exchange], table: OperationTable) -> dict[str, _Seen]:
    runs: dict[str, _Seen] = {}
    for exchange in exchanges:
        op = operation_for(table, exchange.method, exchange.path)
        if op is None or not 200 <= exchange.status < 300:
            continue
        body = _body(exchange)
        found = op.path_regex.match(exchange.path)
        run_id = found.groupdict().get("run_id") if found else None
        if op.operation_id in _RUN_BODIES:
            for run in body if isinstance(body, list) else [body]:
                if isinstance(run, dict) and is_id(run.get("id")) and str(run["id"]).startswith("run-"):
                    seen = runs.setdefault(run["id"], _Seen())
                    if op.operation_id == "retrieve_run" or not seen.from_retrieve:
                        seen.body, seen.from_retrieve = run, op.operation_id == "retrieve_run"
        elif run_id is not None and op.operation_id == "list_messages_for_run":
            _merge(runs.setdefault(run_id, _Seen()).messages, body)
        elif run_id is not None and op.operation_id == "list_steps_for_run":
            _merge(runs.setdefault(run_id, _Seen()).steps, body)
        elif run_id is not None and op.operation_id == "retrieve_usage_for_run" and isinstance(body, dict):
            runs.setdefault(run_id, _Seen()).usage = body
    return runs


def _utc(text: str) -> str:
    return text if timestamp_format(text) == "offset" else text + "Z"


def _seconds(text: Any) -> float | None:
    if not isinstance(text, str) or timestamp_format(text) is None:
        return None
    return datetime.fromisoformat(_utc(text).replace("Z", "+00:00")).astimezone(UTC).timestamp()


def _when(item: Mapping[str, Any]) -> float:
    return _seconds(item.get("date") or item.get("created_at")) or 0.0


def run_seeds(exchanges: Iterable[Exchange], table: OperationTable) -> tuple[list[RunSeed], list[str]]:
    """The seed of every run the recording read, and a note for each it read but cannot seed."""
    seeds: list[RunSeed] = []
    notes: list[str] = []
    for run_id, seen in _collect(exchanges, table).items():
        run = seen.body
        if run is None or not isinstance(run.get("agent_id"), str) or not run["agent_id"]:
            notes.append(f"{run_id}: the recording has no answer with the run itself; not seeded")
            continue
        payload: dict[str, Any] = {"id": run_id, **{k: run[k] for k in _COPIED if k in run}}
        seed = RunSeed(run_id, payload)
        status = run.get("status")
        if status in RUN_STATUSES:
            payload["status"] = status
            if status not in TERMINAL:
                seed.notes.append(f"seeded as {status}: it progresses on the target's clock")
        if isinstance(run.get("background"), bool):
            payload["background"] = run["background"]
        if run.get("stop_reason") is not None and status in TERMINAL:
            payload["stop_reason"] = run["stop_reason"]
        created, ended = _seconds(run.get("created_at")), _seconds(run.get("completed_at"))
        if created is not None:
            payload["created_at"] = _utc(run["created_at"])
            if ended is not None:
                payload["duration"] = max(0.0, ended - created)
        if seen.messages:
            payload["messages"] = sorted(seen.messages.values(), key=_when)
        if seen.steps:
            # The real server's steps carry its owner's organization_id, which no documented Step has
            # (quirk owner-ids): the mock stores steps as documented and adds it back under that quirk.
            payload["steps"] = [
                {k: v for k, v in step.items() if k != "organization_id"} for step in seen.steps.values()
            ]
        if seen.usage is not None:
            usage = {k: seen.usage[k] for k in ("prompt_tokens", "completion_tokens") if k in seen.usage}
            payload["usage"] = {k: v for k, v in usage.items() if isinstance(v, int) and v >= 0}
        seed.notes.append("its metrics, trace and timings are the mock's own")
        seeds.append(seed)
    return seeds, notes


def is_mock(client: httpx.Client, headers: Mapping[str, str]) -> str | None:
    """``None`` when the target is a letta-mockserver (it answers ``GET /_mock/profile`` with a
    profile), else why nothing can be seeded."""
    try:
        answer = client.get("/_mock/profile", headers=dict(headers))
    except httpx.HTTPError as exc:
        return f"GET /_mock/profile failed ({type(exc).__name__}): nothing seeded"
    if answer.status_code in (401, 403):
        return (
            f"the target's control API refused GET /_mock/profile ({answer.status_code}):"
            " give its --control-token; nothing seeded"
        )
    try:
        body = answer.json() if answer.status_code == 200 else None
    except ValueError:
        body = None
    if isinstance(body, dict) and "profile" in body:
        return None
    return "the target does not answer GET /_mock/profile: not a mock, nothing seeded"


def _post(client: httpx.Client, payload: dict[str, Any], headers: Mapping[str, str]) -> httpx.Response | str:
    try:
        return client.post("/_mock/runs", json=payload, headers=dict(headers))
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


def seed_runs(
    client: httpx.Client, seeds: Iterable[RunSeed], ids: IdMap, headers: Mapping[str, str]
) -> list[str]:
    """Store each run through the control API; the notes say what was seeded and what was refused.

    A run whose recorded messages or steps the mock refuses (they break the documented schemas) is
    seeded without them rather than not at all: the run itself still answers like the recording."""
    notes: list[str] = []
    for seed in seeds:
        answer = _post(client, seed.payload, headers)
        if not isinstance(answer, str) and answer.status_code in (400, 422):
            refused = answer.text[:300]
            bare = {k: v for k, v in seed.payload.items() if k not in ("messages", "steps")}
            if bare != seed.payload:
                answer = _post(client, bare, headers)
                seed.notes.append(f"without its messages and steps, which the mock refused: {refused}")
                seed.payload = bare
        if isinstance(answer, str):
            notes.append(f"{seed.run_id}: not seeded ({answer})")
            continue
        if answer.status_code != 201:
            notes.append(
                f"{seed.run_id}: not seeded, the mock answered {answer.status_code}: {answer.text[:300]}"
            )
            continue
        walk_ids(seed.payload, ids.same)
        counts = [f"{len(seed.payload.get(k) or ())} {k}" for k in ("messages", "steps")]
        shown = ", ".join([*counts, *(["usage"] if "usage" in seed.payload else [])])
        notes.append(f"{seed.run_id}: seeded ({shown}); " + "; ".join(seed.notes))
    return notes
