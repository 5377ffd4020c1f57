"""Time, injected: the system clock, or a manual one that moves only when told.

Times are POSIX seconds (floats, UTC). Nothing else in the server reads the wall clock for
simulated state; tests on the manual clock never sleep to wait for a transition.
"""

from __future__ import annotations

import math
import time
from typing import Literal, Protocol

ClockKind = Literal["system", "manual"]
CLOCK_KINDS: tuple[ClockKind, ...] = ("system", "manual")


class Clock(Protocol):
    kind: ClockKind

    def now(self) -> float: ...

    def advance(self, seconds: float) -> float: ...

    def rewind(self) -> None: ...


class SystemClock:
    kind: ClockKind = "system"

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> float:
        raise ValueError("the system clock cannot be advanced; start the server with --clock manual")

    def rewind(self) -> None:
        """Nothing to rewind: the system clock is the wall clock."""


class ManualClock:
    """Starts at ``start`` (default: the wall clock, whole seconds) and moves only by :meth:`advance`."""

    kind: ClockKind = "manual"

    def __init__(self, start: float | None = None) -> None:
        self.start = float(int(time.time())) if start is None else start
        self._now = self.start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite, non-negative number, not {seconds!r}")
        self._now += seconds
        return self._now

    def rewind(self) -> None:
        self._now = self.start

    def set_to(self, moment: float) -> None:
        """Where a restored snapshot was, even before this clock's start: a server started after the
        snapshot was taken would otherwise resume later than it, and finish what was still to happen."""
        if not math.isfinite(moment):
            raise ValueError(f"a clock's time must be finite, not {moment!r}")
        self._now = moment


def make_clock(kind: ClockKind) -> Clock:
    return ManualClock() if kind == "manual" else SystemClock()
