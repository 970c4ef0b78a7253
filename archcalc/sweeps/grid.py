"""Many configurations of one network at once: every (α, resolution) of a grid, totals per point.

Each point carries the totals of ``archcalc.cost`` at that configuration (MACs and params under the
sweep's convention, params with and without BN, traffic at the dtype), the model size
``params × dtype bytes``, and the published ImageNet top-1 where a source reports that exact
configuration (:mod:`archcalc.count.accuracy`). Per α the network is resolved once and the totals for
every resolution come from :mod:`archcalc.sweeps.levels` (exact; it falls back to the full
``resolve`` + ``report`` path wherever its assumptions do not hold).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from archcalc.count.accuracy import config_key, top1_table
from archcalc.count.closed_form import report
from archcalc.count.conventions import get_convention
from archcalc.count.header import GridHeader
from archcalc.dtypes import dtype_bytes
from archcalc.inputs.resolution import Resolution, area, canonical
from archcalc.model.graph import Graph
from archcalc.model.resolve import check_alpha, input_resolution, knob_values, resolve
from archcalc.spec.schema import NetworkSpec
from archcalc.sweeps.levels import LevelMismatch, Plan, matches, plan

if TYPE_CHECKING:
    from archcalc.count.latency import DeviceProfile

TOTAL_KEYS = (
    "macs",
    "params",
    "params_without_bn",
    "params_with_bn",
    "weight_bytes",
    "bytes_read",
    "bytes_written",
)


class SweepPoint(BaseModel):
    """One configuration's totals. ``macs``, ``flops`` and ``params`` follow the sweep's
    ``convention`` (null: a quantity it does not count)."""

    alpha: float
    resolution: Resolution = Field(description="input side, or (height, width) when not square")
    macs: int | None
    flops: int | None = Field(None, description="2 × macs, or the count of a FLOP convention (tf)")
    params: int | None
    params_without_bn: int = Field(description="conv + linear weights and biases (paper)")
    params_with_bn: int = Field(description="every learnable parameter, BN γ/β included (torch)")
    model_bytes: int | None = Field(description="params × dtype bytes: the weights to store")
    weight_bytes: int = Field(description="weights read per inference: + BN γ, β, mean, var")
    bytes_read: int
    bytes_written: int
    peak_memory_bytes: int | None = Field(None, description="peak live activations at the dtype")
    latency_ms: float | None = Field(None, description="predicted on the sweep's device profile")
    top1: float | None = Field(None, description="published ImageNet top-1 (%) for this configuration")
    top1_source: str | None = None
    top1_label: str | None = None


class Sweep(GridHeader):
    """A grid of configurations of one network, every figure labelled with its convention."""

    dtype_bytes: int
    peak_memory_rule: str | None = None
    latency_profile: str | None = None
    alphas: list[float]
    resolutions: list[Resolution]
    points: list[SweepPoint]
    evaluated_on_levels: int = Field(description="points computed by the level engine (the rest: full path)")


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """What every point of a sweep is counted under, checked when made: the counting ``convention``,
    the ``dtype`` bytes are priced at, the liveness rule of the peak memory (None: no peak memory)
    and the device ``profile`` latency is predicted on (None: no latency)."""

    convention: str = "paper"
    dtype: str = "fp32"
    memory_rule: str | None = "materialize"
    profile: DeviceProfile | None = None

    def __post_init__(self) -> None:
        get_convention(self.convention)
        dtype_bytes(self.dtype)
        if self.memory_rule is not None:
            from archcalc.count.memory import check_rule

            check_rule(self.memory_rule)

    @property
    def dtype_bytes(self) -> int:
        return dtype_bytes(self.dtype)


@dataclass(frozen=True, slots=True)
class Grid:
    alphas: list[float]
    resolutions: list[Resolution]
    source: str


def _unique(xs: Iterable) -> list:
    return list(dict.fromkeys(xs))


def check_grid(spec: NetworkSpec, alphas: Iterable[float], resolutions: Iterable[Resolution | str]) -> Grid:
    """Validated, de-duplicated α and resolution lists (order kept), at most
    :data:`~archcalc.inputs.limits.MAX_GRID_POINTS` configurations; one-line errors name the option."""
    from archcalc.errors import ArchcalcError
    from archcalc.inputs.arguments import items
    from archcalc.inputs.limits import MAX_GRID_POINTS

    a = _unique(check_alpha(x) for x in items(alphas, "--alpha", MAX_GRID_POINTS))
    r = _unique(input_resolution(spec, x) for x in items(resolutions, "--res", MAX_GRID_POINTS))
    if not a:
        raise ArchcalcError("--alpha: give at least one width multiplier")
    if not r:
        raise ArchcalcError("--res: give at least one resolution")
    if len(a) * len(r) > MAX_GRID_POINTS:
        raise ArchcalcError(
            f"{len(a):,} α's × {len(r):,} resolutions is more than the {MAX_GRID_POINTS:,} "
            "configurations one sweep takes"
        )
    return Grid(a, r, "given")


def default_grid(spec: NetworkSpec) -> Grid:
    """The spec's ``sweep`` grid; without one, {1} ∪ the published α's × the default resolution ∪ the
    published resolutions."""
    if spec.sweep is not None:
        return Grid(list(spec.sweep.alphas), list(spec.sweep.resolutions), spec.sweep.source)
    alphas = sorted({1.0} | {f.setting.alpha for f in spec.published})
    res = sorted({spec.input.size} | {f.setting.resolution or spec.input.size for f in spec.published})
    return Grid(alphas, res, "derived: α = 1 and the published α's × the default and published resolutions")


def _full_totals(
    spec: NetworkSpec, alpha: float, res: Resolution, knobs: Mapping[str, object], settings: SweepSettings
) -> dict[str, int]:
    """The plain path: ``resolve`` + ``report`` (+ ``memory.peak_activation_bytes``)."""
    from archcalc.count.memory import peak_activation_bytes

    r = resolve(spec, alpha, res, knobs=knobs)
    t = report(r, settings.convention, settings.dtype).totals
    out = {k: getattr(t, k) for k in TOTAL_KEYS}
    # the level engine's "macs" is the convention's count: MACs, or FLOPs for tf (0: none)
    out["macs"] = t.macs if t.macs is not None else t.flops or 0
    out["params"] = t.params or 0
    if settings.memory_rule is not None:
        out["peak_memory_bytes"] = peak_activation_bytes(r.graph, settings.dtype_bytes, settings.memory_rule)
    return out


def predict_ms(
    spec: NetworkSpec,
    alpha: float,
    res: Resolution,
    knobs: Mapping[str, object],
    settings: SweepSettings,
) -> float:
    """Predicted latency (ms) of one configuration on the settings' profile (which must be set):
    :func:`archcalc.count.latency.predict` on its report.

    Per configuration on the full path: the roofline is a maximum per layer, not a sum of level terms."""
    from archcalc.count.latency import predict

    assert settings.profile is not None
    r = resolve(spec, alpha, res, knobs=knobs)
    return predict(report(r, settings.convention, settings.dtype), settings.profile).total_ms


def _peak_agrees(p: Plan, graphs: Iterable[Graph], b: int, rule: str) -> bool:
    """The plan's peak equals :func:`archcalc.count.memory.peak_activation_bytes` on real graphs."""
    from archcalc.count.memory import peak_activation_bytes

    return rule == "materialize" and all(
        p.peak_elements(p.sides(canonical(*g.input_shape[1:3]))) * b == peak_activation_bytes(g, b, rule)
        for g in graphs
    )


