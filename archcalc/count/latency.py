"""Predicted CPU latency of a network from its closed-form cost and a measured device profile.

Pure Python, no torch or numpy: ``archcalc table --latency`` uses it. The profile comes from
``archcalc calibrate --backend torch|onnxruntime`` (``archcalc/measure/calibrate.py``), which times
synthetic kernels and synthetic networks on this machine, on one backend, and the profile predicts
for that backend only (:func:`check_profile_backend`).

**Kernels.** A backend runs *kernels*, not layers: eager torch one call per layer; onnxruntime
folds batch norm, activations and residual adds into the convolution before them
(:mod:`archcalc.count.kernels`, whose grouping each op class states). A kernel's type is the kind
(see :data:`KINDS`) of its first layer, and its time is a roofline with one set of constants per
kind k, times a learned factor::

    t(kernel) = (max(work_k / R_k,  bytes(B) / (e_k · W(bytes(B)))) + o_k) · exp(r̂_k(x))  +  π

    bytes(B) = B · (activation bytes read + activation bytes written) + weight bytes
               (a fused kernel reads its external inputs once and writes only what leaves it)
    work_k   = MACs · B  of its first layer, for conv and linear kinds (R_k in MAC/s),
               bytes(B)  for the data kinds (R_k in bytes/s: a flat processing rate, e.g. the
                         comparisons of a max pool or the exp of a sigmoid)

where B is the batch, R_k the kind's sustained rate, W(b) the bandwidth of a plain copy moving b
bytes on this machine (measured at several sizes and interpolated log–log: caches make small copies
several times faster than large ones), e_k the kind's efficiency relative to that copy, o_k its
per-call overhead (s), and r̂_k the kind's gradient-boosted trees over the kernel's features
(:mod:`archcalc.count.learned`; 0 where calibration kept none), and π the passes the layers fused
into the kernel make over its output (:func:`fused_pass_seconds`: onnxruntime's MLAS applies a
fused ReLU inside a convolution's loop and ReLU6, h-swish, h-sigmoid and sigmoid in a pass of their
own over each block of output, at rates calibration measures per function and layout). Which
roofline term is the larger
decides the ``bound`` (:func:`roofline_bound`, the one definition ``--traffic`` uses too):
``compute`` (a conv or linear kind right of the ridge point R_k / (e_k·W) MACs/byte), ``memory``
(left of it, and every kind priced on bytes: both its terms move bytes), or ``overhead`` when o_k
exceeds both.

What is predicted for the layers torch does not really run as a data pass:

- ``view`` (flatten, channel slice): torch returns a view, no bytes move; t = o_k only.
- batch norm, activations, add, mul, pooling and ``copy`` (concat, channel shuffle):
  priced on bytes only. Their MACs (fvcore counts batch norm and average pooling) are ignored, so
  the prediction is the same under every counting convention.

In a real forward pass a network costs more than the sum of its kernels timed in isolation (each
over and over on the same input): the walk of the graph and tensor bookkeeping per kernel,
allocation and first touch (page faults) of every fresh output tensor, weights that are not in
cache, and whatever else differs per kernel type between an isolated call and one among others.
``archcalc calibrate`` times random synthetic networks (:mod:`archcalc.measure.synthetic_networks`)
and fits the profile's forward constants. The predicted seconds of kernel i in a forward pass,
and the network total, are::

    T_i = s · (1 + (f_κ − 1) · u_i) · M_p(t_i, ω_κ · cold_i)  +  g  +  a · B · written_i  +  c · cold_i
    u_i = (memory_i + overhead_i) / (max(compute_i, memory_i) + overhead_i)
    cold_i = min(weight_bytes_i, C), or 0 in a network whose footprint F is at most H
    F = Σ weight bytes + λ · B · Σ bytes written        (λ = 2: :meth:`ForwardModel.footprint`)
    M_p(t, u) = (t^p + u^p)^(1/p)
    T   = Σ_i T_i

where t_i is the kernel time above, f_κ the in-network factor of its type κ
(:attr:`KindModel.in_network`), applied to the share u_i of the kernel's isolated time that its
memory traffic and call overhead set (its roofline terms, :func:`memory_share`: 1 for a kernel
bound by memory or overhead; 1 for every kernel where :attr:`ForwardModel.in_network_share` is
``all``, as calibration sets it on onnxruntime; on torch a compute-bound convolution keeps its
isolated time, as VGG-16's ran
in a network within 2 % of their isolated model while f_dense = 1.11 priced them 11 % dear:
docs/latency.md, twelfth round), s a scale on the kernels, g the glue seconds per kernel, a the
seconds per byte of a freshly written output tensor (0 bytes for views), c the seconds per weight
byte read cold, and C the last-level (L3) cache size: a kernel timed alone, call after call,
keeps up to C of its weights in cache, which in a forward pass can all come cold (weights beyond
it come from memory in the isolated timing as well). A network whose footprint is at most H
(:attr:`ForwardModel.hot_weight_bytes`, a share of C) finds its weights in cache from one forward
pass to the next: none is cold. The footprint counts what passes through the cache between two
reads of a weight: the weights, and each activation written and read back (λ = 2,
:attr:`ForwardModel.written_in_footprint`; profiles made before 2026-12-05's fourth session: the
weights alone). ω_κ (:attr:`KindModel.stream_seconds_per_byte`) is the time a
kernel of type κ takes per cold weight byte it streams from memory, which its work hides in part:
M_p is the larger of the two for large p, their sum for p = 1 (eager torch reorders a
convolution's weights on every call, so a 1×1 convolution of 512 → 2048 channels on a 5×5 map is
bound by its 4 MiB of weights, ~4 GB/s cold, not by its MACs). Calibration clocks every kernel
inside the synthetic networks' forward passes (torch: ``GraphModule.forward``; onnxruntime: its
profiler, less the profiler's per-kernel bias) and fits f_κ, ω, g, a and c to those per-kernel
times (p the best of a few candidates), then s (near 1) to the whole forwards — on onnxruntime s
and g, as the bias taken off each profiled kernel is known to about g's size — for each of a few
H, and keeps the H whose forwards it predicts best (profiles of onnxruntime made before
2026-12-05's fifth session: every f_κ 1, no ω, s, g, a, c fitted to the whole forwards). On
onnxruntime
(``ForwardModel.cold_weights = "reused"``) cold_i is 0 for a kernel that reads each weight at most
once per call (B·MACs ≤ weight elements: a fully connected layer at batch 1, a convolution on a 1×1
map): its isolated time streams its weights, while a convolution's hid their reads in its
compute when they stayed in cache (:meth:`ForwardModel.cold_bytes`). In a network that is not
hot (its footprint over H; in profiles made before 2026-12-06's eleventh session, its weights alone
over C) such a kernel's isolated time is taken × W(bytes) / W(memory) (:func:`in_network_seconds`,
:meth:`ForwardModel.streams_read_once`): timed alone its weights came from the cache when they fit
there (AlexNet α = 0.5's 16 MiB fc7: 0.18 ms alone, 0.37 ms in the network, where its weights come
from memory at 45 GB/s; MobileNet V2 α = 1's 5 MiB classifier at 224 px 0.06 ms alone, 0.30 ms in
a network of 13.5 MiB of weights). Per layer, a kernel's T_i is shown on
its first layer and the layers fused into it show 0.

**Layout reorders (onnxruntime).** The NCHW ↔ NCHWc reorders onnxruntime inserts
(:func:`archcalc.count.kernels.assign_layout`) are kernels too, of type ``reorder`` (a data type
priced on the bytes it reads and writes): each adds s·t_r + g + a·B·written_r to the kernel it is
run for (``LayerLatency.reorder_seconds`` holds its t_r).

The bytes are the closed form's traffic at the report's dtype; the profile is measured at one dtype
(fp32), and a report at another dtype is refused rather than silently mispriced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from archcalc.count.closed_form import LayerCost, Report
from archcalc.count.header import AtSetting
from archcalc.count.kernel_types import KERNEL_TYPES, REORDER, backend_types
from archcalc.count.kernels import FEATURES, Kernel, check_backend, group_kernels, kernel_features
from archcalc.count.learned import KernelPredictor
from archcalc.errors import ArchcalcError, ArchcalcTypeError
from archcalc.inputs.limits import MAX_PROFILE_NAME, MAX_THREADS
from archcalc.model.ops import PRIMITIVES

KINDS: dict[str, str] = {name: t.holds for name, t in KERNEL_TYPES.items()}
"""The profile's kernel types (:mod:`archcalc.count.kernel_types`), with what each holds. Each
primitive op class says which one it is priced as (``Op.latency_kind`` / ``Op.row_latency_kind``);
:func:`layer_kind` asks it."""

PRICED_CONVENTION = "paper"
"""The MACs the roofline's compute term prices (conv + linear multiply-adds), under any report
convention: a prediction does not depend on how a counter tallies."""

FORMULA = (
    "T = s·(1 + (f − 1)·u)·M_p(t, ω·cold) + g + a·B·written + c·cold per kernel, summed (cold: the "
    "kernel's weight bytes up to C, 0 in a network of at most H weight bytes; M_p(t, u) = (t^p + "
    "u^p)^(1/p); u: the share of t its memory and overhead terms set); "
    "t = (max(work / R_kind, bytes(B) / (e_kind·W_copy(bytes))) + o_kind)·exp(r_kind); work = MACs·B "
    "(conv, linear) or bytes(B) (data kinds); bytes(B) = B·activations + weights"
)

PROFILE_FORMAT = 4
"""Version of the profile file; a profile of another version must be re-measured (4: measured with
glibc's malloc thresholds fixed, :mod:`archcalc.measure.heap`, as ``archcalc time`` now times;
earlier profiles were fitted partly to forward passes that faulted their activations in on every
call. 3: the in-network factor f_κ scales the share of a kernel's time
:attr:`ForwardModel.in_network_share` names, on torch its memory share, :func:`memory_share`; 2
scaled all of it)."""

DEFAULT_PROFILE = "default"


def default_profile_name(backend: str = "torch") -> str:
    """``default`` for torch, ``default-onnxruntime`` for onnxruntime."""
    return DEFAULT_PROFILE if backend == "torch" else f"{DEFAULT_PROFILE}-{check_backend(backend)}"


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_PROFILE_BYTES = 16 << 20
"""Largest profile file read (a calibrated one, learned predictors included, is far smaller)."""

MIN_RATE, MAX_RATE = 1.0, 1e30
"""Every rate in a profile (MACs/s, bytes/s) lies in [1, 10³⁰] (a real CPU is below 10¹⁵; a
hand-made profile may set a rate to 10³⁰ to make a term free): with the other bounds below and the
limits of :mod:`archcalc.inputs.limits`, every predicted time is a finite number of seconds."""
MAX_SECONDS = 10.0
"""Most seconds per call (overheads) or per graph node a profile may state."""
Rate = Annotated[float, Field(ge=MIN_RATE, le=MAX_RATE)]


class _ProfilePart(BaseModel):
    """A part of a profile file: finite numbers only (no ``Infinity``, ``NaN``), no lax types."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False)


