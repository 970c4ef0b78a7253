"""Point labels that neither overlap each other, the points, the legend nor the axes' edges.

Greedy placement in display coordinates: each label, in turn, takes the first free spot among
candidate offsets around its point, on rings of growing radius (eight directions per ring); a label
placed off the first ring gets a thin leader line to its point. A spot is free when the label's box
lies inside the axes (so it is never clipped, and never reaches the title above them) and meets no
placed label, no point, no drawn line and no legend. If no spot is free, the label goes where it
overlaps least.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

RINGS = (6.0, 16.0, 28.0, 42.0, 58.0, 76.0, 96.0)
"""Distances (points) of the candidate spots from the point they label."""
DIRECTIONS = ((1, 1), (0, 1), (1, -1), (0, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0))
"""Where a label may sit, in order of preference: above right, above, below right, below, then left."""
POINT_RADIUS = 4.0
"""Half the side (points) of the square kept free around each marker."""


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box: Any, frame: Any) -> float:
    """Area of ``box`` outside ``frame``."""
    inside = _overlap(box, frame)
    return box.width * box.height - inside


def place_labels(
    ax: Any, points: Sequence[tuple[float, float]], texts: Sequence[str], fontsize: float = 7.0
) -> list[Any]:
    """Annotate each data point with its text, placed as the module docstring says."""
    from matplotlib.transforms import Bbox

    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer).shrunk(0.995, 0.99)
    to_px = fig.dpi / 72.0
    centres = [ax.transData.transform(p) for p in points]
    r = POINT_RADIUS * to_px
    taken = [Bbox.from_extents(x - r, y - r, x + r, y + r) for x, y in centres]
    legend = ax.get_legend()
    if legend is not None:
        taken.append(legend.get_window_extent(renderer))
    for line in ax.get_lines():  # drawn lines (the Pareto front): boxes every few pixels along them
        xy = ax.transData.transform(line.get_xydata())
        for (x0, y0), (x1, y1) in pairwise(xy):
            steps = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) / r))
            for k in range(steps + 1):
                x, y = x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps
                taken.append(Bbox.from_extents(x - r / 2, y - r / 2, x + r / 2, y + r / 2))
    placed = []
    for point, text in sorted(zip(points, texts, strict=True), key=lambda pt: (pt[0][0], pt[0][1])):
        best: tuple[float, tuple[float, float], str, str, Any, int] | None = None
        for ring, distance in enumerate(RINGS):
            for dx, dy in DIRECTIONS:
                offset = (dx * distance, dy * distance)
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
                trial = ax.annotate(
                    text, point, xytext=offset, textcoords="offset points", ha=ha, va=va, fontsize=fontsize
                )
                box = trial.get_window_extent(renderer).expanded(1.04, 1.1)
                trial.remove()
                cost = 1000 * _outside(box, frame) + sum(_overlap(box, t) for t in taken)
                if best is None or cost < best[0]:
                    best = (cost, offset, ha, va, box, ring)
                if cost == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        _, offset, ha, va, box, ring = best
        leader = {"arrowstyle": "-", "color": "0.55", "linewidth": 0.6, "shrinkA": 1, "shrinkB": 3}
        placed.append(
            ax.annotate(
                text,
                point,
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                arrowprops=leader if ring > 0 else None,
            )
        )
        taken.append(box)
    return placed
