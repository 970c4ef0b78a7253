"""Predicted CPU latency of a network from its closed-form cost and a measured device profile.

Pure Python, no torch: ``archcalc table --latency`` uses it. The profile comes from
``archcalc calibrate`` (``archcalc/measure/calibrate.py``), which times micro-benchmarks on this machine.

The model is a roofline with one set of constants per layer kind k (see :data:`KINDS`)::

    t(layer) = max(work_k / R_k,  bytes(B) / (e_k · W(bytes(B)))) + o_k

    bytes(B) = B · (activation bytes read + activation bytes written) + weight bytes
    work_k   = MACs · B  for conv and linear kinds (R_k in MAC/s),
               bytes(B)  for the data kinds (R_k in bytes/s: a flat processing rate, e.g. the
                         comparisons of a max pool or the exp of a sigmoid)

where B is the batch, R_k the kind's sustained rate, W(b) the bandwidth of a plain
tensor copy moving b bytes on this machine (measured at several sizes and interpolated log–log:
caches make small copies several times faster than large ones), e_k the kind's efficiency relative
to that copy, and o_k its per-call overhead (s). Which term is the larger decides the layer's
``bound``: ``compute`` (right of the ridge point R_k / (e_k·W) MACs/byte), ``memory`` (left of
it), or ``overhead`` when o_k exceeds both. The network's time is the sum over its layers (eager
execution, one call per layer, nothing overlapped).

What is predicted for the layers torch does not really run as a data pass:

- ``view`` (flatten, channel slice): torch returns a view, no bytes move; t = o_k only.
- batch norm, activations, add, mul, pooling and ``copy`` (concat, channel shuffle):
  priced on bytes only. Their MACs (fvcore counts batch norm and average pooling) are ignored, so
  the prediction is the same under every counting convention.
- Nothing is fused: ``archcalc time`` runs the graph eagerly, one torch module per node, so
  conv, batch norm and activation are timed (and predicted) as three calls.

In a real forward pass a network costs more than the sum of its layers timed in isolation (each
over and over on the same input): the Python walk of the graph and tensor bookkeeping per node,
allocation and first touch (page faults) of every fresh output tensor, weights that are not in
cache. ``archcalc calibrate`` times random synthetic networks (:mod:`archcalc.measure.synthetic_networks`)
in whole forward passes and fits, by non-negative least squares on the relative error, the
profile's :class:`ForwardModel` constants. The predicted seconds of layer i in a forward pass, and
the network total, are::

    T_i = s · t_i  +  g  +  a · B · written_i  +  c · min(weight_bytes_i, C)
    T   = Σ_i T_i

where t_i is the roofline above (what ``layer_seconds`` returns), s a scale on it, g the glue
seconds per graph node, a the seconds per byte of a freshly written output tensor (0 bytes for
views), c the seconds per weight byte read cold, and C the per-core L2 cache size (weights beyond
it come from memory in the isolated layer timing as well, so only the first C bytes can be colder
in the forward pass). Terms the calibration networks do not support are fitted as 0.

The bytes are the closed form's traffic at the report's dtype; the profile is measured at one dtype
(fp32), and a report at another dtype is refused rather than silently mispriced.
"""

from __future__ import annotations

import math
import os
import re
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from archcalc.count.closed_form import LayerCost, Report
from archcalc.count.header import AtSetting
from archcalc.errors import ArchcalcError
from archcalc.model.ops import PRIMITIVES

