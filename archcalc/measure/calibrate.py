"""Measuring this machine for the latency model (``archcalc calibrate``): a :class:`DeviceProfile`.

Micro-benchmarks, each timed as in :mod:`archcalc.measure.timing` (warm-up, then the median of repeats):

- peak MAC rate: an n×n by n×n ``torch.mm`` (n = 1024; 512 with ``quick``), n³ MACs;
- copy bandwidth W(b): ``Tensor.clone`` of tensors from 32 KiB to 128 MiB (b = 2 × size moved,
  read + written), less the time of a one-element clone; largest first, so the allocator has reached
  its steady state before the small ones are timed;
- call overhead: ``nn.ReLU`` on a one-element tensor through a module call.

Then, per layer kind (:data:`archcalc.count.latency.KINDS`), a fixed grid of synthetic single-layer graphs
(channels 8–512 × sides 7–112, plus a 3-channel stem) is timed through the same torch modules
``archcalc time`` uses, and the kind's constants (R_k, e_k, o_k) are fitted by minimising
Σ |log t_model − log t_measured| with Nelder–Mead (e_k and o_k kept within the bounds below).
The grid is generic: no layer is taken from a built-in network, so
``benchmarks/latency_model.py`` evaluates the model on networks it never saw.

Last, the whole-forward stage: seeded random synthetic networks
(:func:`archcalc.measure.synthetic_networks.synthetic_networks`; 64 of at most 4 GMACs, 4 of at most
50 MMACs with ``quick``) are built as :class:`~archcalc.measure.torch_build.GraphModule` and their forward
pass timed as ``archcalc time`` does (median of repeats after 2 warm-ups). With t_i each layer's
fitted roofline, the constants of :class:`~archcalc.count.latency.ForwardModel` in
T = Σ_i (s·t_i + g + a·B·written_i + c·min(weight_bytes_i, C)) are fitted (C: the per-core L2
cache size from ``/sys``, 2 MiB if unknown) by non-negative least squares
on the relative error Σ ((T_model − T_measured) / T_measured)² (every subset of the four terms
solved exactly; the best one with no negative constant kept).
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import socket
from collections.abc import Callable, Iterable, Iterator
from statistics import median
from typing import Any

from archcalc.count.closed_form import LayerCost, layer_costs
from archcalc.count.latency import (
    COMPUTE_KINDS,
    KINDS,
    PROFILE_FORMAT,
    VIEW_KINDS,
    DeviceProfile,
    ForwardModel,
    KindModel,
    layer_kind,
    layer_seconds,
    moved_bytes,
)
from archcalc.errors import ArchcalcError
from archcalc.measure.synthetic_networks import synthetic_networks
from archcalc.measure.timing import threads_set, time_calls
from archcalc.measure.torch_build import build, require
from archcalc.model.graph import INPUT, Graph, GraphBuilder
from archcalc.model.ops import (
    Activation,
    AdaptivePool2d,
    Add,
    BatchNorm2d,
    ChannelShuffle,
    Concat,
    Conv2d,
    Flatten,
    Linear,
    Mul,
    Pool2d,
    Slice,
)

require("torch")  # one line, not a traceback, without the `validate` extra (as timing.py)

import torch  # noqa: E402

EFFICIENCY_BOUNDS = (math.log(1e-3), math.log(4.0))
"""e_k is fitted in [0.001, 4] × the copy bandwidth."""
OVERHEAD_BOUNDS = (math.log(1e-7), math.log(1e-2))
"""o_k is fitted in [0.1 µs, 10 ms]."""
CHANNELS = (8, 32, 128, 512)
SIDES = (7, 14, 28, 56, 112)


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


def _grid(quick: bool, max_elems: int = 2**21) -> list[tuple[int, int]]:
    pairs = [(c, s) for c in CHANNELS for s in SIDES if 2**10 <= c * s * s <= max_elems]
    return pairs[::6] if quick else pairs


def _layer(shape: tuple[int, ...], cls: type, inputs: list[str] | None = None, **kwargs: Any) -> Graph:
    """A graph of one layer, ``x``: ``cls(**kwargs)`` on an input of ``shape``."""
    b = GraphBuilder(shape)
    b.op("x", cls, inputs=inputs, **kwargs)
    return b.graph


def _conv(cin: int, cout: int, side: int, k: int = 1, stride: int = 1, groups: int = 1) -> Graph:
    """One k×k convolution cin → cout ('same' padding) on a cin×side×side input."""
    return _layer(
        (cin, side, side),
        Conv2d,
        in_channels=cin,
        out_channels=cout,
        kernel=(k, k),
        stride=(stride, stride),
        padding=(k // 2, k // 2),
        groups=groups,
    )


def _scale(shape: tuple[int, int, int]) -> Graph:
    """A squeeze-and-excite style scale: the input times its own 1×1 average (the timed ``x``)."""
    b = GraphBuilder(shape)
    b.op("g", AdaptivePool2d, op="avg", output=1)
    b.op("x", Mul, inputs=[INPUT, "g"])
    return b.graph


def samples(quick: bool) -> dict[str, list[Graph]]:
    """Per kind, the synthetic graphs whose last layer is timed (all earlier layers only feed it)."""
    g: dict[str, list[Graph]] = {k: [] for k in KINDS}
    cap = 5e7 if quick else 4e8  # MACs per sample
    for i, (c, s) in enumerate(_grid(quick)):
        gc = max(c, 16) * 3
        gk, groups = ((1, 3), (1, 8), (3, 2))[i % 3]
        convs = [  # (kind, in, out, kernel, stride, groups)
            ("depthwise", c, c, (3, 5)[i % 2], 1 if i % 3 else 2, c),
            ("pointwise", c, 4 * c, 1, 1, 1),
            ("pointwise", 4 * c, c, 1, 1, 1),
            ("dense", c, c, 3, 1, 1),
            ("dense", c, c, 3, 2, 1),
        ]
        if gc * s * s <= 2**21:
            convs.append(("grouped", gc, gc, gk, 1, groups))
        for kind, cin, cout, k, stride, grp in convs:
            # at most `cap` MACs (counted at the input side / stride²); depthwise samples are all small
            if kind == "depthwise" or (k * k * cin * cout * s * s / (grp * stride**2) <= cap and cin <= 2048):
                g[kind].append(_conv(cin, cout, s, k, stride, grp))
        shape = (c, s, s)
        g["activation"].append(_layer(shape, Activation, fn=("relu", "hswish", "relu6", "hsigmoid")[i % 4]))
        g["activation_exp"].append(_layer(shape, Activation, fn=("sigmoid", "swish")[i % 2]))
        if i % 2:
            g["elementwise"].append(_layer(shape, Add, inputs=[INPUT, INPUT]))
            g["copy"].append(_layer(shape, Concat, inputs=[INPUT, INPUT]))
            g["view"].append(_layer(shape, Slice, start=0, stop=c // 2))
        else:
            g["elementwise"].append(_scale(shape))
            g["copy"].append(_layer((2 * c, s, s), ChannelShuffle, groups=2))
            g["view"].append(_layer(shape, Flatten))
        g["batchnorm"].append(_layer(shape, BatchNorm2d, channels=c))
        k = (3, 2)[i % 2]
        for op in ("max", "avg"):
            g[f"{op}pool"].append(_layer(shape, Pool2d, op=op, kernel=k, stride=2, padding=k // 2))
        g["global_pool"].append(_layer(shape, AdaptivePool2d, op="avg", output=1))
    for cout in (3, 16, 32):  # 3-channel stems
        for s in (112, 224) if not quick else (112,):
            g["dense"].append(_conv(3, cout, s, 3, 2))
    feats = (
        ((256, 1000), (1024, 1000))
        if quick
        else ((128, 1000), (512, 1000), (1024, 1000), (2048, 1000), (1280, 1000), (4096, 4096))
    )
    for fin, fout in feats:
        g["linear"].append(_layer((fin,), Linear, in_features=fin, out_features=fout))
    return g


def _time_last(graph: Graph, budget: float, rounds: int) -> tuple[LayerCost, float]:
    """The last layer's cost row and its time on real inputs: the median of ``rounds`` rounds of
    ≈ ``budget`` s each (the statistic ``archcalc time`` reports)."""
    model = build(graph)
    env: dict[str, Any] = {INPUT: model.example_input()}
    for name, module, inputs in model._steps[:-1]:
        env[name] = module(*(env[t] for t in inputs))
    _, module, inputs = model._steps[-1]
    args = tuple(env[t] for t in inputs)
    first = time_calls(lambda: module(*args), 2, 3)
    reps = max(5, min(50, int(budget / max(median(first), 1e-7))))
    t = median([s for _ in range(rounds) for s in time_calls(lambda: module(*args), 1, reps)])
    return layer_costs(graph)[-1], t


def _robust(fn: Callable[[], Any], reps: int, rounds: int) -> float:
    """The least, over ``rounds`` rounds, of the median of ``reps`` timed calls (after 2 warm-ups):
    for the machine-wide figures (peak GEMM, copy curve, call overhead), which are ceilings."""
    return min(median(time_calls(fn, 2, reps)) for _ in range(rounds))


def _nelder_mead(f: Callable[[list[float]], float], x0: list[float], steps: int = 400) -> list[float]:
    """Minimise ``f`` from ``x0`` (standard reflection/expansion/contraction/shrink)."""
    n = len(x0)
    simplex = [list(x0)] + [[x + (0.5 if i == j else 0.0) for j, x in enumerate(x0)] for i in range(n)]
    vals = [f(x) for x in simplex]
    for _ in range(steps):
        order = sorted(range(n + 1), key=lambda i: vals[i])
        simplex, vals = [simplex[i] for i in order], [vals[i] for i in order]
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]
        refl = [c + (c - w) for c, w in zip(centroid, worst, strict=True)]
        fr = f(refl)
        if fr < vals[0]:
            exp = [c + 2 * (c - w) for c, w in zip(centroid, worst, strict=True)]
            fe = f(exp)
            simplex[-1], vals[-1] = (exp, fe) if fe < fr else (refl, fr)
        elif fr < vals[-2]:
            simplex[-1], vals[-1] = refl, fr
        else:
            con = [c + 0.5 * (w - c) for c, w in zip(centroid, worst, strict=True)]
            fc = f(con)
            if fc < vals[-1]:
                simplex[-1], vals[-1] = con, fc
            else:
                best = simplex[0]
                simplex = [best] + [
                    [b + 0.5 * (x - b) for b, x in zip(best, p, strict=True)] for p in simplex[1:]
                ]
                vals = [vals[0]] + [f(p) for p in simplex[1:]]
        if max(vals) - min(vals) < 1e-10:
            break
    return simplex[min(range(n + 1), key=lambda i: vals[i])]


def fit_kind(kind: str, data: list[tuple[LayerCost, float]], profile: DeviceProfile) -> KindModel:
    """Constants of ``kind`` minimising Σ |log t_model − log t_measured| over ``data``."""

    if kind in VIEW_KINDS:
        o = median(t for _, t in data)
        return KindModel(
            overhead=o, samples=len(data), fit_error=_err(kind, data, profile, KindModel(overhead=o))
        )
    compute = kind in COMPUTE_KINDS

    def model(x: list[float]) -> KindModel:
        return KindModel(
            mac_rate=math.exp(x[0]) if compute else None,
            byte_rate=None if compute else math.exp(x[0]),
            bw_efficiency=math.exp(min(max(x[1], EFFICIENCY_BOUNDS[0]), EFFICIENCY_BOUNDS[1])),
            overhead=math.exp(min(max(x[2], OVERHEAD_BOUNDS[0]), OVERHEAD_BOUNDS[1])),
        )

    def loss(x: list[float]) -> float:
        m = model(x)
        p = profile.model_copy(update={"kinds": {**profile.kinds, kind: m}})
        return sum(abs(math.log(layer_seconds(c, p)) - math.log(t)) for c, t in data)

    fastest = min(t for _, t in data)
    work = [(c.macs if compute else moved_bytes(c)) / t for c, t in data]
    starts = [
        [
            math.log(profile.peak_mac_rate * 0.5 if compute else profile.copy_bandwidth),
            math.log(0.5),
            math.log(max(profile.call_overhead, 1e-7)),
        ],
        [math.log(max(max(work), 1.0)), math.log(1.0), math.log(max(0.5 * fastest, 1e-7))],
        [math.log(max(median(work), 1.0)), math.log(0.1), math.log(max(0.9 * fastest, 1e-7))],
    ]
    best = starts[0]
    for x0 in starts:
        x = _nelder_mead(loss, _nelder_mead(loss, x0))  # restarted once from its own optimum
        if loss(x) < loss(best):
            best = x
    m = model(best)
    return m.model_copy(update={"samples": len(data), "fit_error": _err(kind, data, profile, m)})


def _err(kind: str, data: list[tuple[LayerCost, float]], profile: DeviceProfile, m: KindModel) -> float:

    p = profile.model_copy(update={"kinds": {**profile.kinds, kind: m}})
    return median(abs(layer_seconds(c, p) - t) / t for c, t in data)


def _identity(items: list[Any]) -> Iterable[Any]:
    return items


def calibrate(
    name: str,
    threads: int,
    quick: bool = False,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
) -> DeviceProfile:
    """Measure this machine and fit every kind's constants (see module doc); nothing is saved."""
    budget = 0.005 if quick else 0.05
    with threads_set(threads), torch.inference_mode():
        one = torch.zeros(1)
        relu = torch.nn.ReLU()
        rounds = 1 if quick else 3
        overhead = _robust(lambda: relu(one), 200, rounds)
        n = 512 if quick else 1024
        a, b = torch.randn(n, n), torch.randn(n, n)
        gemm = _robust(lambda: torch.mm(a, b), 5, rounds)
        tiny = _robust(lambda: one.clone(), 200, rounds)
        curve: list[tuple[float, float]] = []
        sizes = (2**16, 2**20, 2**22) if quick else tuple(2**k for k in range(15, 28, 2))
        for size in sorted(sizes, reverse=True):
            x = torch.empty(size // 4)
            reps = 5 if size >= 2**24 else 30
            t = _robust(lambda x=x: x.clone(), reps, rounds)
            curve.append((2.0 * size, 2.0 * size / max(t - tiny, 0.1 * t)))
            del x
        curve.sort()
        profile = DeviceProfile(
            format=PROFILE_FORMAT,
            name=name,
            created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            host=socket.gethostname(),
            cpu=cpu_model(),
            threads=threads,
            torch_version=torch.__version__,
            quick=quick,
            peak_mac_rate=n**3 / gemm,
            copy_bandwidth=curve[-1][1],
            bandwidth_curve=curve,
            call_overhead=overhead,
            kinds={
                k: KindModel(
                    mac_rate=n**3 / gemm if k in COMPUTE_KINDS else None,
                    bw_efficiency=None if k in VIEW_KINDS else 1.0,
                    overhead=overhead,
                )
                for k in KINDS
            },
            forward=ForwardModel(),
        )
        jobs = [(k, g) for k, gs in samples(quick).items() for g in gs]
        measured: dict[str, list[tuple[LayerCost, float]]] = {k: [] for k in KINDS}
        for k, g in wrap(jobs):
            cost, t = _time_last(g, budget, 1 if quick else 3)
            assert layer_kind(cost) == k, (k, cost.name, cost.category)
            measured[k].append((cost, t))
        kinds = {k: fit_kind(k, measured[k], profile) for k in KINDS}
        profile = profile.model_copy(update={"kinds": kinds})
        nets = synthetic_networks(4, max_macs=5e7) if quick else synthetic_networks(64, max_macs=4e9)
        forwards = [(layer_costs(g), _time_forward(g, 3 if quick else 7)) for g in nets]
    return profile.model_copy(update={"forward": fit_forward(forwards, profile)})


def _time_forward(graph: Graph, repeats: int) -> float:
    """Seconds of one whole forward pass of ``graph``'s GraphModule at batch 1: the median of
    ``repeats`` after 2 warm-ups (as ``archcalc time``)."""
    model = build(graph)
    x = model.example_input()
    return median(time_calls(lambda: model(x), 2, repeats))


def l2_cache_bytes(default: float = 2.0**21) -> float:
    """The largest level-2 cache of cpu0 (``/sys/devices/system/cpu/cpu0/cache``), else ``default``."""
    from pathlib import Path

    found: list[float] = []
    for d in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            if (d / "level").read_text().strip() != "2":
                continue
            size = (d / "size").read_text().strip().upper()
            mult = {"K": 2**10, "M": 2**20, "G": 2**30}.get(size[-1:], 1)
            found.append(float(size.rstrip("KMG")) * mult)
        except (OSError, ValueError):
            continue
    return max(found) if found else default


def forward_features(
    layers: list[LayerCost], profile: DeviceProfile, cap: float, batch: int = 1
) -> list[float]:
    """[Σ t_i, nodes, Σ B·written_i (views: 0), Σ min(weight_bytes_i, cap)]: the columns whose
    weights (s, g, a, c) :func:`fit_forward` fits."""
    kinds = [layer_kind(c) for c in layers]
    return [
        sum(layer_seconds(c, profile, batch) for c in layers),
        float(len(layers)),
        float(
            sum(batch * c.bytes_written for c, k in zip(layers, kinds, strict=True) if k not in VIEW_KINDS)
        ),
        float(sum(min(c.weight_bytes, cap) for c in layers)),
    ]


def _solve(a: list[list[float]], b: list[float]) -> list[float] | None:
    """x with a·x = b (Gaussian elimination, partial pivoting); None if singular."""
    n = len(b)
    m = [[*row, v] for row, v in zip(a, b, strict=True)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(m[r][i]))
        if abs(m[p][i]) < 1e-300:
            return None
        m[i], m[p] = m[p], m[i]
        for r in range(n):
            if r != i:
                f = m[r][i] / m[i][i]
                m[r] = [x - f * y for x, y in zip(m[r], m[i], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def nnls_relative(rows: list[list[float]], targets: list[float]) -> list[float]:
    """Non-negative θ minimising Σ_j ((rows_j·θ − y_j) / y_j)²: every subset of the columns
    solved by its normal equations (columns scaled to unit norm), the best non-negative one kept."""
    if not rows or any(y <= 0 for y in targets):
        raise ArchcalcError("forward fit: needs at least one network with a positive time")
    n = len(rows[0])
    a = [[x / y for x in row] for row, y in zip(rows, targets, strict=True)]
    norms = [math.sqrt(sum(r[j] ** 2 for r in a)) or 1.0 for j in range(n)]
    a = [[r[j] / norms[j] for j in range(n)] for r in a]
    best: tuple[float, list[float]] | None = None
    for mask in range(1, 2**n):
        cols = [j for j in range(n) if mask >> j & 1]
        ata = [[sum(r[i] * r[j] for r in a) for j in cols] for i in cols]
        aty = [sum(r[i] for r in a) for i in cols]
        sol = _solve(ata, aty)
        if sol is None or any(v < 0 for v in sol):
            continue
        theta = [0.0] * n
        for j, v in zip(cols, sol, strict=True):
            theta[j] = v
        res = sum((sum(r[j] * theta[j] for j in range(n)) - 1.0) ** 2 for r in a)
        if best is None or res < best[0]:
            best = (res, theta)
    if best is None:
        raise ArchcalcError("forward fit: no non-negative solution")
    return [t / norms[j] for j, t in enumerate(best[1])]


def fit_forward(data: list[tuple[list[LayerCost], float]], profile: DeviceProfile) -> ForwardModel:
    """The :class:`ForwardModel` (s, g, a, c) fitted to whole-forward seconds of networks at batch 1
    (see module doc), given ``profile``'s fitted kinds."""
    cap = l2_cache_bytes()
    rows = [forward_features(layers, profile, cap) for layers, _ in data]
    ts = [t for _, t in data]
    s, g, a, c = nnls_relative(rows, ts)
    fm = ForwardModel(
        scale=s,
        node_seconds=g,
        write_seconds_per_byte=a,
        weight_seconds_per_byte=c,
        weight_cap_bytes=cap,
        networks=len(data),
    )
    pred = [s * r[0] + g * r[1] + a * r[2] + c * r[3] for r in rows]
    return fm.model_copy(update={"fit_error": median(abs(p - t) / t for p, t in zip(pred, ts, strict=True))})


__all__ = [
    "calibrate",
    "cpu_model",
    "fit_forward",
    "fit_kind",
    "forward_features",
    "l2_cache_bytes",
    "moved_bytes",
    "nnls_relative",
    "samples",
]
