"""The proxy's report as text: what ``--report-on-exit`` prints when the proxy shuts down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _indented(text: str) -> str:
    return "\n".join(("    " + line) if line else "" for line in text.splitlines())


def format_report(report: Mapping[str, Any], upstream: str) -> str:
    """Client violations, server deviations and the quirks seen, each with the request it came from."""
    clients: list[dict[str, Any]] = report.get("client_violations", [])
    servers: list[dict[str, Any]] = report.get("server_deviations", [])
    quirks: dict[str, dict[str, Any]] = report.get("quirks_seen", {})
    exercised: dict[str, dict[str, int]] = report.get("exercised", {})
    requests = sum(sum(codes.values()) for codes in exercised.values())
    lines = [
        f"letta-mockserver proxy report (upstream {upstream}): {requests} requests to"
        f" {len(exercised)} operations",
        "",
        f"client violations: {len(clients)}",
    ]
    for found in clients:
        lines += [f"  #{found['seq']} {found['method']} {found['path']}", _indented(found["message"]), ""]
    lines.append(f"server deviations: {len(servers)}")
    for found in servers:
        lines += [f"  #{found['seq']} {found['method']} {found['path']}", _indented(found["message"]), ""]
    lines.append(f"quirks seen: {len(quirks)}")
    for name, seen in quirks.items():
        lines.append(f"  {name}: #{seen['seq']} {seen['request']}: {seen['evidence']}")
    return "\n".join(lines).rstrip() + "\n"
