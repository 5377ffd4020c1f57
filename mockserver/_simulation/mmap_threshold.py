"""A memory seam: glibc's malloc keeps every large block mmapped, so freeing one gives its pages back.

The store's big tables (the jobs dict, each collection's ``_by_id``, retention's evicted-id set,
~1-4 MiB each with the default 100,000 records) are reallocated whole as records come and go: a
dict or set full of deleted slots is rebuilt every ~75k creates. glibc starts by mmapping blocks
over 128 KiB, but each time it frees an mmapped block it raises that threshold to the block's size
(up to 32 MiB), so after the first table is replaced every later one is carved out of the brk heap.
There a freed table leaves a hole that the small long-lived allocations above it keep from going
back to the system, and the holes do not fit the next tables exactly.

Measured (1M one-request batch creates through the ASGI app, ``--max-records`` 100,000): Python's
allocated blocks and pymalloc's arenas flat from 200k creates on, glibc's bytes in use flat
(~40 MiB), but the brk heap 22 -> 52 MiB as tables moved into it, and RSS 189 -> 200 MiB in steps
(192.6 at 450k, 199.9 at 700k). With the threshold fixed at 128 KiB: 186.8 MiB from 200k to 1M,
to the tenth of a MiB, and creates no slower. Setting the threshold also turns glibc's dynamic
adjustment off, which is the point.

Process-wide, so it is armed only with ``gc_freeze`` (a server process of its own); elsewhere (musl,
macOS, Windows) there is nothing to do.
"""

from __future__ import annotations

import ctypes
import os

M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number in glibc's ``malloc.h``."""
THRESHOLD = 128 * 1024
"""glibc's own starting value: blocks above it are mmapped, now for good."""


def is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):
        return False  # no confstr (Windows), or a C library that does not know the name


def arm() -> bool:
    """Fix glibc's mmap threshold; ``False`` if this process's C library is not glibc."""
    if not is_glibc():
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))
