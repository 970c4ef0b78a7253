"""``archcalc table``: a network's per-layer rows, totals under every convention, and breakdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archcalc.count.views import VIEW_TEXT
from archcalc.render.common import grid, mega, shape_str, with_total_column
from archcalc.render.fit import FitTable
from archcalc.resolution import fmt_resolution

if TYPE_CHECKING:
    from archcalc.count.closed_form import LayerCost, Report


def settings(r: Report) -> str:
    knobs = ", ".join(f"{k}={json.dumps(v)}" for k, v in r.knobs.items())
    return f"α={r.alpha:g}, {fmt_resolution(r.resolution)}" + (f", {knobs}" if knobs else "")


LAYER_COLUMNS = (
    "name",
    "kind",
    "args",
    "input",
    "output",
    "params",
    "macs",
    "macs_pct",
    "bytes_read",
    "bytes_written",
    "intensity",
)


def _layer_rows(r: Report, rows: Sequence[LayerCost]) -> list[list[object]]:
    total = r.totals.macs or 1
    return [
        [
            x.name,
            x.kind,
            x.args,
            " + ".join(shape_str(s) for s in x.input_shapes),
            shape_str(x.output_shape),
            x.params,
            x.macs,
            f"{100 * x.macs / total:.2f}",
            x.bytes_read,
            x.bytes_written,
            f"{x.intensity:.3f}",
        ]
        for x in rows
    ]


def _total_row(r: Report) -> list[object]:
    t = r.totals
    return [
        "TOTAL",
        "",
        "",
        shape_str(r.input_shape),
        shape_str(r.output_shape),
        t.params,
        t.macs,
        "100.00",
        t.bytes_read,
        t.bytes_written,
        f"{t.macs / (t.bytes_read + t.bytes_written):.3f}",
    ]


def render_report(
    r: Report, fmt: str, summary: bool = False, view: str = "primitives", wide: bool = False
) -> str | list[FitTable]:
    """A string for json / csv / markdown; rich renderables for ``table``. ``view`` picks the rows
    (:mod:`archcalc.count.views`); ``primitives`` is the report's own rows, as before views."""
    from archcalc.count.views import check_view, view_rows

    check_view(view)
    rows = [] if summary else view_rows(r, view)
    if fmt == "json":
        if summary or view == "primitives":
            return r.model_dump_json(indent=2, exclude={"layers"} if summary else None) + "\n"
        data = r.model_dump(mode="json", exclude={"layers"})
        data["view"] = view
        data["layers"] = [x.model_dump(mode="json") for x in rows]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt in ("csv", "markdown"):
        header = [
            *LAYER_COLUMNS[:5],
            f"params[{r.convention}]",
            f"macs[{r.convention}]",
            *LAYER_COLUMNS[7:9],
            f"bytes_written[{r.dtype}]",
            "intensity_macs_per_byte",
        ]
        header[8] = f"bytes_read[{r.dtype}]"
        text = grid(*with_total_column(header, [*_layer_rows(r, rows), _total_row(r)], 1, fmt), fmt)
        if fmt == "markdown":
            shown = "" if view == "primitives" or summary else f"; view `{view}`: {VIEW_TEXT[view]}"
            title = f"**{r.title}** ({settings(r)}; convention `{r.convention}`, dtype {r.dtype}{shown})\n\n"
            text = title + text
        return text
    return _rich_report(r, rows, summary, view, wide)


def _rich_report(
    r: Report, rows: Sequence[LayerCost], summary: bool, view: str, wide: bool
) -> list[FitTable]:
    conv = r.by_convention[r.convention]
    out: list[FitTable] = []
    if not summary:
        t = FitTable(
            f"{r.title} — {settings(r)} — MACs and params: convention '{r.convention}', "
            f"bytes at {r.dtype} — view '{view}'",
            f"Rows: {VIEW_TEXT[view]}. MACs [{r.convention}]: {conv.macs_rule}. "
            f"params [{r.convention}]: {conv.params_rule}.",
            wide=wide,
        )
        t.column("#", number=True, drop=4)
        t.column("layer")
        t.column("kind", drop=3)
        t.column("args", drop=6)
        t.column("input → output", drop=5)
        t.column("params", number=True)
        t.column("MACs", number=True)
        t.column("% MACs", number=True)
        t.column(f"bytes ({r.dtype})", number=True, drop=2)
        t.column("MACs/byte", number=True, drop=1)
        total = r.totals.macs or 1
        for i, x in enumerate(rows):
            t.row(
                i,
                x.name,
                x.kind,
                x.args,
                f"{' + '.join(shape_str(s) for s in x.input_shapes)} → {shape_str(x.output_shape)}",
                f"{x.params:,}",
                f"{x.macs:,}",
                f"{100 * x.macs / total:.2f}",
                f"{x.bytes_read + x.bytes_written:,}",
                f"{x.intensity:.2f}",
            )
        out.append(t)
    out.append(_rich_totals(r, wide))
    out.append(_rich_breakdown(r, wide))
    return out


def _rich_totals(r: Report, wide: bool = False) -> FitTable:
    tt = r.totals
    t = FitTable(f"{r.title} totals — {settings(r)}", wide=wide)
    t.column("figure", min_width=12)
    t.column("value", number=True)
    t.column("exact", number=True)
    t.column("convention / note", min_width=12, drop=1)

    def line(label: str, x: int, note: str) -> None:
        t.row(label, mega(x), f"{x:,}", note)

    for name, c in r.by_convention.items():
        mark = " ◀" if name == r.convention else ""
        line(f"MACs [{name}]{mark}", c.macs, c.macs_rule)
    line(f"FLOPs [{r.convention}]", tt.flops, "2 × MACs")
    line("params without BN [paper]", tt.params_without_bn, r.by_convention["paper"].params_rule)
    line("params with BN [torch]", tt.params_with_bn, r.by_convention["torch"].params_rule)
    line(f"weight bytes [{r.dtype}]", tt.weight_bytes, "conv/linear weights + BN γ, β, mean, var")
    line(f"bytes read [{r.dtype}]", tt.bytes_read, "Σ inputs + weights")
    line(f"bytes written [{r.dtype}]", tt.bytes_written, "Σ outputs")
    return t


def _rich_breakdown(r: Report, wide: bool = False) -> FitTable:
    t = FitTable(f"Resources per layer type — convention '{r.convention}'", wide=wide)
    t.column("type", min_width=8)
    for col in ("layers", "MACs", "% MACs", "params", "% params"):
        t.column(col, number=True, drop=1 if col == "layers" else None)
    for s in r.breakdown:
        t.row(
            s.category,
            str(s.layers),
            f"{s.macs:,}",
            f"{100 * s.macs_share:.2f}%",
            f"{s.params:,}",
            f"{100 * s.params_share:.2f}%",
        )
    return t
