"""The control API under ``/_mock``: the clock, reset, and seeding runs and jobs.

Handlers take the decoded JSON payload and return a reply; ``_app`` routes to them. Every
payload is validated against ``schemas/mock-control.schema.json`` and answered with the same
422 body as the mocked API.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver._answers.backend import JsonReply
from mockserver._contract.errors import BadRequest, Conflict, NotFound, RequestInvalid
from mockserver._contract.quirks import PROFILE_NAMES, QuirkSet, unknown_quirks
from mockserver._contract.resources import CONTROL_SCHEMA_FILE, data_dir
from mockserver._contract.validation import SchemaSet, Violation
from mockserver._control import browse
from mockserver._control.callbacks import CallbackDispatcher
from mockserver._control.faults import Faults
from mockserver._control.journal import RequestJournal
from mockserver._control.seeding import Seeder
from mockserver._control.startup import StartupState
from mockserver._simulation.records import stamp
from mockserver._simulation.simulation import Simulation
from mockserver._simulation.snapshot import SnapshotError, restore, snapshot


def load_control_document() -> dict[str, Any]:
    with (data_dir("schemas") / CONTROL_SCHEMA_FILE).open(encoding="utf-8") as fh:
        document: dict[str, Any] = json.load(fh)
    document["$defs"]["ProfileSpec"]["properties"]["profile"]["enum"] = list(PROFILE_NAMES)
    return document


Query = Mapping[str, str]


@dataclass(frozen=True)
class ControlRoute:
    method: str
    path: str
    handler: Callable[[Any, Query], JsonReply | Awaitable[JsonReply]]
    """Takes the payload and the query; may be a coroutine (awaited on the server's loop)."""
    payload: str | None
    """Name of the payload's schema in ``$defs``, if the route takes a body."""
    summary: str = ""
    minimal: Callable[[Any], object] | None = None
    """Does the route's work without building its answer: for a client that sends ``Prefer: return=minimal``
    (RFC 7240) and gets a 204. Only where the answer is costly: ``PUT /_mock/state`` answers with the whole
    state again, ~0.3 s of a 100k-record restore over HTTP (1.15 s plain, 0.87 s minimal)."""
    bulk: bool = False
    """Its payload or its answer can be the whole state: parsed, handled and rendered with the collector
    paused (``gc_freeze.paused``). Its handler is synchronous, so the pause spans no ``await``."""


def _int_param(query: Query, name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise RequestInvalid(
            None, [Violation(("query", name), "Input should be a valid integer", "int_parsing")]
        ) from None
    if name in ("limit", "since") and value < 0:  # counts; `found[-limit:]` would drop the oldest
        raise RequestInvalid(
            None,
            [
                Violation(
                    ("query", name),
                    "Input should be greater than or equal to 0",
                    "greater_than_equal",
                    {"ge": 0},
                )
            ],
        )
    return value


# method, path, handler, payload schema (in `$defs`), summary (the served document's).
_ROUTES: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("GET", "/_mock/clock", "clock", None, "The simulated clock: kind, now, pending changes"),
    (
        "POST",
        "/_mock/clock/advance",
        "advance",
        "ClockAdvance",
        "Move the manual clock; what is due happens, and its callbacks arrive, before the answer",
    ),
    (
        "POST",
        "/_mock/reset",
        "reset",
        None,
        "Back to the start-up state; rewind the clock, clear journals, scenarios, faults",
    ),
    ("POST", "/_mock/runs", "seed_run", "RunSeed", "Store a run; it progresses on the clock"),
    ("POST", "/_mock/jobs", "seed_job", "JobSeed", "Store a generic job"),
    ("GET", "/_mock/callbacks", "callback_journal", None, "Every callback attempt, oldest first"),
    (
        "POST",
        "/_mock/scenarios",
        "add_scenario",
        "ScenarioSpec",
        "Script how matching batches, runs or jobs end",
    ),
    ("GET", "/_mock/scenarios", "list_scenarios", None, "The scenarios in force"),
    ("DELETE", "/_mock/scenarios", "clear_scenarios", None, "Remove every scenario"),
    ("DELETE", "/_mock/scenarios/{id}", "remove_scenario", None, "Remove one scenario (404: no such id)"),
    ("POST", "/_mock/faults", "add_fault", "FaultSpec", "Inject latency, an error or a dropped connection"),
    ("GET", "/_mock/faults", "list_faults", None, "The faults in force"),
    ("DELETE", "/_mock/faults", "clear_faults", None, "Remove every fault"),
    ("DELETE", "/_mock/faults/{id}", "remove_fault", None, "Remove one fault (404: no such id)"),
    ("GET", "/_mock/requests", "requests", None, "The request journal, filtered"),
    ("GET", "/_mock/report", "report", None, "Exercised operations and contract violations"),
    ("GET", "/_mock/profile", "profile", None, "The server answered as, and every quirk on or off"),
    ("PUT", "/_mock/profile", "set_profile", "ProfileSpec", "Answer as another profile until a reset"),
    ("GET", "/_mock/state", "state", None, "The whole simulated state as JSON"),
    ("PUT", "/_mock/state", "restore_state", "StateSnapshot", "Restore a state taken with GET /_mock/state"),
    (
        "GET",
        "/_mock/records",
        "records",
        None,
        "A page of stored batches, runs or jobs, newest first, with timelines (the dashboard's lists)",
    ),
    (
        "GET",
        "/_mock/record",
        "record",
        None,
        "One batch, run or job: body, items, messages, steps, callbacks",
    ),
)
# Their "query" also holds the path's parameters (`{id}`).
_READS_QUERY = frozenset(
    {"requests", "report", "records", "record", "callback_journal", "remove_scenario", "remove_fault"}
)
# Handler -> the method that does its work without the answer, for `Prefer: return=minimal`: only where
# the answer is costly (`ControlRoute.minimal`).
_MINIMAL: Mapping[str, str] = {"restore_state": "restore"}

# Handlers whose payload or answer can be the whole state (`ControlRoute.bulk`).
_BULK = frozenset({"state", "restore_state"})


def _with_payload(handler: Callable[[Any], Any], payload: Any, _query: Query) -> Any:
    return handler(payload)


def _with_query(handler: Callable[[Query], Any], _payload: Any, query: Query) -> Any:
    return handler(query)


def _bare(handler: Callable[[], Any], _payload: Any, _query: Query) -> Any:
    return handler()


class Control:
    def __init__(
        self,
        sim: Simulation | None,
        api_schemas: SchemaSet,
        document: Mapping[str, Any] | None = None,
        *,
        callbacks: CallbackDispatcher | None = None,
        faults: Faults | None = None,
        journal: RequestJournal | None = None,
        operation_ids: tuple[str, ...] = (),
        quirks: QuirkSet | None = None,
    ) -> None:
        self.sim = sim
        self.quirks = quirks if quirks is not None else QuirkSet()
        self.callbacks = callbacks
        self.faults = faults or Faults()
        self.journal = journal or RequestJournal()
        self.operation_ids = operation_ids
        self.document = document or load_control_document()
        self.schemas = SchemaSet(self.document, "strict")
        self._seeder = Seeder(api_schemas)
        self.startup = StartupState(self)

    def routes(self) -> list[ControlRoute]:
        """Every control route, as ``_ROUTES`` lists them, bound to this control's handlers."""
        found = []
        for method, path, name, payload, summary in _ROUTES:
            handler = getattr(self, name)
            if payload is not None:
                call: Callable[[Any, Query], Any] = functools.partial(_with_payload, handler)
            elif name in _READS_QUERY:
                call = functools.partial(_with_query, handler)
            else:
                call = functools.partial(_bare, handler)
            minimal = getattr(self, _MINIMAL[name]) if name in _MINIMAL else None
            found.append(ControlRoute(method, path, call, payload, summary, minimal, name in _BULK))
        return found

    def callback_journal(self, query: Query) -> JsonReply:
        """Every callback attempt, oldest first (bounded by ``--journal-size``); ``limit``: the newest N."""
        journal = self.callbacks
        entries = list(journal.journal) if journal is not None else []
        limit = _int_param(query, "limit")
        if limit:
            entries = entries[-limit:]
        pending = journal.pending() if journal is not None else 0
        return JsonReply({"callbacks": entries, "pending": pending})

    def validate(self, schema_name: str, payload: Any) -> None:
        problems = self.schemas.violations(f"/$defs/{schema_name}", payload, ("body",))
        if problems:
            raise RequestInvalid(None, problems)

    def _stateful(self) -> Simulation:
        if self.sim is None:
            raise BadRequest(
                "this control endpoint needs the stateful mode; start the server with --mode stateful"
            )
        return self.sim

    def clock(self) -> JsonReply:
        sim = self._stateful()
        now = sim.now()
        return JsonReply(
            {"clock": sim.clock.kind, "now": stamp(now), "epoch": now, "pending_changes": sim.pending()}
        )

    async def advance(self, payload: Mapping[str, Any]) -> JsonReply:
        """Move the manual clock and apply what is due; then, unless ``wait_for_callbacks`` is false,
        wait (bounded) until every callback that triggered has been delivered or has failed."""
        sim = self._stateful()
        try:
            sim.clock.advance(float(payload["seconds"]))
        except ValueError as exc:
            raise Conflict(str(exc)) from None
        if self.callbacks is None:
            sim.settle()
            return self.clock()
        with self.callbacks.capture() as triggered:
            sim.settle()
        wait = bool(payload.get("wait_for_callbacks", True))
        pending = (
            await self.callbacks.wait(triggered, self.callbacks.bound(len(triggered)))
            if wait and triggered
            else sum(not delivery.finished for delivery in triggered)
        )
        reply = self.clock()
        reply.body["callbacks"] = {"triggered": len(triggered), "pending": pending, "waited": wait}
        return reply

    def reset(self) -> JsonReply:
        """Back to the start-up state (``--state``, state fixtures); clear journals, scenarios, faults."""
        if self.sim is not None:
            self.sim.reset()
            self.sim.scenarios.clear()
        if self.callbacks is not None:
            self.callbacks.reset()
        self.startup.load_again()
        self.faults.clear()
        self.journal.clear()
        self.quirks.restore()
        # `last_seq` saves the pytest fixture a second request: requests after it are the test's.
        return JsonReply({"reset": True, "last_seq": self.journal.last_seq})

    def profile(self) -> JsonReply:
        return JsonReply(self.quirks.as_json())

    def set_profile(self, payload: Mapping[str, Any]) -> JsonReply:
        quirks = payload.get("quirks") or {}
        try:
            self.quirks.set(payload["profile"], quirks)
        except ValueError as exc:
            unknown = unknown_quirks(quirks)
            loc = ("body", "quirks", unknown[0]) if unknown else ("body", "profile")
            raise RequestInvalid(None, [Violation(loc, str(exc), "enum")]) from None
        return self.profile()

    # -- scenarios and faults --------------------------------------------------------------

    def add_scenario(self, spec: Mapping[str, Any]) -> JsonReply:
        sim = self._stateful()
        if spec.get("status") == "expired" and ("run_id" in spec["match"] or "next_runs" in spec["match"]):
            # Matches its schema, but no run status is `expired`: a bad request (400), naming the field.
            raise BadRequest(
                "status: a run cannot expire (RunStatus has no 'expired'); use failed or cancelled"
            )
        rule = sim.scenarios.add(spec)
        target = next(
            (spec["match"][k] for k in ("batch_id", "run_id", "job_id") if k in spec["match"]), None
        )
        if target is not None:
            sim.apply_scenario(str(target), rule.outcome)
        return JsonReply(rule.as_json(), status=201)

    def list_scenarios(self) -> JsonReply:
        rules = self.sim.scenarios.all() if self.sim is not None else []
        return JsonReply({"scenarios": [rule.as_json() for rule in rules]})

    def clear_scenarios(self) -> JsonReply:
        if self.sim is not None:
            self.sim.scenarios.clear()
        return JsonReply({"scenarios": []})

    def remove_scenario(self, query: Query) -> JsonReply:
        scenario_id = query.get("id", "")
        if self.sim is None or not self.sim.scenarios.remove(scenario_id):
            raise NotFound(f"no scenario {scenario_id!r} is in force (GET /_mock/scenarios lists them)")
        return self.list_scenarios()

    def add_fault(self, spec: Mapping[str, Any]) -> JsonReply:
        return JsonReply(self.faults.add(spec).as_json(), status=201)

    def list_faults(self) -> JsonReply:
        return JsonReply({"faults": [fault.as_json() for fault in self.faults.all()]})

    def clear_faults(self) -> JsonReply:
        self.faults.clear()
        return JsonReply({"faults": []})

    def remove_fault(self, query: Query) -> JsonReply:
        fault_id = query.get("id", "")
        if not self.faults.remove(fault_id):
            raise NotFound(f"no fault {fault_id!r} is in force (GET /_mock/faults lists them)")
        return self.list_faults()

    # -- journal, report, state -----------------------------------------------------------

    def requests(self, query: Query) -> JsonReply:
        status = _int_param(query, "status")
        entries = self.journal.query(
            operation_id=query.get("operation") or None,
            status=status,
            since=_int_param(query, "since") or 0,
            limit=_int_param(query, "limit"),
        )
        return JsonReply({"requests": entries, "last_seq": self.journal.last_seq})

    def report(self, query: Query) -> JsonReply:
        return JsonReply(self.journal.report(self.operation_ids, since=_int_param(query, "since") or 0))

    def state(self) -> JsonReply:
        return JsonReply(snapshot(self._stateful()))

    def restore_state(self, data: dict[str, Any]) -> JsonReply:
        self.restore(data)
        return self.state()

    def restore(self, data: dict[str, Any]) -> None:
        try:
            restore(self._stateful(), data)
        except SnapshotError as exc:
            # The payload matched its schema but is no snapshot of this server: a bad request.
            raise BadRequest(str(exc)) from None

    def records(self, query: Query) -> JsonReply:
        try:
            return JsonReply(browse.page(self._stateful(), query))
        except browse.BrowseError as exc:
            raise RequestInvalid(None, [exc.violation]) from None

    def record(self, query: Query) -> JsonReply:
        attempts = self.callbacks.journal if self.callbacks is not None else ()
        try:
            return JsonReply(browse.detail(self._stateful(), query.get("id", ""), attempts))
        except browse.BrowseError as exc:
            raise RequestInvalid(None, [exc.violation]) from None

    def seed_run(self, payload: Mapping[str, Any]) -> JsonReply:
        return JsonReply(self._seeder.run(self._stateful(), payload).body, status=201)

    def seed_job(self, payload: Mapping[str, Any]) -> JsonReply:
        return JsonReply(self._seeder.job(self._stateful(), payload).body, status=201)

    def seed_batch(self, body: Any) -> None:
        """A batch created as ``POST /v1/messages/batches`` with this body would (state seed files)."""
        self._seeder.batch(self._stateful(), body)
