"""Tensor liveness over a schedule: the one walk the memory model, the sweep's level engine and
the torch builder share.

A schedule is a sequence of steps run in order; step k reads the tensors ``inputs`` and writes the
tensor ``name`` (graph nodes are such steps). With first(T) the step writing T (0 for the image
``input``) and last(T) the last step reading it, or first(T) for a tensor nobody reads (the
schedule's output among them: it is written by the final step), T is live at steps
first(T) … last(T), and

    live(k) = Σ_{T : first(T) ≤ k ≤ last(T)} |T|

Pure Python, plain dicts and ints: the sweep calls it on every configuration it cannot put on
levels, so it is written as the loop it replaced (as fast, measured).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from typing import Protocol

from archcalc.model.graph import INPUT


class Step(Protocol):
    """One step of a schedule: reads ``inputs``, writes the tensor ``name``."""

    @property
    def name(self) -> str: ...

    @property
    def inputs(self) -> Sequence[str]: ...


def last_reads(steps: Iterable[Step]) -> dict[str, int]:
    """The last step reading each tensor that some step reads. last(T) is
    ``last_reads.get(T, first(T))``: a tensor nobody reads is live only where it is written."""
    last: dict[str, int] = {}
    for k, s in enumerate(steps):
        for t in s.inputs:
            last[t] = k
    return last


def live_totals(
    steps: Sequence[Step], last: Mapping[str, int], input_size: int, sizes: Sequence[int]
) -> list[int]:
    """live(k) for every step k: the sizes of the tensors live at step k, summed (a difference
    array over their ranges). ``input_size`` is the image's size, ``sizes[k]`` that of the tensor
    step k writes, ``last`` what :func:`last_reads` returned for ``steps``."""
    n = len(steps)
    delta = [0] * (n + 1)
    delta[0] = input_size
    delta[last.get(INPUT, 0) + 1] -= input_size
    get = last.get
    for k, size in enumerate(sizes):
        if size:  # the level engine's per-coefficient sizes are mostly 0
            delta[k] += size
            delta[get(steps[k].name, k) + 1] -= size
    return list(accumulate(delta[:n]))