KINDS: dict[str, str] = {
    "dense": "standard convolution, kernel > 1, groups = 1",
    "pointwise": "1×1 convolution, groups = 1",
    "depthwise": "depthwise convolution (groups = input channels)",
    "grouped": "group convolution (1 < groups < input channels)",
    "linear": "fully connected layer",
    "batchnorm": "batch norm (eval: a per-channel scale and shift)",
    "activation": "ReLU, ReLU6, h-swish, h-sigmoid (piecewise linear)",
    "activation_exp": "sigmoid, swish (an exponential per element)",
    "elementwise": "residual add, squeeze-and-excite multiply",
    "maxpool": "windowed max pooling",
    "avgpool": "windowed average pooling",
    "global_pool": "global or adaptive pooling",
    "copy": "concat, channel shuffle (a data copy, no arithmetic)",
    "view": "flatten, channel slice (a torch view: no data moves)",
}
"""The profile's layer kinds, with what each holds. Each primitive op class says which one it is
priced as (``Op.latency_kind`` / ``Op.row_latency_kind``); :func:`layer_kind` asks it."""

COMPUTE_KINDS: tuple[str, ...] = ("dense", "pointwise", "depthwise", "grouped", "linear")
"""Kinds whose time has a MAC term; the others are priced on bytes (or overhead) only."""

VIEW_KINDS: frozenset[str] = frozenset({"view"})
"""Kinds torch runs as a view: no bytes move and no output is written, so t = o_k only (no
bandwidth term in the profile, no written bytes in the forward terms)."""

FORMULA = (
    "T = s·t + g + a·B·written + c·min(weight_bytes, C) per layer, summed; "
    "t = max(work / R_kind, bytes(B) / (e_kind·W_copy(bytes))) + o_kind; work = MACs·B (conv, linear) "
    "or bytes(B) (data kinds); bytes(B) = B·activations + weights"
)

PROFILE_FORMAT = 2
"""Version of the profile file; a profile of another version must be re-measured."""

DEFAULT_PROFILE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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


class KindModel(BaseModel):
    """The roofline constants of one layer kind."""

    mac_rate: float | None = Field(None, gt=0, description="sustained MACs per second (compute kinds)")
    byte_rate: float | None = Field(
        None, gt=0, description="processing rate in bytes per second, flat in size (data kinds; None: none)"
    )
    bw_efficiency: float | None = Field(
        None,
        gt=0,
        description="bandwidth as a fraction of a plain copy's at the same size (None: no byte term)",
    )
    overhead: float = Field(ge=0, description="seconds per call on top of the roofline")
    samples: int = Field(0, ge=0, description="calibration shapes the constants were fitted to")
    fit_error: float | None = Field(
        None, description="median |predicted − measured| / measured over those shapes (0–1)"
    )


class ForwardModel(BaseModel):
    """What a whole forward pass adds to the roofline of each layer (see module doc):
    T_i = s·t_i + g + a·B·written_i + c·min(weight_bytes_i, C)."""

    scale: float = Field(1.0, ge=0, description="s: factor on each layer's roofline seconds")
    node_seconds: float = Field(0.0, ge=0, description="g: glue seconds per graph node")
    write_seconds_per_byte: float = Field(
        0.0, ge=0, description="a: seconds per byte of a fresh output tensor (allocation, first touch)"
    )
    weight_seconds_per_byte: float = Field(0.0, ge=0, description="c: seconds per weight byte read cold")
    weight_cap_bytes: float = Field(
        2.0**21,
        gt=0,
        description="C: weight bytes per layer that can be cold (the per-core L2 cache; weights beyond "
        "it are streamed from memory in the isolated layer timing too)",
    )
    networks: int = Field(0, ge=0, description="synthetic networks the constants were fitted to")
    fit_error: float | None = Field(
        None, description="median |predicted − measured| / measured over those networks (0–1)"
    )

    def extra_seconds(self, layer: LayerCost, kind: str, batch: int = 1) -> float:
        """g + a·B·written + c·min(weight_bytes, C) of one layer (views write nothing)."""
        written = 0 if kind in VIEW_KINDS else batch * layer.bytes_written
        return (
            self.node_seconds
            + self.write_seconds_per_byte * written
            + self.weight_seconds_per_byte * min(layer.weight_bytes, self.weight_cap_bytes)
        )


