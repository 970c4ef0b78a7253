"""``archcalc table NET NET …``: several networks in one table, ratios to the first."""

from __future__ import annotations

import json

from archcalc.count.side_by_side import NetworkComparison, NetworkRow
from archcalc.inputs.resolution import fmt_res_short, res_cell
from archcalc.render.common import grid
from archcalc.render.fit import FitTable, Footnotes

HEADER = (
    "network",
    "title",
    "alpha",
    "resolution",
    "knobs",
    "macs",
    "params",
    "params_without_bn",
    "params_with_bn",
    "macs_vs_first",
    "params_vs_first",
    "top1",
    "top1_source",
)


def setting(n: NetworkRow) -> str:
    knobs = ", ".join(f"{k}={json.dumps(v)}" for k, v in n.knobs.items())
    return f"α={n.alpha:g}, {fmt_res_short(n.resolution)}px" + (f", {knobs}" if knobs else "")


def _exact(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def render_side_by_side(c: NetworkComparison, fmt: str, wide: bool = False) -> str | list[FitTable]:
    """A string for json / csv / markdown; a rich table for ``table``."""
    if fmt == "json":
        return c.model_dump_json(indent=2) + "\n"
    if fmt in ("csv", "markdown"):
        flops = all(n.macs is None and n.flops is not None for n in c.networks)
        header = list(HEADER)
        header[5:7] = [f"{'flops' if flops else 'macs'}[{c.convention}]", f"params[{c.convention}]"]
        rows = [
            [
                n.network,
                n.title,
                f"{n.alpha:g}",
                res_cell(n.resolution),
                json.dumps(n.knobs),
                (n.flops if flops else n.macs) if (n.flops if flops else n.macs) is not None else "",
                "" if n.params is None else n.params,
                n.params_without_bn,
                n.params_with_bn,
                "" if n.macs_vs_first is None else f"{n.macs_vs_first:.6f}",
                "" if n.params_vs_first is None else f"{n.params_vs_first:.6f}",
                "" if n.top1 is None else f"{n.top1:g}",
                n.top1_source or "",
            ]
            for n in c.networks
        ]
        text = grid(header, rows, fmt)
        if fmt == "markdown":
            text = (
                f"**{len(c.networks)} networks** (convention `{c.convention}`; ratios to the first)\n\n"
                + text
            )
        return text
    first = c.networks[0].title
    unit = "FLOPs" if all(n.macs is None and n.flops is not None for n in c.networks) else "MACs"
    sources = Footnotes("Published top-1 (ImageNet, %), for exactly the configuration shown:")
    t = FitTable(
        f"{len(c.networks)} networks — {unit} and params: convention '{c.convention}' — ratios to {first}",
        f"{unit}: {c.macs_rule or 'none counted'}. params: {c.params_rule or 'none counted'}.",
        wide=wide,
        notes_column="top-1 %",
    )
    t.column("network", min_width=10)
    t.column("setting", min_width=10, drop=1)
    t.column(unit, number=True)
    t.column("params", number=True)
    t.column(f"{unit} ÷ first", number=True)
    t.column("params ÷ first", number=True)
    t.column("top-1 %", number=True, drop=2)
    for n in c.networks:
        top = "" if n.top1 is None else f"{n.top1:g} [{sources.mark(n.top1_source or '')}]"
        t.row(
            n.title,
            setting(n),
            _exact(n.flops if unit == "FLOPs" else n.macs),
            "—" if n.params is None else f"{n.params:,}",
            "—" if n.macs_vs_first is None else f"{n.macs_vs_first:.2f}×",
            "—" if n.params_vs_first is None else f"{n.params_vs_first:.2f}×",
            top,
        )
    t.notes = sources.lines()
    return [t]
