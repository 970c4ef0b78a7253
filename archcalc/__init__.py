"""archcalc — an analytic cost model for lightweight CNNs.

    >>> import archcalc
    >>> r = archcalc.cost("mobilenet_v1", alpha=0.5, resolution=160)
    >>> r.totals.macs, r.totals.params_without_bn
    (76524800, 1320648)

Figures are exact integers; every one is labelled with the counting convention that produced it
(``paper``, ``fvcore`` or ``torch``; see ``archcalc.count.conventions``). Nothing here imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archcalc._version import __version__

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from archcalc.count.closed_form import Report
    from archcalc.count.designs import Comparison
    from archcalc.count.latency import DeviceProfile, LatencyPrediction
    from archcalc.count.memory import MemoryReport
    from archcalc.count.model_size import LayerSetting, SizeReport
    from archcalc.model.resolve import Resolved
    from archcalc.spec.schema import NetworkSpec
    from archcalc.sweeps.budget import Fit
    from archcalc.sweeps.grid import Sweep


def cost(
    net: str | Path | NetworkSpec,
    alpha: float = 1.0,
    resolution: int | None = None,
    *,
    rho: float | None = None,
    convention: str = "paper",
    dtype: str = "fp32",
    **knobs: Any,
) -> Report:
    """Per-layer and total cost of ``net`` (built-in name, spec path or spec object) at α,
    resolution (pixels) or ρ, and the spec's knobs (e.g. ``shallow=True``)."""
    from archcalc.count.closed_form import report

    return report(_resolve(net, alpha, resolution, rho, knobs), convention, dtype)


def _resolve(
    net: str | Path | NetworkSpec, alpha: float, resolution: int | None, rho: float | None, knobs: dict
) -> Resolved:
    """``net`` loaded and resolved at α, resolution or ρ, and knobs: what cost, size and the rest count."""
    from archcalc.model.resolve import resolve
    from archcalc.spec.catalog import load_spec

    return resolve(load_spec(net), alpha, resolution, rho, knobs)


def sweep(
    net: str | Path | NetworkSpec,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[int] | None = None,
    *,
    convention: str = "paper",
    dtype: str = "fp32",
    memory_rule: str | None = "materialize",
    profile: str | DeviceProfile | None = None,
    **knobs: Any,
) -> Sweep:
    """Totals of ``net`` at every (α, resolution) of the grid, α-major.

    The default grid is the spec's ``sweep`` section (see :func:`archcalc.sweeps.grid.default_grid`).
    Each point equals ``cost(net, α, resolution, **knobs).totals`` exactly, with the model size
    (params × dtype bytes), peak activation memory under ``memory_rule`` (None: skip), predicted
    latency on device ``profile`` (a saved profile's name or a profile object; None: skip) and the
    published top-1 where a source reports that configuration."""
    from archcalc.spec.catalog import load_spec
    from archcalc.sweeps.grid import SweepSettings, run_sweep

    settings = SweepSettings(convention, dtype, memory_rule, _profile(profile))
    return run_sweep(load_spec(net), alphas, resolutions, knobs, settings)


def fit(
    net: str | Path | NetworkSpec,
    max_macs: int | str | None = None,
    max_params: int | str | None = None,
    max_bytes: int | str | None = None,
    max_peak_memory: int | str | None = None,
    max_latency_ms: float | str | None = None,
    *,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[int] | None = None,
    convention: str = "paper",
    dtype: str = "fp32",
    memory_rule: str | None = "materialize",
    profile: str | DeviceProfile | None = None,
    **knobs: Any,
) -> Fit:
    """The configurations of ``net`` that fit the budget; ``.front`` is the Pareto front, best first.

    Limits are numbers or strings with units (``"150M"`` MACs, ``"2MiB"`` = 2·1024² bytes, ``"2MB"``
    = 2·10⁶, ``"10ms"``; see :mod:`archcalc.units`); ``max_bytes`` bounds params × dtype bytes. The
    search grid defaults to the spec's. A latency limit uses ``profile`` or the saved default one.
    The front and the order are defined in :mod:`archcalc.sweeps.budget`."""
    from archcalc.spec.catalog import load_spec
    from archcalc.sweeps.budget import fit_budget, parse_limits
    from archcalc.sweeps.grid import SweepSettings

    limits = parse_limits(max_macs, max_params, max_bytes, max_peak_memory, max_latency_ms)
    prof = _profile(profile, required=limits.max_latency_ms is not None)
    settings = SweepSettings(convention, dtype, memory_rule, prof)
    return fit_budget(load_spec(net), limits, alphas, resolutions, knobs, settings)


