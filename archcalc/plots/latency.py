"""``archcalc time --plot FILE.png``: measured vs predicted time per layer, and a roofline chart.

Left: one pair of bars per layer, the measured median and the latency model's prediction (ms, log
scale). Right: each layer with MACs as a point at (intensity = MACs / bytes moved, achieved GMAC/s),
coloured by kind, under each kind's roofline from the profile:
GMAC/s = min(R_k, I · e_k · W(b)) / 1e9, with W at the median bytes of that kind's layers.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import median
from typing import Any

from archcalc.count.kernel_types import KERNEL_TYPES
from archcalc.count.latency import DeviceProfile
from archcalc.inputs.resolution import fmt_res_short
from archcalc.plots import pyplot, save

NAME_PITCH = 0.11
"""Inches per layer name on the x axis of the bars (5.5-point names, rotated)."""
MAX_WIDTH = 48.0
"""Widest figure, inches; past it, every k-th layer is named."""


def plot_timing(t: Any, profile: DeviceProfile | None, path: Path) -> Path:
    """Write the two charts of an :class:`archcalc.measure.timing.Timing` to ``path`` (PNG)."""
    plt = pyplot()
    # one bar per kernel: the layers fused into a kernel (onnxruntime) carry no time of their own
    keep = [i for i, x in enumerate(t.measured.layers) if x.kernel == x.name]
    layers = [t.measured.layers[i] for i in keep]
    n = len(layers)
    width = min(max(16.0, NAME_PITCH * n * 5 / 3 + 2), MAX_WIDTH)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(width, 7.5), gridspec_kw={"width_ratios": [3, 2]})
    xs = list(range(n))
    ax1.bar([x - 0.2 for x in xs], [max(x.median_ms, 1e-6) for x in layers], width=0.4, label="measured")
    if t.predicted is not None:
        ax1.bar(
            [x + 0.2 for x in xs],
            [1e3 * t.predicted.layers[i].seconds for i in keep],
            width=0.4,
            label=f"predicted (profile '{t.predicted.profile}')",
        )
    ax1.set_yscale("log")
    ax1.set_ylabel("time per call, ms (log)")
    ax1.set_title(
        f"{t.network} α={t.alpha:g} {fmt_res_short(t.resolution)}px, batch {t.batch}, {t.threads} threads\n"
        f"forward {t.measured.forward.median_ms:.2f} ms, Σ layers {t.measured.sum_of_layers_ms:.2f} ms"
        + (f", predicted {t.predicted.total_ms:.2f} ms" if t.predicted is not None else ""),
        pad=24,
    )
    every = max(1, math.ceil(n * NAME_PITCH / (width * 3 / 5 - 1)))  # names at least NAME_PITCH apart
    ax1.set_xticks(xs[::every], [x.name for x in layers][::every], rotation=90, fontsize=5.5)
    ax1.set_xlim(-0.7, n - 0.3)
    unit = "kernel" if len(keep) < len(t.measured.layers) else "layer"
    ax1.set_xlabel(f"{unit}, in graph order" + (f" (every {every}th named)" if every > 1 else ""))
    ax1.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=8)

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    by_kind: dict[str, list[Any]] = {}
    for x in layers:
        if x.macs > 0:
            by_kind.setdefault(x.kind, []).append(x)
    kinds = [k for k, kt in KERNEL_TYPES.items() if kt.on_macs and k in by_kind]
    for i, k in enumerate(kinds):
        pts = by_kind[k]
        intensity = [t.batch * x.macs / x.bytes for x in pts]
        c = colours[i % len(colours)]
        ax2.scatter(intensity, [x.gmacs_per_s for x in pts], s=14, color=c, label=k)
        if profile is not None:
            m = profile.kinds[k]
            if m.mac_rate is not None and m.bw_efficiency is not None:
                w = m.bw_efficiency * profile.bandwidth(median(x.bytes for x in pts))
                lo, hi = min(intensity) / 3, max(intensity) * 3
                grid = [lo * (hi / lo) ** (j / 50) for j in range(51)]
                ax2.plot(grid, [min(m.mac_rate, g * w) / 1e9 for g in grid], color=c, linewidth=1)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("arithmetic intensity, MACs per byte moved (fp32)")
    ax2.set_ylabel("achieved GMAC/s")
    lines = f", lines from profile '{profile.name}'" if profile is not None else ""
    ax2.set_title("roofline: layers as points" + lines)
    if kinds:
        ax2.legend()
    fig.tight_layout()
    save(fig, path, dpi=150)
    plt.close(fig)
    return path
