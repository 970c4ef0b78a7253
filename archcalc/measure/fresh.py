"""Fresh processes to measure in: each network timed by a process of its own, as ``archcalc time``
times it.

A process is a state of its own, and its history slows it: on the 2-core VM of the twelfth and
thirteenth rounds (docs/latency.md) a process that had built and run the 96 built-in
configurations once ran MobileNet V2 α = 0.5 at 160 px 8–29 % slower than at its start (no page
fault, no leak; neither Python's collector nor ``malloc_trim`` undid it), on the fourteenth
round's six networks a median 8 % slower (10 of 12), and calibration's workers, 48 networks each,
aged as they went. ``archcalc time`` measures one network in a new
process, so calibration and the benchmark measure every network in a new process too.

A new interpreter costs seconds (importing torch), so the processes are forked from
``multiprocessing``'s fork server, which imports torch, onnxruntime and archcalc's measuring
modules (:data:`PRELOAD`, what is installed) and runs nothing: each child starts from that state,
not from its parent's, in tens of milliseconds (a main script that imports more than the server
has costs each child those imports: keep them inside functions). Where there is no fork server
(Windows), a spawned interpreter. One ``ProcessPoolExecutor`` of one worker per call, not
``max_tasks_per_child``, which deadlocks on a backlog in Python 3.11–3.14 (CPython gh-115634).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from archcalc.model.graph import Graph

T = TypeVar("T")

PRELOAD = ("torch", "onnxruntime", "archcalc.measure.preload")
"""Modules the fork server imports before it forks a child (one not installed is passed over):
torch and onnxruntime, and :mod:`archcalc.measure.preload`, archcalc's measuring and CLI modules."""


def fresh_context() -> BaseContext:
    """The fork server's context, preloading :data:`PRELOAD` (its first use in a process sets the
    list), or spawn's where the platform has no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))
    return ctx


def in_fresh_process(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a new child process (module doc); ``fn`` and ``args`` must pickle, and an
    exception ``fn`` raises is raised here (a child that dies: ``BrokenProcessPool``)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=fresh_context()) as pool:
        return pool.submit(fn, *args).result()


def forward_seconds(graph: Graph, backend: str, threads: int, warmup: int, repeats: int) -> float:
    """Median seconds of ``repeats`` forward passes of ``graph`` at batch 1 after ``warmup``, in
    this process, as ``archcalc time`` measures ``measured.forward``: a model built anew (a
    session, on onnxruntime), Python's collector paused, glibc's malloc keeping what a call frees.
    Calibration's :meth:`~archcalc.measure.benches.Bench.forward` and the benchmark measure so."""
    from statistics import median

    from archcalc.measure.heap import keep_freed_memory

    keep_freed_memory()
    if backend == "onnxruntime":
        from archcalc.measure.ort_run import time_forward

        return median(time_forward(graph, threads, warmup, repeats))
    import torch

    from archcalc.measure.gc_pause import gc_paused, time_calls
    from archcalc.measure.timing import threads_set
    from archcalc.measure.torch_build import build

    with gc_paused(), threads_set(threads), torch.inference_mode():
        model = build(graph)
        x = model.example_input()
        return median(time_calls(lambda: model(x), warmup, repeats))


def forwards_ms(
    graph: Graph, backend: str, threads: int, warmup: int, repeats: int, times: int
) -> list[float]:
    """:func:`forward_seconds` in ms, ``times`` times back to back, each on a model built anew, in
    this process."""
    return [1e3 * forward_seconds(graph, backend, threads, warmup, repeats) for _ in range(times)]


__all__ = ["PRELOAD", "forward_seconds", "forwards_ms", "fresh_context", "in_fresh_process"]
