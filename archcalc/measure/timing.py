"""Measured CPU time of a network, layer by layer, on eager torch or on ONNX Runtime.

**torch** (``backend="torch"``):

The model is :class:`archcalc.measure.torch_build.GraphModule` (one submodule per graph node, same names).
Each node's module is called on the real tensors its node reads (the outputs of the layers before
it, from a random image): ``warmup`` untimed calls, then ``repeats`` calls each timed with
``time.perf_counter``, with Python's garbage collector paused (as ``timeit`` does); the figure
kept is the median, with the interquartile range (IQR) as its spread. The whole forward pass is
timed the same way, and reported next to the sum of the per-layer medians (their difference is
the Python glue between layers, plus cache effects).
Everything runs under ``torch.inference_mode()`` with ``torch.set_num_threads(threads)``, and
(both backends) with glibc's malloc keeping the memory a call frees for the next
(:mod:`archcalc.measure.heap`: otherwise a call can fault its activations' pages in anew, up to 2×
the time).

Per layer, at batch B: achieved GMAC/s = B·MACs / t / 1e9 and GB/s = bytes(B) / t / 1e9 with
bytes(B) = B·(activations read + written) + weight bytes at fp32 (the closed form's traffic).

**onnxruntime** (``backend="onnxruntime"``): the graph exported to ONNX
(:mod:`archcalc.export.onnx_model`) and run by :mod:`archcalc.measure.ort_run`. The whole forward is
``session.run`` timed the same way; per layer, the kernels of onnxruntime's profiler over the same
runs, each attributed to the layer it runs for (:func:`archcalc.measure.ort_run.attribute`), summed
per kernel of :func:`archcalc.count.kernels.group_kernels` (conv + batch norm + activation … one
kernel): the kernel's time is given to its first layer, the layers fused into it show 0 and name
it. Layout reorders (NCHW ↔ NCHWc), which no layer asks for, are reported apart (``layout_ms``).

Imports torch: only ``archcalc time`` and ``archcalc calibrate`` import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from statistics import median
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from archcalc.count.closed_form import LayerCost, Report
from archcalc.count.closed_form import report as closed_form_report
from archcalc.count.header import Configured
from archcalc.count.kernels import check_backend, group_kernels
from archcalc.count.latency import (
    DeviceProfile,
    LatencyPrediction,
    check_profile_backend,
    layer_kind,
    moved_bytes,
    predict,
)
from archcalc.measure.gc_pause import time_calls
from archcalc.measure.heap import keep_freed_memory
from archcalc.measure.torch_build import require, run_failed
from archcalc.model.graph import INPUT
from archcalc.model.resolve import Resolved

require("torch")

import torch  # noqa: E402

T = TypeVar("T")


class Stat(BaseModel):
    median_ms: float
    iqr_ms: float = Field(description="interquartile range (75th − 25th percentile) of the repeats")
    repeats: int


class LayerTiming(BaseModel):
    name: str
    kernel: str = Field(description="the kernel the layer runs in, named by its first layer")
    op: str = Field(description="primitive op kind (conv2d, batchnorm2d …)")
    kind: str = Field(description="latency-model kind (see archcalc.count.latency.KINDS)")
    macs: int = Field(description="per sample, paper convention (conv + linear)")
    bytes: int = Field(description="bytes moved at this batch: B·activations + weights, fp32")
    median_ms: float
    iqr_ms: float
    gmacs_per_s: float = Field(description="B·MACs / median / 1e9")
    gb_per_s: float = Field(description="bytes / median / 1e9")


class Measured(BaseModel):
    forward: Stat = Field(description="the whole forward pass")
    sum_of_layers_ms: float = Field(description="Σ per-layer medians")
    layout_ms: float = Field(0.0, description="onnxruntime: median per run of its layout reorder kernels")
    unattributed_ms: float = Field(0.0, description="onnxruntime: median per run of kernels of no layer")
    kernels: int = Field(description="kernels the backend ran (torch: one per layer)")
    layers: list[LayerTiming]


class Timing(Configured):
    batch: int
    threads: int
    warmup: int
    repeats: int
    backend: str = Field("torch", description="torch (eager) or onnxruntime (CPU provider)")
    torch_version: str
    versions: dict[str, str] = Field(default_factory=dict, description="the runtime's library versions")
    dtype: str = "fp32"
    convention: str = Field("paper", description="convention of every `macs` field")
    macs: int = Field(description="network total per sample, paper convention")
    measured: Measured
    predicted: LatencyPrediction | None = Field(description="the latency model, if a profile is saved")


def stat(samples: Sequence[float]) -> Stat:
    """Median and IQR (numpy's linear-interpolation quantiles) of per-call seconds, in milliseconds."""
    import numpy as np

    q1, q3 = np.quantile(np.asarray(samples, dtype=float), [0.25, 0.75])
    return Stat(median_ms=1e3 * median(samples), iqr_ms=1e3 * float(q3 - q1), repeats=len(samples))


def default_threads() -> int:
    """torch's own default thread count (the physical cores it sees)."""
    return torch.get_num_threads()


def check_settings(threads: int, batch: int, warmup: int, repeats: int) -> None:
    """One-line errors for impossible run settings (bounds: :mod:`archcalc.inputs.limits`)."""
    from archcalc.inputs.arguments import whole
    from archcalc.inputs.limits import MAX_BATCH, MAX_REPEATS, MAX_THREADS

    whole(threads, "--threads", 1, MAX_THREADS)
    whole(batch, "--batch", 1, MAX_BATCH)
    whole(warmup, "--warmup", 0, MAX_REPEATS)
    whole(repeats, "--repeats", 1, MAX_REPEATS)


class threads_set:
    """Context manager: ``torch.set_num_threads(n)`` inside, the previous count restored after."""

    def __init__(self, n: int) -> None:
        self.n, self.old = n, torch.get_num_threads()

    def __enter__(self) -> None:
        torch.set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self.old)


