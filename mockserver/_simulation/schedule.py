"""Time for the simulation: the clock and one time-ordered heap of future changes.

Every future change is an entry ``(due, order, change)``; :meth:`Schedule.settle` applies all
entries due by "now", each told its own due time, so a manual clock advanced by ten seconds
gives exactly the timestamps a real wait would have.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from functools import partial
from typing import Any

from mockserver._simulation.clock import Clock

RUNNING_SHARE = 0.05
"""A new job starts running after this share of its duration."""


class Schedule:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Callable[[float], None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.clock.now()

    def pending(self) -> int:
        """How many scheduled changes have not happened yet."""
        return len(self._heap)

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def at(self, due: float, change: Callable[..., None], *args: Any) -> None:
        """Schedule ``change(*args, due)``: each change is told the time it was due at."""
        entry: tuple[float, int, Callable[[float], None]] = (due, next(self._order), partial(change, *args))
        heapq.heappush(self._heap, entry)

    def settle(self) -> int:
        """Apply every change due by now; the number applied."""
        now = self.clock.now()
        applied = 0
        while self._heap and self._heap[0][0] <= now:
            due, _, change = heapq.heappop(self._heap)
            change(due)
            applied += 1
        return applied

    def clear(self) -> None:
        """Forget every scheduled change and rewind the clock."""
        self._heap.clear()
        self.clock.rewind()
