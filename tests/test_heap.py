"""glibc's malloc thresholds fixed for timing (archcalc.measure.heap), checked by the kernel's own
count of minor page faults (``getrusage``) in fresh processes."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

from archcalc.measure.heap import MMAP_THRESHOLD, TRIM_THRESHOLD, keep_freed_memory

PASS = """
import ctypes, ctypes.util, json, resource, sys, torch
# glibc's mmap threshold as a process starts (128 KiB), held: every 1 MiB activation a fresh mapping
assert ctypes.CDLL(ctypes.util.find_library("c")).mallopt(-3, 128 << 10) == 1
if sys.argv[1] == "keep":
    from archcalc.measure.heap import keep_freed_memory
    assert keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def forward():  # each layer writes a 1 MiB activation (+0, 4 or 8 KiB) and frees the one before
    x = torch.empty(1 << 18).fill_(1.0)
    for i in range(16):
        x = torch.empty((1 << 18) + 1024 * (i % 3)).fill_(1.0)
for _ in range(3):
    forward()
before = faults()
for _ in range(20):
    forward()
print(json.dumps((faults() - before) / 20))
"""


def _faults_per_pass(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", PASS, mode], check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout))


def test_glibc_thresholds_are_fixed_where_glibc_is_the_allocator() -> None:
    """CI runs on Linux with glibc, where ``mallopt`` takes both values (1 GiB, and 32 MiB, glibc's
    largest mmap threshold on 64 bits: 4 MiB · 8)."""
    assert TRIM_THRESHOLD == 1 << 30 and MMAP_THRESHOLD == 4 * (1 << 20) * 8
    assert keep_freed_memory() is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
    assert keep_freed_memory()  # once per process; the second call answers the same


def test_freed_activations_are_reused_not_faulted_in_again() -> None:
    """A pass of 16 layers, each writing a 1 MiB activation (256 pages of 4 KiB, give or take two)
    and freeing the one before. At the mmap threshold glibc starts a process with (128 KiB), every
    activation is a fresh mapping, unmapped when freed: each pass faults at least one activation's
    pages in again. The script holds that threshold (``mallopt``): how far glibc's own adaptation
    moves it depends on all the process allocated, and the unpinned script faulted 481 pages per
    pass in some fresh CI processes and none in another. With the thresholds fixed by
    :func:`keep_freed_memory`, the pass reuses the heap it freed and faults (almost) none."""
    assert (1 << 18) * 4 // 4096 == 256
    assert _faults_per_pass("default") >= 256
    assert _faults_per_pass("keep") < 20
