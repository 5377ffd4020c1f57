"""Stateful lists: the one pager every list route uses, and how each list reads its cursors.

``page`` reads ``limit``, ``order`` and the cursors of a request and pages a ``Collection``; the
list routes of batches, jobs, a batch's messages and runs add their filters and the real server's
cursor quirks (``_contract.quirks``), each marked only where it changed the documented answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from mockserver._answers.backend import JsonReply, Reply
from mockserver._answers.deviations import error, unknown_error
from mockserver._contract.errors import BadRequest, NotFound
from mockserver._contract.parsing import ParsedRequest
from mockserver._contract.quirks import QuirkSet
from mockserver._simulation import lifecycle
from mockserver._simulation.index import Collection, Keyed, Order, UnknownCursor
from mockserver._simulation.records import JobRecord, RunRecord
from mockserver._simulation.simulation import Simulation
from mockserver._simulation.wire import MessageRecord

R = TypeVar("R", bound=Keyed)
Cursors = Literal["documented", "inverted", "chronological"]
"""How a list reads ``before``/``after``: ``documented`` (in the sort order, nearest the cursor),
``inverted`` (each means the other, as the real runs list does) or ``chronological`` (``before``
older, ``after`` newer, as the real jobs list does); the last two keep the head of the sort order."""


def ordering(request: ParsedRequest) -> str:
    """The sort order, with the deprecated ``ascending`` flag applied as each route family does."""
    query, provided = request.query, request.provided
    order = str(query.get("order", "desc"))
    if request.operation.operation_id == "list_runs" and query.get("ascending"):
        return "asc"  # runs: `ascending=true` forces ascending; false cannot force descending
    if request.operation.path.startswith("/v1/jobs") and "ascending" in provided and not query["ascending"]:
        return "desc"  # jobs: `ascending=false` forces descending; true leaves `order` alone
    if request.operation.operation_id == "list_active_jobs":
        return "asc" if query.get("ascending", True) else "desc"
    return order


def page(
    request: ParsedRequest,
    collection: Collection[R],
    *,
    unknown: Callable[[UnknownCursor], None],
    where: Callable[[R], bool] | None = None,
    zero_is_unlimited: bool = False,
    order: str | None = None,
    default_limit: int | None = None,
    cursors_read: Cursors = "documented",
    ignored: frozenset[str] = frozenset(),
) -> list[R]:
    query = request.query
    limit = query.get("limit", default_limit)
    if limit == 0 and zero_is_unlimited:
        limit = None
    sort: Order = "asc" if (order or ordering(request)) == "asc" else "desc"
    # An empty cursor is no cursor (the real managers test them with `if before:`).
    cursors = {name: None if name in ignored else query.get(name) or None for name in ("before", "after")}
    head = cursors_read != "documented" and any(cursors.values())
    if cursors_read == "inverted" or (cursors_read == "chronological" and sort == "desc"):
        cursors = {"before": cursors["after"], "after": cursors["before"]}
    while True:
        try:
            found = collection.page(order=sort, limit=None if head else limit, where=where, **cursors)
            # The real managers filter by the cursor and keep the first `limit` rows of the order.
            return found[:limit] if head and limit is not None else found
        except UnknownCursor as exc:
            unknown(exc)  # raises, or lets the cursor be ignored
            cursors[exc.name] = None


def list_jobs(
    sim: Simulation,
    quirks: QuirkSet,
    request: ParsedRequest,
    collection: Collection[JobRecord],
    *,
    batches: bool = False,
) -> Reply:
    query = request.query
    asked_active = bool(query.get("active")) or request.operation.operation_id == "list_active_jobs"
    active_only = batches and "batch-list-active-only" in quirks and not asked_active
    cursors_given = bool(query.get("before") or query.get("after"))
    chronological = "job-cursors-chronological" in quirks and cursors_given
    if "job-cursors-crossed-400" in quirks and crossed(sim, query):
        return error(
            400, "'before' reference must be later than 'after' reference", "job-cursors-crossed-400"
        )
    source = query.get("source_id")

    def unknown(exc: UnknownCursor) -> None:
        raise BadRequest(f"Job with id {exc.value} not found")

    def listing(active: bool, cursors: Cursors) -> list[JobRecord]:
        def where(record: JobRecord) -> bool:
            if active and record.status not in lifecycle.ACTIVE:
                return False
            return source is None or (record.body.get("metadata") or {}).get("source_id") == source

        filtered = where if (active or source is not None) else None
        return page(
            request,
            collection,
            unknown=unknown,
            where=filtered,
            zero_is_unlimited=True,
            cursors_read=cursors,
        )

    cursors: Cursors = "chronological" if chronological else "documented"
    found = listing(asked_active or active_only, cursors)
    # A quirk is the server's deviation only where the answer differs from the documented one.
    shaped = []
    if active_only and listing(asked_active, cursors) != found:
        shaped.append("batch-list-active-only")
    if chronological and listing(asked_active or active_only, "documented") != found:
        shaped.append("job-cursors-chronological")
    return JsonReply([record.body for record in found], quirks=tuple(shaped))


def crossed(sim: Simulation, query: Mapping[str, Any]) -> bool:
    """Both cursors name jobs and ``before``'s is the older: the real job manager refuses the window."""
    before, after = (
        sim.jobs.get(query.get("before") or ""),
        sim.jobs.get(query.get("after") or ""),
    )
    return before is not None and after is not None and before.sort_key < after.sort_key


