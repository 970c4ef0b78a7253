"""Where a network's forward time goes, kernel by kernel, on the profile's backend, and which of
three things a latency prediction's error comes from. (A benchmark, not a test: it prints figures.)

For each kernel the backend runs for the network, three times:

- **alone**: onnxruntime — the kernel (conv + BN + activation fused, …) cut out of the exported
  model (``onnx.utils.Extractor``, from the tensors it reads to the ones it writes), its 4-D
  outputs read by a global average pool as in calibration's samples (``kernel_samples``),
  profiled as calibration profiles a sample; eager torch — each module called on its real inputs,
  as ``archcalc time`` times a layer;
- **in the network**: the same kernel inside whole forward passes, as calibration clocks the
  synthetic networks' kernels (``Bench.in_network``: onnxruntime's profiler, with the layout
  reorders run for the kernel; torch's ``GraphModule.forward`` clocks);
- **priced**: the device profile's isolated price t_k (:func:`~archcalc.count.latency.isolated`:
  what calibration fits to kernels timed alone) and its price inside the forward pass T_k
  (:func:`~archcalc.count.latency.layer_latencies`).

Every profiled onnxruntime time has the profile's profiler bias taken off (``profiler_bias`` per
kernel, ``profiler_bias_conv`` per convolution), as calibration takes it off its samples. So a
forward's error splits into the kernel model's (t_k / alone), what the network does to its
kernels (in the network / alone) and what the forward terms make of that (T_k / in the
network), plus the forward's own time beyond the sum of its kernels (the glue between them).

    ARCHCALC_CONFIG_DIR=DIR PYTHONPATH=. python benchmarks/kernels_in_network.py \\
        mobilenetv4_conv_small --res 160 --profile NAME --threads 1

The profile is a name (``archcalc calibrate --backend …``) or a ``--save``d run's
``BACKEND-profile.json`` by its path.
"""

from __future__ import annotations

import argparse
import os
import sys
from statistics import median
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np

from archcalc.count.closed_form import report
from archcalc.count.kernels import Kernel
from archcalc.count.latency import (
    PRICED_CONVENTION,
    DeviceProfile,
    isolated,
    layer_latencies,
    load_profile,
    profile_kernels,
)
from archcalc.errors import ArchcalcError
from archcalc.export.onnx_model import to_onnx
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec


