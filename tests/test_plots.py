"""Plots a person can read: labels clear of each other, the points, the legend and the title, never
clipped; the budget stated in the legend; layer names on the time plot's axis."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text
from test_latency import make_profile

from archcalc.count.latency import save_profile
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the command draws, kept open (it closes them after saving)."""
    figures: list[Any] = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    return figures


def _overlap(a: Any, b: Any) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)


def _inside(a: Any, frame: Any) -> bool:
    return (
        a.x0 >= frame.x0 - 0.5
        and a.x1 <= frame.x1 + 0.5
        and a.y0 >= frame.y0 - 0.5
        and a.y1 <= frame.y1 + 0.5
    )


@pytest.mark.parametrize(
    "args",
    [
        ["budget", "mobilenet_v1", "--max-macs", "300M", "--max-params", "3M"],
        ["sweep", "mobilenet_v2", "--y", "peak_memory"],
        ["sweep", "shufflenet_v1"],
    ],
)
def test_point_labels_are_clear(cli, kept: list[Any], tmp_path: Path, args: list[str]) -> None:
    r = cli(*args, "--no-latency", "--plot", str(tmp_path / "p.png"), "--format", "json")
    assert r.code == 0, r.err
    (fig,) = kept
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    labels = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the text, not its leader line
    data = json.loads(r.out)
    assert len(labels) == (data["searched"] if args[0] == "budget" else len(data["points"]))  # one per point
    title = ax.title.get_window_extent(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    for box in labels:
        assert _inside(box, frame)  # not clipped, and so clear of the title above the axes
        assert not _overlap(box, legend) and not _overlap(box, title)
    assert not any(_overlap(a, b) for a, b in combinations(labels, 2))
    legend_text = " ".join(t.get_text() for t in [ax.get_legend().get_title(), *ax.get_legend().get_texts()])
    if args[0] == "budget":
        assert "MACs ≤ 300,000,000" in legend_text and "params ≤ 3,000,000" in legend_text
    else:
        assert "fit" not in legend_text  # a sweep has no budget to fit


def test_time_plot_names_the_layers(
    cli, kept: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "config"))
    save_profile(make_profile("default"))
    args = [
        "mobilenet_v1",
        "--alpha",
        "0.25",
        "--res",
        "32",
        "--repeats",
        "1",
        "--warmup",
        "0",
        "--threads",
        "1",
    ]
    r = cli("time", *args, "--plot", str(tmp_path / "t.png"), "--format", "csv")
    assert r.code == 0, r.err
    names = [n.name for n in resolve(load_spec("mobilenet_v1"), 0.25, 32).graph.nodes]
    ticks = [t.get_text() for t in kept[0].axes[0].get_xticklabels()]
    assert ticks == names and len(names) == 84
