"""Keep the server's C heap compact, so the memory a page used is given back when it is done.

glibc's ``malloc`` has two habits that cost a long-lived Python server memory it no longer uses:

- a thread that meets another in ``malloc`` gets its own arena, up to eight per core; freed memory
  stays in the arena it came from, and each arena keeps its own scraps;
- after a large block (``mmap``-ed, 128 KiB or more) is freed, the threshold for the next ``mmap``
  rises to that block's size, so later pandas and NumPy temporaries of a few MiB are carved out of
  the arenas instead, and the pages they leave behind stay resident.

And pyarrow brings a third allocator (mimalloc) with memory of its own in reserve, for the few small
frames Streamlit turns into Arrow tables.

:func:`compact_heap` asks glibc for at most :data:`ARENAS` arenas and a fixed 128 KiB threshold for
``mmap`` and for giving the top of the heap back, and has pyarrow use the system allocator. Measured
on the served app (bench/README, issue 12): the glibc settings took the server's peak after every
page from 325 to 312-314 MiB, pyarrow's pool 6-8 MiB more, with no slower page. The glibc part is a
request to the C library, not a requirement: elsewhere (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: glibc's ``mallopt`` parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

#: Arenas for the whole process: the script runs take turns on Python's lock anyway.
ARENAS = 2
#: Blocks this large or larger get their own pages, returned to the system when freed.
LARGE_BLOCK_BYTES = 128 * 1024


def compact_heap() -> bool:
    """Set the arena limit and the fixed thresholds; True if glibc accepted all three.

    Call it once, early (``serve.py`` does, before the server starts its threads and imports
    pyarrow): arenas that threads already have are kept, and pyarrow picks its pool when imported.
    A pool already chosen in the environment is left alone.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already runs on
    except (OSError, AttributeError):  # a C library without mallopt (musl)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    settings = ((M_ARENA_MAX, ARENAS), (M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES), (M_TRIM_THRESHOLD, LARGE_BLOCK_BYTES))
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)
