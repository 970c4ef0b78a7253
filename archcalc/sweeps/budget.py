"""Which configurations fit a budget: limits on MACs, params, model bytes, peak memory, latency.

A configuration (α, resolution) **fits** when every given limit holds (≤). Among those that fit,
the **Pareto front** is the set of configurations that no other fitting configuration dominates,
where B dominates A when B is at least as wide and at least as large (α_B ≥ α_A and res_B ≥ res_A,
one of them strictly). Accuracy grows with α and with resolution in every published grid (MobileNet
V1 Tables 6–7, the TF-Slim V1 and V2 grids), so a dominated configuration spends less of the budget
for less accuracy: the front is what the budget can buy. Each one is the largest network in its
direction that fits; the rest fit too but leave budget unused.

**Best first**: configurations with a published top-1 first, highest top-1 first; then by MACs, most
first (more computation within the budget: the usual proxy for accuracy); ties by fewer params.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from pydantic import BaseModel, Field, PrivateAttr

from archcalc.count.header import GridHeader
from archcalc.errors import ArchcalcError
from archcalc.inputs.resolution import Resolution, area
from archcalc.inputs.units import parse_bytes, parse_count, parse_time_ms_exact
from archcalc.spec.schema import NetworkSpec
from archcalc.sweeps.grid import Sweep, SweepPoint, SweepSettings, run_sweep

RULE = (
    "fits: every given limit holds (≤). Pareto front: no other fitting configuration has α and "
    "resolution both ≥ (one >). Order: published top-1 (highest first) where known, then MACs "
    "(most first), then params (fewest first)."
)


class Limits(BaseModel):
    """The budget; ``None`` = no limit. ``max_bytes`` is the weights to store: params × dtype bytes."""

    max_macs: int | None = None
    max_params: int | None = None
    max_bytes: int | None = None
    max_peak_memory: int | None = Field(None, description="bytes of live activations at the dtype")
    max_latency_ms: float | None = None
    _latency_exact: Fraction | None = PrivateAttr(None)
    """The latency limit as written (``0.2`` ms is 1/5, not the float nearest it)."""

    def violations(self, p: SweepPoint) -> list[str]:
        """The limits ``p`` exceeds, by name. Every comparison is exact: integers against integers,
        a predicted (float) latency against the limit as the rational number it was written as."""
        out = []
        latency = self._latency_exact if self._latency_exact is not None else self.max_latency_ms
        for name, value, limit in (
            ("macs", p.macs, self.max_macs),
            ("params", p.params, self.max_params),
            ("bytes", p.model_bytes, self.max_bytes),
            ("peak_memory", p.peak_memory_bytes, self.max_peak_memory),
            ("latency_ms", p.latency_ms, latency),
        ):
            if limit is not None and value is not None and value > limit:
                out.append(name)
        return out


class Fit(GridHeader):
    """The configurations of one network that fit a budget: the Pareto front, best first, then the rest."""

    peak_memory_rule: str | None = None
    latency_profile: str | None = None
    limits: Limits
    rule: str = RULE
    searched: int = Field(description="configurations in the search grid")
    front: list[SweepPoint] = Field(description="fitting and not dominated, best first")
    others: list[SweepPoint] = Field(description="fitting but dominated, best first")


def parse_limits(
    max_macs: int | str | None = None,
    max_params: int | str | None = None,
    max_bytes: int | str | None = None,
    max_peak_memory: int | str | None = None,
    max_latency_ms: float | str | None = None,
) -> Limits:
    """Limits from numbers or strings with units (``150M``, ``2MiB``, ``10ms``), read exactly
    (:mod:`archcalc.inputs.units`); errors name the option."""
    latency = None if max_latency_ms is None else parse_time_ms_exact(max_latency_ms, "--max-latency")
    limits = Limits(
        max_macs=None if max_macs is None else parse_count(max_macs, "--max-macs"),
        max_params=None if max_params is None else parse_count(max_params, "--max-params"),
        max_bytes=None if max_bytes is None else parse_bytes(max_bytes, "--max-bytes"),
        max_peak_memory=None
        if max_peak_memory is None
        else parse_bytes(max_peak_memory, "--max-peak-memory"),
        max_latency_ms=None if latency is None else float(latency),
    )
    limits._latency_exact = latency
    return limits


def check_limits(limits: Limits, convention: str) -> None:
    """Refuse a limit on a quantity ``convention`` does not count (``--max-macs`` under keras …)."""
    from archcalc.count.conventions import get_convention

    conv = get_convention(convention)
    if limits.max_macs is not None and not conv.counts_macs:
        raise ArchcalcError(f"--max-macs: {conv.undefined('MACs')}")
    for option, value in (("--max-params", limits.max_params), ("--max-bytes", limits.max_bytes)):
        if value is not None and not conv.counts_params:
            raise ArchcalcError(f"{option}: {conv.undefined('params')}")


def rank_key(p: SweepPoint) -> tuple:
    """Best first: known top-1 (highest first), then MACs (most first), then params (fewest first)."""
    count = p.macs if p.macs is not None else p.flops or 0
    return (p.top1 is None, -(p.top1 or 0.0), -count, p.params or 0, -p.alpha, -area(p.resolution))


def pareto_front(points: list[SweepPoint]) -> tuple[list[SweepPoint], list[SweepPoint]]:
    """(front, dominated) of ``points``, each sorted best first (:func:`rank_key`)."""
    by_alpha: dict[float, Resolution] = {}
    for p in points:
        if p.alpha not in by_alpha or area(p.resolution) > area(by_alpha[p.alpha]):
            by_alpha[p.alpha] = p.resolution
    front_keys: set[tuple[float, Resolution]] = set()
    larger = 0  # the largest resolution (in pixels) among strictly wider fitting configurations
    for alpha in sorted(by_alpha, reverse=True):
        if area(by_alpha[alpha]) > larger:
            front_keys.add((alpha, by_alpha[alpha]))
        larger = max(larger, area(by_alpha[alpha]))
    front = [p for p in points if (p.alpha, p.resolution) in front_keys]
    others = [p for p in points if (p.alpha, p.resolution) not in front_keys]
    return sorted(front, key=rank_key), sorted(others, key=rank_key)


def check_measures(limits: Limits, memory_rule: str | None, profile: object | None) -> None:
    """A peak-memory limit needs a memory rule; a latency limit needs a device profile."""
    if limits.max_peak_memory is not None and memory_rule is None:
        raise ArchcalcError("--max-peak-memory needs a memory rule (materialize, fused or streamed)")
    if limits.max_latency_ms is not None and profile is None:
        raise ArchcalcError(
            "--max-latency needs a device profile: run `archcalc calibrate` first (or pass --profile NAME)"
        )


def fit_budget(
    spec: NetworkSpec,
    limits: Limits,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[Resolution | str] | None = None,
    knobs: Mapping[str, object] | None = None,
    settings: SweepSettings | None = None,
) -> Fit:
    """Sweep the grid (default: the spec's) under ``settings``, keep what fits ``limits``, split front
    and rest (:func:`fit_sweep`); the limits are checked against the settings before the sweep."""
    settings = SweepSettings() if settings is None else settings
    check_limits(limits, settings.convention)
    check_measures(limits, settings.memory_rule, settings.profile)
    return fit_sweep(run_sweep(spec, alphas, resolutions, knobs, settings), limits)


def fit_sweep(s: Sweep, limits: Limits) -> Fit:
    """The points of ``s`` that fit ``limits``: Pareto front and the rest, each best first."""
    check_limits(limits, s.convention)
    check_measures(limits, s.peak_memory_rule, s.latency_profile)
    fitting = [p for p in s.points if not limits.violations(p)]
    front, others = pareto_front(fitting)
    return Fit(
        **Fit.header(s),
        peak_memory_rule=s.peak_memory_rule,
        latency_profile=s.latency_profile,
        limits=limits,
        searched=len(s.points),
        front=front,
        others=others,
    )
