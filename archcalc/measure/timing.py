"""Measured CPU time of a network, layer by layer, on the real torch model of its graph.

The model is :class:`archcalc.measure.torch_build.GraphModule` (one submodule per graph node, same names).
Each node's module is called on the real tensors its node reads (the outputs of the layers before
it, from a random image): ``warmup`` untimed calls, then ``repeats`` calls each timed with
``time.perf_counter``; the figure kept is the median, with the interquartile range (IQR) as its
spread. The whole forward pass is timed the same way, and reported next to the sum of the
per-layer medians (their difference is the Python glue between layers, plus cache effects).
Everything runs under ``torch.inference_mode()`` with ``torch.set_num_threads(threads)``.

Per layer, at batch B: achieved GMAC/s = B·MACs / t / 1e9 and GB/s = bytes(B) / t / 1e9 with
bytes(B) = B·(activations read + written) + weight bytes at fp32 (the closed form's traffic).

Imports torch: only ``archcalc time`` and ``archcalc calibrate`` import this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from statistics import median
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from archcalc.count.closed_form import Report
from archcalc.count.closed_form import report as closed_form_report
from archcalc.count.header import Configured
from archcalc.count.latency import DeviceProfile, LatencyPrediction, layer_kind, moved_bytes, predict
from archcalc.errors import ArchcalcError
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
    layers: list[LayerTiming]


class Timing(Configured):
    batch: int
    threads: int
    warmup: int
    repeats: int
    torch_version: str
    dtype: str = "fp32"
    convention: str = Field("paper", description="convention of every `macs` field")
    macs: int = Field(description="network total per sample, paper convention")
    measured: Measured
    predicted: LatencyPrediction | None = Field(description="the latency model, if a profile is saved")


def quantile(xs: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of ``xs`` (0 ≤ q ≤ 1)."""
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def stat(samples: Sequence[float]) -> Stat:
    """Median and IQR of per-call seconds, in milliseconds."""
    return Stat(
        median_ms=1e3 * median(samples),
        iqr_ms=1e3 * (quantile(samples, 0.75) - quantile(samples, 0.25)),
        repeats=len(samples),
    )


def time_calls(fn: Callable[[], Any], warmup: int, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def default_threads() -> int:
    """torch's own default thread count (the physical cores it sees)."""
    return torch.get_num_threads()


def check_settings(threads: int, batch: int, warmup: int, repeats: int) -> None:
    """One-line errors for impossible run settings."""
    if threads < 1:
        raise ArchcalcError(f"--threads {threads}: must be at least 1")
    if batch < 1:
        raise ArchcalcError(f"--batch {batch}: must be at least 1")
    if warmup < 0:
        raise ArchcalcError(f"--warmup {warmup}: must be 0 or more")
    if repeats < 1:
        raise ArchcalcError(f"--repeats {repeats}: must be at least 1")


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
) -> Timing:
    """Time every layer and the whole forward of ``resolved`` on this CPU (see module doc).
    ``wrap`` wraps the list of layers being timed (e.g. in a progress bar)."""
    from archcalc.measure.torch_build import build
    from archcalc.measure.validate import check_runnable

    check_settings(threads, batch, warmup, repeats)
    name = resolved.spec.name
    check_runnable(resolved.graph, name, "time", batch)
    rep: Report = closed_form_report(resolved, "paper", "fp32")
    try:
        with threads_set(threads), torch.inference_mode():
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
        macs=rep.totals.macs,
        measured=Measured(forward=forward, sum_of_layers_ms=sum(x.median_ms for x in layers), layers=layers),
        predicted=predict(rep, profile, batch) if profile is not None else None,
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
        moved = moved_bytes(c, batch)
        secs = s.median_ms / 1e3 or 1e-12
        out.append(
            LayerTiming(
                name=name,
                op=c.kind,
                kind=layer_kind(c),
                macs=c.macs,
                bytes=moved,
                median_ms=s.median_ms,
                iqr_ms=s.iqr_ms,
                gmacs_per_s=batch * c.macs / secs / 1e9,
                gb_per_s=moved / secs / 1e9,
            )
        )
    return out
