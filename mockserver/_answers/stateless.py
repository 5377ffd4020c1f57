"""Stateless mode: every valid request gets a 2xx with a generated, schema-conformant body.

Like Prism, nothing a client does changes what it later reads. Unlike a bare Prism, the
answers hang together: a retrieve returns the requested id, lists are finite deterministic
collections paged as documented (so an SDK's auto-pagination ends), list filters are
honoured by the items, and the same ``seed`` always gives the same data.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mockserver._answers import sse as _sse
from mockserver._answers.adversarial import AdversarialGenerator
from mockserver._answers.backend import JsonReply, Reply, StreamReply
from mockserver._answers.compat import simulated
from mockserver._answers.deviations import always_500, naive_timestamps, none_string_callback, shaped_records
from mockserver._answers.paging import page_by_query
from mockserver._answers.realistic import make_consistent, status_of
from mockserver._contract.generate import ANCHOR, DataGenerator, prefixed_id
from mockserver._contract.parsing import ParsedRequest
from mockserver._contract.quirks import QuirkSet
from mockserver._contract.spec import Operation, OperationTable
from mockserver._simulation import lifecycle

COLLECTION_SIZE = 7
"""How many items each generated list holds before it runs out."""

_JOB_TYPE = {"batch": "batch", "jobs": "job"}
CACHE_SIZE = 256
"""Generated answers kept per backend. Ids are the client's to choose, so the memo is bounded: the
largest answers (a run's steps, ~36 KiB each as objects) make that ~9 MiB at most."""
_PAGING = frozenset({"before", "after", "limit", "order", "ascending"})
"""Query parameters that pick a page of a collection: every other one may change the collection."""


class _Memo:
    """A bounded memo, least recently used first out. A ``None`` key is not cached."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable | None, make: Callable[[], Any]) -> Any:
        if key is None:
            return make()
        try:
            value = self._data[key]
        except KeyError:
            value = self._data[key] = make()
            if len(self._data) > self._size:
                self._data.popitem(last=False)
            return value
        self._data.move_to_end(key)
        return value

    def __len__(self) -> int:
        return len(self._data)


def _frozen(value: Any) -> Hashable | None:
    """``value`` as a memo key (lists become tuples, types kept apart), or ``None`` if it has none."""
    try:
        return _key(value)
    except TypeError:
        return None


def _key(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *map(_key, value))
    if isinstance(value, dict):
        return ("dict", *sorted((repr(k), _key(v)) for k, v in value.items()))
    hash(value)  # TypeError for what cannot be a key
    return value if type(value) is str else (type(value).__name__, value)


class StatelessBackend:
    def __init__(
        self,
        table: OperationTable,
        *,
        seed: int = 0,
        fixtures: Mapping[str, Any] | None = None,
        adversarial: bool = False,
        quirks: QuirkSet | None = None,
    ) -> None:
        self._table = table
        self.quirks = quirks if quirks is not None else QuirkSet()
        self._seed = seed
        # `--responses fuzz`: the corners of the contract instead of realistic data.
        self._generator = AdversarialGenerator(table) if adversarial else DataGenerator(table)
        self._adversarial = adversarial
        # Job types and coherent status fields suit the mock's own schemas, not another document's.
        self._own = simulated()
        self._fixtures = dict(fixtures or {})
        self._created = itertools.count()
        self._memo = _Memo(CACHE_SIZE)
        self._lists = {op_id: _is_list(table, op) for op_id, op in table.items()}
        self._statuses = {op_id: self._status_values(op) for op_id, op in table.items() if self._lists[op_id]}
        self._special: Mapping[str, Callable[[ParsedRequest], Reply]] = {
            "create_batch": self._create_batch,
            "cancel_batch": lambda _req: JsonReply(None),
            "delete_run": lambda _req: JsonReply(None),
            "cancel_job": self._cancel_job,
            "list_messages_for_batch": self._batch_messages,
            "retrieve_trace_for_run": self._trace,
        }

    async def handle(self, request: ParsedRequest) -> Reply:
        failed = always_500(request, self.quirks)
        if failed is not None:
            return failed
        reply = self._answer(request)
        if not isinstance(reply, JsonReply):
            return reply
        if "naive-timestamps" in self.quirks:
            reply = naive_timestamps(reply)
        reply = shaped_records(request, reply, self.quirks)
        if request.operation.operation_id == "create_batch" and "callback-url-none-string" in self.quirks:
            reply = none_string_callback(reply)
        return reply

    def _answer(self, request: ParsedRequest) -> Reply:
        op = request.operation
        if op.operation_id == "retrieve_stream_for_run":
            return StreamReply(self._stream(request))
        special = self._special.get(op.operation_id)
        if special is not None:
            return special(request)
        if self._lists.get(op.operation_id, False):
            return JsonReply(self._list(request))
        return JsonReply(self._single(request))

    # -- helpers ---------------------------------------------------------------------------

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(map(str, (self._seed, *parts))))

    def _anchor(self, *parts: object) -> datetime:
        return ANCHOR + timedelta(hours=self._rng("anchor", *parts).randint(0, 24 * 30))

    def _tidy(self, item: dict[str, Any]) -> None:
        """Make a realistic record consistent (`--responses fuzz` keeps its contradictions)."""
        if not self._adversarial:
            make_consistent(item, self._rng("consistent", item.get("id")))

    def _overrides(self, op: Operation) -> dict[str, Any]:
        family = (
            "batch" if "/messages/batches" in op.path else "jobs" if op.path.startswith("/v1/jobs") else ""
        )
        if family in _JOB_TYPE:
            extra: dict[str, Any] = {"job_type": _JOB_TYPE[family]}
            if family == "batch":
                extra["metadata"] = {"job_type": "batch_messages"}
            return extra
        return {}

    def _single(self, request: ParsedRequest) -> Any:
        """The generated body of a retrieve (shared: copy it before changing it)."""
        path_id = next(iter(request.path.values()), None)
        key = ("single", request.operation.operation_id, path_id)
        return self._memo.get(key, lambda: self._make_single(request.operation, path_id))

    def _make_single(self, op: Operation, path_id: str | None) -> Any:
        if op.operation_id in self._fixtures:
            body = self._fixtures[op.operation_id]
            if isinstance(body, dict) and path_id is not None and "id" in body:
                body = {**body, "id": path_id}
            return body
        pointer = op.success.json_pointer
        if pointer is None:
            return None
        body = self._generator.at(pointer, self._rng(op.operation_id, path_id), self._anchor(path_id))
        if isinstance(body, dict):
            if op.operation_id in self._own:
                body.update(self._overrides(op))
                self._tidy(body)
            if path_id is not None and "id" in body:
                body["id"] = path_id
        return body

    def _collection(self, op: Operation, parent: str | None) -> list[Any]:
        if op.operation_id in self._fixtures:
            return list(self._fixtures[op.operation_id])
        pointer = op.success.json_pointer
        assert pointer is not None
        items_pointer = f"{pointer}/items"
        anchor = self._anchor(op.operation_id, parent)
        collection = []
        for index in range(COLLECTION_SIZE):
            moment = anchor + timedelta(seconds=41 * index)
            item = self._generator.at(items_pointer, self._rng(op.operation_id, parent, index), moment)
            if isinstance(item, dict):
                if parent is not None and "run_id" in item:
                    item["run_id"] = parent
                if op.operation_id in self._own:
                    item.update(self._overrides(op))
                    self._tidy(item)
            collection.append(item)
        return collection

    def _list(self, request: ParsedRequest) -> list[Any]:
        op = request.operation
        parent = next(iter(request.path.values()), None)
        filters = _frozen([(k, v) for k, v in sorted(request.query.items()) if k not in _PAGING])
        key = None if filters is None else ("list", op.operation_id, parent, filters)
        return self._page(request, self._memo.get(key, lambda: self._filtered(request, parent)))

    def _filtered(self, request: ParsedRequest, parent: str | None) -> list[Any]:
        """The whole collection as the list's filters (every query parameter but paging) want it."""
        op = request.operation
        known = self._statuses.get(op.operation_id)
        statuses = _wanted_statuses(request, known)
        if statuses == []:  # filters that contradict each other (`active` with a stop reason) match nothing
            return []
        base = self._memo.get(("collection", op.operation_id, parent), lambda: self._collection(op, parent))
        items = [_apply_filters(item, request, statuses) for item in base]
        for item in items:
            if isinstance(item, dict):
                self._tidy(item)
        return items

    def _status_values(self, op: Operation) -> frozenset[str] | None:
        """The enum of the list items' ``status``, so a filter never puts an unknown one on an item."""
        pointer = op.success.json_pointer
        schema = self._table.deref(self._table.schema_at(f"{pointer}/items")) if pointer is not None else {}
        status = schema.get("properties", {}).get("status", {})
        for branch in [status, *status.get("anyOf", ())]:
            branch = self._table.deref(branch)
            if "enum" in branch:
                return frozenset(branch["enum"])
        return None

    def _page(self, request: ParsedRequest, items: list[Any]) -> list[Any]:
        return page_by_query(items, request.query, request.provided, request.operation.operation_id)

    # -- operations with their own shape ---------------------------------------------------

    def _create_batch(self, request: ParsedRequest) -> Reply:
        op = request.operation
        number = next(self._created)
        body = self._fixtures.get(op.operation_id)
        rng = self._rng(op.operation_id, number)
        if body is None:
            pointer = op.success.json_pointer
            assert pointer is not None
            body = self._generator.at(pointer, rng, self._anchor(op.operation_id) + timedelta(seconds=number))
        body = dict(body)
        body.update(
            id=prefixed_id("job", rng),
            status="running",
            job_type="batch",
            metadata={"job_type": "batch_messages"},
            callback_url=_body_field(request, "callback_url", str),
            agent_id=None,
            background=False,
        )
        self._tidy(body)
        return JsonReply(body)

    def _cancel_job(self, request: ParsedRequest) -> Reply:
        body = self._single(request)
        if isinstance(body, dict):
            body = {**body, "status": "cancelled"}
            self._tidy(body)
        return JsonReply(body)

    def _batch_messages(self, request: ParsedRequest) -> Reply:
        op = request.operation
        if op.operation_id in self._fixtures:
            return JsonReply(self._fixtures[op.operation_id])
        batch_id, agent_id = request.path["batch_id"], request.query.get("agent_id")
        key = ("messages", batch_id, _frozen(agent_id))
        messages = self._memo.get(key, lambda: self._make_batch_messages(op, batch_id, agent_id))
        return JsonReply({"messages": self._page(request, messages)})

    def _make_batch_messages(self, op: Operation, batch_id: str, agent_id: Any) -> list[Any]:
        anchor = self._anchor(op.operation_id, batch_id)
        messages = []
        for index in range(COLLECTION_SIZE):
            rng = self._rng(op.operation_id, batch_id, index)
            message = self._generator.component("Message", rng, anchor + timedelta(seconds=7 * index))
            message["role"] = "user" if index % 2 == 0 else "assistant"
            if agent_id is not None:
                message["agent_id"] = agent_id
            messages.append(message)
        return messages

    def _trace(self, request: ParsedRequest) -> Reply:
        op = request.operation
        spans = self._fixtures.get(op.operation_id)
        if spans is None:
            spans = self._single(request)
        limit = request.query.get("limit")
        return JsonReply(list(spans)[:limit] if isinstance(limit, int) else list(spans))

    async def _stream(self, request: ParsedRequest) -> AsyncIterator[bytes]:
        run_id = request.path["run_id"]
        starting_after = _body_field(request, "starting_after", int) or 0
        include_pings = _body_field(request, "include_pings", bool) is not False
        events = self._fixtures.get("retrieve_stream_for_run") or self._memo.get(
            ("stream", run_id), lambda: self._stream_events(run_id)
        )
        for seq_id, payload in enumerate(events, start=1):
            # Leaving the pings out renumbers nothing, as in stateful mode and on the real server.
            if seq_id <= starting_after or (not include_pings and _is_ping(payload)):
                continue
            yield _sse.event(payload)
            await asyncio.sleep(0)
        yield _sse.DONE

    def _stream_events(self, run_id: str) -> list[dict[str, Any]]:
        anchor = self._anchor("stream", run_id)
        rng = self._rng("stream", run_id)
        names = ["LettaPing", "ReasoningMessage", "AssistantMessage"]
        events: list[dict[str, Any]] = []
        for index, name in enumerate(names, start=1):
            message = self._generator.component(name, rng, anchor + timedelta(seconds=index))
            message.update(seq_id=index, run_id=run_id, is_err=None)
            events.append(message)
        usage = self._generator.component("LettaUsageStatistics", rng, anchor)
        if not self._adversarial:
            # Every usage field is optional in the contract (fuzzed usage may lack any of them):
            # only realistic data fills them in and sums them.
            prompt, completion = usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0
            usage.update(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
            usage.update(step_count=1, run_ids=[run_id])
        events += [{"message_type": "stop_reason", "stop_reason": "end_turn"}, usage]
        return events


def _is_ping(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("message_type") == "ping"


def _body_field(request: ParsedRequest, name: str, kind: type) -> Any:
    """A body field of the expected type, else ``None``: with validation `off` the body may be anything."""
    value = request.body.get(name) if isinstance(request.body, dict) else None
    return value if isinstance(value, kind) else None


def _is_list(table: OperationTable, op: Operation) -> bool:
    pointer = op.success.json_pointer
    return pointer is not None and table.schema_at(pointer).get("type") == "array"


def _wanted_statuses(request: ParsedRequest, known: frozenset[str] | None) -> list[str] | None:
    """The statuses a list's filters allow items to have: ``None`` for any, ``[]`` for none.

    Statuses outside ``known`` (sent to a lenient server) are ignored: an answer must still match
    the response schema. A stop reason is only found on finished runs, with the matching status.
    """
    query = request.query
    statuses = query.get("statuses") or None
    if statuses and known is not None:
        statuses = [status for status in statuses if status in known] or None
    if not statuses and (query.get("active") or request.operation.operation_id.startswith("list_active")):
        statuses = list(lifecycle.ACTIVE)
    reason = query.get("stop_reason")
    if reason is not None:
        implied = status_of(reason)
        compatible = [implied] if implied is not None else ["completed", "failed"]
        statuses = [status for status in statuses or compatible if status in compatible]
    return statuses


def _apply_filters(item: Any, request: ParsedRequest, statuses: list[str] | None) -> Any:
    """Make generated list items satisfy the list's filters (agent, status, background...)."""
    if not isinstance(item, dict):
        return item
    query = request.query
    item = dict(item)
    agent = query.get("agent_id") or (query.get("agent_ids") or [None])[0]
    if agent is not None and "agent_id" in item:
        item["agent_id"] = agent
    if statuses and "status" in item and item["status"] not in statuses:
        item["status"] = statuses[sum(map(ord, str(item.get("id")))) % len(statuses)]
    for name in ("background", "stop_reason", "conversation_id"):
        if query.get(name) is not None and name in item:
            item[name] = query[name]
    if query.get("source_id") is not None:
        item["metadata"] = {**(item.get("metadata") or {}), "source_id": query["source_id"]}
    return item
