"""``archcalc memory``: the largest tensor per spatial resolution and the peak of live activations."""

from __future__ import annotations

from archcalc.count.memory import MemoryReport
from archcalc.render.common import grid, settings, shape_str
from archcalc.render.fit import FitTable


def _kb(n: int) -> str:
    return f"{n / 1000:,.1f}"


def _live(m: MemoryReport) -> str:
    return " + ".join(f"{t.name} {shape_str(t.shape)}" for t in m.peak_live) + (
        f" + {m.peak_workspace_bytes:,} B streamed channels" if m.peak_workspace_bytes else ""
    )


def _step(m: MemoryReport) -> str:
    return m.peak_step[0] if len(m.peak_step) == 1 else f"{m.peak_step[0]} … {m.peak_step[-1]}"


def render_memory(m: MemoryReport, fmt: str, wide: bool = False) -> str | list[FitTable]:
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
                f"**{m.title}** ({settings(m)}; dtype {m.dtype}, rule `{m.rule}`: {m.rule_text})\n\n" + text
            )
        return text
    t = FitTable(
        f"{m.title} — {settings(m)} — activation memory at {m.dtype} ({m.dtype_bytes} B/element), "
        f"rule '{m.rule}'",
        f"Rule '{m.rule}': {m.rule_text}. Per size: the largest materialised tensor. max: the largest "
        "tensor (MobileNet V2 Table 3's max row). peak: max over ops of every tensor live at once "
        "(inputs, output, and tensors held for a later reader). K = 1000 bytes; tensors: how many are "
        "materialised at that size (at the peak: how many are live).",
        wide=wide,
    )
    t.column("size", min_width=7)
    t.column("channels", number=True)
    t.column(f"bytes ({m.dtype})", number=True)
    t.column("K", number=True, drop=1)
    t.column("tensor", min_width=10)
    t.column("tensors", number=True, drop=2)
    for r in m.rows:
        t.row(f"{r.height}×{r.width}", f"{r.channels:,}", f"{r.bytes:,}", _kb(r.bytes), r.tensor, r.tensors)
    t.section()
    lt = m.largest
    t.row("max", f"{lt.shape[0]:,}", f"{lt.bytes:,}", _kb(lt.bytes), f"{lt.name} {shape_str(lt.shape)}", "")
    t.row("peak", "", f"{m.peak_bytes:,}", _kb(m.peak_bytes), f"at {_step(m)}", len(m.peak_live))
    live = FitTable(f"Live at the peak ({_step(m)}), {m.dtype}", wide=wide)
    live.column("tensor", min_width=10)
    live.column("shape", min_width=8)
    live.column("bytes", number=True)
    live.column("K", number=True, drop=1)
    for x in m.peak_live:
        live.row(x.name, shape_str(x.shape), f"{x.bytes:,}", _kb(x.bytes))
    if m.peak_workspace_bytes:
        w = m.peak_workspace_bytes
        live.row("streamed inner tensors", "one channel each", f"{w:,}", _kb(w))
    live.row("total", "", f"{m.peak_bytes:,}", _kb(m.peak_bytes))
    return [t, live]
