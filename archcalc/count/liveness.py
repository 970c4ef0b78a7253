"""Tensor liveness over a schedule: the one walk the memory model, the sweep's level engine and
the torch builder share.

A schedule is a sequence of steps run in order; step k reads some tensors and writes one (its
name). With first(T) the step writing T (0 for the image ``input``) and last(T) the last step
reading it (the final step for the schedule's output, first(T) for a tensor nobody reads), T is
live at steps first(T) … last(T), and

    live(k) = Σ_{T : first(T) ≤ k ≤ last(T)} |T|

Pure Python: plain dicts and ints (the sweep calls it on every configuration it cannot put on levels).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import accumulate

from archcalc.model.graph import INPUT


def live_ranges(
    reads: Sequence[Sequence[str]], writes: Sequence[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """first(T) and last(T) of every tensor of the schedule whose step k reads ``reads[k]`` and
    writes ``writes[k]`` (see the module doc); the image ``input`` is written at step 0."""
    first: dict[str, int] = {INPUT: 0}
    last: dict[str, int] = {INPUT: 0}
    for k, (ins, out) in enumerate(zip(reads, writes, strict=True)):
        for t in ins:
            last[t] = k
        first[out] = last[out] = k
    if writes:
        last[writes[-1]] = len(writes) - 1
    return first, last


def live_totals(
    steps: int, first: Mapping[str, int], last: Mapping[str, int], sizes: Mapping[str, int]
) -> list[int]:
    """live(k) for k = 0 … steps − 1: the ``sizes`` of the tensors live at step k, summed (a
    difference array over their ranges ``first`` … ``last``)."""
    delta = [0] * (steps + 1)
    for t, size in sizes.items():
        delta[first[t]] += size
        delta[last[t] + 1] -= size
    return list(accumulate(delta[:steps]))
