"""Measuring this machine for the latency model (``archcalc calibrate``): a :class:`DeviceProfile`.

For one backend (``torch`` eager or ``onnxruntime``'s CPU provider, :mod:`archcalc.measure.benches`):

1. **Ceilings**: the peak MAC rate, the copy bandwidth curve W(b) and a trivial call's cost.
2. **Kernels, adaptively sampled.** Per kernel type (:data:`archcalc.count.latency.KINDS`: the
   latency kind of a kernel's first layer), synthetic kernels (:mod:`archcalc.measure.kernel_samples`,
   never a built-in network's layers) are timed alone: ``n0`` random configurations, then
   ``rounds`` times the ``worst`` kernels the current fit predicts worst (out of fold) are each
   moved a little ``spawn`` times and timed too, so sampling gathers where the predictor is weak.
   The kernel type's model is then fitted in two steps:

   - its roofline t = max(work / R, bytes / (e·W(bytes))) + o (``archcalc.count.latency``) by
     ``scipy.optimize.least_squares`` on log t_model − log t_measured (soft-L1 loss, so a few
     preempted timings do not pull it; R, e, o searched in logs within :data:`BOUNDS`), from three
     starts, the best kept;
   - the learned factor: scikit-learn's ``GradientBoostingRegressor`` on the residual
     r = log t_measured − log t_roofline with the kernel's features
     (:func:`archcalc.count.kernels.kernel_features`), kept only when its 5-fold out-of-fold error
     beats the roofline's; stored as trees (:mod:`archcalc.count.learned`).

   On onnxruntime the profile also gets the NCHWc block size (probed), the ``reorder`` type's
   roofline (:func:`calibrate_reorders`, no learned factor), and every profiled kernel time has
   the profiler's per-kernel bias taken off (``OrtBench.profiler_bias``).

3. **Whole forward passes** of seeded random synthetic networks
   (:mod:`archcalc.measure.synthetic_networks`, seeds from 0; the benchmark evaluates on another
   seed) are timed, and the :class:`~archcalc.count.latency.ForwardModel` constants of
   T = Σ_k (s·(1 + (f_κ − 1)·u_k)·M_p(t_k, ω_κ·cold_k) + g + a·B·written_k + c·cold_k) fitted
   (cold_k = 0 in a network of at most H weight bytes; u_k :data:`IN_NETWORK_SHARE`):

   - where the backend clocks each kernel inside the forward pass (``Bench.in_network``: torch
     by ``GraphModule.forward``, onnxruntime by its profiler, less its per-kernel bias), for each
     H of a few candidates, the in-network factor f_κ of each kernel type
     (``KindModel.in_network``), the rate ω of streaming cold weights per family of types
     (``KindModel.stream_seconds_per_byte``), g, a, c and p (among a few) on those per-kernel times
     (:func:`fit_in_network`), then s on the whole forwards — with g where the per-kernel times
     do not hold the glue between kernels (``Bench.glue_in_network``: onnxruntime, whose profiler
     bias is known to about g's size); the H whose forwards are predicted best is kept
     (:func:`fit_inside_and_forward`; onnxruntime: torch keeps H = C, :data:`HOT_SHARES_OF`);
   - else (a backend that cannot clock them: f_κ = 1, no ω) s, g, a, c on the whole forwards'
     relative error (:func:`fit_forward`, ``scipy.optimize.lsq_linear``), H among the same
     candidates: s within [0.5, 2] (the isolated kernels set the scale; a fit free to zero it, as
     the old quick mode did, predicts every layer alike), g, a, c ≥ 0.

``quick`` trades accuracy for time: 8 configurations and one adaptive round per type (so the
learned factor, which needs 12, is fitted only where a round added enough), shorter timings, and
6 small networks from which only s = 1 and g are fitted (one constant from six timings, instead of
four from 48, and no in-network factors).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from archcalc.count.closed_form import layer_costs
from archcalc.count.kernel_types import KERNEL_TYPES, REORDER, backend_types
from archcalc.count.kernels import FEATURES, Kernel, group_kernels, kernel_features
from archcalc.count.latency import (
    PROFILE_FORMAT,
    DeviceProfile,
    ForwardModel,
    KindModel,
    fused_pass_seconds,
    fused_passes,
    in_network_share,
    isolated,
    kernel_bytes,
    kernel_reorder_seconds,
    kernel_terms,
    kernel_total_seconds,
    layer_kind,
    read_once_factor,
)
from archcalc.count.learned import KernelPredictor, Tree
from archcalc.errors import ArchcalcError, require
from archcalc.export.onnx_model import exportable
from archcalc.measure.benches import Bench, bench, cpu_model
from archcalc.measure.kernel_samples import (
    Config,
    build,
    draw,
    kinds_for,
    perturb,
    reorder_config,
    reorder_graph,
)
from archcalc.measure.synthetic_networks import synthetic_network
from archcalc.model.graph import Graph
from archcalc.model.ops.activation import ACTIVATIONS

BOUNDS = {"efficiency": (1e-3, 4.0), "overhead": (1e-7, 1e-2)}
"""e is fitted in [0.001, 4] × the copy bandwidth, o in [0.1 µs, 10 ms]; R in [1e6, 1e15] per second."""

SAMPLES_ORT_COMPUTE = (72, 4, 8, 2)
"""(first configurations, adaptive rounds, worst moved per round, perturbations of each) of a
compute type (conv, linear) on onnxruntime: its kernels are most of a network's time and the
learned factor needs the samples."""
TORCH_COMPUTE_SAMPLING = (48, 4, 8, 2)
"""(first draws, adaptive rounds, worst kernels per round, perturbations of each) of a conv or linear
kernel type on torch, where one roofline spans several algorithms (oneDNN's direct and 1×1 kernels,
im2col + GEMM, the 3-channel stems): 112 kernels. At 24, 3, 6, 2 (60 kernels, as every other type
keeps) the dense type's learned factor erred by a median 23 % out of fold, and the big 3×3
convolutions of VGG-16, ResNet-50 and AlexNet were priced 30–110 % too dear."""
COMPUTE_SAMPLING = {"onnxruntime": SAMPLES_ORT_COMPUTE, "torch": TORCH_COMPUTE_SAMPLING}
"""The sampling of a compute type (conv, linear), per backend, in a full calibration."""

COLD_WEIGHTS = {"torch": "all", "onnxruntime": "reused"}
"""Which kernels' weights the forward term c prices, per backend (``ForwardModel.cold_weights``).
On onnxruntime a convolution whose weights stayed in cache while it was timed alone runs slower by
~22–25 ps per weight byte in a forward pass, where they come cold (its profiled kernels in
MobileNetV4-Conv-L, at α = 0.5 and 1, 160 and 224 px, and in MobileNet V2, and the 1×1
convolutions with over 256 KiB of weights in the 48 calibration networks, all 21–25 ps/B), while a
fully connected layer at batch 1, which reads each weight once, shows nothing (2 ps/B): it streams
them in its isolated timing too. Priced on every kernel (``all``), c was fitted at 2–4 ps/B, the
fully connected layers' share; on convolutions alone (``reused``) at 24–33 ps/B, and the 92 built-in
configurations within ±10 % went from 62.4 % to 72–76 % on average over five clean measurements
(three calibrations; docs/latency.md). On torch ``reused`` fitted c at 100–126 ps/B and scored
worse (31–66 % against 44–71 %, refitted offline on the same forwards): it keeps ``all``."""

IN_NETWORK_SHARE = {"torch": "memory", "onnxruntime": "all"}
"""The share of a kernel's isolated time its type's in-network factor scales, per backend
(:attr:`~archcalc.count.latency.ForwardModel.in_network_share`; docs/latency.md, twelfth round).
torch: the memory share (refitted on four calibrations, +1.7 points within ±10 % on average with
each measurement's drift taken out, 14 of 24 pairs up, 5 down by one configuration); onnxruntime:
all of it, as before (one calibration refitted with the memory share: −1.1 points on average over
six measurements)."""

WRITTEN_IN_FOOTPRINT = 2.0
"""λ of a network's footprint W + λ·Σ written, which H is compared with
(``ForwardModel.written_in_footprint``): each activation written and read back passes through the
cache between two reads of a weight. By their weights alone (λ = 0) the synthetic networks chose H
at 16 or 24 MiB as the calibration ran: networks of 8–18 MiB of weights and under 2 MiB of
activations kept their weights in cache, the built-in networks, with 5–90 MiB of activations, did
not. Refitted offline on four calibrations per backend (docs/latency.md, eighth round): the
built-in configurations within ±10 %, drift taken out, 59–76 → 74–79 % on onnxruntime (λ = 1.5, 3
and 4 alike; H 24 MiB every time) and 67–76 → 74–82 % on torch (H 32 MiB)."""

READ_ONCE_WHEN = "not_hot"
"""Which networks stream the weights of their read-once kernels (``ForwardModel.read_once_when``):
every network whose footprint exceeds H, not only those whose weights alone exceed C. On
onnxruntime (the only backend whose cold weights are ``reused``, so the only one it changes) the
fully connected layers of MobileNet V3-Large α = 1 at 160 px ran 3.5 × their isolated time inside
the network (the classifier 255 µs against 61 µs; an SE block's 240 → 960 layer 36 against 11),
and MobileNet V2's classifier at α = 1 and 224 px 4.9 ×, in networks of 21 and 13.5 MiB of weights
(under C = 32 MiB) and 41 and 65 MiB of footprint. Priced at their isolated time, the linear
kernels were 0.37 × what they cost there, and s, fitted to the whole forwards, rose to 1.03–1.08 to
make up for them on every other kernel; with this rule two calibrations fitted s = 0.99 and their
synthetic networks' forwards to 4.8–5.3 % (median error; 6.2–6.4 % before), and scored 82.5 and
83.2 % within ±10 % on average over eight measurements of the built-in configurations, against
77.2 and 76.1 % for two made before (docs/latency.md, fifteenth round)."""

MIN_LEARNED = 12
"""Fewest kernels a learned factor is fitted to."""


def _require_numerics() -> None:
    require(("numpy", "scipy", "sklearn"), "archcalc calibrate", "measure")


def _identity(items: list[Any]) -> Iterable[Any]:
    return items


def _work_bytes(kind: str, data: Sequence[tuple[Kernel, float]]) -> tuple[Any, Any]:
    import numpy as np

    nbytes = np.array([float(kernel_bytes(k)) for k, _ in data])
    work = np.array([k.priced_macs for k, _ in data]) if KERNEL_TYPES[kind].on_macs else nbytes
    return work, nbytes


def fit_roofline(kind: str, data: Sequence[tuple[Kernel, float]], profile: DeviceProfile) -> KindModel:
    """The roofline constants of ``kind`` fitted to measured (kernel, seconds) pairs (module doc)."""
    import numpy as np

    ts = np.array([t for _, t in data])
    if not KERNEL_TYPES[kind].moves_data:
        return KindModel(overhead=float(np.median(ts)), samples=len(data))
    work, nbytes = _work_bytes(kind, data)
    return fit_rates(kind, work, nbytes, ts, profile)


def fit_rates(kind: str, work: Any, nbytes: Any, ts: Any, profile: DeviceProfile) -> KindModel:
    """The roofline constants of ``kind`` fitted to arrays of work (MACs or bytes), bytes moved and
    measured seconds (module doc)."""
    import numpy as np
    from scipy.optimize import least_squares

    w = np.array([profile.bandwidth(b) for b in nbytes])
    log_t = np.log(ts)

    def model(x: Any) -> Any:
        return np.maximum(work / np.exp(x[0]), nbytes / (np.exp(x[1]) * w)) + np.exp(x[2])

    def residual(x: Any) -> Any:
        return np.log(model(x)) - log_t

    lo = [math.log(1e6), math.log(BOUNDS["efficiency"][0]), math.log(BOUNDS["overhead"][0])]
    hi = [math.log(1e15), math.log(BOUNDS["efficiency"][1]), math.log(BOUNDS["overhead"][1])]
    rate0 = profile.peak_mac_rate * 0.5 if KERNEL_TYPES[kind].on_macs else profile.copy_bandwidth
    fastest = float(ts.min())
    starts = [
        [math.log(rate0), math.log(0.5), math.log(max(profile.call_overhead, 2e-7))],
        [float(np.log(np.max(work / ts))), 0.0, math.log(max(0.5 * fastest, 2e-7))],
        [float(np.log(np.median(work / ts))), math.log(0.1), math.log(max(0.9 * fastest, 2e-7))],
    ]
    best = None
    for x0 in starts:
        x0 = np.clip(x0, np.array(lo) + 1e-9, np.array(hi) - 1e-9)
        r = least_squares(residual, x0, bounds=(lo, hi), loss="soft_l1", f_scale=0.1)
        if best is None or r.cost < best.cost:
            best = r
    assert best is not None
    x = best.x
    compute = KERNEL_TYPES[kind].on_macs
    err = float(np.median(np.abs(model(x) / ts - 1.0)))
    return KindModel(
        mac_rate=float(math.exp(x[0])) if compute else None,
        byte_rate=None if compute else float(math.exp(x[0])),
        bw_efficiency=float(math.exp(x[1])),
        overhead=float(math.exp(x[2])),
        samples=len(ts),
        fit_error=err,
    )


def learned_features(backend: str) -> list[str]:
    """The features a learned factor of ``backend`` reads: on torch all of :data:`FEATURES` but
    ``nchwc`` (always 0 there); on onnxruntime all but ``channel_pow2`` and ``torch_native`` (added
    for torch's convolutions), so each backend's trees are fitted as before the other's features
    existed."""
    skip = ("nchwc",) if backend == "torch" else ("channel_pow2", "torch_native")
    return [f for f in FEATURES if f not in skip]


def _features(data: Sequence[tuple[Kernel, float]], profile: DeviceProfile) -> tuple[Any, Any]:
    """(feature matrix over :func:`learned_features`, log t_measured − log t_roofline) of the kernels."""
    import numpy as np

    keep = [FEATURES.index(f) for f in learned_features(profile.backend)]
    xs, ys = [], []
    for k, t in data:
        _, compute, memory, overhead = kernel_terms(k, profile)
        row = kernel_features(k, 1, compute, memory, profile.threads)
        xs.append([row[i] for i in keep])
        ys.append(math.log(t) - math.log(max(compute, memory) + overhead))
    return np.array(xs), np.array(ys)


def _gbm() -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, min_samples_leaf=3, random_state=0
    )


def fit_learned(
    kind: str, data: Sequence[tuple[Kernel, float]], profile: DeviceProfile
) -> tuple[KernelPredictor | None, list[float]]:
    """The learned factor of ``kind`` given its fitted roofline in ``profile`` (None when there are
    fewer than :data:`MIN_LEARNED` kernels or it does not beat the roofline out of fold), and each
    kernel's out-of-fold |t̂ − t| / t under the model kept."""
    import numpy as np
    from sklearn.model_selection import KFold, cross_val_predict

    x, y = _features(data, profile)
    roof_err = np.abs(np.exp(-y) - 1.0)
    if len(data) < MIN_LEARNED or not KERNEL_TYPES[kind].moves_data:
        return None, roof_err.tolist()
    oof = cross_val_predict(_gbm(), x, y, cv=KFold(5, shuffle=True, random_state=0))
    learned_err = np.abs(np.exp(oof - y) - 1.0)
    if np.median(learned_err) >= np.median(roof_err):
        return None, roof_err.tolist()
    g = _gbm().fit(x, y)
    trees = [
        Tree(
            feature=[max(int(f), 0) for f in e.tree_.feature],
            threshold=[float(v) for v in e.tree_.threshold],
            left=[int(v) for v in e.tree_.children_left],
            right=[int(v) for v in e.tree_.children_right],
            value=[float(v) for v in e.tree_.value[:, 0, 0]],
        )
        for e in g.estimators_[:, 0]
    ]
    init = float(np.ravel(g.init_.predict(x[:1]))[0])
    kp = KernelPredictor(
        features=learned_features(profile.backend),
        init=init,
        learning_rate=float(g.learning_rate),
        trees=trees,
        samples=len(data),
        cv_error=float(np.median(learned_err)),
    )
    return kp, learned_err.tolist()


def _measure(
    b: Bench,
    profile: DeviceProfile,
    cfgs: list[Config],
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]],
) -> list[tuple[Config, Kernel, float]]:
    """(configuration, its kernel, seconds) of each configuration that builds, less the passes of
    its fused layers (:func:`fused_pass_seconds`, measured before: :func:`calibrate_passes`), which
    the kernel type's roofline and learned factor do not price."""
    backend, block = b.backend, profile.nchwc_block
    out = []
    for cfg in wrap(cfgs):
        built = build(cfg)
        if built is None:
            continue
        graph, names = built
        # the kernel headed by the configuration's first layer (its layout may have split the
        # residual add off: then the kernel without it is timed)
        ks = [k for k in group_kernels(layer_costs(graph), backend, block) if k.name == names[0]]
        if ks and layer_kind(ks[0].head) != cfg["kind"]:
            continue  # moved into another type (a 1×1 convolution perturbed onto a 1×1 map: linear)
        t = b.kernel(graph, [x.name for x in ks[0].layers] if ks else names)
        if ks and math.isfinite(t) and t > 0:
            out.append((cfg, ks[0], max(t - fused_pass_seconds(ks[0], profile), 0.05 * t)))
    return out


def _draw_buildable(kind: str, rng: random.Random, backend: str, n: int) -> list[Config]:
    out: list[Config] = []
    for _ in range(50 * n):
        if len(out) == n:
            break
        cfg = draw(kind, rng, backend)
        if build(cfg) is not None:
            out.append(cfg)
    return out


def calibrate_kind(
    kind: str,
    b: Bench,
    profile: DeviceProfile,
    quick: bool,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
) -> tuple[KindModel, KernelPredictor | None, int]:
    """Adaptive sampling and the two fits of one kernel type (module doc): (roofline, learned,
    kernels timed)."""
    backend = b.backend
    if quick:
        n0, rounds, worst, spawn = 8, 1, 2, 2
    elif KERNEL_TYPES[kind].on_macs:
        n0, rounds, worst, spawn = COMPUTE_SAMPLING[backend]
    else:
        n0, rounds, worst, spawn = 24, 3, 6, 2
    rng = random.Random(f"{backend}:{kind}")
    data = _measure(b, profile, _draw_buildable(kind, rng, backend, n0), wrap)
    if not data:
        raise ArchcalcError(f"calibrate: no {kind} kernel could be timed")
    for _ in range(rounds):
        pairs = [(k, t) for _, k, t in data]
        roof = fit_roofline(kind, pairs, profile)
        _, errs = fit_learned(
            kind, pairs, profile.model_copy(update={"kinds": {**profile.kinds, kind: roof}})
        )
        order = sorted(range(len(data)), key=lambda i: -errs[i])[:worst]
        new = [perturb(data[i][0], rng, backend) for i in order for _ in range(spawn)]
        data += _measure(b, profile, [c for c in new if build(c) is not None], wrap)
    pairs = [(k, t) for _, k, t in data]
    roof = fit_roofline(kind, pairs, profile)
    learned, _ = fit_learned(kind, pairs, profile.model_copy(update={"kinds": {**profile.kinds, kind: roof}}))
    return roof, learned, len(data)


PASS_PROBES: tuple[Config, ...] = (
    {"kind": "pointwise", "side": 56, "c": 32, "cout": 128},
    {"kind": "depthwise", "side": 56, "c": 128, "k": 3},
    {"kind": "pointwise", "side": 56, "c": 18, "cout": 72},
    {"kind": "depthwise", "side": 28, "c": 146, "k": 3},
)
"""The convolutions (each with a batch norm) :func:`calibrate_passes` times with and without each
activation fused into them: two onnxruntime runs in the blocked layout (channels multiples of 4)
and two it does not (18 and 146 channels)."""


def calibrate_passes(
    b: Bench,
    profile: DeviceProfile,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
) -> dict[str, float]:
    """The seconds per output byte of each pass a fused layer makes over its kernel's output
    (``Op.row_fused_pass``; ``DeviceProfile.fused_passes``), by pass and layout: the median over
    :data:`PASS_PROBES` of (t with the activation fused − t without) / the bytes it passes over
    (:func:`fused_passes`), at least 0. A backend that fuses no activation
    into a convolution (torch) times nothing and gets none."""
    import numpy as np

    block = profile.nchwc_block
    jobs: list[tuple[int, Graph, Kernel]] = []
    for i, probe in enumerate(PASS_PROBES):
        for fn in ACTIVATIONS:
            built = build({**probe, "tail": "bn+act", "fn": fn})
            head = group_kernels(layer_costs(built[0]), b.backend, block)[0] if built else None
            if head is not None and fused_passes(head):
                jobs.append((i, built[0], head))
    alone: dict[int, float] = {}
    deltas: dict[str, list[float]] = {}
    for i, graph, head in (job for _, job in wrap([("fused passes", j) for j in jobs])):
        if i not in alone:
            built = build({**PASS_PROBES[i], "tail": "bn"})
            alone[i] = b.kernel(*built) if built else math.nan
        t = b.kernel(graph, [x.name for x in head.layers])
        passes = fused_passes(head)
        nbytes = sum(n for _, n in passes)
        if math.isfinite(t) and math.isfinite(alone[i]) and nbytes > 0:
            for key, _ in passes:
                deltas.setdefault(key, []).append(max(t - alone[i], 0.0) / nbytes)
    return {k: float(np.median(v)) for k, v in sorted(deltas.items())}


def cache_bytes(level: int, default: float) -> float:
    """The largest cache of ``level`` of cpu0 (``/sys/devices/system/cpu/cpu0/cache``), else ``default``."""
    from pathlib import Path

    found: list[float] = []
    for d in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            if (d / "level").read_text().strip() != str(level):
                continue
            size = (d / "size").read_text().strip().upper()
            mult = {"K": 2**10, "M": 2**20, "G": 2**30}.get(size[-1:], 1)
            found.append(float(size.rstrip("KMG")) * mult)
        except (OSError, ValueError):
            continue
    return max(found) if found else default


def forward_row(
    k: Kernel,
    profile: DeviceProfile,
    cold: ForwardModel,
    batch: int = 1,
    hot: bool = False,
    streamed: bool = False,
) -> list[float]:
    """[(1 + (f_κ − 1)·u_k)·M_p(t_k, ω_κ·cold_k), kernels, B·written_k (views: 0), cold_k] of one kernel:
    the columns whose weights (s, g, a, c) :func:`fit_forward` fits, cold_k the weight bytes ``cold``'s
    rule prices (:meth:`ForwardModel.cold_bytes`: its C and ``cold_weights``; 0 in a ``hot`` network);
    t_k, the kernels and the bytes written count the layout reorders run for the kernel too
    (onnxruntime)."""
    return [kernel_total_seconds(k, profile, batch, hot, streamed), *forward_counts(k, cold, batch, hot)]


def forward_counts(k: Kernel, cold: ForwardModel, batch: int = 1, hot: bool = False) -> list[float]:
    """[kernels, B·written_k (views: 0), cold_k] of one kernel and the layout reorders run for it:
    the columns of g, a and c (:func:`forward_row` without the kernel's seconds)."""
    head_writes = KERNEL_TYPES[layer_kind(k.head)].moves_data
    return [
        float(1 + len(k.reorders)),
        float(batch * k.bytes_written * head_writes + sum(batch * r.written for r in k.reorders)),
        float(cold.cold_bytes(k.weight_bytes, k.macs, batch, hot)),
    ]


def forward_features(
    kernels: Sequence[Kernel], profile: DeviceProfile, cold: ForwardModel, batch: int = 1
) -> list[float]:
    """[Σ (1 + (f_κ − 1)·u_k)·M_p(t_k, ω_κ·cold_k), kernels, Σ B·written_k, Σ cold_k]: :func:`forward_row`
    summed over a network (hot when its footprint is at most ``cold``'s H:
    :meth:`ForwardModel.network_hot`)."""
    hot = cold.network_hot(kernels, batch)
    streamed = cold.streams_read_once(kernels, batch)
    rows = [forward_row(k, profile, cold, batch, hot, streamed) for k in kernels]
    return [float(sum(col)) for col in zip(*rows, strict=True)] if rows else [0.0] * 4


MIN_IN_NETWORK = 8
"""Fewest kernels of a type among the synthetic networks' for its in-network factor to be fitted
(the others keep f = 1)."""
IN_NETWORK_BOUNDS = (0.25, 8.0)
"""The range an in-network factor f_κ is fitted in."""
STREAM_NORMS = (2.0, 3.0, 4.0, 6.0)
"""The overlaps p tried for M_p(t, ω·cold) (:meth:`ForwardModel.overlap`), the best fit kept."""
HOT_SHARES = (0.0, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0)
"""The H tried, as shares of C (the L3 size): a network whose weights total at most H keeps them in
cache between forward passes (:attr:`ForwardModel.hot_weight_bytes`), the best fit kept."""
HOT_SHARES_OF = {"torch": (1.0,), "onnxruntime": HOT_SHARES}
"""The H :func:`calibrate` tries, per backend. On torch the synthetic networks chose H = 12, 24 or
32 MiB from one calibration to the next (C = 32 MiB), by median forward errors 0–1.2 points
apart; at 12 MiB, MobileNet V1 and V3-Small, MobileNetV4-Conv-S and the small ShuffleNets (16–35
MiB of footprint) were priced cold and 15–28 % dear (run k2: 76.0 % of the built-in configurations
within ±10 %, 82.3 % with its profile's H set to 32 MiB). Refitted offline with H = C, seven
calibrations averaged 87.0 % against twelve clean measurements with the drift taken out, 85.8 % as
chosen (docs/latency.md, tenth round). onnxruntime's choice moves too (8–32 MiB over eight runs),
where the runs scored 78–95 %; it keeps the search (offline, two calibrations refitted with H = C
scored 2.0 and 4.4 points higher; the one benchmark run of H = C, k4ort, 82.6 %, drift −3.7 %)."""
MIN_STREAMED = 4
"""Fewest kernels of a streaming family (``KernelType.streams``) with at least
:data:`STREAMED_BYTES` of weights among the synthetic networks' for its ω to be fitted."""
STREAMED_BYTES = 2**18
"""Weight bytes from which a kernel counts towards :data:`MIN_STREAMED`."""
MAX_STREAM_SECONDS_PER_BYTE = 1e-8
"""The largest ω fitted (100 MB/s)."""


InNetwork = tuple[Kernel, float, float, bool]
"""A kernel of a synthetic network, its seconds inside the forward pass, the network's footprint
(``ForwardModel.footprint``) and whether the network streams the weights of its kernels that read
them once (``ForwardModel.streams_read_once``)."""


InNetworkFit = tuple[float, dict[str, float], dict[str, float], ForwardModel]
"""The weighted cost of an in-network fit, its factors f_κ, ω per kernel type, and the forward
terms with g, a, c, p and H set (s = 1)."""


def fit_in_network(
    data: Sequence[InNetwork],
    profile: DeviceProfile,
    cold: ForwardModel,
    hot_shares: Sequence[float] = HOT_SHARES,
) -> tuple[dict[str, float], dict[str, float], ForwardModel]:
    """The least-cost fit of :func:`in_network_fits` over the H of ``hot_shares``: the factors, ω
    per kernel type, and ``cold`` with g, a, c, p and H set (s = 1)."""
    _, factors, streams, terms = min(in_network_fits(data, profile, cold, hot_shares), key=lambda f: f[0])
    return factors, streams, terms


def in_network_fits(
    data: Sequence[InNetwork],
    profile: DeviceProfile,
    cold: ForwardModel,
    hot_shares: Sequence[float] = HOT_SHARES,
) -> Iterator[InNetworkFit]:
    """For each H of ``hot_shares`` (× C), in turn, the fit to the seconds y_k of the kernels
    inside the forward passes of the synthetic networks (``data``: kernel, y_k, its network's
    footprint W, whether the network streams read-once weights)::

        y_k = (1 + (f_κ − 1)·u_k)·M_p(t_k, ω_φ·cold_k) + g + a·B·written_k + c·cold_k,
        cold_k = 0 if W ≤ H, else min(weight bytes, C)

    (t_k isolated, as the profile's kernel models price it, × W(bytes) / W(memory) for a kernel that
    reads its weights once in a network that streams them and is not hot, as the prediction takes
    it: :func:`~archcalc.count.latency.read_once_factor`; M_p :meth:`ForwardModel.overlap`; u_k the
    share of t_k f_κ scales, :func:`~archcalc.count.latency.in_network_share` by ``cold``'s rule): the
    in-network factor f_κ of each kernel type with at least :data:`MIN_IN_NETWORK` kernels in
    ``data`` (within :data:`IN_NETWORK_BOUNDS`), the rate ω_φ of streaming cold weights of each
    family φ (``KernelType.streams``) with at least :data:`MIN_STREAMED` kernels of
    :data:`STREAMED_BYTES` or more, and g, a, c ≥ 0, on rows weighted by 1/√y_k (between the
    relative error, which lets the many tiny kernels decide, and the absolute, which lets the few
    big ones): given ω, p and H the rest is linear (``scipy.optimize.lsq_linear``, BVLS), and ω is
    found by ``scipy.optimize.least_squares`` on what that leaves, the best p of
    :data:`STREAM_NORMS` kept. The kernels are priced once for every H."""
    import numpy as np
    from scipy.optimize import least_squares, lsq_linear

    counts: dict[str, int] = {}
    for k, *_ in data:
        counts[layer_kind(k.head)] = counts.get(layer_kind(k.head), 0) + 1
    fitted = sorted(kind for kind, n in counts.items() if n >= MIN_IN_NETWORK)
    if not fitted or any(y <= 0 for _, y, *_ in data):
        raise ArchcalcError("in-network fit: needs kernels with positive times")
    big: dict[str, int] = {}
    for k, *_ in data:
        fam = KERNEL_TYPES[layer_kind(k.head)].streams
        if fam is not None and k.weight_bytes >= STREAMED_BYTES:
            big[fam] = big.get(fam, 0) + 1
    families = sorted(f for f, n in big.items() if n >= MIN_STREAMED)
    kinds = [layer_kind(k.head) for k, *_ in data]
    type_of = np.array([fitted.index(kd) if kd in fitted else -1 for kd in kinds])
    fam_of = np.array(
        [families.index(f) if (f := KERNEL_TYPES[kd].streams) in families else -1 for kd in kinds]
    )
    iso = [isolated(k, profile) for k, *_ in data]  # (type, compute, memory, overhead, factor, t_k)
    alone = np.array([i[-1] for i in iso])
    # a kernel that reads each weight once, in a network that streams them: as priced in it
    read_once = np.array([read_once_factor(k, profile, cold) if s else 1.0 for k, _, _, s in data])
    extra = np.array([kernel_reorder_seconds(k, profile) for k, *_ in data])
    # f applies to that share of t_k, from the roofline terms of the same kernel
    mem_share = np.array(
        [in_network_share(k, profile, cold, terms=i[1:4]) for (k, *_), i in zip(data, iso, strict=True)]
    )
    rows = np.array([forward_counts(k, cold) for k, *_ in data])  # kernels, written, cold bytes
    weights = np.array([w for _, _, w, _ in data])
    y = np.array([y for _, y, *_ in data])
    sw = 1.0 / np.sqrt(y)
    nf, ng = len(fitted), len(families)

    def linear_fit(omega: Any, p: float, cold_b: Any, t: Any) -> tuple[Any, Any]:
        """(weighted residuals, [f_κ…, g, a, c]) for given ω and p, the kernels' isolated seconds
        ``t``: the model is linear in the rest."""
        u = np.where(fam_of >= 0, omega[np.maximum(fam_of, 0)] if ng else 0.0, 0.0) * cold_b
        big_ = np.maximum(np.maximum(t, u), 1e-300)
        core = big_ * ((t / big_) ** p + (u / big_) ** p) ** (1.0 / p)
        cols = [np.where(type_of == i, core * mem_share, 0.0) for i in range(nf)]
        a = np.column_stack([*cols, rows[:, 0], rows[:, 1], cold_b]) * sw[:, None]
        # a type not fitted keeps f = 1; the compute share of a fitted one's time is not scaled
        target = (y - extra - np.where(type_of < 0, core, core * (1.0 - mem_share))) * sw
        norms = np.linalg.norm(a, axis=0)
        norms[norms == 0] = 1.0
        lo = np.array([IN_NETWORK_BOUNDS[0]] * nf + [0.0] * 3) * norms
        hi = np.array([IN_NETWORK_BOUNDS[1]] * nf + [np.inf] * 3) * norms
        fit = lsq_linear(a / norms, target, bounds=(lo, hi), method="bvls")
        return fit.fun, fit.x / norms

    unit = 1e-10  # ω searched in units of 100 ps/B
    for share in hot_shares:
        h = share * cold.weight_cap_bytes
        cold_b = np.where(weights > h, rows[:, 2], 0.0)
        t = np.where(weights > h, alone * read_once, alone)
        best: tuple[float, Any, Any, float] | None = None
        for p in STREAM_NORMS if ng else STREAM_NORMS[:1]:
            omega = np.zeros(ng)
            if ng:  # ω by least squares on the residuals the linear rest leaves
                found = least_squares(
                    lambda v, p=p, cold_b=cold_b, t=t: linear_fit(v * unit, p, cold_b, t)[0],
                    np.full(ng, 1.0),
                    bounds=(0.0, MAX_STREAM_SECONDS_PER_BYTE / unit),
                    ftol=1e-12,
                    xtol=1e-12,
                    gtol=1e-12,
                )
                omega = found.x * unit
            res, x = linear_fit(omega, p, cold_b, t)
            cost = float(np.sum(res**2))
            if best is None or cost < best[0]:
                best = (cost, x, omega, p)
        assert best is not None
        cost, x, omega_x, p = best
        factors = {kind: float(f) for kind, f in zip(fitted, x[:nf], strict=True)}
        omega = dict(zip(families, (float(v) for v in omega_x), strict=True))
        streams = {
            kind: omega[fam]
            for kind in profile.kinds
            if (fam := KERNEL_TYPES[kind].streams) is not None and fam in omega
        }
        g, a_w, c = (float(v) for v in x[nf:])
        terms = cold.model_copy(
            update={
                "node_seconds": g,
                "write_seconds_per_byte": a_w,
                "weight_seconds_per_byte": c,
                "stream_norm": p,
                "hot_weight_bytes": h,
            }
        )
        yield cost, factors, streams, terms


def nnls_relative(rows: list[list[float]], targets: list[float]) -> list[float]:
    """Non-negative θ minimising Σ_j ((rows_j·θ − y_j) / y_j)² (``scipy.optimize.nnls`` on the rows
    divided by their targets)."""
    import numpy as np
    from scipy.optimize import nnls

    if not rows or any(y <= 0 for y in targets):
        raise ArchcalcError("forward fit: needs at least one network with a positive time")
    y = np.array(targets, dtype=float)
    a = np.array(rows, dtype=float) / y[:, None]
    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    theta, _ = nnls(a / norms, np.ones(len(y)))
    return (theta / norms).tolist()


def fit_forward(
    data: list[tuple[list[Kernel], float]],
    profile: DeviceProfile,
    quick: bool = False,
    cold: ForwardModel | None = None,
    keep_terms: bool = False,
    fit_glue: bool = False,
) -> ForwardModel:
    """The :class:`ForwardModel` fitted to whole-forward seconds of networks at batch 1 (module doc);
    ``cold``: its C (the weight bytes per kernel that can be cold), which kernels' weights the term
    c prices (:data:`COLD_WEIGHTS`; default: the L3 size, every kernel) and H; with ``keep_terms``
    its g, a, c and H (fitted by :func:`fit_in_network`) are kept and s alone is fitted here (s and
    g with ``fit_glue``: ``Bench.glue_in_network`` false). The full fit (s, g, a, c) is made for
    each H of :data:`HOT_SHARES` (× C), the best kept."""
    import numpy as np
    from scipy.optimize import lsq_linear

    if not data or any(t <= 0 for _, t in data):
        raise ArchcalcError("forward fit: needs at least one network with a positive time")
    cold = cold if cold is not None else ForwardModel(weight_cap_bytes=cache_bytes(3, 2.0**25))
    ts = np.array([t for _, t in data])

    priced: dict[tuple[int, bool], list[float]] = {}

    def features(model: ForwardModel) -> Any:
        """The networks' :func:`forward_features` under ``model``, whose H only decides whether
        each network is hot: each network is priced at most once hot and once cold."""
        for i, (ks, _) in enumerate(data):
            key = (i, model.network_hot(ks))
            if key not in priced:
                priced[key] = forward_features(ks, profile, model)
        return np.array([priced[(i, model.network_hot(ks))] for i, (ks, _) in enumerate(data)])

    if keep_terms:  # g (unless fit_glue), a, c given: s (and g) on what they leave
        rows = features(cold)
        a = rows / ts[:, None]
        free = 2 if fit_glue else 1
        fixed = np.array([cold.node_seconds, cold.write_seconds_per_byte, cold.weight_seconds_per_byte])
        fixed = fixed[free - 1 :]
        lo, hi = [0.5, 0.0][:free], [2.0, np.inf][:free]
        theta = np.concatenate([lsq_linear(a[:, :free], 1.0 - a[:, free:] @ fixed, bounds=(lo, hi)).x, fixed])
    elif quick:  # s = 1: fit g alone on what the kernels leave
        rows = features(cold)
        a = rows / ts[:, None]
        g = lsq_linear(a[:, 1:2], 1.0 - a[:, 0], bounds=(0.0, np.inf)).x[0]
        theta = np.array([1.0, g, 0.0, 0.0])
    else:
        best: tuple[float, Any, Any, ForwardModel] | None = None
        for share in HOT_SHARES:
            model = cold.model_copy(update={"hot_weight_bytes": share * cold.weight_cap_bytes})
            rows_h = features(model)
            a = rows_h / ts[:, None]
            norms = np.linalg.norm(a, axis=0)
            norms[norms == 0] = 1.0
            lo = np.array([0.5, 0.0, 0.0, 0.0]) * norms
            hi = np.array([2.0, np.inf, np.inf, np.inf]) * norms
            fit = lsq_linear(a / norms, np.ones(len(ts)), bounds=(lo, hi))
            if best is None or fit.cost < best[0]:
                best = (float(fit.cost), fit.x / norms, rows_h, model)
        assert best is not None
        _, theta, rows, cold = best
    pred = rows @ theta
    return cold.model_copy(
        update={
            "scale": float(theta[0]),
            "node_seconds": float(theta[1]),
            "write_seconds_per_byte": float(theta[2]),
            "weight_seconds_per_byte": float(theta[3]),
            "networks": len(data),
            "fit_error": float(np.median(np.abs(pred / ts - 1.0))),
        }
    )


def fit_inside_and_forward(
    inside: Sequence[InNetwork],
    forwards: list[tuple[list[Kernel], float]],
    profile: DeviceProfile,
    cold: ForwardModel,
    fit_glue: bool = False,
    hot_shares: Sequence[float] = HOT_SHARES,
) -> tuple[DeviceProfile, ForwardModel]:
    """The profile with the in-network factors and streaming rates, and the forward terms, fitted
    for each H of ``hot_shares`` (× C) to the kernels clocked inside the synthetic networks
    (:func:`in_network_fits`) and then s (and g, ``fit_glue``) to their whole forwards
    (:func:`fit_forward`);
    the H whose whole forwards are predicted best (median relative error) kept. H is a network's
    fact, so the networks choose it: on the per-kernel times the small synthetic networks, whose
    kernels have little weight to stream, could hardly tell one H from another."""
    best: tuple[float, DeviceProfile, ForwardModel] | None = None
    for _, factors, streams, terms in in_network_fits(inside, profile, cold, hot_shares):
        fitted = profile.model_copy(
            update={
                "kinds": {
                    kind: m.model_copy(
                        update={
                            "in_network": factors.get(kind, 1.0),
                            "stream_seconds_per_byte": streams.get(kind),
                        }
                    )
                    for kind, m in profile.kinds.items()
                },
                "forward": terms,
            }
        )
        forward = fit_forward(forwards, fitted, False, terms, keep_terms=True, fit_glue=fit_glue)
        error = forward.fit_error if forward.fit_error is not None else math.inf
        if best is None or error < best[0]:
            best = (error, fitted, forward)
    assert best is not None
    return best[1], best[2]


def calibrate_reorders(
    b: Bench,
    profile: DeviceProfile,
    quick: bool,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
) -> KindModel:
    """The ``reorder`` kind's roofline, on bytes: each synthetic graph is one convolution whose input
    onnxruntime reorders into NCHWc and whose output back (:func:`reorder_graph`); both reorders are
    timed by the profiler and priced by the bytes they read and write."""
    import numpy as np

    rng = random.Random("onnxruntime:reorder")
    block = profile.nchwc_block
    cfgs = [reorder_config(rng) for _ in range(8 if quick else 32)]
    samples: list[tuple[float, float]] = []
    for cfg in wrap(cfgs):
        graph = reorder_graph(cfg)
        if graph is None:
            continue
        timed = b.reorders(graph)
        for k in group_kernels(layer_costs(graph), "onnxruntime", block):
            for r in k.reorders:
                t = timed.get((r.into_blocked, r.tensor))
                if t is not None and math.isfinite(t) and t > 0:
                    samples.append((float(r.read + r.written), t))
    if not samples:
        raise ArchcalcError("calibrate: no layout reorder could be timed")
    nbytes = np.array([s for s, _ in samples])
    return fit_rates(REORDER, nbytes, nbytes, np.array([t for _, t in samples]), profile)


NETWORK_ROUNDS = {False: 5, True: 1}
"""Times :func:`measure_networks` goes over the synthetic networks (a full calibration, a quick one).
This VM's speed wanders by 5–12 % over spells of 30–60 s (three networks timed back to back for 10
minutes: ``docs/latency.md``, eleventh round), and one pass over the 48 networks takes ~20 s: the
level a calibration set was that of its 20 seconds (profiles 4 % under to 10 % over the median of
21 clean measurements), which every prediction carries. Five rounds (+70 s on torch, +110 s on
onnxruntime): the drift between a calibration and the benchmark's measurement after it, over four
runs, 1.7 % on average (absolute) on torch (2.6 over the seven runs before) and 1.9 % on onnxruntime (2.4
over nine)."""


def measure_networks(
    b: Bench,
    nets: Sequence[Graph],
    rounds: int,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
) -> list[tuple[float, dict[str, float] | None]]:
    """(forward seconds, seconds of each layer inside it or None) of each of ``nets``: the medians
    over ``rounds`` passes over all of them in turn (:meth:`Bench.networks`: each network in a
    fresh process of its own), so that each network's figures come from moments spread over the
    whole measurement and from as many processes."""
    from itertools import chain
    from statistics import median

    runs = [g for _ in range(rounds) for g in nets]
    forwards: list[list[float]] = [[] for _ in nets]
    layers: list[dict[str, list[float]] | None] = [{} for _ in nets]
    measured = chain.from_iterable(b.networks(nets) for _ in range(rounds))
    # the measurements first in the zip: the last next() on them ends their generator before the
    # progress wrapper is exhausted
    for i, ((seconds, per_layer), _) in enumerate(
        zip(measured, wrap([("forward", g) for g in runs]), strict=True)
    ):
        j = i % len(nets)
        forwards[j].append(seconds)
        seen = layers[j]
        if per_layer is None:
            layers[j] = None
        elif seen is not None:
            for name, t in per_layer.items():
                seen.setdefault(name, []).append(t)
    return [
        (median(ts), None if ls is None else {name: median(v) for name, v in ls.items()})
        for ts, ls in zip(forwards, layers, strict=True)
    ]


def calibration_networks(count: int, max_macs: float, backend: str, seed: int = 0) -> list[Graph]:
    """``count`` synthetic networks from seeds ``seed``, ``seed + 1000`` …; on onnxruntime those
    ONNX cannot express (adaptive pooling with unequal windows) are passed over for the next seed."""
    out: list[Graph] = []
    i = 0
    while len(out) < count and i < 20 * count:
        g = synthetic_network(seed + 1000 * i, max_macs)
        i += 1
        if backend == "onnxruntime" and not exportable(g):
            continue
        out.append(g)
    return out


def calibrate(
    name: str,
    threads: int,
    quick: bool = False,
    wrap: Callable[[list[Any]], Iterable[Any] | Iterator[Any]] = _identity,
    backend: str = "torch",
) -> DeviceProfile:
    """Measure this machine on ``backend`` and fit every kernel type (module doc); nothing is saved."""
    _require_numerics()
    b = bench(backend, threads, quick)
    peak, curve, overhead = b.machine()
    block = b.nchwc_block()
    versions = b.versions()
    profile = DeviceProfile(
        format=PROFILE_FORMAT,
        name=name,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        host=socket.gethostname(),
        cpu=cpu_model(),
        backend=backend,  # type: ignore[arg-type]
        threads=threads,
        nchwc_block=block,
        profiler_bias=getattr(b, "bias", 0.0),
        profiler_bias_conv=getattr(b, "bias_conv", 0.0),
        torch_version=versions.get("torch", ""),
        versions=versions,
        quick=quick,
        peak_mac_rate=peak,
        copy_bandwidth=curve[-1][1],
        bandwidth_curve=curve,
        call_overhead=overhead,
        kinds={
            k: KindModel(
                mac_rate=peak if KERNEL_TYPES[k].on_macs else None,
                bw_efficiency=1.0 if KERNEL_TYPES[k].moves_data else None,
                overhead=overhead,
            )
            for k in backend_types(backend)
        },
        forward=ForwardModel(),
    )
    profile = profile.model_copy(update={"fused_passes": calibrate_passes(b, profile, wrap)})
    kinds: dict[str, KindModel] = {}
    learned: dict[str, KernelPredictor] = {}
    for kind in kinds_for(backend):

        def tagged(cfgs: list[Any], kind: str = kind) -> Iterable[Any]:
            return (c for _, c in wrap([(kind, c) for c in cfgs]))

        if KERNEL_TYPES[kind].sampled_as == "reorders":
            kinds[kind] = calibrate_reorders(b, profile, quick, tagged)
            continue
        roof, kp, _ = calibrate_kind(kind, b, profile, quick, tagged)
        kinds[kind] = roof
        if kp is not None:
            learned[kind] = kp
    profile = profile.model_copy(update={"kinds": kinds, "learned": learned})
    nets = calibration_networks(6, 5e7, backend) if quick else calibration_networks(48, 2e9, backend)
    # a kernel timed alone, call after call, keeps up to the last-level cache's size of weights
    # there; in a forward pass they can all come cold (torch priced the first L2 size of them until
    # its in-network factors were fitted, when the L3 size scored 5 points better: docs/latency.md)
    cold = ForwardModel(
        weight_cap_bytes=cache_bytes(3, 2.0**25),
        cold_weights=COLD_WEIGHTS[backend],  # type: ignore[arg-type]
        in_network_share=IN_NETWORK_SHARE[backend],  # type: ignore[arg-type]
        read_once_streams=True,
        read_once_when=READ_ONCE_WHEN,
        written_in_footprint=WRITTEN_IN_FOOTPRINT,
    )
    forwards: list[tuple[list[Kernel], float]] = []
    inside: list[InNetwork] | None = None if quick else []
    measured = measure_networks(b, nets, NETWORK_ROUNDS[quick], wrap)
    for g, (seconds, per_layer) in zip(nets, measured, strict=True):
        ks = group_kernels(layer_costs(g), backend, block)
        forwards.append((ks, seconds))
        if per_layer is None:
            inside = None
        elif inside is not None:
            # streamed at H = 0 under "not_hot": the in-network fit prices read-once kernels
            # streamed only where the footprint exceeds the H it tries
            w, streamed = cold.footprint(ks), cold.streams_read_once(ks)
            timed = [(k, sum(per_layer.get(x.name, 0.0) for x in k.layers)) for k in ks]
            inside += [(k, y, w, streamed) for k, y in timed if y > 0]
    try:
        if inside:
            profile, forward = fit_inside_and_forward(
                inside, forwards, profile, cold, not b.glue_in_network, HOT_SHARES_OF[backend]
            )
        else:
            forward = fit_forward(forwards, profile, quick, cold)
    except ValidationError as e:  # a fit outside the bounds a profile file may hold
        err = e.errors()[0]
        raise ArchcalcError(
            f"calibration fitted forward.{'.'.join(map(str, err['loc']))} outside what a profile may "
            f"hold ({err['msg']}); the machine was too busy to measure: run it again"
        ) from None
    return profile.model_copy(update={"forward": forward})


__all__ = [
    "BOUNDS",
    "NETWORK_ROUNDS",
    "READ_ONCE_WHEN",
    "cache_bytes",
    "calibrate",
    "calibrate_kind",
    "calibrate_passes",
    "calibrate_reorders",
    "calibration_networks",
    "cpu_model",
    "exportable",
    "fit_forward",
    "fit_in_network",
    "fit_inside_and_forward",
    "fit_learned",
    "fit_rates",
    "fit_roofline",
    "forward_counts",
    "forward_features",
    "forward_row",
    "in_network_fits",
    "learned_features",
    "measure_networks",
    "nnls_relative",
]
