"""Running a resolved graph on ONNX Runtime (CPU): whole-forward times and per-kernel profiles.

The graph is exported by :mod:`archcalc.export.onnx_model` and run by an ``InferenceSession`` on the
CPU execution provider with its default graph optimisations (``ORT_ENABLE_ALL``: batch norm folded
into convolutions, activations and residual adds fused into them, the NCHWc layout on x86),
``intra_op_num_threads`` = threads, one inter-op thread, sequential execution.

- Whole forward: ``session.run`` timed with ``time.perf_counter`` (``warmup`` untimed runs, then
  ``repeats`` timed), profiling off.
- Per kernel: a second session with ``enable_profiling``; every ``*_kernel_time`` event of the
  profiler's JSON is assigned to the ``model_run`` it falls in, so each kernel has one duration
  per run (µs, as the profiler writes them); the warm-up runs are dropped. The optimised graph
  (``optimized_model_filepath``) tells which original layer each kernel belongs to
  (:func:`attribute`).

Imports onnxruntime and numpy: only ``archcalc time --backend onnxruntime`` and
``archcalc calibrate --backend onnxruntime`` import this module.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archcalc.errors import ArchcalcError, require
from archcalc.export.onnx_model import to_onnx
from archcalc.model.graph import INPUT, Graph


def require_ort() -> None:
    """One line, not a traceback, when onnxruntime or onnx is missing."""
    require(("onnx", "onnxruntime", "numpy"), "--backend onnxruntime", "measure")


require_ort()

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

LAYOUT_OPS = frozenset({"ReorderInput", "ReorderOutput"})
"""Kernels that only change the tensor layout (NCHW ↔ NCHWc): no layer of the graph asks for them."""
CONV_OPS = frozenset({"Conv", "FusedConv"})
"""Convolution kernels (ONNX's, the fused one, the NCHWc one): the profiler's bias on them is larger."""
NCHWC_DOMAIN = "com.microsoft.nchwc"
"""The domain of the nodes onnxruntime's NCHWc transformer writes (blocked kernels, reorders)."""


def versions() -> dict[str, str]:
    """The library versions a measurement depends on."""
    return {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__}


def session_options(threads: int, profile_prefix: str | None = None, optimized: str | None = None) -> Any:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3  # the NCHWc "hardware specific" note when saving the optimised graph
    if profile_prefix is not None:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    if optimized is not None:
        so.optimized_model_filepath = optimized
    return so


def _session(model: bytes, so: Any) -> Any:
    try:
        return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ArchcalcError(f"onnxruntime could not load the exported model: {first}") from None


def optimized_graph(model: bytes, threads: int = 1) -> Any:
    """The model onnxruntime runs for ``model`` after its optimisations (``onnx.ModelProto``)."""
    with tempfile.TemporaryDirectory(prefix="archcalc-ort-") as d:
        path = os.path.join(d, "optimized.onnx")
        _session(model, session_options(threads, optimized=path))
        return onnx.load(path)


@functools.cache
def nchwc_block() -> int:
    """onnxruntime's NCHWc block size on this CPU (``MlasNchwcGetBlockSize``: 16 with AVX-512, 8
    with AVX2), probed: the fewest channels, of 4, 8, 16, 32, of a max pool that onnxruntime runs
    blocked (a pool runs blocked when its channels are a multiple of the block); 0 when none is
    (no blocked layout on this CPU)."""
    from archcalc.model.graph import GraphBuilder
    from archcalc.model.ops import Pool2d

    for c in (4, 8, 16, 32):
        b = GraphBuilder((c, 8, 8))
        b.op("p", Pool2d, op="max", kernel=2, stride=2)
        g = optimized_graph(to_onnx(b.graph).SerializeToString())
        if any(n.domain == NCHWC_DOMAIN and n.op_type == "MaxPool" for n in g.graph.node):
            return c
    return 0


def example_input(graph: Graph, batch: int = 1, seed: int = 0) -> Any:
    return np.random.default_rng(seed).standard_normal((batch, *graph.input_shape)).astype(np.float32)


def time_forward(
    graph: Graph, threads: int, warmup: int, repeats: int, batch: int = 1, model: bytes | None = None
) -> list[float]:
    """Seconds of each of ``repeats`` ``session.run`` calls after ``warmup`` untimed ones, with
    Python's garbage collector paused (:class:`~archcalc.measure.gc_pause.gc_paused`)."""
    from archcalc.measure.gc_pause import gc_paused, time_calls

    model = model if model is not None else to_onnx(graph).SerializeToString()
    sess = _session(model, session_options(threads))
    feed = {INPUT: example_input(graph, batch)}
    with gc_paused():
        return time_calls(lambda: sess.run(None, feed), warmup, repeats)


@dataclass(slots=True)
class KernelRun:
    """One kernel of the optimised graph: its node name and type, the tensors it reads and writes,
    and its duration (s) in each timed run."""

    name: str
    op_type: str
    inputs: list[str]
    outputs: list[str]
    seconds: list[float]


@functools.cache
def profile_folder() -> tempfile.TemporaryDirectory[str]:
    """The temporary folder the profiler's files of this process go to: one per process, removed
    when it exits (each file is removed once read, :func:`profile_session`)."""
    return tempfile.TemporaryDirectory(prefix="archcalc-ort-")


_SESSIONS = itertools.count()


def profiling_session(model: bytes, threads: int) -> Any:
    """A session with the profiler on, its file in :func:`profile_folder` under a name of its own."""
    prefix = os.path.join(profile_folder().name, f"profile-{next(_SESSIONS)}")
    return _session(model, session_options(threads, prefix))


def _runs_of(events: list[dict[str, Any]], warmup: int) -> list[tuple[int, int]]:
    return sorted(
        (e["ts"], e["ts"] + e["dur"])
        for e in events
        if e.get("cat") == "Session" and e["name"] == "model_run"
    )[warmup:]


def profile_session(sess: Any, feed: dict[str, Any], warmup: int, repeats: int) -> list[dict[str, float]]:
    """Run ``sess`` ``warmup + repeats`` times and return, per timed run, each kernel's seconds
    (the profile file is removed)."""
    for _ in range(warmup + repeats):
        sess.run(None, feed)
    path = sess.end_profiling()
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    os.remove(path)
    runs = _runs_of(events, warmup)
    out: list[dict[str, float]] = [{} for _ in runs]
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        for i, (a, b) in enumerate(runs):
            if a <= e["ts"] <= b:
                name = e["name"][: -len("_kernel_time")]
                out[i][name] = out[i].get(name, 0.0) + e["dur"] * 1e-6
                break
    return out


def profile_kernels(
    graph: Graph | None,
    threads: int,
    warmup: int,
    repeats: int,
    batch: int = 1,
    model: bytes | None = None,
    feed: dict[str, Any] | None = None,
) -> list[KernelRun]:
    """Every kernel onnxruntime runs for ``graph`` (or for ``model`` fed ``feed``: a model with
    inputs of its own), in execution order, with its per-run durations."""
    if graph is None and (model is None or feed is None):
        raise ArchcalcError("profile_kernels: without a graph, give the model and its feed")
    if model is None:
        model = to_onnx(graph).SerializeToString()
    if feed is None:
        feed = {INPUT: example_input(graph, batch)}
    with tempfile.TemporaryDirectory(prefix="archcalc-ort-") as d:
        opt_path = os.path.join(d, "optimized.onnx")
        sess = _session(model, session_options(threads, os.path.join(d, "profile"), opt_path))
        runs = profile_session(sess, feed, warmup, repeats)
        optimized = onnx.load(opt_path)
    order = list(runs[0]) if runs else []
    by_name = {name: [r.get(name, 0.0) for r in runs] for name in order}
    nodes = {n.name: n for n in optimized.graph.node if n.name}
    unnamed: dict[str, list[Any]] = {}
    for n in optimized.graph.node:
        if not n.name:
            unnamed.setdefault(n.op_type, []).append(n)
    out: list[KernelRun] = []
    for name in order:
        n = nodes.get(name)
        if n is None:  # an unnamed node (an inlined function's): the profiler calls it OpType_index
            pool = unnamed.get(name.rsplit("_", 1)[0], [])
            n = pool.pop(0) if pool else None
        out.append(
            KernelRun(
                name=name,
                op_type=n.op_type if n is not None else "?",
                inputs=list(n.input) if n is not None else [],
                outputs=list(n.output) if n is not None else [],
                seconds=by_name[name],
            )
        )
    return out


def reorder_of(k: KernelRun) -> tuple[bool, str] | None:
    """(into NCHWc, tensor) of a layout reorder kernel — a ``ReorderInput`` by the tensor it
    reads, a ``ReorderOutput`` by the tensor it writes (``Reorder.into_blocked``, ``Reorder.tensor``)
    — or None for any other kernel."""
    if k.op_type == "ReorderInput" and k.inputs:
        return True, k.inputs[0]
    if k.op_type == "ReorderOutput" and k.outputs:
        return False, k.outputs[0]
    return None


def _stem(name: str) -> str:
    """The graph layer a kernel's node name starts from: ``bn_nchwc`` → ``bn``, ``sw/QuickGelu…`` →
    ``sw`` (onnxruntime names a fused node after one of the nodes it replaces)."""
    if name.endswith("_nchwc"):
        name = name[: -len("_nchwc")]
    return name.split("/")[0]


def attribute(kernels: Sequence[KernelRun], layers: Sequence[str]) -> list[str | None]:
    """The graph layer each kernel runs for: its node name's stem when that is a layer, else the
    layer whose tensor it writes, else the layer of the kernel reading its output (a helper node of
    a decomposed function); layout kernels (:data:`LAYOUT_OPS`) and the rest: None."""
    known = set(layers)
    found: list[str | None] = [None] * len(kernels)
    for i, k in enumerate(kernels):
        if k.op_type in LAYOUT_OPS:
            continue
        stem = _stem(k.name)
        if stem in known:
            found[i] = stem
        else:
            found[i] = next((o for o in k.outputs if o in known), None)
    readers: dict[str, int] = {}
    for i, k in enumerate(kernels):
        for t in k.inputs:
            readers.setdefault(t, i)
    for i, k in enumerate(kernels):
        if found[i] is None and k.op_type not in LAYOUT_OPS:
            j = next((readers[o] for o in k.outputs if o in readers), None)
            if j is not None and found[j] is not None:
                found[i] = found[j]
    return found


def robust_mean(xs: Sequence[float]) -> float:
    """The mean of the middle half of ``xs`` (the interquartile mean): the profiler's whole
    microseconds average out to sub-µs resolution, and preempted runs drop out."""
    s = sorted(xs)
    n = len(s)
    lo, hi = n // 4, n - n // 4
    mid = s[lo:hi] or s
    return float(sum(mid) / len(mid))


__all__ = [
    "CONV_OPS",
    "LAYOUT_OPS",
    "NCHWC_DOMAIN",
    "KernelRun",
    "attribute",
    "nchwc_block",
    "optimized_graph",
    "profile_kernels",
    "require_ort",
    "robust_mean",
    "time_forward",
    "versions",
]