def grid_totals(
    spec: NetworkSpec,
    alphas: Sequence[float],
    resolutions: Sequence[Resolution],
    knobs: Mapping[str, object],
    settings: SweepSettings,
) -> tuple[list[tuple[float, Resolution, dict[str, int]]], int]:
    """Totals of every (α, resolution), α-major, and how many came from the level engine.

    Per α: resolve at the largest and the smallest resolution, plan on the first, keep the plan only
    if it predicts the second exactly (layers, shapes, and peak memory against
    :mod:`archcalc.count.memory`); every other configuration is then a few multiply-adds. Where the plan
    is refused, or a resolution does not fit the levels, the configuration takes the full path."""
    b = settings.dtype_bytes
    memory_rule = settings.memory_rule
    out: list[tuple[float, Resolution, dict[str, int]]] = []
    fast = 0
    probes: dict = {}
    sides: dict[tuple, list | None] = {}
    for alpha in alphas:
        p = None
        if len(resolutions) > 1:
            ref = resolve(spec, alpha, max(resolutions, key=area), knobs=knobs)
            p = plan(ref.graph, settings.convention, b, probes)
            if p is not None:
                other = resolve(spec, alpha, min(resolutions, key=area), knobs=knobs)
                if not matches(p, ref.graph, other.graph) or (
                    memory_rule is not None and not _peak_agrees(p, (ref.graph, other.graph), b, memory_rule)
                ):
                    p = None
        signature = p.signature if p is not None else None
        for res in resolutions:
            totals = None
            if p is not None:
                key = (signature, res)
                if key not in sides:
                    try:
                        sides[key] = p.sides(res)
                    except LevelMismatch:
                        sides[key] = None
                at = sides[key]
                try:
                    if at is None:
                        raise LevelMismatch
                    totals = p.totals(res, at)
                    if memory_rule is not None:
                        totals["peak_memory_bytes"] = p.peak_elements(at) * b
                    fast += 1
                except LevelMismatch:
                    totals = None
            if totals is None:
                totals = _full_totals(spec, alpha, res, knobs, settings)
            out.append((alpha, res, totals))
    return out, fast


