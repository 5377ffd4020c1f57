"""``letta-mockserver fuzz``: check any server speaking this API against the documented contract.

For each operation it sends requests drawn from ``mockserver.strategies`` (valid ones, and
the same requests broken on purpose) and reports every answer that breaks the contract:

- ``server_error``: any 5xx;
- ``undocumented_status``: a status the document does not list for the operation (beside
  the generic error answers 400/401/404/410 that every route may give);
- ``response_schema``: a body that does not match the documented schema of its status;
- ``invalid_accepted``: a broken request answered with 2xx.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mockserver._schemas import SchemaSet
from mockserver._spec import Operation, OperationTable, default_table
from mockserver.strategies import OperationRequest, from_operation

GENERIC_ERRORS = frozenset({400, 401, 404, 410})
"""Statuses every route may answer with ``{"detail": ...}``, documented by the served document."""


@dataclass
class Finding:
    operation_id: str
    kind: str
    message: str
    request: str


@dataclass
class OperationResult:
    operation_id: str
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


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


class Fuzzer:
    def __init__(
        self,
        client: httpx.Client,
        *,
        table: OperationTable | None = None,
        examples: int = 20,
        seed: int = 0,
        progress: TextIO | None = None,
    ) -> None:
        self.client = client
        self.table = table or default_table()
        self.schemas = SchemaSet(self.table.document, "strict")
        self.examples = examples
        self.seed = seed
        self.progress = progress

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
        if not valid and 200 <= status < 300:
            report("invalid_accepted", f"a broken request was answered {status}")
        if status not in op.responses and status not in GENERIC_ERRORS:
            report("undocumented_status", f"{status} is not documented for {op.label}")
            return
        spec = op.responses.get(status)
        pointer = spec.json_pointer if spec is not None else None
        if pointer is None or "text/event-stream" in response.headers.get("content-type", ""):
            return
        try:
            body = response.json()
        except ValueError:
            report("response_schema", f"{status} answered a body that is not JSON")
            return
        for violation in self.schemas.violations(pointer, body, ("response",))[:3]:
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
        result = OperationResult(op.operation_id)
        breakages = _breakages(op)
        hows = st.sampled_from(breakages) if breakages else st.none()

        @settings(
            max_examples=self.examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(request=from_operation(op.operation_id), how=hows)
        def one(request: OperationRequest, how: str | None) -> None:
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
        ops = [self.table[operation_id] for operation_id in operation_ids]
        total = len(ops) * self.examples
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            self._draw(done, total)

        results = [self.fuzz_operation(op, tick) for op in ops]
        if self.progress is not None:
            self.progress.write("\n")
        return results

    def _draw(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        width = 30
        filled = width * min(done, total) // max(total, 1)
        self.progress.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {min(done, total)}/{total}")
        self.progress.flush()


def summary(results: list[OperationResult]) -> str:
    """A markdown table, one row per operation, then every finding."""
    lines = ["| operation | requests | statuses | findings |", "|---|---|---|---|"]
    for result in results:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
        lines.append(f"| {result.operation_id} | {result.sent} | {statuses} | {len(result.findings)} |")
    findings = [f for result in results for f in result.findings]
    lines.append("")
    lines.append(f"{len(findings)} finding(s) in {sum(r.sent for r in results)} request(s).")
    for finding in findings[:200]:
        lines.append(f"- {finding.operation_id} [{finding.kind}] {finding.message}\n    {finding.request}")
    return "\n".join(lines)


def main(base_url: str, operations: list[str] | None, examples: int, seed: int, api_key: str | None) -> int:
    table = default_table()
    selected = operations or list(table)
    unknown = [name for name in selected if name not in table]
    if unknown:
        print(f"letta-mockserver fuzz: unknown operation(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        try:
            client.get("/openapi.json")
        except httpx.HTTPError as exc:
            print(f"letta-mockserver fuzz: cannot reach {base_url}: {exc}", file=sys.stderr)
            return 2
        results = Fuzzer(client, table=table, examples=examples, seed=seed, progress=sys.stderr).run(selected)
    print(summary(results))
    return 1 if any(result.findings for result in results) else 0
