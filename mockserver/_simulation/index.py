"""Ordered in-memory collections: records by id, kept sorted by ``(created, id)``.

A page is found by bisecting to the cursor and walking ``limit`` records from it, so its cost
is ``O(log n + limit)`` (plus the records a filter skips), whatever the size of the collection.
Records are appended in creation order almost always, which keeps insertion cheap too.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from typing import Generic, Literal, Protocol, TypeVar

Order = Literal["asc", "desc"]


class Keyed(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def sort_key(self) -> tuple[int, str]: ...


R = TypeVar("R", bound=Keyed)


class UnknownCursor(LookupError):
    def __init__(self, name: str, value: str) -> None:
        super().__init__(value)
        self.name, self.value = name, value


class Collection(Generic[R]):
    def __init__(self) -> None:
        self._by_id: dict[str, R] = {}
        self._keys: list[tuple[int, str]] = []
        self._head = 0
        """Keys before this index were removed from the front (the retention limit evicts the oldest):
        deleting ``_keys[0]`` would move the whole list each time, so they are dropped in bulk."""

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._by_id

    def __iter__(self) -> Iterator[R]:
        """Oldest first."""
        return (self._by_id[key[1]] for key in self._keys[self._head :])

    def get(self, record_id: str) -> R | None:
        return self._by_id.get(record_id)

    def add(self, record: R) -> R:
        if record.id in self._by_id:
            raise ValueError(f"duplicate id {record.id!r}")
        self._by_id[record.id] = record
        key = record.sort_key
        if len(self._keys) == self._head or self._keys[-1] < key:
            self._keys.append(key)
        else:
            insort(self._keys, key, self._head)
        return record

    def remove(self, record_id: str) -> R | None:
        record = self._by_id.pop(record_id, None)
        if record is None:
            return None
        key = record.sort_key
        # The retention limit removes the oldest: found at the head without a bisection.
        head_key = self._keys[self._head] if self._head < len(self._keys) else None
        index = self._head if head_key == key else bisect_left(self._keys, key, self._head)
        if index > self._head:
            del self._keys[index]
            return record
        self._head += 1
        if self._head >= 1024 and self._head * 2 >= len(self._keys):
            del self._keys[: self._head]
            self._head = 0
        return record

    def clear(self) -> None:
        self._by_id.clear()
        self._keys.clear()
        self._head = 0

    def _position(self, name: str, record_id: str) -> int:
        record = self._by_id.get(record_id)
        if record is None:
            raise UnknownCursor(name, record_id)
        return bisect_left(self._keys, record.sort_key, self._head) - self._head

    def page(
        self,
        *,
        order: Order = "desc",
        before: str | None = None,
        after: str | None = None,
        limit: int | None = None,
        where: Callable[[R], bool] | None = None,
    ) -> list[R]:
        """Records after ``after`` and before ``before`` in ``order``, at most ``limit``, nearest the cursor.

        A cursor naming no record raises :class:`UnknownCursor`; the caller decides what that means.
        """
        head = self._head
        return select(
            len(self._keys) - head,
            lambda index: self._by_id[self._keys[head + index][1]],
            order=order,
            after=None if after is None else self._position("after", after),
            before=None if before is None else self._position("before", before),
            limit=limit,
            where=where,
        )


T = TypeVar("T")


def select(
    count: int,
    at: Callable[[int], T],
    *,
    order: Order = "desc",
    after: int | None = None,
    before: int | None = None,
    limit: int | None = None,
    where: Callable[[T], bool] | None = None,
) -> list[T]:
    """The one pager: of ``count`` items oldest first (``at(i)``), those after the item at index
    ``after`` and before the one at ``before`` in ``order``, at most ``limit``, nearest the cursor.

    As the documentation describes cursors: ``after`` is what follows in the requested order, and with
    ``before`` alone the page is the one right before it, as a backwards auto-pagination needs. Stored
    collections (found by bisection) and whole lists (stateless answers, fixtures, overrides) both
    page here, so the two cannot drift apart.
    """
    if limit is not None and limit <= 0:
        return []
    # Work in "sequence space": position 0 is the first item of the requested order.
    ascending = order == "asc"

    def to_index(s: int) -> int:
        return s if ascending else count - 1 - s

    start = 0 if after is None else to_index(after) + 1
    stop = count if before is None else to_index(before)
    backwards = before is not None and after is None
    steps = range(stop - 1, start - 1, -1) if backwards else range(start, stop)
    found: list[T] = []
    for s in steps:
        item = at(to_index(s))
        if where is None or where(item):
            found.append(item)
            if limit is not None and len(found) >= limit:
                break
    if backwards:
        found.reverse()
    return found
