"""Time for the simulation: one time-ordered heap of future changes, ids, and observers.

Every future change is an entry ``(due, order, change)``; :meth:`Scheduler.settle` applies all
entries due by "now", each told its own due time, so a manual clock advanced by ten seconds
gives exactly the timestamps a real wait would have.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import random
from collections.abc import Callable
from functools import partial
from typing import Any

from mockserver._clock import Clock
from mockserver._generate import prefixed_id
from mockserver._records import RunRecord

Listener = Callable[[str, Any], None]
"""Called with ``("batch" | "job" | "run", record)`` whenever a record reaches a terminal status."""

RUNNING_SHARE = 0.05
"""A new job starts running after this share of its duration."""


class Scheduler:
    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self._seed = seed
        self._heap: list[tuple[float, int, Callable[[float], None]]] = []
        self._order = itertools.count()
        self.finished: list[Listener] = []
        self.changed: list[Callable[[RunRecord], None]] = []
        self.freeze_gc = False
        self._stored = self._frozen_at = 0
        self._restart()

    def _restart(self) -> None:
        """Forget every scheduled change; ids and the clock start over."""
        self._stored = self._frozen_at = 0
        self._heap.clear()
        self._rng = random.Random(f"simulation:{self._seed}")
        # Pings come and go with the connection's timing; they draw ids from their own
        # generator so that they do not shift the ids of everything else.
        self.rng_for_pings = random.Random(f"pings:{self._seed}")
        self._message_seq = itertools.count(1)
        self.clock.rewind()

    # -- time ------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def pending(self) -> int:
        """How many scheduled changes have not happened yet."""
        return len(self._heap)

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def settle(self) -> int:
        """Apply every change due by now; the number applied."""
        now = self.clock.now()
        applied = 0
        while self._heap and self._heap[0][0] <= now:
            due, _, change = heapq.heappop(self._heap)
            change(due)
            applied += 1
        return applied

    def _at(self, due: float, change: Callable[..., None], *args: Any) -> None:
        """Schedule ``change(*args, due)``: each change is told the time it was due at."""
        entry: tuple[float, int, Callable[[float], None]] = (due, next(self._order), partial(change, *args))
        heapq.heappush(self._heap, entry)

    def new_id(self, prefix: str) -> str:
        return prefixed_id(prefix, self._rng)

    def _grew(self) -> None:
        """Freeze what is stored every 2,000 records (only when `freeze_gc` is set).

        Stored records live until a reset; a full garbage collection would scan them all again
        and again (a 1 s pause with ~70k batches). Frozen objects are skipped by the cyclic
        collector and still freed by reference counting when they are dropped; freezing is a
        list splice, so doing it often costs nothing and keeps every collection small.
        """
        self._stored += 1
        if self.freeze_gc and self._stored - self._frozen_at >= 2_000:
            gc.freeze()
            self._frozen_at = self._stored

    # -- observers -------------------------------------------------------------------------

    def _notify(self, kind: str, record: Any) -> None:
        for listener in self.finished:
            listener(kind, record)

    def _changed(self, record: RunRecord) -> None:
        for listener in self.changed:
            listener(record)
