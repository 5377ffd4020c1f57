"""``letta-mockserver fuzz``: check any server speaking this API against the documented contract.

For each operation it sends requests drawn from ``mockserver.strategies`` (valid ones, and
the same requests broken on purpose) and reports every answer that breaks the contract:

- ``server_error``: any 5xx;
- ``undocumented_status``: a status the document does not list for the operation (beside
  the generic error answers 400/401/404/410 that every route may give);
- ``response_schema``: a body that does not match the documented schema of its status
  (a stream: each of its ``data:`` events);
- ``invalid_accepted``: a broken request answered with 2xx;
- ``connection``: the request failed at the HTTP level.

A check that cannot fail protects nobody, so the run also says what it could *not* check
(``_fuzz_report``): an operation whose documented success body was never validated
(``no_success``), a server that refused every request (``unauthenticated``), a base URL under
which nothing exists (``wrong_base_url``). By-id operations get real ids (``_fuzz_setup``) in
every other example, so that their 200 bodies are validated too.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, TextIO

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from mockserver._contract.spec import Operation, OperationTable, default_table
from mockserver._contract.validation import SchemaSet, Violation
from mockserver._fuzzing.report import Finding, OperationResult, as_json, outcome, summary
from mockserver._fuzzing.setup import MUTATING, Ids, discover
from mockserver.strategies import OperationRequest, from_operation

GENERIC_ERRORS = frozenset({400, 401, 404, 410})
"""Statuses every route may answer with ``{"detail": ...}``, documented by the served document."""
SSE = "text/event-stream"

__all__ = ["Finding", "Fuzzer", "OperationResult", "main"]


def _describe(method: str, url: str, params: Iterable[tuple[str, str]], body: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params)
    text = f"{method} {url}" + (f"?{query}" if query else "")
    if body is not None:
        shown = json.dumps(body, ensure_ascii=False)
        text += f" {shown[:300]}{'…' if len(shown) > 300 else ''}"
    return text


def _broken(request: OperationRequest, how: str) -> tuple[str, list[tuple[str, str]], Any, bytes | None]:
    """The request, broken in one documented way: (url, params, json body, raw body)."""
    params = list(request.params)
    if how == "body-not-an-object":
        return request.url, params, [request.body], None
    if how == "body-not-json":
        return request.url, params, None, b"{not json"
    if how == "query-not-a-number":
        return request.url, [*params, ("limit", "not-a-number")], request.body, None
    return request.url, [*params, ("order", "sideways")], request.body, None


def _breakages(op: Operation) -> list[str]:
    names = {p.name for p in op.params_in("query")}
    found = []
    if op.body_pointer is not None:
        found += ["body-not-an-object", "body-not-json"]
    if "limit" in names:
        found.append("query-not-a-number")
    if "order" in names:
        found.append("query-bad-enum")
    return found


def _events(text: str) -> list[Any] | str:
    """The JSON payloads of an event stream's ``data:`` lines (``[DONE]`` left out), or what is wrong."""
    payloads = []
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            continue
        try:
            payloads.append(json.loads(data))
        except ValueError:
            return f"a data line is not JSON: {data[:100]!r}"
    return payloads