def layer_kind(layer: LayerCost) -> str:
    """The profile kind of one layer, as its op class says (``Op.row_latency_kind``)."""
    cls = PRIMITIVES.get(layer.kind)
    kind = None if cls is None else cls.row_latency_kind(layer)
    if kind is None:
        raise ArchcalcError(f"layer {layer.name}: no latency kind for op {layer.kind!r}")
    if kind not in KINDS:
        raise ArchcalcError(
            f"layer {layer.name}: op {layer.kind!r} names latency kind {kind!r}, which is not a "
            f"profile kind ({', '.join(KINDS)})"
        )
    return kind


class KindModel(_ProfilePart):
    """The roofline constants of one layer kind."""

    mac_rate: Rate | None = Field(None, description="sustained MACs per second (compute kinds)")
    byte_rate: Rate | None = Field(
        None, description="processing rate in bytes per second, flat in size (data kinds; None: none)"
    )
    bw_efficiency: float | None = Field(
        None,
        ge=1e-6,
        le=1e3,
        description="bandwidth as a fraction of a plain copy's at the same size (None: no byte term)",
    )
    overhead: float = Field(ge=0, le=MAX_SECONDS, description="seconds per call on top of the roofline")
    samples: int = Field(0, ge=0, description="calibration shapes the constants were fitted to")
    fit_error: float | None = Field(
        None, ge=0, description="median |predicted − measured| / measured over those shapes (0–1)"
    )
    in_network: float = Field(
        1.0,
        gt=0,
        le=100,
        description="f: seconds of a kernel of this type inside a forward pass over its isolated seconds "
        "(fitted on the per-kernel times of the synthetic networks; 1 where none were measured)",
    )
    stream_seconds_per_byte: float | None = Field(
        None,
        ge=0,
        le=1.0,
        description="ω: seconds per weight byte a kernel of this type takes to stream its weights from "
        "memory in a forward pass (cold weights, overlapping its work: see ForwardModel.stream_norm; "
        "fitted on the synthetic networks' per-kernel times; None: not priced)",
    )


