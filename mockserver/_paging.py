"""Cursor pagination as the documentation describes it, shared by every list.

``after=X`` is what comes after X in the requested order, ``before=X`` what comes before it,
and ``limit`` counts from the cursor, so that an SDK's auto-pagination (``after=<last id>``
until an empty page, or ``before=<first id>``) visits every item exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

T = TypeVar("T")
Order = Literal["asc", "desc"]


def page(
    chronological: Sequence[T],
    key: Callable[[T], str],
    *,
    order: Order = "desc",
    before: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[T]:
    """One page of ``chronological`` (oldest first). A cursor that names no item is ignored."""
    ordered = list(chronological) if order == "asc" else list(reversed(chronological))
    ids = [key(item) for item in ordered]
    start, stop = 0, len(ordered)
    if after is not None and after in ids:
        start = ids.index(after) + 1
    if before is not None and before in ids:
        stop = ids.index(before)
    window = ordered[start:stop] if start <= stop else []
    if limit is None:
        return window
    if limit <= 0:
        return []
    # With only `before`, the page is the one right before the cursor, as a backwards walk needs.
    if before is not None and before in ids and (after is None or after not in ids):
        return window[-limit:]
    return window[:limit]