class DeviceProfile(BaseModel):
    """A machine's measured copy bandwidth, MAC rates, efficiencies and overheads, per layer kind."""

    format: Literal[2] = Field(description="profile file version (see PROFILE_FORMAT)")
    name: str
    created: str = Field(description="when it was measured (ISO 8601)")
    host: str = ""
    cpu: str = Field(description="CPU model as the OS reports it")
    threads: int = Field(ge=1, description="torch.set_num_threads during calibration")
    torch_version: str
    dtype: Literal["fp32"] = "fp32"
    quick: bool = Field(False, description="measured with --quick (few shapes, short runs)")
    peak_mac_rate: float = Field(gt=0, description="large GEMM, MACs per second")
    copy_bandwidth: float = Field(gt=0, description="largest tensor copy, bytes (read + written) per second")
    bandwidth_curve: list[tuple[float, float]] = Field(
        min_length=1,
        description="[bytes moved, bytes per second] of a tensor copy, ascending in bytes; "
        "W(b) interpolates it log–log and is constant past either end",
    )
    call_overhead: float = Field(ge=0, description="a tiny op through an nn.Module call, seconds")
    kinds: dict[str, KindModel] = Field(description="roofline constants per layer kind (see KINDS)")
    forward: ForwardModel = Field(description="whole-forward terms on top of the roofline (see module doc)")

    @model_validator(mode="after")
    def _complete(self) -> DeviceProfile:
        missing = [k for k in KINDS if k not in self.kinds]
        if missing:
            raise ValueError(f"kinds misses {', '.join(missing)}")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"kinds has unknown {', '.join(unknown)}")
        for k in COMPUTE_KINDS:
            if self.kinds[k].mac_rate is None:
                raise ValueError(f"kinds.{k}.mac_rate is required")
        for k, m in self.kinds.items():
            if k not in VIEW_KINDS and m.bw_efficiency is None:
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
    seconds: float = Field(description="in a forward pass: s·(max(compute, memory) + overhead) + forward")
    compute_seconds: float = Field(description="work / R_kind (MACs·B, or bytes(B) for data kinds)")
    memory_seconds: float = Field(description="bytes(B) / (e_kind·W_copy(bytes(B)))")
    overhead_seconds: float
    forward_seconds: float = Field(description="g + a·B·written + c·min(weight bytes, C): forward terms")
    bound: Literal["compute", "memory", "overhead"] = Field(description="of the roofline terms")


class LatencyPrediction(AtSetting):
    profile: str
    threads: int = Field(description="threads the profile was measured with")
    batch: int
    dtype: str
    formula: str = FORMULA
    layers: list[LayerLatency]
    total_ms: float
    by_kind_ms: dict[str, float]


def moved_bytes(layer: LayerCost, batch: int = 1) -> int:
    """bytes(B) = B·(activation bytes read + written) + weight bytes (weights are read once)."""
    return batch * (layer.bytes_read + layer.bytes_written - layer.weight_bytes) + layer.weight_bytes


def _terms(layer: LayerCost, profile: DeviceProfile, batch: int) -> tuple[str, float, float, float]:
    kind = layer_kind(layer)
    m = profile.kinds[kind]
    if kind in VIEW_KINDS:
        return kind, 0.0, 0.0, m.overhead
    nbytes = moved_bytes(layer, batch)
    if kind in COMPUTE_KINDS:
        compute = layer.macs * batch / m.mac_rate if m.mac_rate else 0.0
    else:
        compute = nbytes / m.byte_rate if m.byte_rate else 0.0
    memory = nbytes / (m.bw_efficiency * profile.bandwidth(nbytes)) if m.bw_efficiency else 0.0
    return kind, compute, memory, m.overhead


def layer_seconds(layer: LayerCost, profile: DeviceProfile, batch: int = 1) -> float:
    """Predicted seconds of one layer: max(MACs·B / R_k, bytes(B) / (e_k·W)) + o_k (see module doc)."""
    _, compute, memory, overhead = _terms(layer, profile, batch)
    return max(compute, memory) + overhead


