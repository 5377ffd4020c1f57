"""What ``letta-mockserver fuzz`` found: per-operation counts, findings, the run-level diagnosis,
the summary table, the JSON report and the exit status.

Kept apart from ``_fuzz`` (which sends the requests) so that the rules deciding whether a run
passed can be read, and tested, on their own. Imports nothing of ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

AUTH_STATUSES = frozenset({401, 403})
NEARLY_ALL = 0.9
"""Share of 401/403 answers above which the run could not authenticate (a few routes may be public)."""

CONTRACT_KINDS = ("server_error", "undocumented_status", "response_schema", "invalid_accepted", "connection")
RUN_KINDS = ("unauthenticated", "wrong_base_url")
NO_SUCCESS = "no_success"


@dataclass
class Finding:
    """One problem: a contract violation seen in an answer, or something the run could not check."""

    operation_id: str
    kind: str
    message: str
    request: str


@dataclass
class OperationResult:
    """What was sent for one operation and what came back."""

    operation_id: str
    has_path_params: bool = False
    sent: int = 0
    success: int = 0
    """Answers with a 2xx status the document lists for the operation."""
    checked: int = 0
    """Response bodies validated against their documented schema (any status)."""
    failed: int = 0
    """Of ``checked``, those that broke the schema."""
    success_checked: int = 0
    """Documented-2xx bodies validated (passing or not): zero means the success schema went untested."""
    statuses: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unchecked_reason: str | None = None
    """Why no real id could be used for this by-id operation, when discovery found none."""


@dataclass
class Outcome:
    """The whole run: per-operation results, the run-level findings, and the exit status."""

    results: list[OperationResult]
    run_findings: list[Finding]
    allow_no_success: bool
    notes: list[str] = field(default_factory=list)

    @property
    def unchecked(self) -> list[str]:
        """Operations whose documented success body was never validated."""
        return [r.operation_id for r in self.results if r.success_checked == 0]

    @property
    def findings(self) -> list[Finding]:
        """Every finding, run-level ones first."""
        return [*self.run_findings, *(f for r in self.results for f in r.findings)]

    @property
    def exit_status(self) -> int:
        """1 when any finding counts (``no_success`` ones only without ``--allow-no-success``), else 0."""
        counted = [f for f in self.findings if f.kind != NO_SUCCESS or not self.allow_no_success]
        return 1 if counted else 0


def _status_text(statuses: Mapping[int, int]) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())) or "none"


def no_success_finding(result: OperationResult) -> Finding:
    """The finding for an operation whose documented success body was never validated."""
    message = f"no documented 2xx answer was validated (answers: {_status_text(result.statuses)})"
    if result.unchecked_reason:
        message += f"; {result.unchecked_reason}"
    return Finding(result.operation_id, NO_SUCCESS, message, "")


def _base_url_hint(base_url: str) -> str:
    path = urlsplit(base_url).path.rstrip("/")
    if path:
        root = base_url[: len(base_url) - len(urlsplit(base_url).path)] or base_url
        return (
            f"the base URL is probably wrong: it has the path {path!r}, but the operations' paths already"
            f" start with /v1; try --base-url {root}"
        )
    return "the base URL is probably wrong, or the server does not serve this API at its root"


def outcome(results: list[OperationResult], base_url: str, *, allow_no_success: bool) -> Outcome:
    """Judge the run: the run-level diagnosis, then a ``no_success`` finding per unchecked operation.

    When a run-level diagnosis explains every failure (no authentication, a wrong base URL), the
    per-operation ``no_success`` findings it explains are left out: one cause, said once.
    """
    run_findings: list[Finding] = []
    sent = sum(r.sent for r in results)
    refused = sum(n for r in results for code, n in r.statuses.items() if code in AUTH_STATUSES)
    lists = [r for r in results if not r.has_path_params and r.sent]
    if sent and refused >= NEARLY_ALL * sent:
        codes = sorted({code for r in results for code in r.statuses if code in AUTH_STATUSES})
        run_findings.append(
            Finding(
                "*",
                "unauthenticated",
                f"could not authenticate: {refused} of {sent} answers were {'/'.join(map(str, codes))};"
                " pass the server's key with --api-key KEY (Authorization: Bearer KEY)"
                " or any header it needs with --header 'Name: value'",
                "",
            )
        )
    elif lists and all(set(r.statuses) == {404} for r in lists):
        names = ", ".join(r.operation_id for r in lists)
        run_findings.append(
            Finding(
                "*",
                "wrong_base_url",
                f"every answer to the operations without a path parameter ({names}) was 404: "
                + _base_url_hint(base_url),
                "",
            )
        )
    for result in results:
        if result.success_checked == 0 and not run_findings:
            result.findings.append(no_success_finding(result))
    return Outcome(results, run_findings, allow_no_success)


def summary(outcome: Outcome) -> str:
    """A markdown table, one row per operation, the closing counts, what went unchecked, every finding."""
    results = outcome.results
    lines = [
        "| operation | requests | 2xx | bodies checked | bodies failed | statuses | findings |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.operation_id} | {r.sent} | {r.success} | {r.checked} | {r.failed}"
            f" | {_status_text(r.statuses)} | {len(r.findings)} |"
        )
    findings = outcome.findings
    lines.append("")
    for note in outcome.notes:
        lines.append(f"note: {note}")
    lines.append(
        f"{len(findings)} finding(s) in {sum(r.sent for r in results)} request(s);"
        f" {sum(r.checked for r in results)} response bodies validated across {len(results)} operation(s)."
    )
    unchecked = outcome.unchecked
    if unchecked:
        allowed = " (allowed by --allow-no-success)" if outcome.allow_no_success else ""
        lines.append(
            f"{len(unchecked)} operation(s): success bodies never checked{allowed}: {', '.join(unchecked)}"
        )
    for finding in findings[:200]:
        lines.append(f"- {finding.operation_id} [{finding.kind}] {finding.message}")
        if finding.request:
            lines.append(f"    {finding.request}")
    if len(findings) > 200:
        lines.append(f"... and {len(findings) - 200} more (--json lists them all)")
    return "\n".join(lines)


def as_json(outcome: Outcome, ids: Mapping[str, Iterable[str]] | None = None) -> str:
    """The report for machines: every count and finding, and the exit status."""
    operations: list[dict[str, Any]] = []
    for r in outcome.results:
        row = asdict(r)
        row["statuses"] = {str(code): n for code, n in sorted(r.statuses.items())}
        row["findings"] = len(r.findings)  # listed once, at the top level
        operations.append(row)
    document = {
        "exit_status": outcome.exit_status,
        "requests": sum(r.sent for r in outcome.results),
        "bodies_checked": sum(r.checked for r in outcome.results),
        "findings": [asdict(f) for f in outcome.findings],
        "unchecked_operations": outcome.unchecked,
        "notes": outcome.notes,
        "ids": {kind: list(values) for kind, values in (ids or {}).items()},
        "operations": operations,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