class ForwardModel(_ProfilePart):
    """What a whole forward pass adds to the roofline of each layer (see module doc):
    T_i = s·(1 + (f_κ − 1)·u_i)·M_p(t_i, ω_κ·cold_i) + g + a·B·written_i + c·cold_i
    (:meth:`cold_bytes`; f_κ: :attr:`KindModel.in_network`; u_i: :func:`in_network_share`; ω_κ:
    :attr:`KindModel.stream_seconds_per_byte`; M_p: :meth:`overlap`)."""

    scale: float = Field(1.0, ge=0, le=1e3, description="s: factor on each layer's roofline seconds")
    node_seconds: float = Field(0.0, ge=0, le=MAX_SECONDS, description="g: glue seconds per graph node")
    write_seconds_per_byte: float = Field(
        0.0,
        ge=0,
        le=1.0,
        description="a: seconds per byte of a fresh output tensor (allocation, first touch)",
    )
    weight_seconds_per_byte: float = Field(
        0.0, ge=0, le=1.0, description="c: seconds per weight byte read cold"
    )
    weight_cap_bytes: float = Field(
        2.0**21,
        gt=0,
        le=MAX_RATE,
        description="C: weight bytes per layer that can be cold (the L3 cache: weights beyond it are "
        "streamed from memory in the isolated layer timing too; the per-core L2 in torch profiles made "
        "before 2026-12-05)",
    )
    cold_weights: Literal["all", "reused"] = Field(
        "all",
        description="which kernels' weights the term c prices: 'all' (torch), or only those of a kernel "
        "that reads each weight more than once per call (B·MACs > weight elements: a convolution on a "
        "map larger than 1×1; onnxruntime), whose isolated time hid the weights' reads in its compute",
    )
    hot_weight_bytes: float = Field(
        0.0,
        ge=0,
        le=MAX_RATE,
        description="H: a network whose weights total at most H bytes keeps them in cache from one "
        "forward pass to the next, and none is cold (torch: C, since 2026-12-05's sixth session; "
        "onnxruntime: the candidate whose synthetic networks' forwards are predicted best; 0: every "
        "network's weights are cold)",
    )
    stream_norm: float = Field(
        4.0,
        ge=1.0,
        le=64.0,
        description="p of M_p(t, ω·cold) = (t^p + (ω·cold)^p)^(1/p): how far a kernel's work hides the "
        "streaming of its cold weights (p = 1: not at all, the two add; p → ∞: wholly, the larger wins)",
    )
    in_network_share: Literal["memory", "all"] = Field(
        "memory",
        description="the share of a kernel's isolated time its type's in-network factor f scales: "
        "'memory', the share its memory traffic and overhead set (memory_share: a compute-bound "
        "convolution keeps its isolated time), or 'all' of it",
    )
    read_once_streams: bool = Field(
        False,
        description="under cold_weights = 'reused', a kernel that reads each weight once streams its "
        "weights at the memory's bandwidth in a network that streams them (read_once_when): its isolated "
        "time, which found them in cache when they fit, times W(bytes) / W(memory) (false in "
        "profiles calibrated before 2026-12-05's fourth session)",
    )
    read_once_when: Literal["over_cap", "not_hot"] = Field(
        "over_cap",
        description="under read_once_streams, the networks whose read-once kernels stream their weights "
        "from memory: 'over_cap', those whose weights alone exceed C (profiles calibrated before "
        "2026-12-06's eleventh session), or 'not_hot', every network that does not keep its weights "
        "in cache (footprint over H): its activations and other weights evict a fully connected "
        "layer's weights between two passes even when all the weights would fit in C",
    )
    written_in_footprint: float = Field(
        0.0,
        ge=0,
        le=16.0,
        description="λ: a network keeps its weights in cache when its weights plus λ × the bytes its "
        "kernels write total at most H (2: each activation written and read back passes through the "
        "cache between two reads of a weight; 0, the weights alone, in profiles calibrated before "
        "2026-12-05's fourth session)",
    )
    networks: int = Field(0, ge=0, description="synthetic networks the constants were fitted to")
    fit_error: float | None = Field(
        None, ge=0, description="median |predicted − measured| / measured over those networks (0–1)"
    )

    def footprint(self, kernels: Sequence[Kernel], batch: int = 1) -> float:
        """F = Σ weight bytes + λ·B·Σ bytes written of the network of ``kernels``: what a forward
        pass moves through the cache between two reads of a weight (λ =
        :attr:`written_in_footprint`)."""
        written = batch * sum(k.bytes_written for k in kernels) if self.written_in_footprint else 0
        return sum(k.weight_bytes for k in kernels) + self.written_in_footprint * written

    def network_hot(self, kernels: Sequence[Kernel], batch: int = 1) -> bool:
        """The network of ``kernels`` keeps its weights in cache between forward passes at ``batch``:
        its :meth:`footprint` is at most H bytes."""
        return self.footprint(kernels, batch) <= self.hot_weight_bytes

    def streams_read_once(self, kernels: Sequence[Kernel], batch: int = 1) -> bool:
        """Under :attr:`read_once_streams`, whether a kernel of the network of ``kernels`` that
        :meth:`reads_once` finds its weights in memory, not in the cache, by
        :attr:`read_once_when`: the network is not hot at ``batch`` (:meth:`network_hot`: its
        footprint exceeds H), or (``over_cap``, older profiles) its weights alone exceed C.
        AlexNet's fully connected layers after 37–151 MiB of fc6 stream either way; on the 2-core
        VM of 2026-12-06 (onnxruntime, 32 MiB L3) MobileNet V2 α = 1 at 224 px ran its 5 MiB
        classifier in 0.30 ms in the network against 0.06 ms alone, with 13.5 MiB of weights (under
        C) and 65 MiB of footprint; on an earlier VM it had run 1.3 × its isolated time."""
        if not self.read_once_streams:
            return False
        if self.read_once_when == "not_hot":
            return not self.network_hot(kernels, batch)
        return sum(k.weight_bytes for k in kernels) > self.weight_cap_bytes

    def reads_once(self, weight_bytes: int, macs: int, batch: int = 1) -> bool:
        """Under ``cold_weights = "reused"``: the kernel has weights and reads each at most once per
        call (B·MACs ≤ weight elements at fp32, e.g. a fully connected layer at batch 1)."""
        return self.cold_weights == "reused" and weight_bytes > 0 and batch * macs * 4 <= weight_bytes

    def cold_bytes(self, weight_bytes: int, macs: int, batch: int = 1, hot: bool = False) -> float:
        """The weight bytes of a kernel or layer read cold in a forward pass: 0 in a network whose
        weights stay in cache (``hot``, :meth:`network_hot`), else min(weight_bytes, C), or 0 for a
        kernel that :meth:`reads_once` (its time streams them: :func:`in_network_seconds`)."""
        if hot or self.reads_once(weight_bytes, macs, batch):
            return 0.0
        return float(min(weight_bytes, self.weight_cap_bytes))

    def overlap(self, seconds: float, streaming: float) -> float:
        """M_p(t, u) = (t^p + u^p)^(1/p), p = :attr:`stream_norm`: a kernel's ``seconds`` of work and
        the ``streaming`` seconds of its cold weights, overlapping in part (t when u = 0)."""
        if streaming <= 0.0:
            return seconds
        p = self.stream_norm
        big = max(seconds, streaming)  # scaled, so that no power overflows
        return big * ((seconds / big) ** p + (streaming / big) ** p) ** (1.0 / p)

    def kernel_extra_seconds(self, k: Kernel, kind: str, batch: int = 1, hot: bool = False) -> float:
        """g + a·B·written + c·cold weight bytes of one kernel (a single layer: :meth:`extra_seconds`),
        plus g + a·B·written of each layout reorder run for it (onnxruntime)."""
        a = self.write_seconds_per_byte
        reorders = sum(self.node_seconds + a * batch * r.written for r in k.reorders)
        if len(k.layers) == 1:
            return self.extra_seconds(k.head, kind, batch, hot) + reorders
        return (
            self.node_seconds
            + self.write_seconds_per_byte * batch * k.bytes_written
            + self.weight_seconds_per_byte * self.cold_bytes(k.weight_bytes, k.macs, batch, hot)
            + reorders
        )

    def extra_seconds(self, layer: LayerCost, kind: str, batch: int = 1, hot: bool = False) -> float:
        """g + a·B·written + c·cold weight bytes (:meth:`cold_bytes`) of one layer (views write
        nothing)."""
        written = batch * layer.bytes_written if KERNEL_TYPES[kind].moves_data else 0
        return (
            self.node_seconds
            + self.write_seconds_per_byte * written
            + self.weight_seconds_per_byte * self.cold_bytes(layer.weight_bytes, layer.macs, batch, hot)
        )


