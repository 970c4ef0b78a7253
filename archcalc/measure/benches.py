"""What ``archcalc calibrate`` measures, per backend: the machine's ceilings, one kernel, one forward.

Both backends answer the same three questions (:class:`Bench`):

- :meth:`Bench.machine`: the peak MAC rate (an n×n by n×n matrix product, n³ MACs), the copy
  bandwidth W(b) at several sizes (b = bytes read + written) and the cost of a trivial call;
- :meth:`Bench.kernel`: seconds of the kernel made of the named layers of a small graph, alone;
- :meth:`Bench.forward`: seconds of a whole forward pass of a graph at batch 1, as
  ``archcalc time`` measures it: the median of :data:`FORWARD_REPEATS` calls after two, each
  clocked, Python's collector paused.

torch (eager): a kernel timed with ``torch.utils.benchmark.Timer.blocked_autorange`` (blocks of
calls long enough for the clock, the median over blocks; the timer sets the thread count); the
forward not so (the steady state of blocks of calls back to back ran synthetic networks a median
2 % faster than ten calls after two, up to 9 %, and every torch profile priced the benchmark's
measurements a median 3 % short); the kernel is the
graph's last module called on the real tensor(s) the layers before it produced; the copy is
``Tensor.clone``, the trivial call ``nn.ReLU`` on one element.

onnxruntime (CPU provider, default optimisations): kernels from the profiler
(:func:`archcalc.measure.ort_run.profile_kernels`), the interquartile mean over runs of the summed
durations of the kernels attributed to the named layers (layout reorders not included); the
product is a ``MatMul`` model, the copy a ``Relu`` over b/2 bytes, the trivial call a ``Relu`` on
one element, each its kernel time; a forward is the median ``session.run`` wall time. The profiler
adds 1–2 µs to every kernel it times against the kernel's share of an unprofiled run, more to a
convolution than to other kernels (:meth:`OrtBench.profiler_bias`, measured first): it is taken
off every profiled time, per kernel (uncorrected, the sum of a network's profiled kernels exceeded
its unprofiled run by 2–3 µs per kernel, and the forward fit scaled every kernel down by a quarter
to absorb it).
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator, Sequence
from statistics import median
from typing import Any, Protocol

from archcalc.measure.fresh import forward_seconds
from archcalc.measure.heap import keep_freed_memory
from archcalc.model.graph import INPUT, Graph


class Bench(Protocol):
    backend: str
    threads: int
    quick: bool
    glue_in_network: bool
    """Whether :meth:`in_network`'s per-kernel seconds include the glue between kernels, so that
    the in-network fit sets g (torch: ``GraphModule.forward`` clocks each call); if not, g is fitted
    with s to the whole forwards (onnxruntime: the profiler's per-kernel bias, taken off, is known
    to about g's size)."""

    def machine(self) -> tuple[float, list[tuple[float, float]], float]:
        """(peak MACs/s, [(bytes moved, bytes/s)] ascending, seconds of a trivial call)."""
        ...

    def kernel(self, graph: Graph, names: Sequence[str]) -> float: ...

    def forward(self, graph: Graph) -> float: ...

    def in_network(self, graph: Graph) -> dict[str, float] | None:
        """Seconds of each layer of ``graph`` inside a whole forward pass at batch 1, by layer name
        (None: the backend cannot time its kernels inside a network without changing them)."""
        ...

    def networks(self, graphs: Sequence[Graph]) -> Iterator[tuple[float, dict[str, float] | None]]:
        """(:meth:`forward`, :meth:`in_network`) of each graph, in order, yielded as measured."""
        ...

    def nchwc_block(self) -> int:
        """onnxruntime's NCHWc block size on this CPU (0: no blocked layout; torch: 0)."""
        ...

    def reorders(self, graph: Graph) -> dict[tuple[bool, str], float]:
        """Seconds of each layout reorder the backend runs for ``graph``, by (into NCHWc, tensor)."""
        ...

    def versions(self) -> dict[str, str]: ...


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else :func:`platform.processor`)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _copy_sizes(quick: bool) -> tuple[int, ...]:
    return (2**16, 2**20, 2**22) if quick else tuple(2**k for k in range(15, 28, 2))


