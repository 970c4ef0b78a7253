"""archcalc — an analytic cost model for lightweight CNNs.

    >>> import archcalc
    >>> r = archcalc.cost("mobilenet_v1", alpha=0.5, resolution=160)
    >>> r.totals.macs, r.totals.params_without_bn
    (76524800, 1320648)

Figures are exact integers; every one is labelled with the counting convention that produced it
(``paper``, ``fvcore`` or ``torch``; see ``archcalc.conventions``). Nothing here imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from archcalc.closed_form import Report
    from archcalc.designs import Comparison
    from archcalc.memory import MemoryReport
    from archcalc.spec import NetworkSpec
    from archcalc.sweeps import Sweep


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
    from archcalc.catalog import load_spec
    from archcalc.closed_form import report
    from archcalc.resolve import resolve

    return report(resolve(load_spec(net), alpha, resolution, rho, knobs), convention, dtype)


def sweep(
    net: str | Path | NetworkSpec,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[int] | None = None,
    *,
    convention: str = "paper",
    dtype: str = "fp32",
    **knobs: Any,
) -> Sweep:
    """Totals of ``net`` at every (α, resolution) of the grid, α-major; default grid: the spec's
    ``sweep`` section (see :func:`archcalc.sweeps.default_grid`). Each point equals
    ``cost(net, α, resolution, **knobs).totals`` exactly, plus the published top-1 where known."""
    from archcalc.catalog import load_spec
    from archcalc.sweeps import run_sweep

    return run_sweep(load_spec(net), alphas, resolutions, knobs, convention, dtype)


def compare(kinds: list[str], **sizes: Any) -> Comparison:
    """Single-layer designs side by side (see :func:`archcalc.designs.compare`)."""
    from archcalc.designs import compare as run

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
    under a liveness ``rule`` (``materialize``, ``fused``, ``streamed``; see :mod:`archcalc.memory`)."""
    from archcalc.catalog import load_spec
    from archcalc.memory import memory_report
    from archcalc.resolve import resolve

    return memory_report(resolve(load_spec(net), alpha, resolution, rho, knobs), dtype, rule)


def load_spec(net: str | Path | NetworkSpec) -> NetworkSpec:
    """A built-in network by name, or a spec file by path, validated."""
    from archcalc.catalog import load_spec as load

    return load(net)


__all__ = ["__version__", "activation_memory", "compare", "cost", "load_spec", "sweep"]
