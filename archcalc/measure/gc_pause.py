"""A pause of Python's garbage collector around timed calls.

A cyclic collection that starts inside a timed call is charged to it, and how long it takes
depends on how many objects the whole process holds, not on the network: eager torch's small
networks, measured in a process that had built and run other networks before, ran 15–30 % slower
in one process than in another (docs/latency.md), and two such processes agreed within ±10 % on
60–92 % of the 96 built-in configurations; with the collector paused during the timed calls, as
``timeit`` and ``torch.utils.benchmark`` (which calibration times with) do, on 96 %.
"""

from __future__ import annotations

import gc
from types import TracebackType


class gc_paused:
    """Context manager: a full collection first, then no collection until the block ends (the
    collector's state before is restored after)."""

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.collect()
        gc.disable()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.was_enabled:
            gc.enable()


__all__ = ["gc_paused"]
