"""Real ids for ``letta-mockserver fuzz``'s by-id operations, found or made before fuzzing.

Random ids only ever meet 404 on a server with state, so their 200 bodies would go unchecked.
Before fuzzing, the ids the server already has are listed (batches, runs, jobs); a batch is
created when one is needed, and on letta-mockserver (``/_mock`` answers) a finished run is
seeded. Operations that change what they touch (``PATCH``/``DELETE``: cancel, delete) only
get ids the fuzzer created itself: fuzzing a real server must not cancel or delete its data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import Phase, given, seed, settings

from mockserver._contract.spec import Operation
from mockserver.strategies import create_batch_requests

MUTATING = frozenset({"PATCH", "DELETE", "PUT"})
"""Methods whose operations change the record they name: they get only ids the fuzzer owns."""
LISTED = 10
"""Ids kept per kind from each list."""
TERMINAL_RUN = frozenset({"completed", "failed", "cancelled"})
SEED_AGENT = "agent-00000000-0000-4000-8000-00000000f022"


@dataclass
class Ids:
    """Ids by path parameter name: those that exist, those the fuzzer made, and why some are missing."""

    existing: dict[str, list[str]] = field(default_factory=dict)
    owned: dict[str, list[str]] = field(default_factory=dict)
    streamable: list[str] = field(default_factory=list)
    """Finished background runs: a live one could stream for hours."""
    missing: dict[str, str] = field(default_factory=dict)
    """Path parameter name -> why no id of that kind could be used."""
    notes: list[str] = field(default_factory=list)

    def pool(self, op: Operation) -> tuple[str | None, list[str], str | None]:
        """For a by-id operation: its path parameter, the real ids it may use, and why there are none."""
        names = [p.name for p in op.params_in("path")]
        if not names:
            return None, [], None
        name = names[0]
        if op.method in MUTATING:
            ids = self.owned.get(name, [])
            reason = (
                f"it changes what it touches, so it gets only ids the fuzzer created, and no {name} was"
                f" created ({self.missing.get('own ' + name, 'see the notes')})"
            )
        elif op.operation_id == "retrieve_stream_for_run":
            ids = self.streamable
            reason = f"no finished background run to stream ({self.missing.get(name, 'none was listed')})"
        else:
            ids = [*self.existing.get(name, []), *self.owned.get(name, [])]
            reason = self.missing.get(name, f"no {name} was found")
        return name, list(dict.fromkeys(ids)), None if ids else reason

    def as_dict(self) -> dict[str, list[str]]:
        """Every id found or made, by kind, for the JSON report."""
        kinds = {f"existing {k}": v for k, v in self.existing.items()}
        kinds.update({f"created {k}": v for k, v in self.owned.items()})
        return kinds


def _listed(client: httpx.Client, url: str, what: str, notes: list[str]) -> list[dict[str, Any]]:
    try:
        response = client.get(url, params={"limit": LISTED})
    except httpx.HTTPError as exc:
        notes.append(f"listing {what} ({url}) failed: {type(exc).__name__}")
        return []
    if response.status_code != 200:
        notes.append(f"listing {what} ({url}) answered {response.status_code}")
        return []
    try:
        body = response.json()
    except ValueError:
        return []
    items = body if isinstance(body, list) else []
    return [item for item in items[:LISTED] if isinstance(item, dict) and isinstance(item.get("id"), str)]


def _post(client: httpx.Client, url: str, body: Any) -> dict[str, Any] | None:
    try:
        response = client.post(url, json=body)
    except httpx.HTTPError:
        return None
    if not 200 <= response.status_code < 300:
        return None
    try:
        created = response.json()
    except ValueError:
        return None
    return created if isinstance(created, dict) and isinstance(created.get("id"), str) else None


def _batch_body() -> Any:
    """A valid ``CreateBatch`` body drawn from the contract, the same on every run."""
    drawn: list[Any] = []

    # One generated example: `find` would shrink it to the smallest body, which takes seconds.
    @seed(0)
    @settings(database=None, max_examples=1, phases=[Phase.generate], deadline=None)
    @given(create_batch_requests(realistic=True))
    def draw(body: Any) -> None:
        drawn.append(body)

    draw()
    return drawn[0]


def _is_mock(client: httpx.Client) -> bool:
    try:
        response = client.get("/_mock/clock")
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and "json" in response.headers.get("content-type", "")


def discover(client: httpx.Client, ops: Iterable[Operation]) -> Ids:
    """Find (or make) the ids the selected by-id operations need; see the module's docstring."""
    ops = list(ops)
    wanted = {p.name for op in ops for p in op.params_in("path")}
    mutating = {p.name for op in ops if op.method in MUTATING for p in op.params_in("path")}
    ids = Ids()
    if wanted & {"batch_id", "job_id"}:
        _batches_and_jobs(client, ids, wanted, mutating)
    if "run_id" in wanted:
        _runs(client, ids, ops, mutating)
    return ids


def _batches_and_jobs(client: httpx.Client, ids: Ids, wanted: set[str], mutating: set[str]) -> None:
    batches = [item["id"] for item in _listed(client, "/v1/messages/batches", "batches", ids.notes)]
    jobs = batches.copy()  # batches are jobs: the job routes answer their ids
    if "job_id" in wanted:
        jobs += [item["id"] for item in _listed(client, "/v1/jobs/", "jobs", ids.notes)]
    ids.existing["batch_id"], ids.existing["job_id"] = batches, list(dict.fromkeys(jobs))
    needed = mutating & {"batch_id", "job_id"} or ("batch_id" in wanted and not batches)
    if not needed and not ("job_id" in wanted and not jobs):
        return
    created = _post(client, "/v1/messages/batches", _batch_body())
    if created is None:
        why = "POST /v1/messages/batches did not answer 2xx with an id"
        ids.notes.append(f"could not create a batch: {why}")
        for name in ("batch_id", "job_id"):
            ids.missing[name] = f"the server listed none, and {why}"
            ids.missing["own " + name] = why
        return
    ids.notes.append(f"created batch {created['id']} for the by-id operations")
    ids.owned["batch_id"] = ids.owned["job_id"] = [created["id"]]


def _runs(client: httpx.Client, ids: Ids, ops: list[Operation], mutating: set[str]) -> None:
    runs = _listed(client, "/v1/runs/", "runs", ids.notes)
    ids.existing["run_id"] = [run["id"] for run in runs]
    ids.streamable = [
        run["id"] for run in runs if run.get("status") in TERMINAL_RUN and run.get("background") is not False
    ]
    streams = any(op.operation_id == "retrieve_stream_for_run" for op in ops)
    if runs and "run_id" not in mutating and (ids.streamable or not streams):
        return
    cannot = "runs cannot be created through the API"
    if not _is_mock(client):
        ids.missing["run_id"] = f"the server listed none, and {cannot}"
        ids.missing["own run_id"] = f"{cannot}, and the server is not letta-mockserver (no /_mock)"
        if not runs:
            ids.notes.append(f"no runs: {cannot}, so the run-by-id 200 bodies go unchecked")
        return
    seeded = _post(client, "/_mock/runs", {"agent_id": SEED_AGENT, "status": "completed", "background": True})
    if seeded is None:
        ids.missing["run_id"] = ids.missing["own run_id"] = "seeding one with POST /_mock/runs failed"
        ids.notes.append("could not seed a run through POST /_mock/runs")
        return
    ids.notes.append(f"seeded run {seeded['id']} through POST /_mock/runs (letta-mockserver)")
    ids.owned["run_id"] = [seeded["id"]]
    ids.streamable.append(seeded["id"])