def _profile(profile: str | DeviceProfile | None, required: bool = False) -> DeviceProfile | None:
    """A device profile from its name, or as given; with ``required``, the saved default one."""
    if profile is None and not required:
        return None
    if profile is None or isinstance(profile, str):
        from archcalc.count.latency import require_profile

        return require_profile(profile)
    return profile


def compare(kinds: list[str], **sizes: Any) -> Comparison:
    """Single-layer designs side by side (see :func:`archcalc.count.designs.compare`)."""
    from archcalc.count.designs import compare as run

    return run(kinds, **sizes)


def activation_memory(
    net: str | Path | NetworkSpec,
    alpha: float = 1.0,
    resolution: int | None = None,
    *,
    rho: float | None = None,
    dtype: str = "fp32",
    rule: str = "materialize",
    **knobs: Any,
) -> MemoryReport:
    """Largest tensor per spatial resolution and peak live activation bytes of ``net`` at ``dtype``
    under a liveness ``rule`` (``materialize``, ``fused``, ``streamed``; see :mod:`archcalc.count.memory`)."""
    from archcalc.count.memory import memory_report

    return memory_report(_resolve(net, alpha, resolution, rho, knobs), dtype, rule)


def size(
    net: str | Path | NetworkSpec,
    alpha: float = 1.0,
    resolution: int | None = None,
    *,
    rho: float | None = None,
    convention: str = "paper",
    dtype: str = "fp32",
    bits: int | None = None,
    density: float = 1.0,
    index_bits: int = 4,
    workers: int = 1,
    huffman: bool = False,
    layers: dict[str, LayerSetting | dict[str, Any]] | None = None,
    **knobs: Any,
) -> SizeReport:
    """Weight storage of ``net`` per layer and in total — dense at ``dtype``, pruned to ``density``
    with ``index_bits`` relative indices, clustered to ``bits`` — and the ring all-reduce bytes per
    worker for ``workers`` (formulas and assumptions: :mod:`archcalc.count.model_size`). Bad settings raise
    :class:`archcalc.errors.ArchcalcError` naming the option."""
    from archcalc.count.model_size import size_report

    resolved = _resolve(net, alpha, resolution, rho, knobs)
    return size_report(resolved, convention, dtype, bits, density, index_bits, workers, huffman, layers)


def predict_latency(
    net: str | Path | NetworkSpec,
    alpha: float = 1.0,
    resolution: int | None = None,
    *,
    rho: float | None = None,
    profile: str | None = None,
    batch: int = 1,
    **knobs: Any,
) -> LatencyPrediction:
    """Predicted CPU time per layer and in total from a saved device profile (``archcalc
    calibrate``; ``profile`` None = the default one). Pure Python, no torch."""
    from archcalc.count.latency import predict, require_profile

    prof = require_profile(profile)
    return predict(cost(net, alpha, resolution, rho=rho, **knobs), prof, batch)


def load_spec(net: str | Path | NetworkSpec) -> NetworkSpec:
    """A built-in network by name, or a spec file by path, validated."""
    from archcalc.spec.catalog import load_spec as load

    return load(net)


__all__ = [
    "__version__",
    "activation_memory",
    "compare",
    "cost",
    "fit",
    "load_spec",
    "predict_latency",
    "size",
    "sweep",
]
