"""``archcalc sweep`` and ``archcalc budget``: one row per (α, resolution), like MobileNet V1 Tables 6–7."""

from __future__ import annotations

import json
from collections.abc import Sequence

from archcalc.inputs.resolution import fmt_res_short, res_cell
from archcalc.render.common import grid
from archcalc.render.fit import FitTable, Footnotes
from archcalc.sweeps.budget import Fit, Limits
from archcalc.sweeps.grid import Sweep, SweepPoint


def label(title: str, p: SweepPoint) -> str:
    """The papers' row name: ``0.75 MobileNet V1-224``."""
    return f"{p.alpha:g} {title}-{fmt_res_short(p.resolution)}"


def _knobs(knobs: dict[str, object]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in knobs.items())


def _unit(convention: str) -> str:
    """The count column's unit under ``convention``: MACs, or FLOPs for tf."""
    from archcalc.count.conventions import get_convention

    return "FLOPs" if get_convention(convention).unit == "FLOPs" else "MACs"


def _count(p: SweepPoint) -> int | None:
    return p.macs if p.macs is not None else p.flops


def _header(convention: str, dtype: str, memory: bool, latency: str | None) -> list[str]:
    cols = [
        "config",
        "alpha",
        "resolution",
        f"{_unit(convention).lower()}[{convention}]",
        f"params[{convention}]",
        "params_without_bn",
        "params_with_bn",
        f"model_bytes[{dtype}]",
    ]
    if memory:
        cols.append(f"peak_memory_bytes[{dtype}]")
    if latency:
        cols.append(f"latency_ms[{latency}]")
    return [*cols, "top1", "top1_source"]


def _exact_row(title: str, p: SweepPoint, memory: bool, latency: str | None) -> list[object]:
    row: list[object] = [
        label(title, p),
        f"{p.alpha:g}",
        res_cell(p.resolution),
        "" if _count(p) is None else _count(p),
        "" if p.params is None else p.params,
        p.params_without_bn,
        p.params_with_bn,
        "" if p.model_bytes is None else p.model_bytes,
    ]
    if memory:
        row.append(p.peak_memory_bytes)
    if latency:
        row.append("" if p.latency_ms is None else f"{p.latency_ms:.3f}")
    return [*row, "" if p.top1 is None else f"{p.top1:g}", p.top1_source or ""]


def _human_row(title: str, p: SweepPoint, memory: bool, latency: str | None, sources: Footnotes) -> list[str]:
    count = _count(p)
    row: list[str] = [
        label(title, p),
        "—" if count is None else f"{count:,}",
        "—" if p.params is None else f"{p.params:,}",
        _mb(p.model_bytes),
    ]
    if memory:
        row.append(_mb(p.peak_memory_bytes))
    if latency:
        row.append("" if p.latency_ms is None else f"{p.latency_ms:,.2f}")
    top = "" if p.top1 is None else f"{p.top1:g} [{sources.mark(p.top1_source or '')}]"
    return [*row, top]


def _mb(n: int | None) -> str:
    return "" if n is None else f"{n / 1e6:,.2f}"


def _table(
    title: str,
    caption: str,
    heading: str,
    points: Sequence[SweepPoint],
    convention: str,
    dtype: str,
    memory: bool,
    latency: str | None,
    wide: bool,
    front: set[tuple[float, int]] | None = None,
) -> FitTable:
    top1 = "top-1 %"
    t = FitTable(heading, caption, wide=wide, notes_column=top1)
    if front is not None:
        t.column("front", justify="center")
    t.column("config", min_width=10)
    t.column(f"{_unit(convention)} [{convention}]", number=True)
    t.column(f"params [{convention}]", number=True)
    t.column(f"model MB [{dtype}]", number=True, drop=1)
    if memory:
        t.column(f"peak memory MB [{dtype}]", number=True, drop=2)
    if latency:
        t.column(f"latency ms [{latency}]", number=True, drop=3)
    t.column(top1, number=True, drop=4)
    sources = Footnotes("Published ImageNet top-1, for exactly this configuration:")
    for p in points:
        cells = _human_row(title, p, memory, latency, sources)
        if front is not None:
            cells.insert(0, "◆" if (p.alpha, p.resolution) in front else "")
        t.row(*cells)
    t.notes = sources.lines()
    return t


