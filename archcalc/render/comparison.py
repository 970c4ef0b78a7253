"""``archcalc compare``: single-layer designs side by side, with their formulas."""

from __future__ import annotations

from archcalc.count.designs import DESIGNS, KNOB_SYMBOLS, Comparison
from archcalc.render.common import grid
from archcalc.render.fit import FitTable


def render_comparison(c: Comparison, fmt: str, wide: bool = False) -> str | list[FitTable]:
    if fmt == "json":
        return c.model_dump_json(indent=2) + "\n"
    first = c.designs[0].kind
    header = [
        "design",
        "MACs formula",
        "params formula",
        "params[paper]",
        "macs[paper]",
        f"bytes[{c.dtype}]",
        f"macs_vs_{first}",
        f"params_vs_{first}",
        "paper_ratio_vs_standard",
        "paper_ratio_value",
    ]
    rows = [
        [
            d.kind,
            d.macs_formula,
            d.params_formula,
            d.params,
            d.macs,
            d.bytes_read + d.bytes_written,
            f"{d.macs_ratio:.6f}",
            f"{d.params_ratio:.6f}",
            d.vs_standard_formula,
            f"{d.vs_standard_formula_value:.6f}",
        ]
        for d in c.designs
    ]
    if fmt in ("csv", "markdown"):
        return grid(header, rows, fmt)
    knobs = {DESIGNS[d.kind].knob for d in c.designs}
    dims = (
        f"D_K={c.dk}, M={c.m}, N={c.n}, D_F={c.df}"
        + (f" (input {c.df_in}, stride {c.stride})" if c.stride != 1 else "")
        + (f", G={c.groups}" if c.groups != 1 else "")
        + "".join(f", {sym}={getattr(c, k)}" for k, sym in KNOB_SYMBOLS.items() if k in knobs)
        + (f"; α={c.alpha:g}" if c.alpha != 1 else "")
        + (f", ρ={c.rho:g}" if c.rho != 1 else "")
    )
    t = FitTable(
        f"Single-layer designs — {dims}\nconvention 'paper' (conv weights, no BN), bytes at {c.dtype}",
        "D_F is the output side; ratios are to the first design.",
        wide=wide,
    )
    t.column("design", min_width=9)
    for col in ("params", "MACs", "bytes", f"MACs ÷ {first}", f"params ÷ {first}"):
        t.column(col, number=True, drop=1 if col == "bytes" else None)
    f = FitTable(
        "Formulas (symbols as in MobileNet §3; the ratio to a standard conv assumes stride 1)", wide=wide
    )
    f.column("design", min_width=9)
    for col in ("MACs =", "params =", "MACs ÷ standard ="):
        f.column(col, min_width=12)
    for d in c.designs:
        t.row(
            d.kind,
            f"{d.params:,}",
            f"{d.macs:,}",
            f"{d.bytes_read + d.bytes_written:,}",
            f"{d.macs_ratio:.4f}",
            f"{d.params_ratio:.4f}",
        )
        f.row(
            d.kind,
            d.macs_formula,
            d.params_formula,
            f"{d.vs_standard_formula} = {d.vs_standard_formula_value:.4f}",
        )
    return [t, f]
