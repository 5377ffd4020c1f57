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
"""

from __future__ import annotations

import gc

from mockserver._simulation import mmap_threshold

EVERY = 2_000
"""Stored records between two freezes."""

_armed = False
_stored = 0


def arm() -> None:
    """Freeze what start-up built, and freeze again as the store grows (server processes only)."""
    global _armed
    _armed = True
    mmap_threshold.arm()
    gc.freeze()


def stored_one() -> None:
    """Called by the simulation for every record it stores."""
    global _stored
    if not _armed:
        return
    _stored += 1
    if _stored >= EVERY:
        _stored = 0
        gc.freeze()
