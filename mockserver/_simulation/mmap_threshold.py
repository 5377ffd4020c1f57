"""A memory seam: glibc's malloc keeps every large block mmapped, so freeing one gives its pages back.

The store's big tables (the jobs dict, each collection's ``_by_id``, retention's evicted-id set,
~1-4 MiB each with the default 100,000 records) are reallocated whole as records come and go: a
dict or set full of deleted slots is rebuilt. glibc starts by mmapping blocks over 128 KiB, but
each time it frees an mmapped block it raises that threshold to the block's size (up to 32 MiB),
so after the first table is replaced every later one is carved out of the brk heap, where the
holes freed tables leave are not given back while anything lives above them.

Measured (one-request batch creates, ``--max-records`` 100,000; bench/memory.py's ``app`` and
``server`` sections): in-process, Python's allocated blocks, pymalloc's arenas and glibc's bytes in
use (~40 MiB) flat from 200k creates on, but the brk heap 22 -> 59 MiB as the tables moved into it
and RSS 188 -> 206 MiB in steps by 1M (level from there to 3M); a server process 194 MiB at 200k,
199.4 from 415k, 206.7 from 709k. With the threshold fixed at 1 MiB: 186.6 MiB in-process from 200k
to 1M, to the tenth, and 193.2-193.8 MiB in a server process from 219k to 1M. Setting it also turns
glibc's dynamic adjustment off, which is the point.

Why 1 MiB and not glibc's starting 128 KiB (which flattens the soak too, at 186.5): at 128 KiB an
idle server kept 35 MiB after a 32 MiB header flood instead of ~6 (tests/robustness), and every
block between the two (a 1,000-batch list page is 565 KiB) came as fresh pages, ~2% more CPU for
that page. Under 1 MiB nothing changes; tables that small (``--max-records`` under ~25,000) stay in
the heap, as before.

Process-wide, so it is armed only with ``gc_freeze`` (a server process of its own); elsewhere (musl,
macOS, Windows) there is nothing to do.

:func:`trim` is the same seam after a bulk step (``gc_freeze.paused``): parsing a 100k-record
``PUT /_mock/state`` leaves ~180 MiB of freed small blocks (each record's dict) in the brk heap, where
glibc keeps them: RSS 480 MiB after the PUT, 522 after a second; ``malloc_trim(0)`` gives the free
pages back (338 MiB) in a few milliseconds.
"""

from __future__ import annotations

import ctypes
import os

M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number in glibc's ``malloc.h``."""
THRESHOLD = 1024 * 1024
"""Blocks of this size or more are mmapped, now for good (the store's tables at the default limit)."""


def is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):
        return False  # no confstr (Windows), or a C library that does not know the name


_libc: ctypes.CDLL | None = None
"""glibc, once armed: what :func:`trim` calls."""


def arm() -> bool:
    """Fix glibc's mmap threshold; ``False`` if this process's C library is not glibc."""
    global _libc
    if not is_glibc():
        return False
    _libc = ctypes.CDLL(None)
    mallopt = _libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))


def trim() -> None:
    """Give the heap's free pages back to the system (armed glibc processes only)."""
    if _libc is not None:
        _libc.malloc_trim(0)