def _identity(items: list[T]) -> Iterable[T]:
    return items


def time_network(
    resolved: Resolved,
    *,
    threads: int,
    batch: int = 1,
    warmup: int = 2,
    repeats: int = 10,
    profile: DeviceProfile | None = None,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
    backend: str = "torch",
) -> Timing:
    """Time every layer and the whole forward of ``resolved`` on this CPU with ``backend`` (see
    module doc). ``wrap`` wraps the list of layers being timed (e.g. in a progress bar). A profile
    of another backend is refused. glibc's malloc thresholds stay fixed in the calling process
    afterwards (:func:`archcalc.measure.heap.keep_freed_memory`)."""
    from archcalc.measure.torch_build import build
    from archcalc.measure.validate import check_runnable

    check_backend(backend)
    check_settings(threads, batch, warmup, repeats)
    if profile is not None:
        check_profile_backend(profile, backend)
    name = resolved.spec.name
    check_runnable(resolved.graph, name, "time", batch)
    keep_freed_memory()
    rep: Report = closed_form_report(resolved, "paper", "fp32")
    if backend == "onnxruntime":
        return _time_ort(resolved, rep, threads, batch, warmup, repeats, profile)
    from archcalc.measure.gc_pause import gc_paused

    try:
        with gc_paused(), threads_set(threads), torch.inference_mode():
            model = build(resolved.graph)
            layers = _time_layers(model, rep, batch, warmup, repeats, wrap)
            x = model.example_input(batch)
            forward = stat(time_calls(lambda: model(x), warmup, repeats))
    except (RuntimeError, MemoryError) as e:
        raise run_failed(name, e) from None
    return Timing(
        **Timing.header(resolved),
        batch=batch,
        threads=threads,
        warmup=warmup,
        repeats=repeats,
        torch_version=torch.__version__,
        versions={"torch": torch.__version__},
        macs=rep.totals.macs,
        measured=Measured(
            forward=forward,
            sum_of_layers_ms=sum(x.median_ms for x in layers),
            kernels=len(layers),
            layers=layers,
        ),
        predicted=predict(rep, profile, batch, backend) if profile is not None else None,
    )


