"""Cursor pagination as the documentation describes it, shared by every list.

``after=X`` is what comes after X in the requested order, ``before=X`` what comes before it,
and ``limit`` counts from the cursor, so that an SDK's auto-pagination (``after=<last id>``
until an empty page, or ``before=<first id>``) visits every item exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, TypeVar

from mockserver._simulation.index import select

T = TypeVar("T")
Order = Literal["asc", "desc"]

ZERO_IS_UNLIMITED = frozenset({"list_batches", "list_jobs", "list_active_jobs"})
"""Lists whose ``limit=0`` means "no limit" on the real server (``if limit:``); elsewhere it is ``[]``."""


def page(
    chronological: Sequence[T],
    key: Callable[[T], str],
    *,
    order: Order = "desc",
    before: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[T]:
    """One page of ``chronological`` (oldest first). A cursor that names no item is ignored.

    An id given twice names its first item in the requested order; the paging is ``index.select``'s.
    """
    positions: dict[str, int] = {}
    for index, item in enumerate(chronological):
        if order != "asc" or key(item) not in positions:
            positions[key(item)] = index
    return select(
        len(chronological),
        chronological.__getitem__,
        order=order,
        after=positions.get(after) if after is not None else None,
        before=positions.get(before) if before is not None else None,
        limit=limit,
    )


def page_by_query(
    chronological: Sequence[Any], query: Mapping[str, Any], provided: Collection[str], operation_id: str
) -> list[Any]:
    """One page of a whole collection (oldest first) as a list operation's validated query asks:
    ``limit``, ``order`` (or the deprecated ``ascending`` when sent), ``before`` and ``after``
    cursors naming item ``id``s. How stateless lists, fixtures and overrides of lists are paged."""
    order = query.get("order", "desc")
    if "ascending" in provided:
        # The deprecated flag wins over `order` only when the client sends it.
        order = "asc" if query.get("ascending") else "desc"
    limit = query.get("limit")
    if not isinstance(limit, int) or (limit == 0 and operation_id in ZERO_IS_UNLIMITED):
        limit = None  # with validation off the query may hold anything: no limit then
    return page(
        chronological,
        lambda item: str(item.get("id")) if isinstance(item, dict) else "",
        order="asc" if order == "asc" else "desc",
        before=query.get("before") or None,
        after=query.get("after") or None,
        limit=limit,
    )
