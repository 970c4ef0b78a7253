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
    from pathlib import Path

    from archcalc.closed_form import Report
    from archcalc.designs import Comparison
    from archcalc.latency import LatencyPrediction
    from archcalc.spec import NetworkSpec


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


def compare(kinds: list[str], **sizes: Any) -> Comparison:
    """Single-layer designs side by side (see :func:`archcalc.designs.compare`)."""
    from archcalc.designs import compare as run

    return run(kinds, **sizes)


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
    from archcalc.latency import predict, require_profile

    prof = require_profile(profile)
    return predict(cost(net, alpha, resolution, rho=rho, **knobs), prof, batch)


def load_spec(net: str | Path | NetworkSpec) -> NetworkSpec:
    """A built-in network by name, or a spec file by path, validated."""
    from archcalc.catalog import load_spec as load

    return load(net)


__all__ = ["__version__", "compare", "cost", "load_spec", "predict_latency"]
