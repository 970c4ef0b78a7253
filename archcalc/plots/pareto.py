"""The sweep as a chart: MACs (x) against params, predicted latency or peak memory (y).

Every configuration is a point labelled ``α-res``; published top-1 is written beside the points
that have one. With a budget (``archcalc budget --plot``), the region inside the limits on the two
axes is shaded, the configurations that fit are filled and the Pareto front of
:mod:`archcalc.sweeps.budget` is drawn as a line through its points (in order of MACs).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from archcalc.inputs.resolution import fmt_res_short
from archcalc.plots import pyplot, save
from archcalc.plots.labels import place_labels
from archcalc.sweeps.budget import Limits
from archcalc.sweeps.grid import SweepPoint

Y_AXES: dict[str, str] = {
    "params": "params",
    "latency": "predicted latency",
    "peak_memory": "peak activation memory",
}


def _y(p: SweepPoint, y: str) -> float:
    if y == "params":
        return p.params / 1e6
    if y == "latency":
        return p.latency_ms or 0.0
    return (p.peak_memory_bytes or 0) / 1e6


def _y_limit(limits: Limits | None, y: str) -> float | None:
    if limits is None:
        return None
    if y == "params":
        return None if limits.max_params is None else limits.max_params / 1e6
    if y == "latency":
        return limits.max_latency_ms
    return None if limits.max_peak_memory is None else limits.max_peak_memory / 1e6


def draw_pareto(
    title: str,
    points: Sequence[SweepPoint],
    path: Path,
    y: str = "params",
    convention: str = "paper",
    dtype: str = "fp32",
    profile: str | None = None,
    limits: Limits | None = None,
    front: Sequence[SweepPoint] | None = None,
) -> Path:
    """Draw ``points`` (MACs vs ``y``) to ``path``; shade ``limits`` and draw ``front`` when given."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5) if len(points) <= 20 else (10, 7), dpi=120)
    xs = [p.macs / 1e6 for p in points]
    ys = [_y(p, y) for p in points]
    fits = {(p.alpha, p.resolution) for p in points} if limits is None else set()
    budget_text = None
    y_top = 0.0
    if limits is not None:
        from archcalc.render.sweep import limits_text

        fits = {(p.alpha, p.resolution) for p in points if not limits.violations(p)}
        x_max = limits.max_macs / 1e6 if limits.max_macs is not None else max(xs) * 1.05
        y_max = _y_limit(limits, y)
        y_max = y_max if y_max is not None else max(ys) * 1.05
        y_top = y_max
        budget_text = "budget: " + limits_text(limits)
        ax.fill_between([0, x_max], 0, y_max, color="tab:green", alpha=0.12, label="within the budget")
    filled = [(x, v) for p, x, v in zip(points, xs, ys, strict=True) if (p.alpha, p.resolution) in fits]
    hollow = [(x, v) for p, x, v in zip(points, xs, ys, strict=True) if (p.alpha, p.resolution) not in fits]
    if filled:
        label = "configuration (α-res)" if limits is None else "fits the budget"
        ax.scatter(*zip(*filled, strict=True), color="tab:blue", zorder=3, label=label)
    if hollow:
        ax.scatter(
            *zip(*hollow, strict=True),
            facecolors="none",
            edgecolors="tab:gray",
            zorder=3,
            label="over budget",
        )
    if front:
        f = sorted(front, key=lambda p: p.macs)
        ax.plot(
            [p.macs / 1e6 for p in f],
            [_y(p, y) for p in f],
            color="tab:red",
            marker="D",
            zorder=4,
            label="Pareto front",
        )
    unit = {"params": "M", "latency": f"ms, profile {profile}", "peak_memory": f"MB at {dtype}"}[y]
    ax.set_xlabel(f"MACs (M, convention {convention})")
    ax.set_ylabel(f"{Y_AXES[y]} ({unit}{', convention ' + convention if y == 'params' else ''})")
    ax.set_title(f"{title}: MACs vs {Y_AXES[y]} (labels α-res, published top-1 where known)", fontsize=9)
    ax.set_xlim(0, max(xs) * 1.12 if xs else 1)
    ax.set_ylim(0, max([*ys, y_top]) * 1.15 if ys else 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", title=budget_text, title_fontsize=7)
    fig.tight_layout()
    texts = [
        f"{p.alpha:g}-{fmt_res_short(p.resolution)}" + (f" {p.top1:g}%" if p.top1 is not None else "")
        for p in points
    ]
    place_labels(ax, list(zip(xs, ys, strict=True)), texts)
    save(fig, path)
    plt.close(fig)
    return path