def run_sweep(
    spec: NetworkSpec,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[Resolution | str] | None = None,
    knobs: Mapping[str, object] | None = None,
    settings: SweepSettings | None = None,
) -> Sweep:
    """Every (α, resolution) of the grid (default: :func:`default_grid`) at the given knobs, counted
    under ``settings`` (default: :class:`SweepSettings`)."""
    settings = SweepSettings() if settings is None else settings
    conv = get_convention(settings.convention)
    b = settings.dtype_bytes
    d = default_grid(spec)
    grid = check_grid(
        spec, d.alphas if alphas is None else alphas, d.resolutions if resolutions is None else resolutions
    )
    values = knob_values(spec, knobs)
    rows, fast = grid_totals(spec, grid.alphas, grid.resolutions, values, settings)
    here = config_key(1.0, 1, values)[2]
    acc = {(a, r): top for (a, r, k), top in top1_table(spec).items() if k == here}
    points: list[SweepPoint] = []
    profile, memory_rule = settings.profile, settings.memory_rule
    for alpha, res, t in rows:
        top = acc.get((alpha, res))
        if profile is not None:
            t["latency_ms"] = predict_ms(spec, alpha, res, values, settings)
        count = t.pop("macs")
        t["macs"] = count if conv.unit == "MACs" else None  # type: ignore[assignment]
        t["flops"] = None if conv.unit is None else 2 * count if conv.unit == "MACs" else count  # type: ignore[assignment]
        if not conv.counts_params:
            t["params"] = None  # type: ignore[assignment]
        points.append(
            SweepPoint(
                alpha=alpha,
                resolution=res,
                model_bytes=None if t["params"] is None else t["params"] * b,
                top1=top.value if top else None,
                top1_source=top.source if top else None,
                top1_label=top.label if top else None,
                **t,
            )
        )
    if memory_rule is not None:
        from archcalc.count.memory import RULES
    return Sweep(
        network=spec.name,
        title=spec.title,
        knobs=values,
        convention=conv.name,
        macs_rule=conv.macs_rule,
        params_rule=conv.params_rule,
        dtype=settings.dtype,
        dtype_bytes=b,
        peak_memory_rule=None if memory_rule is None else f"{memory_rule}: {RULES[memory_rule]}",
        latency_profile=None if profile is None else profile.name,
        alphas=grid.alphas,
        resolutions=grid.resolutions,
        points=points,
        evaluated_on_levels=fast,
    )