def predict(report: Report, profile: DeviceProfile, batch: int = 1) -> LatencyPrediction:
    """Per-layer predicted seconds in a forward pass, T_i = s·t_i + g + a·B·written_i +
    c·min(weight_bytes_i, C) (see module doc), the roofline bound of each layer, and the total in ms."""
    if batch < 1:
        raise ArchcalcError(f"--batch {batch}: must be at least 1")
    if report.dtype != profile.dtype:
        raise ArchcalcError(
            f"profile {profile.name!r} was measured at {profile.dtype}; the latency model cannot "
            f"price --dtype {report.dtype}"
        )
    rows: list[LayerLatency] = []
    by_kind: dict[str, float] = {}
    for x in report.layers:
        kind, compute, memory, overhead = _terms(x, profile, batch)
        fwd = profile.forward
        extra = fwd.extra_seconds(x, kind, batch)
        t = fwd.scale * (max(compute, memory) + overhead) + extra
        if overhead > max(compute, memory):
            bound = "overhead"
        else:
            bound = "compute" if compute >= memory else "memory"
        rows.append(
            LayerLatency(
                name=x.name,
                kind=kind,
                seconds=t,
                compute_seconds=compute,
                memory_seconds=memory,
                overhead_seconds=overhead,
                forward_seconds=extra,
                bound=bound,
            )
        )
        by_kind[kind] = by_kind.get(kind, 0.0) + 1e3 * t
    return LatencyPrediction(
        **LatencyPrediction.header(report),
        profile=profile.name,
        threads=profile.threads,
        batch=batch,
        layers=rows,
        total_ms=1e3 * sum(r.seconds for r in rows),
        by_kind_ms=by_kind,
    )


def profile_dir() -> Path:
    """Where profiles live: ``$ARCHCALC_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/archcalc``,
    else ``~/.config/archcalc``."""
    if os.environ.get("ARCHCALC_CONFIG_DIR"):
        return Path(os.environ["ARCHCALC_CONFIG_DIR"])
    if os.environ.get("XDG_CONFIG_HOME"):
        return Path(os.environ["XDG_CONFIG_HOME"]) / "archcalc"
    return Path.home() / ".config" / "archcalc"


def check_profile_name(name: str) -> str:
    if not _NAME.match(name):
        raise ArchcalcError(
            f"--profile {name!r}: a profile name is letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def profile_path(name: str) -> Path:
    """The JSON file of profile ``name``."""
    return profile_dir() / "profiles" / f"{check_profile_name(name)}.json"


def load_profile(name: str | None = None) -> DeviceProfile | None:
    """Profile ``name`` (or the ``default`` one). None when no name is given and no default is
    saved; a one-line error when a named profile is missing or a profile file is corrupt."""
    path = profile_path(name or DEFAULT_PROFILE)
    if not path.exists():
        if name is None:
            return None
        raise ArchcalcError(
            f"--profile {name!r}: no such profile in {path.parent}; make it with "
            f"`archcalc calibrate --profile {name}`"
        )
    try:
        return DeviceProfile.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError, OSError) as e:
        if isinstance(e, ValidationError):
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            why = f"{where}: {err['msg']}" if where else err["msg"]
        else:
            why = str(e)
        raise ArchcalcError(
            f"profile file {path} is not a valid device profile ({why}); re-run `archcalc calibrate`"
        ) from None


def save_profile(profile: DeviceProfile) -> Path:
    """Write ``profile`` as JSON under :func:`profile_dir` and return the path."""
    path = profile_path(profile.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(profile.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def require_profile(name: str | None) -> DeviceProfile:
    """Like :func:`load_profile`, but no profile at all is an error naming ``archcalc calibrate``."""
    profile = load_profile(name)
    if profile is None:
        raise ArchcalcError(
            f"no device profile saved in {profile_dir()}; run `archcalc calibrate` first "
            "(or pass --profile NAME)"
        )
    return profile
