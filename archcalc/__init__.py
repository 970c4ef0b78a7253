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
    from archcalc.memory import MemoryReport
    from archcalc.model_size import LayerSetting, SizeReport
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
    worker for ``workers`` (formulas and assumptions: :mod:`archcalc.model_size`). Bad settings raise
    :class:`archcalc.errors.ArchcalcError` naming the option."""
    from archcalc.catalog import load_spec
    from archcalc.model_size import size_report
    from archcalc.resolve import resolve

    resolved = resolve(load_spec(net), alpha, resolution, rho, knobs)
    return size_report(resolved, convention, dtype, bits, density, index_bits, workers, huffman, layers)


def load_spec(net: str | Path | NetworkSpec) -> NetworkSpec:
    """A built-in network by name, or a spec file by path, validated."""
    from archcalc.catalog import load_spec as load

    return load(net)


__all__ = ["__version__", "activation_memory", "compare", "cost", "load_spec", "size"]
