"""Domain errors and the JSON bodies they become.

Handlers raise these; ``_app`` maps them to responses in one table, so every error of the
server has one shape: ``{"detail": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver._contract.spec import Operation
    from mockserver._contract.validation import Violation

MAX_BODY_BYTES = 256 * 1024 * 1024


class MockError(Exception):
    """An error answered with ``status`` and ``{"detail": detail}``."""

    status = 500

    def __init__(
        self, detail: Any, *, status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}


class RequestInvalid(MockError):
    """The request broke the contract: 422 with one ``detail`` item per violation."""

    status = 422

    def __init__(self, operation: Operation | None, violations: Sequence[Violation]) -> None:
        self.operation = operation
        self.violations = list(violations)
        super().__init__([v.as_json() for v in self.violations])

    def __str__(self) -> str:
        where = f"{self.operation.label}: " if self.operation else ""
        return where + "; ".join(f"{'.'.join(map(str, v.loc))}: {v.msg}" for v in self.violations)


def repr_detail_body(violations: Sequence[Violation]) -> dict[str, Any]:
    """The real server's 422 body (``app.py:477-532``): ``detail`` is the Python ``repr`` of the
    errors (tuple ``loc``s, single quotes) and ``trace_id`` is empty without tracing. The real
    errors also carry the rejected ``input``, which the mock's violations do not keep."""
    errors = []
    for violation in violations:
        error: dict[str, Any] = {"type": violation.type, "loc": tuple(violation.loc), "msg": violation.msg}
        if violation.ctx:
            error["ctx"] = dict(violation.ctx)
        errors.append(error)
    return {"trace_id": "", "detail": repr(errors)}


class BadRequest(MockError):
    status = 400


class NotFound(MockError):
    status = 404


class BodyTooLarge(BadRequest):
    def __init__(self, size: int) -> None:
        super().__init__(
            f"INVALID_ARGUMENT: Request too large ({size} bytes). Max is {MAX_BODY_BYTES} bytes."
        )


class Gone(MockError):
    status = 410


class Conflict(MockError):
    status = 409


class Unauthorized(MockError):
    status = 401


class Forbidden(MockError):
    status = 403
