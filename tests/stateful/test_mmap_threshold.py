"""The malloc seam (``_simulation.mmap_threshold``): a server process keeps large blocks mmapped.

Each case runs in a fresh interpreter: the seam is process-wide, and glibc's dynamic threshold
depends on what the process freed before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from mockserver._simulation.mmap_threshold import is_glibc

pytestmark = pytest.mark.skipif(not is_glibc(), reason="the seam acts on glibc's malloc only")

# Freeing an 8 MiB mmapped block is what a store's table resize does; glibc would then raise its
# threshold to 8 MiB, and the 2 MiB blocks after it would come from the brk heap (no new mmaps).
_PROBE = """
import ctypes, sys
from mockserver._simulation import gc_freeze

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2
if sys.argv[1] == "armed":
    gc_freeze.arm()
table = bytearray(8 << 20)
del table
before = mallinfo2().hblks
kept = [bytearray(2 << 20) for _ in range(4)]
print(mallinfo2().hblks - before)
"""


def _mmapped_blocks_after_a_big_free(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout.strip())


def test_an_armed_server_process_keeps_large_blocks_mmapped_after_freeing_a_larger_one() -> None:
    assert _mmapped_blocks_after_a_big_free("armed") == 4


def test_without_the_seam_glibc_moves_large_blocks_to_the_heap_after_a_larger_free() -> None:
    # Why the seam exists: if a glibc stops doing this, the seam can go (and this test says so).
    assert _mmapped_blocks_after_a_big_free("unarmed") == 0


# A bulk step: 60,000 dicts of ~2 KiB each (past pymalloc's 512 bytes, so from malloc's heap) made
# under `gc_freeze.paused()`, every 50th kept, so that what is freed lies in holes glibc cannot give
# back by shrinking the heap's top. Prints how much the process's RSS grew, in MiB.
_BULK = """
import sys
from mockserver._simulation import gc_freeze

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 >> 20

if sys.argv[1] == "armed":
    gc_freeze.arm()
before = rss()
keys = [str(key) for key in range(40)]  # shared: only the dicts' tables are made and freed
with gc_freeze.paused():
    made = [dict.fromkeys(keys, i) for i in range(60_000)]
    kept = made[::50]
    del made
print(rss() - before)
"""


def _rss_growth_mib_after_a_bulk_step(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _BULK, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout.strip())


def test_an_armed_server_process_gives_back_what_a_bulk_step_freed() -> None:
    # ~51 MiB kept by glibc itself, ~12 given back to 60,000 freed tables (the kept dicts pin their pages).
    assert _rss_growth_mib_after_a_bulk_step("unarmed") >= 40
    assert _rss_growth_mib_after_a_bulk_step("armed") <= 20