def _caption(
    convention: str,
    macs_rule: str | None,
    params_rule: str | None,
    memory_rule: str | None,
    latency: str | None,
) -> str:
    parts = [
        f"{_unit(convention)}: {macs_rule or 'none counted'}.",
        f"Params: {params_rule or 'none counted'}.",
        "model MB = params × dtype bytes / 10⁶.",
    ]
    if memory_rule:
        parts.append(f"Peak memory (batch 1, rule {memory_rule}).")
    if latency:
        parts.append(f"Latency predicted on device profile '{latency}'.")
    parts.append("Top-1: published ImageNet accuracy for exactly this configuration; [a] marks its source.")
    return " ".join(parts)


def render_sweep(s: Sweep, fmt: str, wide: bool = False) -> str | FitTable:
    """A string for json / csv / markdown; a rich table for ``table``."""
    memory = s.peak_memory_rule is not None
    if fmt == "json":
        return s.model_dump_json(indent=2) + "\n"
    if fmt in ("csv", "markdown"):
        rows = [_exact_row(s.title, p, memory, s.latency_profile) for p in s.points]
        text = grid(_header(s.convention, s.dtype, memory, s.latency_profile), rows, fmt)
        if fmt == "markdown":
            text = (
                f"**{s.title}** sweep ({_knobs(s.knobs) or 'no knobs'}; convention `{s.convention}`)\n\n"
                + text
            )
        return text
    heading = f"{s.title} — {len(s.points)} configurations" + (f" — {_knobs(s.knobs)}" if s.knobs else "")
    caption = _caption(s.convention, s.macs_rule, s.params_rule, s.peak_memory_rule, s.latency_profile)
    return _table(s.title, caption, heading, s.points, s.convention, s.dtype, memory, s.latency_profile, wide)


def limits_text(limits: Limits) -> str:
    parts = []
    if limits.max_macs is not None:
        parts.append(f"MACs ≤ {limits.max_macs:,}")
    if limits.max_params is not None:
        parts.append(f"params ≤ {limits.max_params:,}")
    if limits.max_bytes is not None:
        parts.append(f"model bytes ≤ {limits.max_bytes:,}")
    if limits.max_peak_memory is not None:
        parts.append(f"peak memory ≤ {limits.max_peak_memory:,} B")
    if limits.max_latency_ms is not None:
        parts.append(f"latency ≤ {limits.max_latency_ms:g} ms")
    return ", ".join(parts) or "no limits"


def render_fit(f: Fit, fmt: str, wide: bool = False) -> str | FitTable:
    """The fitting configurations, Pareto front first (best first), then the rest."""
    memory = f.peak_memory_rule is not None
    latency = f.latency_profile
    points = [*f.front, *f.others]
    front = {(p.alpha, p.resolution) for p in f.front}
    if fmt == "json":
        return f.model_dump_json(indent=2) + "\n"
    if fmt in ("csv", "markdown"):
        header = ["front", *_header(f.convention, f.dtype, memory, latency)]
        rows = [
            ["yes" if (p.alpha, p.resolution) in front else "no", *_exact_row(f.title, p, memory, latency)]
            for p in points
        ]
        text = grid(header, rows, fmt)
        if fmt == "markdown":
            text = (
                f"**{f.title}** within {limits_text(f.limits)}: {len(points)} of {f.searched} configurations "
                f"fit, {len(f.front)} on the Pareto front (convention `{f.convention}`). {f.rule}\n\n" + text
            )
        return text
    heading = (
        f"{f.title} within {limits_text(f.limits)} — {len(points)} of {f.searched} configurations fit, "
        f"{len(f.front)} on the Pareto front (◆)"
    )
    caption = f.rule + " " + _caption(f.convention, f.macs_rule, f.params_rule, f.peak_memory_rule, latency)
    return _table(f.title, caption, heading, points, f.convention, f.dtype, memory, latency, wide, front)
