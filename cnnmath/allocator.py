"""Keep freed memory in the process for the length of a ``with`` block: training and benchmarks.

A training step allocates and frees the same large arrays every time (the unfolded input of a
convolution is 10 MB for LeNet-5's first layer at batch 128). glibc's ``malloc`` serves blocks
above its *mmap threshold* with fresh pages from the kernel and returns them on ``free``, and it
trims the top of its heap when more than its *trim threshold* is free; either way the next step
touches brand-new pages, and the kernel's page faults (zeroing every 4 KiB page) cost as much as
the arithmetic. glibc starts both thresholds at 128 KiB and slides them up as large blocks are
freed (the mmap threshold to the largest block freed, at most 32 MiB, the trim threshold to twice
that), which helps only partly.

``with keep_freed_memory(): ...`` sets both thresholds with ``mallopt`` for the block, so freed
blocks are reused: the process keeps up to ``limit`` bytes it no longer uses, as PyTorch's CPU
allocator does. It changes where arrays live, never what is computed. :func:`cnnmath.train.fit`
runs its loop inside it, and the benchmarks time inside it; importing :mod:`cnnmath` changes
nothing. On leaving the outermost block, ``malloc_trim`` hands the kept memory back, and the
thresholds are left where glibc's own sliding rule ends (32 MiB and 64 MiB): glibc cannot turn its
sliding rule back on once a threshold has been set, and its 128 KiB starting values, fixed, would
make every later large array fresh pages (measured below). It does nothing where the C library is
not glibc (macOS, Windows, musl), and ``CNNMATH_MALLOC=default`` in the environment turns it off.

Measured with ``benchmarks/malloc_thresholds.py`` (glibc 2.36, one thread,
``OPENBLAS_CORETYPE=Haswell``, the book's 2-core machine with nothing else running): one LeNet-5
training step (forward, backward and an Adam step on a batch of 128 in float32), the best of five
means of 40 steps in a fresh process, the range over three processes per setting
(``benchmarks/results/malloc_thresholds.json``):

==============================================  ==========  ==========  ===============
glibc's thresholds                              wall ms     CPU ms      page faults
==============================================  ==========  ==========  ===============
glibc's defaults (sliding), as after import     19.4-20.3   19.4-20.3   2,856-3,367
inside ``keep_freed_memory()``                  15.3-15.5   15.3-15.5   0.1
after the block (32 MiB / 64 MiB, as left)      15.1-15.6   15.1-15.6   0.1
after a block that restored 128 KiB (not done)  25.4-26.7   25.3-26.7   8,117-9,139
==============================================  ==========  ==========  ===============

On the same machine busy with other work (load 5 to 10 on its 2 cores) the CPU times were
24.1-26.7 ms, 17.1-18.5 ms, 17.5-18.3 ms and 31.4-32.0 ms (the page faults alike).

Measured earlier on the book's machine when it was quiet (the figures that first raised the
thresholds, then at import): a LeNet-5 step of ``benchmarks/conv_throughput.py`` (forward and
backward, batch 128, float32) took 26.6 ms of wall time with glibc's defaults and 17.4 ms with
the thresholds raised.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["keep_freed_memory", "thresholds"]

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: The largest mmap threshold glibc accepts on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX); its
#: sliding rule stops there, with the trim threshold at twice it.
MMAP_THRESHOLD_MAX = 32 * 2**20
#: The thresholds left after the outermost block: where glibc's own sliding rule ends.
AFTER = (MMAP_THRESHOLD_MAX, 2 * MMAP_THRESHOLD_MAX)

_lock = threading.Lock()
_depth = 0  # how many keep_freed_memory blocks are open
_set: tuple[int, int] | None = None  # the thresholds this module set last; None: never
_outermost: tuple[ctypes.CDLL | None, bool] = (None, False)  # its C library, and whether applied


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (which has ``mallopt`` and ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.gnu_get_libc_version  # present in glibc only  # noqa: B018
        libc.mallopt.argtypes, libc.mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = (ctypes.c_size_t,), ctypes.c_int
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def _set_thresholds(libc: ctypes.CDLL, mmap_threshold: int, trim_threshold: int) -> bool:
    global _set
    ok = bool(
        libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
        and libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold)
    )
    if ok:
        _set = (mmap_threshold, trim_threshold)
    return ok


def thresholds() -> tuple[int, int] | None:
    """``(mmap threshold, trim threshold)`` in bytes as this module set them last, or ``None``
    when it never has (glibc's own settings in force, as after ``import cnnmath``)."""
    return _set


@contextmanager
def keep_freed_memory(limit: int = 512 * 2**20) -> Iterator[bool]:
    """Inside the block, serve blocks below ``min(limit, 32 MiB)`` from the heap and keep up to
    ``limit`` bytes free; yields True if applied (False: not glibc, or ``CNNMATH_MALLOC=default``).

    Blocks nest: an inner block keeps the outer one's settings, and only the outermost one, on
    leaving, trims the heap and leaves the thresholds at :data:`AFTER`.
    """
    global _depth, _outermost
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit < 2**31:
        raise ValueError(f"limit must be a number of bytes in (0, 2**31); got {limit!r}")
    with _lock:
        _depth += 1
        if _depth == 1:
            libc = None if os.environ.get("CNNMATH_MALLOC", "") == "default" else _glibc()
            keeping = libc is not None and _set_thresholds(
                libc, min(limit, MMAP_THRESHOLD_MAX), limit
            )
            _outermost = (libc, keeping)
        applied = _outermost[1]
    try:
        yield applied
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc, keeping = _outermost
                _outermost = (None, False)
                if keeping:
                    _set_thresholds(libc, *AFTER)
                    libc.malloc_trim(0)