def fit_versions() -> dict[str, str]:
    """Versions of the fitting libraries (numpy, scipy, scikit-learn)."""
    import numpy
    import scipy
    import sklearn

    return {"numpy": numpy.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}


FORWARD_REPEATS = {False: 15, True: 5}
"""Timed calls of a whole forward in :meth:`Bench.forward` (a full calibration, a quick one), after
two untimed ones: their median is the forward's time, as ``archcalc time`` takes it."""

IN_NETWORK_RUNS = 9
"""Forward passes :meth:`TorchBench.in_network` clocks layer by layer."""


class TorchBench:
    """Eager torch, one module call per layer (see module doc)."""

    backend = "torch"
    glue_in_network = True

    def __init__(self, threads: int, quick: bool) -> None:
        from archcalc.measure.torch_build import require

        require("torch")
        import torch

        self.torch = torch
        self.threads, self.quick = threads, quick
        self.budget = 0.02 if quick else 0.1
        keep_freed_memory()

    def _time(self, fn: Callable[[], Any], budget: float | None = None) -> float:
        from torch.utils.benchmark import Timer

        fn()
        fn()
        t = Timer(stmt="fn()", globals={"fn": fn}, num_threads=self.threads)
        return float(t.blocked_autorange(min_run_time=budget or self.budget).median)

    def versions(self) -> dict[str, str]:
        return {"torch": self.torch.__version__, **fit_versions()}

    def machine(self) -> tuple[float, list[tuple[float, float]], float]:
        torch = self.torch
        with torch.inference_mode():
            one = torch.zeros(1)
            relu = torch.nn.ReLU()
            overhead = self._time(lambda: relu(one))
            n = 512 if self.quick else 1024
            a, b = torch.randn(n, n), torch.randn(n, n)
            peak = n**3 / self._time(lambda: torch.mm(a, b))
            tiny = self._time(lambda: one.clone())
            curve: list[tuple[float, float]] = []
            for size in sorted(_copy_sizes(self.quick), reverse=True):
                x = torch.empty(size // 4)
                t = self._time(lambda x=x: x.clone())
                curve.append((2.0 * size, 2.0 * size / max(t - tiny, 0.1 * t)))
                del x
        return peak, sorted(curve), overhead

    def kernel(self, graph: Graph, names: Sequence[str]) -> float:
        """The seconds of the last of the layers ``names`` (eager torch runs one layer per kernel) on
        the tensors the layers before it wrote; the layers after it (a sample's sink) do not run."""
        from archcalc.measure.timing import threads_set
        from archcalc.measure.torch_build import build

        torch = self.torch
        with threads_set(self.threads), torch.inference_mode():
            model = build(graph)
            env: dict[str, Any] = {INPUT: model.example_input()}
            steps = model._steps
            last = max(i for i, (name, _, _) in enumerate(steps) if name in names)
            for name, module, inputs in steps[:last]:
                env[name] = module(*(env[t] for t in inputs))
            _, module, inputs = steps[last]
            args = tuple(env[t] for t in inputs)
            return self._time(lambda: module(*args))

    def nchwc_block(self) -> int:
        return 0

    def reorders(self, graph: Graph) -> dict[tuple[bool, str], float]:
        return {}

    def forward(self, graph: Graph) -> float:
        return forward_seconds(graph, "torch", self.threads, 2, FORWARD_REPEATS[self.quick])

    def in_network(self, graph: Graph) -> dict[str, float] | None:
        """The median over :data:`IN_NETWORK_RUNS` forward passes (after two untimed ones, the
        collector paused) of each layer's seconds in the pass, as ``GraphModule.forward`` clocks
        them: its call and the freeing of the tensors no later layer reads."""
        from archcalc.measure.gc_pause import gc_paused
        from archcalc.measure.timing import threads_set
        from archcalc.measure.torch_build import build

        torch = self.torch
        seconds: dict[str, list[float]] = {}
        with threads_set(self.threads), torch.inference_mode(), gc_paused():
            model = build(graph)
            x = model.example_input()
            model(x)
            model(x)
            for _ in range(IN_NETWORK_RUNS):
                model(x, seconds=seconds)
        return {name: median(ts) for name, ts in seconds.items()}

    def networks(self, graphs: Sequence[Graph]) -> Iterator[tuple[float, dict[str, float] | None]]:
        """Each measured in a fresh process of its own (:func:`networks_in_fresh_processes`): in the
        process that had just timed hundreds of kernels, eager torch ran small networks 10–20 %
        slower, and the in-network factors fitted to its times scored 1–4 points lower
        (docs/latency.md, fifth round)."""
        return networks_in_fresh_processes(graphs, "torch", self.threads, self.quick)


class OrtBench:
    """onnxruntime's CPU provider (see module doc)."""

    backend = "onnxruntime"
    glue_in_network = False

    def __init__(self, threads: int, quick: bool) -> None:
        from archcalc.measure import ort_run

        self.ort_run = ort_run
        self.threads, self.quick = threads, quick
        keep_freed_memory()
        self.runs = 12 if quick else 40
        self.bias = 0.0
        """Seconds the profiler adds to each kernel it times (:meth:`profiler_bias`), taken off every
        profiled kernel time once :meth:`machine` has measured it."""
        self.bias_conv = 0.0
        """The same for a convolution kernel (:data:`~archcalc.measure.ort_run.CONV_OPS`), which the
        profiler burdens more (:meth:`profiler_bias`)."""

    def unbiased(self, seconds: float, kernels: int, convs: int = 0) -> float:
        """Profiled seconds of ``kernels`` kernels, ``convs`` of them convolutions, less the
        profiler's bias (at least 5 % of them)."""
        bias = self.bias * (kernels - convs) + self.bias_conv * convs
        return max(seconds - bias, 0.05 * seconds)

    def _chain(self, n: int, size: int, conv: bool = False) -> tuple[bytes, list[int]]:
        """A model of ``n`` trivial kernels in a row (Neg, Relu, Neg …) on a vector of ``size``, or
        (``conv``) of ``n`` 1×1 convolutions 16 → 16 channels with a ReLU (one fused kernel each) on
        a 16×``size``×``size`` map; and its input's shape."""
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper

        nodes, inits, prev = [], [], "x"
        shape = [1, 16, size, size] if conv else [size]
        for i in range(n):
            out = "y" if i == n - 1 else f"t{i}"
            if conv:
                w = np.random.default_rng(i).standard_normal((16, 16, 1, 1)).astype(np.float32) * 0.25
                inits += [
                    numpy_helper.from_array(w, f"w{i}"),
                    numpy_helper.from_array(np.zeros(16, np.float32), f"b{i}"),
                ]
                nodes.append(helper.make_node("Conv", [prev, f"w{i}", f"b{i}"], [f"c{i}"], name=f"k{i}"))
                nodes.append(helper.make_node("Relu", [f"c{i}"], [out], name=f"r{i}"))
            else:
                nodes.append(helper.make_node(("Neg", "Relu")[i % 2], [prev], [out], name=f"k{i}"))
            prev = out
        g = helper.make_graph(
            nodes,
            "chain",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
            inits,
        )
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        return model.SerializeToString(), shape

    def profiler_bias(self) -> tuple[float, float]:
        """What onnxruntime's profiler adds to each kernel's duration, against the kernel's share of
        a run without the profiler, for (other kernels, convolutions): chains of 1 and 64 kernels,
        trivial ones on vectors of 256 and 65536 elements, and 1×1 convolutions with a ReLU on
        16×2×2 and 16×8×8 maps; per kernel, the profiled duration less the kernel's share of the
        difference of the unprofiled runs of the two chains, the mean over the two sizes. Here
        about 1.1 µs for a trivial kernel (which costs 0.2 µs in a run) and 1.5–1.7 µs for a
        convolution (0.3–0.5 µs in a run): with one bias for both, the profiled kernels of the
        calibration networks exceeded their unprofiled runs by a further 0.5 µs per kernel."""
        import time

        import numpy as np

        runs = 50 if self.quick else 200
        found = []
        for conv, sizes in ((False, (256, 65536)), (True, (2, 8))):
            out = []
            for size in sizes:
                walls, kernels = [], []
                for n in (1, 64):
                    model, shape = self._chain(n, size, conv)
                    feed = {"x": np.random.default_rng(0).standard_normal(shape).astype(np.float32)}
                    sess = self.ort_run._session(model, self.ort_run.session_options(self.threads))
                    for _ in range(20):
                        sess.run(None, feed)
                    ts = []
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        sess.run(None, feed)
                        ts.append(time.perf_counter() - t0)
                    walls.append(median(ts))
                    per = self.ort_run.profile_session(
                        self.ort_run.profiling_session(model, self.threads), feed, 20 if n > 1 else 3, runs
                    )
                    kernels.append(len(per[0]) if per else n)
                    if n > 1:
                        profiled = median(sum(r.values()) for r in per) / kernels[-1]
                # the layout reorders at the chain's ends are in both chains
                out.append(profiled - (walls[1] - walls[0]) / max(kernels[1] - kernels[0], 1))
            found.append(max(0.0, sum(out) / len(out)))
        return found[0], found[1]

    def versions(self) -> dict[str, str]:
        return {**self.ort_run.versions(), **fit_versions()}

    def _single(self, op_type: str, shapes: list[list[int]], **attrs: Any) -> float:
        """Kernel seconds of a one-node model ``op_type`` over random inputs of ``shapes``."""
        import numpy as np
        from onnx import TensorProto, helper

        ins = [f"x{i}" for i in range(len(shapes))]
        node = helper.make_node(op_type, ins, ["y"], name="k", **attrs)
        g = helper.make_graph(
            [node],
            "bench",
            [
                helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
                for n, s in zip(ins, shapes, strict=True)
            ],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        sess = self.ort_run.profiling_session(m.SerializeToString(), self.threads)
        rng = np.random.default_rng(0)
        feed = {n: rng.standard_normal(s).astype(np.float32) for n, s in zip(ins, shapes, strict=True)}
        runs = self.ort_run.profile_session(sess, feed, 3, self.runs)
        return self.unbiased(self.ort_run.robust_mean([sum(r.values()) for r in runs]), 1)

    def machine(self) -> tuple[float, list[tuple[float, float]], float]:
        self.bias, self.bias_conv = self.profiler_bias()
        n = 512 if self.quick else 1024
        peak = n**3 / self._single("MatMul", [[n, n], [n, n]])
        overhead = self._single("Relu", [[1]])
        curve = []
        for size in sorted(_copy_sizes(self.quick), reverse=True):
            t = self._single("Relu", [[size // 4]])
            curve.append((2.0 * size, 2.0 * size / max(t - overhead, 0.1 * t)))
        return peak, sorted(curve), overhead

    def kernel(self, graph: Graph, names: Sequence[str]) -> float:
        kernels = self.ort_run.profile_kernels(graph, self.threads, 3, self.runs)
        owner = self.ort_run.attribute(kernels, [n.name for n in graph])
        wanted = set(names)
        return self.seconds_of([k for k, o in zip(kernels, owner, strict=True) if o in wanted])

    def seconds_of(self, runs: Sequence[Any]) -> float:
        """The interquartile mean over the profiled runs of the summed seconds of ``runs``
        (``KernelRun``: onnxruntime's kernels for one of ours), less the profiler's bias
        (:meth:`unbiased`); nan for none."""
        if not runs:
            return float("nan")
        n = min(len(r.seconds) for r in runs)
        t = self.ort_run.robust_mean([sum(r.seconds[i] for r in runs) for i in range(n)])
        return self.unbiased(t, len(runs), sum(r.op_type in self.ort_run.CONV_OPS for r in runs))

    def nchwc_block(self) -> int:
        return self.ort_run.nchwc_block()

    def reorders(self, graph: Graph) -> dict[tuple[bool, str], float]:
        """The interquartile mean of each reorder kernel's profiled seconds: a ``ReorderInput`` by
        the tensor it reads, a ``ReorderOutput`` by the tensor it writes."""
        out: dict[tuple[bool, str], float] = {}
        for k in self.ort_run.profile_kernels(graph, self.threads, 3, self.runs):
            key = self.ort_run.reorder_of(k)
            if key is not None:
                out[key] = self.unbiased(self.ort_run.robust_mean(k.seconds), 1)
        return out

    def forward(self, graph: Graph) -> float:
        return forward_seconds(graph, "onnxruntime", self.threads, 2, FORWARD_REPEATS[self.quick])

    def in_network(self, graph: Graph) -> dict[str, float] | None:
        """Each layer's seconds inside the forward pass, by the profiler: a kernel's (the
        interquartile mean over the runs, its profiler bias taken off) on its head layer with the
        layout reorders run for it (``Kernel.reorders``), 0 on the layers fused into it."""
        from archcalc.count.closed_form import layer_costs
        from archcalc.count.kernels import group_kernels

        ort_run = self.ort_run
        runs = ort_run.profile_kernels(graph, self.threads, 3, self.runs)
        names = [n.name for n in graph]
        owner = ort_run.attribute(runs, names)
        kernels = group_kernels(layer_costs(graph), "onnxruntime", self.nchwc_block())
        head = {x.name: k.head.name for k in kernels for x in k.layers}
        run_for = {(r.into_blocked, r.tensor): k.head.name for k in kernels for r in k.reorders}
        mine: dict[str, list[Any]] = {}
        for r, o in zip(runs, owner, strict=True):
            reorder = ort_run.reorder_of(r)
            key = run_for.get(reorder) if reorder is not None else (head.get(o) if o is not None else None)
            if key is not None:
                mine.setdefault(key, []).append(r)
        out = dict.fromkeys(names, 0.0)
        out.update({key: self.seconds_of(rs) for key, rs in mine.items()})
        return out

    def networks(self, graphs: Sequence[Graph]) -> Iterator[tuple[float, dict[str, float] | None]]:
        """Each measured in a fresh process of its own (:func:`networks_in_fresh_processes`), with
        this bench's profiler biases; each kernel inside the forward by the profiler
        (:meth:`in_network`) but in a quick calibration."""
        state = (("bias", self.bias), ("bias_conv", self.bias_conv))
        return networks_in_fresh_processes(graphs, "onnxruntime", self.threads, self.quick, state)


NetworkTimes = tuple[float, dict[str, float] | None]
BenchState = tuple[tuple[str, float], ...]


def networks_in_fresh_processes(
    graphs: Sequence[Graph], backend: str, threads: int, quick: bool, state: BenchState = ()
) -> Iterator[NetworkTimes]:
    """(forward, in-network) of each graph, in order, each measured by a fresh process of its own
    (:func:`archcalc.measure.fresh.in_fresh_process`) with a bench of ``backend`` whose attributes
    ``state`` sets, as ``archcalc time`` measures one network in a new process. A process is a
    state of its own, and its history slows it: two workers measuring the same 48 synthetic
    networks minutes apart ran them 6 % apart (median; up to 27 %), and a process that had run the
    96 built-in configurations once ran six networks a median 8 % slower than at its start
    (docs/latency.md, twelfth to fourteenth rounds)."""
    from concurrent.futures.process import BrokenProcessPool

    from archcalc.errors import ArchcalcError
    from archcalc.measure.fresh import in_fresh_process

    for g in graphs:
        try:
            yield in_fresh_process(_measure_network, g, backend, threads, quick, state)
        except (BrokenProcessPool, MemoryError, RuntimeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ArchcalcError(
                f"calibrate: the process timing the synthetic networks failed: {first}"
            ) from None


def _measure_network(
    graph: Graph, backend: str, threads: int, quick: bool, state: BenchState
) -> NetworkTimes:
    """:meth:`Bench.forward` and (unless ``quick``, which fits no in-network factor)
    :meth:`Bench.in_network` of ``graph`` by a bench of ``backend`` whose attributes ``state``
    sets: what a :func:`networks_in_fresh_processes` process runs."""
    b = _bench_with(backend, threads, quick, state)
    return b.forward(graph), None if quick else b.in_network(graph)


def _bench_with(backend: str, threads: int, quick: bool, state: BenchState) -> Bench:
    """The :class:`Bench` of ``backend`` with the attributes ``state`` names set (the calibrating
    bench's profiler biases, for the child that measures a synthetic network)."""
    b = bench(backend, threads, quick)
    for name, value in state:
        setattr(b, name, value)
    return b


def bench(backend: str, threads: int, quick: bool) -> Bench:
    """The :class:`Bench` of ``backend``."""
    return OrtBench(threads, quick) if backend == "onnxruntime" else TorchBench(threads, quick)


__all__ = [
    "IN_NETWORK_RUNS",
    "Bench",
    "OrtBench",
    "TorchBench",
    "bench",
    "cpu_model",
    "fit_versions",
    "networks_in_fresh_processes",
]