class DeviceProfile(_ProfilePart):
    """A machine's measured copy bandwidth, MAC rates, efficiencies and overheads, per layer kind."""

    format: Literal[4] = Field(description="profile file version (see PROFILE_FORMAT)")
    name: str
    created: str = Field(description="when it was measured (ISO 8601)")
    host: str = ""
    cpu: str = Field(description="CPU model as the OS reports it")
    backend: Literal["torch", "onnxruntime"] = Field(
        "torch", description="what ran the kernels: eager torch, or onnxruntime's CPU provider"
    )
    threads: int = Field(ge=1, le=MAX_THREADS, description="intra-op threads during calibration")
    nchwc_block: int = Field(
        0,
        ge=0,
        le=64,
        description="onnxruntime's NCHWc block size on this CPU, as probed by calibration (16 with "
        "AVX-512, 8 with AVX2; 0: no blocked layout, and always 0 on torch)",
    )
    profiler_bias: float = Field(
        0.0,
        ge=0,
        le=MAX_SECONDS,
        description="seconds onnxruntime's profiler adds to each kernel it times, measured by calibration "
        "and taken off every profiled kernel time before the fits (0 on torch)",
    )
    profiler_bias_conv: float = Field(
        0.0,
        ge=0,
        le=MAX_SECONDS,
        description="the same for a convolution kernel, which onnxruntime's profiler burdens more (0 on "
        "torch, and in a profile measured before it was told apart)",
    )
    torch_version: str = Field("", description="torch's version ('' when torch was not used)")
    versions: dict[str, str] = Field(
        default_factory=dict, description="versions of the libraries measured and fitted with"
    )
    dtype: Literal["fp32"] = "fp32"
    quick: bool = Field(False, description="measured with --quick (few shapes, short runs)")
    peak_mac_rate: Rate = Field(description="large GEMM, MACs per second")
    copy_bandwidth: Rate = Field(description="largest tensor copy, bytes (read + written) per second")
    bandwidth_curve: list[tuple[Annotated[float, Field(gt=0, le=MAX_RATE)], Rate]] = Field(
        min_length=1,
        description="[bytes moved, bytes per second] of a tensor copy, ascending in bytes; "
        "W(b) interpolates it log–log and is constant past either end",
    )
    call_overhead: float = Field(
        ge=0, le=MAX_SECONDS, description="a tiny op through an nn.Module call, seconds"
    )
    kinds: dict[str, KindModel] = Field(description="roofline constants per layer kind (see KINDS)")
    forward: ForwardModel = Field(description="whole-forward terms on top of the roofline (see module doc)")
    learned: dict[str, KernelPredictor] = Field(
        default_factory=dict,
        description="per kernel type, the learned factor exp(r̂) on its roofline (archcalc.count.learned); "
        "a type without one is priced by the roofline alone",
    )
    fused_passes: dict[str, Annotated[float, Field(ge=0, le=1.0)]] = Field(
        default_factory=dict,
        description="seconds per output byte of the pass a layer fused into a kernel makes over the "
        "kernel's output (Op.row_fused_pass: onnxruntime's activations but ReLU), by "
        "'NAME@nchwc' or 'NAME@nchw' (the kernel's layout), as calibration measured them "
        "(a pass not measured costs nothing)",
    )

    @field_validator("bandwidth_curve", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """[bytes, bytes/s] pairs as Python lists too (strict validation takes tuples only)."""
        if isinstance(value, list):
            return [tuple(p) if isinstance(p, list) else p for p in value]
        return value

    @model_validator(mode="after")
    def _complete(self) -> DeviceProfile:
        missing = [k for k in backend_types(self.backend) if k not in self.kinds]
        if missing:
            raise ValueError(f"kinds misses {', '.join(missing)}")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"kinds has unknown {', '.join(unknown)}")
        unknown = [k for k in self.learned if k not in KINDS]
        if unknown:
            raise ValueError(f"learned has unknown {', '.join(unknown)}")
        for k, m in self.kinds.items():
            if KERNEL_TYPES[k].on_macs and m.mac_rate is None:
                raise ValueError(f"kinds.{k}.mac_rate is required")
            if KERNEL_TYPES[k].moves_data and m.bw_efficiency is None:
                raise ValueError(f"kinds.{k}.bw_efficiency is required")
        xs = [b for b, _ in self.bandwidth_curve]
        if any(b <= 0 or w <= 0 for b, w in self.bandwidth_curve) or xs != sorted(set(xs)):
            raise ValueError("bandwidth_curve must hold positive [bytes, bytes/s] pairs, ascending in bytes")
        return self

    def bandwidth(self, nbytes: float) -> float:
        """W(b): copy bandwidth (bytes/s) at ``nbytes`` moved, log–log interpolated in the curve."""
        pts = self.bandwidth_curve
        if nbytes <= pts[0][0]:
            return pts[0][1]
        for (b0, w0), (b1, w1) in pairwise(pts):
            if nbytes <= b1:
                f = (math.log(nbytes) - math.log(b0)) / (math.log(b1) - math.log(b0))
                return math.exp(math.log(w0) + f * (math.log(w1) - math.log(w0)))
        return pts[-1][1]

    @property
    def memory_bandwidth(self) -> float:
        """W at the largest copy measured: the memory's, past every cache (a quick profile's largest
        copy, 4 MiB, is not)."""
        return self.bandwidth_curve[-1][1]

    def ridge(self, kind: str, nbytes: float) -> float | None:
        """The kind's ridge point R_k / (e_k·W(b)) in MACs per byte, for a layer moving ``nbytes``
        (None for kinds without a MAC term)."""
        m = self.kinds[kind]
        if not m.mac_rate or not m.bw_efficiency:
            return None
        return m.mac_rate / (m.bw_efficiency * self.bandwidth(nbytes))


