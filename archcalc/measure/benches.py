"""What ``archcalc calibrate`` measures, per backend: the machine's ceilings, one kernel, one forward.

Both backends answer the same three questions (:class:`Bench`):

- :meth:`Bench.machine`: the peak MAC rate (an n×n by n×n matrix product, n³ MACs), the copy
  bandwidth W(b) at several sizes (b = bytes read + written) and the cost of a trivial call;
- :meth:`Bench.kernel`: seconds of the kernel made of the named layers of a small graph, alone;
- :meth:`Bench.forward`: seconds of a whole forward pass of a graph at batch 1.

torch (eager): timed with ``torch.utils.benchmark.Timer.blocked_autorange`` (blocks of calls long
enough for the clock, the median over blocks; the timer sets the thread count); the kernel is the
graph's last module called on the real tensor(s) the layers before it produced; the copy is
``Tensor.clone``, the trivial call ``nn.ReLU`` on one element.

onnxruntime (CPU provider, default optimisations): kernels from the profiler
(:func:`archcalc.measure.ort_run.profile_kernels`), the interquartile mean over runs of the summed
durations of the kernels attributed to the named layers (layout reorders not included); the
product is a ``MatMul`` model, the copy a ``Relu`` over b/2 bytes, the trivial call a ``Relu`` on
one element, each its kernel time; a forward is the median ``session.run`` wall time.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from statistics import median
from typing import Any, Protocol

from archcalc.model.graph import INPUT, Graph


class Bench(Protocol):
    backend: str
    threads: int
    quick: bool

    def machine(self) -> tuple[float, list[tuple[float, float]], float]:
        """(peak MACs/s, [(bytes moved, bytes/s)] ascending, seconds of a trivial call)."""
        ...

    def kernel(self, graph: Graph, names: Sequence[str]) -> float: ...

    def forward(self, graph: Graph) -> float: ...

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


class TorchBench:
    """Eager torch, one module call per layer (see module doc)."""

    backend = "torch"

    def __init__(self, threads: int, quick: bool) -> None:
        from archcalc.measure.torch_build import require

        require("torch")
        import torch

        self.torch = torch
        self.threads, self.quick = threads, quick
        self.budget = 0.02 if quick else 0.1

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
        from archcalc.measure.timing import threads_set
        from archcalc.measure.torch_build import build

        torch = self.torch
        with threads_set(self.threads), torch.inference_mode():
            model = build(graph)
            env: dict[str, Any] = {INPUT: model.example_input()}
            steps = model._steps
            for name, module, inputs in steps[:-1]:
                env[name] = module(*(env[t] for t in inputs))
            _, module, inputs = steps[-1]
            args = tuple(env[t] for t in inputs)
            return self._time(lambda: module(*args))

    def nchwc_block(self) -> int:
        return 0

    def reorders(self, graph: Graph) -> dict[tuple[bool, str], float]:
        return {}

    def forward(self, graph: Graph) -> float:
        from archcalc.measure.torch_build import build

        torch = self.torch
        with torch.inference_mode():
            model = build(graph)
            x = model.example_input()
            return self._time(lambda: model(x), 0.1 if self.quick else 0.4)


class OrtBench:
    """onnxruntime's CPU provider (see module doc)."""

    backend = "onnxruntime"

    def __init__(self, threads: int, quick: bool) -> None:
        from archcalc.measure import ort_run

        self.ort_run = ort_run
        self.threads, self.quick = threads, quick
        self.runs = 12 if quick else 40

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
        return self.ort_run.robust_mean([sum(r.values()) for r in runs])

    def machine(self) -> tuple[float, list[tuple[float, float]], float]:
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
        mine = [k for k, o in zip(kernels, owner, strict=True) if o in wanted]
        if not mine:
            return float("nan")
        runs = min(len(k.seconds) for k in mine)
        return self.ort_run.robust_mean([sum(k.seconds[i] for k in mine) for i in range(runs)])

    def nchwc_block(self) -> int:
        return self.ort_run.nchwc_block()

    def reorders(self, graph: Graph) -> dict[tuple[bool, str], float]:
        """The interquartile mean of each reorder kernel's profiled seconds: a ``ReorderInput`` by
        the tensor it reads, a ``ReorderOutput`` by the tensor it writes."""
        out: dict[tuple[bool, str], float] = {}
        for k in self.ort_run.profile_kernels(graph, self.threads, 3, self.runs):
            if k.op_type == "ReorderInput" and k.inputs:
                out[(True, k.inputs[0])] = self.ort_run.robust_mean(k.seconds)
            elif k.op_type == "ReorderOutput" and k.outputs:
                out[(False, k.outputs[0])] = self.ort_run.robust_mean(k.seconds)
        return out

    def forward(self, graph: Graph) -> float:
        return median(self.ort_run.time_forward(graph, self.threads, 2, 5 if self.quick else 15))


def bench(backend: str, threads: int, quick: bool) -> Bench:
    """The :class:`Bench` of ``backend``."""
    return OrtBench(threads, quick) if backend == "onnxruntime" else TorchBench(threads, quick)


__all__ = ["Bench", "OrtBench", "TorchBench", "bench", "cpu_model", "fit_versions"]
