"""``archcalc memory``: the largest tensor per spatial resolution and the peak of live activations."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table

from archcalc.count.memory import MemoryReport
from archcalc.render.common import add_row, grid, shape_str
from archcalc.resolution import fmt_resolution


def _settings(m: MemoryReport) -> str:
    knobs = ", ".join(f"{k}={json.dumps(v)}" for k, v in m.knobs.items())
    return f"α={m.alpha:g}, {fmt_resolution(m.resolution)}" + (f", {knobs}" if knobs else "")


def _kb(n: int) -> str:
    return f"{n / 1000:,.1f}"


def _live(m: MemoryReport) -> str:
    return " + ".join(f"{t.name} {shape_str(t.shape)}" for t in m.peak_live) + (
        f" + {m.peak_workspace_bytes:,} B streamed channels" if m.peak_workspace_bytes else ""
    )


def _step(m: MemoryReport) -> str:
    return m.peak_step[0] if len(m.peak_step) == 1 else f"{m.peak_step[0]} … {m.peak_step[-1]}"


def render_memory(m: MemoryReport, fmt: str) -> str | list[Table]:
    """A string for json / csv / markdown; rich tables for ``table``."""
    if fmt == "json":
        return m.model_dump_json(indent=2) + "\n"
    if fmt in ("csv", "markdown"):
        header = ["size", "channels", f"bytes[{m.dtype}]", "tensor", "tensors"]
        rows: list[list[object]] = [
            [f"{r.height}x{r.width}", r.channels, r.bytes, r.tensor, r.tensors] for r in m.rows
        ]
        rows.append(["max", m.largest.shape[0], m.largest.bytes, m.largest.name, ""])
        rows.append(["peak", "", m.peak_bytes, _step(m), _live(m)])
        text = grid(header, rows, fmt)
        if fmt == "markdown":
            text = (
                f"**{m.title}** ({_settings(m)}; dtype {m.dtype}, rule `{m.rule}`: {m.rule_text})\n\n" + text
            )
        return text
    t = Table(
        title=escape(
            f"{m.title} — {_settings(m)} — activation memory at {m.dtype} ({m.dtype_bytes} B/element), "
            f"rule '{m.rule}'"
        ),
        caption=escape(
            f"Rule '{m.rule}': {m.rule_text}. Per size: the largest materialised tensor. max: the largest "
            "tensor (MobileNet V2 Table 3's max row). peak: max over ops of every tensor live at once "
            "(inputs, output, and tensors held for a later reader). K = 1000 bytes; tensors: how many are \
materialised at that size (at the peak: how many are live)."
        ),
    )
    for col, just in (
        ("size", "left"),
        ("channels", "right"),
        (f"bytes ({m.dtype})", "right"),
        ("K", "right"),
        ("tensor", "left"),
        ("tensors", "right"),
    ):
        t.add_column(escape(col), justify=just)  # type: ignore[arg-type]
    for r in m.rows:
        add_row(t, f"{r.height}×{r.width}", r.channels, f"{r.bytes:,}", _kb(r.bytes), r.tensor, r.tensors)
    t.add_section()
    lt = m.largest
    add_row(t, "max", lt.shape[0], f"{lt.bytes:,}", _kb(lt.bytes), f"{lt.name} {shape_str(lt.shape)}", "")
    add_row(t, "peak", "", f"{m.peak_bytes:,}", _kb(m.peak_bytes), f"at {_step(m)}", len(m.peak_live))
    live = Table(title=escape(f"Live at the peak ({_step(m)}), {m.dtype}"))
    for col, just in (("tensor", "left"), ("shape", "left"), ("bytes", "right"), ("K", "right")):
        live.add_column(col, justify=just)  # type: ignore[arg-type]
    for x in m.peak_live:
        add_row(live, x.name, shape_str(x.shape), f"{x.bytes:,}", _kb(x.bytes))
    if m.peak_workspace_bytes:
        w = m.peak_workspace_bytes
        add_row(live, "streamed inner tensors", "one channel each", f"{w:,}", _kb(w))
    add_row(live, "total", "", f"{m.peak_bytes:,}", _kb(m.peak_bytes))
    return [t, live]
