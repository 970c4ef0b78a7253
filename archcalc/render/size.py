"""``archcalc size``: weight storage per layer and in total, and all-reduce traffic."""

from __future__ import annotations

from archcalc.count.model_size import LayerSize, SizeReport, SizeTotals
from archcalc.inputs.resolution import fmt_resolution
from archcalc.render.common import grid, with_total_column
from archcalc.render.fit import FitTable

LAYER_HEADER = (
    "name",
    "kind",
    "params",
    "kept_dense",
    "density",
    "bits",
    "index_bits",
    "nonzeros",
    "fillers_expected",
    "codebook_bytes",
    "dense_bytes",
    "compressed_bytes_min",
    "compressed_bytes",
    "huffman_estimate_bytes",
    "allreduce_bytes_per_worker",
)


def _mb(b: int) -> str:
    return f"{b / 1e6:,.3f} MB / {b / 2**20:,.3f} MiB"


def _layer_row(x: LayerSize) -> list[object]:
    return [
        x.name,
        x.kind,
        x.params,
        x.kept_dense,
        f"{x.density:g}",
        "" if x.bits is None else x.bits,
        "" if x.index_bits is None else x.index_bits,
        x.nonzeros,
        f"{x.fillers_expected:.1f}",
        x.codebook_bytes,
        x.dense_bytes,
        x.compressed_bytes_min,
        x.compressed_bytes,
        "" if x.huffman_bytes is None else x.huffman_bytes,
        x.allreduce_bytes,
    ]


def _total_row(t: SizeTotals) -> list[object]:
    return [
        "TOTAL",
        "",
        t.params,
        t.kept_dense,
        "",
        "",
        "",
        t.nonzeros,
        f"{t.fillers_expected:.1f}",
        t.codebook_bytes,
        t.dense_bytes,
        t.compressed_bytes_min,
        t.compressed_bytes,
        "" if t.huffman_bytes is None else t.huffman_bytes,
        t.allreduce_bytes,
    ]


def settings_text(r: SizeReport) -> str:
    s = f"α={r.alpha:g}, {fmt_resolution(r.resolution)}, convention '{r.convention}', dtype {r.dtype}"
    if r.bits is not None:
        s += f", {r.bits}-bit clusters"
    if r.density < 1:
        s += f", density {r.density:g}, {r.index_bits}-bit relative index"
    if r.layer_settings:
        s += f", {len(r.layer_settings)} per-layer settings"
    return s + f", {r.workers} worker{'s' if r.workers != 1 else ''}"


def render_size(r: SizeReport, fmt: str, summary: bool = False, wide: bool = False) -> str | list[FitTable]:
    """A string for json / csv / markdown; rich tables for ``table``."""
    if fmt == "json":
        return r.model_dump_json(indent=2, exclude={"layers"} if summary else None) + "\n"
    if fmt in ("csv", "markdown"):
        rows = [] if summary else [_layer_row(x) for x in r.layers]
        text = grid(*with_total_column(LAYER_HEADER, [*rows, _total_row(r.totals)], 1, fmt), fmt)
        if fmt == "markdown":
            text = (
                f"**{r.title}** ({settings_text(r)})\n\nStorage: {r.storage_format}.\n\n"
                + "".join(f"- {a}\n" for a in r.assumptions)
                + "\n"
                + text
            )
        return text
    out: list[FitTable] = []
    if not summary:
        t = FitTable(f"{r.title} — weight storage — {settings_text(r)}", wide=wide)
        t.column("layer", min_width=9)
        t.column("params", number=True)
        t.column("density", number=True, drop=3)
        t.column("bits", number=True, drop=4)
        t.column("nonzeros", number=True, drop=5)
        t.column(f"dense ({r.dtype})", number=True)
        t.column("compressed min", number=True, drop=2)
        t.column("compressed (expected)", number=True)
        if r.huffman:
            t.column("Huffman est.", number=True, drop=6)
        t.column("all-reduce / worker", number=True, drop=1)
        for x in r.layers:
            cells = [
                x.name,
                f"{x.params:,}",
                f"{x.density:g}",
                "" if x.bits is None else str(x.bits),
                f"{x.nonzeros:,}",
                f"{x.dense_bytes:,}",
                f"{x.compressed_bytes_min:,}",
                f"{x.compressed_bytes:,}",
            ]
            if r.huffman:
                cells += [f"{x.huffman_bytes:,}" if x.huffman_bytes is not None else ""]
            cells += [f"{x.allreduce_bytes:,}"]
            t.row(*cells)
        out.append(t)
    tt = r.totals
    s = FitTable(f"{r.title} totals — {settings_text(r)}", r.storage_format, wide=wide)
    s.column("figure", min_width=10)
    s.column("bytes", number=True)
    s.column("MB (10^6) / MiB (2^20)", number=True, drop=2)
    s.column("÷ fp32 dense", number=True)
    s.column("assumption", min_width=12, drop=1)

    def line(label: str, b: int, note: str) -> None:
        s.row(label, f"{b:,}", _mb(b), f"{tt.dense_fp32_bytes / b:.2f}×" if b else "", note)

    s.row(f"params [{r.convention}]", f"{tt.params:,}", "", "", r.params_rule)
    line("dense at fp32", tt.dense_fp32_bytes, "every parameter at 32 bits")
    if r.dtype != "fp32":
        line(f"dense at {r.dtype}", tt.dense_bytes, f"every parameter at {r.dtype_bits} bits")
    compressed = r.density < 1 or r.bits is not None or bool(r.layer_settings)
    if compressed:
        line("compressed, lower bound", tt.compressed_bytes_min, "no filler entries")
        line("compressed, expected", tt.compressed_bytes, r.filler_assumption or "no pruning: no fillers")
    if tt.huffman_bytes is not None:
        line("Huffman ESTIMATE", tt.huffman_bytes, r.huffman_assumption or "")
    s.row(
        f"all-reduce / worker / step (N={r.workers})",
        f"{tt.allreduce_bytes:,}",
        _mb(tt.allreduce_bytes),
        "",
        f"ring: 2·(N−1)/N × {tt.gradient_bytes:,} B of {r.dtype} gradients",
    )
    out.append(s)
    return out
