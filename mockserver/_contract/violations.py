"""The error a test fails with when it broke the contract. Standard library only (the plugin imports it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ContractViolation(AssertionError):
    """Requests sent during a test broke the documented contract; the message lists each violation."""

    # Shown in tracebacks and pytest reports under the name users import it by.
    __module__ = "mockserver"

    def __init__(self, violations: Sequence[Mapping[str, Any]]) -> None:
        self.violations = list(violations)
        lines = [f"{len(self.violations)} request(s) broke the Letta API contract:"]
        lines += [f"\n{index}. {v.get('message', v)}" for index, v in enumerate(self.violations, start=1)]
        super().__init__("\n".join(lines))