class LayerLatency(BaseModel):
    name: str
    kind: str = Field(description="profile kind (see archcalc.count.latency.KINDS)")
    kernel: str = Field(
        description="the kernel the layer runs in, named by its first layer (the layer itself on torch)"
    )
    seconds: float = Field(
        description="in a forward pass: s·(max(compute, memory) + overhead)·exp(r̂) + forward, "
        "for the kernel's first layer; 0 for the layers fused into it"
    )
    compute_seconds: float = Field(description="work / R_kind (MACs·B, or bytes(B) for data kinds)")
    memory_seconds: float = Field(description="bytes(B) / (e_kind·W_copy(bytes(B)))")
    overhead_seconds: float
    forward_seconds: float = Field(description="g + a·B·written + c·cold weight bytes: forward terms")
    bound: Literal["compute", "memory", "overhead"] = Field(description="of the roofline terms")
    learned_factor: float = Field(1.0, description="exp(r̂): the kernel type's learned correction")
    reorder_seconds: float = Field(
        0.0,
        description="of the roofline seconds, those of the NCHW ↔ NCHWc reorders onnxruntime runs for "
        "the kernel (before it for an input, after it for an output); in seconds too",
    )


class LatencyPrediction(AtSetting):
    profile: str
    backend: str = Field("torch", description="the profile's backend: what the prediction is for")
    threads: int = Field(description="threads the profile was measured with")
    batch: int
    dtype: str
    formula: str = FORMULA
    layers: list[LayerLatency]
    total_ms: float
    by_kind_ms: dict[str, float]
    kernels: int = Field(0, description="kernels the backend runs (= layers on torch), reorders aside")
    reorders: int = Field(0, description="NCHW ↔ NCHWc layout reorders onnxruntime runs besides")


def moved_bytes(layer: LayerCost, batch: int = 1) -> int:
    """bytes(B) = B·(activation bytes read + written) + weight bytes (weights are read once)."""
    return batch * (layer.bytes_read + layer.bytes_written - layer.weight_bytes) + layer.weight_bytes


def kernel_bytes(k: Kernel, batch: int = 1) -> int:
    """bytes(B) of a kernel: a single layer's :func:`moved_bytes`; a fused kernel reads its external
    inputs and weights and writes only what leaves it (``Kernel.moved_bytes``)."""
    return moved_bytes(k.head, batch) if len(k.layers) == 1 else k.moved_bytes(batch)


def roofline_bound(kind: str, compute: float, memory: float, overhead: float) -> str:
    """``overhead`` when o_k exceeds both roofline terms; else ``compute`` for a conv or linear kind
    whose MAC term is the larger (MACs/byte ≥ the ridge point), ``memory`` otherwise (a kind priced
    on bytes is memory-bound whichever of its two byte terms is larger)."""
    if overhead > max(compute, memory):
        return "overhead"
    return "compute" if KERNEL_TYPES[kind].on_macs and compute >= memory else "memory"


def kernel_terms(k: Kernel, profile: DeviceProfile, batch: int = 1) -> tuple[str, float, float, float]:
    """(type, compute s, memory s, overhead s) of kernel ``k``: its head's kind's roofline over the
    kernel's bytes; the MAC term counts the head's MACs (fused batch norm, activation and add are
    priced by the bytes and the learned factor)."""
    layer = k.head
    kind = layer_kind(layer)
    m = profile.kinds[kind]
    t = KERNEL_TYPES[kind]
    if not t.moves_data:
        return kind, 0.0, 0.0, m.overhead
    nbytes = kernel_bytes(k, batch)
    if t.on_macs:
        compute = k.priced_macs * batch / m.mac_rate if m.mac_rate else 0.0
    else:
        compute = nbytes / m.byte_rate if m.byte_rate else 0.0
    memory = nbytes / (m.bw_efficiency * profile.bandwidth(nbytes)) if m.bw_efficiency else 0.0
    return kind, compute, memory, m.overhead


