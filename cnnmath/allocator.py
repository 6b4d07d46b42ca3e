"""Keep freed memory in the process instead of handing it back to the operating system.

A training step allocates and frees the same large arrays every time (the unfolded input of a
convolution is 10 MB for LeNet-5's first layer at batch 128). glibc's ``malloc`` serves blocks
above its *mmap threshold* with fresh pages from the kernel and returns them on ``free``, and it
trims the top of its heap when more than its *trim threshold* is free; either way the next step
touches brand-new pages, and the kernel's page faults (zeroing every 4 KiB page) cost as much as
the arithmetic. Measured on the book's machine: a LeNet-5 step at batch 128 in float32, one thread,
takes 26.6 ms with glibc's defaults and 17.4 ms with the thresholds below (``benchmarks/``).

:func:`keep_freed_memory` raises both thresholds with ``mallopt``, so freed blocks are reused:
the process keeps up to ``limit`` bytes it no longer uses, as PyTorch's CPU allocator does. It
changes where arrays live, never what is computed. It does nothing where the C library is not
glibc (macOS, Windows, musl), and ``CNNMATH_MALLOC=default`` in the environment turns it off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(limit: int = 512 * 2**20) -> bool:
    """Serve blocks below ``limit`` bytes from the heap and keep up to ``limit`` free; True if applied."""
    if os.environ.get("CNNMATH_MALLOC", "") == "default":
        return False
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit < 2**31:
        raise ValueError(f"limit must be a number of bytes in (0, 2**31); got {limit!r}")
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        gnu_version = libc.gnu_get_libc_version  # present in glibc only
    except (OSError, AttributeError, TypeError):
        return False
    del gnu_version
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # glibc refuses an mmap threshold above 32 MiB on 64-bit systems
    return bool(
        mallopt(_M_MMAP_THRESHOLD, min(limit, 32 * 2**20)) and mallopt(_M_TRIM_THRESHOLD, limit)
    )
