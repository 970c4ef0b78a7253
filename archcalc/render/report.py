"""``archcalc table``: a network's per-layer rows, totals under every convention, and breakdown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from archcalc.render.common import add_row, grid, mega, shape_str
from archcalc.resolution import fmt_resolution

if TYPE_CHECKING:
    from rich.table import Table

    from archcalc.count.closed_form import Report


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


def _layer_rows(r: Report) -> list[list[object]]:
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
        for x in r.layers
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


def render_report(r: Report, fmt: str, summary: bool = False) -> str | Table | list[Table]:
    """A string for json / csv / markdown; rich renderables for ``table``."""
    if fmt == "json":
        return r.model_dump_json(indent=2, exclude={"layers"} if summary else None) + "\n"
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
    out: list[Table] = []
    if not summary:
        t = Table(
            title=escape(
                f"{r.title} — {settings(r)} — MACs and params: convention '{r.convention}', "
                f"bytes at {r.dtype}"
            ),
            caption=escape(
                f"MACs [{r.convention}]: {conv.macs_rule}. params [{r.convention}]: {conv.params_rule}."
            ),
        )
        for col, just in (
            ("#", "right"),
            ("layer", "left"),
            ("kind", "left"),
            ("args", "left"),
            ("input → output", "left"),
            ("params", "right"),
            ("MACs", "right"),
            ("% MACs", "right"),
            (f"bytes ({r.dtype})", "right"),
            ("MACs/byte", "right"),
        ):
            t.add_column(escape(col), justify=just)  # type: ignore[arg-type]
        total = r.totals.macs or 1
        for i, x in enumerate(r.layers):
            add_row(
                t,
                str(i),
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
        add_row(t, f"MACs [{name}]{mark}", mega(c.macs), f"{c.macs:,}", c.macs_rule)
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
            f"{s.macs:,}",
            f"{100 * s.macs_share:.2f}%",
            f"{s.params:,}",
            f"{100 * s.params_share:.2f}%",
        )
    return t
