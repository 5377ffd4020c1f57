"""A speed seam: keep the cyclic garbage collector off what a server process stores.

Measured (bench/, POST /v1/messages/batches under wrk -c32): without it the POST p99 was 1,011 ms,
with it 14 ms. Stored records live until a reset, and every full collection scanned all of them
again (a 1 s pause with ~70k batches). ``gc.freeze()`` moves every live object to a permanent
generation the collector skips; frozen objects are still freed by reference counting when dropped.
Freezing is a list splice, so doing it every 2,000 stored records costs nothing and keeps every
collection small.

It is process-wide by nature, so it is armed only where the mock owns the process (``serve()``),
never inside a test run or an embedding application. The malloc seam (``mmap_threshold``) is
process-wide for the same reason and belongs to the same processes, so arming one arms both.

:func:`paused` is the same seam for one bulk step: a whole state parsed, restored and written back
(``GET``/``PUT /_mock/state``) allocates a few hundred thousand containers that all stay alive until the
step ends, and the collector, run every 700 allocations, scanned them again and again for nothing.
Measured in-process, 100k one-request batches, CPU s with the collector on -> paused: parse 0.69 -> 0.45,
restore 0.69 -> 0.43, snapshot 0.33 -> 0.21.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from mockserver._simulation import mmap_threshold

EVERY = 2_000
"""Stored records between two freezes."""

_armed = False
_stored = 0


def arm() -> None:
    """Freeze what exists now, and again as the store grows (server processes only)."""
    global _armed
    _armed = True
    mmap_threshold.arm()
    freeze()


def freeze() -> None:
    """Freeze what exists now: ``serve()`` arms before building the app (so that a ``--state`` file loads
    with the collector paused) and freezes again once the app and that state are built."""
    if _armed:
        gc.freeze()


def stored_one() -> None:
    """Called by the simulation for every record it stores."""
    global _stored
    if not _armed:
        return
    _stored += 1
    if _stored >= EVERY:
        _stored = 0
        freeze()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while the block runs (armed processes only; a no-op elsewhere).

    For synchronous bulk steps only: never across an ``await``, where a slow client could keep the
    collector off for as long as it likes. Objects the block leaves young are collected as usual after it.
    """
    if not _armed or not gc.isenabled():  # already off: whoever turned it off turns it on
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        mmap_threshold.trim()  # what the step freed, given back (see that seam)
