"""``archcalc table``: a network's per-layer rows, totals under every convention, and breakdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archcalc.count.views import VIEW_TEXT
from archcalc.render.common import grid, mega, settings, shape_str, with_total_column
from archcalc.render.fit import FitTable

if TYPE_CHECKING:
    from archcalc.count.closed_form import LayerCost, Report, Totals


def count_unit(r: Report) -> str:
    """What the per-layer count column holds under the report's convention: MACs, or FLOPs (tf)."""
    return "FLOPs" if r.totals.macs is None and r.totals.flops is not None else "MACs"


def _count(x: LayerCost | Totals, unit: str) -> int | None:
    return x.flops if unit == "FLOPs" else x.macs


def _num(v: int | None) -> object:
    """A count for CSV / Markdown: the integer, or empty where the convention counts none."""
    return "" if v is None else v


def _pct(v: int | None, total: int | None) -> str:
    return "" if v is None or total is None else f"{100 * v / (total or 1):.2f}"


def _exact(v: int | None) -> str:
    """``1,234``, or ``—`` where the convention counts none."""
    return "—" if v is None else f"{v:,}"


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
    unit = count_unit(r)
    total = _count(r.totals, unit)
    return [
        [
            x.name,
            x.kind,
            x.args,
            " + ".join(shape_str(s) for s in x.input_shapes),
            shape_str(x.output_shape),
            _num(x.params),
            _num(_count(x, unit)),
            _pct(_count(x, unit), total),
            x.bytes_read,
            x.bytes_written,
            "" if x.intensity is None else f"{x.intensity:.3f}",
        ]
        for x in rows
    ]


def _total_row(r: Report) -> list[object]:
    t = r.totals
    count = _count(t, count_unit(r))
    return [
        "TOTAL",
        "",
        "",
        shape_str(r.input_shape),
        shape_str(r.output_shape),
        _num(t.params),
        _num(count),
        "" if count is None else "100.00",
        t.bytes_read,
        t.bytes_written,
        "" if t.macs is None else f"{t.macs / (t.bytes_read + t.bytes_written):.3f}",
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
            f"{count_unit(r).lower()}[{r.convention}]",
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
    unit = count_unit(r)
    out: list[FitTable] = []
    if not summary:
        t = FitTable(
            f"{r.title} — {settings(r)} — {unit} and params: convention '{r.convention}', "
            f"bytes at {r.dtype} — view '{view}'",
            f"Rows: {VIEW_TEXT[view]}. {unit} [{r.convention}]: {conv.macs_rule or 'none counted'}. "
            f"params [{r.convention}]: {conv.params_rule or 'none counted'}.",
            wide=wide,
        )
        t.column("#", number=True, drop=4)
        t.column("layer")
        t.column("kind", drop=3)
        t.column("args", drop=6)
        t.column("input → output", drop=5)
        t.column("params", number=True)
        t.column(unit, number=True)
        t.column(f"% {unit}", number=True)
        t.column(f"bytes ({r.dtype})", number=True, drop=2)
        t.column("MACs/byte", number=True, drop=1)
        total = _count(r.totals, unit)
        for i, x in enumerate(rows):
            t.row(
                i,
                x.name,
                x.kind,
                x.args,
                f"{' + '.join(shape_str(s) for s in x.input_shapes)} → {shape_str(x.output_shape)}",
                _exact(x.params),
                _exact(_count(x, unit)),
                _pct(_count(x, unit), total) or "—",
                f"{x.bytes_read + x.bytes_written:,}",
                "—" if x.intensity is None else f"{x.intensity:.2f}",
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

    def line(label: str, x: int, note: str | None) -> None:
        t.row(label, mega(x), f"{x:,}", note or "")

    for name, c in r.by_convention.items():
        mark = " ◀" if name == r.convention else ""
        if c.macs is not None:
            line(f"MACs [{name}]{mark}", c.macs, c.macs_rule)
        elif c.flops is not None:
            line(f"FLOPs [{name}]{mark}", c.flops, c.macs_rule)
    if tt.macs is not None and tt.flops is not None:
        line(f"FLOPs [{r.convention}]", tt.flops, "2 × MACs")
    line("params without BN [paper]", tt.params_without_bn, r.by_convention["paper"].params_rule)
    line("params with BN [torch]", tt.params_with_bn, r.by_convention["torch"].params_rule)
    keras = r.by_convention.get("keras")
    if keras is not None and keras.params is not None:
        mark = " ◀" if r.convention == "keras" else ""
        line(f"params [keras]{mark}", keras.params, keras.params_rule)
        t.row(
            "  trainable / non-trainable [keras]",
            "",
            f"{keras.trainable_params:,} / {keras.non_trainable_params:,}",
            "model.summary()'s Trainable params / Non-trainable params (BN moving mean and variance)",
        )
    if tt.params is None:
        t.row(f"params [{r.convention}]", "—", "—", f"convention '{r.convention}' counts no params")
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
            _exact(s.macs),
            "—" if s.macs_share is None else f"{100 * s.macs_share:.2f}%",
            _exact(s.params),
            "—" if s.params_share is None else f"{100 * s.params_share:.2f}%",
        )
    return t