class Fuzzer:
    """Sends each operation's requests and records what came back in an :class:`OperationResult`."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        table: OperationTable | None = None,
        examples: int = 20,
        seed: int = 0,
        progress: TextIO | None = None,
        ids: Ids | None = None,
    ) -> None:
        self.client = client
        self.table = table or default_table()
        self.schemas = SchemaSet(self.table.refs, "strict")
        self.examples = examples
        self.seed = seed
        self.progress = progress
        self.ids = ids or Ids()

    def _body_violations(
        self, op: Operation, status: int, response: httpx.Response
    ) -> list[Violation] | str | None:
        """The body judged by its documented schema: violations, a complaint, or None if it has none."""
        spec = op.responses.get(status)
        if spec is None:
            return None
        if SSE in response.headers.get("content-type", "") and SSE in spec.media_types:
            events = _events(response.text)
            if isinstance(events, str):
                return events
            pointer = spec.media_types[SSE]
            return [
                v
                for i, event in enumerate(events)
                for v in self.schemas.violations(pointer, event, ("response", "event", i))
            ]
        if spec.json_pointer is None:
            return None
        try:
            body = response.json()
        except ValueError:
            return "the body is not JSON"
        return self.schemas.violations(spec.json_pointer, body, ("response",))

    def _check(
        self, op: Operation, result: OperationResult, response: httpx.Response, shown: str, valid: bool
    ) -> None:
        status = response.status_code
        result.sent += 1
        result.statuses[status] = result.statuses.get(status, 0) + 1

        def report(kind: str, message: str) -> None:
            result.findings.append(Finding(op.operation_id, kind, message, shown))

        if status >= 500:
            report("server_error", f"{status}: {response.text[:200]}")
            return
        success = 200 <= status < 300 and status in op.responses
        if not valid and 200 <= status < 300:
            report("invalid_accepted", f"a broken request was answered {status}")
        if status not in op.responses and status not in GENERIC_ERRORS:
            report("undocumented_status", f"{status} is not documented for {op.label}")
            return
        if success and valid:
            result.success += 1
        judged = self._body_violations(op, status, response)
        if judged is None:
            return
        result.checked += 1
        if success:
            result.success_checked += 1
        if isinstance(judged, str):
            result.failed += 1
            report("response_schema", f"{status}: {judged}")
            return
        if judged:
            result.failed += 1
        for violation in judged[:3]:
            where = ".".join(map(str, violation.loc))
            report("response_schema", f"{status} {where}: {violation.detail or violation.msg}")

    def _send(
        self, method: str, url: str, params: list[tuple[str, str]], body: Any, raw: bytes | None
    ) -> httpx.Response:
        query = httpx.QueryParams(tuple(params))
        if raw is not None:
            headers = {"Content-Type": "application/json"}
            return self.client.request(method, url, params=query, content=raw, headers=headers)
        return self.client.request(method, url, params=query, json=body)

    def fuzz_operation(self, op: Operation, tick: Callable[[], None]) -> OperationResult:
        """Send ``examples`` requests for ``op`` (each also broken, where it can be) and judge the answers."""
        result = OperationResult(op.operation_id, has_path_params=bool(op.params_in("path")))
        name, pool, result.unchecked_reason = self.ids.pool(op)
        counter = itertools.count()
        breakages = _breakages(op)
        hows = st.sampled_from(breakages) if breakages else st.none()

        @hypothesis_seed(self.seed)
        @settings(
            max_examples=self.examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(request=from_operation(op.operation_id), how=hows)
        def one(request: OperationRequest, how: str | None) -> None:
            index = next(counter)
            if name is not None and pool and index % 2 == 0:
                # Every other example names a record that exists, so that its 200 body is judged.
                request = replace(request, path={**request.path, name: pool[(index // 2) % len(pool)]})
            shown = _describe(op.method, request.url, request.params, request.body)
            try:
                response = self._send(op.method, request.url, list(request.params), request.body, None)
                self._check(op, result, response, shown, valid=True)
                if how is not None:
                    url, params, body, raw = _broken(request, how)
                    broken = self._send(op.method, url, params, body, raw)
                    self._check(
                        op, result, broken, _describe(op.method, url, params, body) + f" [{how}]", valid=False
                    )
            except httpx.HTTPError as exc:
                result.findings.append(
                    Finding(op.operation_id, "connection", f"{type(exc).__name__}: {exc}", shown)
                )
            tick()

        one()
        return result

    def run(self, operation_ids: Iterable[str]) -> list[OperationResult]:
        """Fuzz the operations, those that cancel or delete last; results in the order asked."""
        ops = [self.table[operation_id] for operation_id in operation_ids]
        total = len(ops) * self.examples
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            self._draw(done, total)

        # Cancelling or deleting first (or deleting before cancelling) would leave the operations
        # after them only 404s to judge.
        ordered = sorted(ops, key=lambda op: (op.method in MUTATING, op.method == "DELETE"))
        by_id = {op.operation_id: self.fuzz_operation(op, tick) for op in ordered}
        if self.progress is not None:
            self.progress.write("\n")
        return [by_id[op.operation_id] for op in ops]

    def _draw(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        width = 30
        filled = width * min(done, total) // max(total, 1)
        self.progress.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {min(done, total)}/{total}")
        self.progress.flush()


def _headers(api_key: str | None, headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    sent = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    sent.update(dict(headers))  # an explicit --header wins over --api-key
    return sent


def main(
    base_url: str,
    operations: list[str] | None = None,
    examples: int = 20,
    seed: int = 0,
    api_key: str | None = None,
    *,
    headers: Sequence[tuple[str, str]] = (),
    allow_no_success: bool = False,
    json_output: bool = False,
    out: TextIO | None = None,
    progress: TextIO | None = None,
) -> int:
    """Run the fuzz command; its exit status (0 clean, 1 findings, 2 bad usage or unreachable)."""
    out = out or sys.stdout
    table = default_table()
    selected = operations or list(table)
    unknown = [name for name in selected if name not in table]
    if unknown:
        print(f"letta-mockserver fuzz: unknown operation(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    with httpx.Client(base_url=base_url, headers=_headers(api_key, headers), timeout=30) as client:
        try:
            client.get("/openapi.json")
        except httpx.HTTPError as exc:
            print(f"letta-mockserver fuzz: cannot reach {base_url}: {exc}", file=sys.stderr)
            return 2
        ids = discover(client, (table[name] for name in selected))
        fuzzer = Fuzzer(
            client, table=table, examples=examples, seed=seed, progress=progress or sys.stderr, ids=ids
        )
        results = fuzzer.run(selected)
    judged = outcome(results, base_url, allow_no_success=allow_no_success)
    judged.notes = ids.notes
    print(as_json(judged, ids.as_dict()) if json_output else summary(judged), file=out)
    return judged.exit_status
