"""``archcalc table``: a network's per-layer rows, totals under every convention, and breakdown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from archcalc.render.common import add_row, grid, mega, shape_str

if TYPE_CHECKING:
    from rich.table import Table

    from archcalc.count.closed_form import LayerCost, Report, Totals


def settings(r: Report) -> str:
    knobs = ", ".join(f"{k}={json.dumps(v)}" for k, v in r.knobs.items())
    return f"α={r.alpha:g}, {r.resolution}×{r.resolution}" + (f", {knobs}" if knobs else "")


def count_unit(r: Report) -> str:
    """What the per-layer count column holds under the report's convention: MACs, or FLOPs (tf)."""
    return "FLOPs" if r.by_convention[r.convention].flops is not None and r.totals.macs is None else "MACs"


def _count(x: LayerCost | Totals, unit: str) -> int | None:
    return x.flops if unit == "FLOPs" else x.macs


def _num(v: int | None) -> object:
    """A count for CSV / Markdown: the integer, or empty where the convention counts none."""
    return "" if v is None else v


def _pct(v: int | None, total: int | None) -> str:
    return "" if v is None or total is None else f"{100 * v / (total or 1):.2f}"


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


def _layer_rows(r: Report) -> list[list[object]]:
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
        for x in r.layers
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


def render_report(r: Report, fmt: str, summary: bool = False) -> str | Table | list[Table]:
    """A string for json / csv / markdown; rich renderables for ``table``."""
    if fmt == "json":
        return r.model_dump_json(indent=2, exclude={"layers"} if summary else None) + "\n"
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
        rows = [] if summary else _layer_rows(r)
        text = grid(header, [*rows, _total_row(r)], fmt)
        if fmt == "markdown":
            title = f"**{r.title}** ({settings(r)}; convention `{r.convention}`, dtype {r.dtype})\n\n"
            text = title + text
        return text
    return _rich_report(r, summary)


def _rich_report(r: Report, summary: bool) -> list[Table]:
    from rich.markup import escape
    from rich.table import Table

    conv = r.by_convention[r.convention]
    unit = count_unit(r)
    out: list[Table] = []
    if not summary:
        t = Table(
            title=escape(
                f"{r.title} — {settings(r)} — {unit} and params: convention '{r.convention}', "
                f"bytes at {r.dtype}"
            ),
            caption=escape(
                f"{unit} [{r.convention}]: {conv.macs_rule or 'none counted'}. "
                f"params [{r.convention}]: {conv.params_rule or 'none counted'}."
            ),
        )
        for col, just in (
            ("#", "right"),
            ("layer", "left"),
            ("kind", "left"),
            ("args", "left"),
            ("input → output", "left"),
            ("params", "right"),
            (unit, "right"),
            (f"% {unit}", "right"),
            (f"bytes ({r.dtype})", "right"),
            ("MACs/byte", "right"),
        ):
            t.add_column(escape(col), justify=just)  # type: ignore[arg-type]
        total = _count(r.totals, unit)
        for i, x in enumerate(r.layers):
            add_row(
                t,
                str(i),
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
    out.append(_rich_totals(r))
    out.append(_rich_breakdown(r))
    return out


def _rich_totals(r: Report) -> Table:
    from rich.table import Table

    tt = r.totals
    t = Table(title=f"{r.title} totals — {settings(r)}")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_column("exact", justify="right")
    t.add_column("convention / note", overflow="fold", max_width=90)
    for name, c in r.by_convention.items():
        mark = " ◀" if name == r.convention else ""
        if c.macs is not None:
            add_row(t, f"MACs [{name}]{mark}", mega(c.macs), f"{c.macs:,}", c.macs_rule)
        elif c.flops is not None:
            add_row(t, f"FLOPs [{name}]{mark}", mega(c.flops), f"{c.flops:,}", c.macs_rule)
    if tt.macs is not None and tt.flops is not None:
        add_row(t, f"FLOPs [{r.convention}]", mega(tt.flops), f"{tt.flops:,}", "2 × MACs")
    add_row(
        t,
        "params without BN [paper]",
        mega(tt.params_without_bn),
        f"{tt.params_without_bn:,}",
        r.by_convention["paper"].params_rule,
    )
    add_row(
        t,
        "params with BN [torch]",
        mega(tt.params_with_bn),
        f"{tt.params_with_bn:,}",
        r.by_convention["torch"].params_rule,
    )
    keras = r.by_convention.get("keras")
    if keras is not None and keras.params is not None:
        mark = " ◀" if r.convention == "keras" else ""
        add_row(t, f"params [keras]{mark}", mega(keras.params), f"{keras.params:,}", keras.params_rule)
        add_row(
            t,
            "  trainable / non-trainable [keras]",
            "",
            f"{keras.trainable_params:,} / {keras.non_trainable_params:,}",
            "model.summary()'s Trainable params / Non-trainable params (BN moving mean and variance)",
        )
    if tt.params is None:
        add_row(t, f"params [{r.convention}]", "—", "—", f"convention '{r.convention}' counts no params")
    add_row(
        t,
        f"weight bytes [{r.dtype}]",
        mega(tt.weight_bytes),
        f"{tt.weight_bytes:,}",
        "conv/linear weights + BN γ, β, mean, var",
    )
    add_row(t, f"bytes read [{r.dtype}]", mega(tt.bytes_read), f"{tt.bytes_read:,}", "Σ inputs + weights")
    add_row(t, f"bytes written [{r.dtype}]", mega(tt.bytes_written), f"{tt.bytes_written:,}", "Σ outputs")
    return t


def _rich_breakdown(r: Report) -> Table:
    from rich.table import Table

    t = Table(title=f"Resources per layer type — convention '{r.convention}'")
    for col in ("type", "layers", "MACs", "% MACs", "params", "% params"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for s in r.breakdown:
        add_row(
            t,
            s.category,
            str(s.layers),
            _exact(s.macs),
            "—" if s.macs_share is None else f"{100 * s.macs_share:.2f}%",
            _exact(s.params),
            "—" if s.params_share is None else f"{100 * s.params_share:.2f}%",
        )
    return t


def _exact(v: int | None) -> str:
    """``1,234`` or ``—`` where the convention counts none."""
    return "—" if v is None else f"{v:,}"