def _terms(layer: LayerCost, profile: DeviceProfile, batch: int) -> tuple[str, float, float, float]:
    return kernel_terms(Kernel([layer]), profile, batch)


def layer_seconds(layer: LayerCost, profile: DeviceProfile, batch: int = 1) -> float:
    """Predicted seconds of one layer: max(MACs·B / R_k, bytes(B) / (e_k·W)) + o_k (see module doc)."""
    _, compute, memory, overhead = _terms(layer, profile, batch)
    return max(compute, memory) + overhead


def learned_factor(k: Kernel, profile: DeviceProfile, batch: int, compute: float, memory: float) -> float:
    """exp(r̂) of the kernel's type (1 without a learned predictor), r̂ clamped to ±3 (a factor of 20)
    so a kernel far outside the calibrated shapes cannot run away."""
    p = profile.learned.get(layer_kind(k.head))
    if p is None:
        return 1.0
    named = dict(zip(FEATURES, kernel_features(k, batch, compute, memory, profile.threads), strict=True))
    missing = [f for f in p.features if f not in named]
    if missing:
        raise ArchcalcError(
            f"profile {profile.name!r}: its learned predictor reads unknown features ({', '.join(missing)}); "
            "re-run `archcalc calibrate`"
        )
    r = p.residual([named[f] for f in p.features])
    if math.isnan(r):  # finite leaves whose sum overflows both ways
        raise ArchcalcError(f"profile {profile.name!r}: the learned predictor gives no number")
    return math.exp(min(max(r, -3.0), 3.0))


def pass_key(name: str, blocked: bool) -> str:
    """The key of ``DeviceProfile.fused_passes`` for pass ``name`` in a kernel of that layout."""
    return f"{name}@{'nchwc' if blocked else 'nchw'}"