def alone(model: Any, k: Kernel, bench: Any) -> float:
    """Kernel ``k`` cut out of ``model`` and profiled alone as calibration profiles a sample
    (``OrtBench.kernel``: ``OrtBench.seconds_of`` its kernels, layout reorders not counted), its
    4-D outputs read by a global average pool (the pool's kernel not counted either)."""
    import onnx
    from onnx import TensorProto, helper
    from onnx.utils import Extractor

    from archcalc.measure import ort_run

    own = {x.name for x in k.layers}
    inputs = list(dict.fromkeys(t for x in k.layers for t in x.inputs if t not in own))
    read_inside = {t for x in k.layers for t in x.inputs}
    outputs = [x.name for x in k.layers if x.name not in read_inside] or [k.layers[-1].name]
    sub = Extractor(model).extract_model(inputs, outputs)
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in (*sub.graph.input, *sub.graph.output)
    }
    sinks, outs = [], []
    for o in outputs:
        if len(shapes[o]) == 4:
            sinks.append(helper.make_node("GlobalAveragePool", [o], [f"{o}.sink"], name=f"{o}.sink"))
            n, c = shapes[o][:2]
            outs.append(helper.make_tensor_value_info(f"{o}.sink", TensorProto.FLOAT, [n, c, 1, 1]))
        else:
            outs.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o]))
    g = helper.make_graph(
        [*sub.graph.node, *sinks], "alone", list(sub.graph.input), outs, list(sub.graph.initializer)
    )
    m = helper.make_model(g, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    onnx.checker.check_model(m)
    rng = np.random.default_rng(1)
    feed = {i.name: rng.standard_normal(shapes[i.name]).astype(np.float32) for i in sub.graph.input}
    runs = ort_run.profile_kernels(None, bench.threads, 3, bench.runs, model=m.SerializeToString(), feed=feed)
    owner = ort_run.attribute(runs, [x.name for x in k.layers])  # the sinks' pools belong to none
    return bench.seconds_of(
        [r for r, o in zip(runs, owner, strict=True) if o is not None and r.op_type not in ort_run.LAYOUT_OPS]
    )


def measure_ort(
    resolved: Any, kernels: list[Kernel], profile: DeviceProfile, args: argparse.Namespace
) -> tuple[float, dict[str, float], Any]:
    """onnxruntime: the forward (ms), each head layer's seconds in the network
    (``OrtBench.in_network``), and a function of a kernel giving its seconds alone (:func:`alone`)."""
    import onnx

    from archcalc.measure import ort_run
    from archcalc.measure.benches import OrtBench

    # every tensor's shape, which the extractor needs for the tensors it cuts at
    model = onnx.shape_inference.infer_shapes(to_onnx(resolved.graph, resolved.spec.name, batch=1))
    bench = OrtBench(args.threads, False)
    bench.runs = args.repeats
    bench.bias, bench.bias_conv = profile.profiler_bias, profile.profiler_bias_conv
    forward = 1e3 * median(ort_run.time_forward(resolved.graph, args.threads, 2, args.forwards))
    return forward, bench.in_network(resolved.graph), lambda k: alone(model, k, bench)


def measure_torch(
    resolved: Any, kernels: list[Kernel], profile: DeviceProfile, args: argparse.Namespace
) -> tuple[float, dict[str, float], Any]:
    """Eager torch (a kernel is a layer): the forward (ms) and every layer alone as ``archcalc time``
    times them (each module called on its real inputs, the median of ``--repeats`` calls after 2),
    and each layer's seconds in the network as calibration clocks them (``TorchBench.in_network``:
    the median over its forward passes)."""
    from archcalc.measure.benches import TorchBench
    from archcalc.measure.timing import time_network

    timing = time_network(resolved, threads=args.threads, warmup=2, repeats=args.repeats)
    by_layer = {x.name: 1e-3 * x.median_ms for x in timing.measured.layers}
    net = TorchBench(args.threads, False).in_network(resolved.graph)
    assert net is not None
    return timing.measured.forward.median_ms, net, lambda k: by_layer[k.head.name]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("net")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--res", type=int, default=None)
    ap.add_argument("--profile", required=True, help="a device profile: a name or a .json path")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--repeats", type=int, default=40, help="runs per kernel alone (onnxruntime: as calibration)"
    )
    ap.add_argument("--forwards", type=int, default=30, help="timed whole forwards (median)")
    ap.add_argument("--top", type=int, default=12, help="kernels listed, the farthest from their price")
    args = ap.parse_args(argv)
    try:
        if args.profile.endswith(".json"):
            with open(args.profile, encoding="utf-8") as f:
                profile = DeviceProfile.model_validate_json(f.read())
        else:
            found = load_profile(args.profile)
            if found is None:
                raise ArchcalcError(f"--profile: no profile named {args.profile!r}")
            profile = found
        backend = profile.backend
        spec = load_spec(args.net)
        resolved = resolve(spec, args.alpha, args.res)
        rep = report(resolved, "paper", profile.dtype)
        kernels = profile_kernels(rep.layers_under(PRICED_CONVENTION), profile)
        forward, net, alone_of = (measure_ort if backend == "onnxruntime" else measure_torch)(
            resolved, kernels, profile, args
        )
        rows, _ = layer_latencies(kernels, profile)
        priced = {r.kernel: r.seconds for r in rows if r.seconds}
        table = []
        for k in kernels:
            kind, *_, t = isolated(k, profile)
            table.append((k.name, kind, alone_of(k), net[k.head.name], t, priced.get(k.name, 0.0)))
    except (ArchcalcError, OSError, ValueError) as e:  # a profile file pydantic refuses: its first line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"error: {first}", file=sys.stderr)
        return 2
    a = np.array([r[2:] for r in table]) * 1e3
    print(
        f"{spec.name} α={args.alpha:g} {resolved.resolution} px, {backend} "
        f"{profile.versions.get(backend, profile.torch_version)}, {args.threads} thread(s), profile "
        f"{profile.name!r}; load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"forward measured {forward:.3f} ms; predicted {a[:, 3].sum():.3f} ms "
        f"({100 * (a[:, 3].sum() / forward - 1):+.1f} %)"
    )
    print(
        f"kernels ({len(table)}): alone {a[:, 0].sum():.3f} ms, in the network {a[:, 1].sum():.3f} ms "
        f"(onnxruntime: with the layout reorders run for them); priced alone (t_k) "
        f"{a[:, 2].sum():.3f} ms, in the network (T_k) {a[:, 3].sum():.3f} ms"
    )
    print("per kernel type (sums, ms; ratios of the sums):")
    print(
        f"  {'type':12} {'n':>3} {'alone':>8} {'network':>8} {'net/alone':>9} {'t_k':>8} {'t_k/alone':>9}"
        f" {'T_k':>8} {'T_k/net':>8}"
    )
    for kind in dict.fromkeys(r[1] for r in table):
        s = a[[i for i, r in enumerate(table) if r[1] == kind]]
        al, nw, t, tt = s[:, 0].sum(), s[:, 1].sum(), s[:, 2].sum(), s[:, 3].sum()
        print(
            f"  {kind:12} {len(s):3} {al:8.3f} {nw:8.3f} {nw / al:9.2f} {t:8.3f} {t / al:9.2f} {tt:8.3f}"
            f" {tt / nw if nw else float('nan'):8.2f}"
        )
    print(f"the {args.top} kernels farthest from their price in the network (µs):")
    order = sorted(range(len(table)), key=lambda i: -abs(np.log(a[i, 3] / a[i, 1])) if a[i, 1] > 0 else 0)
    for i in order[: args.top]:
        name, kind = table[i][:2]
        al, nw, t, tt = a[i] * 1e3
        print(
            f"  {name:28} {kind:11} alone {al:8.1f}  network {nw:8.1f} ({nw / al:4.2f}×)  t_k {t:8.1f} "
            f"({t / al:4.2f}×)  T_k {tt:8.1f} ({tt / nw:4.2f}× the network's)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
