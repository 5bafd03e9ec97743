"""compact_heap: glibc takes the settings, and large blocks then keep their own pages.

Each check runs in a fresh Python, as the server does: the settings last for the process.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from areaprofile import allocator

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")

#: What each probe starts with: glibc's malloc and free, and the settings when asked for.
LIBC = textwrap.dedent("""
    import ctypes, sys
    from areaprofile import allocator
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    if sys.argv[1] == "compact":
        assert allocator.compact_heap()
""")

#: Allocates a 1 MiB block, frees it, then a 512 KiB block: counts the blocks with their own pages
#: (mallinfo2's hblks) while the second block is held.
PROBE = LIBC + textwrap.dedent("""
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
    libc.mallinfo2.restype = Info
    before = libc.mallinfo2().hblks
    libc.free(libc.malloc(1 << 20))  # glibc's own threshold rises to 1 MiB here
    held = libc.malloc(1 << 19)
    print(libc.mallinfo2().hblks - before)
    libc.free(held)
""")


def _own_page_blocks(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_glibc_accepts_the_settings():
    assert subprocess.run([sys.executable, "-c", "from areaprofile import allocator; "
                           "raise SystemExit(0 if allocator.compact_heap() else 1)"]).returncode == 0


def test_pyarrow_uses_the_system_allocator():
    script = ("import os; os.environ.pop('ARROW_DEFAULT_MEMORY_POOL', None)\n"
              "from areaprofile import allocator; allocator.compact_heap()\n"
              "import pyarrow; print(pyarrow.default_memory_pool().backend_name)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "system"


def test_a_large_block_keeps_its_own_pages_after_a_larger_one_was_freed():
    # Without the fixed threshold glibc carves the 512 KiB block out of the heap, where its pages
    # stay resident after it is freed; with it, the block is mapped on its own and given back.
    assert _own_page_blocks("default") == 0
    assert _own_page_blocks("compact") == 1


#: Eight threads malloc and free at once (ctypes lets go of Python's lock), then count glibc's heaps.
ARENA_PROBE = LIBC + textwrap.dedent("""
    import tempfile, threading
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fclose.argtypes = (ctypes.c_void_p,)
    def churn():
        for _ in range(20000):
            libc.free(libc.malloc(64))
    threads = [threading.Thread(target=churn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with tempfile.NamedTemporaryFile("r") as report:
        stream = libc.fopen(report.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        print(report.read().count("<heap nr="))
""")


def test_threads_share_at_most_two_arenas():
    def heaps(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", ARENA_PROBE, mode], capture_output=True, text=True, check=True)
        return int(done.stdout)

    if (os.cpu_count() or 1) >= 2:  # one core rarely has two threads in malloc at once
        assert heaps("default") > allocator.ARENAS  # glibc's own habit: an arena per contending thread
    assert heaps("compact") <= allocator.ARENAS