def batch_messages(batch: JobRecord, quirks: QuirkSet, request: ParsedRequest) -> Reply:
    if request.query.get("after") and "batch-messages-after-500" in quirks:
        return unknown_error("batch-messages-after-500")
    agent = request.query.get("agent_id")

    def unknown(exc: UnknownCursor) -> None:
        raise NotFound(f"No message found with id '{exc.value}' in batch '{batch.id}'")

    def listing(ignored: frozenset[str] = frozenset()) -> list[MessageRecord]:
        return page(
            request,
            batch.messages,
            unknown=unknown,
            where=(lambda m: m.body["agent_id"] == agent) if agent is not None else None,
            ignored=ignored,
        )

    shaped: tuple[str, ...] = ()
    if request.query.get("before") and "batch-messages-before-ignored" in quirks:
        found = listing(frozenset({"before"}))
        try:
            documented: list[MessageRecord] | None = listing()
        except NotFound:
            documented = None
        shaped = ("batch-messages-before-ignored",) if documented != found else ()
    else:
        found = listing()
    return JsonReply({"messages": [message.body for message in found]}, quirks=shaped)


def list_runs(sim: Simulation, quirks: QuirkSet, request: ParsedRequest) -> Reply:
    query = request.query
    active_route = request.operation.operation_id == "list_active_runs"
    agent = query.get("agent_id")
    collection = sim.runs if agent is None else sim.runs_by_agent.get(agent, Collection())
    agents = set(query.get("agent_ids") or ()) if agent is None else set()
    statuses = query.get("statuses")
    if active_route or (query.get("active") and not statuses):
        statuses = list(lifecycle.ACTIVE)
    wanted = {
        name: query[name]
        for name in ("background", "stop_reason", "conversation_id")
        if query.get(name) is not None
    }

    def where(run: RunRecord) -> bool:
        body = run.body
        if agents and body["agent_id"] not in agents:
            return False
        if statuses and body["status"] not in statuses:
            return False
        return all(body.get(name) == value for name, value in wanted.items())

    def listing(cursors: Cursors) -> list[RunRecord]:
        return page(
            request,
            collection,
            unknown=lambda _exc: None,  # the real server ignores an unknown runs cursor
            where=where if (agents or statuses or wanted) else None,
            order="desc" if active_route else None,
            default_limit=100 if active_route else None,  # the deprecated route returns at most 100
            cursors_read=cursors,
        )

    inverted = "run-cursors-inverted" in quirks and not active_route
    inverted = inverted and bool(query.get("before") or query.get("after"))
    found = listing("inverted" if inverted else "documented")
    shaped = ("run-cursors-inverted",) if inverted and listing("documented") != found else ()
    return JsonReply([run.body for run in found], quirks=shaped)
