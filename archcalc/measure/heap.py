"""The C heap kept from one timed call to the next: glibc's malloc thresholds fixed.

glibc's malloc gives memory back to the system when the free space at the top of its heap exceeds
its trim threshold, and serves a block over its mmap threshold with a fresh mapping it unmaps on
free; both thresholds follow the blocks a process has freed (the trim threshold twice the largest
mapped block freed so far). A forward pass frees its activations, and when they end the heap the
next call faults their pages in again: a fresh process timed unseen random network #6 of the
benchmark at 11–12 ms with 4,160 minor page faults per forward pass, and 5.0 ms with none after
one other build of it had moved the heap's top (docs/latency.md, thirteenth round). Which state a
process is in depends on everything it allocated before, so a network's time changed by up to 2×
from one process to the next and from one place in a run to another.

:func:`keep_freed_memory` fixes the trim threshold at 1 GiB and the mmap threshold at glibc's
32 MiB maximum (``mallopt(M_TRIM_THRESHOLD)``, ``mallopt(M_MMAP_THRESHOLD)``; fixed thresholds no
longer follow the freed blocks): a process keeps what it freed and every call reuses it, the
steady state a serving process reaches and what PyTorch's CPU performance tuning guide gets by
preloading jemalloc or tcmalloc. A single block over 32 MiB (an activation of a large batch) is
still mapped and unmapped on each call. Every measurement of both backends runs so
(:class:`~archcalc.measure.benches.TorchBench`, :class:`~archcalc.measure.benches.OrtBench`,
``archcalc time``); it lasts for the rest of the process. Elsewhere than glibc (macOS, musl) the
platform's allocator is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""``mallopt`` parameters (glibc's ``malloc.h``)."""

TRIM_THRESHOLD = 1 << 30
"""Free bytes at the heap's top before glibc gives them back: 1 GiB."""

MMAP_THRESHOLD = 32 << 20
"""Blocks from this size up are mapped on their own: glibc's largest allowed value on a 64-bit
system (``DEFAULT_MMAP_THRESHOLD_MAX``, 4 MiB · sizeof(long))."""

_kept: bool | None = None


def keep_freed_memory() -> bool:
    """Fix glibc malloc's trim and mmap thresholds (see module doc) once per process; True where
    they are fixed (glibc), False where the platform's allocator is left alone."""
    global _kept
    if _kept is None:
        _kept = _set_thresholds()
    return _kept


def _set_thresholds() -> bool:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


__all__ = ["keep_freed_memory"]