def _time_ort(
    resolved: Resolved,
    rep: Report,
    threads: int,
    batch: int,
    warmup: int,
    repeats: int,
    profile: DeviceProfile | None,
) -> Timing:
    """The onnxruntime path of :func:`time_network` (module doc)."""
    from archcalc.export.onnx_model import to_onnx
    from archcalc.measure import ort_run

    model = to_onnx(resolved.graph, resolved.spec.name).SerializeToString()
    forward = stat(ort_run.time_forward(resolved.graph, threads, warmup, repeats, batch, model))
    runs = ort_run.profile_kernels(resolved.graph, threads, warmup, repeats, batch, model)
    owner = ort_run.attribute(runs, [x.name for x in rep.layers])
    kernels = group_kernels(rep.layers, "onnxruntime", ort_run.nchwc_block())
    kernel_of = {x.name: k for k in kernels for x in k.layers}
    n = min((len(k.seconds) for k in runs), default=0)
    per_kernel: dict[str, list[float]] = {k.name: [0.0] * n for k in kernels}
    layout, other = [0.0] * n, [0.0] * n
    for k, o in zip(runs, owner, strict=True):
        target = (
            layout
            if k.op_type in ort_run.LAYOUT_OPS
            else other
            if o is None
            else per_kernel[kernel_of[o].name]
        )
        for i in range(n):
            target[i] += k.seconds[i]
    out: list[LayerTiming] = []
    for x in rep.layers:
        k = kernel_of[x.name]
        head = k.name == x.name
        s = stat(per_kernel[k.name]) if head and n else Stat(median_ms=0.0, iqr_ms=0.0, repeats=n)
        if head:
            out.append(_layer_timing(x, k.name, s, batch, k.head.macs, k.moved_bytes(batch)))
        else:
            out.append(_layer_timing(x, k.name, s, batch, 0, 0))
    return Timing(
        **Timing.header(resolved),
        batch=batch,
        threads=threads,
        warmup=warmup,
        repeats=repeats,
        backend="onnxruntime",
        torch_version="",
        versions=ort_run.versions(),
        macs=rep.totals.macs,
        measured=Measured(
            forward=forward,
            sum_of_layers_ms=sum(x.median_ms for x in out),
            layout_ms=1e3 * median(layout) if n else 0.0,
            unattributed_ms=1e3 * median(other) if n else 0.0,
            kernels=sum(1 for k in runs if k.op_type not in ort_run.LAYOUT_OPS),
            layers=out,
        ),
        predicted=predict(rep, profile, batch, "onnxruntime") if profile is not None else None,
    )


def _time_layers(
    model: Any,
    rep: Report,
    batch: int,
    warmup: int,
    repeats: int,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]],
) -> list[LayerTiming]:
    """Walk the model's steps as its forward does, timing each module on its real inputs."""
    env: dict[str, torch.Tensor] = {INPUT: model.example_input(batch)}
    costs = {x.name: x for x in rep.layers}
    out: list[LayerTiming] = []
    steps = list(zip(model._steps, model._free_after, strict=True))
    for (name, module, inputs), free in wrap(steps):
        args = tuple(env[t] for t in inputs)
        result: list[torch.Tensor] = []

        def call(module: Any = module, args: tuple[torch.Tensor, ...] = args, keep: list = result) -> None:
            keep[:] = [module(*args)]

        s = stat(time_calls(call, warmup, repeats))
        env[name] = result[0]
        for t in free:
            del env[t]
        c = costs[name]
        out.append(_layer_timing(c, name, s, batch, c.macs, moved_bytes(c, batch)))
    return out


def _layer_timing(row: LayerCost, kernel: str, s: Stat, batch: int, macs: int, moved: int) -> LayerTiming:
    """One layer's measured time in ``kernel``, and the kernel's rates: batch·``macs`` MACs and
    ``moved`` bytes over the median time (both 0 for a layer that runs inside another's kernel)."""
    secs = s.median_ms / 1e3 or 1e-12
    return LayerTiming(
        name=row.name,
        kernel=kernel,
        op=row.kind,
        kind=layer_kind(row),
        macs=row.macs,
        bytes=moved,
        median_ms=s.median_ms,
        iqr_ms=s.iqr_ms,
        gmacs_per_s=batch * macs / secs / 1e9,
        gb_per_s=moved / secs / 1e9,
    )
