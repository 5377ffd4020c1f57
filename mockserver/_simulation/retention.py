"""The retention limit: at most ``max_records`` stored batches, jobs and runs, so memory levels off.

A mock left running under a load test used to grow until the machine swapped. Past the limit the
records that finished first are evicted (a record that has not finished is never evicted, so the
store may stay above the limit while everything in it is still running). The ids of the last
``max_records`` evicted records are remembered, so that a retrieve can say why it finds nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

DEFAULT_MAX_RECORDS = 100_000
"""~90 MiB of one-request batches (bench/memory.py): well under 512 MiB RSS with everything else."""


class Retention:
    def __init__(self, max_records: int, evict: Callable[[Any], bool], stored: Callable[[], int]) -> None:
        """``evict(record)`` removes a record (``False`` if it is no longer stored); ``stored()`` counts."""
        if max_records < 0:
            raise ValueError(f"max_records must be 0 (no limit) or more, not {max_records!r}")
        self.max_records = max_records
        self._evict = evict
        self._stored = stored
        self._finished: deque[Any] = deque()
        # A deque and a set: popping the oldest id from a dict would rescan the deleted slots before it.
        self._evicted_order: deque[str] = deque()
        self._evicted_ids: set[str] = set()
        self.evicted = 0
        """How many records the limit has evicted since the last reset."""

    def clear(self) -> None:
        self._finished.clear()
        self._evicted_order.clear()
        self._evicted_ids.clear()
        self.evicted = 0

    def finished(self, record: Any) -> None:
        """``record`` has reached a final status: it may be evicted from now on, in this order."""
        if self.max_records:
            self._finished.append(record)
            self.enforce()

    def enforce(self) -> None:
        """Evict finished records, first finished first, until the store is within the limit."""
        if not self.max_records:
            return
        while self._finished and self._stored() > self.max_records:
            record = self._finished.popleft()
            if self._evict(record):
                self.evicted += 1
                self._evicted_order.append(record.id)
                self._evicted_ids.add(record.id)
                if len(self._evicted_order) > self.max_records:
                    self._evicted_ids.discard(self._evicted_order.popleft())

    def was_evicted(self, record_id: str) -> bool:
        return record_id in self._evicted_ids