def fused_passes(k: Kernel, batch: int = 1) -> list[tuple[str, int]]:
    """(``DeviceProfile.fused_passes`` key, bytes) of each pass a layer fused into kernel ``k``
    makes over its output (``Op.row_fused_pass``): B · the layer's output bytes (fp32; channels
    padded to the NCHWc block in a blocked kernel), keyed by the pass and the kernel's layout."""
    out = []
    for x in k.layers[1:]:
        name = PRIMITIVES[x.kind].row_fused_pass(x)
        if name is not None:
            c, *rest = x.output_shape
            if k.blocked and k.block:
                c = -(-c // k.block) * k.block
            out.append((pass_key(name, k.blocked), batch * 4 * c * math.prod(rest)))
    return out


def fused_pass_seconds(k: Kernel, profile: DeviceProfile, batch: int = 1) -> float:
    """π = Σ ρ_pass · bytes over kernel ``k``'s :func:`fused_passes`, ρ_pass the profile's measured
    seconds per byte of that pass in the kernel's layout (:attr:`DeviceProfile.fused_passes`; 0
    where none was measured)."""
    if not profile.fused_passes:
        return 0.0
    return sum(profile.fused_passes.get(key, 0.0) * nbytes for key, nbytes in fused_passes(k, batch))


def isolated(
    k: Kernel, profile: DeviceProfile, batch: int = 1
) -> tuple[str, float, float, float, float, float]:
    """(type, compute s, memory s, overhead s, learned factor exp(r̂), t_k) of kernel ``k`` in
    isolation, as calibrated: t_k = (max(compute, memory) + overhead) · exp(r̂) + π (π its fused
    layers' passes, :func:`fused_pass_seconds`)."""
    kind, compute, memory, overhead = kernel_terms(k, profile, batch)
    factor = learned_factor(k, profile, batch, compute, memory)
    t = (max(compute, memory) + overhead) * factor + fused_pass_seconds(k, profile, batch)
    return kind, compute, memory, overhead, factor, t


def kernel_seconds(k: Kernel, profile: DeviceProfile, batch: int = 1) -> float:
    """t_k of :func:`isolated`: the kernel in isolation, as calibrated."""
    return isolated(k, profile, batch)[-1]


def reorder_seconds(read: int, written: int, profile: DeviceProfile, batch: int = 1) -> float:
    """One layout reorder moving ``read`` + ``written`` bytes per sample: the ``reorder`` kind's
    roofline max(bytes / R, bytes / (e·W(bytes))) + o (0 for a profile without the kind)."""
    m = profile.kinds.get(REORDER)
    if m is None:
        return 0.0
    nbytes = batch * (read + written)
    compute = nbytes / m.byte_rate if m.byte_rate else 0.0
    memory = nbytes / (m.bw_efficiency * profile.bandwidth(nbytes)) if m.bw_efficiency else 0.0
    return max(compute, memory) + m.overhead


def kernel_reorder_seconds(k: Kernel, profile: DeviceProfile, batch: int = 1) -> float:
    """Σ :func:`reorder_seconds` of the layout reorders run for kernel ``k`` (onnxruntime)."""
    return sum(reorder_seconds(r.read, r.written, profile, batch) for r in k.reorders)


def read_once_factor(k: Kernel, profile: DeviceProfile, model: ForwardModel, batch: int = 1) -> float:
    """W(bytes) / W(memory) (``profile``'s bandwidths) for a kernel that reads each weight once
    under ``model`` (:meth:`ForwardModel.reads_once`), 1 for the others: how much longer than its
    isolated time, which found its weights in cache when they fit there, it takes with them coming
    from memory (in a network that streams them: :meth:`ForwardModel.streams_read_once`)."""
    if not model.reads_once(k.weight_bytes, k.macs, batch):
        return 1.0
    return profile.bandwidth(kernel_bytes(k, batch)) / profile.memory_bandwidth


Terms = tuple[float, float, float]
"""A kernel's roofline terms (compute, memory, overhead seconds), as :func:`kernel_terms` gives them."""


def in_network_seconds(
    k: Kernel,
    t: float,
    profile: DeviceProfile,
    batch: int = 1,
    hot: bool = False,
    streamed: bool = False,
    terms: Terms | None = None,
) -> float:
    """(1 + (f_κ − 1)·u_k)·M_p(t, ω_κ·cold_k): kernel ``k``, whose isolated time is ``t``
    (:func:`kernel_seconds`), inside a forward pass (f_κ the in-network factor of its type,
    :attr:`KindModel.in_network`, on the share u_k of :func:`in_network_share`; ω_κ its rate of streaming
    cold weights, :attr:`KindModel.stream_seconds_per_byte`, none priced without one; cold_k
    :meth:`ForwardModel.cold_bytes`, 0 in a ``hot`` network). A kernel that reads each weight once
    (:meth:`ForwardModel.reads_once`) in a ``streamed`` network (:meth:`ForwardModel.streams_read_once`)
    that is not ``hot``: t·W(bytes) / W(memory) instead of t (its isolated timing found the weights in
    cache when they fit there; here they come from memory). ``terms``: the kernel's roofline terms
    where the caller has them (else computed for u_k)."""
    m = profile.kinds[layer_kind(k.head)]
    fwd = profile.forward
    if streamed and not hot:
        t *= read_once_factor(k, profile, fwd, batch)
    if m.stream_seconds_per_byte:
        t = fwd.overlap(t, m.stream_seconds_per_byte * fwd.cold_bytes(k.weight_bytes, k.macs, batch, hot))
    return (1.0 + (m.in_network - 1.0) * in_network_share(k, profile, fwd, batch, terms)) * t


def in_network_share(
    k: Kernel, profile: DeviceProfile, model: ForwardModel, batch: int = 1, terms: Terms | None = None
) -> float:
    """u_k, the share of kernel ``k``'s isolated time its type's in-network factor scales, by
    ``model``'s :attr:`ForwardModel.in_network_share`: :func:`memory_share` (of ``terms``, the
    kernel's roofline terms, when given), or 1 (all of it)."""
    if model.in_network_share == "all":
        return 1.0
    return share_of_memory(*terms) if terms is not None else memory_share(k, profile, batch)


def memory_share(k: Kernel, profile: DeviceProfile, batch: int = 1) -> float:
    """u of kernel ``k``'s roofline terms (:func:`kernel_terms`, :func:`share_of_memory`): the share
    of its isolated time that its memory traffic and call overhead set, to which its type's
    in-network factor applies."""
    return share_of_memory(*kernel_terms(k, profile, batch)[1:])


def share_of_memory(compute: float, memory: float, overhead: float) -> float:
    """u = (memory + overhead) / (max(compute, memory) + overhead): 1 for a kernel bound by memory or
    overhead, and for one with no terms."""
    whole = max(compute, memory) + overhead
    return min(1.0, (memory + overhead) / whole) if whole > 0 else 1.0


def kernel_total_seconds(
    k: Kernel, profile: DeviceProfile, batch: int = 1, hot: bool = False, streamed: bool = False
) -> float:
    """:func:`in_network_seconds` plus the kernel's reorders' seconds: what the forward terms'
    scale s multiplies."""
    _, compute, memory, overhead, _, alone = isolated(k, profile, batch)
    t = in_network_seconds(k, alone, profile, batch, hot, streamed, (compute, memory, overhead))
    return t + kernel_reorder_seconds(k, profile, batch)


def profile_kernels(layers: Sequence[LayerCost], profile: DeviceProfile) -> list[Kernel]:
    """The kernels the profile's backend runs for ``layers``, with the layout its CPU gets
    (onnxruntime's NCHWc block size, ``DeviceProfile.nchwc_block``)."""
    return group_kernels(layers, profile.backend, profile.nchwc_block)


def check_profile_backend(profile: DeviceProfile, backend: str) -> None:
    """Refuse to price ``backend`` with a profile measured on another one."""
    check_backend(backend)
    if profile.backend != backend:
        raise ArchcalcError(
            f"profile {profile.name!r} was measured on {profile.backend}; it cannot predict --backend "
            f"{backend} (run `archcalc calibrate --backend {backend}`)"
        )


def layer_latencies(
    kernels: Sequence[Kernel], profile: DeviceProfile, batch: int = 1
) -> tuple[list[LayerLatency], dict[str, float]]:
    """Each layer of ``kernels`` (:func:`profile_kernels`: one network) priced in a forward pass at
    ``batch``, in kernel order: a kernel's T_k = s·((1 + (f_κ − 1)·u_k)·M_p(t_k, ω_κ·cold_k) + its
    reorders' t_r) + g + a·B·written_k + c·cold_k (see module doc; cold_k = 0 when the network's
    weights total at most H) on its first layer, 0 s on the layers fused into it; and ms per kernel
    type (the layout reorders apart). The core of :func:`predict`, for a graph without a report too."""
    rows: list[LayerLatency] = []
    by_kind: dict[str, float] = {}
    fwd = profile.forward
    hot = fwd.network_hot(kernels, batch)
    streamed = fwd.streams_read_once(kernels, batch)
    for k in kernels:
        kind, compute, memory, overhead, factor, alone = isolated(k, profile, batch)
        extra = fwd.kernel_extra_seconds(k, kind, batch, hot)
        reorder = kernel_reorder_seconds(k, profile, batch)
        inside = in_network_seconds(k, alone, profile, batch, hot, streamed, (compute, memory, overhead))
        t = fwd.scale * (inside + reorder) + extra
        bound = roofline_bound(kind, compute, memory, overhead)
        for i, x in enumerate(k.layers):
            rows.append(
                LayerLatency(
                    name=x.name,
                    kind=layer_kind(x),
                    kernel=k.name,
                    seconds=t if i == 0 else 0.0,
                    compute_seconds=compute if i == 0 else 0.0,
                    memory_seconds=memory if i == 0 else 0.0,
                    overhead_seconds=overhead if i == 0 else 0.0,
                    forward_seconds=extra if i == 0 else 0.0,
                    reorder_seconds=reorder if i == 0 else 0.0,
                    bound=bound,
                    learned_factor=factor,
                )
            )
        by_kind[kind] = by_kind.get(kind, 0.0) + 1e3 * (t - fwd.scale * reorder)
        if k.reorders:
            by_kind[REORDER] = by_kind.get(REORDER, 0.0) + 1e3 * fwd.scale * reorder
    return rows, by_kind


def predict(
    report: Report, profile: DeviceProfile, batch: int = 1, backend: str | None = None
) -> LatencyPrediction:
    """Per-layer predicted seconds in a forward pass on the profile's backend (refused when
    ``backend`` names another): the layers grouped into the backend's kernels, each kernel
    T_k = s·(1 + (f_κ − 1)·u_k)·M_p(t_k, ω_κ·cold_k) + g + a·B·written_k + c·cold_k (see module
    doc), given to the kernel's first layer, its roofline bound, and the total in ms."""
    from archcalc.inputs.arguments import whole
    from archcalc.inputs.limits import MAX_BATCH

    batch = whole(batch, "--batch", 1, MAX_BATCH)
    if backend is not None:
        check_profile_backend(profile, backend)
    if report.dtype != profile.dtype:
        raise ArchcalcError(
            f"profile {profile.name!r} was measured at {profile.dtype}; the latency model cannot "
            f"price --dtype {report.dtype}"
        )
    # the roofline prices conv and linear MACs as the paper counts them, whatever the report's
    # convention (keras counts none; ptflops adds the bias adds): one prediction under every convention
    layers = report.layers_under(PRICED_CONVENTION)
    kernels = profile_kernels(layers, profile)
    rows, by_kind = layer_latencies(kernels, profile, batch)
    order = {x.name: i for i, x in enumerate(layers)}
    rows.sort(key=lambda r: order[r.name])
    total_ms = 1e3 * sum(r.seconds for r in rows)
    if not math.isfinite(total_ms):  # cannot happen within the limits; never print inf or null
        raise ArchcalcError(f"profile {profile.name!r} predicts no finite time for {report.network}")
    return LatencyPrediction(
        **LatencyPrediction.header(report),
        profile=profile.name,
        backend=profile.backend,
        threads=profile.threads,
        batch=batch,
        layers=rows,
        total_ms=total_ms,
        by_kind_ms=by_kind,
        kernels=len(kernels),
        reorders=sum(len(k.reorders) for k in kernels),
    )


def profile_dir() -> Path | None:
    """Where profiles live: ``$ARCHCALC_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/archcalc``,
    else ``~/.config/archcalc``; None without a home directory (:func:`archcalc.paths.user_dir`)."""
    from archcalc.paths import user_dir

    return user_dir("ARCHCALC_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def check_profile_name(name: object) -> str:
    """A profile name: letters, digits, '.', '_' or '-', starting with a letter or digit, at most
    :data:`~archcalc.inputs.limits.MAX_PROFILE_NAME` characters (it is a file name)."""
    if not isinstance(name, str):
        raise ArchcalcTypeError(f"--profile must be a profile name, got {type(name).__name__}")
    if not _NAME.fullmatch(name):
        raise ArchcalcError(
            f"--profile {name[:80]!r}: a profile name is letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if len(name) > MAX_PROFILE_NAME:
        raise ArchcalcError(
            f"--profile: a profile name has at most {MAX_PROFILE_NAME} characters, got {len(name)}"
        )
    return name


def profile_path(name: str) -> Path:
    """The JSON file of profile ``name``; a one-line error when there is no config directory."""
    check_profile_name(name)
    where = profile_dir()
    if where is None:
        raise ArchcalcError(
            "no config directory for device profiles: HOME is not set (or not absolute) and the user "
            "has no home directory; set ARCHCALC_CONFIG_DIR"
        )
    return where / "profiles" / f"{name}.json"


def _is_profile(raw: bytes) -> bool:
    """Whether ``raw`` is a profile file archcalc wrote (any format), so it may be replaced."""
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and {"format", "name", "kinds"} <= data.keys()


def load_profile(name: str | None = None) -> DeviceProfile | None:
    """Profile ``name`` (or the ``default`` one). None when no name is given and no default is
    saved (or there is no config directory); a one-line error when a named profile is missing or a
    profile file is corrupt. Only a regular file is read (:func:`archcalc.paths.read_own`)."""
    from archcalc.paths import read_own

    if name is None and profile_dir() is None:
        return None
    path = profile_path(DEFAULT_PROFILE if name is None else name)
    try:
        raw = read_own(path, MAX_PROFILE_BYTES)
    except FileNotFoundError:
        if name is None:
            return None
        raise ArchcalcError(
            f"--profile {name!r}: no such profile in {path.parent}; make it with "
            f"`archcalc calibrate --profile {name}`"
        ) from None
    except OSError as e:
        raise ArchcalcError(f"profile file {path} cannot be read: {e.strerror or e}") from None
    try:
        return DeviceProfile.model_validate_json(raw.decode("utf-8"))
    except (ValidationError, UnicodeDecodeError) as e:
        if isinstance(e, ValidationError):
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            why = f"{where}: {err['msg']}" if where else err["msg"]
        else:
            why = str(e)
        raise ArchcalcError(
            f"profile file {path} is not a valid device profile ({why}); re-run `archcalc calibrate`"
        ) from None


def check_profile_writable(name: str) -> Path:
    """The file :func:`save_profile` would write for ``name``, after checking now that it can: the
    folder can be made and written to, and no file archcalc did not write is in the way. For
    ``calibrate``, before minutes of measuring."""
    from archcalc.paths import check_writable

    path = profile_path(name)
    try:
        check_writable(path, _is_profile, MAX_PROFILE_BYTES)
    except OSError as e:
        raise ArchcalcError(f"cannot save profile {name!r} to {path}: {e.strerror or e}") from None
    return path


def save_profile(profile: DeviceProfile) -> Path:
    """Write ``profile`` as JSON under :func:`profile_dir` (atomically, never replacing a file that
    is not an archcalc profile) and return the path."""
    from archcalc.paths import write_own

    path = profile_path(profile.name)
    data = (profile.model_dump_json(indent=2) + "\n").encode("utf-8")
    try:
        write_own(path, data, _is_profile, MAX_PROFILE_BYTES)
    except OSError as e:
        raise ArchcalcError(f"cannot save profile {profile.name!r} to {path}: {e.strerror or e}") from None
    return path


def require_profile(name: str | None) -> DeviceProfile:
    """Like :func:`load_profile`, but no profile at all is an error naming ``archcalc calibrate``."""
    profile = load_profile(name)
    if profile is None:
        where = profile_dir()
        raise ArchcalcError(
            f"no device profile saved in {where if where is not None else '(no config directory)'}; "
            "run `archcalc calibrate` first (or pass --profile NAME)"
        )
    return profile
