"""Timed calls with Python's garbage collector paused (both backends time with :func:`time_calls`).

A cyclic collection that starts inside a timed call is charged to it, and how long it takes
depends on how many objects the whole process holds, not on the network: eager torch's small
networks, measured one after another in one process, ran 15–30 % apart between two processes, which
agreed within ±10 % on 50–98 % of the 96 built-in configurations (median 79 %); with the collector
paused during the timed calls, as ``timeit`` and ``torch.utils.benchmark`` (which calibration
times with) do, on 84–98 % (median 90 %; docs/latency.md).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any


class gc_paused:
    """Context manager: a full collection first (unless ``collect`` is False), then no collection
    until the block ends (the collector's state before is restored after). A full collection costs
    what the process holds (tens of ms in a test session): take it once per measurement, not per
    timed layer."""

    def __init__(self, collect: bool = True) -> None:
        self.collect = collect

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        if self.collect:
            gc.collect()
        gc.disable()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.was_enabled:
            gc.enable()


def time_calls(fn: Callable[[], Any], warmup: int, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn`` (``time.perf_counter`` around each) after
    ``warmup`` untimed ones, with the collector paused (no collection first: a caller timing many
    calls collects once, with :class:`gc_paused`)."""
    with gc_paused(collect=False):
        for _ in range(warmup):
            fn()
        out: list[float] = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return out


__all__ = ["gc_paused", "time_calls"]
